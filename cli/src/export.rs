//! `kuberack export`: a patch's desired objects as kubectl-appliable YAML (the Namespace and
//! one Deployment per DEPLOYMENT module plugged into a CLUSTER), plus the patch topology as
//! one ConfigMap. The objects are the ones the live sync writes, built by the same code
//! (`kuberack_sync::export`, which the hub's "Export manifests" menu uses too).

use std::path::{Path, PathBuf};

use kuberack_sync::export::{self, ExportCable, ExportModule, ExportPatch};
use kuberack_sync::DesiredObject;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::patch::{load_patch_file, Patch};

pub use kuberack_sync::export::EXPORT_FILE;

/// The export's model of a parsed patch.
fn export_patch(patch: &Patch) -> ExportPatch {
    ExportPatch {
        modules: patch
            .modules
            .iter()
            .map(|m| ExportModule {
                id: m.id,
                plugin: m.plugin.clone(),
                model: m.model.clone(),
                bypass: m.bypass,
                params: m.params.iter().map(|p| (p.index, p.value)).collect(),
                data: m.data.clone().unwrap_or(Value::Null),
            })
            .collect(),
        cables: patch
            .cables
            .iter()
            .map(|c| ExportCable {
                output_module: c.output_module,
                output: c.output,
                input_module: c.input_module,
                input: c.input,
            })
            .collect(),
    }
}

/// The Deployments a patch asks for: DEPLOYMENT modules whose API input is cabled from a
/// CLUSTER, with replicas and requests from the saved knobs.
pub fn desired_objects(patch: &Patch) -> Vec<DesiredObject> {
    export::desired_objects(&export_patch(patch))
}

/// The patch's topology: KubeRack modules with their params by id, and cables by port id.
pub fn topology(patch: &Patch) -> Value {
    export::topology(&export_patch(patch))
}

/// The whole export as a multi-document YAML stream.
pub fn export_yaml(patch: &Patch, namespace: &str) -> Result<String> {
    export::export_yaml(&export_patch(patch), namespace).map_err(Error::Patch)
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
            let file = export::write_export(dir, &yaml)
                .map_err(|e| Error::io(e.action, e.path, e.source))?;
            eprintln!("wrote {}", file.display());
        }
    }
    Ok(())
}
