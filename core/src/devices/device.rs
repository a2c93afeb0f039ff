//! A device as a driver publishes it in a ResourceSlice, with the claims it serves.

use super::access::{AccessMode, AccessPolicy};
use super::attributes::{Attribute, Attributes};
use super::capacity::DeviceCapacity;
use super::{MAX_ALLOCATIONS, MAX_CAPACITIES};

/// One claim's share of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceAllocation {
    /// The claim's uid.
    pub claim: u64,
    /// The mode it was granted (its request, upgraded by the device's policy).
    pub mode: AccessMode,
    /// What it holds of each capacity, in the device's capacity order.
    pub charged: [u64; MAX_CAPACITIES],
}

impl DeviceAllocation {
    const EMPTY: DeviceAllocation = DeviceAllocation {
        claim: 0,
        mode: AccessMode::ReadOnlyShared,
        charged: [0; MAX_CAPACITIES],
    };
}

/// A device: its driver, attributes, capacities, access policy and current allocations.
#[derive(Debug, Clone, Copy)]
pub struct Device {
    /// Name within its node, e.g. `well-0`.
    pub name: &'static str,
    /// The driver publishing it, e.g. `manawell.io`.
    pub driver: &'static str,
    /// Attributes that selectors and matchAttribute read.
    pub attributes: Attributes,
    /// Which access modes it allows.
    pub access: AccessPolicy,
    capacities: [Option<DeviceCapacity>; MAX_CAPACITIES],
    allocations: [DeviceAllocation; MAX_ALLOCATIONS],
    allocation_count: usize,
}

impl Device {
    /// A device with no capacities, every access mode allowed and nothing allocated.
    pub fn new(name: &'static str, driver: &'static str, attributes: &[Attribute]) -> Device {
        Device {
            name,
            driver,
            attributes: Attributes::new(attributes),
            access: AccessPolicy::SHARED,
            capacities: [None; MAX_CAPACITIES],
            allocations: [DeviceAllocation::EMPTY; MAX_ALLOCATIONS],
            allocation_count: 0,
        }
    }

    /// With `capacity` added (replacing one of the same name; ignored when full).
    pub fn with_capacity(mut self, capacity: DeviceCapacity) -> Device {
        let fresh = DeviceCapacity {
            allocated: 0,
            ..capacity
        };
        if let Some(i) = self.capacity_index(capacity.name) {
            self.capacities[i] = Some(fresh);
        } else if let Some(slot) = self.capacities.iter_mut().find(|c| c.is_none()) {
            *slot = Some(fresh);
        }
        self
    }

    /// With the access policy `access`.
    pub fn with_access(mut self, access: AccessPolicy) -> Device {
        self.access = access;
        self
    }

    /// The capacity slot named `name`.
    pub fn capacity_index(&self, name: &str) -> Option<usize> {
        self.capacities
            .iter()
            .position(|c| c.is_some_and(|c| c.name == name))
    }

    /// The capacity in slot `index`.
    pub fn capacity(&self, index: usize) -> Option<&DeviceCapacity> {
        self.capacities.get(index).and_then(Option::as_ref)
    }

    /// The capacity named `name`.
    pub fn capacity_named(&self, name: &str) -> Option<&DeviceCapacity> {
        self.capacity_index(name).and_then(|i| self.capacity(i))
    }

    /// The capacities in slot order.
    pub fn capacities(&self) -> impl Iterator<Item = &DeviceCapacity> {
        self.capacities.iter().flatten()
    }

    /// The claims the device serves, oldest first.
    pub fn allocations(&self) -> &[DeviceAllocation] {
        &self.allocations[..self.allocation_count]
    }

    /// Whether any claim holds the device.
    pub fn is_allocated(&self) -> bool {
        self.allocation_count > 0
    }

    /// Whether the allocation table is full.
    pub fn allocations_full(&self) -> bool {
        self.allocation_count == MAX_ALLOCATIONS
    }

    /// Whether a claim in `mode` may join the claims holding the device now.
    pub fn admits(&self, mode: AccessMode) -> bool {
        self.allocations()
            .iter()
            .all(|a| mode.compatible_with(a.mode))
    }

    /// Whether claim `uid` holds the device.
    pub fn holds(&self, uid: u64) -> bool {
        self.allocations().iter().any(|a| a.claim == uid)
    }

    /// Records `allocation` and draws its charges from the capacities. The caller has
    /// checked that it fits (`allocation::fit`).
    pub(super) fn commit(&mut self, allocation: DeviceAllocation) {
        for (slot, charge) in self.capacities.iter_mut().zip(allocation.charged) {
            if let Some(c) = slot {
                c.allocated = c.allocated.saturating_add(charge);
            }
        }
        self.allocations[self.allocation_count] = allocation;
        self.allocation_count += 1;
    }

    /// Removes claim `uid`'s allocation and returns its charges to the capacities.
    pub(super) fn release(&mut self, uid: u64) -> Option<DeviceAllocation> {
        let i = self.allocations().iter().position(|a| a.claim == uid)?;
        let freed = self.allocations[i];
        self.allocations
            .copy_within(i + 1..self.allocation_count, i);
        self.allocation_count -= 1;
        for (slot, charge) in self.capacities.iter_mut().zip(freed.charged) {
            if let Some(c) = slot {
                c.allocated = c.allocated.saturating_sub(charge);
            }
        }
        Some(freed)
    }

    /// Drops every allocation (the device's node went away).
    pub(super) fn release_all(&mut self) {
        self.allocation_count = 0;
        for c in self.capacities.iter_mut().flatten() {
            c.allocated = 0;
        }
    }
}
