//! Classical preemption (`pkg/scheduler/preemption`, `classical/`): candidates in the
//! preemptor's own ClusterQueue (withinClusterQueue) and in cohort members that borrow the
//! resources it needs (reclaimWithinCohort, borrowWithinCohort), ordered as upstream orders
//! them; victims are taken in that order until the workload fits, then every victim that is
//! not needed after all is given back, newest choice last. Under fair sharing the victims
//! are chosen by share instead (`fair_preemption`).

use super::cluster_queue::{BorrowWithinCohortPolicy, PreemptionPolicy};
use super::resources::{FlavorQuantities, FlavorResourceSet, ResourceName, NUM_RESOURCES};
use super::workload::Workload;
use super::{Kueue, MAX_FLAVORS, NIL};

/// Why a candidate may be preempted (`preemptionVariant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Variant {
    /// The preemptor fits in its nominal quota: reclaim regardless of borrowing.
    HierarchicalReclaim,
    /// Reclaim from a borrowing queue, only if the preemptor then does not borrow.
    ReclaimWithoutBorrowing,
    /// Reclaim while the preemptor borrows (borrowWithinCohort).
    ReclaimWhileBorrowing,
    /// In the preemptor's own ClusterQueue.
    WithinClusterQueue,
    /// In another queue of the cohort, by a fair-sharing strategy.
    FairSharing,
}

impl Variant {
    /// The Preempted condition's reason.
    pub fn reason(self) -> &'static str {
        match self {
            Variant::WithinClusterQueue => "InClusterQueue",
            Variant::HierarchicalReclaim | Variant::ReclaimWithoutBorrowing => {
                "InCohortReclamation"
            }
            Variant::ReclaimWhileBorrowing => "InCohortReclaimWhileBorrowing",
            Variant::FairSharing => "InCohortFairSharing",
        }
    }
}

/// A preemption candidate or target.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub id: u32,
    pub variant: Variant,
    /// 0 hierarchy candidates, 1 priority candidates (other queues), 2 same queue.
    pub group: u8,
    /// Its ClusterQueue.
    pub queue: u16,
}

/// `SatisfiesPreemptionPolicy`.
fn satisfies(preemptor: &Workload, candidate: &Workload, policy: PreemptionPolicy) -> bool {
    let lower = preemptor.priority > candidate.priority;
    match policy {
        PreemptionPolicy::Never => false,
        PreemptionPolicy::LowerPriority => lower,
        PreemptionPolicy::LowerOrNewerEqualPriority => {
            lower
                || (preemptor.priority == candidate.priority
                    && preemptor.queue_order_time < candidate.queue_order_time)
        }
        PreemptionPolicy::Any => true,
    }
}

/// Whether an admitted workload uses any of the pairs.
fn uses(wl: &Workload, frs: FlavorResourceSet) -> bool {
    let Some(adm) = &wl.admission else {
        return false;
    };
    wl.spec.pod_sets.iter().enumerate().any(|(p, ps)| {
        ps.is_some()
            && ResourceName::ALL.into_iter().any(|r| {
                adm.flavor(p, r)
                    .is_some_and(|f| frs.contains(f, r) && ps.is_some_and(|ps| ps.total(r) > 0))
            })
    })
}

impl Kueue {
    /// Finds victims for pending workload `id` needing `requests` where the pairs `frs` need
    /// preemption; leaves them in `self.targets` (empty when none suffice).
    pub(crate) fn preemption_targets(
        &mut self,
        id: u32,
        frs: FlavorResourceSet,
        requests: &FlavorQuantities,
    ) -> bool {
        self.targets.clear();
        self.collect_candidates(id, frs, requests);
        if self.config.fair_sharing {
            return self.fair_preemption_targets(id, requests);
        }
        let cq = self.wl(id).cluster_queue;
        let spec = self.cq(cq).spec;
        let bwc_forbidden = spec.preemption.borrow_within_cohort == BorrowWithinCohortPolicy::Never;
        let none_from_others = self.candidates.iter().all(|c| c.group == 2);
        let none_hierarchical = self.candidates.iter().all(|c| c.group != 0);
        let under_nominal = frs.iter().all(|(f, r)| {
            let q = &self.cq(cq).quota;
            q.nominal[f][r.index()] > q.usage[f][r.index()]
        });
        let attempts: &[bool] = if none_from_others || (bwc_forbidden && !under_nominal) {
            &[true]
        } else if bwc_forbidden && none_hierarchical {
            &[false, true]
        } else {
            &[true, false]
        };
        for &allow_borrowing in attempts {
            self.targets.clear();
            for i in 0..self.candidates.len() {
                let c = self.candidates[i];
                if !self.candidate_is_valid(cq, c, frs, allow_borrowing) {
                    continue;
                }
                self.simulate(c.id, -1);
                self.targets.push(c);
                if self.workload_fits(cq, requests, allow_borrowing) {
                    self.fill_back(cq, requests, allow_borrowing);
                    self.remove_targets(false);
                    return true;
                }
            }
            self.remove_targets(false);
        }
        self.targets.clear();
        false
    }

    /// The preemption oracle: whether victims exist, and whether any is in the preemptor's
    /// own queue (then the mode is Preempt rather than Reclaim).
    pub(crate) fn simulate_preemption(
        &mut self,
        id: u32,
        frs: FlavorResourceSet,
        requests: &FlavorQuantities,
    ) -> (bool, bool) {
        if !self.preemption_targets(id, frs, requests) {
            return (false, false);
        }
        let cq = self.wl(id).cluster_queue;
        let same = self
            .targets
            .iter()
            .any(|t| self.wl(t.id).cluster_queue == cq);
        (true, same)
    }

