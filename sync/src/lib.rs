//! KubeRack's live-cluster sync. One dedicated thread runs kube and a single-threaded tokio
//! runtime; the hub talks to it only through two bounded wait-free queues ([`queue`]):
//! desired-state changes out, observed real-cluster events in. The logic (diff, coalescing,
//! backoff, label guard, event mapping) lives in its own modules and is tested on its own.

pub mod backoff;
pub mod coalesce;
pub mod config;
pub mod desired;
pub mod errors;
pub mod labels;
pub mod manifest;
pub mod mirror;
pub mod queue;
pub mod status;
pub mod worker;

pub use config::{ClusterSource, SyncConfig};
pub use desired::{Change, DesiredObject, ObjectKey, ObjectKind};
pub use queue::{queues, HubEnd, Observed, SyncEnd};
pub use status::{Status, SyncState};
pub use worker::{spawn, SyncThread};
