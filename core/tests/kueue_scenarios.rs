//! Kueue scenarios mirrored from Kueue's documentation (concepts: ClusterQueue, Cohort,
//! Preemption, Fair Sharing): borrowing in a cohort, borrowing and lending limits, reclaim
//! within a cohort, priority preemption, StrictFIFO and BestEffortFIFO, flavor fungibility,
//! requeue backoff and fair sharing by weight.

mod kueue_support;

use kuberack_core::kueue::{
    ClusterQueueSpec, FlavorFungibility, FlavorFungibilityPolicy, KueueEventReason, PodSet,
    PreemptionPolicy, ResourceFlavor, ResourceGroup, ResourceName, ResourceQuota, Taint,
    TaintEffect, Toleration, WorkloadSpec,
};
use kueue_support::*;

/// docs "Borrowing example": team-a-cq (9 CPUs) and team-b-cq (12 CPUs) in cohort team-ab.
#[test]
fn borrowing_in_a_cohort_up_to_the_sum_of_nominal_quotas() {
    let mut k = kueue(
        &[
            cpu_queue(cpus(9, None, None), Some(0)),
            cpu_queue(cpus(12, None, None), Some(0)),
        ],
        false,
    );
    // team-b has nothing admitted: team-a can admit up to 12 + 9 = 21 CPUs.
    let ids: Vec<u32> = (0..22)
        .map(|i| submit(&mut k, i as f64, job(0, 1, None)))
        .collect();
    k.step(30.0);
    assert_eq!(used(&k, 0), 21);
    assert!(k.is_borrowing(0));
    assert!(!k.workload(ids[21]).unwrap().is_admitted());
    assert_eq!(
        k.workload(ids[21])
            .unwrap()
            .conditions
            .quota_reserved
            .unwrap()
            .reason,
        "WaitingForQuota"
    );
    // When a workload finishes, the next one is admitted.
    k.finish_workload(ids[0], true);
    k.step(31.0);
    assert!(k.workload(ids[21]).unwrap().is_admitted());
}

/// docs: "If team-b-cq has pending Workloads and team-a-cq has all its nominalQuota used,
/// Kueue will admit Workloads in team-b-cq before admitting any new Workloads in team-a-cq."
#[test]
fn workloads_within_nominal_quota_go_before_borrowing_ones() {
    let mut k = kueue(
        &[
            cpu_queue(cpus(9, None, None), Some(0)),
            cpu_queue(cpus(12, None, None), Some(0)),
        ],
        false,
    );
    submit(&mut k, 0.0, job(0, 9, None));
    k.step(0.0);
    assert_eq!(used(&k, 0), 9);
    // team-a's (older) 12-CPU workload would borrow; team-b's fits its nominal quota.
    let a = submit(&mut k, 1.0, job(0, 12, None));
    let b = submit(&mut k, 2.0, job(1, 12, None));
    k.step(3.0);
    assert!(k.workload(b).unwrap().is_admitted());
    assert!(!k.workload(a).unwrap().is_admitted());
    assert_eq!((used(&k, 0), used(&k, 1)), (9, 12));
}

/// docs "BorrowingLimit": team-a-cq 9 CPUs with borrowingLimit 1 can use 10; team-b-cq
/// without a limit can use 12 + 9.
#[test]
fn borrowing_limit_caps_what_a_queue_takes_from_the_cohort() {
    let specs = [
        cpu_queue(cpus(9, Some(1), None), Some(0)),
        cpu_queue(cpus(12, None, None), Some(0)),
    ];
    let mut k = kueue(&specs, false);
    for i in 0..12 {
        submit(&mut k, i as f64, job(0, 1, None));
    }
    k.step(20.0);
    assert_eq!(used(&k, 0), 10);
    let mut k = kueue(&specs, false);
    for i in 0..25 {
        submit(&mut k, i as f64, job(1, 1, None));
    }
    k.step(30.0);
    assert_eq!(used(&k, 1), 21);
}

