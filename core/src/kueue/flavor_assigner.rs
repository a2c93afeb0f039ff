//! Flavor assignment (`pkg/scheduler/flavorassigner`): for each pod set and resource group,
//! the flavors are tried in order; each gets a mode (fit, preempt, reclaim, no candidates, no
//! fit) and a borrowing level; flavorFungibility decides whether to stop at a flavor that
//! needs borrowing or preemption or to try the next, and the best flavor tried wins
//! (BorrowingOverPreemption: better mode first, then less borrowing).

use super::cluster_queue::{BorrowWithinCohortPolicy, FlavorFungibility, FlavorFungibilityPolicy};
use super::resources::{
    FlavorQuantities, FlavorResourceSet, ResourceName, NUM_RESOURCES, ZERO_FLAVOR_QUANTITIES,
};
use super::workload::{MAX_POD_SETS, NO_FLAVOR};
use super::Kueue;

/// How a workload can be admitted (ordered from worst to best).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FlavorAssignmentMode {
    /// Not enough quota, or no flavor matches.
    NoFit,
    /// Admissible after preempting workloads.
    Preempt,
    /// Fits in the unused quota (possibly borrowing).
    Fit,
}

/// The assigner's finer mode (ordered from worst to best).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PreemptionMode {
    NoFit,
    NoCandidates,
    Preempt,
    Reclaim,
    Fit,
}

impl PreemptionMode {
    fn public(self) -> FlavorAssignmentMode {
        match self {
            PreemptionMode::NoFit => FlavorAssignmentMode::NoFit,
            PreemptionMode::Fit => FlavorAssignmentMode::Fit,
            _ => FlavorAssignmentMode::Preempt,
        }
    }
}

/// A mode with the borrowing level it needs (0: within nominal quota, 1: from the cohort).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Granular {
    mode: PreemptionMode,
    borrow: u8,
}

const BEST: Granular = Granular {
    mode: PreemptionMode::Fit,
    borrow: 0,
};

/// Whether `a` is preferred over `b` (`isPreferred`, BorrowingOverPreemption).
fn is_preferred(a: Granular, b: Granular) -> bool {
    if a.mode == PreemptionMode::NoFit {
        return false;
    }
    if b.mode == PreemptionMode::NoFit {
        return true;
    }
    let (a_none, b_none) = (
        a.mode == PreemptionMode::NoCandidates,
        b.mode == PreemptionMode::NoCandidates,
    );
    if a_none != b_none {
        return !a_none;
    }
    if a.mode != b.mode {
        return a.mode > b.mode;
    }
    a.borrow < b.borrow
}

/// `shouldTryNextFlavor`.
fn should_try_next_flavor(mode: Granular, fungibility: FlavorFungibility) -> bool {
    if matches!(
        mode.mode,
        PreemptionMode::NoFit | PreemptionMode::NoCandidates
    ) {
        return true;
    }
    let preempts = matches!(mode.mode, PreemptionMode::Preempt | PreemptionMode::Reclaim);
    if preempts && fungibility.when_can_preempt == FlavorFungibilityPolicy::TryNextFlavor {
        return true;
    }
    mode.borrow > 0 && fungibility.when_can_borrow == FlavorFungibilityPolicy::TryNextFlavor
}

/// Condition reasons for a workload that does not fit, by severity.
const REASON_NONE: u8 = 0;
const REASON_WAITING_FOR_QUOTA: u8 = 2;
const REASON_EXCEEDS_MAX_QUOTA: u8 = 3;
const REASON_NO_MATCHING_FLAVOR: u8 = 4;

fn reason_str(severity: u8) -> &'static str {
    match severity {
        REASON_WAITING_FOR_QUOTA => "WaitingForQuota",
        REASON_EXCEEDS_MAX_QUOTA => "ExceedsMaxQuota",
        REASON_NO_MATCHING_FLAVOR => "NoMatchingFlavor",
        _ => "Pending",
    }
}

/// A workload's flavor assignment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Assignment {
    /// Flavor per resource of each pod set.
    pub flavors: [[u8; NUM_RESOURCES]; MAX_POD_SETS],
    /// The representative (worst) mode.
    pub mode: FlavorAssignmentMode,
    /// The highest borrowing level of any flavor assigned.
    pub borrows: u8,
    /// The workload's requests on the assigned flavors.
    pub usage: FlavorQuantities,
    /// The (flavor, resource) pairs that need preemption.
    pub need_preemption: FlavorResourceSet,
    /// Why it does not fit (QuotaReserved reason).
    pub reason: &'static str,
}

