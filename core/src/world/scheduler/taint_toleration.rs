//! TaintToleration: the not-ready taint, the `kuberack.io/dedicated` taint and the
//! `energy=<essence>:NoSchedule` taint of mana nodes. NoSchedule and
//! NoExecute filter; PreferNoSchedule scores (count of intolerable taints, reversed by
//! DefaultNormalizeScore so untainted nodes score 100).

use super::node_info::NodeInfo;
use super::FilterReason;
use crate::world::constraints::{SchedulingSpec, TaintEffect};
use crate::world::objects::Node;

/// Filter: node.kubernetes.io/not-ready:NoSchedule, then the dedicated taint.
#[inline]
pub fn filter(node: &NodeInfo, pod: &SchedulingSpec) -> Result<(), FilterReason> {
    if !node.ready {
        return Err(FilterReason::NotReady);
    }
    if matches!(node.taint, TaintEffect::NoSchedule | TaintEffect::NoExecute)
        && !pod.tolerates_dedicated
    {
        return Err(FilterReason::UntoleratedTaint);
    }
    if node.mana.essence != 0 && pod.tolerates_energy != node.mana.essence {
        return Err(FilterReason::UntoleratedEnergy);
    }
    Ok(())
}

/// Raw score: intolerable PreferNoSchedule taints on the node.
#[inline]
pub fn score(node: &NodeInfo, pod: &SchedulingSpec) -> i64 {
    i64::from(node.taint == TaintEffect::PreferNoSchedule && !pod.tolerates_dedicated)
}

/// Whether a pod bound to the node may stay there (NoExecute is tolerated or absent).
pub fn tolerates_no_execute(node: &Node, pod: &SchedulingSpec) -> bool {
    node.taint != TaintEffect::NoExecute || pod.tolerates_dedicated
}
