//! A device pool: the devices of a NODE pool, where every node publishes the same devices,
//! with the pool's capacity summed over its nodes.

use super::claim::DeviceClaim;
use super::device::Device;
use super::node::{AllocationResult, ClaimFailure, NodeDevices};
use super::unsatisfiable::Unsatisfiable;
use super::{MAX_CAPACITIES, MAX_DEVICES};
use crate::world::MAX_POOL_NODES;

/// The devices of a pool of identical nodes, by node ordinal. Allocation goes to one
/// node's devices and also draws down the pool's totals.
#[derive(Debug, Clone)]
pub struct DevicePool {
    template: NodeDevices,
    nodes: Vec<NodeDevices>,
    present: [bool; MAX_POOL_NODES],
    allocated: [[u64; MAX_CAPACITIES]; MAX_DEVICES],
    devices_in_use: usize,
}

impl DevicePool {
    /// A pool of nodes 0..`node_count` (up to MAX_POOL_NODES), each publishing `devices`.
    /// Room for MAX_POOL_NODES nodes is made here, so nothing allocates later.
    pub fn new(devices: &[Device], node_count: usize) -> DevicePool {
        let template = NodeDevices::new(devices);
        let mut pool = DevicePool {
            template,
            nodes: vec![template; MAX_POOL_NODES],
            present: [false; MAX_POOL_NODES],
            allocated: [[0; MAX_CAPACITIES]; MAX_DEVICES],
            devices_in_use: 0,
        };
        pool.set_node_count(node_count);
        pool
    }

    /// How many nodes the pool has.
    pub fn node_count(&self) -> usize {
        self.present.iter().filter(|&&p| p).count()
    }

    /// Makes the pool nodes 0..`count` (up to MAX_POOL_NODES), as `set_node_present` does
    /// for each.
    pub fn set_node_count(&mut self, count: usize) {
        for node in 0..MAX_POOL_NODES {
            self.set_node_present(node, node < count);
        }
    }

    /// Adds node `node` (an ordinal below MAX_POOL_NODES; others are ignored), with nothing
    /// allocated, or removes it: a removed node loses its allocations (its claims go with
    /// it).
    pub fn set_node_present(&mut self, node: usize, present: bool) {
        if node >= MAX_POOL_NODES || self.present[node] == present {
            return;
        }
        if !present {
            self.update(node, NodeDevices::clear);
        }
        self.present[node] = present;
    }

    /// Node `node`'s devices, if the pool has that node.
    pub fn node(&self, node: usize) -> Option<&NodeDevices> {
        self.present
            .get(node)
            .is_some_and(|&p| p)
            .then(|| &self.nodes[node])
    }

    /// The devices every node publishes.
    pub fn devices(&self) -> &[Device] {
        self.template.devices()
    }

    /// Where `claim` would go on `node`, without allocating.
    pub fn filter(
        &self,
        node: usize,
        claim: &DeviceClaim,
    ) -> Result<AllocationResult, Unsatisfiable> {
        self.node(node)
            .ok_or(Unsatisfiable::NoDevices)?
            .filter(claim)
    }

    /// Allocates `claim` on `node`'s devices, drawing down device and pool capacity.
    pub fn allocate(
        &mut self,
        node: usize,
        claim: &DeviceClaim,
    ) -> Result<AllocationResult, Unsatisfiable> {
        if self.node(node).is_none() {
            return Err(Unsatisfiable::NoDevices);
        }
        self.update(node, |n| n.allocate(claim))
    }

    /// Allocates all of a pod's `claims` on `node`, or none of them.
    pub fn allocate_all(
        &mut self,
        node: usize,
        claims: &[DeviceClaim],
    ) -> Result<(), ClaimFailure> {
        if self.node(node).is_none() {
            return Err(ClaimFailure {
                index: 0,
                reason: Unsatisfiable::NoDevices,
            });
        }
        self.update(node, |n| n.allocate_all(claims))
    }

    /// Releases claim `uid` on `node`, restoring device and pool capacity; returns how
    /// many devices it held.
    pub fn deallocate(&mut self, node: usize, uid: u64) -> usize {
        if self.node(node).is_none() {
            return 0;
        }
        self.update(node, |n| n.deallocate(uid))
    }

    /// Units of capacity `name` the pool has in all (whole blocks for block capacities).
    pub fn capacity(&self, name: &str) -> u64 {
        let per_node: u64 = self
            .devices()
            .iter()
            .filter_map(|d| d.capacity_named(name))
            .map(|c| c.allocatable())
            .sum();
        per_node.saturating_mul(self.node_count() as u64)
    }

    /// Units of capacity `name` claims hold across the pool.
    pub fn allocated(&self, name: &str) -> u64 {
        self.devices()
            .iter()
            .enumerate()
            .filter_map(|(d, dev)| dev.capacity_index(name).map(|c| self.allocated[d][c]))
            .sum()
    }

    /// Units of capacity `name` still free across the pool.
    pub fn available(&self, name: &str) -> u64 {
        self.capacity(name).saturating_sub(self.allocated(name))
    }

    /// Devices across the pool that hold at least one claim.
    pub fn devices_in_use(&self) -> usize {
        self.devices_in_use
    }

    /// Devices across the pool that hold no claim (k8srm `availableDevices`).
    pub fn available_devices(&self) -> usize {
        (self.template.devices().len() * self.node_count()).saturating_sub(self.devices_in_use)
    }

    /// Runs `op` on node `node` and moves the pool totals by what it changed.
    fn update<R>(&mut self, node: usize, op: impl FnOnce(&mut NodeDevices) -> R) -> R {
        self.account(node, false);
        let out = op(&mut self.nodes[node]);
        self.account(node, true);
        out
    }

    /// Adds (or takes away) node `node`'s allocations to (from) the pool totals.
    fn account(&mut self, node: usize, add: bool) {
        for (d, device) in self.nodes[node].devices().iter().enumerate() {
            for (c, slot) in self.allocated[d].iter_mut().enumerate() {
                let held = device.capacity(c).map_or(0, |c| c.allocated);
                *slot = if add {
                    slot.saturating_add(held)
                } else {
                    slot.saturating_sub(held)
                };
            }
            if device.is_allocated() {
                self.devices_in_use = if add {
                    self.devices_in_use + 1
                } else {
                    self.devices_in_use.saturating_sub(1)
                };
            }
        }
    }
}
