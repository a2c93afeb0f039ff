//! `kuberack export`: a patch's desired objects as kubectl-appliable YAML (the Namespace and
//! one Deployment per DEPLOYMENT module plugged into a CLUSTER), plus the patch topology as
//! one ConfigMap. The objects are the ones the live sync writes, built by the same code.

use std::path::{Path, PathBuf};

use kuberack_protocol::modules::deployment::{input, param, DESCRIPTOR};
use kuberack_sync::{manifest, DesiredObject};
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::patch::{load_patch_file, Patch, PatchModule};

/// The file `export -o DIR` writes in DIR.
pub const EXPORT_FILE: &str = "kuberack.yaml";

/// The Deployments a patch asks for: DEPLOYMENT modules whose API input is cabled from a
/// CLUSTER, with replicas and requests from the saved knobs (CV inputs are not known
/// offline; the live sync follows them).
pub fn desired_objects(patch: &Patch) -> Vec<DesiredObject> {
    let model = |id: i64| patch.modules.iter().find(|m| m.id == id);
    patch
        .modules
        .iter()
        .filter(|m| m.is_kuberack() && m.model == DESCRIPTOR.slug && !m.bypass)
        .filter(|m| {
            patch.cables.iter().any(|c| {
                c.input_module == m.id
                    && c.input == input::API
                    && model(c.output_module)
                        .is_some_and(|o| o.is_kuberack() && o.model == "Cluster")
            })
        })
        .map(|m| {
            DesiredObject::deployment(
                m.id as u64,
                knob(m, param::REPLICAS).round() as u32,
                (knob(m, param::CPU).round() * 10.0) as u32,
                (knob(m, param::MEMORY).round() * 16.0) as u32,
            )
        })
        .collect()
}

/// A saved param as the module reads it: default when missing or NaN, clamped to its range.
fn knob(m: &PatchModule, index: usize) -> f32 {
    let d = &DESCRIPTOR.params[index];
    let v = m
        .params
        .iter()
        .find(|p| p.index == index)
        .map_or(d.default, |p| p.value as f32);
    if v.is_nan() {
        d.default
    } else {
        v.clamp(d.min, d.max)
    }
}

/// The patch's topology: KubeRack modules with their params by id, and cables by port id.
pub fn topology(patch: &Patch) -> Value {
    let descriptor = |m: &PatchModule| {
        m.is_kuberack()
            .then(|| kuberack_protocol::find(&m.model))
            .flatten()
    };
    let port = |module: i64, index: usize, output: bool| -> Value {
        let d = patch
            .modules
            .iter()
            .find(|m| m.id == module)
            .and_then(descriptor);
        let ports = d.map(|d| if output { d.outputs } else { d.inputs });
        match ports.and_then(|p| p.get(index)) {
            Some(p) => json!(p.id),
            None => json!(index),
        }
    };
    let modules: Vec<Value> = patch
        .modules
        .iter()
        .map(|m| {
            let params: serde_json::Map<String, Value> = m
                .params
                .iter()
                .map(|p| {
                    let id = descriptor(m)
                        .and_then(|d| d.params.get(p.index))
                        .map_or_else(|| p.index.to_string(), |d| d.id.to_owned());
                    (id, json!(p.value))
                })
                .collect();
            json!({"id": m.id, "plugin": m.plugin, "model": m.model, "bypass": m.bypass, "params": params})
        })
        .collect();
    let cables: Vec<Value> = patch
        .cables
        .iter()
        .map(|c| {
            json!({
                "from": {"module": c.output_module, "output": port(c.output_module, c.output, true)},
                "to": {"module": c.input_module, "input": port(c.input_module, c.input, false)},
            })
        })
        .collect();
    json!({"modules": modules, "cables": cables})
}

/// The whole export as a multi-document YAML stream.
pub fn export_yaml(patch: &Patch, namespace: &str) -> Result<String> {
    let mut docs = vec![manifest::namespace(namespace)];
    docs.extend(
        desired_objects(patch)
            .iter()
            .map(|obj| manifest::deployment(namespace, obj)),
    );
    docs.push(manifest::topology_config_map(namespace, &topology(patch)));
    let mut out = String::new();
    for doc in &docs {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(doc).map_err(|e| Error::Patch(e.to_string()))?);
    }
    Ok(out)
}

/// Runs `kuberack export`: writes DIR/kuberack.yaml, or to stdout without a DIR.
pub fn run_export(patch: &Path, out: Option<&PathBuf>, namespace: &str) -> Result<()> {
    let parsed = load_patch_file(patch)?;
    for w in &parsed.warnings {
        eprintln!("kuberack: warning: {w}");
    }
    let yaml = export_yaml(&parsed, namespace)?;
    match out {
        None => print!("{yaml}"),
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
            let file = dir.join(EXPORT_FILE);
            std::fs::write(&file, yaml).map_err(|e| Error::io("cannot write", &file, e))?;
            eprintln!("wrote {}", file.display());
        }
    }
    Ok(())
}
