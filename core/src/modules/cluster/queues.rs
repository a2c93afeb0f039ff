//! The hub's side of CLUSTERQUEUE members: each becomes a ClusterQueue in the world; COHORT
//! cables chain queues, and every queue of one chain joins the cohort named after its first
//! queue.

use super::ClusterModule;
use crate::modules::cluster_queue::cluster_queue_config;
use crate::modules::words::{cluster_queue_desired as qd, cluster_queue_observed as qo};
use crate::registry::{Registry, Slot, SlotKind};
use crate::world::queueing::MAX_CLUSTER_QUEUES;
use crate::world::World;

/// The CLUSTERQUEUE `tag`'s COHORT input names, if it is a queue joined to `hub`.
fn parent(registry: &Registry, hub: u32, tag: u32) -> Option<u32> {
    let p = registry
        .slot(tag.checked_sub(1)? as usize)?
        .desired(qd::COHORT_PARENT);
    let slot = registry.slot(p.checked_sub(1)? as usize)?;
    (slot.kind() == SlotKind::ClusterQueue && slot.hub() == hub && p != tag).then_some(p)
}

/// The first queue of `tag`'s cohort chain, or `None` when no cable links it to another
/// queue. A loop of cables is one cohort named after its lowest tag.
pub(crate) fn cohort_root(registry: &Registry, hub: u32, tag: u32) -> Option<u32> {
    let mut cur = tag;
    let mut lowest = tag;
    for _ in 0..=MAX_CLUSTER_QUEUES {
        match parent(registry, hub, cur) {
            Some(p) if p == tag => return Some(lowest),
            Some(p) => {
                cur = p;
                lowest = lowest.min(p);
            }
            None if cur != tag => return Some(cur),
            None => break,
        }
    }
    if cur != tag {
        // Longer than any chain can be: a loop not through `tag`.
        return Some(lowest);
    }
    // No parent: the root of a chain if another queue names it.
    let named =
        (0..registry.high_water()).any(|i| parent(registry, hub, i as u32 + 1) == Some(tag));
    named.then_some(tag)
}

/// Applies CLUSTERQUEUE `tag`'s settings and cohort to the world.
pub(super) fn sync_cluster_queue(
    world: &mut World,
    registry: &Registry,
    hub: u32,
    tag: u32,
    slot: &Slot,
) {
    let mut config = cluster_queue_config(slot);
    config.cohort_root = cohort_root(registry, hub, tag);
    world.apply_cluster_queue(tag, config);
}

impl ClusterModule {
    /// Writes what a CLUSTERQUEUE observes.
    pub(super) fn publish_cluster_queue(&self, tag: u32, slot: &Slot) {
        let Some(s) = self.world.cluster_queue_status(tag) else {
            slot.set_observed(qo::ACTIVE, 0);
            return;
        };
        let permille = |f: f32| (f * 1000.0).round() as u32;
        slot.set_observed(qo::ACTIVE, 1);
        slot.set_observed(qo::PENDING, s.pending);
        slot.set_observed(qo::ADMITTED, s.admitted);
        slot.set_observed(qo::CPU_PERMILLE, permille(s.usage[0]));
        slot.set_observed(qo::MEMORY_PERMILLE, permille(s.usage[1]));
        slot.set_observed(qo::MANA_PERMILLE, permille(s.usage[2]));
        slot.set_observed(qo::ADMISSIONS, s.admissions as u32);
        slot.set_observed(qo::PREEMPTIONS, s.preemptions as u32);
        slot.set_observed(qo::BORROWING, u32::from(s.borrowing));
        slot.set_observed(qo::TERMINATING, u32::from(s.terminating));
        let share = u32::try_from(s.weighted_share.max(0)).unwrap_or(u32::MAX);
        slot.set_observed(qo::WEIGHTED_SHARE, share);
    }
}
