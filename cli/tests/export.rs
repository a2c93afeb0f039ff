//! `kuberack export`: the YAML parses back into the objects the demo patch asks for.

mod common;

use kuberack_cli::export::{desired_objects, export_yaml, EXPORT_FILE};
use kuberack_cli::patch::load_patch_file;
use serde::Deserialize;
use serde_json::Value;
use std::process::Command;

fn documents(yaml: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|d| Value::deserialize(d).expect("each document parses"))
        .collect()
}

#[test]
fn the_demo_exports_its_namespace_deployments_and_topology() {
    let patch = load_patch_file(&common::demo_vcv()).unwrap();
    let docs = documents(&export_yaml(&patch, "kuberack").unwrap());
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["Namespace", "Deployment", "Deployment", "ConfigMap"]
    );
    for d in &docs {
        assert_eq!(
            d["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "kuberack"
        );
    }
    // The demo's two DEPLOYMENT modules: replicas 10 and 4, requests from the knobs
    // (CPU knob in 10 m steps, memory in 16 MiB steps).
    let dep = |id: &str| {
        docs.iter()
            .find(|d| d["metadata"]["name"] == format!("deployment-{id}"))
            .unwrap_or_else(|| panic!("deployment-{id} missing"))
    };
    let a = dep("1408857253961537");
    assert_eq!(a["metadata"]["namespace"], "kuberack");
    assert_eq!(a["spec"]["replicas"], 10);
    let req = &a["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"];
    assert_eq!(req["cpu"], "250m");
    assert_eq!(req["memory"], "256Mi");
    let b = dep("6322098870016423");
    assert_eq!(b["spec"]["replicas"], 4);
    assert_eq!(
        b["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"],
        "1000m"
    );

    let topology: Value =
        serde_json::from_str(docs[3]["data"]["topology.json"].as_str().unwrap()).unwrap();
    assert_eq!(
        topology["modules"].as_array().unwrap().len(),
        patch.modules.len()
    );
    assert_eq!(
        topology["cables"].as_array().unwrap().len(),
        patch.cables.len()
    );
    let cluster = &topology["modules"][0];
    assert_eq!(cluster["model"], "Cluster");
    // Cables and params are named by their descriptor ids.
    assert!(topology["cables"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["to"]["module"] == 1408857253961537i64 && c["to"]["input"] == "API"));
    assert_eq!(topology["modules"][3]["params"]["REPLICAS"], 10.0);
}

#[test]
fn unplugged_deployments_are_not_desired() {
    let mut patch = load_patch_file(&common::demo_vcv()).unwrap();
    patch.cables.retain(|c| c.input_module != 1408857253961537);
    let objs = desired_objects(&patch);
    assert_eq!(objs.len(), 1);
    assert_eq!(objs[0].key.module, 6322098870016423);
}

#[test]
fn export_writes_the_file_into_the_output_directory() {
    let dir = common::scratch("cli_export");
    let out = Command::new(env!("CARGO_BIN_EXE_kuberack"))
        .args([
            "export",
            common::demo_vcv().to_str().unwrap(),
            "-o",
            dir.to_str().unwrap(),
        ])
        .args(["--namespace", "team-a"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = std::fs::read_to_string(dir.join(EXPORT_FILE)).unwrap();
    let docs = documents(&yaml);
    assert_eq!(docs[0]["metadata"]["name"], "team-a");
    assert!(docs[1..]
        .iter()
        .all(|d| d["metadata"]["namespace"] == "team-a"));
}

#[test]
fn typed_tolerations_selectors_and_affinity_are_exported() {
    let fixture = common::crate_dir().join("tests/fixtures/taints-tolerations.patch.json");
    let patch = load_patch_file(&fixture).unwrap();
    let docs = documents(&export_yaml(&patch, "kuberack").unwrap());
    let template = |id: &str| {
        docs.iter()
            .find(|d| d["metadata"]["name"] == format!("deployment-{id}"))
            .unwrap_or_else(|| panic!("deployment-{id} missing"))["spec"]["template"]
            .clone()
    };
    let gpu = template("5555");
    assert_eq!(gpu["metadata"]["labels"]["app"], "trainer");
    assert_eq!(
        gpu["spec"]["tolerations"],
        serde_json::json!([{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}])
    );
    assert_eq!(
        gpu["spec"]["nodeSelector"],
        serde_json::json!({"gpu": "true"})
    );
    let hdd = template("8888");
    assert_eq!(hdd["spec"]["tolerations"][0]["effect"], "PreferNoSchedule");
    assert_eq!(
        hdd["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            ["nodeSelectorTerms"][0]["matchExpressions"],
        serde_json::json!([{"key": "disk", "operator": "NotIn", "values": ["ssd"]}])
    );
    // A Deployment without any has none of the fields.
    let plain =
        documents(&export_yaml(&load_patch_file(&common::demo_vcv()).unwrap(), "k").unwrap());
    assert!(plain
        .iter()
        .all(|d| d["spec"]["template"]["spec"].get("tolerations").is_none()));
}

#[test]
fn refused_scheduling_text_fails_the_export_with_the_reason() {
    let fixture = common::crate_dir().join("tests/fixtures/taints-tolerations.patch.json");
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    for m in json["modules"].as_array_mut().unwrap() {
        if m["id"] == 5555 {
            m["data"]["scheduling"]["tolerations"] = "dedicated=gpu:Sometimes".into();
        }
    }
    let dir = common::scratch("export-refused");
    let path = dir.join("patch.json");
    std::fs::write(&path, json.to_string()).unwrap();
    let err = export_yaml(&load_patch_file(&path).unwrap(), "kuberack")
        .unwrap_err()
        .to_string();
    assert!(err.contains("DEPLOYMENT 5555"), "{err}");
    assert!(err.contains("invalid taint effect"), "{err}");
}
