//! `kuberack import`: a Rack patch of a cluster, read from the API (a kubeconfig and context)
//! or from the JSON of `kubectl get nodes,deployments,jobs,clusterqueues,localqueues,
//! resourceflavors,workloadpriorityclasses -A -o json` (built by `kuberack_sync::import`).
//! A `.vcv` output is written as Rack's archive, anything else as a bare patch.json.

use std::path::{Path, PathBuf};

use kuberack_sync::import::{self, ImportOptions, Imported};

use crate::error::{Error, Result};
use crate::patch::{parse_patch, write_archive};

/// Where the objects come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A file of `kubectl get ... -o json` (`-`: standard input).
    File(PathBuf),
    /// The API server of a kubeconfig (None: KUBECONFIG, else ~/.kube/config).
    Cluster(Option<PathBuf>),
}

/// Reads the objects and builds the patch.
pub fn import_patch(source: &Source, options: &ImportOptions) -> Result<Imported> {
    let items = match source {
        Source::File(path) => {
            let text = if path.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
                    .map_err(|e| Error::io("cannot read", "-", e))?
            } else {
                std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?
            };
            import::read_list(&text)
                .map_err(|e| Error::Patch(format!("{}: {e}", path.display())))?
        }
        Source::Cluster(kubeconfig) => import::fetch::fetch(kubeconfig.clone(), options)
            .map_err(|e| Error::Patch(format!("cannot list the cluster: {e}")))?,
    };
    import::import(&items, options).map_err(Error::Usage)
}

/// Writes the patch to `output` (a `.vcv` archive or patch.json), checking it parses as a
/// patch first.
pub fn write_patch(imported: &Imported, output: &Path) -> Result<()> {
    let json =
        serde_json::to_vec_pretty(&imported.patch).map_err(|e| Error::Json(e.to_string()))?;
    parse_patch(&json)?;
    let bytes = if output.extension().is_some_and(|e| e == "vcv") {
        write_archive(&json)?
    } else {
        json
    };
    std::fs::write(output, bytes).map_err(|e| Error::io("cannot write", output, e))
}

/// Runs `kuberack import`: writes the patch, then says what it holds and lists what it could
/// not represent, one line each.
pub fn run_import(source: &Source, options: &ImportOptions, output: &Path) -> Result<()> {
    let imported = import_patch(source, options)?;
    write_patch(&imported, output)?;
    print!("{}", imported.report(output));
    Ok(())
}
