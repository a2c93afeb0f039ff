//! Matching on the audio path, over interned ids only: a node's labels and taints (the ZONE,
//! TAINT and essence shortcuts included, as the labels and taints they stand for) against a
//! pod's tolerations, nodeSelector and node affinity, as upstream's helpers do
//! (ToleratesTaint, NodeSelectorRequirementsAsSelector, the preferred terms' weights).
//! Every loop is bounded by the parser's [`MAX_ENTRIES`](super::parse::MAX_ENTRIES).

use super::api::*;
use super::symbols::*;
use super::table::{node_entry, pod_entry, NodeEntry, NodeLabel};
use crate::world::constraints::{SchedulingSpec, TaintEffect};

/// What a node is labelled and tainted with.
#[derive(Clone, Copy)]
pub struct NodeView {
    /// `topology.kubernetes.io/zone` (1-based; 0: none).
    pub zone: u8,
    /// `energy=<essence>` label and `energy=<essence>:NoSchedule` taint (0: none).
    pub essence: u8,
    /// The `kuberack.io/dedicated` taint's effect.
    pub dedicated: TaintEffect,
    /// The NODE's own labels and taints.
    pub entry: &'static NodeEntry,
}

/// Which taint of a node a pod does not tolerate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Untolerated {
    /// `kuberack.io/dedicated`.
    Dedicated,
    /// `energy=<essence>`.
    Energy(u8),
    /// One of the NODE's own taints.
    Other,
}

/// The taint manager's verdict on a bound pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoExecute {
    /// Every NoExecute taint is tolerated for good (or there is none).
    Stay,
    /// Tolerated for this many seconds (the shortest tolerationSeconds of those used).
    EvictAfter(u32),
    /// A NoExecute taint is not tolerated.
    EvictNow,
}

impl NodeView {
    /// The view of a node with its shortcuts and its terms id.
    #[inline]
    pub fn new(zone: u8, essence: u8, dedicated: TaintEffect, terms: u16) -> NodeView {
        NodeView {
            zone,
            essence,
            dedicated,
            entry: node_entry(terms),
        }
    }

    /// The node's label `key`, if it has it.
    #[inline]
    pub fn label(&self, key: Sym) -> Option<NodeLabel> {
        let fixed = |value| {
            Some(NodeLabel {
                key,
                value,
                number: None,
            })
        };
        if key == SYM_ZONE {
            return (self.zone != 0)
                .then_some(zone_sym(self.zone))
                .and_then(fixed);
        }
        if key == SYM_ENERGY {
            return (self.essence != 0)
                .then_some(essence_sym(self.essence))
                .and_then(fixed);
        }
        self.entry.labels.iter().find(|l| l.key == key).copied()
    }

    /// Calls `f` on every taint, in the node's order: the dedicated taint, the energy taint,
    /// then the NODE's own; stops at the first `Some`.
    #[inline]
    fn find_taint<R>(&self, mut f: impl FnMut(&Taint<Sym>, Untolerated) -> Option<R>) -> Option<R> {
        if self.dedicated != TaintEffect::None {
            let t = Taint {
                key: SYM_DEDICATED,
                value: Sym(0),
                effect: self.dedicated,
            };
            if let Some(r) = f(&t, Untolerated::Dedicated) {
                return Some(r);
            }
        }
        if self.essence != 0 {
            let t = Taint {
                key: SYM_ENERGY,
                value: essence_sym(self.essence),
                effect: TaintEffect::NoSchedule,
            };
            if let Some(r) = f(&t, Untolerated::Energy(self.essence)) {
                return Some(r);
            }
        }
        self.entry
            .taints
            .iter()
            .find_map(|t| f(t, Untolerated::Other))
    }
}

/// Upstream's ToleratesTaint.
#[inline]
pub fn tolerates(t: &Toleration<Sym>, taint: &Taint<Sym>) -> bool {
    if t.effect != TaintEffect::None && t.effect != taint.effect {
        return false;
    }
    if t.key.is_some_and(|k| k != taint.key) {
        return false;
    }
    match t.operator {
        TolerationOperator::Exists => true,
        TolerationOperator::Equal => t.value == taint.value,
    }
}

/// What a pod tolerates and selects.
#[derive(Clone, Copy)]
pub struct PodView<'a> {
    /// The shortcuts.
    pub spec: &'a SchedulingSpec,
    /// Its own terms.
    pub entry: &'static PodTerms<Sym>,
}

