//! DynamicResources (Filter): a pod with a resource claim fits only the nodes whose devices
//! can allocate it; elsewhere it reads upstream's "cannot allocate all claims". The world
//! tries the claim on every node's devices once per cycle (upstream's PreFilter builds its
//! allocator there too) and hands the filter one bit per device slot.

use super::cycle::PodInfo;
use super::node_info::NodeInfo;
use super::FilterReason;

/// Device slots a [`ClaimFit`] can name (device tables × nodes per pool).
pub const DEVICE_SLOTS: usize = 128;
/// A node whose pool declares no devices.
pub const NO_DEVICE_SLOT: u8 = u8::MAX;

/// Where a pod's claim can be allocated, as PreFilter found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClaimFit {
    /// The pod has a claim (without one the filter passes every node).
    pub claimed: bool,
    /// Bit `s`: the node in device slot `s` can allocate the claim now.
    pub slots: u128,
}

/// The filter.
#[inline]
pub fn filter(node: &NodeInfo, pod: &PodInfo) -> Result<(), FilterReason> {
    if !pod.claims.claimed {
        return Ok(());
    }
    let slot = u32::from(node.device_slot);
    if (slot as usize) < DEVICE_SLOTS && pod.claims.slots >> slot & 1 == 1 {
        Ok(())
    } else {
        Err(FilterReason::CannotAllocateClaims)
    }
}
