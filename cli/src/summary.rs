//! The summary printed after a render.

use std::fmt;
use std::path::PathBuf;

use crate::engine::Engine;
use crate::events::HubTrace;
use crate::hub::{seed_of, world_of};
use crate::load::Skipped;

/// What one hub's world did during the render.
#[derive(Debug, Clone, PartialEq)]
pub struct HubSummary {
    /// Rack module id of the hub.
    pub module_id: i64,
    /// The seed its world ran with.
    pub seed: u64,
    /// Simulated seconds at the end.
    pub simulated_seconds: f64,
    /// etcd revisions written (the newest revision).
    pub revisions: u64,
    /// Pods the scheduler bound.
    pub pods_scheduled: u64,
    /// Scheduling attempts that found no feasible node.
    pub failed_attempts: u64,
    /// Pods created.
    pub pods_created: u64,
    /// Pods deleted.
    pub pods_deleted: u64,
    /// Pods evicted.
    pub evictions: u64,
    /// Highest cluster CPU utilisation seen, 0..1.
    pub peak_cpu_utilisation: f32,
    /// Events written to the trace.
    pub events: u64,
    /// Events lost before they could be read.
    pub lost: u64,
    /// Real-cluster events written to the trace (live sync).
    pub heard: u64,
}

/// One module of the patch as the summary lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleLine {
    /// Rack module id.
    pub id: i64,
    /// Module name (CLUSTER, NODE ...).
    pub name: &'static str,
    /// Whether it was bypassed.
    pub bypassed: bool,
}

/// Everything the player reports after a render.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Frames rendered.
    pub samples: u64,
    /// Sample rate (Hz).
    pub sample_rate: u32,
    /// The seed given on the command line, if any.
    pub seed: Option<u64>,
    /// One entry per hub, in patch order.
    pub hubs: Vec<HubSummary>,
    /// KubeRack modules, in patch order.
    pub modules: Vec<ModuleLine>,
    /// Modules of other plugins that were skipped.
    pub skipped: Vec<Skipped>,
    /// The WAV written and its channels.
    pub wav: Option<(PathBuf, Vec<String>)>,
    /// The event trace written.
    pub events: Option<PathBuf>,
    /// What live sync did, per hub (`play --sync` only).
    pub live: Vec<crate::live::LiveReport>,
    /// What the replay of a cluster trace did (`play --replay` only).
    pub replay: Option<crate::replay::ReplayReport>,
}

impl Summary {
    /// Collects the summary from an engine after a render.
    pub fn collect(engine: &Engine, traces: &[HubTrace], sample_rate: u32) -> Summary {
        let hubs = traces
            .iter()
            .filter_map(|t| {
                let module = engine.modules()[t.index].module();
                let world = world_of(module)?;
                let s = world.stats();
                Some(HubSummary {
                    module_id: t.module_id,
                    seed: seed_of(module).unwrap_or_default(),
                    simulated_seconds: world.time(),
                    revisions: world.events().newest_revision(),
                    pods_scheduled: s.pods_scheduled,
                    failed_attempts: s.failed_attempts,
                    pods_created: s.pods_created,
                    pods_deleted: s.pods_deleted,
                    evictions: s.evictions,
                    peak_cpu_utilisation: s.peak_cpu_utilisation,
                    events: t.events,
                    lost: t.lost,
                    heard: t.heard,
                })
            })
            .collect();
        let modules = engine
            .modules()
            .iter()
            .map(|m| ModuleLine {
                id: m.id(),
                name: m.descriptor().name,
                bypassed: m.bypassed(),
            })
            .collect();
        Summary {
            samples: engine.frame(),
            sample_rate,
            seed: None,
            hubs,
            modules,
            skipped: Vec::new(),
            wav: None,
            events: None,
            live: Vec::new(),
            replay: None,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.samples as f64 / f64::from(self.sample_rate);
        writeln!(
            f,
            "rendered {seconds:.3} s: {} samples at {} Hz, {}",
            self.samples,
            self.sample_rate,
            self.seed.map_or_else(
                || "seeds as saved in the patch".to_owned(),
                |s| format!("seed {s} (from --seed)")
            )
        )?;
        for h in &self.hubs {
            writeln!(f, "cluster {} (CLUSTER):", h.module_id)?;
            writeln!(f, "  seed               {}", h.seed)?;
            writeln!(f, "  simulated time     {:.3} s", h.simulated_seconds)?;
            writeln!(f, "  etcd revisions     {}", h.revisions)?;
            writeln!(f, "  pods created       {}", h.pods_created)?;
            writeln!(f, "  pods scheduled     {}", h.pods_scheduled)?;
            writeln!(f, "  failed attempts    {}", h.failed_attempts)?;
            writeln!(f, "  pods deleted       {}", h.pods_deleted)?;
            writeln!(f, "  evictions          {}", h.evictions)?;
            writeln!(
                f,
                "  peak utilisation   {:.1} % CPU",
                f64::from(h.peak_cpu_utilisation) * 100.0
            )?;
            write!(f, "  events             {}", h.events)?;
            if h.lost > 0 {
                write!(f, " ({} lost before they could be read)", h.lost)?;
            }
            writeln!(f)?;
        }
        if self.hubs.is_empty() {
            writeln!(f, "no CLUSTER in the patch: nothing was simulated")?;
        }
        for report in &self.live {
            write!(f, "{report}")?;
        }
        if let Some(report) = &self.replay {
            write!(f, "{report}")?;
        }
        writeln!(f, "modules:")?;
        for m in &self.modules {
            let state = if m.bypassed { "  (bypassed)" } else { "" };
            writeln!(f, "  {:<12} {}{state}", m.name, m.id)?;
        }
        for s in &self.skipped {
            writeln!(f, "  {:<12} {}  (skipped: {})", "-", s.id, s.name)?;
        }
        if let Some((path, channels)) = &self.wav {
            writeln!(f, "wav: {}", path.display())?;
            for (i, c) in channels.iter().enumerate() {
                writeln!(f, "  channel {}: {c}", i + 1)?;
            }
        }
        if let Some(path) = &self.events {
            let total: u64 = self.hubs.iter().map(|h| h.events).sum();
            write!(f, "events: {} ({total} events", path.display())?;
            if !self.live.is_empty() || self.replay.is_some() {
                let heard: u64 = self.hubs.iter().map(|h| h.heard).sum();
                write!(f, " simulated, {heard} from the cluster")?;
            }
            writeln!(f, ")")?;
        }
        Ok(())
    }
}
