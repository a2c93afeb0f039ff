//! Reading Rack 2 patches: `.vcv` archives and bare `patch.json`, and refusing broken ones
//! with a message that says what is wrong.

mod common;

use kuberack_cli::patch::{read_patch_bytes, unpack_patch_json, write_archive};
use kuberack_cli::{load, Error, LoadOptions};
use serde_json::json;

const OPTIONS: LoadOptions = LoadOptions {
    sample_rate: 48_000.0,
    seed: None,
};

fn bytes(v: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap()
}

/// A small KubeRack patch: a hub (id 100) feeding a node pool (id 200).
fn small_patch() -> serde_json::Value {
    json!({
        "version": "2.4.1",
        "modules": [
            {"id": 100, "plugin": "KubeRack", "model": "Cluster", "version": "2.0.0",
             "params": [{"value": 5.5, "id": 0}, {"value": 9.0, "id": 2}],
             "data": {"seed": 3, "controlPeriod": 32}, "pos": [0, 0]},
            {"id": 200, "plugin": "KubeRack", "model": "Node", "version": "2.0.0",
             "params": [{"value": 3.0, "id": 0}], "pos": [12, 0]}
        ],
        "cables": [
            {"id": 7, "outputModuleId": 100, "outputId": 5, "inputModuleId": 200, "inputId": 0,
             "color": "#f3374b"}
        ]
    })
}

fn error_of(json: &serde_json::Value) -> String {
    let err = match read_patch_bytes(&bytes(json)) {
        Err(e) => e,
        Ok(p) => match load(&p, OPTIONS) {
            Err(e) => e,
            Ok(_) => panic!("the patch loaded: {json}"),
        },
    };
    err.to_string()
}

#[test]
fn a_bare_patch_json_loads_with_params_and_cables() {
    let patch = read_patch_bytes(&bytes(&small_patch())).unwrap();
    assert_eq!(patch.version.as_deref(), Some("2.4.1"));
    assert_eq!(patch.modules.len(), 2);
    assert_eq!(patch.cables.len(), 1);
    let loaded = load(&patch, OPTIONS).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let e = &loaded.engine;
    assert_eq!(e.modules().len(), 2);
    let hub = e.module(100).unwrap();
    assert_eq!(hub.descriptor().name, "CLUSTER");
    // WARP clamps to its top (4), LEVEL to 1, TONE keeps its default, SYNC stays off.
    assert_eq!(hub.params(), &[4.0, 0.0, 1.0, 0.0]);
    let node = e.module(200).unwrap();
    assert_eq!(node.params()[0], 3.0);
    assert!(node.input_connected(0));
    assert!(hub.output_connected(5));
}