/// docs "LendingLimit": team-b-cq 12 CPUs with lendingLimit 1: team-a-cq can use 9 + 1.
#[test]
fn lending_limit_caps_what_a_queue_lends() {
    let mut k = kueue(
        &[
            cpu_queue(cpus(9, None, None), Some(0)),
            cpu_queue(cpus(12, None, Some(1)), Some(0)),
        ],
        false,
    );
    for i in 0..15 {
        submit(&mut k, i as f64, job(0, 1, None));
    }
    k.step(20.0);
    assert_eq!(used(&k, 0), 10);
    // team-b keeps 11 CPUs for itself, and can borrow team-a's unused quota on top: none left.
    for i in 0..13 {
        submit(&mut k, 20.0 + i as f64, job(1, 1, None));
    }
    k.step(40.0);
    assert_eq!(used(&k, 1), 11);
}

/// Reclaim within cohort: team-b's workload fits its nominal quota, team-a borrows it; with
/// reclaimWithinCohort Any the most recently admitted workloads of team-a are preempted
/// (InCohortReclamation), only as many as needed.
#[test]
fn reclaim_within_cohort_preempts_the_borrower_newest_first() {
    let mut b = cpu_queue(cpus(12, None, None), Some(0));
    b.preemption = preemption(PreemptionPolicy::Never, PreemptionPolicy::Any);
    let mut k = kueue(&[cpu_queue(cpus(9, None, None), Some(0)), b], false);
    let mut a_jobs = Vec::new();
    for i in 0..7 {
        a_jobs.push(submit(&mut k, i as f64, job(0, 3, None)));
        k.step(i as f64);
    }
    assert_eq!(used(&k, 0), 21);
    let reclaimer = submit(&mut k, 11.0, job(1, 5, None));
    k.step(12.0);
    // 5 CPUs are needed: the two most recently admitted 3-CPU workloads go.
    assert_eq!(
        preempted(&k),
        vec![
            (a_jobs[6], "InCohortReclamation"),
            (a_jobs[5], "InCohortReclamation")
        ]
    );
    assert!(k.workload(reclaimer).unwrap().is_admitted());
    let v = k.workload(a_jobs[6]).unwrap();
    assert_eq!(v.conditions.evicted.unwrap().reason, "Preempted");
    assert!(!v.has_quota_reservation());
    assert_eq!((used(&k, 0), used(&k, 1)), (15, 5));
    // Reclaim Never: the same request waits instead.
    let mut k = kueue(
        &[
            cpu_queue(cpus(9, None, None), Some(0)),
            cpu_queue(cpus(12, None, None), Some(0)),
        ],
        false,
    );
    for i in 0..7 {
        submit(&mut k, i as f64, job(0, 3, None));
    }
    k.step(10.0);
    let w = submit(&mut k, 11.0, job(1, 5, None));
    k.step(12.0);
    assert!(preempted(&k).is_empty());
    assert!(!k.workload(w).unwrap().is_admitted());
}

/// withinClusterQueue LowerPriority: a high-priority workload takes candidates lowest
/// priority first, most recently admitted first, until it fits, then gives back those it
/// does not need; a workload with no lower-priority victims that would suffice waits.
#[test]
fn priority_preemption_within_a_cluster_queue() {
    let mut q = cpu_queue(cpus(10, None, None), None);
    q.preemption = preemption(PreemptionPolicy::LowerPriority, PreemptionPolicy::Never);
    let mut k = kueue(&[q], false);
    let low1 = submit(&mut k, 0.0, job(0, 4, Some(0)));
    k.step(0.0);
    let mid = submit(&mut k, 1.0, job(0, 4, Some(1)));
    k.step(1.0);
    let low2 = submit(&mut k, 2.0, job(0, 2, Some(0)));
    k.step(2.0);
    assert_eq!(used(&k, 0), 10);
    let high = submit(&mut k, 4.0, job(0, 4, Some(2)));
    k.step(5.0);
    // low2 (newest) is taken first but 2 CPUs do not suffice; low1 makes 6; low2 is then
    // given back since low1's 4 are enough.
    assert_eq!(preempted(&k), vec![(low1, "InClusterQueue")]);
    assert!(k.workload(high).unwrap().is_admitted());
    assert!(k.workload(mid).unwrap().is_admitted());
    assert!(k.workload(low2).unwrap().is_admitted());
    let l = k.workload(low1).unwrap();
    assert_eq!(l.conditions.requeued.unwrap().reason, "Preempted");
    assert_eq!(l.conditions.preempted.unwrap().reason, "InClusterQueue");
    assert!(!l.is_admitted());
    // A mid-priority newcomer could only preempt low2 (2 CPUs): not enough, it waits.
    let mid2 = submit(&mut k, 6.0, job(0, 4, Some(1)));
    k.step(7.0);
    assert_eq!(preempted(&k).len(), 1);
    let m = k.workload(mid2).unwrap();
    assert!(!m.is_admitted());
    assert_eq!(
        m.conditions.quota_reserved.unwrap().reason,
        "WaitingForQuota"
    );
}

