//! Preemption under fair sharing (`pkg/scheduler/preemption/fair_strategy.go`,
//! `fairsharing/ordering.go`): the same candidates as classical preemption, taken queue by
//! queue from the ClusterQueue with the highest DominantResourceShare (ties: the later
//! queue). A candidate in the preemptor's own queue is always taken (InClusterQueue); one in
//! another queue only when a strategy holds, with the preemptor's usage counted in its share:
//! first `LessThanOrEqualToFinalShare` (the preemptor's new share is at most the target
//! queue's share after the removal), then, for the candidates it refused,
//! `LessThanInitialShare` (the preemptor's new share is below the target queue's share
//! before it). After one removal the queue with the highest share is chosen again. Victims
//! are then given back as in classical preemption when the workload fits without them.

use super::fair_sharing::Drs;
use super::preemption::{Candidate, Variant};
use super::resources::FlavorQuantities;
use super::Kueue;
use std::cmp::Ordering;

/// A candidate already taken or refused.
const DONE: u8 = u8::MAX;

/// Which fair-sharing strategy is being applied.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    LessThanOrEqualToFinalShare,
    LessThanInitialShare,
}

impl Kueue {
    /// Finds victims for pending workload `id` under fair sharing; leaves them in
    /// `self.targets` (empty when none suffice). `self.candidates` must hold the candidates.
    pub(crate) fn fair_preemption_targets(&mut self, id: u32, requests: &FlavorQuantities) -> bool {
        let cq = self.wl(id).cluster_queue;
        self.targets.clear();
        self.retry.clear();
        // The preemptor's usage counts in its share while the targets are picked.
        self.add_usage(cq, requests, 1);
        self.count_candidates();
        let mut found = self.run_strategy(cq, requests, Strategy::LessThanOrEqualToFinalShare);
        if !found {
            for i in 0..self.candidates.len() {
                self.candidates[i].group = DONE;
            }
            for k in 0..self.retry.len() {
                let i = self.retry[k];
                self.candidates[i as usize].group = 0;
            }
            self.count_candidates();
            found = self.run_strategy(cq, requests, Strategy::LessThanInitialShare);
        }
        self.add_usage(cq, requests, -1);
        if found {
            self.fill_back(cq, requests, true);
        }
        self.remove_targets(false);
        if !found {
            self.targets.clear();
        }
        found
    }

    /// Takes victims queue by queue under one strategy until the workload fits.
    fn run_strategy(&mut self, cq: usize, requests: &FlavorQuantities, strategy: Strategy) -> bool {
        for q in self.pruned.iter_mut() {
            *q = false;
        }
        while let Some(target) = self.next_target_queue(cq) {
            if target == cq {
                let Some((c, _)) = self.pop_candidate(target) else {
                    continue;
                };
                if self.take(c, Variant::WithinClusterQueue, cq, requests) {
                    return true;
                }
                continue;
            }
            let zero = [[0; super::NUM_RESOURCES]; super::MAX_FLAVORS];
            let preemptor_new = self.dominant_resource_share(cq, &zero);
            let target_old = self.dominant_resource_share(target, &zero);
            if strategy == Strategy::LessThanInitialShare {
                // The criterion does not depend on the workload: the first candidate or none.
                let c = self.pop_candidate(target).map(|(c, _)| c);
                self.pruned[target] = true;
                if let Some(c) = c {
                    if preemptor_new.compare(target_old) == Ordering::Less
                        && self.take(c, Variant::FairSharing, cq, requests)
                    {
                        return true;
                    }
                }
                continue;
            }
            while let Some((c, index)) = self.pop_candidate(target) {
                if self.final_share_allows(c, target, preemptor_new) {
                    if self.take(c, Variant::FairSharing, cq, requests) {
                        return true;
                    }
                    // Shares changed: choose the queue again.
                    break;
                }
                if self.retry.len() < self.retry.capacity() {
                    self.retry.push(index);
                }
            }
        }
        false
    }

    /// `LessThanOrEqualToFinalShare`: the preemptor's new share is at most the target
    /// queue's share once `c` is removed.
    fn final_share_allows(&mut self, c: Candidate, target: usize, preemptor_new: Drs) -> bool {
        let zero = [[0; super::NUM_RESOURCES]; super::MAX_FLAVORS];
        self.simulate(c.id, -1);
        let target_new = self.dominant_resource_share(target, &zero);
        self.simulate(c.id, 1);
        preemptor_new.compare(target_new) != Ordering::Greater
    }

    /// Removes `c` (simulated) as a target; returns whether the workload then fits.
    fn take(
        &mut self,
        mut c: Candidate,
        variant: Variant,
        cq: usize,
        requests: &FlavorQuantities,
    ) -> bool {
        c.variant = variant;
        self.simulate(c.id, -1);
        self.targets.push(c);
        self.add_usage(cq, requests, -1);
        let fits = self.workload_fits(cq, requests, true);
        self.add_usage(cq, requests, 1);
        fits
    }

    /// The queue to take the next victim from: among queues with candidates left, the one
    /// with the highest DominantResourceShare; a queue whose share is 0 is dropped, except the
    /// preemptor's own.
    fn next_target_queue(&mut self, cq: usize) -> Option<usize> {
        let zero = [[0; super::NUM_RESOURCES]; super::MAX_FLAVORS];
        let mut best: Option<(usize, Drs)> = None;
        for q in 0..self.cluster_queues.len() {
            if self.pruned[q] || self.cluster_queues[q].is_none() {
                continue;
            }
            if self.candidates_left[q] == 0 {
                self.pruned[q] = true;
                continue;
            }
            let drs = self.dominant_resource_share(q, &zero);
            if drs.weighted() == 0.0 && q != cq {
                self.pruned[q] = true;
                continue;
            }
            if best.is_none_or(|(_, b)| drs.compare(b) != Ordering::Less) {
                best = Some((q, drs));
            }
        }
        best.map(|(q, _)| q)
    }

    /// Counts each queue's candidates not yet taken or refused.
    fn count_candidates(&mut self) {
        self.candidates_left.fill(0);
        for c in &self.candidates {
            if c.group != DONE {
                self.candidates_left[c.queue as usize] += 1;
            }
        }
    }

    /// The first candidate of queue `q` not yet taken or refused (in candidate order), with
    /// its index in `self.candidates`.
    fn pop_candidate(&mut self, q: usize) -> Option<(Candidate, u32)> {
        if self.candidates_left[q] == 0 {
            return None;
        }
        let i = self
            .candidates
            .iter()
            .position(|c| c.group != DONE && c.queue as usize == q)?;
        let c = self.candidates[i];
        self.candidates[i].group = DONE;
        self.candidates_left[q] -= 1;
        Some((c, i as u32))
    }
}