impl Assignment {
    /// No assignment yet.
    pub const EMPTY: Assignment = Assignment {
        flavors: [[NO_FLAVOR; NUM_RESOURCES]; MAX_POD_SETS],
        mode: FlavorAssignmentMode::NoFit,
        borrows: 0,
        usage: ZERO_FLAVOR_QUANTITIES,
        need_preemption: FlavorResourceSet(0),
        reason: "Pending",
    };
}

impl Kueue {
    /// Assigns flavors to every pod set of pending workload `id` in its ClusterQueue.
    pub(crate) fn assign_flavors(&mut self, id: u32) -> Assignment {
        let wl = *self.wl(id);
        let cq = wl.cluster_queue;
        let spec = self.cq(cq).spec;
        let covers_pods = spec.group_for(ResourceName::Pods).is_some();
        let mut a = Assignment {
            flavors: [[NO_FLAVOR; NUM_RESOURCES]; MAX_POD_SETS],
            mode: FlavorAssignmentMode::Fit,
            borrows: 0,
            usage: ZERO_FLAVOR_QUANTITIES,
            need_preemption: FlavorResourceSet::default(),
            reason: "Pending",
        };
        let mut severity = REASON_NONE;
        for (p, ps) in wl.spec.pod_sets.iter().enumerate() {
            let Some(ps) = ps else { continue };
            for r in ResourceName::ALL {
                if a.flavors[p][r.index()] != NO_FLAVOR || ps.total(r) <= 0 {
                    continue;
                }
                if r == ResourceName::Pods && !covers_pods {
                    continue;
                }
                let Some(group) = spec.group_for(r) else {
                    a.mode = FlavorAssignmentMode::NoFit;
                    continue;
                };
                let mut best: Option<(usize, Granular, [PreemptionMode; NUM_RESOURCES])> = None;
                let mut group_severity = u8::MAX;
                for fq in group.flavors.iter().flatten() {
                    let f = fq.flavor;
                    let matches = self
                        .resource_flavor(f)
                        .is_some_and(|rf| rf.matches(&ps.node_selector, &ps.tolerations));
                    if !matches {
                        group_severity = group_severity.min(REASON_NO_MATCHING_FLAVOR);
                        continue;
                    }
                    let mut rep = BEST;
                    let mut modes = [PreemptionMode::Fit; NUM_RESOURCES];
                    for gr in group.covered_resources.iter() {
                        let val = ps.total(gr);
                        if val <= 0 || (gr == ResourceName::Pods && !covers_pods) {
                            continue;
                        }
                        let assumed = a.usage[f][gr.index()];
                        let (mode, borrow, why) =
                            self.fits_resource_quota(id, f, gr, assumed + val);
                        modes[gr.index()] = mode;
                        let g = Granular { mode, borrow };
                        if is_preferred(rep, g) {
                            rep = g;
                        }
                        if mode == PreemptionMode::NoFit {
                            group_severity = group_severity.min(why);
                        }
                        if rep.mode == PreemptionMode::NoFit {
                            break;
                        }
                    }
                    if rep.mode == PreemptionMode::NoFit {
                        continue;
                    }
                    if !should_try_next_flavor(rep, spec.flavor_fungibility) {
                        best = Some((f, rep, modes));
                        break;
                    }
                    if best.is_none_or_worse(rep) {
                        best = Some((f, rep, modes));
                    }
                }
                let Some((f, g, modes)) = best else {
                    a.mode = FlavorAssignmentMode::NoFit;
                    if group_severity != u8::MAX {
                        severity = severity.max(group_severity);
                    }
                    continue;
                };
                if g.mode == PreemptionMode::NoCandidates {
                    severity = severity.max(REASON_WAITING_FOR_QUOTA);
                }
                a.mode = a.mode.min(g.mode.public());
                a.borrows = a.borrows.max(g.borrow);
                for gr in group.covered_resources.iter() {
                    let val = ps.total(gr);
                    if val <= 0 || (gr == ResourceName::Pods && !covers_pods) {
                        continue;
                    }
                    a.flavors[p][gr.index()] = f as u8;
                    a.usage[f][gr.index()] += val;
                    if modes[gr.index()] != PreemptionMode::Fit {
                        a.need_preemption.insert(f, gr);
                    }
                }
            }
        }
        a.reason = reason_str(severity);
        a
    }

