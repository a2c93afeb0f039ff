//! Devices in the world. A DEVICES declaration makes every node of a NODE pool advertise
//! its mana as the extended resource `manawell.io/<essence>` (a device plugin's view) and
//! publish mana wells to dynamic resource allocation (a ResourceSlice per node, after
//! `resource.k8s.io`). A pod's resource claim is tried on the wells by the scheduler's
//! DynamicResources filter, allocated when the pod binds (Reserve) and released when the
//! pod is removed (it finished, was deleted or evicted).
//!
//! The device tables are sized at construction: [`MAX_DEVICE_POOLS`] declared pools of up
//! to [`MAX_POOL_NODES`] nodes each; a declaration beyond them is refused.

use super::device_specs::PoolDevicesSpec;
use super::mana::Mana;
use super::objects::*;
use super::scheduler::{ClaimFit, DEVICE_SLOTS, NO_DEVICE_SLOT};
use super::World;
use crate::devices::{DevicePool, Unsatisfiable};

/// Pools that may declare devices at once.
pub const MAX_DEVICE_POOLS: usize = 8;

const _: () = assert!(MAX_DEVICE_POOLS * MAX_POOL_NODES <= DEVICE_SLOTS);

/// One declared pool's devices.
#[derive(Debug, Clone)]
struct PoolDevices {
    /// The pool's tag (0: the table is free).
    pool: u32,
    spec: PoolDevicesSpec,
    devices: DevicePool,
    /// uid of the node holding each ordinal's devices (0: none).
    node_uids: [u64; MAX_POOL_NODES],
    /// Claims allocated at bind so far.
    allocations: u32,
}

/// Every declared pool's devices.
pub(super) struct DeviceTables(Vec<PoolDevices>);

impl DeviceTables {
    /// [`MAX_DEVICE_POOLS`] free tables.
    pub fn new() -> DeviceTables {
        let free = PoolDevices {
            pool: 0,
            spec: PoolDevicesSpec::default(),
            devices: DevicePool::new(&[], 0),
            node_uids: [0; MAX_POOL_NODES],
            allocations: 0,
        };
        DeviceTables(vec![free; MAX_DEVICE_POOLS])
    }

    fn find_free(&self) -> Option<usize> {
        self.0.iter().position(|t| t.pool == 0)
    }

    fn find(&self, pool: u32) -> Option<usize> {
        (pool != 0)
            .then(|| self.0.iter().position(|t| t.pool == pool))
            .flatten()
    }
}

/// The device slot of a pool's node: its table and ordinal.
fn slot(table: usize, ordinal: u32) -> u8 {
    (table * MAX_POOL_NODES + ordinal as usize) as u8
}

impl World {
    /// Declares pool `pool`'s devices (a DEVICES module's knobs). A change rebuilds the
    /// wells: claims of pods running on them are allocated anew in binding order, and a
    /// pod whose claim no longer fits is evicted. Returns false when every device table is
    /// taken by other pools (the declaration is then ignored).
    pub fn apply_pool_devices(&mut self, pool: u32, spec: PoolDevicesSpec) -> bool {
        if pool == 0 || pool as usize >= self.pools.len() {
            return false;
        }
        let spec = spec.clamped();
        let table = match self.device_tables.find(pool) {
            Some(t) if self.device_tables.0[t].spec == spec => return true,
            Some(t) => t,
            None => match self.device_tables.find_free() {
                Some(t) => t,
                None => return false,
            },
        };
        let t = &mut self.device_tables.0[table];
        t.pool = pool;
        t.spec = spec;
        // In place, one well at a time: a node's device table is too big for the stack.
        t.devices.rebuild(spec.well_count(), |i| spec.well(i));
        t.node_uids = [0; MAX_POOL_NODES];
        if let Some(p) = self.pools[pool as usize].as_mut() {
            p.spec.mana = spec.mana();
            p.dirty = true;
        }
        self.sync_pool_device_nodes(table);
        self.reallocate_pool_claims(table);
        self.queue.cluster_changed();
        true
    }

