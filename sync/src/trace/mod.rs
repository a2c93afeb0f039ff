//! Cluster traces: the real cluster's changes as the mirror saw them, recorded by the sync
//! thread to JSON lines and replayed into a hub by simulated time (PROTOCOL.md, "Cluster
//! traces").

pub mod format;
pub mod prune;
pub mod recorder;
pub mod replay;
pub mod replay_thread;

pub use format::{Header, TraceKind, Verb, FORMAT, VERSION};
pub use recorder::{RecordControl, Recorder};
pub use replay::{Replay, Skipped, Trace};
pub use replay_thread::ReplayThread;
