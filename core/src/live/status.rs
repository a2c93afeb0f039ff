//! The sync thread's state as the hub sees it: atomics the audio thread may read wait-free,
//! and the last error's text for the display and the log (never read by the audio thread).

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

/// The status light's states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SyncState {
    /// Sync is not running.
    Off = 0,
    /// Connecting or reconnecting to the API server.
    Connecting = 1,
    /// Connected; desired state written and watches running.
    Synced = 2,
    /// Connected, but some writes or watches fail (refused objects, conflicts, missing rights).
    Degraded = 3,
    /// Cannot work: unreachable, unauthorised, or a bad configuration; retried with backoff.
    Error = 4,
}

impl SyncState {
    fn from_u8(v: u8) -> SyncState {
        match v {
            1 => SyncState::Connecting,
            2 => SyncState::Synced,
            3 => SyncState::Degraded,
            4 => SyncState::Error,
            _ => SyncState::Off,
        }
    }
}

/// The real cluster in a few numbers, as the sync thread last saw it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RealSummary {
    /// Nodes.
    pub nodes: u32,
    /// Nodes whose Ready condition is True.
    pub ready_nodes: u32,
    /// The nodes' allocatable CPU, millicores.
    pub cpu_allocatable_m: u64,
    /// CPU requested by the bound, not yet finished pods in scope, millicores.
    pub cpu_requested_m: u64,
}

impl RealSummary {
    /// Requested over allocatable CPU, 0..1 (0 without allocatable CPU).
    pub fn cpu_utilisation(&self) -> f32 {
        if self.cpu_allocatable_m == 0 {
            return 0.0;
        }
        (self.cpu_requested_m as f64 / self.cpu_allocatable_m as f64).min(1.0) as f32
    }
}

/// Real node pools the status holds at most (NODE modules with labelled real nodes).
pub const MAX_REAL_POOLS: usize = 16;
/// Real nodes of one pool whose utilisation is shown, at most (a cable's channels).
pub const REAL_POOL_NODES: usize = 16;

/// Channels of the real cluster's summary on the hub's UTIL cable.
pub const SUMMARY_CHANNELS: usize = 16;

/// The real nodes labelled for one NODE module (`kuberack.io/module=node-<module id>`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RealPool {
    /// The NODE's Rack module id.
    pub module: u64,
    /// Nodes.
    pub nodes: u32,
    /// Ready nodes.
    pub ready: u32,
    /// Cordoned nodes.
    pub cordoned: u32,
    /// CPU requested over allocatable of the first [`REAL_POOL_NODES`] nodes by name, 0..1.
    pub utilisation: [f32; REAL_POOL_NODES],
}

/// One [`RealPool`] as atomics.
#[derive(Debug, Default)]
struct PoolCell {
    module: AtomicU64,
    nodes: AtomicU32,
    ready: AtomicU32,
    cordoned: AtomicU32,
    utilisation: [AtomicU32; REAL_POOL_NODES],
}

/// Shared between the hub and the sync thread.
#[derive(Debug, Default)]
pub struct Status {
    state: AtomicU8,
    wanted: AtomicBool,
    session: AtomicU32,
    stop: AtomicBool,
    kueue: AtomicBool,
    writes: AtomicU64,
    refused: AtomicU64,
    dropped_events: AtomicU64,
    dropped_jobs: AtomicU64,
    heard_events: AtomicU64,
    drift_corrections: AtomicU64,
    applied_objects: AtomicU64,
    errors: Mutex<Vec<(String, u64)>>,
    last_error: Mutex<String>,
    real_known: AtomicBool,
    real_nodes: AtomicU32,
    real_ready_nodes: AtomicU32,
    real_cpu_allocatable_m: AtomicU64,
    real_cpu_requested_m: AtomicU64,
    real_pools: [PoolCell; MAX_REAL_POOLS],
    real_channels: [AtomicU32; SUMMARY_CHANNELS],
    real_channel_count: AtomicU32,
    /// The hub's simulated time at its last control tick, seconds, as f64 bits.
    hub_time: AtomicU64,
}

