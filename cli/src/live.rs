//! `kuberack play --sync`: the patch's hubs drive a real cluster while the player renders
//! in real time. Each hub's SYNC switch is turned on and a supervisor runs its sync thread,
//! exactly as the Rack plugin does from its UI thread.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kuberack_core::live::SyncSettings;
use kuberack_protocol::modules::cluster::param;
use kuberack_sync::Supervisor;

use crate::engine::Engine;
use crate::error::{Error, Result};

/// What `--sync` and its companions ask for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncOptions {
    /// The kubeconfig context (else the hub's, else the current one).
    pub context: Option<String>,
    /// The namespace (else the hub's).
    pub namespace: Option<String>,
    /// Watch only, write nothing.
    pub mirror_only: bool,
    /// The label selector of the pods watched (else the hub's).
    pub selector: Option<String>,
    /// Record the real cluster's changes to this cluster trace.
    pub record_cluster: Option<PathBuf>,
}

/// What one hub's live sync did, for the summary after `play --sync`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiveReport {
    /// The hub's Rack module id.
    pub module_id: i64,
    /// Distinct objects applied at least once.
    pub objects_applied: u64,
    /// Writes (applies and deletes) the API server accepted.
    pub writes: u64,
    /// Writes the label guard refused (objects KubeRack does not own).
    pub refused: u64,
    /// Failed requests by resource (empty resource: the connection).
    pub errors: Vec<(String, u64)>,
    /// Real-cluster events heard.
    pub events_heard: u64,
    /// Of those, dropped on the hub's full queue.
    pub events_dropped: u64,
    /// Job creations dropped while too many waited.
    pub jobs_dropped: u64,
    /// Owned objects changed or deleted by someone else and written again.
    pub drift_corrections: u64,
    /// Lines of the cluster trace recorded (`--record-cluster`), and why recording
    /// stopped early (empty: it did not).
    pub recorded: Option<(u64, String)>,
}

impl std::fmt::Display for LiveReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "live sync of cluster {}:", self.module_id)?;
        writeln!(f, "  objects applied    {}", self.objects_applied)?;
        writeln!(f, "  writes             {}", self.writes)?;
        writeln!(f, "  refused (foreign)  {}", self.refused)?;
        let errors: Vec<String> = self
            .errors
            .iter()
            .map(|(r, n)| format!("{} {n}", if r.is_empty() { "connection" } else { r }))
            .collect();
        let errors = if errors.is_empty() {
            "none".to_owned()
        } else {
            errors.join(", ")
        };
        writeln!(f, "  errors             {errors}")?;
        writeln!(
            f,
            "  events heard       {} ({} dropped)",
            self.events_heard, self.events_dropped
        )?;
        writeln!(f, "  jobs dropped       {}", self.jobs_dropped)?;
        writeln!(f, "  drift corrections  {}", self.drift_corrections)?;
        match &self.recorded {
            Some((lines, error)) if error.is_empty() => {
                writeln!(f, "  cluster recorded   {lines} lines")
            }
            Some((lines, error)) => writeln!(f, "  cluster recorded   {lines} lines ({error})"),
            None => Ok(()),
        }
    }
}

/// The supervisors of every hub of a patch, and the real-time pacing of the render.
pub struct LiveSession {
    supervisors: Vec<(i64, Supervisor)>,
    started: Instant,
    sample_rate: f64,
}

impl LiveSession {
    /// Turns on SYNC in every hub of `engine` with `options` over the hub's saved settings.
    /// Fails when the patch has no hub or the options are invalid.
    pub fn start(engine: &mut Engine, options: &SyncOptions) -> Result<LiveSession> {
        let mut supervisors = Vec::new();
        for instance in engine.modules_mut() {
            let Some(link) = instance.module().live() else {
                continue;
            };
            let mut settings = link.settings();
            if let Some(ns) = &options.namespace {
                settings.namespace = ns.clone();
            }
            if let Some(ctx) = &options.context {
                settings.context = ctx.clone();
            }
            settings.mirror_only |= options.mirror_only;
            if let Some(selector) = &options.selector {
                settings.selector = selector.clone();
            }
            let (settings, note) = SyncSettings::sanitized(settings);
            if let Some(note) = note {
                return Err(Error::usage(note));
            }
            link.set_settings(settings);
            instance.set_param(param::SYNC, 1.0);
            supervisors.push((instance.id(), Supervisor::new(link)));
        }
        if supervisors.is_empty() {
            return Err(Error::usage("--sync needs a CLUSTER module in the patch"));
        }
        if let Some(path) = &options.record_cluster {
            if supervisors.len() > 1 {
                return Err(Error::usage(
                    "--record-cluster records one hub's cluster: the patch has several CLUSTERs",
                ));
            }
            // Fails here, not in the sync thread, when the file cannot be written.
            std::fs::File::create(path).map_err(|e| Error::io("cannot create", path, e))?;
            supervisors[0].1.record_to(Some(path.clone()));
        }
        Ok(LiveSession {
            supervisors,
            started: Instant::now(),
            sample_rate: engine.sample_rate().into(),
        })
    }

    /// Between blocks of frames: follows every hub's SYNC state and waits until `frame`
    /// is due in real time.
    pub fn pace(&mut self, frame: u64) {
        for (_, s) in &mut self.supervisors {
            s.poll();
        }
        let due = Duration::from_secs_f64(frame as f64 / self.sample_rate);
        if let Some(wait) = due.checked_sub(self.started.elapsed()) {
            std::thread::sleep(wait);
        }
    }

    /// Stops every sync thread and waits for them (deleting what they created when a hub
    /// is set so); what each did.
    pub fn finish(mut self) -> Vec<LiveReport> {
        let mut reports = Vec::new();
        for (module_id, s) in &mut self.supervisors {
            s.shutdown();
            let status = s.status();
            reports.push(LiveReport {
                module_id: *module_id,
                objects_applied: status.applied_objects(),
                writes: status.writes(),
                refused: status.refused(),
                errors: status.errors(),
                events_heard: status.heard_events(),
                events_dropped: status.dropped_events(),
                jobs_dropped: status.dropped_jobs(),
                drift_corrections: status.drift_corrections(),
                recorded: s.recording_wanted().then(|| {
                    let control = s.recording();
                    (control.lines(), control.last_error())
                }),
            });
        }
        reports
    }
}
