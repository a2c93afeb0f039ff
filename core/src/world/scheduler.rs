//! The scheduler: a scheduling queue (activeQ, backoffQ, unschedulable pods) and the
//! default profile's decisions for the plugins this world models — filters
//! NodeUnschedulable, TaintToleration (the not-ready taint) and NodeResourcesFit; scores
//! TaintToleration, NodeResourcesFit (LeastAllocated, cpu 1 / memory 1) and
//! NodeResourcesBalancedAllocation, each 0..100 as upstream computes them, with upstream's
//! weights; top-score ties broken by the seeded RNG.

use std::collections::VecDeque;

use super::events::EventKind;
use super::objects::*;
use super::timers::TimerAction;
use super::World;
use crate::rng::Rng;

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

/// Weights of the default profile's score plugins that this world models.
pub const WEIGHT_TAINT_TOLERATION: i64 = 3;
/// NodeResourcesFit weight.
pub const WEIGHT_RESOURCES_FIT: i64 = 1;
/// NodeResourcesBalancedAllocation weight.
pub const WEIGHT_BALANCED_ALLOCATION: i64 = 1;

/// Backoff after `attempts` failed attempts: 1 s doubling, at most 10 s.
pub fn backoff_duration(attempts: u32) -> f64 {
    let doublings = attempts.saturating_sub(1).min(16);
    (INITIAL_BACKOFF * f64::from(1u32 << doublings)).min(MAX_BACKOFF)
}

/// Why a node was filtered out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterReason {
    /// NodeUnschedulable: the node is cordoned.
    Unschedulable,
    /// TaintToleration: node.kubernetes.io/not-ready:NoSchedule.
    NotReady,
    /// NodeResourcesFit: too many pods.
    TooManyPods,
    /// NodeResourcesFit: insufficient cpu.
    InsufficientCpu,
    /// NodeResourcesFit: insufficient memory.
    InsufficientMemory,
}

impl FilterReason {
    /// Every reason, in the order failure messages list them.
    pub const ALL: [FilterReason; 5] = [
        FilterReason::InsufficientCpu,
        FilterReason::InsufficientMemory,
        FilterReason::TooManyPods,
        FilterReason::Unschedulable,
        FilterReason::NotReady,
    ];

    /// The reason as upstream's status message words it.
    pub const fn message(self) -> &'static str {
        match self {
            FilterReason::Unschedulable => "node(s) were unschedulable",
            FilterReason::NotReady => {
                "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"
            }
            FilterReason::TooManyPods => "Too many pods",
            FilterReason::InsufficientCpu => "Insufficient cpu",
            FilterReason::InsufficientMemory => "Insufficient memory",
        }
    }

    const fn shift(self) -> u32 {
        match self {
            FilterReason::InsufficientCpu => 0,
            FilterReason::InsufficientMemory => 12,
            FilterReason::TooManyPods => 24,
            FilterReason::Unschedulable => 36,
            FilterReason::NotReady => 48,
        }
    }
}

/// Per-reason node counts of a failed attempt, packed into an event's value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailureCounts(pub u64);

impl FailureCounts {
    fn add(&mut self, reason: FilterReason) {
        let count = self.get(reason);
        if count < 0xfff {
            self.0 += 1 << reason.shift();
        }
    }

    /// Nodes filtered out for this reason.
    pub fn get(self, reason: FilterReason) -> u64 {
        (self.0 >> reason.shift()) & 0xfff
    }
}

/// The request a pod puts on a node, as the scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodRequest {
    /// CPU in millicores.
    pub cpu_m: u32,
    /// Memory in MiB.
    pub memory_mib: u32,
}

/// NodeResourcesFit's filter, then NodeUnschedulable and the not-ready taint.
/// Upstream reports every insufficient resource; this returns the first, in upstream's order.
pub fn filter(node: &Node, pod: PodRequest) -> Result<(), FilterReason> {
    if node.unschedulable {
        return Err(FilterReason::Unschedulable);
    }
    if !node.ready {
        return Err(FilterReason::NotReady);
    }
    if node.pod_count + 1 > node.allocatable_pods {
        return Err(FilterReason::TooManyPods);
    }
    if node.requested_cpu_m + pod.cpu_m > node.allocatable_cpu_m {
        return Err(FilterReason::InsufficientCpu);
    }
    if node.requested_memory_mib + pod.memory_mib > node.allocatable_memory_mib {
        return Err(FilterReason::InsufficientMemory);
    }
    Ok(())
}