    /// Pool `pool` declares no devices any more: its nodes advertise no mana and publish no
    /// wells, and pods holding wells there are evicted.
    pub fn delete_pool_devices(&mut self, pool: u32) {
        let Some(table) = self.device_tables.find(pool) else {
            return;
        };
        let t = &mut self.device_tables.0[table];
        t.pool = 0;
        t.spec = PoolDevicesSpec::default();
        t.devices.reset(&[]);
        t.node_uids = [0; MAX_POOL_NODES];
        t.allocations = 0;
        let Some(p) = self.pools.get_mut(pool as usize).and_then(Option::as_mut) else {
            return;
        };
        p.spec.mana = Mana::NONE;
        p.dirty = true;
        let mut node = p.first;
        while node != NONE {
            let next = self.next_pool_node(node);
            if let Some(n) = self.nodes.get_mut(node) {
                n.device_slot = NO_DEVICE_SLOT;
            }
            self.evict_claim_holders(node, false);
            node = next;
        }
    }

    /// The devices pool `pool` declares, with their allocations.
    pub fn pool_devices(&self, pool: u32) -> Option<&DevicePool> {
        self.device_tables
            .find(pool)
            .map(|t| &self.device_tables.0[t].devices)
    }

    /// Claims allocated on pool `pool`'s devices at bind so far (0 without a declaration).
    pub fn pool_claims_allocated(&self, pool: u32) -> u32 {
        self.device_tables
            .find(pool)
            .map_or(0, |t| self.device_tables.0[t].allocations)
    }

    /// What pool `pool` declares.
    pub fn pool_devices_spec(&self, pool: u32) -> Option<PoolDevicesSpec> {
        self.device_tables
            .find(pool)
            .map(|t| self.device_tables.0[t].spec)
    }

    /// Why the pod at `index`'s claim fits no node now (None: it has no claim, or some
    /// node can allocate it): the furthest any node's devices got.
    pub fn claim_unsatisfiable(&self, index: u32) -> Option<Unsatisfiable> {
        let pod = self.pods.get(index)?;
        let claim = pod.claim.device_claim(pod.meta.uid)?;
        let mut furthest = Unsatisfiable::NoDevices;
        for t in self.device_tables.0.iter().filter(|t| t.pool != 0) {
            for o in 0..MAX_POOL_NODES {
                if t.devices.node(o).is_none() {
                    continue;
                }
                match t.devices.filter(o, &claim) {
                    Ok(_) => return None,
                    Err(why) => furthest = furthest.max(why),
                }
            }
        }
        Some(furthest)
    }

    /// The mana pool `tag`'s declaration sets, if it has one.
    pub(super) fn declared_mana(&self, tag: u32) -> Option<Mana> {
        self.device_tables
            .find(tag)
            .map(|t| self.device_tables.0[t].spec.mana())
    }

    /// Follows the declared pools' nodes: a new node publishes fresh wells, a removed one
    /// takes its wells with it.
    pub(super) fn sync_device_nodes(&mut self) {
        for table in 0..MAX_DEVICE_POOLS {
            if self.device_tables.0[table].pool != 0 {
                self.sync_pool_device_nodes(table);
            }
        }
    }

    fn sync_pool_device_nodes(&mut self, table: usize) {
        let pool = self.device_tables.0[table].pool;
        let Some(p) = self.pools.get(pool as usize).copied().flatten() else {
            return;
        };
        let mut seen = [0u64; MAX_POOL_NODES];
        let mut index = p.first;
        while index != NONE {
            let next = self.next_pool_node(index);
            let Some(n) = self.nodes.get_mut(std::mem::replace(&mut index, next)) else {
                continue;
            };
            let o = n.ordinal as usize;
            if o < MAX_POOL_NODES {
                seen[o] = n.meta.uid;
                n.device_slot = slot(table, n.ordinal);
            }
        }
        let t = &mut self.device_tables.0[table];
        for (o, &uid) in seen.iter().enumerate() {
            if t.node_uids[o] != uid {
                t.devices.set_node_present(o, false);
                t.devices.set_node_present(o, uid != 0);
                t.node_uids[o] = uid;
            }
        }
    }

