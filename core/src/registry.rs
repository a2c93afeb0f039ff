//! The slots through which members and hubs exchange state without locks.
//!
//! Every module instance owns one slot, allocated at creation (off the audio path). Its
//! reference tag is its slot index + 1. A member writes its desired state into its own
//! slot and the tag of the hub it joined; the hub scans the slots once per control tick,
//! reads the desired state and writes the observed state back. All exchange is through
//! relaxed atomics: skew is at most one control tick, like Rack's one-sample cable delay.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use kuberack_protocol::{tag::MAX_TAG, MAX_CHANNELS};

/// Number of desired-state words a member publishes.
pub const DESIRED_WORDS: usize = 16;
/// Number of observed-state words a hub publishes to a member.
pub const OBSERVED_WORDS: usize = 12;

/// What kind of module occupies a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum SlotKind {
    /// Unused slot.
    Free = 0,
    /// A CLUSTER hub.
    Cluster = 1,
    /// A NODE pool.
    NodePool = 2,
    /// A DEPLOYMENT.
    Deployment = 3,
    /// A SCHEDULER.
    Scheduler = 4,
    /// A POD.
    Pod = 5,
    /// A SERVICE.
    Service = 6,
    /// An INGRESS.
    Ingress = 7,
    /// An ETCD.
    Etcd = 8,
    /// A CLUSTERQUEUE.
    ClusterQueue = 9,
    /// A JOB.
    Job = 10,
    /// An ENCHANTMENT (the forge).
    Enchantment = 11,
    /// A DEVICES.
    Devices = 12,
    /// An AUTOSCALER.
    Autoscaler = 13,
}

impl SlotKind {
    fn from_u32(v: u32) -> SlotKind {
        match v {
            1 => SlotKind::Cluster,
            2 => SlotKind::NodePool,
            3 => SlotKind::Deployment,
            4 => SlotKind::Scheduler,
            5 => SlotKind::Pod,
            6 => SlotKind::Service,
            7 => SlotKind::Ingress,
            8 => SlotKind::Etcd,
            9 => SlotKind::ClusterQueue,
            10 => SlotKind::Job,
            12 => SlotKind::Devices,
            11 => SlotKind::Enchantment,
            13 => SlotKind::Autoscaler,
            _ => SlotKind::Free,
        }
    }
}

/// One module's exchange area.
#[derive(Default)]
pub struct Slot {
    kind: AtomicU32,
    generation: AtomicU32,
    hub: AtomicU32,
    /// Desired state written by the member, read by the hub.
    pub desired: [AtomicU32; DESIRED_WORDS],
    /// Observed state written by the hub, read by the member.
    pub observed: [AtomicU32; OBSERVED_WORDS],
    /// Per-channel values written by the hub (f32 bits), for poly outputs.
    pub channels: [AtomicU32; MAX_CHANNELS],
    /// Hub: its tick counter. Member: the hub's tick when it last published to this slot.
    pub heartbeat: AtomicU32,
    /// The host's id of the module (Rack's module id, stable across saves; 0 = unknown):
    /// what live sync names the module's real objects after.
    rack_id: AtomicU64,
}

impl Slot {
    /// The kind of module in this slot.
    pub fn kind(&self) -> SlotKind {
        SlotKind::from_u32(self.kind.load(Relaxed))
    }

    /// Incremented each time the slot is reused, so a hub notices a new module.
    pub fn generation(&self) -> u32 {
        self.generation.load(Relaxed)
    }

    /// Tag of the hub the member joined (0 = none).
    pub fn hub(&self) -> u32 {
        self.hub.load(Relaxed)
    }

    /// Joins (tag > 0) or leaves (0) a hub.
    pub fn set_hub(&self, tag: u32) {
        self.hub.store(tag, Relaxed);
    }

    /// The host's id of the module in this slot (0 = unknown).
    pub fn rack_id(&self) -> u64 {
        self.rack_id.load(Relaxed)
    }

    /// Records the host's id of the module in this slot.
    pub fn set_rack_id(&self, id: u64) {
        self.rack_id.store(id, Relaxed);
    }

    /// Reads a desired word.
    pub fn desired(&self, i: usize) -> u32 {
        self.desired[i].load(Relaxed)
    }

    /// Writes a desired word.
    pub fn set_desired(&self, i: usize, v: u32) {
        self.desired[i].store(v, Relaxed);
    }

    /// Reads an observed word.
    pub fn observed(&self, i: usize) -> u32 {
        self.observed[i].load(Relaxed)
    }

