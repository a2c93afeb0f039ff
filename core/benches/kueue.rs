//! Kueue admission throughput: 10 ClusterQueues in one cohort (borrowing, priority
//! preemption within each queue and reclaim across the cohort) with 10,000 pending
//! workloads, with fair sharing off and on. One iteration is one scheduling cycle: 10
//! admission decisions (one head per queue). Finishing admitted workloads and topping the
//! queues up happen between cycles, outside the timing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kuberack_core::kueue::{
    ClusterQueuePreemption, ClusterQueueSpec, Kueue, KueueConfig, LocalQueue, PodSet,
    PreemptionPolicy, ResourceFlavor, ResourceGroup, ResourceName, ResourceQuota,
    WorkloadPriorityClass, WorkloadSpec,
};

const QUEUES: usize = 10;
const PENDING: usize = 10_000;

struct Load {
    k: Kueue,
    n: u64,
}

impl Load {
    fn new(fair_sharing: bool) -> Load {
        let mut k = Kueue::new(KueueConfig {
            fair_sharing,
            ..KueueConfig::default()
        });
        k.set_resource_flavor(0, ResourceFlavor::named("default-flavor"));
        for (i, value) in [100, 1000, 10000].into_iter().enumerate() {
            k.set_priority_class(i, WorkloadPriorityClass { name: "p", value });
        }
        for q in 0..QUEUES {
            let quota = ResourceQuota {
                nominal_quota: 20_000,
                borrowing_limit: Some(10_000),
                lending_limit: None,
            };
            let spec = ClusterQueueSpec {
                cohort: Some(0),
                preemption: ClusterQueuePreemption {
                    within_cluster_queue: PreemptionPolicy::LowerPriority,
                    reclaim_within_cohort: PreemptionPolicy::LowerPriority,
                    ..ClusterQueuePreemption::default()
                },
                ..ClusterQueueSpec::default()
            }
            .with_group(
                ResourceGroup::covering(&[ResourceName::Cpu, ResourceName::Memory]).with_flavor(
                    0,
                    &[
                        (ResourceName::Cpu, quota),
                        (ResourceName::Memory, ResourceQuota::nominal(1 << 20)),
                    ],
                ),
            );
            k.set_cluster_queue(q, spec);
            k.set_local_queue(q, LocalQueue { cluster_queue: q });
        }
        let mut load = Load { k, n: 0 };
        for _ in 0..PENDING {
            load.submit(load.n as usize % QUEUES);
        }
        load
    }

    fn submit(&mut self, queue: usize) {
        let i = self.n;
        self.n += 1;
        let cpu = 500 * (1 + (i * 7919 % 7) as i64);
        let spec = WorkloadSpec::single(
            queue,
            PodSet::new(1, &[(ResourceName::Cpu, cpu), (ResourceName::Memory, 512)]),
        )
        .with_priority_class((i * 31 % 3) as usize);
        self.k.set_time(i as f64 * 0.001);
        self.k.create_workload(spec).expect("room");
    }

    /// Between cycles: preempted workloads return, some admitted workloads finish; every
    /// queue keeps 1,000 pending.
    fn churn(&mut self, cycle: u64) {
        self.k.expire_backoffs();
        let q = cycle as usize % QUEUES;
        let done = self.k.admitted_in(q).last();
        if let Some(id) = done {
            self.k.finish_workload(id, true);
            self.k.delete_workload(id);
        }
        for q in 0..QUEUES {
            while (self.k.pending_workloads(q) as usize) < PENDING / QUEUES {
                self.submit(q);
            }
        }
    }
}

fn admission(c: &mut Criterion) {
    let mut group = c.benchmark_group("kueue");
    group.throughput(Throughput::Elements(QUEUES as u64));
    for (fair, name) in [
        (false, "admission cycle, 10 ClusterQueues, 10k pending"),
        (
            true,
            "admission cycle, 10 ClusterQueues, 10k pending, fair sharing",
        ),
    ] {
        group.bench_function(name, |b| {
            let mut load = Load::new(fair);
            let mut cycle = 0u64;
            b.iter_custom(|iters| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iters {
                    cycle += 1;
                    load.churn(cycle);
                    let t0 = Instant::now();
                    let stats = black_box(load.k.schedule());
                    elapsed += t0.elapsed();
                    debug_assert_eq!(stats.decisions, QUEUES as u64);
                }
                elapsed
            });
        });
    }
    group.finish();
}

criterion_group!(benches, admission);
criterion_main!(benches);