/// Scores of one node, already multiplied by their weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeScores {
    /// TaintToleration (no PreferNoSchedule taints here: every node scores 100).
    pub taint_toleration: i64,
    /// NodeResourcesFit, LeastAllocated.
    pub resources_fit: i64,
    /// NodeResourcesBalancedAllocation.
    pub balanced_allocation: i64,
}

impl NodeScores {
    /// The final score.
    pub fn total(&self) -> i64 {
        self.taint_toleration + self.resources_fit + self.balanced_allocation
    }
}

/// LeastAllocated for one resource: free fraction after placing the pod, 0..100.
fn least_allocated(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        0
    } else {
        (capacity - requested) * MAX_NODE_SCORE / capacity
    }
}

/// The default profile's scores for placing `pod` on `node`.
pub fn score(node: &Node, pod: PodRequest) -> NodeScores {
    let cpu_req = i64::from(node.requested_cpu_m) + i64::from(pod.cpu_m);
    let mem_req = i64::from(node.requested_memory_mib) + i64::from(pod.memory_mib);
    let cpu_cap = i64::from(node.allocatable_cpu_m);
    let mem_cap = i64::from(node.allocatable_memory_mib);
    let fit = (least_allocated(cpu_req, cpu_cap) + least_allocated(mem_req, mem_cap)) / 2;
    let fraction = |req: i64, cap: i64| {
        if cap == 0 {
            1.0
        } else {
            (req as f64 / cap as f64).min(1.0)
        }
    };
    let std_dev = (fraction(cpu_req, cpu_cap) - fraction(mem_req, mem_cap)).abs() / 2.0;
    let balanced = ((1.0 - std_dev) * MAX_NODE_SCORE as f64) as i64;
    NodeScores {
        taint_toleration: MAX_NODE_SCORE * WEIGHT_TAINT_TOLERATION,
        resources_fit: fit * WEIGHT_RESOURCES_FIT,
        balanced_allocation: balanced * WEIGHT_BALANCED_ALLOCATION,
    }
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
        reasons: FailureCounts,
    },
}

/// One scheduling cycle over `nodes`: filter, score, pick the best (ties by `rng`).
/// A single feasible node is chosen without scoring, as upstream does.
pub fn decide<'a>(
    nodes: impl Iterator<Item = (u32, &'a Node)>,
    pod: PodRequest,
    rng: &mut Rng,
) -> Decision {
    let mut considered = 0u32;
    let mut reasons = FailureCounts::default();
    let mut feasible = 0u32;
    let mut best = (i64::MIN, NONE);
    let mut ties = 0u64;
    let mut only = NONE;
    for (index, node) in nodes {
        considered += 1;
        if let Err(reason) = filter(node, pod) {
            reasons.add(reason);
            continue;
        }
        feasible += 1;
        only = index;
        let total = score(node, pod).total();
        if total > best.0 {
            best = (total, index);
            ties = 1;
        } else if total == best.0 {
            // Reservoir sampling over the tied nodes, as upstream's selectHost does.
            ties += 1;
            if rng.below(ties) == 0 {
                best.1 = index;
            }
        }
    }
    match feasible {
        0 => Decision::Unschedulable {
            nodes: considered,
            reasons,
        },
        1 => Decision::Bind(only),
        _ => Decision::Bind(best.1),
    }
}

/// The message upstream writes on a FailedScheduling event.
pub fn failure_message(nodes: u64, reasons: FailureCounts) -> String {
    let mut msg = format!("0/{nodes} nodes are available");
    let mut first = true;
    for reason in FilterReason::ALL {
        let n = reasons.get(reason);
        if n > 0 {
            msg.push_str(if first { ": " } else { ", " });
            msg.push_str(&format!("{n} {}", reason.message()));
            first = false;
        }
    }
    msg.push('.');
    msg
}

/// activeQ and the unschedulable pods; backoffQ lives in the world's timers.
pub struct SchedulingQueue {
    active: VecDeque<(u32, u64)>,
    unschedulable: Vec<(u32, u64)>,
    moved: Vec<(u32, u64)>,
    changed: bool,
    next_flush: f64,
}

impl SchedulingQueue {
    /// Queues sized for `max_pods` pods.
    pub fn with_capacity(max_pods: usize) -> SchedulingQueue {
        SchedulingQueue {
            active: VecDeque::with_capacity(max_pods),
            unschedulable: Vec::with_capacity(max_pods),
            moved: Vec::with_capacity(max_pods),
            changed: false,
            next_flush: 30.0,
        }
    }

