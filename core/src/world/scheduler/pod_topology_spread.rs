//! PodTopologySpread: a constraint over the pod's own app. DoNotSchedule filters on
//! `count(domain) + 1 - min(count over eligible domains) > maxSkew`; ScheduleAnyway (and the
//! system default constraints for pods owned by a ReplicaSet: hostname maxSkew 3, zone
//! maxSkew 5) scores `count * ln(domains + 2) + maxSkew - 1`, normalised so the fewest
//! matching pods score 100, as upstream does. Domains are eligible when they hold a node that
//! matches the pod's nodeSelector and required node affinity (nodeAffinityPolicy Honor);
//! taints are ignored (nodeTaintsPolicy Ignore). A zone's count holds the app's pods on its
//! nodes that match the pod's node affinity, in the filter and in scoring. The filter counts pods that are not
//! terminating; scoring counts every pod with the same owner, as upstream's PodsWithOwnerRef
//! does. Typed constraints are in [`super::spread_terms`].

use super::cycle::{AppPods, NodeTopology, PodInfo};
use super::framework::NodeSource;
use super::node_affinity::{matches_selector, zone_matches, zone_only};
use super::node_info::NodeInfo;
use super::{FilterReason, MAX_NODE_SCORE};
use crate::world::constraints::{
    SchedulingSpec, SpreadConstraint, TopologyKey, WhenUnsatisfiable, ZONES,
};

/// The system default constraints (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway).
pub const DEFAULT_CONSTRAINTS: [SpreadConstraint; 2] = [
    SpreadConstraint {
        max_skew: 3,
        key: TopologyKey::Hostname,
        when: WhenUnsatisfiable::ScheduleAnyway,
    },
    SpreadConstraint {
        max_skew: 5,
        key: TopologyKey::Zone,
        when: WhenUnsatisfiable::ScheduleAnyway,
    },
];

/// PreFilter state of a DoNotSchedule constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HardSpread {
    /// The constraint.
    pub constraint: SpreadConstraint,
    /// Fewest live pods of the app in an eligible domain.
    pub min_match: u32,
    /// Live pods of the app per zone, on the nodes that match the pod's node affinity
    /// (nodeAffinityPolicy Honor).
    pub zone_live: [u32; ZONES + 1],
}

/// PreFilter: the hard constraint and its global minimum, if the pod has one.
pub fn pre_filter<N: NodeSource + ?Sized>(
    pod: &PodInfo,
    app: &AppPods,
    topo: &NodeTopology,
    nodes: &N,
) -> Option<HardSpread> {
    let spec = &pod.scheduling;
    let c = spec.spread?;
    if c.when != WhenUnsatisfiable::DoNotSchedule {
        return None;
    }
    let mut zone_live = [0u32; ZONES + 1];
    let min_match = if zone_only(spec) {
        // A zone's nodes all match or none does: its count is the app's in the zone.
        for (z, live) in zone_live.iter_mut().enumerate() {
            *live = app.zone(z as u8).live;
        }
        min_by_zone_selector(c.key, spec, app, topo, nodes)
    } else {
        min_by_nodes(c.key, spec, app, topo, nodes, &mut zone_live)
    };
    Some(HardSpread {
        constraint: c,
        min_match,
        zone_live,
    })
}

/// The global minimum when only the zone selector restricts the pod's nodes: per zone.
fn min_by_zone_selector<N: NodeSource + ?Sized>(
    key: TopologyKey,
    spec: &SchedulingSpec,
    app: &AppPods,
    topo: &NodeTopology,
    nodes: &N,
) -> u32 {
    match key {
        TopologyKey::Zone => (1..=ZONES as u8)
            .filter(|&z| topo.nodes_per_zone[usize::from(z)] > 0 && zone_matches(z, spec))
            .map(|z| app.zone(z).live)
            .min()
            .unwrap_or(0),
        TopologyKey::Hostname => {
            let zones = || (0..=ZONES as u8).filter(|&z| zone_matches(z, spec));
            let eligible: u32 = zones().map(|z| topo.nodes_per_zone[usize::from(z)]).sum();
            let occupied: u32 = zones().map(|z| app.live_nodes(z)).sum();
            if eligible > occupied {
                0
            } else {
                topo.order
                    .iter()
                    .filter(|&&i| nodes.node(i).is_some_and(|n| zone_matches(n.zone, spec)))
                    .map(|&i| app.node(i).live)
                    .min()
                    .unwrap_or(0)
            }
        }
    }
}

/// The global minimum over the domains of the nodes that match the pod's required node
/// affinity (nodeAffinityPolicy Honor), found by walking the nodes; `zone_live` gets the
/// live pods per zone on those nodes only, as upstream counts them.
fn min_by_nodes<N: NodeSource + ?Sized>(
    key: TopologyKey,
    spec: &SchedulingSpec,
    app: &AppPods,
    topo: &NodeTopology,
    nodes: &N,
    zone_live: &mut [u32; ZONES + 1],
) -> u32 {
    let matching = topo
        .order
        .iter()
        .filter_map(|&i| nodes.node(i).map(|n| (i, n)))
        .filter(|(_, n)| matches_selector(n, spec));
    match key {
        TopologyKey::Zone => {
            let mut eligible = [false; ZONES + 1];
            for (i, n) in matching {
                let z = usize::from(n.zone).min(ZONES);
                eligible[z] = true;
                zone_live[z] += app.node(i).live;
            }
            (1..=ZONES)
                .filter(|&z| eligible[z])
                .map(|z| zone_live[z])
                .min()
                .unwrap_or(0)
        }
        TopologyKey::Hostname => matching.map(|(i, _)| app.node(i).live).min().unwrap_or(0),
    }
}

