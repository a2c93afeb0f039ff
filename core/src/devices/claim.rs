//! DeviceClaim: a request for devices of a class, with constraints, a count, capacity
//! requests and an access mode (k8srm `DeviceClaimSpec`, DRA `DeviceRequest`).

use super::access::AccessMode;
use super::attributes::{Attribute, Attributes};
use super::class::DeviceClass;
use super::{MAX_CAPACITIES, MAX_DEVICES, MAX_MATCH_ATTRIBUTES};

/// An amount asked of a named capacity on every allocated device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityRequest {
    /// The capacity's name, e.g. `manawell.io/mana`.
    pub name: &'static str,
    /// Units asked (rounded up to whole blocks by a block capacity).
    pub amount: u64,
}

/// A claim for `count` devices of a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceClaim {
    /// Unique id of the claim (deallocation finds it by this).
    pub uid: u64,
    /// The class its devices come from.
    pub class: DeviceClass,
    /// Further attribute values each device must have (ANDed with the class's).
    pub selectors: Attributes,
    /// How the claim uses its devices.
    pub access_mode: AccessMode,
    count: usize,
    requests: [Option<CapacityRequest>; MAX_CAPACITIES],
    match_attributes: [Option<&'static str>; MAX_MATCH_ATTRIBUTES],
}

impl DeviceClaim {
    /// A claim for one device of `class`, exclusive (k8srm's default), asking no capacity.
    pub fn new(uid: u64, class: DeviceClass) -> DeviceClaim {
        DeviceClaim {
            uid,
            class,
            selectors: Attributes::EMPTY,
            access_mode: AccessMode::ReadWriteExclusive,
            count: 1,
            requests: [None; MAX_CAPACITIES],
            match_attributes: [None; MAX_MATCH_ATTRIBUTES],
        }
    }

    /// With `count` devices (clamped to 1..=MAX_DEVICES).
    pub fn with_count(mut self, count: usize) -> DeviceClaim {
        self.count = count.clamp(1, MAX_DEVICES);
        self
    }

    /// In access mode `mode`.
    pub fn with_access(mut self, mode: AccessMode) -> DeviceClaim {
        self.access_mode = mode;
        self
    }

    /// Also requiring attribute `selector` on each device.
    pub fn with_selector(mut self, selector: Attribute) -> DeviceClaim {
        self.selectors.set(selector);
        self
    }

    /// Asking `amount` of capacity `name` on each device (added to an earlier request of
    /// the same name; ignored when MAX_CAPACITIES names are already asked).
    pub fn with_request(mut self, name: &'static str, amount: u64) -> DeviceClaim {
        if let Some(r) = self.requests.iter_mut().flatten().find(|r| r.name == name) {
            r.amount = r.amount.saturating_add(amount);
        } else if let Some(slot) = self.requests.iter_mut().find(|r| r.is_none()) {
            *slot = Some(CapacityRequest { name, amount });
        }
        self
    }

    /// Requiring all its devices to have the same value of attribute `name`
    /// (k8srm `attributeMatches`, DRA `constraints[].matchAttribute`).
    pub fn with_match_attribute(mut self, name: &'static str) -> DeviceClaim {
        if !self.match_attributes().any(|m| m == name) {
            if let Some(slot) = self.match_attributes.iter_mut().find(|m| m.is_none()) {
                *slot = Some(name);
            }
        }
        self
    }

    /// How many devices it needs.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Its capacity requests.
    pub fn requests(&self) -> impl Iterator<Item = &CapacityRequest> {
        self.requests.iter().flatten()
    }

    /// The attributes its devices must agree on.
    pub fn match_attributes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.match_attributes.iter().flatten().copied()
    }
}
