//! Why a claim cannot be allocated on a node, in the words the scheduler reports.

use std::fmt;

/// Why no set of a node's devices satisfies a claim. The per-device reasons are ordered by
/// how far a device got through the checks; a node reports the furthest any device got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unsatisfiable {
    /// The node publishes no devices.
    NoDevices,
    /// No device comes from the class's driver.
    DriverMismatch,
    /// No device matches the DeviceClass's selectors.
    ClassSelectors,
    /// No device of the class matches the claim's selectors.
    ClaimSelectors,
    /// No selected device has a capacity the claim requests.
    MissingCapacity,
    /// Selected devices have too little of a requested capacity left.
    InsufficientCapacity,
    /// Selected devices are held by claims whose access mode excludes this claim's.
    AccessModeConflict,
    /// Selected devices already serve as many claims as they can track.
    AllocationsFull,
    /// Some devices fit, but fewer than the claim's count.
    NotEnoughDevices,
    /// Enough devices fit, but not enough of them agree on a matchAttribute.
    MatchAttribute,
    /// The claim is already allocated on this node.
    AlreadyAllocated,
}

impl Unsatisfiable {
    /// What the DynamicResources filter says of the node (upstream's message).
    pub const FILTER_MESSAGE: &'static str = "cannot allocate all claims";

    /// Which constraint failed.
    pub fn reason(self) -> &'static str {
        match self {
            Unsatisfiable::NoDevices => "node has no devices",
            Unsatisfiable::DriverMismatch => "no device of the device class's driver",
            Unsatisfiable::ClassSelectors => "no device matches the device class's selectors",
            Unsatisfiable::ClaimSelectors => "no device matches the claim's selectors",
            Unsatisfiable::MissingCapacity => "no selected device has the requested capacity",
            Unsatisfiable::InsufficientCapacity => "insufficient capacity on selected devices",
            Unsatisfiable::AccessModeConflict => {
                "selected devices are in use by claims with a conflicting access mode"
            }
            Unsatisfiable::AllocationsFull => "selected devices have no free allocation slot",
            Unsatisfiable::NotEnoughDevices => "fewer devices fit than the claim's count",
            Unsatisfiable::MatchAttribute => "not enough fitting devices share matchAttribute",
            Unsatisfiable::AlreadyAllocated => "claim is already allocated",
        }
    }
}

impl fmt::Display for Unsatisfiable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", Self::FILTER_MESSAGE, self.reason())
    }
}
