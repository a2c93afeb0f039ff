//! Every patch the project ships runs when Rack opens it: none names a master module, and
//! the rack of all 13 modules that the real-Rack smoke test plays is what it claims to be.
//!
//! Rack 2 clocks its engine from the master module's audio device while a patch has one
//! (`masterModuleId`); its own engine thread runs only while there is none. A patch saved
//! with an Audio module as master therefore never advances on a machine without that
//! device, or headless. Rack's Audio module claims the master role by itself when its
//! device starts streaming and no module holds it, so a patch without `masterModuleId`
//! runs at once and reaches the speakers as soon as a device is picked.

mod common;

use std::path::{Path, PathBuf};

use kuberack_cli::patch::unpack_patch_json;
use kuberack_protocol::{ModuleRole, MODULES};
use serde_json::Value;

/// The patch files in a folder of the repository (`.vcv` archives and bare `patch.json`s).
fn patch_files(folder: &str) -> Vec<PathBuf> {
    let dir = common::crate_dir().join("..").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".vcv") || name.ends_with(".json")
        })
        .collect();
    files.sort();
    files
}

fn patch_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap();
    serde_json::from_slice(&unpack_patch_json(&bytes).unwrap())
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The patches users open (`patches/`), the scenario fixtures the README points to, and the
/// smoke test's rack.
fn bundled_patches() -> Vec<PathBuf> {
    let mut all = patch_files("patches");
    // patches/recorded holds the imported patch beside a trace and a List snapshot.
    all.extend(
        patch_files("patches/recorded")
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "vcv")),
    );
    all.extend(patch_files("cli/tests/fixtures"));
    all.extend(patch_files("tests/rack"));
    all
}

#[test]
fn no_bundled_patch_names_a_master_module() {
    let patches = bundled_patches();
    assert!(
        patches.len() >= 14,
        "found only {} bundled patches",
        patches.len()
    );
    for path in patches {
        let json = patch_json(&path);
        if let Some(id) = json.get("masterModuleId").filter(|id| !id.is_null()) {
            let module = json["modules"]
                .as_array()
                .and_then(|ms| ms.iter().find(|m| m["id"] == *id))
                .map_or("no module".to_owned(), |m| {
                    format!("{}/{}", m["plugin"], m["model"])
                });
            panic!(
                "{} names module {id} ({module}) as Rack's master module: Rack's engine then \
                 waits for that module's audio device and never runs where it has none \
                 (headless, or another machine). Remove \"masterModuleId\": Rack's Audio \
                 module becomes master by itself once the user picks a device.",
                path.display()
            );
        }
    }
}

/// The demo keeps its Audio module, cabled from the cluster, so picking a device plays it.
#[test]
fn the_demo_reaches_the_speakers_through_an_audio_module() {
    let json = patch_json(&common::demo_vcv());
    let audio = json["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["plugin"] == "Core" && m["model"] == "AudioInterface2")
        .expect("the demo has a Core Audio-8 module");
    let cables_in = json["cables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["inputModuleId"] == audio["id"])
        .count();
    assert!(
        cables_in >= 2,
        "only {cables_in} cables reach the Audio module"
    );
    let device = &audio["data"]["audio"];
    assert!(
        device.get("deviceName").is_none(),
        "the demo's Audio module names a device ({device}); a user's machine may not have it"
    );
}

/// The smoke test's rack: each of the 13 models once, every member's API cabled from the
/// CLUSTER (INGRESS has none), the AUTOSCALER and DEVICES on a NODE's POOL, as a user would patch them.
#[test]
fn the_smoke_rack_holds_every_module_cabled_to_the_hub() {
    let path = common::crate_dir().join("../tests/rack/all-modules.patch.json");
    let loaded = common::load_at_48k(&path);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let modules = loaded.engine.modules();
    let mut slugs: Vec<&str> = modules.iter().map(|m| m.descriptor().slug).collect();
    slugs.sort_unstable();
    let mut every: Vec<&str> = MODULES.iter().map(|d| d.slug).collect();
    every.sort_unstable();
    assert_eq!(slugs, every, "each model exactly once");

    let json = patch_json(&path);
    let cables = json["cables"].as_array().unwrap();
    let module_of = |id: &Value| modules.iter().find(|m| *id == m.id()).unwrap().descriptor();
    let fed_from = |m: &kuberack_cli::engine::Instance, input: &str, from: (&str, &str)| {
        let input = m.descriptor().input_index(input).unwrap();
        cables.iter().any(|c| {
            c["inputModuleId"] == m.id()
                && c["inputId"] == input
                && module_of(&c["outputModuleId"]).slug == from.0
                && module_of(&c["outputModuleId"])
                    .output_index(from.1)
                    .is_some_and(|o| c["outputId"] == o)
        })
    };
    for m in modules {
        let d = m.descriptor();
        if d.role == ModuleRole::Member && d.input_index("API").is_some() {
            assert!(
                fed_from(m, "API", ("Cluster", "API")),
                "{} has no API cable",
                d.name
            );
        }
        if d.input_index("POOL").is_some() {
            assert!(
                fed_from(m, "POOL", ("Node", "POOL")),
                "{} has no POOL cable",
                d.name
            );
        }
    }
}
