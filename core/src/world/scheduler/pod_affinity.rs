//! InterPodAffinity over the typed pod affinity and anti-affinity terms (PROTOCOL.md, "Pod
//! affinity and anti-affinity"), as upstream v1.34 computes it: PreFilter counts, per
//! topology pair (a node label key and value; `kubernetes.io/hostname` is the node itself),
//! the existing pods matching every required affinity term of the pod, those matching each
//! required anti-affinity term, and the existing pods whose required anti-affinity terms
//! match the pod; Filter checks them in upstream's order (affinity, anti-affinity, existing
//! pods' anti-affinity), letting the first pod of a group land when no pod matches and it
//! matches its own terms. PreScore sums, per topology pair, the weights of the pod's
//! preferred terms an existing pod matches (anti-affinity negative), the existing pods'
//! preferred terms the pod matches, and hardPodAffinityWeight 1 for their required affinity
//! terms it matches. Pods are in one namespace; terminating pods count, as they are still in
//! their node's pod list. Every buffer is sized at construction.

use super::framework::NodeSource;
use super::node_info::NodeInfo;
use super::taint_toleration::view;
use super::FilterReason;
use crate::world::terms::api::PodAffinityTerm;
use crate::world::terms::matching::selector_matches;
use crate::world::terms::symbols::{Sym, SYM_HOSTNAME};
use crate::world::terms::table::{any_pod_affinity, pod_entry};

/// Most distinct topology keys one cycle's terms use (more are ignored; PROTOCOL.md says so).
pub const MAX_KEYS: usize = 32;
/// hardPodAffinityWeight of the default configuration.
pub const HARD_POD_AFFINITY_WEIGHT: i64 = 1;
/// The value of `kubernetes.io/hostname` of node `index` in a topology pair.
const HOST: u32 = 1 << 31;

/// The counts of one topology pair.
#[derive(Debug, Clone, Copy, Default)]
struct Pair {
    key: Sym,
    value: u32,
    /// The cycle it belongs to (0: never used).
    stamp: u32,
    /// Existing pods matching every required affinity term.
    affinity: u32,
    /// Existing pods matching a required anti-affinity term.
    anti: u32,
    /// Existing pods whose required anti-affinity terms match the pod.
    existing: u32,
    /// PreScore's topology score.
    score: i64,
}

/// A bound pod as PreFilter reads it.
#[derive(Debug, Clone, Copy)]
pub struct BoundPod {
    /// Node slab index.
    pub node: u32,
    /// Its terms id (labels and pod affinity terms).
    pub terms: u16,
    /// Terminating (still on its node).
    pub terminating: bool,
}

/// Keys seen this cycle, without repeats.
#[derive(Debug, Clone, Copy)]
struct Keys {
    keys: [Sym; MAX_KEYS],
    len: usize,
}

impl Keys {
    const EMPTY: Keys = Keys {
        keys: [Sym(0); MAX_KEYS],
        len: 0,
    };

