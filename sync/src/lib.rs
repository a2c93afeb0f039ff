//! KubeRack's live-cluster sync. One dedicated thread runs kube and a single-threaded tokio
//! runtime; the hub talks to it only through two bounded wait-free queues
//! ([`kuberack_core::live`]):
//! desired-state changes out, observed real-cluster events in. The logic (diff, coalescing,
//! backoff, label guard, event mapping) lives in its own modules and is tested on its own.

pub mod backoff;
pub mod coalesce;
pub mod config;
pub mod drift;
pub mod errors;
pub mod export;
pub mod import;
pub mod kueue;
pub mod labels;
pub mod manifest;
pub mod mirror;
pub mod mirror_state;
pub mod pod_terms;
pub mod pod_terms_text;
pub mod selector;
pub mod summary;
pub mod supervisor;
pub mod trace;
pub mod worker;
pub mod workloads;

pub use config::{ClusterSource, SyncConfig};
pub use kuberack_core::live::{
    queues, Change, DesiredJob, DesiredObject, DesiredQueue, HubEnd, LiveLink, MirrorKind,
    ObjectKey, ObjectKind, Observed, RealSummary, Status, SyncEnd, SyncSettings, SyncState,
};
pub use supervisor::Supervisor;
pub use worker::{spawn, SyncThread};
