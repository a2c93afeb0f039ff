//! Scheduler throughput: a batch of pods placed into a 1,000-node cluster with every plugin
//! scoring (NodeResourcesFit, BalancedAllocation, TaintToleration with PreferNoSchedule
//! nodes, NodeAffinity with a preferred zone, PodTopologySpread ScheduleAnyway, preferred
//! InterPodAffinity) and filtering (NodeUnschedulable, NoSchedule taints, the rest), at the
//! adaptive percentageOfNodesToScore. Throughput is reported in placements per second. The
//! `typed_terms` run adds typed node labels and taints to the pools, and typed tolerations,
//! required and preferred node affinity to the pods, so TaintToleration and NodeAffinity
//! match the general model; the `typed_pod_affinity_and_spread` run adds typed preferred pod
//! affinity and anti-affinity and a hard and a soft typed spread constraint, whose
//! PreFilter reads every bound pod each cycle.
//!
//! The timed part is the real world step (controllers, kubelet timers and up to 256
//! scheduling cycles per step) looped until the whole batch is bound; profiles show the
//! scheduling cycles take about 90 % of it. Every pod of the batch shares one Deployment's
//! template, so the scheduler's per-node cache evaluates a node again only after a bind
//! changed it. On Linux the time taken is the thread's CPU time
//! (from `/proc/thread-self/schedstat`), so other processes sharing the cores do not inflate
//! it; elsewhere it is wall-clock time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kuberack_core::world::constraints::*;
use kuberack_core::world::terms::api::{NodeTerms, PodTerms};
use kuberack_core::world::terms::{parse, table};
use kuberack_core::world::{DeploymentSpec, NodePoolSpec, World, WorldConfig};

const NODES: u32 = 1000;
const PODS: u32 = 2000;
const POOL_SIZE: u32 = 16;

/// Typed labels and taints of pool `p` (id 0 without `typed`).
fn pool_terms(p: u32, typed: bool) -> u16 {
    if !typed {
        return 0;
    }
    let disk = if p.is_multiple_of(3) { "ssd" } else { "hdd" };
    let taints = match p % 6 {
        2 => "soft=yes:PreferNoSchedule",
        4 => "dedicated=gpu:NoSchedule, soft=yes:PreferNoSchedule",
        _ => "",
    };
    let terms = NodeTerms {
        labels: parse::labels(&format!("disk={disk}, cpu-gen={}", p % 10)).unwrap(),
        taints: parse::taints(taints).unwrap(),
    };
    table::intern_node(&terms).unwrap()
}

/// A world with 1,000 Ready nodes over four zones; some pools tainted or cordoned.
fn cluster(typed: bool) -> World {
    let mut w = World::new(WorldConfig {
        seed: 11,
        max_pods: 16_384,
        max_nodes: 1024,
        event_capacity: 16_384,
    });
    let pools = NODES.div_ceil(POOL_SIZE);
    for p in 0..pools {
        let count = POOL_SIZE.min(NODES - p * POOL_SIZE);
        let taint = match p % 8 {
            1 => TaintEffect::PreferNoSchedule,
            5 => TaintEffect::NoSchedule,
            _ => TaintEffect::None,
        };
        w.apply_node_pool(
            p + 1,
            NodePoolSpec {
                count,
                cpu_m: 16_000,
                memory_mib: 64 * 1024,
                pods: 110,
                cordoned: p % 16 == 7,
                zone: (p % 4) as u8 + 1,
                taint,
                terms: pool_terms(p, typed),
                mana: Default::default(),
            },
        );
    }
    for _ in 0..50 {
        w.step(0.1);
    }
    assert_eq!(w.node_count(), NODES as usize);
    w
}

fn every_plugin(typed: bool, reads_pods: bool) -> SchedulingSpec {
    let mut terms = PodTerms {
        tolerations: parse::tolerations("dedicated=gpu:NoSchedule").unwrap(),
        required: parse::required_terms("cpu-gen>1 | disk=hdd").unwrap(),
        preferred: parse::preferred_terms("80: disk=ssd | 20: cpu-gen>6").unwrap(),
        ..PodTerms::default()
    };
    if reads_pods {
        terms.labels = parse::labels("app=batch").unwrap();
        terms.pod_affinity =
            parse::pod_affinity("50: !app=batch on hostname; 20: app=batch on zone").unwrap();
        terms.spread =
            parse::topology_spread("3 on zone ScheduleAnyway for app=batch; 400 on hostname")
                .unwrap();
    }
    SchedulingSpec {
        terms: if typed {
            table::intern_pod(&terms).unwrap()
        } else {
            0
        },
        priority: 1000,
        tolerates_dedicated: false,
        preferred_zone: 2,
        spread: Some(SpreadConstraint {
            max_skew: 1,
            key: TopologyKey::Hostname,
            when: WhenUnsatisfiable::ScheduleAnyway,
        }),
        anti_affinity: AntiAffinity::Preferred,
        anti_affinity_key: TopologyKey::Hostname,
        ..SchedulingSpec::default()
    }
}

/// Places the batch; returns the time spent stepping.
fn place_batch(mut w: World, typed: bool, reads_pods: bool) -> Duration {
    w.apply_deployment(
        600,
        DeploymentSpec {
            replicas: PODS,
            cpu_m: 100,
            memory_mib: 128,
            scheduling: every_plugin(typed, reads_pods),
            ..Default::default()
        },
    );
    let before = w.stats().pods_scheduled;
    let clock = Clock::start();
    while w.stats().pods_scheduled - before < u64::from(PODS) {
        w.step(0.001);
    }
    let elapsed = clock.elapsed();
    black_box(&w);
    elapsed
}

/// The thread's CPU time where the OS tells it, else wall-clock time.
enum Clock {
    Cpu(Duration),
    Wall(Instant),
}

impl Clock {
    fn start() -> Clock {
        thread_cpu_time().map_or_else(|| Clock::Wall(Instant::now()), Clock::Cpu)
    }

    fn elapsed(&self) -> Duration {
        match self {
            Clock::Cpu(start) => thread_cpu_time().unwrap_or(*start).saturating_sub(*start),
            Clock::Wall(start) => start.elapsed(),
        }
    }
}

/// Time this thread has run on a CPU (Linux schedstat, nanoseconds).
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn scheduler_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("scheduler");
    group.sample_size(20);
    group.throughput(Throughput::Elements(u64::from(PODS)));
    for (name, typed, reads_pods) in [
        ("place_2000_pods_1000_nodes_every_plugin", false, false),
        ("place_2000_pods_1000_nodes_typed_terms", true, false),
        (
            "place_2000_pods_1000_nodes_typed_pod_affinity_and_spread",
            true,
            true,
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let w = cluster(typed);
                    total += place_batch(w, typed, reads_pods);
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, scheduler_throughput);
criterion_main!(benches);
