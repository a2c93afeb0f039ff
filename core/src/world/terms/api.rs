//! The API shapes of node labels, taints, tolerations and node affinity, generic over how a
//! string is held: `String` where text is parsed and written out, an interned [`Sym`] where
//! the world matches them.
//!
//! [`Sym`]: super::symbols::Sym

use crate::world::constraints::{TaintEffect, WhenUnsatisfiable};

/// A label `key=value` (node label, pod label, nodeSelector entry).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label<S> {
    /// The key.
    pub key: S,
    /// The value.
    pub value: S,
}

/// A node taint `key=value:Effect`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Taint<S> {
    /// The key.
    pub key: S,
    /// The value (may be empty).
    pub value: S,
    /// NoSchedule, PreferNoSchedule or NoExecute (never `None`).
    pub effect: TaintEffect,
}

/// A toleration's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TolerationOperator {
    /// Any value (and, with an empty key, any key).
    Exists,
    /// The value must be equal.
    Equal,
}

/// A pod toleration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Toleration<S> {
    /// The key (`None`: every key; only with Exists).
    pub key: Option<S>,
    /// The operator.
    pub operator: TolerationOperator,
    /// The value (Equal only).
    pub value: S,
    /// The effect tolerated (`TaintEffect::None`: every effect).
    pub effect: TaintEffect,
    /// tolerationSeconds (NoExecute only): how long a pod stays once the taint appears.
    pub seconds: Option<u32>,
}

/// A node selector requirement's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SelectorOperator {
    /// The label's value is one of the values.
    In,
    /// The label is missing or its value is none of the values.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is missing.
    DoesNotExist,
    /// The label's value, an integer, is greater.
    Gt,
    /// The label's value, an integer, is less.
    Lt,
}

impl SelectorOperator {
    /// The operator's name in the API.
    pub const fn name(self) -> &'static str {
        match self {
            SelectorOperator::In => "In",
            SelectorOperator::NotIn => "NotIn",
            SelectorOperator::Exists => "Exists",
            SelectorOperator::DoesNotExist => "DoesNotExist",
            SelectorOperator::Gt => "Gt",
            SelectorOperator::Lt => "Lt",
        }
    }
}

/// One matchExpressions entry of a node selector term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement<S> {
    /// The label key.
    pub key: S,
    /// The operator.
    pub operator: SelectorOperator,
    /// The values (In, NotIn: at least one; Gt, Lt: one integer; else none).
    pub values: Vec<S>,
    /// Gt and Lt: the value as an integer.
    pub number: Option<i64>,
}

/// A nodeSelectorTerm: its requirements must all hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NodeSelectorTerm<S> {
    /// matchExpressions.
    pub requirements: Vec<Requirement<S>>,
}

/// A preferredDuringSchedulingIgnoredDuringExecution term.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PreferredTerm<S> {
    /// weight, 1..=100.
    pub weight: i32,
    /// The preference.
    pub term: NodeSelectorTerm<S>,
}

/// A label selector (matchLabels and matchExpressions: In, NotIn, Exists, DoesNotExist); with
/// neither it is `{}`, which selects every pod.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LabelSelector<S> {
    /// matchLabels.
    pub match_labels: Vec<Label<S>>,
    /// matchExpressions.
    pub expressions: Vec<Requirement<S>>,
}

/// One pod affinity or anti-affinity term, required or preferred with a weight.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PodAffinityTerm<S> {
    /// podAntiAffinity (else podAffinity).
    pub anti: bool,
    /// The weight 1..=100 of a preferred term (`None`: required).
    pub weight: Option<i32>,
    /// labelSelector, over pods of the pod's own namespace.
    pub selector: LabelSelector<S>,
    /// topologyKey: a node label key.
    pub topology_key: S,
}

/// nodeAffinityPolicy and nodeTaintsPolicy of a topology spread constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeInclusionPolicy {
    /// Only nodes the pod's node affinity (or tolerations) admit count.
    Honor,
    /// Every node counts.
    Ignore,
}

impl NodeInclusionPolicy {
    /// The policy's name in the API.
    pub const fn name(self) -> &'static str {
        match self {
            NodeInclusionPolicy::Honor => "Honor",
            NodeInclusionPolicy::Ignore => "Ignore",
        }
    }
}

/// One topology spread constraint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TopologySpreadConstraint<S> {
    /// maxSkew (at least 1).
    pub max_skew: u32,
    /// topologyKey: a node label key.
    pub topology_key: S,
    /// whenUnsatisfiable.
    pub when: WhenUnsatisfiable,
    /// minDomains (DoNotSchedule only).
    pub min_domains: Option<u32>,
    /// nodeAffinityPolicy (default Honor).
    pub node_affinity_policy: NodeInclusionPolicy,
    /// nodeTaintsPolicy (default Ignore).
    pub node_taints_policy: NodeInclusionPolicy,
    /// labelSelector (`None` as parsed: the pod's own labels, filled in with them).
    pub selector: Option<LabelSelector<S>>,
}

/// What a NODE module adds to its nodes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NodeTerms<S> {
    /// metadata.labels.
    pub labels: Vec<Label<S>>,
    /// spec.taints.
    pub taints: Vec<Taint<S>>,
}

/// What a pod template adds to its pods.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PodTerms<S> {
    /// metadata.labels.
    pub labels: Vec<Label<S>>,
    /// spec.tolerations.
    pub tolerations: Vec<Toleration<S>>,
    /// spec.nodeSelector.
    pub node_selector: Vec<Label<S>>,
    /// requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms (ORed).
    pub required: Vec<NodeSelectorTerm<S>>,
    /// preferredDuringSchedulingIgnoredDuringExecution.
    pub preferred: Vec<PreferredTerm<S>>,
    /// podAffinity and podAntiAffinity terms, in the order written.
    pub pod_affinity: Vec<PodAffinityTerm<S>>,
    /// topologySpreadConstraints.
    pub spread: Vec<TopologySpreadConstraint<S>>,
}

impl<S> PodTerms<S> {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
            && self.tolerations.is_empty()
            && self.node_selector.is_empty()
            && self.required.is_empty()
            && self.preferred.is_empty()
            && self.pod_affinity.is_empty()
            && self.spread.is_empty()
    }
}
