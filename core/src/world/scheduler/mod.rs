//! The scheduler: a scheduling queue ordered as upstream's PrioritySort (activeQ, backoffQ,
//! unschedulable pods), the default profile's filter and score plugins, one file each, and
//! DefaultPreemption. Scores are 0..100 per plugin, normalised as upstream normalises them,
//! multiplied by upstream's weights; top-score ties are broken by the seeded RNG.

mod balanced_allocation;
mod change_log;
mod cycle;
mod diagnosis;
mod dynamic_resources;
mod framework;
mod inter_pod_affinity;
mod node_affinity;
mod node_info;
mod node_resources_fit;
mod node_rows;
#[cfg(test)]
mod node_rows_equivalence;
mod node_unschedulable;
mod normalize;
mod pod_affinity;
mod pod_topology_spread;
mod preemption;
mod queue;
mod reasons;
mod resource_scores;
mod schedule_one;
mod score_classes;
mod spread_terms;
mod taint_toleration;
mod typed_terms;

pub use change_log::{ChangeLog, LogPosition};
pub use cycle::{AppCount, AppPods, NodeTopology, PodInfo, Reservation};
pub use diagnosis::{Diagnosis, PreemptionOutcome};
pub use dynamic_resources::{ClaimFit, DEVICE_SLOTS, NO_DEVICE_SLOT};
pub use framework::{
    num_feasible_nodes_to_find, run_filters, Candidate, CycleState, Decision, Framework,
    NodeSource, Removed,
};
pub use node_info::{NodeInfo, NodeInfos};
pub use node_resources_fit::Extra;
pub use node_resources_fit::{ScoringStrategy, ShapePoint};
pub use pod_affinity::{BoundPod, PodAffinityState};
pub(in crate::world) use preemption::Potential;
pub use preemption::{pick_one_node_for_preemption, CandidateNode};
pub use queue::SchedulingQueue;
pub use reasons::{FilterReason, Reason, ReasonCounts, Shortfall};
pub use spread_terms::TypedSpread;
pub use taint_toleration::no_execute;
pub use typed_terms::TypedTerms;
pub(crate) use {
    node_affinity::filter as node_affinity_filter,
    taint_toleration::filter as taint_toleration_filter,
};

/// podInitialBackoffSeconds.
pub const INITIAL_BACKOFF: f64 = 1.0;
/// podMaxBackoffSeconds.
pub const MAX_BACKOFF: f64 = 10.0;
/// podMaxInUnschedulablePodsDuration: unschedulable pods are retried after this anyway.
pub const MAX_UNSCHEDULABLE_DURATION: f64 = 300.0;
/// Most scheduling attempts in one step (bounds the work per control tick).
pub const MAX_ATTEMPTS_PER_STEP: usize = 256;
/// Highest score a plugin gives.
pub const MAX_NODE_SCORE: i64 = 100;

/// TaintToleration weight in the default profile.
pub const WEIGHT_TAINT_TOLERATION: i64 = 3;
/// NodeAffinity weight.
pub const WEIGHT_NODE_AFFINITY: i64 = 2;
/// NodeResourcesFit weight.
pub const WEIGHT_RESOURCES_FIT: i64 = 1;
/// PodTopologySpread weight.
pub const WEIGHT_POD_TOPOLOGY_SPREAD: i64 = 2;
/// InterPodAffinity weight.
pub const WEIGHT_INTER_POD_AFFINITY: i64 = 2;
/// NodeResourcesBalancedAllocation weight.
pub const WEIGHT_BALANCED_ALLOCATION: i64 = 1;

/// Backoff after `attempts` failed attempts: 1 s doubling, at most 10 s.
pub fn backoff_duration(attempts: u32) -> f64 {
    let doublings = attempts.saturating_sub(1).min(16);
    (INITIAL_BACKOFF * f64::from(1u32 << doublings)).min(MAX_BACKOFF)
}

/// The scheduler's configuration (what a SCHEDULER module sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// NodeResourcesFit's scoring strategy.
    pub strategy: ScoringStrategy,
    /// DefaultPreemption enabled.
    pub preemption: bool,
    /// percentageOfNodesToScore: 0 = upstream's adaptive default, else 1..=100.
    pub percentage_of_nodes_to_score: u32,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            strategy: ScoringStrategy::LeastAllocated,
            preemption: true,
            percentage_of_nodes_to_score: 0,
        }
    }
}

/// Scores of one node, each already multiplied by its weight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeScores {
    /// TaintToleration.
    pub taint_toleration: i64,
    /// NodeAffinity.
    pub node_affinity: i64,
    /// NodeResourcesFit.
    pub resources_fit: i64,
    /// PodTopologySpread.
    pub pod_topology_spread: i64,
    /// InterPodAffinity.
    pub inter_pod_affinity: i64,
    /// NodeResourcesBalancedAllocation.
    pub balanced_allocation: i64,
}

impl NodeScores {
    /// The final score.
    pub fn total(&self) -> i64 {
        self.taint_toleration
            + self.node_affinity
            + self.resources_fit
            + self.pod_topology_spread
            + self.inter_pod_affinity
            + self.balanced_allocation
    }
}

/// Go's math.Round for non-negative finite values (half away from zero), without a libm call.
#[inline]
pub(crate) fn round_half_away(x: f64) -> i64 {
    let t = x as i64;
    if x - t as f64 >= 0.5 {
        t + 1
    } else {
        t
    }
}
