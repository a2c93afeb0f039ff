//! One scheduling cycle of the default profile: PreFilter, Filter over the nodes from a
//! round-robin start until enough feasible nodes are found (percentageOfNodesToScore),
//! PreScore, Score, NormalizeScore, weights, and selectHost. Filter verdicts and node-local
//! scores come from the per-node cache ([`super::node_rows`]), which evaluates a node again
//! only after it changed. No allocation: every buffer is sized at construction.

use super::change_log::ChangeLog;
use super::cycle::{AppCount, AppPods, NodeTopology, PodInfo, Reservation};
use super::node_info::NodeInfo;
use super::node_resources_fit::Extra;
use super::node_rows::{Evaluation, NodeRows, Signature};
use super::pod_affinity::BoundPod;
use super::pod_topology_spread::{HardSpread, SoftSpread};
use super::resource_scores::ResourceScores;
use super::score_classes::{ClassKey, ScoreClasses};
use super::typed_terms::TypedTerms;
use super::*;
use crate::rng::Rng;
use crate::world::constraints::SchedulingSpec;

/// Where the scheduler reads nodes from.
pub trait NodeSource {
    /// The node at a slab index.
    fn node(&self, index: u32) -> Option<NodeInfo>;

    /// The log of nodes that changed, if the source keeps one (without it the framework
    /// evaluates every node it visits anew each cycle).
    fn changes(&self) -> Option<&ChangeLog> {
        None
    }
}

/// Upstream's numFeasibleNodesToFind: every node below 100 nodes; else `percentage` of them
/// (0 = adaptive: 50 % minus 1 % per 125 nodes, at least 5 %), and at least 100.
pub fn num_feasible_nodes_to_find(percentage: u32, num_all: usize) -> usize {
    const MIN_FEASIBLE_NODES: usize = 100;
    if num_all < MIN_FEASIBLE_NODES {
        return num_all;
    }
    let percentage = if percentage == 0 {
        (50 - (num_all / 125) as i64).max(5) as usize
    } else {
        percentage.min(100) as usize
    };
    (num_all * percentage / 100).max(MIN_FEASIBLE_NODES)
}

/// A feasible node and its scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Candidate {
    /// Node slab index.
    pub node: u32,
    /// The weighted, normalised scores.
    pub scores: NodeScores,
}

/// The outcome of one scheduling cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Bind to this node index.
    Bind(u32),
    /// No feasible node: how many nodes were considered, and why each failed.
    Unschedulable {
        /// Nodes considered.
        nodes: u32,
        /// Why.
        reasons: ReasonCounts,
    },
}

/// PreFilter results for one pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleState {
    pub(super) pod: PodInfo,
    pub(super) hard_spread: Option<HardSpread>,
}

impl CycleState {
    /// PreFilter for `pod`.
    pub fn new<N: NodeSource + ?Sized>(
        pod: &PodInfo,
        app: &AppPods,
        topo: &NodeTopology,
        nodes: &N,
    ) -> CycleState {
        CycleState {
            pod: *pod,
            hard_spread: pod_topology_spread::pre_filter(pod, app, topo, nodes),
        }
    }
}

/// What a preemption dry run removes from a node: requests and the app's pods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Requests taken off (negative) or added (nominated pods).
    pub extra: Extra,
    /// The app's pods taken off.
    pub app: AppCount,
}

/// Runs every filter plugin on one node, in the default profile's order.
#[inline(always)]
pub fn run_filters(
    index: u32,
    node: &NodeInfo,
    state: &CycleState,
    app: &AppPods,
    typed: &TypedTerms,
    removed: Removed,
) -> Result<(), FilterReason> {
    let pod = &state.pod;
    let spec = &pod.scheduling;
    node_unschedulable::filter(node)?;
    taint_toleration::filter(node, spec)?;
    node_affinity::filter(node, spec)?;
    node_resources_fit::filter(node, pod, removed.extra)?;
    dynamic_resources::filter(node, pod)?;
    if let Some(hard) = &state.hard_spread {
        pod_topology_spread::filter(index, node, hard, app, removed.app.live)?;
    }
    typed.spread.filter(index, node)?;
    inter_pod_affinity::filter(index, node, spec, app, &typed.affinity, removed.app)
}

