//! `kuberack play --replay TRACE`: the patch's hubs hear a recorded cluster trace instead of
//! a live cluster. Each hub's SYNC switch is turned on as for `--sync`, but no sync thread
//! runs: between blocks of frames the player feeds the trace's lines that are due by the
//! hub's simulated time (so WARP compresses it and CLOCK steps it) into the hub's queue,
//! through the same mirror the live sync uses. Same trace, patch, seed and sample rate:
//! the same WAV and event trace, byte for byte.

use std::path::Path;
use std::sync::Arc;

use kuberack_core::live::{LiveLink, SyncEnd, SyncState};
use kuberack_protocol::modules::cluster::param;
use kuberack_sync::trace::{Replay, Trace};

use crate::engine::Engine;
use crate::error::{Error, Result};

/// What a replay did, for the summary.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplayReport {
    /// The trace's good lines.
    pub lines: usize,
    /// Of those, taken by the end of the render (per hub, the least).
    pub taken: usize,
    /// Corrupt or truncated lines skipped.
    pub corrupt: u64,
    /// Lines of unknown kinds ignored.
    pub unknown: u64,
    /// The trace's length in seconds (simulated time at WARP 1x).
    pub seconds: f64,
}

impl std::fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "replay:")?;
        writeln!(
            f,
            "  lines              {} of {} taken ({:.3} s of cluster time)",
            self.taken, self.lines, self.seconds
        )?;
        writeln!(
            f,
            "  skipped            {} corrupt, {} of unknown kinds",
            self.corrupt, self.unknown
        )
    }
}

struct HubReplay {
    link: Arc<LiveLink>,
    end: Option<SyncEnd>,
    replay: Replay,
}

/// The trace being fed to every hub of a patch.
pub struct ReplaySession {
    trace: Arc<Trace>,
    hubs: Vec<HubReplay>,
}

impl ReplaySession {
    /// Reads the trace at `path` and turns on SYNC in every hub of `engine`, with the trace
    /// as its cluster. The warnings say what lines were skipped (one per kind of skip).
    /// Fails when the trace cannot be read or the patch has no hub.
    pub fn start(engine: &mut Engine, path: &Path) -> Result<(ReplaySession, Vec<String>)> {
        let trace = Arc::new(Trace::open(path).map_err(Error::usage)?);
        let warnings = trace.warnings(&path.display().to_string());
        let mut hubs = Vec::new();
        for instance in engine.modules_mut() {
            let Some(link) = instance.module().live() else {
                continue;
            };
            let Some(end) = link.take_sync_end() else {
                continue;
            };
            instance.set_param(param::SYNC, 1.0);
            end.status.set_kueue(trace.header.kueue.is_some());
            end.status.set_state(SyncState::Synced);
            hubs.push(HubReplay {
                link,
                end: Some(end),
                replay: Replay::new(Arc::clone(&trace)),
            });
        }
        if hubs.is_empty() {
            return Err(Error::usage("--replay needs a CLUSTER module in the patch"));
        }
        Ok((ReplaySession { trace, hubs }, warnings))
    }

    /// Between blocks: what the hubs asked to write is dropped (a trace is not written
    /// to), and the lines due by each hub's simulated time are fed to it.
    pub fn feed(&mut self) {
        for hub in &mut self.hubs {
            let Some(end) = hub.end.as_mut() else {
                continue;
            };
            while end.pop_desired().is_some() {}
            let now = end.status.hub_time();
            hub.replay.feed(end, now);
        }
    }

    /// Gives the hubs their queue ends back; what the replay did.
    pub fn finish(mut self) -> ReplayReport {
        let taken = self.hubs.iter().map(|h| h.replay.taken()).min();
        for hub in &mut self.hubs {
            if let Some(end) = hub.end.take() {
                end.status.set_state(SyncState::Off);
                hub.link.return_sync_end(end);
            }
        }
        ReplayReport {
            lines: self.trace.len(),
            taken: taken.unwrap_or(0),
            corrupt: self.trace.corrupt.lines,
            unknown: self.trace.unknown.lines,
            seconds: self.trace.duration(),
        }
    }
}
