//! The CLUSTER hub's side of live-cluster sync: the SYNC switch and gate, the status lights,
//! the desired state handed to the sync thread and the real events heard back. Everything
//! here runs in process() on the audio thread: wait-free queue pushes and pops, atomics, no
//! allocation (all memory is taken at construction).

use std::sync::Arc;

use kuberack_protocol::tag::MAX_TAG;

use super::words::{deployment_desired as dd, pool_desired as pd};
use crate::dsp::SchmittTrigger;
use crate::live::{DesiredObject, HubEnd, LiveLink, MirrorKind, RealSummary, SyncState};
use crate::registry::{Registry, SlotKind};
use crate::world::events::EventKind;

/// Messages each way between a hub and its sync thread.
pub const SYNC_QUEUE_CAPACITY: usize = 1024;

/// What the rack heard from the real cluster in one control tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Heard {
    /// Real pods bound to a node.
    pub scheduled: u32,
    /// Real pods found unschedulable.
    pub failed_scheduling: u32,
    /// Every real transition heard.
    pub events: u32,
}

/// A hub's sync controls, lights and queue end.
pub struct HubSync {
    link: Arc<LiveLink>,
    hub: HubEnd,
    desired: Box<[Option<DesiredObject>]>,
    gate: SchmittTrigger,
    wanted: bool,
}

impl HubSync {
    /// Allocates the queues and the desired-state table (one entry per registry slot).
    pub fn new() -> HubSync {
        let slots = MAX_TAG as usize;
        let (link, hub) = LiveLink::new(SYNC_QUEUE_CAPACITY, slots);
        HubSync {
            link,
            hub,
            desired: vec![None; slots].into_boxed_slice(),
            gate: SchmittTrigger::default(),
            wanted: false,
        }
    }

    /// The link the host runs the sync thread with.
    pub fn link(&self) -> &Arc<LiveLink> {
        &self.link
    }

    /// Per sample: sync is wanted while the switch is on or the gate is high.
    pub fn update_wanted(&mut self, switch_on: bool, gate: Option<f32>) {
        let gate_high = match gate {
            Some(v) => {
                self.gate.process(v);
                self.gate.is_high()
            }
            None => {
                self.gate = SchmittTrigger::default();
                false
            }
        };
        let wanted = switch_on || gate_high;
        if wanted != self.wanted {
            self.wanted = wanted;
            self.link.status.set_wanted(wanted);
        }
    }

    /// Whether sync is wanted.
    pub fn wanted(&self) -> bool {
        self.wanted
    }

    /// Per control tick: hands the desired state of the hub's members (while sync is wanted:
    /// DEPLOYMENTs, and NODEs whose "Sync cordon" is on) to the sync thread and takes what it heard (always, so nothing stale piles up).
    pub fn tick(&mut self, registry: &Registry, hub_tag: u32) -> Heard {
        if self.wanted {
            let n = registry.high_water().min(self.desired.len());
            for (i, want) in self.desired[..n].iter_mut().enumerate() {
                *want = registry.slot(i).and_then(|slot| {
                    let module = slot.rack_id();
                    if slot.hub() != hub_tag || module == 0 {
                        return None;
                    }
                    match slot.kind() {
                        SlotKind::Deployment => Some(DesiredObject::deployment(
                            module,
                            slot.desired(dd::REPLICAS),
                            slot.desired(dd::CPU_M),
                            slot.desired(dd::MEMORY_MIB),
                        )),
                        // A NODE drives real nodes only when its "Sync cordon" is on.
                        SlotKind::NodePool if slot.desired(pd::SYNC_CORDON) != 0 => {
                            Some(DesiredObject::node(module, slot.desired(pd::CORDONED) != 0))
                        }
                        _ => None,
                    }
                });
            }
            self.hub.publish(&self.desired[..n]);
        }
        let mut heard = Heard::default();
        for _ in 0..SYNC_QUEUE_CAPACITY {
            let Some(event) = self.hub.pop_observed() else {
                break;
            };
            heard.events += 1;
            match event.kind {
                MirrorKind::World(EventKind::PodScheduled) => heard.scheduled += 1,
                MirrorKind::World(EventKind::PodFailedScheduling) => heard.failed_scheduling += 1,
                _ => {}
            }
        }
        heard
    }

    /// The real cluster's summary while sync is wanted and the sync thread has listed it.
    pub fn real(&self) -> Option<RealSummary> {
        if !self.wanted {
            return None;
        }
        self.link.status.real()
    }

    /// The status lights' brightness: connecting, synced, degraded, error (all dark when
    /// sync is off).
    pub fn lights(&self) -> [f32; 4] {
        let state = self.link.status.state();
        let lit = |s: SyncState| if state == s { 1.0 } else { 0.0 };
        [
            lit(SyncState::Connecting),
            lit(SyncState::Synced),
            lit(SyncState::Degraded),
            lit(SyncState::Error),
        ]
    }
}

impl Default for HubSync {
    fn default() -> Self {
        HubSync::new()
    }
}
