//! Preemption under fair sharing, after Kueue's documentation (concepts/preemption, "Fair
//! Sharing"): victims come from the queue with the highest DominantResourceShare, taken only
//! when LessThanOrEqualToFinalShare or LessThanInitialShare holds, with the reason
//! InCohortFairSharing.

mod kueue_support;

use kuberack_core::kueue::{ClusterQueueSpec, PreemptionPolicy};
use kueue_support::*;

fn member(cpus_nominal: i64) -> ClusterQueueSpec {
    let mut q = cpu_queue(cpus(cpus_nominal, None, None), Some(0));
    q.preemption = preemption(PreemptionPolicy::LowerPriority, PreemptionPolicy::Any);
    q.fair_sharing_weight = 1.0;
    q
}

/// Fills queue `cq` with `n` one-CPU workloads, admitted.
fn fill(k: &mut kuberack_core::kueue::Kueue, cq: usize, n: usize, t: f64) -> Vec<u32> {
    let ids: Vec<u32> = (0..n).map(|_| submit(k, t, job(cq, 1, None))).collect();
    k.step(t);
    ids
}

#[test]
fn a_queue_within_its_nominal_quota_takes_back_what_a_borrower_holds() {
    let mut k = kueue(&[member(4), member(4)], true);
    let a = fill(&mut k, 0, 8, 0.0);
    assert_eq!(used(&k, 0), 8, "queue 0 borrows all of queue 1's quota");
    let b = submit(&mut k, 1.0, job(1, 3, None));
    k.step(1.0);
    let victims = preempted(&k);
    assert_eq!(victims.len(), 3, "{victims:?}");
    assert!(victims
        .iter()
        .all(|&(id, reason)| a.contains(&id) && reason == "InCohortFairSharing"));
    k.step(2.0);
    assert!(k.workload(b).unwrap().is_admitted());
    assert_eq!((used(&k, 0), used(&k, 1)), (5, 3));
}

#[test]
fn the_victim_comes_from_the_queue_with_the_highest_share() {
    let mut k = kueue(&[member(4), member(4), member(4)], true);
    let a = fill(&mut k, 0, 7, 0.0); // borrows 3
    let b = fill(&mut k, 1, 5, 0.5); // borrows 1
    assert_eq!((used(&k, 0), used(&k, 1)), (7, 5));
    submit(&mut k, 1.0, job(2, 1, None));
    k.step(1.0);
    let victims = preempted(&k);
    assert_eq!(victims.len(), 1, "{victims:?}");
    assert!(a.contains(&victims[0].0), "not from {b:?}");
    assert_eq!(victims[0].1, "InCohortFairSharing");
}

#[test]
fn a_borrowing_preemptor_may_not_take_more_than_its_fair_share() {
    let mut k = kueue(&[member(4), member(4)], true);
    // Queue 0 borrows 4. Queue 1 asks for 6 CPUs: it would borrow 2. Evicting two of queue
    // 0's workloads keeps queue 0's share (borrowing 2) at least the preemptor's; a third
    // would leave queue 0 below it, so neither strategy allows it and 6 CPUs cannot be freed.
    fill(&mut k, 0, 8, 0.0);
    let big = submit(&mut k, 1.0, job(1, 6, None));
    k.step(1.0);
    assert!(preempted(&k).is_empty(), "{:?}", preempted(&k));
    assert!(!k.workload(big).unwrap().is_admitted());
    assert_eq!(used(&k, 0), 8, "every simulated removal was undone");
    // A request that a fair split allows (queue 1 borrowing no more than queue 0) succeeds:
    // 4 CPUs, within its nominal quota.
    k.delete_workload(big);
    let fair = submit(&mut k, 2.0, job(1, 4, None));
    k.step(2.0);
    assert_eq!(preempted(&k).len(), 4);
    k.step(3.0);
    assert!(k.workload(fair).unwrap().is_admitted());
    assert_eq!((used(&k, 0), used(&k, 1)), (4, 4));
}

#[test]
fn within_the_preemptors_own_queue_lower_priority_goes_first() {
    let mut q = cpu_queue(cpus(2, None, None), None);
    q.preemption = preemption(PreemptionPolicy::LowerPriority, PreemptionPolicy::Never);
    let mut k = kueue(&[q], true);
    let low = submit(&mut k, 0.0, job(0, 2, Some(0)));
    k.step(0.0);
    submit(&mut k, 1.0, job(0, 2, Some(2)));
    k.step(1.0);
    assert_eq!(preempted(&k), [(low, "InClusterQueue")]);
}
