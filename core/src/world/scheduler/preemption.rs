//! DefaultPreemption (PostFilter): on nodes where only resolvable filters failed, remove
//! every lower-priority pod, check the preemptor fits, then reprieve the victims from the most
//! important down (higher priority, then earlier start) while it still fits. A node that needs
//! no victim is no candidate. Among the candidates, pickOneNodeForPreemption chooses the
//! lowest highest-victim priority, the smallest sum of priorities, the fewest victims, the
//! latest start of the highest-priority victims, the first. Victims get the DisruptionTarget
//! condition (PreemptionByScheduler) and are deleted gracefully with a "Preempted" event; the
//! preemptor is nominated to the node. Without a candidate, the dry run's per-node reasons
//! go into the FailedScheduling message. There are no PodDisruptionBudgets.

use super::cycle::{AppCount, PodInfo};
use super::diagnosis::PreemptionOutcome;
use super::framework::{reserved_on, run_filters, CycleState, Removed};
use super::node_info::NodeInfo;
use super::reasons::{FilterReason, Reason, ReasonCounts};
use crate::world::events::EventKind;
use crate::world::objects::*;
use crate::world::World;

/// Minimum share of nodes to examine for candidates (minCandidateNodesPercentage).
const MIN_CANDIDATE_NODES_PERCENTAGE: usize = 10;
/// Minimum number of candidates to examine (minCandidateNodesAbsolute).
const MIN_CANDIDATE_NODES_ABSOLUTE: usize = 100;

/// A node where preemption lets the pod fit, with its victims' summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CandidateNode {
    /// Node slab index.
    pub node: u32,
    /// Number of victims.
    pub victims: u32,
    /// Priority of the most important victim.
    pub highest: i32,
    /// Sum of the victims' priorities, each offset by 2^31 as upstream does.
    pub sum: i64,
    /// Earliest start among the victims of the highest priority.
    pub earliest_start: f64,
}

/// pickOneNodeForPreemption: the index of the chosen candidate.
pub fn pick_one_node_for_preemption(cands: &[CandidateNode]) -> Option<usize> {
    (0..cands.len()).reduce(|best, i| {
        let (a, b) = (&cands[best], &cands[i]);
        let better = b
            .highest
            .cmp(&a.highest)
            .then(b.sum.cmp(&a.sum))
            .then(b.victims.cmp(&a.victims))
            .then(a.earliest_start.total_cmp(&b.earliest_start));
        if better == std::cmp::Ordering::Less {
            i
        } else {
            best
        }
    })
}

/// A pod on the node that may be removed.
#[derive(Debug, Clone, Copy)]
pub(in crate::world) struct Potential {
    index: u32,
    priority: i32,
    start: f64,
    cpu_m: u32,
    memory_mib: u32,
    mana: u32,
    app_pod: Option<(bool, crate::world::constraints::AntiAffinity)>,
}

fn remove(removed: &mut Removed, p: &Potential, sign: i64) {
    removed.extra.pods -= sign;
    removed.extra.cpu_m -= sign * i64::from(p.cpu_m);
    removed.extra.memory_mib -= sign * i64::from(p.memory_mib);
    removed.extra.mana -= sign * i64::from(p.mana);
    if let Some((terminating, anti)) = p.app_pod {
        let mut one = AppCount {
            all: 1,
            live: u32::from(!terminating),
            ..AppCount::default()
        };
        match anti {
            crate::world::constraints::AntiAffinity::Required => one.required = 1,
            crate::world::constraints::AntiAffinity::Preferred => one.preferred = 1,
            crate::world::constraints::AntiAffinity::None => {}
        }
        let a = &mut removed.app;
        if sign > 0 {
            a.all += one.all;
            a.live += one.live;
            a.required += one.required;
            a.preferred += one.preferred;
        } else {
            a.all -= one.all;
            a.live -= one.live;
            a.required -= one.required;
            a.preferred -= one.preferred;
        }
    }
}