/// LowerOrNewerEqualPriority also preempts equal-priority workloads newer than the
/// preemptor; LowerPriority does not.
#[test]
fn lower_or_newer_equal_priority_preempts_newer_peers() {
    for (policy, preempts) in [
        (PreemptionPolicy::LowerOrNewerEqualPriority, true),
        (PreemptionPolicy::LowerPriority, false),
    ] {
        let mut q = cpu_queue(cpus(4, None, None), None);
        q.preemption = preemption(policy, PreemptionPolicy::Never);
        let mut k = kueue(&[q], false);
        let c = submit(&mut k, 0.0, job(0, 2, Some(1)));
        k.step(0.0);
        // A (4 CPUs) cannot preempt the older C: it waits.
        let a = submit(&mut k, 1.0, job(0, 4, Some(1)));
        k.step(1.0);
        assert!(!k.workload(a).unwrap().is_admitted());
        // B, newer than A, fits beside C.
        let b = submit(&mut k, 2.0, job(0, 2, Some(1)));
        k.step(2.0);
        assert!(k.workload(b).unwrap().is_admitted());
        // C finishes: A still needs B's 2 CPUs.
        k.finish_workload(c, true);
        k.step(3.0);
        assert_eq!(k.workload(a).unwrap().is_admitted(), preempts, "{policy:?}");
        let expected = if preempts {
            vec![(b, "InClusterQueue")]
        } else {
            vec![]
        };
        assert_eq!(preempted(&k), expected);
    }
}

/// StrictFIFO: a head that does not fit blocks smaller workloads behind it; BestEffortFIFO
/// lets them pass.
#[test]
fn strict_fifo_blocks_best_effort_fifo_does_not() {
    for (spec, small_admitted) in [
        (strict(cpu_queue(cpus(4, None, None), None)), false),
        (cpu_queue(cpus(4, None, None), None), true),
    ] {
        let mut k = kueue(&[spec], false);
        submit(&mut k, 0.0, job(0, 2, None));
        let big = submit(&mut k, 1.0, job(0, 4, None));
        let small = submit(&mut k, 2.0, job(0, 1, None));
        k.step(3.0);
        assert!(!k.workload(big).unwrap().is_admitted());
        assert_eq!(k.workload(small).unwrap().is_admitted(), small_admitted);
    }
}

/// Requeue backoff after a PodsReadyTimeout eviction: 60 s, then 120 s.
#[test]
fn pods_ready_timeout_requeues_after_exponential_backoff() {
    let mut k = kueue(&[cpu_queue(cpus(4, None, None), None)], false);
    let w = submit(&mut k, 0.0, job(0, 4, None));
    k.step(0.0);
    assert!(k.evict_pods_ready_timeout(w));
    let wl = k.workload(w).unwrap();
    assert_eq!(wl.conditions.evicted.unwrap().reason, "PodsReadyTimeout");
    assert_eq!(wl.requeue_state.requeue_at, Some(60.0));
    k.step(59.0);
    assert!(!k.workload(w).unwrap().is_admitted());
    k.step(60.0);
    assert!(k.workload(w).unwrap().is_admitted());
    assert_eq!(
        k.workload(w).unwrap().conditions.requeued.unwrap().reason,
        "BackoffFinished"
    );
    k.evict_pods_ready_timeout(w);
    assert_eq!(k.workload(w).unwrap().requeue_state.requeue_at, Some(180.0));
    assert_eq!(k.workload(w).unwrap().requeue_state.count, 2);
}

