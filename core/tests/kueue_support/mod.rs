//! Helpers for the Kueue tests: ClusterQueues of one `cpu` flavor, workloads of N cpu.

#![allow(dead_code)]

use kuberack_core::kueue::{
    ClusterQueuePreemption, ClusterQueueSpec, Kueue, KueueConfig, KueueEventReason, LocalQueue,
    PodSet, QueueingStrategy, ResourceFlavor, ResourceGroup, ResourceName, ResourceQuota,
    WorkloadPriorityClass, WorkloadSpec,
};

/// Millicores per CPU.
pub const CPU: i64 = 1000;

/// A ClusterQueue with one flavor (0) covering cpu.
pub fn cpu_queue(quota: ResourceQuota, cohort: Option<usize>) -> ClusterQueueSpec {
    ClusterQueueSpec {
        cohort,
        ..ClusterQueueSpec::default()
    }
    .with_group(
        ResourceGroup::covering(&[ResourceName::Cpu]).with_flavor(0, &[(ResourceName::Cpu, quota)]),
    )
}

/// A quota of `cpus` CPUs with optional borrowing and lending limits (in CPUs).
pub fn cpus(cpus: i64, borrowing: Option<i64>, lending: Option<i64>) -> ResourceQuota {
    ResourceQuota {
        nominal_quota: cpus * CPU,
        borrowing_limit: borrowing.map(|b| b * CPU),
        lending_limit: lending.map(|l| l * CPU),
    }
}

/// A Kueue with flavor 0 `default-flavor`, priority classes 0 (low, 100), 1 (mid, 1000),
/// 2 (high, 10000), and a LocalQueue `i` for each ClusterQueue `i` given.
pub fn kueue(queues: &[ClusterQueueSpec], fair_sharing: bool) -> Kueue {
    let mut k = Kueue::new(KueueConfig {
        max_workloads: 1024,
        fair_sharing,
        ..KueueConfig::default()
    });
    k.set_resource_flavor(0, ResourceFlavor::named("default-flavor"));
    for (i, (name, value)) in [("low", 100), ("mid", 1000), ("high", 10000)]
        .into_iter()
        .enumerate()
    {
        k.set_priority_class(i, WorkloadPriorityClass { name, value });
    }
    for (i, spec) in queues.iter().enumerate() {
        k.set_cluster_queue(i, *spec);
        k.set_local_queue(i, LocalQueue { cluster_queue: i });
    }
    k
}

/// A workload of one pod asking `cpus` CPUs in LocalQueue `queue`.
pub fn job(queue: usize, cpus: i64, priority_class: Option<usize>) -> WorkloadSpec {
    let mut spec = WorkloadSpec::single(queue, PodSet::new(1, &[(ResourceName::Cpu, cpus * CPU)]));
    spec.priority_class = priority_class;
    spec
}

/// Creates a workload at time `t` (steps the clock there first without scheduling).
pub fn submit(k: &mut Kueue, t: f64, spec: WorkloadSpec) -> u32 {
    k.set_time(t);
    k.create_workload(spec).expect("room for the workload")
}

/// CPUs in use by ClusterQueue `cq` in flavor 0.
pub fn used(k: &Kueue, cq: usize) -> i64 {
    k.usage(cq).unwrap()[0][ResourceName::Cpu.index()] / CPU
}

/// Preemption with these policies.
pub fn preemption(
    within: kuberack_core::kueue::PreemptionPolicy,
    reclaim: kuberack_core::kueue::PreemptionPolicy,
) -> ClusterQueuePreemption {
    ClusterQueuePreemption {
        within_cluster_queue: within,
        reclaim_within_cohort: reclaim,
        ..ClusterQueuePreemption::default()
    }
}

/// StrictFIFO.
pub fn strict(mut spec: ClusterQueueSpec) -> ClusterQueueSpec {
    spec.queueing_strategy = QueueingStrategy::StrictFIFO;
    spec
}

/// Ids preempted so far, with the Preempted reason.
pub fn preempted(k: &Kueue) -> Vec<(u32, &'static str)> {
    k.events_since(0)
        .filter(|e| e.reason == KueueEventReason::Preempted)
        .map(|e| (e.workload, e.detail))
        .collect()
}
