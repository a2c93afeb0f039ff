//! Kueue invariants under random workloads, quotas and policies: admitted usage never
//! exceeds nominal + borrowingLimit; lending limits hold (the cohort's pool is never
//! overdrawn, and nobody uses a queue's unlendable part); StrictFIFO never admits out of
//! order; every victim is one its preemptor's policy allows; the same inputs give the same
//! decisions.

mod kueue_support;

use kuberack_core::kueue::{
    ClusterQueueSpec, Kueue, KueueEventReason, PreemptionPolicy, QueueingStrategy, ResourceName,
};
use kueue_support::*;
use proptest::prelude::*;

const CPU_I: usize = ResourceName::Cpu.index();

#[derive(Debug, Clone)]
enum Op {
    /// A workload of `cpus` in queue `queue` with priority class `class`.
    Submit {
        queue: usize,
        cpus: i64,
        class: usize,
    },
    /// Finish the n-th admitted workload (modulo their number).
    Finish(usize),
    /// Evict the n-th admitted workload for a PodsReady timeout.
    Timeout(usize),
    /// Let `dt` seconds pass and schedule.
    Step(f64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..3usize, 1..7i64, 0..3usize)
            .prop_map(|(queue, cpus, class)| Op::Submit { queue, cpus, class }),
        2 => any::<usize>().prop_map(Op::Finish),
        1 => any::<usize>().prop_map(Op::Timeout),
        3 => (1..100u32).prop_map(|s| Op::Step(f64::from(s))),
    ]
}

fn policy(within: bool) -> impl Strategy<Value = PreemptionPolicy> {
    if within {
        prop_oneof![
            Just(PreemptionPolicy::Never),
            Just(PreemptionPolicy::LowerPriority),
            Just(PreemptionPolicy::LowerOrNewerEqualPriority),
        ]
        .boxed()
    } else {
        prop_oneof![
            Just(PreemptionPolicy::Never),
            Just(PreemptionPolicy::LowerPriority),
            Just(PreemptionPolicy::Any),
        ]
        .boxed()
    }
}

fn queue_spec() -> impl Strategy<Value = ClusterQueueSpec> {
    (
        0..12i64,
        proptest::option::of(0..8i64),
        proptest::option::of(0..12i64),
        any::<bool>(),
        policy(true),
        policy(false),
        any::<bool>(),
    )
        .prop_map(
            |(nominal, borrow, lend, strict_fifo, within, reclaim, bwc)| {
                let mut q = cpu_queue(cpus(nominal, borrow, lend), Some(0));
                if strict_fifo {
                    q.queueing_strategy = QueueingStrategy::StrictFIFO;
                }
                q.preemption = preemption(within, reclaim);
                if bwc {
                    q.preemption.borrow_within_cohort =
                        kuberack_core::kueue::BorrowWithinCohortPolicy::LowerPriority;
                }
                q
            },
        )
}

/// Checks the quota invariants against the specs, computed here independently.
fn check_quota(k: &Kueue, specs: &[ClusterQueueSpec]) {
    let nominal = |s: &ClusterQueueSpec| s.quota_for(0, ResourceName::Cpu).unwrap().nominal_quota;
    let local = |s: &ClusterQueueSpec| {
        let q = s.quota_for(0, ResourceName::Cpu).unwrap();
        q.lending_limit.map_or(0, |l| (q.nominal_quota - l).max(0))
    };
    let usage: Vec<i64> = (0..specs.len())
        .map(|i| k.usage(i).unwrap()[0][CPU_I])
        .collect();
    let mut pool = 0;
    let mut pool_used = 0;
    for (i, s) in specs.iter().enumerate() {
        let q = s.quota_for(0, ResourceName::Cpu).unwrap();
        let max = q.borrowing_limit.map_or(i64::MAX, |b| q.nominal_quota + b);
        assert!(
            usage[i] <= max,
            "queue {i} uses {} > nominal + borrowingLimit {max}",
            usage[i]
        );
        assert!(usage[i] >= 0);
        pool += nominal(s) - local(s);
        pool_used += (usage[i] - local(s)).max(0);
    }
    assert!(pool_used <= pool, "the cohort lent {pool_used} of {pool}");
    let total_nominal: i64 = specs.iter().map(nominal).sum();
    for (c, s) in specs.iter().enumerate() {
        let others: i64 = (0..specs.len()).filter(|&d| d != c).map(|d| usage[d]).sum();
        assert!(
            others <= total_nominal - local(s),
            "others use {others} of queue {c}'s unlendable part"
        );
    }
    // The usage is exactly what the admitted workloads hold, plus what preemptors hold
    // while their victims leave.
    for (i, u) in usage.iter().enumerate() {
        let mut q = [[0; 6]; 16];
        let admitted: i64 = k
            .admitted_in(i)
            .map(|id| {
                k.workload(id).unwrap().usage(&mut q);
                q[0][CPU_I]
            })
            .sum();
        let reserved: i64 = k
            .workload_ids()
            .map(|id| k.workload(id).unwrap())
            .filter(|w| w.cluster_queue == i)
            .map(|w| {
                let mut r = [[0; 6]; 16];
                w.preemption_reservation(&mut r);
                r[0][CPU_I]
            })
            .sum();
        assert_eq!(
            admitted + reserved,
            *u,
            "queue {i}'s usage is its workloads'"
        );
    }
}