impl<'a> PodView<'a> {
    /// The view of a pod's scheduling spec.
    #[inline]
    pub fn new(spec: &'a SchedulingSpec) -> PodView<'a> {
        PodView {
            spec,
            entry: &pod_entry(spec.terms).terms,
        }
    }

    /// The tolerations that match `taint` (of its effect or of every effect), the shortcuts
    /// as the tolerations they stand for: calls `f` with each one's tolerationSeconds
    /// (`None`: forever).
    #[inline]
    fn matching(&self, taint: &Taint<Sym>, mut f: impl FnMut(Option<u32>)) {
        let shortcut_dedicated = self.spec.tolerates_dedicated && taint.key == SYM_DEDICATED;
        let shortcut_energy = self.spec.tolerates_energy != 0
            && taint.key == SYM_ENERGY
            && taint.value == essence_sym(self.spec.tolerates_energy)
            && taint.effect == TaintEffect::NoSchedule;
        if shortcut_dedicated || shortcut_energy {
            f(None);
        }
        for t in &self.entry.tolerations {
            if tolerates(t, taint) {
                f(t.seconds);
            }
        }
    }

    #[inline]
    fn tolerated(&self, taint: &Taint<Sym>) -> bool {
        let mut any = false;
        self.matching(taint, |_| any = true);
        any
    }

    /// TaintToleration's filter: the first NoSchedule or NoExecute taint not tolerated.
    #[inline]
    pub fn untolerated(&self, node: &NodeView) -> Option<Untolerated> {
        node.find_taint(|t, which| {
            (matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
                && !self.tolerated(t))
            .then_some(which)
        })
    }

    /// TaintToleration's raw score: PreferNoSchedule taints not tolerated by a toleration of
    /// that effect or of every effect.
    #[inline]
    pub fn intolerable_prefer_no_schedule(&self, node: &NodeView) -> u8 {
        let mut count = 0u8;
        node.find_taint(|t, _| {
            if t.effect == TaintEffect::PreferNoSchedule && !self.tolerated(t) {
                count = count.saturating_add(1);
            }
            None::<()>
        });
        count
    }

    /// The taint manager's verdict on a node's NoExecute taints.
    #[inline]
    pub fn no_execute(&self, node: &NodeView) -> NoExecute {
        let mut min: Option<u32> = None;
        let untolerated = node.find_taint(|t, _| {
            if t.effect != TaintEffect::NoExecute {
                return None;
            }
            let (mut any, mut forever) = (false, false);
            let mut shortest = u32::MAX;
            self.matching(t, |s| {
                any = true;
                match s {
                    None => forever = true,
                    Some(s) => shortest = shortest.min(s),
                }
            });
            if !any {
                return Some(());
            }
            if !forever {
                min = Some(min.map_or(shortest, |m| m.min(shortest)));
            }
            None
        });
        match (untolerated, min) {
            (Some(()), _) => NoExecute::EvictNow,
            (None, Some(s)) => NoExecute::EvictAfter(s),
            (None, None) => NoExecute::Stay,
        }
    }

    /// NodeAffinity's filter: the nodeSelector and the required terms (shortcuts included).
    #[inline]
    pub fn matches_required(&self, node: &NodeView) -> bool {
        let s = self.spec;
        (s.node_selector_zone == 0 || node.zone == s.node_selector_zone)
            && (s.node_selector_energy == 0 || node.essence == s.node_selector_energy)
            && self
                .entry
                .node_selector
                .iter()
                .all(|l| node.label(l.key).is_some_and(|n| n.value == l.value))
            && (self.entry.required.is_empty()
                || self.entry.required.iter().any(|t| term_matches(t, node)))
    }

    /// Whether NodeAffinity scores (the pod has a preferred term).
    #[inline]
    pub fn has_preferred(&self) -> bool {
        self.spec.preferred_zone != 0 || !self.entry.preferred.is_empty()
    }

    /// NodeAffinity's raw score: the summed weights of the preferred terms the node matches.
    #[inline]
    pub fn preferred_weight(&self, node: &NodeView) -> i64 {
        let zone = if self.spec.preferred_zone != 0 && node.zone == self.spec.preferred_zone {
            crate::world::constraints::PREFERRED_WEIGHT
        } else {
            0
        };
        zone + self
            .entry
            .preferred
            .iter()
            .filter(|p| term_matches(&p.term, node))
            .map(|p| i64::from(p.weight))
            .sum::<i64>()
    }
}

/// A node selector term: every requirement holds (an empty term matches nothing).
#[inline]
fn term_matches(term: &NodeSelectorTerm<Sym>, node: &NodeView) -> bool {
    !term.requirements.is_empty()
        && term.requirements.iter().all(|r| {
            let label = node.label(r.key);
            match r.operator {
                SelectorOperator::In => label.is_some_and(|l| r.values.contains(&l.value)),
                SelectorOperator::NotIn => !label.is_some_and(|l| r.values.contains(&l.value)),
                SelectorOperator::Exists => label.is_some(),
                SelectorOperator::DoesNotExist => label.is_none(),
                SelectorOperator::Gt => compare(label, r.number, |a, b| a > b),
                SelectorOperator::Lt => compare(label, r.number, |a, b| a < b),
            }
        })
}

#[inline]
fn compare(label: Option<NodeLabel>, want: Option<i64>, op: fn(i64, i64) -> bool) -> bool {
    match (label.and_then(|l| l.number), want) {
        (Some(have), Some(want)) => op(have, want),
        _ => false,
    }
}

/// Whether a label selector selects a pod with these labels (`{}` selects every pod).
#[inline]
pub fn selector_matches(selector: &LabelSelector<Sym>, labels: &[Label<Sym>]) -> bool {
    let get = |key: Sym| labels.iter().find(|l| l.key == key).map(|l| l.value);
    selector
        .match_labels
        .iter()
        .all(|m| get(m.key) == Some(m.value))
        && selector.expressions.iter().all(|r| {
            let value = get(r.key);
            match r.operator {
                SelectorOperator::In => value.is_some_and(|v| r.values.contains(&v)),
                SelectorOperator::NotIn => !value.is_some_and(|v| r.values.contains(&v)),
                SelectorOperator::Exists => value.is_some(),
                SelectorOperator::DoesNotExist => value.is_none(),
                // The parser refuses them in a label selector.
                SelectorOperator::Gt | SelectorOperator::Lt => false,
            }
        })
}