/// Requests that nominated pods of at least the pod's priority hold on a node.
#[inline]
pub fn reserved_on(node: u32, pod: &PodInfo, reservations: &[Reservation]) -> Extra {
    let mut extra = Extra::default();
    for r in reservations {
        if r.node == node && r.pod != pod.index && r.priority >= pod.scheduling.priority {
            extra.pods += 1;
            extra.cpu_m += i64::from(r.cpu_m);
            extra.memory_mib += i64::from(r.memory_mib);
            extra.mana += i64::from(r.mana);
        }
    }
    extra
}

/// The scheduling framework with the default profile's plugins.
pub struct Framework {
    /// The configuration in force.
    pub config: SchedulerConfig,
    next_start_node_index: usize,
    record_scores: bool,
    candidates: Vec<Candidate>,
    failed: Vec<(u32, FilterReason)>,
    resource_scores: ResourceScores,
    classes: ScoreClasses,
    rows: NodeRows,
    typed: TypedTerms,
}

impl Framework {
    /// A framework for clusters of up to `max_nodes` nodes.
    pub fn with_capacity(max_nodes: usize) -> Framework {
        Framework {
            config: SchedulerConfig::default(),
            next_start_node_index: 0,
            record_scores: true,
            candidates: Vec::with_capacity(max_nodes),
            failed: Vec::with_capacity(max_nodes),
            resource_scores: ResourceScores::with_capacity(max_nodes),
            classes: ScoreClasses::with_capacity(max_nodes),
            rows: NodeRows::with_capacity(max_nodes),
            typed: TypedTerms::with_capacity(max_nodes),
        }
    }

    /// PreFilter and PreScore of InterPodAffinity and PodTopologySpread over the typed
    /// terms: call before [`Framework::find_node`] with the pod's spec, the node order and
    /// every bound pod.
    pub fn prepare_typed<N: NodeSource + ?Sized, I: Iterator<Item = BoundPod>>(
        &mut self,
        spec: &SchedulingSpec,
        order: &[u32],
        pods: impl Fn() -> I,
        nodes: &N,
    ) {
        self.typed.prepare(spec, order, pods, nodes);
    }

    /// The typed terms' state [`Framework::prepare_typed`] computed.
    pub fn typed(&self) -> &TypedTerms {
        &self.typed
    }

    /// Where the next cycle starts walking the node list (upstream's nextStartNodeIndex).
    pub fn next_start_node_index(&self) -> usize {
        self.next_start_node_index
    }

    /// Sets where the next cycle starts walking the node list (a replay of a recorded
    /// scheduler picks up where that scheduler stood).
    pub fn set_next_start_node_index(&mut self, index: usize) {
        self.next_start_node_index = index;
    }

    /// The feasible nodes of the last cycle with their scores (empty unless recording).
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// Whether cycles record [`Framework::candidates`] and [`Framework::failed_nodes`] of
    /// cycles that find a node (on by default; the world turns it off, as only inspection
    /// reads them).
    pub fn record_scores(&mut self, on: bool) {
        self.record_scores = on;
    }

    /// Nodes that failed a filter in the last cycle, and why (when recording, or when the
    /// cycle found no feasible node).
    pub fn failed_nodes(&self) -> &[(u32, FilterReason)] {
        &self.failed
    }

    /// One cycle: filter, score, select. Ties among the best are broken by `rng`.
    pub fn find_node<N: NodeSource + ?Sized>(
        &mut self,
        nodes: &N,
        topo: &NodeTopology,
        pod: &PodInfo,
        app: &AppPods,
        reservations: &[Reservation],
        rng: &mut Rng,
    ) -> Decision {
        let state = CycleState::new(pod, app, topo, nodes);
        self.candidates.clear();
        self.failed.clear();
        let order = &topo.order[..topo.order.len().min(self.rows.capacity())];
        let all = order.len();
        if all == 0 {
            return Decision::Unschedulable {
                nodes: 0,
                reasons: ReasonCounts::default(),
            };
        }
        let to_find = num_feasible_nodes_to_find(self.config.percentage_of_nodes_to_score, all)
            .min(self.classes.capacity());
        let spec = pod.scheduling;
        let strategy = self.config.strategy;
        self.resource_scores
            .begin(strategy, pod.cpu_m, pod.memory_mib);
        // Typed terms read other pods everywhere: their rows last one cycle.
        let typed = &self.typed;
        let one_cycle = !reservations.is_empty() || typed.in_use();
        let signature = Signature::new(&state, strategy, app, one_cycle);
        self.rows.sync(
            signature,
            topo,
            nodes.changes(),
            app.changes(),
            &mut self.classes,
        );
        let start = self.next_start_node_index % all;
        let resource_scores = &mut self.resource_scores;
        let processed = self
            .rows
            .walk(order, start, to_find, &mut self.classes, |index| {
                evaluate(
                    index,
                    nodes,
                    &state,
                    app,
                    typed,
                    reservations,
                    resource_scores,
                )
            });
        self.next_start_node_index = (start + processed) % all;
        let found = self.rows.found();
        if found == 0 || self.record_scores {
            let failed = &mut self.failed;
            self.rows
                .for_each_failed(order, start, processed, |node, reason| {
                    if failed.len() < failed.capacity() {
                        failed.push((node, reason));
                    }
                });
        }
        if found == 0 {
            let mut reasons = ReasonCounts::default();
            self.failed.iter().for_each(|&(_, r)| reasons.add(r));
            return Decision::Unschedulable {
                nodes: all as u32,
                reasons,
            };
        }
        if found == 1 {
            // A single feasible node is chosen without drawing a tie-break.
            let mut ignore = Rng::new(0);
            return Decision::Bind(self.score_and_select(nodes, topo, &spec, app, &mut ignore));
        }
        Decision::Bind(self.score_and_select(nodes, topo, &spec, app, rng))
    }