impl Status {
    /// The current state (wait-free).
    pub fn state(&self) -> SyncState {
        SyncState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// The hub's simulated time at its last control tick, seconds (a replayed trace follows
    /// it: WARP and CLOCK pace the replay). Wait-free.
    pub fn hub_time(&self) -> f64 {
        f64::from_bits(self.hub_time.load(Ordering::Acquire))
    }

    /// Publishes the hub's simulated time (wait-free, for the audio thread).
    pub fn set_hub_time(&self, seconds: f64) {
        self.hub_time.store(seconds.to_bits(), Ordering::Release);
    }

    /// Whether the hub wants sync on (its SYNC switch or gate); written by the hub.
    pub fn wanted(&self) -> bool {
        self.wanted.load(Ordering::Acquire)
    }

    /// The hub's SYNC switch or gate (wait-free, for the audio thread).
    pub fn set_wanted(&self, on: bool) {
        self.wanted.store(on, Ordering::Release);
    }

    /// Counts sync sessions; a new one makes the hub send its whole desired state again.
    pub fn session(&self) -> u32 {
        self.session.load(Ordering::Acquire)
    }

    /// Marks the start of a new sync session and clears the stop request.
    pub fn begin_session(&self) {
        self.stop.store(false, Ordering::Release);
        self.session.fetch_add(1, Ordering::AcqRel);
    }

    /// Asks the sync thread to stop (wait-free; the thread notices within a poll period).
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Release);
    }

    /// Whether a stop was requested.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Whether discovery found the Kueue API group.
    pub fn kueue_found(&self) -> bool {
        self.kueue.load(Ordering::Acquire)
    }

    /// Writes (apply or delete requests) that the API server accepted.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// Writes the label guard refused.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Acquire)
    }

    /// Observed events dropped because the hub's queue was full.
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events.load(Ordering::Acquire)
    }

    /// Job creations dropped because too many were waiting to be written.
    pub fn dropped_jobs(&self) -> u64 {
        self.dropped_jobs.load(Ordering::Acquire)
    }

    /// Counts a Job creation dropped while too many were waiting.
    pub fn count_dropped_job(&self) {
        self.dropped_jobs.fetch_add(1, Ordering::AcqRel);
    }

    /// The last error's text, empty if none (takes a lock: not for the audio thread).
    pub fn last_error(&self) -> String {
        self.last_error
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Sets the state.
    pub fn set_state(&self, state: SyncState) {
        self.state.store(state as u8, Ordering::Release);
    }

    /// Sets the state and records `text` as the last error (the sync thread also logs it).
    pub fn fail(&self, state: SyncState, text: String) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = text;
        }
        self.set_state(state);
    }

    /// Records whether discovery found the Kueue API group.
    pub fn set_kueue(&self, found: bool) {
        self.kueue.store(found, Ordering::Release);
    }

    /// Counts a write the API server accepted.
    pub fn count_write(&self) {
        self.writes.fetch_add(1, Ordering::AcqRel);
    }

    /// Counts a write the label guard refused.
    pub fn count_refused(&self) {
        self.refused.fetch_add(1, Ordering::AcqRel);
    }

    /// The real cluster's summary once the sync thread has listed it, `None` before and after
    /// a session (wait-free; its fields are read one by one, so one may be a tick newer).
    pub fn real(&self) -> Option<RealSummary> {
        if !self.real_known.load(Ordering::Acquire) {
            return None;
        }
        Some(RealSummary {
            nodes: self.real_nodes.load(Ordering::Acquire),
            ready_nodes: self.real_ready_nodes.load(Ordering::Acquire),
            cpu_allocatable_m: self.real_cpu_allocatable_m.load(Ordering::Acquire),
            cpu_requested_m: self.real_cpu_requested_m.load(Ordering::Acquire),
        })
    }

    /// Publishes the real cluster's summary (`None`: not known).
    pub fn set_real(&self, real: Option<RealSummary>) {
        let Some(r) = real else {
            self.real_known.store(false, Ordering::Release);
            self.set_real_pools(&[]);
            self.set_real_channels(&[]);
            return;
        };
        self.real_nodes.store(r.nodes, Ordering::Release);
        self.real_ready_nodes
            .store(r.ready_nodes, Ordering::Release);
        self.real_cpu_allocatable_m
            .store(r.cpu_allocatable_m, Ordering::Release);
        self.real_cpu_requested_m
            .store(r.cpu_requested_m, Ordering::Release);
        self.real_known.store(true, Ordering::Release);
    }

    /// Publishes the real pools (the first [`MAX_REAL_POOLS`]); the others are cleared.
    pub fn set_real_pools(&self, pools: &[RealPool]) {
        for (i, cell) in self.real_pools.iter().enumerate() {
            let pool = pools.get(i).copied().unwrap_or_default();
            cell.nodes.store(pool.nodes, Ordering::Release);
            cell.ready.store(pool.ready, Ordering::Release);
            cell.cordoned.store(pool.cordoned, Ordering::Release);
            for (c, u) in cell.utilisation.iter().zip(pool.utilisation) {
                c.store(u.to_bits(), Ordering::Release);
            }
            cell.module.store(pool.module, Ordering::Release);
        }
    }

    /// Publishes the real cluster's summary channels (at most [`SUMMARY_CHANNELS`], 0..1).
    pub fn set_real_channels(&self, channels: &[f32]) {
        let n = channels.len().min(SUMMARY_CHANNELS);
        for (cell, v) in self.real_channels.iter().zip(channels) {
            cell.store(v.to_bits(), Ordering::Release);
        }
        self.real_channel_count.store(n as u32, Ordering::Release);
    }

    /// Copies the real cluster's summary channels into `out`; returns how many there are
    /// (0 before the cluster was listed). Wait-free.
    pub fn real_channels(&self, out: &mut [f32; SUMMARY_CHANNELS]) -> usize {
        if !self.real_known.load(Ordering::Acquire) {
            return 0;
        }
        let n = (self.real_channel_count.load(Ordering::Acquire) as usize).min(SUMMARY_CHANNELS);
        for (o, cell) in out.iter_mut().zip(&self.real_channels).take(n) {
            *o = f32::from_bits(cell.load(Ordering::Acquire));
        }
        n
    }

    /// The real pool of NODE module `module` while the real cluster is known (wait-free).
    pub fn real_pool(&self, module: u64) -> Option<RealPool> {
        if module == 0 || !self.real_known.load(Ordering::Acquire) {
            return None;
        }
        let cell = self
            .real_pools
            .iter()
            .find(|c| c.module.load(Ordering::Acquire) == module)?;
        let mut pool = RealPool {
            module,
            nodes: cell.nodes.load(Ordering::Acquire),
            ready: cell.ready.load(Ordering::Acquire),
            cordoned: cell.cordoned.load(Ordering::Acquire),
            utilisation: [0.0; REAL_POOL_NODES],
        };
        for (u, c) in pool.utilisation.iter_mut().zip(&cell.utilisation) {
            *u = f32::from_bits(c.load(Ordering::Acquire));
        }
        Some(pool)
    }

    /// Counts an observed event dropped on a full queue.
    pub fn count_dropped_event(&self) {
        self.dropped_events.fetch_add(1, Ordering::AcqRel);
    }

    /// Real-cluster events the sync thread heard and handed to the hub (or dropped).
    pub fn heard_events(&self) -> u64 {
        self.heard_events.load(Ordering::Acquire)
    }

    /// Counts a real-cluster event heard.
    pub fn count_heard_event(&self) {
        self.heard_events.fetch_add(1, Ordering::AcqRel);
    }

    /// Times an owned object's drift (a change or deletion by someone else) was undone.
    pub fn drift_corrections(&self) -> u64 {
        self.drift_corrections.load(Ordering::Acquire)
    }

    /// Counts a drift correction.
    pub fn count_drift_correction(&self) {
        self.drift_corrections.fetch_add(1, Ordering::AcqRel);
    }

    /// Distinct objects the sync applied at least once.
    pub fn applied_objects(&self) -> u64 {
        self.applied_objects.load(Ordering::Acquire)
    }

    /// Sets the number of distinct objects applied.
    pub fn set_applied_objects(&self, n: u64) {
        self.applied_objects.store(n, Ordering::Release);
    }

    /// Counts a failed request on `resource` (e.g. `deployments.apps`; empty: the
    /// connection). Takes a lock: not for the audio thread.
    pub fn count_error(&self, resource: &str) {
        if let Ok(mut errors) = self.errors.lock() {
            match errors.iter_mut().find(|(r, _)| r == resource) {
                Some((_, n)) => *n += 1,
                None => errors.push((resource.to_owned(), 1)),
            }
        }
    }

    /// Failed requests by resource, in the order first seen (takes a lock).
    pub fn errors(&self) -> Vec<(String, u64)> {
        self.errors.lock().map(|e| e.clone()).unwrap_or_default()
    }
}