    /// Removes (`remove`) or restores the usage of every target in `self.targets`.
    pub(crate) fn remove_targets(&mut self, remove: bool) {
        for i in 0..self.targets.len() {
            let id = self.targets[i].id;
            self.simulate(id, if remove { -1 } else { 1 });
        }
    }

    /// Adds `sign` x the workload's usage to its queue (a simulated removal or return).
    pub(crate) fn simulate(&mut self, id: u32, sign: i64) {
        let mut usage = [[0; NUM_RESOURCES]; MAX_FLAVORS];
        self.wl(id).usage(&mut usage);
        let cq = self.wl(id).cluster_queue;
        self.add_usage(cq, &usage, sign);
    }

    fn collect_candidates(&mut self, id: u32, frs: FlavorResourceSet, requests: &FlavorQuantities) {
        self.candidates.clear();
        let preemptor = *self.wl(id);
        let cq = preemptor.cluster_queue;
        let spec = self.cq(cq).spec;
        if spec.preemption.within_cluster_queue != PreemptionPolicy::Never {
            let mut next = self.cq(cq).admitted_head;
            while next != NIL {
                let cand = *self.wl(next);
                if uses(&cand, frs)
                    && satisfies(&preemptor, &cand, spec.preemption.within_cluster_queue)
                {
                    self.candidates.push(Candidate {
                        id: next,
                        variant: Variant::WithinClusterQueue,
                        group: 2,
                        queue: cq as u16,
                    });
                }
                next = cand.list_next;
            }
        }
        let policy = spec.preemption.reclaim_within_cohort;
        if let (Some(cohort), true) = (spec.cohort, policy != PreemptionPolicy::Never) {
            let q = &self.cq(cq).quota;
            let advantage = (0..MAX_FLAVORS).all(|f| {
                (0..NUM_RESOURCES).all(|r| {
                    requests[f][r] <= 0 || q.usage[f][r] + requests[f][r] <= q.nominal[f][r]
                })
            });
            let bwc_forbidden =
                spec.preemption.borrow_within_cohort == BorrowWithinCohortPolicy::Never;
            let threshold = spec.preemption.max_priority_threshold;
            for other in 0..self.cluster_queues.len() {
                let Some(o) = &self.cluster_queues[other] else {
                    continue;
                };
                if other == cq || o.spec.cohort != Some(cohort) || o.quota.within_nominal(frs) {
                    continue;
                }
                let mut next = o.admitted_head;
                while next != NIL {
                    let cand = *self.wl(next);
                    if uses(&cand, frs) && satisfies(&preemptor, &cand, policy) {
                        let above_threshold = cand.priority >= preemptor.priority
                            || threshold.is_some_and(|t| cand.priority > t);
                        let variant = if advantage {
                            Variant::HierarchicalReclaim
                        } else if bwc_forbidden || above_threshold {
                            Variant::ReclaimWithoutBorrowing
                        } else {
                            Variant::ReclaimWhileBorrowing
                        };
                        self.candidates.push(Candidate {
                            id: next,
                            variant,
                            group: if advantage { 0 } else { 1 },
                            queue: other as u16,
                        });
                    }
                    next = cand.list_next;
                }
            }
        }
        // CandidatesOrdering: other queues first, lower priority first, the most recent quota
        // reservation first, then the uid.
        let slots = &self.workloads;
        let now = self.time;
        self.candidates.sort_unstable_by(|a, b| {
            let (wa, wb) = (
                slots[a.id as usize].as_ref().expect("live"),
                slots[b.id as usize].as_ref().expect("live"),
            );
            a.group
                .cmp(&b.group)
                .then(wa.priority.cmp(&wb.priority))
                .then(
                    wb.quota_reserved_at()
                        .unwrap_or(now)
                        .total_cmp(&wa.quota_reserved_at().unwrap_or(now)),
                )
                .then(wa.uid.cmp(&wb.uid))
        });
    }

    /// `candidateIsValid`: a candidate of another queue stays valid only while that queue
    /// still borrows what is needed.
    fn candidate_is_valid(
        &self,
        cq: usize,
        c: Candidate,
        frs: FlavorResourceSet,
        allow_borrowing: bool,
    ) -> bool {
        let other = self.wl(c.id).cluster_queue;
        if other == cq {
            return true;
        }
        if allow_borrowing && c.variant == Variant::ReclaimWithoutBorrowing {
            return false;
        }
        !self.cq(other).quota.within_nominal(frs)
    }

    /// `workloadFits`: the requests fit what the queue has available (without borrowing
    /// unless allowed).
    pub(crate) fn workload_fits(
        &self,
        cq: usize,
        requests: &FlavorQuantities,
        allow_borrowing: bool,
    ) -> bool {
        for (f, row) in requests.iter().enumerate() {
            for r in ResourceName::ALL {
                let v = row[r.index()];
                if v <= 0 {
                    continue;
                }
                if !allow_borrowing && self.borrowing_with(cq, f, r, v) {
                    return false;
                }
                if v > self.available(cq, f, r) {
                    return false;
                }
            }
        }
        true
    }

    /// `fillBackWorkloads`: gives back, from the second-newest target down, every target the
    /// workload fits without.
    pub(crate) fn fill_back(
        &mut self,
        cq: usize,
        requests: &FlavorQuantities,
        allow_borrowing: bool,
    ) {
        let n = self.targets.len();
        for i in (0..n.saturating_sub(1)).rev() {
            let id = self.targets[i].id;
            self.simulate(id, 1);
            if self.workload_fits(cq, requests, allow_borrowing) {
                let last = self.targets.len() - 1;
                self.targets[i] = self.targets[last];
                self.targets.truncate(last);
            } else {
                self.simulate(id, -1);
            }
        }
    }
}
