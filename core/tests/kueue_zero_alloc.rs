//! Kueue's admission allocates nothing after construction: workloads created, admitted,
//! preempted (within the queue and across the cohort), evicted with backoff, finished and
//! deleted, quotas changed, with and without fair sharing.

mod counting;
mod kueue_support;

use kuberack_core::kueue::{Kueue, PreemptionPolicy};
use kueue_support::*;

/// Three queues in a cohort with every kind of preemption, churned for `rounds`.
fn churn(k: &mut Kueue, rounds: u32) -> (u64, u64) {
    let (mut admitted, mut preempted) = (0, 0);
    let mut t = 0.0;
    for i in 0..rounds {
        let queue = (i % 3) as usize;
        let class = (i * 7 % 3) as usize;
        k.create_workload(job(queue, 1 + i64::from(i % 5), Some(class)));
        if i % 4 == 0 {
            t += 1.0;
            let s = k.step(t);
            admitted += s.admitted;
            preempted += s.preempted;
        }
        if i % 6 == 0 {
            let victim = k.admitted_in(queue).nth(1);
            if let Some(id) = victim {
                k.finish_workload(id, true);
                k.delete_workload(id);
            }
        }
        if i % 29 == 0 {
            let victim = k.admitted_in((queue + 1) % 3).next();
            if let Some(id) = victim {
                k.evict_pods_ready_timeout(id);
            }
        }
        if i % 53 == 0 {
            let mut spec = *k.cluster_queue(2).unwrap();
            let g = spec.resource_groups[0].as_mut().unwrap();
            g.flavors[0].as_mut().unwrap().resources[0].nominal_quota = i64::from(4 + i % 8) * CPU;
            k.set_cluster_queue(2, spec);
        }
        if i % 11 == 0 {
            let pending = k
                .workload_ids()
                .find(|&id| !k.workload(id).unwrap().is_admitted());
            if let Some(id) = pending {
                k.delete_workload(id);
            }
        }
    }
    (admitted, preempted)
}

fn queues() -> Vec<kuberack_core::kueue::ClusterQueueSpec> {
    let mut a = cpu_queue(cpus(6, Some(4), None), Some(0));
    a.preemption = preemption(PreemptionPolicy::LowerPriority, PreemptionPolicy::Any);
    let mut b = strict(cpu_queue(cpus(4, None, Some(2)), Some(0)));
    b.preemption = preemption(
        PreemptionPolicy::LowerOrNewerEqualPriority,
        PreemptionPolicy::LowerPriority,
    );
    b.preemption.borrow_within_cohort =
        kuberack_core::kueue::BorrowWithinCohortPolicy::LowerPriority;
    let c = cpu_queue(cpus(8, None, None), Some(0));
    vec![a, b, c]
}

// One test function: the counter is process-wide.
#[test]
fn admission_allocates_nothing() {
    for fair in [false, true] {
        let mut k = kueue(&queues(), fair);
        churn(&mut k, 200); // warm-up
        counting::arm();
        let (admitted, preempted) = churn(&mut k, 2000);
        let n = counting::disarm();
        assert_eq!(n, 0, "allocations in admission (fair sharing {fair})");
        assert!(admitted > 100, "the churn admits ({admitted})");
        assert!(preempted > 10, "the churn preempts ({preempted})");
    }
}
