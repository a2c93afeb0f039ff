//! A trace replayed into a hub from a thread of its own (Rack): the thread follows the hub's
//! simulated time, published on the status each control tick, and feeds the lines due, so
//! the audio thread only pops its queue. Paced by the hub's time, not the wall clock: WARP
//! and CLOCK apply; heard within a poll period (2 ms) of its due time.

use super::replay::{Replay, Trace};
use kuberack_core::live::{SyncEnd, SyncState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the thread looks at the hub's time.
pub const POLL_PERIOD: Duration = Duration::from_millis(2);

/// A running replay.
pub struct ReplayThread {
    handle: JoinHandle<SyncEnd>,
    stop: Arc<AtomicBool>,
    finished: Arc<AtomicBool>,
}

impl ReplayThread {
    /// Replays `trace` into the hub whose queue end is `end`, from the hub's time now.
    pub fn spawn(trace: Arc<Trace>, end: SyncEnd) -> std::io::Result<ReplayThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let (stop_flag, done) = (Arc::clone(&stop), Arc::clone(&finished));
        end.status.set_kueue(trace.header.kueue.is_some());
        end.status.set_state(SyncState::Synced);
        let handle = std::thread::Builder::new()
            .name("kuberack-replay".to_owned())
            .spawn(move || {
                let mut end = end;
                let mut replay = Replay::new(trace);
                // A panic in the mirror ends the replay, never the host.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    while !stop_flag.load(Ordering::Acquire) {
                        while end.pop_desired().is_some() {}
                        let now = end.status.hub_time();
                        replay.feed(&mut end, now);
                        done.store(replay.finished(), Ordering::Release);
                        std::thread::sleep(POLL_PERIOD);
                    }
                }));
                done.store(true, Ordering::Release);
                end.status.set_state(SyncState::Off);
                end
            })?;
        Ok(ReplayThread {
            handle,
            stop,
            finished,
        })
    }

    /// Whether every line has been fed (or the replay ended on a fault).
    pub fn finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// Stops the replay and waits for the thread (at most a poll period); the queue end,
    /// unless the thread could not hand it back.
    pub fn stop(self) -> Option<SyncEnd> {
        self.stop.store(true, Ordering::Release);
        self.handle.join().ok()
    }
}