    #[inline]
    fn add(&mut self, key: Sym) {
        if !self.keys[..self.len].contains(&key) && self.len < MAX_KEYS {
            self.keys[self.len] = key;
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[Sym] {
        &self.keys[..self.len]
    }
}

/// PreFilter and PreScore state of one cycle.
pub struct PodAffinityState {
    pairs: Vec<Pair>,
    used: usize,
    stamp: u32,
    terms: &'static [PodAffinityTerm<Sym>],
    filter: bool,
    score: bool,
    affinity_pairs: usize,
    self_match: bool,
    existing_keys: Keys,
    score_keys: Keys,
    dropped: bool,
}

/// Node `index`'s value of label `key` as a topology pair value.
#[inline]
pub(super) fn node_value(key: Sym, index: u32, node: &NodeInfo) -> Option<u32> {
    if key == SYM_HOSTNAME {
        return Some(HOST | index);
    }
    view(node).label(key).map(|l| l.value.0)
}

fn required(t: &PodAffinityTerm<Sym>, anti: bool) -> bool {
    t.weight.is_none() && t.anti == anti
}

impl PodAffinityState {
    /// Room for the topology pairs of clusters of up to `max_nodes` nodes (four per node).
    pub fn with_capacity(max_nodes: usize) -> PodAffinityState {
        let size = (max_nodes * 4).max(64).next_power_of_two();
        PodAffinityState {
            pairs: vec![Pair::default(); size],
            used: 0,
            stamp: 0,
            terms: &[],
            filter: false,
            score: false,
            affinity_pairs: 0,
            self_match: false,
            existing_keys: Keys::EMPTY,
            score_keys: Keys::EMPTY,
            dropped: false,
        }
    }

    /// Whether the filter has anything to check.
    #[inline]
    pub fn filters(&self) -> bool {
        self.filter
    }

    /// Whether PreScore runs (the pod has a preferred term, or an existing pod has any term).
    #[inline]
    pub fn scores(&self) -> bool {
        self.score
    }

    /// Whether the pairs outgrew the table this cycle (some were left out).
    pub fn dropped(&self) -> bool {
        self.dropped
    }

    #[inline]
    fn slot(&self, key: Sym, value: u32) -> usize {
        let h = (u64::from(key.0) << 32 | u64::from(value)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (h >> 32) as usize & (self.pairs.len() - 1)
    }

    /// The pair's counts, if any pod counted in it this cycle.
    #[inline]
    fn get(&self, key: Sym, value: u32) -> Option<&Pair> {
        let mask = self.pairs.len() - 1;
        let mut i = self.slot(key, value);
        loop {
            let p = &self.pairs[i];
            if p.stamp != self.stamp {
                return None;
            }
            if p.key == key && p.value == value {
                return Some(p);
            }
            i = (i + 1) & mask;
        }
    }

    /// The pair's counts, added if new (`None` when the table is full: three quarters).
    #[inline]
    fn entry(&mut self, key: Sym, value: u32) -> Option<&mut Pair> {
        let mask = self.pairs.len() - 1;
        let mut i = self.slot(key, value);
        loop {
            let p = self.pairs[i];
            if p.stamp != self.stamp {
                if self.used * 4 >= self.pairs.len() * 3 {
                    self.dropped = true;
                    return None;
                }
                self.used += 1;
                self.pairs[i] = Pair {
                    key,
                    value,
                    stamp: self.stamp,
                    ..Pair::default()
                };
                return Some(&mut self.pairs[i]);
            }
            if p.key == key && p.value == value {
                return Some(&mut self.pairs[i]);
            }
            i = (i + 1) & mask;
        }
    }

    fn begin(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.pairs.iter_mut().for_each(|p| p.stamp = 0);
            self.stamp = 1;
        }
        self.used = 0;
        self.terms = &[];
        self.filter = false;
        self.score = false;
        self.affinity_pairs = 0;
        self.self_match = false;
        self.existing_keys = Keys::EMPTY;
        self.score_keys = Keys::EMPTY;
        self.dropped = false;
    }

    /// PreFilter and PreScore for a pod with terms id `terms`, over the bound pods.
    pub fn prepare<N: NodeSource + ?Sized>(
        &mut self,
        terms: u16,
        pods: impl Iterator<Item = BoundPod>,
        nodes: &N,
    ) {
        self.begin();
        let own = &pod_entry(terms).terms;
        self.terms = &own.pod_affinity;
        let has_terms = !self.terms.is_empty();
        if !has_terms && !any_pod_affinity() {
            return;
        }
        let mut required_affinity = self.terms.iter().filter(|t| required(t, false));
        self.self_match = required_affinity.clone().next().is_some()
            && required_affinity
                .clone()
                .all(|t| selector_matches(&t.selector, &own.labels));
        let has_required_affinity = required_affinity.next().is_some();
        let has_preferred = self.terms.iter().any(|t| t.weight.is_some());
        let mut existing_terms = false;
        for pod in pods {
            let theirs = &pod_entry(pod.terms).terms;
            if !has_terms && theirs.pod_affinity.is_empty() {
                continue;
            }
            let Some(node) = nodes.node(pod.node) else {
                continue;
            };
            let terms = self.terms;
            if has_required_affinity
                && terms
                    .iter()
                    .filter(|t| required(t, false))
                    .all(|t| selector_matches(&t.selector, &theirs.labels))
            {
                for t in terms.iter().filter(|t| required(t, false)) {
                    self.add(t.topology_key, pod.node, &node, |p| p.affinity += 1);
                }
            }
            for t in terms.iter() {
                if t.weight.is_none() && !t.anti {
                    continue;
                }
                if !selector_matches(&t.selector, &theirs.labels) {
                    continue;
                }
                match t.weight {
                    None => {
                        self.add(t.topology_key, pod.node, &node, |p| p.anti += 1);
                    }
                    Some(w) => {
                        let w = if t.anti { -i64::from(w) } else { i64::from(w) };
                        self.add_score(t.topology_key, pod.node, &node, w);
                    }
                }
            }
            for t in theirs.pod_affinity.iter() {
                existing_terms = true;
                if !selector_matches(&t.selector, &own.labels) {
                    continue;
                }
                match (t.anti, t.weight) {
                    (true, None) => {
                        if self.add(t.topology_key, pod.node, &node, |p| p.existing += 1) {
                            self.existing_keys.add(t.topology_key);
                        }
                    }
                    (false, None) => {
                        self.add_score(t.topology_key, pod.node, &node, HARD_POD_AFFINITY_WEIGHT)
                    }
                    (anti, Some(w)) => {
                        let w = if anti { -i64::from(w) } else { i64::from(w) };
                        self.add_score(t.topology_key, pod.node, &node, w);
                    }
                }
            }
        }
        self.filter = self.terms.iter().any(|t| t.weight.is_none()) || self.existing_keys.len > 0;
        self.score = has_preferred || existing_terms;
    }

    /// Counts a pod on `node` in its pair of `key`; false when the node lacks the key.
    #[inline]
    fn add(&mut self, key: Sym, index: u32, node: &NodeInfo, f: impl FnOnce(&mut Pair)) -> bool {
        let Some(value) = node_value(key, index, node) else {
            return false;
        };
        let Some(pair) = self.entry(key, value) else {
            return false;
        };
        let was_affinity = pair.affinity > 0;
        f(pair);
        if pair.affinity > 0 && !was_affinity {
            self.affinity_pairs += 1;
        }
        true
    }

    #[inline]
    fn add_score(&mut self, key: Sym, index: u32, node: &NodeInfo, weight: i64) {
        if self.add(key, index, node, |p| p.score += weight) {
            self.score_keys.add(key);
        }
    }

    /// Filter: the pod's required affinity, then its required anti-affinity, then existing
    /// pods' required anti-affinity. `shortcut_anti` and `shortcut_existing` are the
    /// anti-affinity switch's verdicts, checked in the same places.
    #[inline]
    pub fn filter(
        &self,
        index: u32,
        node: &NodeInfo,
        shortcut_anti: bool,
        shortcut_existing: bool,
    ) -> Result<(), FilterReason> {
        if self.filter {
            let mut exist = true;
            for t in self.terms.iter().filter(|t| required(t, false)) {
                let Some(v) = node_value(t.topology_key, index, node) else {
                    return Err(FilterReason::AffinityRulesNotMatch);
                };
                if self.get(t.topology_key, v).is_none_or(|p| p.affinity == 0) {
                    exist = false;
                }
            }
            // The first pod of a group that matches its own terms may land.
            let first_of_group = self.affinity_pairs == 0 && self.self_match;
            if !(exist || first_of_group) {
                return Err(FilterReason::AffinityRulesNotMatch);
            }
        }
        if shortcut_anti || (self.filter && self.anti_affinity_violated(index, node)) {
            return Err(FilterReason::AntiAffinity);
        }
        if shortcut_existing || (self.filter && self.existing_violated(index, node)) {
            return Err(FilterReason::ExistingAntiAffinity);
        }
        Ok(())
    }

    fn anti_affinity_violated(&self, index: u32, node: &NodeInfo) -> bool {
        self.terms.iter().filter(|t| required(t, true)).any(|t| {
            node_value(t.topology_key, index, node)
                .and_then(|v| self.get(t.topology_key, v))
                .is_some_and(|p| p.anti > 0)
        })
    }

    fn existing_violated(&self, index: u32, node: &NodeInfo) -> bool {
        self.existing_keys.as_slice().iter().any(|&k| {
            node_value(k, index, node)
                .and_then(|v| self.get(k, v))
                .is_some_and(|p| p.existing > 0)
        })
    }

    /// Score: the topology scores of the node's pairs (0 unless [`PodAffinityState::scores`]).
    #[inline]
    pub fn score(&self, index: u32, node: &NodeInfo) -> i64 {
        if !self.score {
            return 0;
        }
        self.score_keys
            .as_slice()
            .iter()
            .filter_map(|&k| node_value(k, index, node).and_then(|v| self.get(k, v)))
            .map(|p| p.score)
            .sum()
    }
}