    /// After the wells changed: every running pod's claim anew, in binding order.
    fn reallocate_pool_claims(&mut self, table: usize) {
        let pool = self.device_tables.0[table].pool;
        let Some(p) = self.pools.get(pool as usize).copied().flatten() else {
            return;
        };
        let mut node = p.first;
        while node != NONE {
            let next = self.next_pool_node(node);
            self.evict_claim_holders(node, true);
            node = next;
        }
    }

    /// Evicts the pods on `node` that hold a claim: all of them, or (`reallocate`) those
    /// whose claim the node's devices cannot allocate again.
    fn evict_claim_holders(&mut self, node: u32, reallocate: bool) {
        let mut cur = self.nodes.get(node).map_or(NONE, |n| n.first_pod);
        while let Some(pod) = self.pods.get(cur).copied() {
            let next = pod.node_next;
            if pod.claim.is_some() && !(reallocate && self.allocate_claim(cur, node)) {
                self.evict_pod(cur);
            }
            cur = next;
        }
    }

    /// DynamicResources' PreFilter: the device slots whose node can allocate the claim of
    /// `pod` now.
    pub(super) fn claim_fit(&self, pod: &Pod) -> ClaimFit {
        let Some(claim) = pod.claim.device_claim(pod.meta.uid) else {
            return ClaimFit::default();
        };
        let mut slots = 0u128;
        for (table, t) in self.device_tables.0.iter().enumerate() {
            if t.pool == 0 {
                continue;
            }
            for o in 0..MAX_POOL_NODES {
                if t.devices.node(o).is_some() && t.devices.filter(o, &claim).is_ok() {
                    slots |= 1 << slot(table, o as u32);
                }
            }
        }
        ClaimFit {
            claimed: true,
            slots,
        }
    }

    /// Reserve: allocates the claim of the pod at `index` on `node`'s devices. True when it
    /// has no claim or got its devices.
    pub(super) fn allocate_claim(&mut self, index: u32, node: u32) -> bool {
        let (Some(pod), Some(n)) = (self.pods.get(index), self.nodes.get(node)) else {
            return false;
        };
        let Some(claim) = pod.claim.device_claim(pod.meta.uid) else {
            return true;
        };
        let (pool, ordinal, uid) = (n.pool, n.ordinal as usize, n.meta.uid);
        let Some(t) = self.device_tables.find(pool) else {
            return false;
        };
        let t = &mut self.device_tables.0[t];
        ordinal < MAX_POOL_NODES
            && t.node_uids[ordinal] == uid
            && t.devices.allocate(ordinal, &claim).is_ok()
    }

    /// Reserve at bind: [`World::allocate_claim`], counted.
    pub(super) fn reserve_claim(&mut self, index: u32, node: u32) {
        let claimed = self.pods.get(index).is_some_and(|p| p.claim.is_some());
        if claimed && self.allocate_claim(index, node) {
            let pool = self.nodes.get(node).map_or(0, |n| n.pool);
            if let Some(t) = self.device_tables.find(pool) {
                let t = &mut self.device_tables.0[t];
                t.allocations = t.allocations.wrapping_add(1);
            }
        }
    }

    /// Releases the claim of `pod` (leaving `node`) from the node's devices.
    pub(super) fn release_claim(&mut self, pod: &Pod, node: &Node) {
        if !pod.claim.is_some() {
            return;
        }
        let Some(t) = self.device_tables.find(node.pool) else {
            return;
        };
        let t = &mut self.device_tables.0[t];
        let o = node.ordinal as usize;
        if o < MAX_POOL_NODES && t.node_uids[o] == node.meta.uid {
            t.devices.deallocate(o, pod.meta.uid);
        }
    }

    /// Whether a fresh node of pool `tag` could allocate `pod`'s claim (true without a
    /// claim): the autoscaler adds nodes only for pods this holds for.
    pub(super) fn claim_fits_fresh_node(&self, tag: u32, pod: &Pod) -> bool {
        let Some(claim) = pod.claim.device_claim(pod.meta.uid) else {
            return true;
        };
        self.device_tables.find(tag).is_some_and(|t| {
            self.device_tables.0[t]
                .devices
                .filter_template(&claim)
                .is_ok()
        })
    }
}
