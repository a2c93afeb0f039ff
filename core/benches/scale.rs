//! Kubernetes' own scale: a world of 5 pools x 1,000 nodes and 30 Deployments x 5,000
//! replicas (5,000 nodes, 150,000 pods, every pod Ready before measuring), stepped at the
//! hub's default control rate (32 samples at 48 kHz: 1,500 steps per simulated second) with
//! churn: every measured simulated second a rollout of one Deployment starts (a new image:
//! 5,000 pods replaced, 25 % surge) and one pool loses 10 nodes or gets them back (their
//! pods evicted and rescheduled). Criterion's time per iteration is the CPU time of one
//! simulated second; as a share of one core it is that time over 1 s (the bench prints it).
//!
//! Before measuring, the bench prints the peak resident set (VmHWM) of the process after
//! building the world (`core/tests/scale_memory.rs` counts the allocator's bytes).
//!
//! On Linux the time taken is the thread's CPU time (from `/proc/thread-self/schedstat`), so
//! other processes sharing the cores do not inflate it; elsewhere it is wall-clock time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use kuberack_core::world::scale::*;
use kuberack_core::world::World;

/// Steps per simulated second at 48 kHz and the default control period (32 samples).
const STEPS_PER_SECOND: u32 = 1500;

/// One measured simulated second: churn, then 1,500 steps.
fn churn_second(w: &mut World, k: u32) -> Duration {
    let d = k % SCALE_DEPLOYMENTS;
    w.apply_deployment(scale_deployment_tag(d), scale_deployment_spec(k + 1));
    let p = k % SCALE_POOLS;
    let count = if (k / SCALE_POOLS).is_multiple_of(2) {
        SCALE_POOL_NODES - 10
    } else {
        SCALE_POOL_NODES
    };
    w.apply_node_pool(
        scale_pool_tag(p),
        kuberack_core::world::NodePoolSpec {
            count,
            ..scale_pool_spec(p)
        },
    );
    let dt = 1.0 / f64::from(STEPS_PER_SECOND);
    let clock = Clock::start();
    for _ in 0..STEPS_PER_SECOND {
        w.step(dt);
    }
    let elapsed = clock.elapsed();
    black_box(&*w);
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

/// VmHWM of this process in KiB (Linux), else None.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn scale(c: &mut Criterion) {
    let mut w = World::new(scale_world_config(7));
    let built = Instant::now();
    let took = build_scale_world(&mut w, 0.1, 600.0);
    println!(
        "scale world: {} nodes, {} pods Ready after {took:.1} simulated s \
         (built in {:.1} s wall)",
        w.node_count(),
        w.pod_count(),
        built.elapsed().as_secs_f64()
    );
    match peak_rss_kib() {
        Some(kib) => println!("scale world: peak RSS (VmHWM) {} MiB", kib / 1024),
        None => println!("scale world: peak RSS not measured (no /proc/self/status)"),
    }
    let before = *w.stats();
    let mut k = 0;
    let mut group = c.benchmark_group("scale");
    group.sample_size(10);
    group.bench_function("5000_nodes_150000_pods_churn_per_simulated_second", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += churn_second(&mut w, k);
                k += 1;
            }
            println!(
                "scale: {:.1} % of one core ({} simulated s)",
                100.0 * total.as_secs_f64() / iters as f64,
                iters
            );
            total
        })
    });
    group.finish();
    let after = w.stats();
    println!(
        "scale churn over {k} simulated s: {} pods created, {} bound, {} evicted; \
         {} pods, {} nodes at the end",
        after.pods_created - before.pods_created,
        after.pods_scheduled - before.pods_scheduled,
        after.evictions - before.evictions,
        w.pod_count(),
        w.node_count()
    );
}

criterion_group!(benches, scale);
criterion_main!(benches);
