//! Draining every hub's event log into a JSON-lines trace.
//!
//! Each line is the event as the core renders it (`EventLog::to_json`) with `"module"`, the
//! hub's Rack module id, added. The log is a bounded ring, so the player drains it at least
//! once per control tick; if events were nevertheless overwritten before they were read, a
//! line `{"module": ID, "lost": N}` says so and the summary counts them.

use std::io::Write;

use serde_json::json;

use crate::engine::Engine;
use crate::hub::world_of;

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
}

/// Follows the event logs of every hub in an engine.
pub struct EventDrain {
    hubs: Vec<HubTrace>,
}

impl EventDrain {
    /// Finds the hubs of an engine; nothing has been read yet.
    pub fn new(engine: &Engine) -> EventDrain {
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
            })
            .collect();
        EventDrain { hubs }
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
            for event in events {
                if let Some(w) = out.as_deref_mut() {
                    let mut line = log.to_json(event);
                    line["module"] = json!(hub.module_id);
                    serde_json::to_writer(&mut *w, &line)?;
                    w.write_all(b"\n")?;
                }
                hub.events += 1;
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