/// Flavor assignment in order: on-demand first, then spot; whenCanBorrow decides whether a
/// flavor that needs borrowing stops the search.
#[test]
fn flavor_fungibility_when_can_borrow() {
    let queue = |fungibility: FlavorFungibility| {
        let mut q = ClusterQueueSpec {
            cohort: Some(0),
            flavor_fungibility: fungibility,
            ..ClusterQueueSpec::default()
        }
        .with_group(
            ResourceGroup::covering(&[ResourceName::Cpu])
                .with_flavor(0, &[(ResourceName::Cpu, cpus(2, None, None))])
                .with_flavor(1, &[(ResourceName::Cpu, cpus(4, None, None))]),
        );
        q.fair_sharing_weight = 1.0;
        q
    };
    let lender = ClusterQueueSpec {
        cohort: Some(0),
        ..ClusterQueueSpec::default()
    }
    .with_group(
        ResourceGroup::covering(&[ResourceName::Cpu])
            .with_flavor(0, &[(ResourceName::Cpu, cpus(8, None, None))])
            .with_flavor(1, &[(ResourceName::Cpu, ResourceQuota::nominal(0))]),
    );
    for (policy, flavor) in [
        (FlavorFungibilityPolicy::MayStopSearch, 0),
        (FlavorFungibilityPolicy::TryNextFlavor, 1),
    ] {
        let mut k = kueue(
            &[
                queue(FlavorFungibility {
                    when_can_borrow: policy,
                    ..FlavorFungibility::default()
                }),
                lender,
            ],
            false,
        );
        k.set_resource_flavor(0, ResourceFlavor::named("on-demand"));
        k.set_resource_flavor(1, ResourceFlavor::named("spot"));
        let w = submit(&mut k, 0.0, job(0, 3, None));
        k.step(0.0);
        assert_eq!(
            k.pod_set_flavor(w, 0).map(|f| f.name),
            Some(["on-demand", "spot"][flavor])
        );
    }
}

/// Flavors stand for node labels and taints: a pod set selecting `energy=frost` and
/// tolerating its taint gets the frost flavor; without the toleration no flavor matches.
#[test]
fn flavors_match_node_selectors_and_tolerations() {
    const FROST: Taint = Taint {
        key: "energy",
        value: "frost",
        effect: TaintEffect::NoSchedule,
    };
    let mut group = ResourceGroup::covering(&[ResourceName::Frost]);
    for f in 0..2 {
        group = group.with_flavor(f, &[(ResourceName::Frost, ResourceQuota::nominal(10))]);
    }
    let spec = ClusterQueueSpec::default().with_group(group);
    let mut k = kueue(&[spec], false);
    k.set_resource_flavor(
        0,
        ResourceFlavor::named("fire").with_label("energy", "fire"),
    );
    k.set_resource_flavor(
        1,
        ResourceFlavor::named("frost")
            .with_label("energy", "frost")
            .with_taint(FROST),
    );
    let mut ps = PodSet::new(1, &[(ResourceName::Frost, 4)]);
    ps.node_selector[0] = Some(kuberack_core::kueue::Label {
        key: "energy",
        value: "frost",
    });
    let untolerating = submit(&mut k, 0.0, WorkloadSpec::single(0, ps));
    ps.tolerations[0] = Some(Toleration::of(FROST));
    let tolerating = submit(&mut k, 0.0, WorkloadSpec::single(0, ps));
    k.step(1.0);
    let f = k.pod_set_flavor(tolerating, 0).unwrap();
    assert_eq!((f.name, f.label("energy")), ("frost", Some("frost")));
    assert_eq!(f.node_taints[0], Some(FROST));
    let u = k.workload(untolerating).unwrap();
    assert!(!u.is_admitted());
    assert_eq!(
        u.conditions.quota_reserved.unwrap().reason,
        "NoMatchingFlavor"
    );
}