    /// How (f, r) can hold `val` more for workload `id` (`fitsResourceQuota`): the mode, the
    /// borrowing level, and the no-fit reason's severity.
    fn fits_resource_quota(
        &mut self,
        id: u32,
        f: usize,
        r: ResourceName,
        val: i64,
    ) -> (PreemptionMode, u8, u8) {
        let cq = self.wl(id).cluster_queue;
        if val > self.potential_available(cq, f, r) {
            return (PreemptionMode::NoFit, 0, REASON_EXCEEDS_MAX_QUOTA);
        }
        let (borrow, may_reclaim) = self.borrow_level(cq, f, r, val);
        if val <= self.available(cq, f, r) {
            return (PreemptionMode::Fit, borrow, REASON_NONE);
        }
        let spec = self.cq(cq).spec;
        let can_preempt_while_borrowing = spec.preemption.borrow_within_cohort
            != BorrowWithinCohortPolicy::Never
            || (self.config.fair_sharing
                && spec.preemption.reclaim_within_cohort
                    != super::cluster_queue::PreemptionPolicy::Never);
        let nominal = self.cq(cq).quota.nominal[f][r.index()];
        if nominal >= val || may_reclaim || can_preempt_while_borrowing {
            let mut frs = FlavorResourceSet::default();
            frs.insert(f, r);
            let mut requests = ZERO_FLAVOR_QUANTITIES;
            requests[f][r.index()] = val;
            let (found, same_queue) = self.simulate_preemption(id, frs, &requests);
            if !found {
                return (
                    PreemptionMode::NoCandidates,
                    borrow,
                    REASON_WAITING_FOR_QUOTA,
                );
            }
            let borrow_after = self.borrow_level_after_targets(cq, f, r, val);
            let mode = if same_queue {
                PreemptionMode::Preempt
            } else {
                PreemptionMode::Reclaim
            };
            return (mode, borrow_after, REASON_NONE);
        }
        (PreemptionMode::NoFit, borrow, REASON_WAITING_FOR_QUOTA)
    }

    /// `FindHeightOfLowestSubtreeThatFits` for a one-level cohort: 0 when `val` more fits in
    /// the queue's nominal quota (or it has no cohort), else 1; and whether quota could be
    /// reclaimed from the cohort.
    pub(crate) fn borrow_level(
        &self,
        cq: usize,
        f: usize,
        r: ResourceName,
        val: i64,
    ) -> (u8, bool) {
        let has_cohort = self.cq(cq).spec.cohort.is_some();
        if !self.borrowing_with(cq, f, r, val) || !has_cohort {
            (0, has_cohort)
        } else {
            (1, false)
        }
    }

    /// The borrowing level once the targets in `self.targets` are gone.
    fn borrow_level_after_targets(&mut self, cq: usize, f: usize, r: ResourceName, val: i64) -> u8 {
        self.remove_targets(true);
        let (borrow, _) = self.borrow_level(cq, f, r, val);
        self.remove_targets(false);
        borrow
    }
}

trait BestFlavor {
    fn is_none_or_worse(&self, than: Granular) -> bool;
}

impl BestFlavor for Option<(usize, Granular, [PreemptionMode; NUM_RESOURCES])> {
    fn is_none_or_worse(&self, than: Granular) -> bool {
        self.as_ref().is_none_or(|b| is_preferred(than, b.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_is_mode_then_borrowing() {
        let g = |mode, borrow| Granular { mode, borrow };
        assert!(is_preferred(
            g(PreemptionMode::Fit, 1),
            g(PreemptionMode::Reclaim, 0)
        ));
        assert!(is_preferred(
            g(PreemptionMode::Fit, 0),
            g(PreemptionMode::Fit, 1)
        ));
        assert!(is_preferred(
            g(PreemptionMode::Preempt, 1),
            g(PreemptionMode::NoCandidates, 0)
        ));
        assert!(!is_preferred(
            g(PreemptionMode::NoFit, 0),
            g(PreemptionMode::NoCandidates, 0)
        ));
    }

    #[test]
    fn fungibility_decides_whether_to_stop() {
        let fungible = FlavorFungibility::default();
        let borrow = Granular {
            mode: PreemptionMode::Fit,
            borrow: 1,
        };
        assert!(!should_try_next_flavor(borrow, fungible));
        let try_next = FlavorFungibility {
            when_can_borrow: FlavorFungibilityPolicy::TryNextFlavor,
            ..fungible
        };
        assert!(should_try_next_flavor(borrow, try_next));
        let preempt = Granular {
            mode: PreemptionMode::Preempt,
            borrow: 0,
        };
        assert!(should_try_next_flavor(preempt, fungible));
    }
}
