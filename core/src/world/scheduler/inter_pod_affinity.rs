//! InterPodAffinity: the anti-affinity switch (to the pod's own app on one topology key)
//! here, the typed terms in [`super::pod_affinity`], filtered and scored together. Required:
//! a node fails when its domain holds a pod of the app (the pod's own term) or a pod of the
//! app whose required term forbids the incoming pod (existing pods' anti-affinity).
//! Preferred (weight 100): each matching pod in the node's domain subtracts the weight, once
//! for the incoming pod's term and once for the existing pod's own preferred term, and scores
//! are normalised to 0..100 between the lowest and highest, as upstream does. Terminating pods
//! count, as they are still in the node's pod list.

use super::cycle::{AppCount, AppPods};
use super::node_info::NodeInfo;
use super::pod_affinity::PodAffinityState;
use super::{FilterReason, MAX_NODE_SCORE};
use crate::world::constraints::{
    AntiAffinity, SchedulingSpec, TopologyKey, PREFERRED_WEIGHT, ZONES,
};

/// The app's pods in the node's domain (nothing when the node lacks the label).
#[inline]
fn domain(index: u32, node: &NodeInfo, key: TopologyKey, app: &AppPods) -> AppCount {
    match key {
        TopologyKey::Hostname => app.node(index),
        TopologyKey::Zone if node.zone == 0 => AppCount::default(),
        TopologyKey::Zone => app.zone(node.zone),
    }
}

/// Filter, with `removed` of the app's pods taken off this node (preemption dry run): the
/// typed terms' affinity, then the pod's own anti-affinity (switch and terms), then existing
/// pods' (upstream's order).
#[inline]
pub fn filter(
    index: u32,
    node: &NodeInfo,
    pod: &SchedulingSpec,
    app: &AppPods,
    terms: &PodAffinityState,
    removed: AppCount,
) -> Result<(), FilterReason> {
    let c = domain(index, node, pod.anti_affinity_key, app);
    let anti = pod.anti_affinity == AntiAffinity::Required && c.all > removed.all;
    let existing = c.required > removed.required;
    terms.filter(index, node, anti, existing)
}

/// PreScore: skipped unless the pod or a pod of its app has a preferred term (switch), or
/// the typed terms score.
pub fn skip_score(pod: &SchedulingSpec, app: &AppPods, terms: &PodAffinityState) -> bool {
    pod.anti_affinity != AntiAffinity::Preferred
        && (0..=ZONES as u8).all(|z| app.zone(z).preferred == 0)
        && !terms.scores()
}

/// Raw score (0 or negative) of a node in `zone` holding `node_pods` of the app.
#[inline]
pub fn score(node_pods: AppCount, zone: u8, pod: &SchedulingSpec, app: &AppPods) -> i64 {
    let c = match pod.anti_affinity_key {
        TopologyKey::Hostname => node_pods,
        TopologyKey::Zone if zone == 0 => AppCount::default(),
        TopologyKey::Zone => app.zone(zone),
    };
    let own = if pod.anti_affinity == AntiAffinity::Preferred {
        i64::from(c.all)
    } else {
        0
    };
    -PREFERRED_WEIGHT * (own + i64::from(c.preferred))
}

/// NormalizeScore between the lowest and highest raw scores (truncated, as upstream).
#[inline]
pub fn normalize(raw: i64, min: i64, max: i64) -> i64 {
    if max > min {
        (MAX_NODE_SCORE as f64 * ((raw - min) as f64 / (max - min) as f64)) as i64
    } else {
        0
    }
}