    /// Writes an observed word.
    pub fn set_observed(&self, i: usize, v: u32) {
        self.observed[i].store(v, Relaxed);
    }

    /// Reads a channel value.
    pub fn channel(&self, ch: usize) -> f32 {
        f32::from_bits(self.channels[ch].load(Relaxed))
    }

    /// Writes a channel value.
    pub fn set_channel(&self, ch: usize, v: f32) {
        self.channels[ch].store(v.to_bits(), Relaxed);
    }

    fn clear_state(&self) {
        self.hub.store(0, Relaxed);
        self.rack_id.store(0, Relaxed);
        self.heartbeat.store(0, Relaxed);
        for w in self
            .desired
            .iter()
            .chain(&self.observed)
            .chain(&self.channels)
        {
            w.store(0, Relaxed);
        }
    }
}

/// The table of slots shared by every module of one host (one Rack process, one player run).
pub struct Registry {
    slots: Box<[Slot]>,
    high_water: AtomicU32,
    free: Mutex<Vec<u32>>,
}

/// A module's claim on a slot; frees it when dropped.
pub struct SlotHandle {
    registry: Arc<Registry>,
    index: u32,
}

impl Registry {
    /// A registry with room for `MAX_TAG` modules.
    pub fn new() -> Arc<Registry> {
        let slots: Vec<Slot> = (0..MAX_TAG).map(|_| Slot::default()).collect();
        Arc::new(Registry {
            slots: slots.into_boxed_slice(),
            high_water: AtomicU32::new(0),
            free: Mutex::new(Vec::new()),
        })
    }

    /// Claims a slot for a new module (not on the audio path). `None` when all are taken.
    pub fn claim(self: &Arc<Self>, kind: SlotKind) -> Option<SlotHandle> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let index = match free.pop() {
            Some(i) => i,
            None => {
                let i = self.high_water.load(Relaxed);
                if i as usize >= self.slots.len() {
                    return None;
                }
                self.high_water.store(i + 1, Relaxed);
                i
            }
        };
        let slot = &self.slots[index as usize];
        slot.clear_state();
        slot.generation.fetch_add(1, Relaxed);
        slot.kind.store(kind as u32, Relaxed);
        Some(SlotHandle {
            registry: Arc::clone(self),
            index,
        })
    }

    /// Number of slots ever used (the scan bound for hubs).
    pub fn high_water(&self) -> usize {
        self.high_water.load(Relaxed) as usize
    }

    /// The slot at an index.
    pub fn slot(&self, index: usize) -> Option<&Slot> {
        self.slots.get(index)
    }

    /// The slot a tag names, if it is in use.
    pub fn by_tag(&self, tag: u32) -> Option<&Slot> {
        let slot = self.slots.get((tag as usize).checked_sub(1)?)?;
        (slot.kind() != SlotKind::Free).then_some(slot)
    }
}

impl SlotHandle {
    /// This module's reference tag.
    pub fn tag(&self) -> u32 {
        self.index + 1
    }

    /// This module's slot index.
    pub fn index(&self) -> usize {
        self.index as usize
    }

    /// This module's slot.
    pub fn slot(&self) -> &Slot {
        &self.registry.slots[self.index as usize]
    }

    /// The registry this slot belongs to.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

impl Drop for SlotHandle {
    fn drop(&mut self) {
        let slot = self.slot();
        slot.kind.store(SlotKind::Free as u32, Relaxed);
        slot.clear_state();
        let mut free = self.registry.free.lock().unwrap_or_else(|e| e.into_inner());
        free.push(self.index);
        // Reuse the lowest index first so a reloaded patch gets the same tags.
        free.sort_unstable_by(|a, b| b.cmp(a));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_reused_lowest_first_with_a_new_generation() {
        let reg = Registry::new();
        let a = reg.claim(SlotKind::Cluster).unwrap();
        let b = reg.claim(SlotKind::NodePool).unwrap();
        assert_eq!((a.tag(), b.tag()), (1, 2));
        let gen_a = a.slot().generation();
        drop(a);
        assert!(reg.by_tag(1).is_none());
        let c = reg.claim(SlotKind::Deployment).unwrap();
        assert_eq!(c.tag(), 1);
        assert_eq!(c.slot().generation(), gen_a + 1);
        assert_eq!(reg.by_tag(1).unwrap().kind(), SlotKind::Deployment);
        assert_eq!(reg.high_water(), 2);
    }

    #[test]
    fn out_of_range_tags_find_nothing() {
        let reg = Registry::new();
        assert!(reg.by_tag(0).is_none());
        assert!(reg.by_tag(MAX_TAG + 1).is_none());
    }
}