/// SelectVictimsOnNode's verdict on one node.
enum DryRun {
    /// The pod fits once these victims are gone.
    Candidate(CandidateNode),
    /// No lower-priority pod on the node.
    NoVictims,
    /// Still no fit without every lower-priority pod.
    Fails(FilterReason),
    /// Fits with no victim at all (upstream's "expected at least one victim" error).
    NoneNeeded,
}

impl World {
    /// PostFilter: preempts for the pod if it can; returns DefaultPreemption's outcome and
    /// the nominated node.
    pub(super) fn preempt(
        &mut self,
        index: u32,
        info: &PodInfo,
    ) -> (PreemptionOutcome, Option<u32>) {
        if let Some(not) = self.not_eligible_to_preempt(index, info) {
            return (not, None);
        }
        let state = CycleState::new(info, &self.app_pods, &self.topology, &self.nodes);
        let failed_len = self.framework.failed_nodes().len();
        let potential = self
            .framework
            .failed_nodes()
            .iter()
            .filter(|(_, r)| !r.unresolvable())
            .count();
        let mut tried = ReasonCounts::default();
        let mut tried_nodes = 0u32;
        let mut none_needed = None;
        self.preemption_candidates.clear();
        if potential > 0 {
            let wanted = (potential * MIN_CANDIDATE_NODES_PERCENTAGE / 100)
                .max(MIN_CANDIDATE_NODES_ABSOLUTE)
                .min(potential);
            let offset = self.rng.below(potential as u64) as usize;
            // The potential nodes from the random offset on, then those before it.
            'passes: for pass in 0..2 {
                let mut p = 0;
                for k in 0..failed_len {
                    if self.preemption_candidates.len() >= wanted {
                        break 'passes;
                    }
                    let (node, reason) = self.framework.failed_nodes()[k];
                    if reason.unresolvable() {
                        continue;
                    }
                    let in_pass = (p >= offset) == (pass == 0);
                    p += 1;
                    if !in_pass {
                        continue;
                    }
                    match self.select_victims_on_node(node, info, &state) {
                        DryRun::Candidate(c) => {
                            let room = self.preemption_candidates.capacity();
                            if self.preemption_candidates.len() < room {
                                self.preemption_candidates.push(c);
                            }
                            continue;
                        }
                        DryRun::NoVictims => tried.add_reason(Reason::NoPreemptionVictims, 1),
                        DryRun::Fails(r) => tried.add(r),
                        DryRun::NoneNeeded => {
                            none_needed.get_or_insert(node);
                        }
                    }
                    tried_nodes += 1;
                }
            }
        }
        let Some(chosen) = pick_one_node_for_preemption(&self.preemption_candidates) else {
            if let Some(node) = none_needed.and_then(|n| self.nodes.get(n)) {
                return (PreemptionOutcome::NoVictimNeeded(node.name()), None);
            }
            return (
                PreemptionOutcome::NoCandidate {
                    reasons: tried,
                    tried: tried_nodes,
                },
                None,
            );
        };
        let node = self.preemption_candidates[chosen].node;
        // Recompute the chosen node's victims into the scratch list and delete them.
        if !matches!(
            self.select_victims_on_node(node, info, &state),
            DryRun::Candidate(_)
        ) {
            return (PreemptionOutcome::Nominated, None);
        }
        let Some(pod_name) = self.pods.get(index).map(Pod::name) else {
            return (PreemptionOutcome::Nominated, None);
        };
        let node_name = self.nodes.get(node).map(Node::name);
        for i in 0..self.victims.len() {
            let victim = self.victims[i];
            if let Some(v) = self.pods.get(victim).copied() {
                self.write(
                    EventKind::PodPreempted,
                    v.name(),
                    node_name,
                    pod_name.id as i64,
                );
                if let Some(p) = self.pods.get_mut(victim) {
                    p.preempted = true;
                }
                self.begin_termination(victim);
            }
        }
        // Lower-priority pods nominated to the node lose their nomination.
        for r in 0..self.reservations.len() {
            let res = self.reservations[r];
            if res.node == node && res.priority < info.scheduling.priority {
                if let Some(p) = self.pods.get_mut(res.pod) {
                    p.nominated_node = NONE;
                }
            }
        }
        self.reservations
            .retain(|r| r.node != node || r.priority >= info.scheduling.priority);
        self.stats.preemptions += 1;
        (PreemptionOutcome::Nominated, Some(node))
    }

    /// PodEligibleToPreemptOthers: why the pod may not preempt, if it may not. A pod already
    /// nominated waits while a lower-priority pod it preempted there is still terminating,
    /// unless the nominated node now fails a filter preemption cannot resolve.
    fn not_eligible_to_preempt(&self, index: u32, info: &PodInfo) -> Option<PreemptionOutcome> {
        if info.scheduling.never_preempt {
            return Some(PreemptionOutcome::NeverPolicy);
        }
        let pod = self.pods.get(index)?;
        let nominated = pod.nominated_node;
        if nominated == NONE {
            return None;
        }
        let unresolvable = self
            .framework
            .failed_nodes()
            .iter()
            .any(|&(n, r)| n == nominated && r.unresolvable());
        if unresolvable {
            return None;
        }
        let waiting = self.node_pods(nominated).any(|p| {
            p.terminating && p.preempted && p.scheduling.priority < info.scheduling.priority
        });
        waiting.then_some(PreemptionOutcome::TerminatingOnNominated)
    }

    /// SelectVictimsOnNode: fills `self.victims` and summarises them, or `None` when removing
    /// every lower-priority pod still does not make the pod fit.
    fn select_victims_on_node(&mut self, node: u32, info: &PodInfo, state: &CycleState) -> DryRun {
        let Some(n) = self.nodes.get(node).copied() else {
            return DryRun::NoVictims;
        };
        let n_info = NodeInfo::from(&n);
        self.potential.clear();
        let mut removed = Removed {
            extra: reserved_on(node, info, &self.reservations),
            app: AppCount::default(),
        };
        let mut cur = n.first_pod;
        while let Some(p) = self.pods.get(cur) {
            if p.scheduling.priority < info.scheduling.priority
                && self.potential.len() < self.potential.capacity()
            {
                let v = Potential {
                    index: cur,
                    priority: p.scheduling.priority,
                    start: p.start_time_or_creation(),
                    cpu_m: p.cpu_m,
                    memory_mib: p.memory_mib,
                    mana: p.mana.amount,
                    app_pod: (p.owner == info.app)
                        .then_some((p.terminating, p.scheduling.anti_affinity)),
                };
                remove(&mut removed, &v, 1);
                self.potential.push(v);
            }
            cur = p.node_next;
        }
        if self.potential.is_empty() {
            return DryRun::NoVictims;
        }
        if let Err(reason) = run_filters(
            node,
            &n_info,
            state,
            &self.app_pods,
            self.framework.typed(),
            removed,
        ) {
            return DryRun::Fails(reason);
        }
        // Most important first: higher priority, then earlier start.
        self.potential.sort_unstable_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(a.start.total_cmp(&b.start))
                .then(a.index.cmp(&b.index))
        });
        self.victims.clear();
        let mut summary = CandidateNode {
            node,
            victims: 0,
            highest: i32::MIN,
            sum: 0,
            earliest_start: f64::INFINITY,
        };
        for i in 0..self.potential.len() {
            let v = self.potential[i];
            remove(&mut removed, &v, -1);
            if run_filters(
                node,
                &n_info,
                state,
                &self.app_pods,
                self.framework.typed(),
                removed,
            )
            .is_ok()
            {
                continue;
            }
            remove(&mut removed, &v, 1);
            if self.victims.len() < self.victims.capacity() {
                self.victims.push(v.index);
            }
            if summary.victims == 0 {
                summary.highest = v.priority;
            }
            if v.priority == summary.highest {
                summary.earliest_start = summary.earliest_start.min(v.start);
            }
            summary.victims += 1;
            summary.sum += i64::from(v.priority) + i64::from(i32::MAX) + 1;
        }
        if summary.victims == 0 {
            return DryRun::NoneNeeded;
        }
        DryRun::Candidate(summary)
    }
}
