//! The hub's side of AUTOSCALER members: each sizes the NODE pool its POOL input names, when
//! that pool is joined to the same hub; with several on one pool, the first to claim it
//! keeps it.

use super::{ClusterModule, MemberState};
use crate::modules::autoscaler::autoscaler_spec;
use crate::modules::words::{autoscaler_desired as ad, autoscaler_observed as ao};
use crate::registry::{Registry, Slot, SlotKind};
use crate::world::autoscaler::ClaimPhase;
use crate::world::World;

/// By pool tag: the AUTOSCALER sizing it (0 = none).
pub(super) struct PoolOwners(Vec<u32>);

impl PoolOwners {
    /// Room for every tag.
    pub fn new() -> PoolOwners {
        PoolOwners(vec![0; kuberack_protocol::tag::MAX_TAG as usize + 1])
    }

    /// Applies AUTOSCALER `tag`'s settings to its pool, or lets the pool go.
    pub fn sync(
        &mut self,
        world: &mut World,
        state: &mut MemberState,
        registry: &Registry,
        hub: u32,
        (tag, slot): (u32, &Slot),
    ) {
        let pool = slot.desired(ad::POOL);
        let joined_pool = pool > 0
            && (pool as usize) < self.0.len()
            && registry
                .slot(pool as usize - 1)
                .is_some_and(|p| p.kind() == SlotKind::NodePool && p.hub() == hub);
        let held = state.autoscaled_pool;
        if held != 0 && (held != pool || !joined_pool) {
            self.release(world, state, tag);
        }
        if !joined_pool {
            return;
        }
        let owner = self.0[pool as usize];
        if owner != 0 && owner != tag {
            return;
        }
        self.0[pool as usize] = tag;
        state.autoscaled_pool = pool;
        world.apply_autoscaler(pool, autoscaler_spec(slot));
    }

    /// AUTOSCALER `tag` stops sizing its pool: the pool's count governs again.
    pub fn release(&mut self, world: &mut World, state: &mut MemberState, tag: u32) {
        let pool = state.autoscaled_pool;
        state.autoscaled_pool = 0;
        if pool != 0 && self.0[pool as usize] == tag {
            self.0[pool as usize] = 0;
            world.delete_autoscaler(pool);
        }
    }
}

impl ClusterModule {
    /// Writes what an AUTOSCALER observes: its claims by phase, its counters, why it is
    /// blocked and how many pods wait for its pool.
    pub(super) fn publish_autoscaler(&self, i: usize, slot: &Slot) {
        let pool = self.member_state[i].autoscaled_pool;
        let Some(a) = self.world.autoscaler(pool).filter(|_| pool != 0) else {
            slot.set_observed(ao::ACTIVE, 0);
            return;
        };
        slot.set_observed(ao::ACTIVE, 1);
        slot.set_observed(ao::LAUNCHED, a.count(ClaimPhase::Launched));
        slot.set_observed(ao::REGISTERED, a.count(ClaimPhase::Registered));
        slot.set_observed(ao::INITIALIZED, a.count(ClaimPhase::Initialized));
        slot.set_observed(ao::DRAINING, a.count(ClaimPhase::Draining));
        slot.set_observed(ao::SCALE_UPS, a.scale_ups);
        slot.set_observed(ao::SCALE_DOWNS, a.scale_downs);
        slot.set_observed(ao::BLOCKED, a.blocked as u32);
        slot.set_observed(ao::PENDING, a.pending_pods);
    }
}