#[test]
fn a_vcv_archive_loads_the_same_patch() {
    let json = bytes(&small_patch());
    let archive = write_archive(&json).unwrap();
    assert_eq!(&archive[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd magic");
    assert_eq!(unpack_patch_json(&archive).unwrap(), json);
    assert_eq!(
        read_patch_bytes(&archive).unwrap(),
        read_patch_bytes(&json).unwrap()
    );
    // Packing is reproducible.
    assert_eq!(write_archive(&json).unwrap(), archive);
}

#[test]
fn an_archive_as_rack_writes_it_with_module_folders_loads() {
    // Rack archives its autosave folder: "./"-relative names, directories and
    // per-module storage next to patch.json.
    let json = bytes(&small_patch());
    let mut tar = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8], kind: tar::EntryType| {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        tar.append_data(&mut h, path, data).unwrap();
    };
    add("./modules/", b"", tar::EntryType::Directory);
    add("./modules/200/", b"", tar::EntryType::Directory);
    add(
        "./modules/200/samples.bin",
        &[1, 2, 3, 4],
        tar::EntryType::Regular,
    );
    add("./patch.json", &json, tar::EntryType::Regular);
    let archive = zstd::stream::encode_all(tar.into_inner().unwrap().as_slice(), 1).unwrap();
    let patch = read_patch_bytes(&archive).unwrap();
    assert_eq!(patch.modules[1].id, 200);
}

#[test]
fn rack_legacy_spellings_are_understood() {
    // No module id (the array index), "disabled" for bypass, "paramId", "wires".
    let json = json!({
        "modules": [
            {"plugin": "KubeRack", "model": "Cluster", "disabled": true},
            {"plugin": "KubeRack", "model": "Deployment",
             "params": [{"paramId": 0, "value": 5.0}, {"value": 2.0}]}
        ],
        "wires": [{"outputModuleId": 0, "outputId": 5, "inputModuleId": 1, "inputId": 0}]
    });
    let patch = read_patch_bytes(&bytes(&json)).unwrap();
    assert_eq!(patch.modules[0].id, 0);
    assert!(patch.modules[0].bypass);
    assert_eq!(patch.cables[0].id, 0);
    let loaded = load(&patch, OPTIONS).unwrap();
    let d = loaded.engine.module(1).unwrap();
    // The second param has no id: it takes its array index, 1.
    assert_eq!(&d.params()[..2], &[5.0, 2.0]);
    assert!(loaded.engine.module(0).unwrap().bypassed());
}

#[test]
fn a_truncated_archive_is_refused_clearly() {
    let archive = write_archive(&bytes(&small_patch())).unwrap();
    for cut in [archive.len() / 2, archive.len() - 3, 6] {
        let err = read_patch_bytes(&archive[..cut]).unwrap_err();
        assert!(matches!(err, Error::Archive(_)), "{err}");
        assert!(
            err.to_string().contains("truncated or corrupt"),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn an_archive_without_patch_json_is_refused() {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(2);
    h.set_mode(0o644);
    tar.append_data(&mut h, "notes.txt", &b"hi"[..]).unwrap();
    let archive = zstd::stream::encode_all(tar.into_inner().unwrap().as_slice(), 1).unwrap();
    let err = read_patch_bytes(&archive).unwrap_err().to_string();
    assert!(err.contains("holds no patch.json"), "{err}");
}

#[test]
fn bad_json_names_where_it_breaks() {
    let err = read_patch_bytes(b"{\n  \"modules\": [\n    {\"id\": 1,,}\n  ]\n}").unwrap_err();
    assert!(matches!(err, Error::Json(_)), "{err}");
    assert!(err.to_string().contains("line 3"), "{err}");
    let err = read_patch_bytes(b"{\"modules\": [")
        .unwrap_err()
        .to_string();
    assert!(err.contains("EOF"), "{err}");
    let err = read_patch_bytes(b"  \n").unwrap_err().to_string();
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn missing_or_mistyped_fields_are_named() {
    let cases = [
        (json!([1, 2]), "the top level is an array"),
        (json!({"version": "2.4.1"}), "no \"modules\" array"),
        (json!({"modules": {}}), "\"modules\" is an object"),
        (json!({"modules": [7]}), "module #0 is a number"),
        (
            json!({"modules": [{"id": 5, "model": "Cluster"}]}),
            "module #0 (id 5): \"plugin\" is missing",
        ),
        (
            json!({"modules": [{"id": 5, "plugin": "KubeRack"}]}),
            "\"model\" is missing",
        ),
        (
            json!({"modules": [{"id": "x", "plugin": "KubeRack", "model": "Node"}]}),
            "\"id\" is a string, not an integer",
        ),
        (
            json!({"modules": [{"id": 5, "plugin": "KubeRack", "model": "Node", "params": 3}]}),
            "\"params\" is a number",
        ),
        (
            json!({"modules": [{"id": 5, "plugin": "KubeRack", "model": "Node", "bypass": "yes"}]}),
            "\"bypass\" is a string",
        ),
        (
            json!({"modules": [], "cables": [{"id": 3, "outputModuleId": 1, "outputId": 0, "inputModuleId": 2}]}),
            "cable #0 (id 3): \"inputId\" is missing",
        ),
        (
            json!({"modules": [], "cables": [{"outputModuleId": 1, "outputId": -1, "inputModuleId": 2, "inputId": 0}]}),
            "\"outputId\" is -1, not a port index",
        ),
    ];
    for (json, expected) in cases {
        let err = read_patch_bytes(&bytes(&json)).unwrap_err();
        assert!(matches!(err, Error::Patch(_)), "{json}: {err}");
        assert!(err.to_string().contains(expected), "{json}: {err}");
    }
}

#[test]
fn inconsistent_patches_are_refused_at_load() {
    let mut p = small_patch();
    p["cables"][0]["inputModuleId"] = json!(999);
    assert!(error_of(&p).contains("its input module 999 is not in the patch"));

    let mut p = small_patch();
    p["cables"][0]["outputId"] = json!(42);
    assert!(error_of(&p).contains("has no output 42"));

    let mut p = small_patch();
    p["modules"][1]["id"] = json!(100);
    assert!(error_of(&p).contains("two modules have id 100"));

    let mut p = small_patch();
    let dup = p["cables"][0].clone();
    p["cables"].as_array_mut().unwrap().push(dup);
    assert!(error_of(&p).contains("Rack allows one cable per input"));
}

#[test]
fn an_unknown_kuberack_module_is_refused_by_name() {
    let mut p = small_patch();
    p["modules"][1]["model"] = json!("Spaceship");
    let err = error_of(&p);
    assert!(err.contains("KubeRack/Spaceship"), "{err}");
    assert!(err.contains("Cluster, Node, Deployment"), "{err}");
}

#[test]
fn other_plugins_are_skipped_with_one_warning_each() {
    let mut p = small_patch();
    let modules = p["modules"].as_array_mut().unwrap();
    modules.push(
        json!({"id": 300, "plugin": "Fundamental", "model": "VCO", "version": "2.6.0",
                        "params": [{"value": 0.0, "id": 0}]}),
    );
    modules
        .push(json!({"id": 400, "plugin": "Core", "model": "AudioInterface2", "version": "2.4.1"}));
    let cables = p["cables"].as_array_mut().unwrap();
    // VCO -> the node's CORDON input, hub ETCD -> audio, node VOICE -> audio.
    cables.push(
        json!({"id": 8, "outputModuleId": 300, "outputId": 0, "inputModuleId": 200, "inputId": 1}),
    );
    cables.push(
        json!({"id": 9, "outputModuleId": 100, "outputId": 0, "inputModuleId": 400, "inputId": 0}),
    );
    cables.push(
        json!({"id": 10, "outputModuleId": 200, "outputId": 2, "inputModuleId": 400, "inputId": 1}),
    );
    let patch = read_patch_bytes(&bytes(&p)).unwrap();
    let loaded = load(&patch, OPTIONS).unwrap();

    assert_eq!(loaded.engine.modules().len(), 2);
    assert_eq!(
        loaded.engine.cables().len(),
        1,
        "only the hub -> node cable is played"
    );
    assert!(!loaded.engine.module(200).unwrap().input_connected(1));
    assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].contains("300 (Fundamental/VCO)"));
    assert!(loaded.warnings[0].contains("its cable is ignored"));
    assert!(loaded.warnings[1].contains("400 (Core/AudioInterface2)"));
    assert!(loaded.warnings[1].contains("its 2 cables are ignored"));
    assert_eq!(loaded.skipped.len(), 2);
}

#[test]
fn saved_data_that_fails_to_load_keeps_defaults_with_a_warning() {
    let mut p = small_patch();
    p["modules"][0]["data"] = json!({"seed": "not a number"});
    p["modules"][1]["params"] = json!([{"value": "three", "id": 0}, {"value": 2.0, "id": 17}]);
    let patch = read_patch_bytes(&bytes(&p)).unwrap();
    let loaded = load(&patch, OPTIONS).unwrap();
    let w = loaded.warnings.join("\n");
    assert!(
        w.contains("param 0 has value \"three\", not a number"),
        "{w}"
    );
    assert!(w.contains("param 17, which NODE does not have"), "{w}");
    assert!(
        w.contains("module 100 (CLUSTER): its saved data could not be loaded"),
        "{w}"
    );
    // The node keeps its default COUNT.
    assert_eq!(loaded.engine.module(200).unwrap().params()[0], 1.0);
}