/// Fair sharing: two borrowers of a lender's 3 CPUs, weights 1 and 2. Each cycle the head
/// of the queue with the lower DominantResourceShare (borrowed / lendable x 1000 / weight)
/// goes first, so the last CPU goes to the heavier queue although the light queue's
/// workloads are older; without fair sharing the older workload wins it.
#[test]
fn fair_sharing_orders_admission_by_weighted_share() {
    let mut light = cpu_queue(cpus(0, None, None), Some(0));
    light.fair_sharing_weight = 1.0;
    let mut heavy = cpu_queue(cpus(0, None, None), Some(0));
    heavy.fair_sharing_weight = 2.0;
    let lender = cpu_queue(cpus(3, None, None), Some(0));
    for (fair, expected) in [(true, (1, 2)), (false, (2, 1))] {
        let mut k = kueue(&[light, heavy, lender], fair);
        for i in 0..5 {
            submit(&mut k, i as f64, job(0, 1, None));
        }
        for i in 0..5 {
            submit(&mut k, 100.0 + i as f64, job(1, 1, None));
        }
        k.step(200.0);
        assert_eq!((used(&k, 0), used(&k, 1)), expected, "fair sharing {fair}");
    }
    // weightedShare: light borrows 1 of 3 (333.3 -> 334), heavy 2 of 3 over weight 2.
    let mut k = kueue(&[light, heavy, lender], true);
    submit(&mut k, 0.0, job(0, 1, None));
    submit(&mut k, 0.0, job(1, 2, None));
    k.step(1.0);
    assert_eq!((k.weighted_share(0), k.weighted_share(1)), (334, 334));
}

/// Conditions and events of an admission and a finish, as upstream names them.
#[test]
fn conditions_and_events_follow_the_lifecycle() {
    let mut k = kueue(&[cpu_queue(cpus(4, None, None), None)], false);
    let w = submit(&mut k, 0.0, job(0, 1, None));
    k.step(2.0);
    let c = k.workload(w).unwrap().conditions;
    assert_eq!(c.quota_reserved.unwrap().reason, "QuotaReserved");
    assert_eq!(c.admitted.unwrap().last_transition_time, 2.0);
    k.finish_workload(w, true);
    assert_eq!(
        k.workload(w).unwrap().conditions.finished.unwrap().reason,
        "Succeeded"
    );
    assert_eq!(used(&k, 0), 0);
    let reasons: Vec<KueueEventReason> = k.events_since(0).map(|e| e.reason).collect();
    assert_eq!(
        reasons,
        [
            KueueEventReason::Created,
            KueueEventReason::QuotaReserved,
            KueueEventReason::Admitted,
            KueueEventReason::Finished
        ]
    );
}

/// Absurd input is safe: huge, negative and NaN quantities, times and weights.
#[test]
fn absurd_input_is_safe() {
    let mut q = cpu_queue(
        ResourceQuota {
            nominal_quota: i64::MAX,
            borrowing_limit: Some(-5),
            lending_limit: Some(i64::MAX),
        },
        Some(0),
    );
    q.fair_sharing_weight = f64::NAN;
    let other = cpu_queue(
        ResourceQuota {
            nominal_quota: -3,
            borrowing_limit: Some(i64::MAX),
            lending_limit: None,
        },
        Some(0),
    );
    for fair in [false, true] {
        let mut k = kueue(&[q, other], fair);
        let mut huge = PodSet::new(u32::MAX, &[(ResourceName::Cpu, i64::MAX)]);
        let a = submit(&mut k, f64::NAN, WorkloadSpec::single(0, huge));
        huge.requests[ResourceName::Cpu.index()] = -7;
        let b = submit(&mut k, f64::INFINITY, WorkloadSpec::single(1, huge));
        let c = submit(&mut k, -1.0, job(1, 1, None));
        k.step(f64::NAN);
        k.step(1e300);
        let wa = k.workload(a).unwrap();
        assert!(!wa.is_admitted());
        assert_eq!(
            wa.conditions.quota_reserved.unwrap().reason,
            "ExceedsMaxQuota"
        );
        // No request at all fits anywhere; one CPU borrows from the huge queue.
        assert!(k.workload(b).unwrap().is_admitted());
        assert!(k.workload(c).unwrap().is_admitted());
        assert!(
            k.create_workload(job(7, 1, None)).is_none(),
            "no such LocalQueue"
        );
        assert!(!k.delete_workload(9999));
    }
}
