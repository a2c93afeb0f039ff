//! NodeUnschedulable: cordoned nodes (spec.unschedulable) take no new pods.

use super::FilterReason;
use crate::world::objects::Node;

/// Filter.
#[inline]
pub fn filter(node: &Node) -> Result<(), FilterReason> {
    if node.unschedulable {
        Err(FilterReason::Unschedulable)
    } else {
        Ok(())
    }
}
