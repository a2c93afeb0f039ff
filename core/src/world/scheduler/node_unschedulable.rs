//! NodeUnschedulable: cordoned nodes (spec.unschedulable) take no new pods.

use super::node_info::NodeInfo;
use super::FilterReason;

/// Filter.
#[inline]
pub fn filter(node: &NodeInfo) -> Result<(), FilterReason> {
    if node.unschedulable {
        Err(FilterReason::Unschedulable)
    } else {
        Ok(())
    }
}