/// Runs the ops, checking every invariant after each step; returns the event trace.
fn run(
    specs: &[ClusterQueueSpec],
    ops: &[Op],
    fair: bool,
) -> Vec<(u64, u32, KueueEventReason, &'static str)> {
    let mut k = kueue(specs, fair);
    let mut t = 0.0;
    for op in ops {
        match *op {
            Op::Submit { queue, cpus, class } => {
                k.create_workload(job(queue, cpus, Some(class)));
            }
            Op::Finish(n) | Op::Timeout(n) => {
                let admitted: Vec<u32> = (0..specs.len()).flat_map(|i| k.admitted_in(i)).collect();
                if !admitted.is_empty() {
                    let id = admitted[n % admitted.len()];
                    if matches!(op, Op::Finish(_)) {
                        k.finish_workload(id, true);
                        k.delete_workload(id);
                    } else {
                        k.evict_pods_ready_timeout(id);
                    }
                }
            }
            Op::Step(dt) => {
                t += dt;
                step_checked(&mut k, specs, t);
            }
        }
    }
    k.events_since(0)
        .map(|e| (e.seq, e.workload, e.reason, e.detail))
        .collect()
}

fn step_checked(k: &mut Kueue, specs: &[ClusterQueueSpec], t: f64) {
    let before_events = k.newest_event();
    let borrowing_before: Vec<bool> = (0..specs.len()).map(|i| k.is_borrowing(i)).collect();
    let snapshot: Vec<(u32, i32, f64, u64)> = k
        .workload_ids()
        .map(|id| {
            let w = k.workload(id).unwrap();
            (id, w.priority, w.queue_order_time, w.uid)
        })
        .collect();
    // Preemptors whose victims are leaving: each took its place at its queue's head when it
    // preempted, and keeps it (a workload back from a backoff does not overtake it).
    let sticky: Vec<u32> = k
        .workload_ids()
        .filter(|&id| k.workload(id).unwrap().holds_preemption_reservation())
        .collect();
    k.step(t);
    check_quota(k, specs);
    let events: Vec<_> = k.events_since(before_events).copied().collect();
    let admitted: Vec<u32> = events
        .iter()
        .filter(|e| e.reason == KueueEventReason::Admitted)
        .map(|e| e.workload)
        .collect();
    let key = |id: u32| snapshot.iter().find(|s| s.0 == id).map(|s| (s.1, s.2, s.3));
    // StrictFIFO: nothing still waiting (and eligible) in the queue was ahead of an admitted
    // workload.
    for &x in &admitted {
        let wx = k.workload(x).unwrap();
        let cq = wx.cluster_queue;
        if specs[cq].queueing_strategy != QueueingStrategy::StrictFIFO {
            continue;
        }
        let Some((px, tx, ux)) = key(x) else { continue };
        if sticky.contains(&x) {
            continue;
        }
        for y in k.workload_ids() {
            let wy = k.workload(y).unwrap();
            let waiting = !wy.has_quota_reservation()
                && !wy.is_finished()
                && wy.requeue_state.requeue_at.is_none_or(|r| r <= t);
            if y == x || wy.cluster_queue != cq || !waiting {
                continue;
            }
            let Some((py, ty, uy)) = key(y) else { continue };
            let y_first = py > px || (py == px && (ty < tx || (ty == tx && uy < ux)));
            let preempted_now = events
                .iter()
                .any(|e| e.workload == y && e.reason == KueueEventReason::Preempted);
            assert!(
                !y_first || preempted_now,
                "StrictFIFO admitted {x} while {y}, ahead of it, waits"
            );
        }
    }
    // Every victim is one its preemptor's policy allows.
    for e in events
        .iter()
        .filter(|e| e.reason == KueueEventReason::Preempted)
    {
        let (vp, vt, _) = key(e.workload).unwrap();
        let vcq = k.workload(e.workload).unwrap().cluster_queue;
        let p = snapshot
            .iter()
            .find(|s| s.3 == e.preemptor)
            .expect("the preemptor exists")
            .0;
        let wp = k.workload(p).unwrap();
        let pre = &specs[wp.cluster_queue].preemption;
        let (pp, pt) = (wp.priority, wp.queue_order_time);
        let by = |policy| match policy {
            PreemptionPolicy::Never => false,
            PreemptionPolicy::LowerPriority => pp > vp,
            PreemptionPolicy::LowerOrNewerEqualPriority => pp > vp || (pp == vp && pt < vt),
            PreemptionPolicy::Any => true,
        };
        let allowed = match e.detail {
            "InClusterQueue" => wp.cluster_queue == vcq && by(pre.within_cluster_queue),
            // The victim's queue borrowed when the step began, or began to in it.
            _ => {
                let may_borrow = borrowing_before[vcq]
                    || admitted
                        .iter()
                        .any(|&a| k.workload(a).unwrap().cluster_queue == vcq);
                wp.cluster_queue != vcq && may_borrow && by(pre.reclaim_within_cohort)
            }
        };
        assert!(
            allowed,
            "victim {} ({}) is not allowed to {p}",
            e.workload, e.detail
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn quotas_order_and_preemption_policies_hold(
        specs in proptest::collection::vec(queue_spec(), 3),
        ops in proptest::collection::vec(op(), 1..120),
        fair in any::<bool>(),
    ) {
        let first = run(&specs, &ops, fair);
        prop_assert_eq!(first, run(&specs, &ops, fair), "deterministic");
    }
}
