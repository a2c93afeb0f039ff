//! How the sync thread reaches a cluster and what it may do there. Nothing here is saved in a
//! patch except the namespace, the context name and the switches; credentials stay in the
//! kubeconfig.

use crate::trace::RecordControl;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the API server and its credentials come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterSource {
    /// A kubeconfig: `path` (else KUBECONFIG, else ~/.kube/config) and `context` (else its
    /// current context).
    Kubeconfig {
        /// An explicit kubeconfig file.
        path: Option<PathBuf>,
        /// The context to use.
        context: Option<String>,
    },
    /// A plain URL without credentials (local test servers such as the stand-in).
    Url(String),
}

/// The sync thread's settings.
#[derive(Clone, Debug)]
pub struct SyncConfig {
    /// Where the cluster is.
    pub source: ClusterSource,
    /// The one namespace KubeRack writes in and watches (default `kuberack`).
    pub namespace: String,
    /// Watch only; write nothing at all.
    pub mirror_only: bool,
    /// A label selector scoping the pods the mirror watches (`None`: every pod of the
    /// namespace).
    pub label_selector: Option<String>,
    /// On stop, delete the objects KubeRack created (default: leave them).
    pub delete_on_stop: bool,
    /// Writes per object per second at most (default 5).
    pub writes_per_second: f64,
    /// The image of the pods of KubeRack's Jobs (default [`crate::manifest::JOB_IMAGE`]);
    /// it must have `sleep` and `sh`.
    pub job_image: String,
    /// Job creations held at most while they cannot be written (more are dropped and
    /// counted).
    pub max_pending_jobs: usize,
    /// Seed of the backoff jitter.
    pub seed: u64,
    /// First retry delay.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_cap: Duration,
    /// A request not answered within this is a stalled server.
    pub request_timeout: Duration,
    /// How often the thread polls the desired-state queue and the stop flag.
    pub poll_period: Duration,
    /// Where the host wants the cluster recorded (none by default); followed each poll.
    pub recording: Arc<RecordControl>,
}

impl SyncConfig {
    /// Defaults for a source.
    pub fn new(source: ClusterSource) -> SyncConfig {
        SyncConfig {
            source,
            namespace: "kuberack".to_owned(),
            mirror_only: false,
            label_selector: None,
            delete_on_stop: false,
            writes_per_second: 5.0,
            job_image: crate::manifest::JOB_IMAGE.to_owned(),
            max_pending_jobs: 256,
            seed: 0x6b75_6265_7261_636b,
            backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            poll_period: Duration::from_millis(5),
            recording: Arc::default(),
        }
    }
}
