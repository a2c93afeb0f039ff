//! TaintToleration over the node's taints (the not-ready taint, the ZONE/TAINT shortcuts'
//! `kuberack.io/dedicated` and `energy=<essence>:NoSchedule`, and the NODE's own taints) and
//! the pod's tolerations. NoSchedule and NoExecute filter (the first untolerated one in the
//! node's order is the reason); PreferNoSchedule scores the count of taints no toleration of
//! that effect or of every effect tolerates, reversed by DefaultNormalizeScore so untainted
//! nodes score 100.

use super::node_info::NodeInfo;
use super::FilterReason;
use crate::world::constraints::SchedulingSpec;
use crate::world::objects::Node;
use crate::world::terms::matching::{NoExecute, NodeView, PodView, Untolerated};

/// The taints and labels of a scheduler's node.
#[inline]
pub fn view(node: &NodeInfo) -> NodeView {
    NodeView::new(node.zone, node.mana.essence, node.taint, node.terms)
}

/// Filter: node.kubernetes.io/not-ready:NoSchedule, then the node's taints in order.
#[inline]
pub fn filter(node: &NodeInfo, pod: &SchedulingSpec) -> Result<(), FilterReason> {
    if !node.ready {
        return Err(FilterReason::NotReady);
    }
    match PodView::new(pod).untolerated(&view(node)) {
        None => Ok(()),
        Some(Untolerated::Energy(_)) => Err(FilterReason::UntoleratedEnergy),
        Some(Untolerated::Dedicated | Untolerated::Other) => Err(FilterReason::UntoleratedTaint),
    }
}

/// Raw score: intolerable PreferNoSchedule taints on the node.
#[inline]
pub fn score(node: &NodeInfo, pod: &SchedulingSpec) -> u8 {
    PodView::new(pod).intolerable_prefer_no_schedule(&view(node))
}

/// The taint manager's verdict for a pod bound to the node.
pub fn no_execute(node: &Node, pod: &SchedulingSpec) -> NoExecute {
    PodView::new(pod).no_execute(&NodeView::new(
        node.zone,
        node.mana.essence,
        node.taint,
        node.terms,
    ))
}
