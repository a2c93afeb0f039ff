//! The hub's side of DEVICES members: each declares the devices of the NODE pool its POOL
//! input names, when that pool is joined to the same hub. With several on one pool the
//! last in tag order (the highest tag) wins; the others show Overridden. The winners are
//! applied after the scan, so a pool's devices change only when its winning declaration
//! does, and a pool no DEVICES names any more loses its devices.

use super::ClusterModule;
use crate::modules::devices::{devices_spec, DevicesState};
use crate::modules::words::{devices_desired as dd, devices_observed as dobs};
use crate::registry::{Registry, Slot, SlotKind};
use crate::world::World;

/// Most pools one hub follows DEVICES declarations for.
pub const MAX_DECLARED_POOLS: usize = 64;

/// A pool some DEVICES names.
#[derive(Debug, Clone, Copy)]
struct Declared {
    pool: u32,
    /// The DEVICES whose declaration is applied (the highest tag naming the pool).
    owner: u32,
    /// Named by some DEVICES in this tick's scan.
    seen: bool,
    /// The world had room for it.
    applied: bool,
}

/// Which DEVICES declares which pool's devices.
pub(super) struct DeviceOwners(Vec<Declared>);

impl DeviceOwners {
    /// Room for [`MAX_DECLARED_POOLS`].
    pub fn new() -> DeviceOwners {
        DeviceOwners(Vec::with_capacity(MAX_DECLARED_POOLS))
    }

    /// Notes DEVICES `tag`'s pool during the scan (tags ascend, so the last one wins).
    pub fn note(&mut self, registry: &Registry, hub: u32, (tag, slot): (u32, &Slot)) {
        let pool = slot.desired(dd::POOL);
        if !pool_joined(registry, hub, pool) {
            return;
        }
        if let Some(d) = self.0.iter_mut().find(|d| d.pool == pool) {
            if !d.seen || tag > d.owner {
                d.owner = tag;
            }
            d.seen = true;
        } else if self.0.len() < self.0.capacity() {
            self.0.push(Declared {
                pool,
                owner: tag,
                seen: true,
                applied: false,
            });
        }
    }

    /// After the scan: applies each pool's winning declaration; pools no DEVICES named
    /// lose their devices.
    pub fn apply(&mut self, world: &mut World, registry: &Registry) {
        let mut i = 0;
        while i < self.0.len() {
            let d = &mut self.0[i];
            let owner = registry
                .by_tag(d.owner)
                .filter(|s| s.kind() == SlotKind::Devices);
            match owner.filter(|_| d.seen) {
                Some(slot) => {
                    d.applied = world.apply_pool_devices(d.pool, devices_spec(slot));
                    d.seen = false;
                    i += 1;
                }
                None => {
                    world.delete_pool_devices(d.pool);
                    self.0.swap_remove(i);
                }
            }
        }
    }

    /// What became of DEVICES `tag`'s declaration for `pool`.
    fn state(&self, tag: u32, pool: u32) -> DevicesState {
        match self.0.iter().find(|d| d.pool == pool) {
            None => DevicesState::Unpatched,
            Some(d) if d.owner != tag => DevicesState::Overridden,
            Some(d) if !d.applied => DevicesState::NoRoom,
            Some(_) => DevicesState::Active,
        }
    }
}

/// Whether `pool` is the tag of a NODE joined to hub `hub`.
fn pool_joined(registry: &Registry, hub: u32, pool: u32) -> bool {
    pool > 0
        && registry
            .slot(pool as usize - 1)
            .is_some_and(|p| p.kind() == SlotKind::NodePool && p.hub() == hub)
}

impl ClusterModule {
    /// Writes what a DEVICES observes: its state, its pool's wells and their use, per-node
    /// utilisation in the channels.
    pub(super) fn publish_devices(&self, tag: u32, slot: &Slot) {
        let pool = slot.desired(dd::POOL);
        let state = self.device_owners.state(tag, pool);
        slot.set_observed(dobs::STATE, state as u32);
        let devices = self
            .world
            .pool_devices(pool)
            .filter(|_| state == DevicesState::Active);
        let Some(devices) = devices else {
            slot.set_observed(dobs::WELLS, 0);
            slot.set_observed(dobs::WELLS_IN_USE, 0);
            slot.set_observed(dobs::FREE_MANA, 0);
            slot.set_observed(dobs::NODE_CHANNELS, 0);
            return;
        };
        let wells = devices.devices().len() * devices.node_count();
        slot.set_observed(dobs::WELLS, wells as u32);
        slot.set_observed(dobs::WELLS_IN_USE, devices.devices_in_use() as u32);
        let free = devices.available(crate::devices::MANA_CAPACITY);
        slot.set_observed(dobs::FREE_MANA, free.min(u64::from(u32::MAX)) as u32);
        slot.set_observed(dobs::ALLOCATIONS, self.world.pool_claims_allocated(pool));
        let mut channels = 0;
        for ordinal in 0..crate::world::MAX_POOL_NODES {
            let used = devices.node(ordinal).map(|n| n.utilisation());
            slot.set_channel(ordinal, used.unwrap_or(0.0));
            if used.is_some() {
                channels = ordinal as u32 + 1;
            }
        }
        slot.set_observed(dobs::NODE_CHANNELS, channels);
    }
}