/// Filter, with `removed_live` of the app's pods taken off this node (preemption dry run).
#[inline]
pub fn filter(
    index: u32,
    node: &NodeInfo,
    hard: &HardSpread,
    app: &AppPods,
    removed_live: u32,
) -> Result<(), FilterReason> {
    let count = match hard.constraint.key {
        TopologyKey::Hostname => app.node(index).live,
        TopologyKey::Zone => {
            if node.zone == 0 {
                return Err(FilterReason::SpreadMissingLabel);
            }
            hard.zone_live[usize::from(node.zone).min(ZONES)]
        }
    };
    let skew = i64::from(count.saturating_sub(removed_live)) + 1 - i64::from(hard.min_match);
    if skew > i64::from(hard.constraint.max_skew) {
        Err(FilterReason::SpreadSkew)
    } else {
        Ok(())
    }
}

/// PreScore state: the soft constraints and their normalising weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoftSpread {
    constraints: [SpreadConstraint; 2],
    len: usize,
    require_all: bool,
    weights: [f64; 2],
    /// The app's pods per zone on the nodes the pod's node affinity admits (`None`: it
    /// admits every node of a zone or none).
    zone_all: Option<[u32; ZONES + 1]>,
}

impl SoftSpread {
    /// The pod's soft constraints; `None` when it has none (`typed`: the pod has typed
    /// constraints, so the system defaults do not apply).
    pub fn new(spec: &SchedulingSpec, typed: bool) -> Option<SoftSpread> {
        let (constraints, len, require_all) = match spec.spread {
            Some(c) if c.when == WhenUnsatisfiable::ScheduleAnyway => ([c, c], 1, true),
            Some(_) => return None,
            None if spec.default_spread && !typed => (DEFAULT_CONSTRAINTS, 2, false),
            None => return None,
        };
        Some(SoftSpread {
            constraints,
            len,
            require_all,
            weights: [0.0; 2],
            zone_all: None,
        })
    }

    /// Counts a zone's pods only on the nodes that match the pod's node affinity
    /// (nodeAffinityPolicy Honor), when that is not every node of a zone or none.
    pub fn honor_node_affinity<N: NodeSource + ?Sized>(
        &mut self,
        spec: &SchedulingSpec,
        app: &AppPods,
        topo: &NodeTopology,
        nodes: &N,
    ) {
        let zone_keyed = self
            .constraints()
            .iter()
            .any(|c| c.key == TopologyKey::Zone);
        if !zone_keyed || zone_only(spec) {
            return;
        }
        let mut counts = [0u32; ZONES + 1];
        for &i in &topo.order {
            if let Some(n) = nodes.node(i).filter(|n| matches_selector(n, spec)) {
                counts[usize::from(n.zone).min(ZONES)] += app.node(i).all;
            }
        }
        self.zone_all = Some(counts);
    }

    fn constraints(&self) -> &[SpreadConstraint] {
        &self.constraints[..self.len]
    }

    /// Nodes lacking a topology key are ignored (only with the pod's own constraints).
    #[inline]
    pub fn ignored(&self, node_zone: u8) -> bool {
        self.require_all
            && node_zone == 0
            && self
                .constraints()
                .iter()
                .any(|c| c.key == TopologyKey::Zone)
    }

    /// Sets the weights from the feasible nodes that are not ignored: the zones they are in
    /// (repeats allowed) and how many they are; ln(domains + 2).
    pub fn set_weights(&mut self, zones: impl Iterator<Item = u8>, scored: usize) {
        let mut seen = [false; ZONES + 1];
        for z in zones {
            seen[usize::from(z).min(ZONES)] = true;
        }
        let zones = seen.iter().filter(|&&s| s).count();
        for i in 0..self.len {
            let size = match self.constraints[i].key {
                TopologyKey::Hostname => scored,
                TopologyKey::Zone => zones,
            };
            self.weights[i] = ((size + 2) as f64).ln();
        }
    }

    /// Raw score, unrounded, of a node in `zone` holding `node_pods` of the app (call after
    /// [`SoftSpread::set_weights`]).
    #[inline]
    pub fn score(&self, node_pods: u32, zone: u8, app: &AppPods) -> f64 {
        let mut score = 0.0;
        for (c, w) in self.constraints().iter().zip(self.weights) {
            let count = match c.key {
                TopologyKey::Hostname => node_pods,
                TopologyKey::Zone if zone == 0 => continue,
                TopologyKey::Zone => match &self.zone_all {
                    Some(counts) => counts[usize::from(zone).min(ZONES)],
                    None => app.zone(zone).all,
                },
            };
            score += f64::from(count) * w + f64::from(c.max_skew) - 1.0;
        }
        score
    }
}

/// NormalizeScore over the (min, max) of the scored nodes' raw scores.
#[inline]
pub fn normalize(raw: i64, ignored: bool, min: i64, max: i64) -> i64 {
    if ignored {
        0
    } else if max == 0 {
        MAX_NODE_SCORE
    } else {
        MAX_NODE_SCORE * (max + min - raw) / max
    }
}