    /// A cluster event that may make unschedulable pods schedulable.
    pub fn cluster_changed(&mut self) {
        self.changed = true;
    }

    /// Pods waiting as unschedulable (stale entries excluded at the next move).
    pub fn unschedulable_len(&self) -> usize {
        self.unschedulable.len()
    }
}

impl World {
    /// Puts a pod into activeQ.
    pub(super) fn enqueue_active(&mut self, index: u32) {
        let Some(pod) = self.pods.get_mut(index) else {
            return;
        };
        pod.queue = QueueState::Active;
        pod.queued_at = self.time;
        let entry = (index, pod.meta.uid);
        if self.queue.active.len() >= self.queue.active.capacity() {
            let pods = &self.pods;
            self.queue.active.retain(|&(i, uid)| {
                pods.get(i)
                    .is_some_and(|p| p.meta.uid == uid && p.queue == QueueState::Active)
            });
        }
        if self.queue.active.len() < self.queue.active.capacity() {
            self.queue.active.push_back(entry);
        }
    }

    pub(super) fn queue_backoff_done(&mut self, index: u32, uid: u64) {
        let Some(pod) = self.pods.get(index) else {
            return;
        };
        if pod.meta.uid == uid
            && pod.queue == QueueState::Backoff
            && pod.node == NONE
            && !pod.terminating
        {
            self.enqueue_active(index);
        }
    }

    /// Moves unschedulable pods to activeQ, or to backoffQ while their backoff lasts.
    fn move_unschedulable(&mut self, only_older_than: Option<f64>) {
        let mut moved = std::mem::take(&mut self.queue.moved);
        moved.clear();
        let pods = &self.pods;
        self.queue.unschedulable.retain(|&(i, uid)| {
            let Some(p) = pods.get(i) else { return false };
            if p.meta.uid != uid || p.queue != QueueState::Unschedulable {
                return false;
            }
            let due = only_older_than.is_none_or(|t| p.queued_at <= t);
            if due {
                moved.push((i, uid));
            }
            !due
        });
        for &(index, uid) in &moved {
            let Some(pod) = self.pods.get_mut(index) else {
                continue;
            };
            if pod.backoff_until > self.time {
                pod.queue = QueueState::Backoff;
                let due = pod.backoff_until - self.time;
                self.schedule_timer(due, index, uid, 0, TimerAction::BackoffDone);
            } else {
                self.enqueue_active(index);
            }
        }
        self.queue.moved = moved;
    }

    /// One scheduling round: requeue after cluster changes, then up to
    /// [`MAX_ATTEMPTS_PER_STEP`] cycles from activeQ.
    pub(super) fn schedule_pending(&mut self) {
        if self.queue.changed {
            self.queue.changed = false;
            self.move_unschedulable(None);
        }
        if self.time >= self.queue.next_flush {
            self.queue.next_flush = self.time + 30.0;
            self.move_unschedulable(Some(self.time - MAX_UNSCHEDULABLE_DURATION));
        }
        for _ in 0..MAX_ATTEMPTS_PER_STEP {
            let Some((index, uid)) = self.queue.active.pop_front() else {
                break;
            };
            let Some(pod) = self.pods.get(index).copied() else {
                continue;
            };
            if pod.meta.uid != uid
                || pod.queue != QueueState::Active
                || pod.node != NONE
                || pod.terminating
            {
                continue;
            }
            self.schedule_one(index, pod);
        }
    }

    fn schedule_one(&mut self, index: u32, pod: Pod) {
        let request = PodRequest {
            cpu_m: pod.cpu_m,
            memory_mib: pod.memory_mib,
        };
        match decide(self.nodes.iter(), request, &mut self.rng) {
            Decision::Bind(node) => self.bind(index, node),
            Decision::Unschedulable { nodes, reasons } => {
                let attempts = pod.attempts + 1;
                let rv = self.write_detail(
                    EventKind::PodFailedScheduling,
                    pod.name(),
                    None,
                    i64::from(nodes),
                    reasons.0,
                );
                self.stats.failed_attempts += 1;
                if let Some(p) = self.pods.get_mut(index) {
                    p.attempts = attempts;
                    p.backoff_until = self.time + backoff_duration(attempts);
                    p.queue = QueueState::Unschedulable;
                    p.queued_at = self.time;
                    p.meta.resource_version = rv;
                }
                if self.queue.unschedulable.len() < self.queue.unschedulable.capacity() {
                    self.queue.unschedulable.push((index, pod.meta.uid));
                }
            }
        }
    }
}
