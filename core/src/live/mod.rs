//! The hub's side of the live-cluster sync, as plain data: fixed-size messages, two bounded
//! wait-free queues (rtrb) and a status of atomics. The sync thread itself (kube, tokio,
//! HTTP) lives in the kuberack-sync crate; the hub only ever pushes to and pops from these
//! queues and reads these atomics, so process() never waits and never allocates for it.

pub mod desired;
pub mod heard;
pub mod queue;
pub mod settings;
pub mod status;

pub use desired::{
    diff_into, forge_job_index, Change, DesiredJob, DesiredObject, DesiredQueue, ObjectKey,
    ObjectKind,
};
pub use heard::{HeardEvent, HeardLog};
pub use queue::{queues, HeardName, HubEnd, MirrorKind, Observed, SyncEnd, HEARD_NAME_BYTES};
pub use settings::{LiveLink, SyncSettings};
pub use status::{
    RealPool, RealSummary, Status, SyncState, MAX_REAL_POOLS, REAL_POOL_NODES, SUMMARY_CHANNELS,
};
