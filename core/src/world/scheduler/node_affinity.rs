//! NodeAffinity: the pod's nodeSelector on the zone and `energy` labels filters; its preferred term (weight
//! 100) on the zone label scores, normalised by DefaultNormalizeScore. Without a preferred
//! term the plugin skips scoring (0 on every node).

use super::node_info::NodeInfo;
use super::FilterReason;
use crate::world::constraints::{SchedulingSpec, PREFERRED_WEIGHT};

/// Filter: the nodeSelector on `topology.kubernetes.io/zone` and `energy`.
#[inline]
pub fn filter(node: &NodeInfo, pod: &SchedulingSpec) -> Result<(), FilterReason> {
    if matches_selector(node, pod) {
        Ok(())
    } else {
        Err(FilterReason::NodeAffinity)
    }
}

/// Whether the node matches the pod's required node affinity.
#[inline]
pub fn matches_selector(node: &NodeInfo, pod: &SchedulingSpec) -> bool {
    (pod.node_selector_zone == 0 || node.zone == pod.node_selector_zone)
        && (pod.node_selector_energy == 0 || node.mana.essence == pod.node_selector_energy)
}

/// Whether a zone matches the pod's required node affinity.
#[inline]
pub fn zone_matches(zone: u8, pod: &SchedulingSpec) -> bool {
    pod.node_selector_zone == 0 || zone == pod.node_selector_zone
}

/// Raw score of a node in `zone`: the summed weights of matching preferred terms.
#[inline]
pub fn score(zone: u8, pod: &SchedulingSpec) -> i64 {
    if pod.preferred_zone != 0 && zone == pod.preferred_zone {
        PREFERRED_WEIGHT
    } else {
        0
    }
}

/// PreScore: skipped when the pod has no preferred term.
pub fn skip_score(pod: &SchedulingSpec) -> bool {
    pod.preferred_zone == 0
}
