//! Devices and device claims after the k8srm prototype and Kubernetes DRA
//! (`resource.k8s.io`): DeviceClasses select devices by driver and attributes; a
//! DeviceClaim asks for a count of them with capacity requests, selectors, matchAttribute
//! constraints and an access mode; a node's devices are allocated first fit, and a claim
//! that no set of devices satisfies gets the reason the scheduler reports.
//!
//! Fixed capacity: every table is sized at construction, so allocation and deallocation
//! never touch the heap. Deterministic: devices are tried in publication order.

mod access;
mod attributes;
mod capacity;
mod claim;
mod class;
mod device;
mod manawell;
mod node;
mod pool;
mod unsatisfiable;

pub use access::{AccessMode, AccessPolicy};
pub use attributes::{Attribute, AttributeValue, Attributes};
pub use capacity::{CapacityKind, DeviceCapacity};
pub use claim::{CapacityRequest, DeviceClaim};
pub use class::DeviceClass;
pub use device::{Device, DeviceAllocation};
pub use manawell::{
    essence_attribute, essence_class, mana_well, CHANNELS_CAPACITY, ESSENCE_ATTRIBUTE,
    MANAWELL_DRIVER, MANA_CAPACITY,
};
pub use node::{AllocationResult, ClaimFailure, NodeDevices};
pub use pool::DevicePool;
pub use unsatisfiable::Unsatisfiable;

/// Devices a node publishes at most.
pub const MAX_DEVICES: usize = 8;
/// Capacities per device (and capacity requests per claim) at most.
pub const MAX_CAPACITIES: usize = 4;
/// Attributes per device (and selectors per class or claim) at most.
pub const MAX_ATTRIBUTES: usize = 4;
/// Claims one device serves at once at most.
pub const MAX_ALLOCATIONS: usize = 64;
/// matchAttribute constraints per claim at most.
pub const MAX_MATCH_ATTRIBUTES: usize = 2;
