//! NodeAffinity: the pod's nodeSelector and required node affinity terms filter (the ZONE and
//! essence selectors as the labels they stand for); its preferred terms score the summed
//! weights of the terms a node matches, normalised by DefaultNormalizeScore. Without a
//! preferred term the plugin skips scoring (0 on every node).

use super::node_info::NodeInfo;
use super::taint_toleration::view;
use super::FilterReason;
use crate::world::constraints::SchedulingSpec;
use crate::world::terms::matching::PodView;

/// Filter: the nodeSelector and the required terms.
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
    PodView::new(pod).matches_required(&view(node))
}

/// Whether only the zone selector shortcut restricts the pod's nodes (so a zone's nodes all
/// match or none does).
#[inline]
pub fn zone_only(pod: &SchedulingSpec) -> bool {
    let entry = PodView::new(pod).entry;
    pod.node_selector_energy == 0 && entry.node_selector.is_empty() && entry.required.is_empty()
}

/// Whether a zone matches the pod's zone selector shortcut.
#[inline]
pub fn zone_matches(zone: u8, pod: &SchedulingSpec) -> bool {
    pod.node_selector_zone == 0 || zone == pod.node_selector_zone
}

/// Raw score: the summed weights of the preferred terms the node matches.
#[inline]
pub fn score(node: &NodeInfo, pod: &SchedulingSpec) -> i64 {
    PodView::new(pod).preferred_weight(&view(node))
}

/// PreScore: skipped when the pod has no preferred term.
pub fn skip_score(pod: &SchedulingSpec) -> bool {
    !PodView::new(pod).has_preferred()
}
