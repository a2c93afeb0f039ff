//! The command line of `kuberack`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::record::RecordSpec;

/// KubeRack's headless player: runs VCV Rack 2 patches of KubeRack modules.
#[derive(Debug, Parser)]
#[command(name = "kuberack", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play a Rack patch (.vcv or patch.json) headless, with Rack's cable semantics.
    Play(PlayArgs),
    /// List every module with its params, inputs, outputs and lights.
    Models {
        /// Print the descriptors as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a patch.json as a Rack 2 .vcv archive (zstd-compressed tar).
    Pack {
        /// The patch.json to pack.
        input: PathBuf,
        /// The .vcv file to write.
        output: PathBuf,
    },
    /// Write the patch's desired objects as kubectl-appliable YAML, plus its topology as a
    /// ConfigMap.
    Export {
        /// The patch: a Rack 2 .vcv file or a bare patch.json.
        patch: PathBuf,
        /// Write DIR/kuberack.yaml instead of printing to stdout.
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: Option<PathBuf>,
        /// The namespace of the objects.
        #[arg(long, default_value = "kuberack", value_name = "NS")]
        namespace: String,
    },
    /// Write a Rack patch of a cluster (its node pools, Deployments, ClusterQueues and
    /// LocalQueues), read from the API or from `kubectl get ... -o json`.
    Import(ImportArgs),
}

/// Options of `kuberack import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The patch to write: a .vcv archive, or patch.json for any other name.
    #[arg(short = 'o', long = "output", value_name = "PATCH")]
    pub output: PathBuf,
    /// Read the objects from this file (`-`: stdin), the JSON of `kubectl get
    /// nodes,deployments,jobs,clusterqueues,localqueues,resourceflavors,workloadpriorityclasses
    /// -A -o json`, instead of the API.
    #[arg(long, value_name = "F", conflicts_with = "kubeconfig")]
    pub from_file: Option<PathBuf>,
    /// The kubeconfig (default: KUBECONFIG, else ~/.kube/config).
    #[arg(long, value_name = "F")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current one); saved for the hub's sync.
    #[arg(long, value_name = "C")]
    pub context: Option<String>,
    /// Only Deployments, Jobs and LocalQueues of this namespace.
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Only Deployments and Jobs matching this label selector (e.g. app=web).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Group nodes into NODE pools by this label first (then karpenter.sh/nodepool, then
    /// node.kubernetes.io/instance-type, then identical capacity, labels and taints).
    #[arg(long, value_name = "LABEL")]
    pub group_by: Option<String>,
}

/// Options of `kuberack play`.
#[derive(Debug, Args)]
pub struct PlayArgs {
    /// The patch: a Rack 2 .vcv file or a bare patch.json.
    pub patch: PathBuf,
    /// Seconds to render.
    #[arg(
        long,
        default_value_t = 10.0,
        value_name = "S",
        allow_negative_numbers = true
    )]
    pub seconds: f64,
    /// Sample rate in Hz.
    #[arg(long, default_value_t = 48_000, value_name = "R")]
    pub sample_rate: u32,
    /// Seed every module with N instead of the seed saved in the patch.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Write the recorded outputs to this 32-bit float WAV file.
    #[arg(long, value_name = "OUT.wav")]
    pub wav: Option<PathBuf>,
    /// Record channel 0 of an output as one WAV channel; repeat for more channels.
    /// MODULE is a module id (or a model name that is unique in the patch),
    /// OUTPUT an output id such as ETCD or an output index.
    #[arg(long, value_name = "MODULE_ID:OUTPUT")]
    pub record: Vec<RecordSpec>,
    /// Write every hub's events as JSON lines to this file.
    #[arg(long, value_name = "OUT.jsonl")]
    pub events: Option<PathBuf>,
    /// Never show the progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Turn on live-cluster sync in every CLUSTER hub and render in real time: the patch
    /// drives the cluster of the kubeconfig (KUBECONFIG or ~/.kube/config) and hears it.
    #[arg(long)]
    pub sync: bool,
    /// With --sync: the kubeconfig context to use instead of the hub's or the current one.
    #[arg(long, value_name = "C", requires = "sync")]
    pub context: Option<String>,
    /// With --sync: the namespace to write in and watch instead of the hub's.
    #[arg(long, value_name = "NS", requires = "sync")]
    pub namespace: Option<String>,
    /// With --sync: watch the cluster only, write nothing.
    #[arg(long, requires = "sync")]
    pub mirror_only: bool,
    /// With --sync: watch only the pods matching this label selector (e.g. app=web),
    /// instead of the hub's.
    #[arg(long, value_name = "SELECTOR", requires = "sync")]
    pub selector: Option<String>,
    /// With --sync: record the real cluster's changes (pods, nodes, Workloads; only the
    /// fields the mirror reads) to this cluster trace, JSON lines.
    #[arg(long, value_name = "FILE.jsonl", requires = "sync")]
    pub record_cluster: Option<PathBuf>,
    /// Drive the hubs from a recorded cluster trace instead of a live cluster, paced by
    /// simulated time (WARP, CLOCK); deterministic, no cluster needed.
    #[arg(long, value_name = "TRACE.jsonl", conflicts_with = "sync")]
    pub replay: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn play(args: &[&str]) -> Result<PlayArgs, clap::Error> {
        let argv = ["kuberack", "play", "patch.vcv"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            Command::Play(p) => Ok(p),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_label_selector_scopes_a_synced_play() {
        let p = play(&["--sync", "--selector", "app=web,tier!=cache"]).unwrap();
        assert_eq!(p.selector.as_deref(), Some("app=web,tier!=cache"));
        assert!(play(&[]).unwrap().selector.is_none());
        // Only with --sync.
        assert!(play(&["--selector", "app=web"]).is_err());
    }

    #[test]
    fn recording_needs_sync_and_replay_excludes_it() {
        let p = play(&["--sync", "--record-cluster", "t.jsonl"]).unwrap();
        assert_eq!(p.record_cluster, Some(PathBuf::from("t.jsonl")));
        assert!(play(&["--record-cluster", "t.jsonl"]).is_err());
        assert_eq!(
            play(&["--replay", "t.jsonl"]).unwrap().replay,
            Some(PathBuf::from("t.jsonl"))
        );
        assert!(play(&["--sync", "--replay", "t.jsonl"]).is_err());
    }
}
