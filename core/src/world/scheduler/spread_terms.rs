//! PodTopologySpread over the typed topology spread constraints (PROTOCOL.md, "Topology
//! spread constraints"), as upstream v1.34 computes it: a node counts for a constraint when it
//! has every key of the pod's constraints of that kind (DoNotSchedule or ScheduleAnyway) and
//! passes the constraint's nodeAffinityPolicy (Honor: the pod's nodeSelector and required node
//! affinity) and nodeTaintsPolicy (Honor: no untolerated NoSchedule or NoExecute taint); its
//! domain (the node's value of the key) counts the pods there that the selector matches, not
//! terminating. Filter: `count + (1 if the pod matches the selector) − min > maxSkew` fails,
//! `min` being the smallest count over the counted domains, or 0 while there are fewer than
//! minDomains of them. Score (ScheduleAnyway): `count × ln(domains + 2) + maxSkew − 1` per
//! constraint, domains counted among the feasible nodes (`kubernetes.io/hostname`: the node's
//! own pods, the feasible nodes' number), nodes lacking a key ignored.

use super::framework::NodeSource;
use super::node_info::NodeInfo;
use super::pod_affinity::{node_value, BoundPod};
use super::taint_toleration::view;
use super::FilterReason;
use crate::world::constraints::{SchedulingSpec, WhenUnsatisfiable};
use crate::world::terms::api::{Label, NodeInclusionPolicy, TopologySpreadConstraint};
use crate::world::terms::matching::{selector_matches, PodView};
use crate::world::terms::symbols::{Sym, SYM_HOSTNAME};
use crate::world::terms::table::pod_entry;

/// Most constraints a pod has (the parser's list limit).
pub const MAX_CONSTRAINTS: usize = crate::world::terms::parse::MAX_ENTRIES;

/// One constraint's domain.
#[derive(Debug, Clone, Copy, Default)]
struct Domain {
    constraint: u16,
    value: u32,
    /// The cycle it belongs to (0: never used).
    stamp: u32,
    /// Matching pods.
    count: u32,
    /// The scoring pass that last saw a feasible node in it.
    seen: u32,
}

/// PreFilter and PreScore state of the typed constraints of one cycle.
pub struct TypedSpread {
    domains: Vec<Domain>,
    used: Vec<u32>,
    stamp: u32,
    seen: u32,
    constraints: &'static [TopologySpreadConstraint<Sym>],
    /// Per node slab index: the constraints the node counts for.
    mask: Vec<u16>,
    domains_num: [u32; MAX_CONSTRAINTS],
    min: [u32; MAX_CONSTRAINTS],
    self_match: u16,
    hard: bool,
    soft: bool,
    weights: [f64; MAX_CONSTRAINTS],
}

fn hard(c: &TopologySpreadConstraint<Sym>) -> bool {
    c.when == WhenUnsatisfiable::DoNotSchedule
}

impl TypedSpread {
    /// Room for clusters of up to `max_nodes` nodes.
    pub fn with_capacity(max_nodes: usize) -> TypedSpread {
        let size = (max_nodes * 4).max(64).next_power_of_two();
        TypedSpread {
            domains: vec![Domain::default(); size],
            used: Vec::with_capacity(size),
            stamp: 0,
            seen: 0,
            constraints: &[],
            mask: vec![0; max_nodes],
            domains_num: [0; MAX_CONSTRAINTS],
            min: [0; MAX_CONSTRAINTS],
            self_match: 0,
            hard: false,
            soft: false,
            weights: [0.0; MAX_CONSTRAINTS],
        }
    }

    /// Whether the pod has typed constraints.
    #[inline]
    pub fn active(&self) -> bool {
        !self.constraints.is_empty()
    }

    /// Whether the pod has a typed DoNotSchedule constraint.
    #[inline]
    pub fn filters(&self) -> bool {
        self.hard
    }

    /// Whether the pod has a typed ScheduleAnyway constraint.
    #[inline]
    pub fn scores(&self) -> bool {
        self.soft
    }

    #[inline]
    fn slot(&self, constraint: usize, value: u32) -> usize {
        let h = ((constraint as u64) << 32 | u64::from(value)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> 32) as usize & (self.domains.len() - 1)
    }