    /// PreScore, Score and NormalizeScore of the plugins whose raw scores need every
    /// feasible node, computed once per score class, then the weighted sums and selectHost
    /// (ties by reservoir sampling, in node order).
    fn score_and_select<N: NodeSource + ?Sized>(
        &mut self,
        nodes: &N,
        topo: &NodeTopology,
        spec: &SchedulingSpec,
        app: &AppPods,
        rng: &mut Rng,
    ) -> u32 {
        self.score_classes(nodes, topo, spec, app);
        self.classes.publish_totals();
        let (rows, classes) = (&self.rows, &self.classes);
        if self.record_scores {
            let candidates = &mut self.candidates;
            rows.for_each_found(|f| {
                let fit = i64::from(f.fit) * WEIGHT_RESOURCES_FIT;
                let balanced = i64::from(f.balanced) * WEIGHT_BALANCED_ALLOCATION;
                candidates.push(Candidate {
                    node: f.node,
                    scores: NodeScores {
                        resources_fit: fit,
                        balanced_allocation: balanced,
                        ..classes.get(f.class).scores
                    },
                });
            });
        }
        let totals = classes.totals();
        let (mut best, mut node, mut ties) = (i64::MIN, u32::MAX, 0u64);
        rows.for_each_found(|f| {
            let total = i64::from(f.fit) * WEIGHT_RESOURCES_FIT
                + i64::from(f.balanced) * WEIGHT_BALANCED_ALLOCATION
                + totals[f.class as usize];
            if total < best {
                return;
            }
            if total > best {
                (best, node, ties) = (total, f.node, 1);
            } else {
                ties += 1;
                if rng.below(ties) == 0 {
                    node = f.node;
                }
            }
        });
        node
    }

