//! A node's devices and the allocator: first fit in device order, all-or-nothing per claim.

use super::claim::DeviceClaim;
use super::device::{Device, DeviceAllocation};
use super::unsatisfiable::Unsatisfiable;
use super::{MAX_CAPACITIES, MAX_DEVICES};

/// The devices chosen for a claim, with what each one is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocationResult {
    chosen: [(usize, DeviceAllocation); MAX_DEVICES],
    count: usize,
}

impl AllocationResult {
    /// (device index on the node, its allocation), in device order.
    pub fn devices(&self) -> &[(usize, DeviceAllocation)] {
        &self.chosen[..self.count]
    }
}

/// Which claim of a batch failed, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimFailure {
    /// Its index in the batch.
    pub index: usize,
    /// Why.
    pub reason: Unsatisfiable,
}

/// The devices one node publishes (up to MAX_DEVICES), with their allocations.
#[derive(Debug, Clone, Copy)]
pub struct NodeDevices {
    devices: [Device; MAX_DEVICES],
    len: usize,
}

impl NodeDevices {
    /// The first MAX_DEVICES of `devices`, with nothing allocated.
    pub fn new(devices: &[Device]) -> NodeDevices {
        let blank = Device::new("", "", &[]);
        let mut out = NodeDevices {
            devices: [blank; MAX_DEVICES],
            len: devices.len().min(MAX_DEVICES),
        };
        for (slot, d) in out.devices.iter_mut().zip(devices) {
            *slot = *d;
            slot.release_all();
        }
        out
    }

    /// The devices, in publication order.
    pub fn devices(&self) -> &[Device] {
        &self.devices[..self.len]
    }

    /// Whether claim `uid` holds any device here.
    pub fn holds(&self, uid: u64) -> bool {
        self.devices().iter().any(|d| d.holds(uid))
    }

    /// Where `claim` would be allocated, without allocating (the scheduler's Filter).
    pub fn filter(&self, claim: &DeviceClaim) -> Result<AllocationResult, Unsatisfiable> {
        if self.len == 0 {
            return Err(Unsatisfiable::NoDevices);
        }
        if self.holds(claim.uid) {
            return Err(Unsatisfiable::AlreadyAllocated);
        }
        let mut fits = [None; MAX_DEVICES];
        let mut furthest = Unsatisfiable::DriverMismatch;
        let mut fitting = 0;
        for (slot, device) in fits.iter_mut().zip(self.devices()) {
            match fit(device, claim) {
                Ok(a) => {
                    *slot = Some(a);
                    fitting += 1;
                }
                Err(why) => furthest = furthest.max(why),
            }
        }
        if fitting == 0 {
            return Err(furthest);
        }
        if fitting < claim.count() {
            return Err(Unsatisfiable::NotEnoughDevices);
        }
        self.choose(claim, &fits)
            .ok_or(Unsatisfiable::MatchAttribute)
    }

    /// The first `count` fitting devices, in order, that agree with the first possible
    /// anchor device on every matchAttribute.
    fn choose(
        &self,
        claim: &DeviceClaim,
        fits: &[Option<DeviceAllocation>; MAX_DEVICES],
    ) -> Option<AllocationResult> {
        let devices = self.devices();
        (0..self.len)
            .filter(|&i| fits[i].is_some())
            .find_map(|anchor| {
                let mut result = AllocationResult {
                    chosen: [(0, fits[anchor]?); MAX_DEVICES],
                    count: 0,
                };
                for (i, a) in fits.iter().enumerate().take(self.len) {
                    let Some(a) = a else { continue };
                    let agrees = claim.match_attributes().all(|m| {
                        let v = devices[anchor].attributes.get(m);
                        v.is_some() && devices[i].attributes.get(m) == v
                    });
                    if agrees && result.count < claim.count() {
                        result.chosen[result.count] = (i, *a);
                        result.count += 1;
                    }
                }
                (result.count == claim.count()).then_some(result)
            })
    }

    /// Allocates `claim` (Filter, then Reserve): reduces the chosen devices' capacities.
    pub fn allocate(&mut self, claim: &DeviceClaim) -> Result<AllocationResult, Unsatisfiable> {
        let result = self.filter(claim)?;
        for &(i, a) in result.devices() {
            self.devices[i].commit(a);
        }
        Ok(result)
    }

    /// Allocates every claim of a pod, or none: on a failure the earlier ones are undone.
    pub fn allocate_all(&mut self, claims: &[DeviceClaim]) -> Result<(), ClaimFailure> {
        for (index, claim) in claims.iter().enumerate() {
            if let Err(reason) = self.allocate(claim) {
                for done in &claims[..index] {
                    self.deallocate(done.uid);
                }
                return Err(ClaimFailure { index, reason });
            }
        }
        Ok(())
    }

    /// Releases claim `uid` from every device and restores their capacities; returns how
    /// many devices it held.
    pub fn deallocate(&mut self, uid: u64) -> usize {
        let len = self.len;
        self.devices[..len]
            .iter_mut()
            .filter_map(|d| d.release(uid))
            .count()
    }

    /// Drops every allocation.
    pub fn clear(&mut self) {
        for d in &mut self.devices[..self.len] {
            d.release_all();
        }
    }
}

/// What `device` would be charged for `claim`, or the first check it fails.
fn fit(device: &Device, claim: &DeviceClaim) -> Result<DeviceAllocation, Unsatisfiable> {
    if !claim.class.driver_matches(device) {
        return Err(Unsatisfiable::DriverMismatch);
    }
    if !claim.class.selectors.selected_by(&device.attributes) {
        return Err(Unsatisfiable::ClassSelectors);
    }
    if !claim.selectors.selected_by(&device.attributes) {
        return Err(Unsatisfiable::ClaimSelectors);
    }
    let mut charged = [0u64; MAX_CAPACITIES];
    for request in claim.requests() {
        let i = device
            .capacity_index(request.name)
            .ok_or(Unsatisfiable::MissingCapacity)?;
        let capacity = device.capacity(i).ok_or(Unsatisfiable::MissingCapacity)?;
        let charge = capacity
            .charge(request.amount)
            .ok_or(Unsatisfiable::InsufficientCapacity)?;
        charged[i] = charged[i].saturating_add(charge);
        if charged[i] > capacity.available() {
            return Err(Unsatisfiable::InsufficientCapacity);
        }
    }
    let mode = device.access.effective(claim.access_mode);
    if !device.admits(mode) {
        return Err(Unsatisfiable::AccessModeConflict);
    }
    if device.allocations_full() {
        return Err(Unsatisfiable::AllocationsFull);
    }
    Ok(DeviceAllocation {
        claim: claim.uid,
        mode,
        charged,
    })
}
