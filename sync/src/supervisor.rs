//! Starts and stops a hub's sync thread as the hub's SYNC switch or gate asks. A host calls
//! [`Supervisor::poll`] often from a thread of its own (Rack: the UI thread, each frame; the
//! player: between blocks); it never blocks, so turning SYNC off costs no glitch anywhere.

use std::sync::Arc;

use kuberack_core::live::{LiveLink, SyncState};

use crate::config::{ClusterSource, SyncConfig};
use crate::trace::{RecordControl, ReplayThread, Trace};
use crate::worker::{spawn, SyncThread};

/// One hub's sync thread, if running, and the one still stopping.
pub struct Supervisor {
    link: Arc<LiveLink>,
    source: Option<ClusterSource>,
    running: Option<SyncThread>,
    stopping: Option<SyncThread>,
    /// The thread ended by itself (a contained panic): wait for SYNC to go off and on again.
    exited: bool,
    tune: fn(&mut SyncConfig),
    recording: Arc<RecordControl>,
    replay: Option<ReplayThread>,
}

impl Supervisor {
    /// The hub's shared sync status (state, counters).
    pub fn status(&self) -> &Arc<kuberack_core::live::Status> {
        &self.link.status
    }

    /// A supervisor for the hub owning `link`; the cluster comes from the kubeconfig (its
    /// context from the hub's settings).
    pub fn new(link: Arc<LiveLink>) -> Supervisor {
        Supervisor {
            link,
            source: None,
            running: None,
            stopping: None,
            exited: false,
            tune: |_| {},
            recording: Arc::default(),
            replay: None,
        }
    }

    /// Uses `source` instead of the kubeconfig (a test server, an explicit kubeconfig file).
    pub fn with_source(mut self, source: ClusterSource) -> Supervisor {
        self.source = Some(source);
        self
    }

    /// Adjusts every configuration before a start (timeouts, backoff, rate).
    pub fn with_tuning(mut self, tune: fn(&mut SyncConfig)) -> Supervisor {
        self.tune = tune;
        self
    }

    /// The configuration the next start uses: the hub's settings over the defaults.
    pub fn config(&self) -> SyncConfig {
        let settings = self.link.settings();
        let source = self.source.clone().unwrap_or(ClusterSource::Kubeconfig {
            path: None,
            context: (!settings.context.is_empty()).then(|| settings.context.clone()),
        });
        let mut config = SyncConfig::new(source);
        config.namespace = settings.namespace;
        config.mirror_only = settings.mirror_only;
        config.label_selector = (!settings.selector.is_empty()).then_some(settings.selector);
        config.delete_on_stop = settings.delete_on_stop;
        config.recording = Arc::clone(&self.recording);
        (self.tune)(&mut config);
        config
    }

    /// Records the cluster to `path` while sync runs (from now, or from the next start), or
    /// stops recording (`None`); see [`RecordControl`] for how it goes.
    pub fn record_to(&self, path: Option<std::path::PathBuf>) {
        self.recording.record_to(path);
    }

    /// Whether recording was asked for (by the last [`Supervisor::record_to`]).
    pub fn recording_wanted(&self) -> bool {
        self.recording.wanted().is_some()
    }

    /// How recording goes.
    pub fn recording(&self) -> &Arc<RecordControl> {
        &self.recording
    }

    /// Replays `trace` into the hub instead of a live cluster, until [`Supervisor::stop_replay`]
    /// (a replay running already is stopped first). Fails while a sync thread holds the
    /// hub's queue (turn SYNC off first); while the replay runs no sync thread starts.
    pub fn start_replay(&mut self, trace: Trace) -> Result<(), String> {
        self.stop_replay();
        if self.running.is_some() || self.stopping.is_some() {
            return Err("live sync is running: turn SYNC off to replay a trace".to_owned());
        }
        let end = self
            .link
            .take_sync_end()
            .ok_or_else(|| "the hub's queue is in use".to_owned())?;
        let status = Arc::clone(&end.status);
        match ReplayThread::spawn(Arc::new(trace), end) {
            Ok(thread) => {
                self.replay = Some(thread);
                Ok(())
            }
            Err(e) => {
                status.set_state(SyncState::Off);
                Err(format!("cannot start the replay thread: {e}"))
            }
        }
    }

    /// Stops a replay (waits at most a replay poll period); the hub is off the trace.
    pub fn stop_replay(&mut self) {
        if let Some(end) = self.replay.take().and_then(ReplayThread::stop) {
            self.link.return_sync_end(end);
        }
    }

    /// Whether a trace is being replayed (`Some(true)`: every line fed).
    pub fn replaying(&self) -> Option<bool> {
        self.replay.as_ref().map(ReplayThread::finished)
    }

    /// Whether a sync thread is running (not counting one still stopping).
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Follows the hub: starts the thread when sync is wanted, asks it to stop when not, and
    /// takes back the queue end of a thread that has ended. Never waits for the thread.
    pub fn poll(&mut self) {
        self.reap();
        let status = Arc::clone(&self.link.status);
        let wanted = status.wanted();
        if !wanted {
            self.exited = false;
            if let Some(thread) = self.running.take() {
                thread.request_stop();
                self.stopping = Some(thread);
                self.reap();
            }
            return;
        }
        if self.running.as_ref().is_some_and(SyncThread::is_finished) {
            self.stopping = self.running.take();
            self.exited = true;
            self.reap();
        }
        if self.running.is_some() || self.stopping.is_some() || self.exited {
            return;
        }
        let Some(end) = self.link.take_sync_end() else {
            return;
        };
        status.set_state(SyncState::Connecting);
        match spawn(self.config(), end) {
            Ok(thread) => self.running = Some(thread),
            Err(e) => {
                let text = format!("cannot start the sync thread: {e}");
                eprintln!("kuberack-sync: {text}");
                status.fail(SyncState::Error, text);
                self.exited = true;
            }
        }
    }

    /// Stops the thread and waits for it (blocks up to a request timeout: for shutdown and
    /// tests, not for a UI frame).
    pub fn shutdown(&mut self) {
        self.stop_replay();
        for thread in [self.running.take(), self.stopping.take()]
            .into_iter()
            .flatten()
        {
            if let Some(end) = thread.stop() {
                self.link.return_sync_end(end);
            }
        }
        self.link.status.set_state(SyncState::Off);
    }

    fn reap(&mut self) {
        if !self.stopping.as_ref().is_some_and(SyncThread::is_finished) {
            return;
        }
        if let Some(end) = self.stopping.take().and_then(SyncThread::stop) {
            self.link.return_sync_end(end);
        }
        if !self.link.status.wanted() {
            self.link.status.set_state(SyncState::Off);
        }
    }
}

impl Drop for Supervisor {
    /// Asks a running thread to stop without waiting: it ends by itself (after deleting what
    /// it created, when so configured).
    fn drop(&mut self) {
        self.stop_replay();
        for thread in [&self.running, &self.stopping].into_iter().flatten() {
            thread.request_stop();
        }
    }
}