    /// Raw scores, their normalisation over the feasible nodes and the weighted scores of
    /// every class, except the per-node NodeResourcesFit and BalancedAllocation.
    fn score_classes<N: NodeSource + ?Sized>(
        &mut self,
        nodes: &N,
        topo: &NodeTopology,
        spec: &SchedulingSpec,
        app: &AppPods,
    ) {
        let classes = &mut self.classes;
        let rows = &self.rows;
        let (mut max_taint, mut max_affinity) = (0i64, 0i64);
        let (mut min_ipa, mut max_ipa) = (i64::MAX, i64::MIN);
        classes.for_each_mut(|c| {
            let k = c.key;
            let pods = AppCount {
                all: k.all,
                preferred: k.preferred,
                ..AppCount::default()
            };
            c.ipa = inter_pod_affinity::score(pods, k.zone, spec, app) + k.pod_affinity;
            max_taint = max_taint.max(i64::from(k.taint));
            max_affinity = max_affinity.max(i64::from(k.affinity));
            min_ipa = min_ipa.min(c.ipa);
            max_ipa = max_ipa.max(c.ipa);
        });
        // TaintToleration: DefaultNormalizeScore, reversed.
        let taint = normalize::Normalizer::new(max_taint, true);
        // NodeAffinity: DefaultNormalizeScore when the pod has a preferred term.
        let affinity = (!node_affinity::skip_score(spec))
            .then(|| normalize::Normalizer::new(max_affinity, false));
        // InterPodAffinity: between min and max.
        let ipa = !inter_pod_affinity::skip_score(spec, app, &self.typed.affinity);
        // PodTopologySpread: weights from the feasible nodes, then its own normalisation.
        let typed = &mut self.typed.spread;
        let mut shortcut = SoftSpread::new(spec, typed.active());
        if let Some(soft) = shortcut.as_mut() {
            soft.honor_node_affinity(spec, app, topo, nodes);
        }
        let spread = (shortcut.is_some() || typed.scores()).then(|| {
            // Typed ScheduleAnyway constraints make one class per node (its key's `node`).
            let typed_node = |c: &super::score_classes::Class| {
                let i = c.key.node;
                (i != u32::MAX)
                    .then(|| nodes.node(i).map(|n| (i, n)))
                    .flatten()
            };
            let mut any_ignored = false;
            classes.for_each_mut(|c| {
                c.spread_ignored = shortcut.is_some_and(|s| s.ignored(c.key.zone))
                    || typed_node(c).is_some_and(|(i, n)| typed.ignored(i, &n));
                any_ignored |= c.spread_ignored;
            });
            let mut ignored = 0;
            if any_ignored {
                let classes = &*classes;
                rows.for_each_found(|f| {
                    ignored += usize::from(classes.get(f.class).spread_ignored)
                });
            }
            let mut shortcut = shortcut;
            if let Some(soft) = shortcut.as_mut() {
                let zones = classes.iter().filter(|c| !c.spread_ignored);
                soft.set_weights(zones.map(|c| c.key.zone), rows.found() - ignored);
            }
            if typed.scores() {
                let scored = classes.iter().filter(|c| !c.spread_ignored);
                typed.set_weights(scored.filter_map(typed_node));
            }
            let (mut min, mut max) = (i64::MAX, 0i64);
            classes.for_each_mut(|c| {
                if c.spread_ignored {
                    return;
                }
                let own = shortcut.map_or(0.0, |s| s.score(c.key.all, c.key.zone, app));
                let typed = typed_node(c).map_or(0.0, |(i, n)| typed.score(i, &n));
                c.spread = round_half_away(own + typed);
                min = min.min(c.spread);
                max = max.max(c.spread);
            });
            (min, max)
        });
        classes.for_each_mut(|c| {
            let k = c.key;
            let mut s = NodeScores {
                taint_toleration: taint.apply(i64::from(k.taint)) * WEIGHT_TAINT_TOLERATION,
                ..NodeScores::default()
            };
            if let Some(n) = affinity {
                s.node_affinity = n.apply(i64::from(k.affinity)) * WEIGHT_NODE_AFFINITY;
            }
            if ipa {
                s.inter_pod_affinity = inter_pod_affinity::normalize(c.ipa, min_ipa, max_ipa)
                    * WEIGHT_INTER_POD_AFFINITY;
            }
            if let Some((min, max)) = spread {
                s.pod_topology_spread = if c.spread_ignored {
                    0
                } else {
                    pod_topology_spread::normalize(c.spread, false, min, max)
                        * WEIGHT_POD_TOPOLOGY_SPREAD
                };
            }
            c.scores = s;
            c.total = s.total();
        });
    }
}

/// Runs the filters on one node and, when it passes, its node-local scores and score class.
#[inline]
fn evaluate<N: NodeSource + ?Sized>(
    index: u32,
    nodes: &N,
    state: &CycleState,
    app: &AppPods,
    typed: &TypedTerms,
    reservations: &[Reservation],
    resource_scores: &mut ResourceScores,
) -> Evaluation {
    let Some(node) = nodes.node(index) else {
        return Evaluation::Missing;
    };
    let pod = &state.pod;
    let extra = if reservations.is_empty() {
        Extra::default()
    } else {
        reserved_on(index, pod, reservations)
    };
    let removed = Removed {
        extra,
        app: AppCount::default(),
    };
    if let Err(reason) = run_filters(index, &node, state, app, typed, removed) {
        return Evaluation::Failed(reason);
    }
    let (fit, balanced) = resource_scores.get(index, &node);
    let pods = app.node(index);
    Evaluation::Feasible {
        // Both scores lie in 0..=100.
        fit: fit as u8,
        balanced: balanced as u8,
        key: ClassKey {
            taint: taint_toleration::score(&node, &pod.scheduling),
            affinity: node_affinity::score(&node, &pod.scheduling).clamp(0, i64::from(u16::MAX))
                as u16,
            zone: node.zone,
            all: pods.all,
            preferred: pods.preferred,
            pod_affinity: typed.affinity.score(index, &node),
            node: if typed.spread.scores() {
                index
            } else {
                u32::MAX
            },
        },
    }
}