    #[inline]
    fn find(&self, constraint: usize, value: u32) -> Result<usize, usize> {
        let mask = self.domains.len() - 1;
        let mut i = self.slot(constraint, value);
        loop {
            let d = &self.domains[i];
            if d.stamp != self.stamp {
                return Err(i);
            }
            if usize::from(d.constraint) == constraint && d.value == value {
                return Ok(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// The domain's slot, added if new (`None` when the table is three quarters full).
    #[inline]
    fn entry(&mut self, constraint: usize, value: u32) -> Option<usize> {
        match self.find(constraint, value) {
            Ok(i) => Some(i),
            Err(i) => {
                if self.used.len() * 4 >= self.domains.len() * 3 {
                    return None;
                }
                self.domains[i] = Domain {
                    constraint: constraint as u16,
                    value,
                    stamp: self.stamp,
                    ..Domain::default()
                };
                self.used.push(i as u32);
                Some(i)
            }
        }
    }

    #[inline]
    fn count(&self, constraint: usize, value: u32) -> u32 {
        self.find(constraint, value)
            .map_or(0, |i| self.domains[i].count)
    }

    fn keys_present(&self, hard_kind: bool, index: u32, node: &NodeInfo) -> bool {
        self.constraints
            .iter()
            .filter(|c| hard(c) == hard_kind)
            .all(|c| node_value(c.topology_key, index, node).is_some())
    }

    /// PreFilter and PreScore counts for a pod with `spec` over the nodes in `order` and the
    /// bound pods.
    pub fn prepare<N: NodeSource + ?Sized>(
        &mut self,
        spec: &SchedulingSpec,
        order: &[u32],
        pods: impl Iterator<Item = BoundPod>,
        nodes: &N,
    ) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.domains.iter_mut().for_each(|d| d.stamp = 0);
            self.stamp = 1;
        }
        self.used.clear();
        let entry = &pod_entry(spec.terms).terms;
        self.constraints = &entry.spread[..entry.spread.len().min(MAX_CONSTRAINTS)];
        self.hard = self.constraints.iter().any(hard);
        self.soft = self.constraints.iter().any(|c| !hard(c));
        if self.constraints.is_empty() {
            return;
        }
        let own: &[Label<Sym>] = &entry.labels;
        self.self_match = 0;
        for (i, c) in self.constraints.iter().enumerate() {
            if c.selector
                .as_ref()
                .is_some_and(|s| selector_matches(s, own))
            {
                self.self_match |= 1 << i;
            }
        }
        let pod = PodView::new(spec);
        let honor = |p: fn(&TopologySpreadConstraint<Sym>) -> bool| self.constraints.iter().any(p);
        let honor_affinity = honor(|c| c.node_affinity_policy == NodeInclusionPolicy::Honor);
        let honor_taints = honor(|c| c.node_taints_policy == NodeInclusionPolicy::Honor);
        for &index in order {
            let Some(slot) = self.mask.get(index as usize).map(|_| index as usize) else {
                continue;
            };
            self.mask[slot] = 0;
            let Some(node) = nodes.node(index) else {
                continue;
            };
            let keys = [
                self.keys_present(false, index, &node),
                self.keys_present(true, index, &node),
            ];
            let v = view(&node);
            // Each policy's check only where a constraint honors it.
            let affinity = !honor_affinity || pod.matches_required(&v);
            let taints = !honor_taints || (node.ready && pod.untolerated(&v).is_none());
            for (i, c) in self.constraints.iter().enumerate() {
                let counted = keys[usize::from(hard(c))]
                    && (c.node_affinity_policy == NodeInclusionPolicy::Ignore || affinity)
                    && (c.node_taints_policy == NodeInclusionPolicy::Ignore || taints);
                let Some(value) = node_value(c.topology_key, index, &node) else {
                    continue;
                };
                if counted && self.entry(i, value).is_some() {
                    self.mask[slot] |= 1 << i;
                }
            }
        }
        for p in pods {
            if p.terminating {
                continue;
            }
            let mask = self.mask.get(p.node as usize).copied().unwrap_or(0);
            let labels = &pod_entry(p.terms).terms.labels;
            let Some(node) = nodes.node(p.node) else {
                continue;
            };
            for (i, c) in self.constraints.iter().enumerate() {
                // ScheduleAnyway on hostname counts the node's own pods, whatever the node.
                let per_node = !hard(c) && c.topology_key == SYM_HOSTNAME;
                if mask & (1 << i) == 0 && !per_node {
                    continue;
                }
                let Some(selector) = &c.selector else {
                    continue;
                };
                // An empty selector counts no pod, as upstream's countPodsMatchSelector.
                let empty = selector.match_labels.is_empty() && selector.expressions.is_empty();
                if empty || !selector_matches(selector, labels) {
                    continue;
                }
                let Some(value) = node_value(c.topology_key, p.node, &node) else {
                    continue;
                };
                if let Some(d) = self.entry(i, value) {
                    self.domains[d].count += 1;
                }
            }
        }
        self.domains_num = [0; MAX_CONSTRAINTS];
        self.min = [u32::MAX; MAX_CONSTRAINTS];
        for &d in &self.used {
            let d = self.domains[d as usize];
            let i = usize::from(d.constraint);
            self.domains_num[i] += 1;
            self.min[i] = self.min[i].min(d.count);
        }
    }

    /// Filter over the typed DoNotSchedule constraints.
    #[inline]
    pub fn filter(&self, index: u32, node: &NodeInfo) -> Result<(), FilterReason> {
        if !self.hard {
            return Ok(());
        }
        for (i, c) in self.constraints.iter().enumerate().filter(|(_, c)| hard(c)) {
            let Some(value) = node_value(c.topology_key, index, node) else {
                return Err(FilterReason::SpreadMissingLabel);
            };
            let min = if self.domains_num[i] < c.min_domains.unwrap_or(1) {
                0
            } else {
                self.min[i]
            };
            let own = u32::from(self.self_match & (1 << i) != 0);
            let skew = i64::from(self.count(i, value)) + i64::from(own) - i64::from(min);
            if skew > i64::from(c.max_skew) {
                return Err(FilterReason::SpreadSkew);
            }
        }
        Ok(())
    }

    /// Whether scoring ignores the node (it lacks a ScheduleAnyway constraint's key).
    #[inline]
    pub fn ignored(&self, index: u32, node: &NodeInfo) -> bool {
        self.soft && !self.keys_present(false, index, node)
    }

    /// Sets the normalising weights from the feasible nodes that are not ignored.
    pub fn set_weights(&mut self, nodes: impl Iterator<Item = (u32, NodeInfo)>) {
        self.seen = self.seen.wrapping_add(1).max(1);
        let mut sizes = [0usize; MAX_CONSTRAINTS];
        let mut scored = 0;
        for (index, node) in nodes {
            scored += 1;
            for (i, c) in self.constraints.iter().enumerate() {
                if hard(c) || c.topology_key == SYM_HOSTNAME {
                    continue;
                }
                let Some(value) = node_value(c.topology_key, index, &node) else {
                    continue;
                };
                if let Some(d) = self.entry(i, value) {
                    if self.domains[d].seen != self.seen {
                        self.domains[d].seen = self.seen;
                        sizes[i] += 1;
                    }
                }
            }
        }
        for (i, c) in self.constraints.iter().enumerate() {
            let size = if c.topology_key == SYM_HOSTNAME {
                scored
            } else {
                sizes[i]
            };
            self.weights[i] = ((size + 2) as f64).ln();
        }
    }

    /// The node's unrounded score over the ScheduleAnyway constraints (call after
    /// [`TypedSpread::set_weights`]).
    #[inline]
    pub fn score(&self, index: u32, node: &NodeInfo) -> f64 {
        let mut score = 0.0;
        for (i, c) in self.constraints.iter().enumerate() {
            if hard(c) {
                continue;
            }
            if let Some(value) = node_value(c.topology_key, index, node) {
                score +=
                    f64::from(self.count(i, value)) * self.weights[i] + f64::from(c.max_skew) - 1.0;
            }
        }
        score
    }
}
