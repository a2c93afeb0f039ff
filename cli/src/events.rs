//! Draining every hub's event log into a JSON-lines trace.
//!
//! Each line is the event as the core renders it (`EventLog::to_json`) with `"module"`, the
//! hub's Rack module id, added. The log is a bounded ring, so the player drains it at least
//! once per control tick; if events were nevertheless overwritten before they were read, a
//! line `{"module": ID, "lost": N}` says so and the summary counts them.
//!
//! With live sync (`play --sync`) every line also says its `"source"`: `"simulated"` for
//! the world's events, `"cluster"` for the real cluster's events the hub heard
//! (`HeardEvent::to_json`), merged in time order; a `{"module": ID, "source": "cluster",
//! "lost": N}` line counts real events overwritten before they were read. Without sync the
//! trace is exactly the simulation's.

use std::io::Write;

use serde_json::{json, Value};

use crate::engine::Engine;
use crate::hub::{heard_of, world_of};

/// Frames between two drains: one control tick of the hub at most.
pub const DRAIN_INTERVAL: u64 = 32;

/// What was drained from one hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubTrace {
    /// Engine index of the hub.
    pub index: usize,
    /// Rack module id of the hub.
    pub module_id: i64,
    /// Newest revision read so far.
    pub revision: u64,
    /// Events written.
    pub events: u64,
    /// Events overwritten in the ring before they could be read.
    pub lost: u64,
    /// Newest real-cluster event read so far (live sync).
    pub heard_serial: u64,
    /// Real-cluster events written (live sync).
    pub heard: u64,
    /// Real-cluster events overwritten before they could be read.
    pub heard_lost: u64,
}

/// Follows the event logs of every hub in an engine.
pub struct EventDrain {
    hubs: Vec<HubTrace>,
    live: bool,
}

impl EventDrain {
    /// Finds the hubs of an engine; nothing has been read yet. With `live`, the real
    /// cluster's events are drained too and every line names its source.
    pub fn new(engine: &Engine, live: bool) -> EventDrain {
        let hubs = engine
            .modules()
            .iter()
            .enumerate()
            .filter(|(_, m)| world_of(m.module()).is_some())
            .map(|(index, m)| HubTrace {
                index,
                module_id: m.id(),
                revision: 0,
                events: 0,
                lost: 0,
                heard_serial: 0,
                heard: 0,
                heard_lost: 0,
            })
            .collect();
        EventDrain { hubs, live }
    }

    /// Writes every event newer than the last drain, hub by hub in patch order. With no
    /// writer the events are only counted.
    pub fn drain<'w>(
        &mut self,
        engine: &Engine,
        mut out: Option<&mut (dyn Write + 'w)>,
    ) -> std::io::Result<()> {
        for hub in &mut self.hubs {
            let Some(world) = world_of(engine.modules()[hub.index].module()) else {
                continue;
            };
            let log = world.events();
            let (lost, events) = log.since(hub.revision);
            if lost > 0 {
                hub.lost += lost;
                if let Some(w) = out.as_deref_mut() {
                    writeln!(w, "{}", json!({ "module": hub.module_id, "lost": lost }))?;
                }
            }
            let writing = out.is_some();
            let mut lines: Vec<(f64, Value)> = Vec::new();
            for event in events.filter(|_| writing) {
                let mut line = log.to_json(event);
                line["module"] = json!(hub.module_id);
                if self.live {
                    line["source"] = json!("simulated");
                }
                lines.push((event.time, line));
            }
            hub.events += log.newest_revision() - hub.revision - lost;
            let heard = heard_of(engine.modules()[hub.index].module()).filter(|_| self.live);
            if let Some(heard) = heard {
                let (lost, events) = heard.since(hub.heard_serial);
                if lost > 0 {
                    hub.heard_lost += lost;
                    if let Some(w) = out.as_deref_mut() {
                        let line =
                            json!({ "module": hub.module_id, "source": "cluster", "lost": lost });
                        writeln!(w, "{line}")?;
                    }
                }
                let first_cluster = lines.len();
                hub.heard += heard.newest() - hub.heard_serial - lost;
                for event in events.filter(|_| writing) {
                    let mut line = event.to_json();
                    line["module"] = json!(hub.module_id);
                    line["source"] = json!("cluster");
                    lines.push((event.time, line));
                }
                hub.heard_serial = heard.newest();
                if first_cluster > 0 && first_cluster < lines.len() {
                    // Both are in time order: a stable sort merges them, simulated first.
                    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
                }
            }
            if let Some(w) = out.as_deref_mut() {
                for (_, line) in &lines {
                    serde_json::to_writer(&mut *w, line)?;
                    w.write_all(b"\n")?;
                }
            }
            hub.revision = log.newest_revision();
        }
        Ok(())
    }

    /// The hubs followed, in patch order.
    pub fn hubs(&self) -> &[HubTrace] {
        &self.hubs
    }
}
