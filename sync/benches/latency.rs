//! Knob change -> apply request received, against the API server stand-in, with changes
//! spaced at the 5 writes/s cap; and the write rate under a 10 Hz LFO on replicas (printed).

#[path = "../tests/standin/mod.rs"]
mod standin;

use criterion::{criterion_group, criterion_main, Criterion};
use kuberack_sync::{queues, spawn, ClusterSource, DesiredObject, SyncConfig, SyncState};
use std::time::{Duration, Instant};

fn dep(replicas: u32) -> [Option<DesiredObject>; 1] {
    [Some(DesiredObject::deployment(1, replicas, 100, 64))]
}

fn patches(api: &standin::StandIn) -> usize {
    api.log()
        .iter()
        .filter(|r| r.method == "PATCH" && r.path.ends_with("/deployment-1"))
        .count()
}

fn bench(c: &mut Criterion) {
    let api = standin::StandIn::start();
    let (mut hub, end) = queues(64, 1);
    let thread = spawn(SyncConfig::new(ClusterSource::Url(api.url())), end).unwrap();
    while hub.status.state() != SyncState::Synced {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut replicas = 0;
    let mut group = c.benchmark_group("sync");
    group.sample_size(10);
    group.bench_function("knob_change_to_apply_request", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // Stay at the cap: one change per 200 ms.
                std::thread::sleep(Duration::from_millis(200));
                replicas = (replicas + 1) % 30;
                let before = patches(&api);
                let t = Instant::now();
                hub.publish(&dep(replicas));
                assert!(api.wait_for(Duration::from_secs(5), |l| {
                    l.iter()
                        .filter(|r| r.method == "PATCH" && r.path.ends_with("/deployment-1"))
                        .count()
                        > before
                }));
                total += t.elapsed();
            }
            total
        })
    });
    group.finish();

    // 10 Hz LFO on replicas for 5 s.
    std::thread::sleep(Duration::from_millis(300));
    let before = patches(&api);
    let t = Instant::now();
    let mut step = 0;
    while t.elapsed() < Duration::from_secs(5) {
        step += 1;
        hub.publish(&dep(step % 8));
        std::thread::sleep(Duration::from_millis(100));
    }
    let rate = (patches(&api) - before) as f64 / t.elapsed().as_secs_f64();
    println!("sync/writes_per_second_under_10hz_lfo: {rate:.2} writes/s (cap 5)");
    thread.stop().unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
