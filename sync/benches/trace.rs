//! Cluster traces: reading the bundled trace, replaying it whole into a hub's queue, and the
//! mirror's cost per watched pod change (pruning to the recorded fields included).

use criterion::{criterion_group, criterion_main, Criterion};
use k8s_openapi::api::core::v1::Pod;
use kuberack_sync::mirror_state::{MirrorState, Seen};
use kuberack_sync::queues;
use kuberack_sync::trace::{Replay, Trace};
use serde_json::json;
use std::sync::Arc;

const BUNDLED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../patches/recorded/forge.trace.jsonl"
);

fn pod(phase: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": "web-1", "labels": {"kuberack.io/module": "deployment-7"},
            "annotations": {"a": "b"}, "resourceVersion": "1"},
        "spec": {"nodeName": "fake-0", "containers": [{"name": "c", "image": "pause",
            "resources": {"requests": {"cpu": "100m"}}}]},
        "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True"}]}
    }))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let text = std::fs::read(BUNDLED).unwrap();
    let mut group = c.benchmark_group("trace");
    group.bench_function("read_bundled_trace", |b| {
        b.iter(|| Trace::read(text.as_slice()).unwrap())
    });
    let trace = Arc::new(Trace::read(text.as_slice()).unwrap());
    group.bench_function("replay_bundled_trace", |b| {
        b.iter(|| {
            let (mut hub, mut end) = queues(1024, 1);
            let mut replay = Replay::new(Arc::clone(&trace));
            replay.feed(&mut end, 0.0);
            while !replay.finished() {
                replay.feed(&mut end, 1e9);
                while hub.pop_observed().is_some() {}
            }
        })
    });
    let (running, pending) = (pod("Running"), pod("Pending"));
    let (mut hub, mut end) = queues(1024, 1);
    let mut mirror = MirrorState::new();
    group.bench_function("mirror_pod_change", |b| {
        let mut flip = false;
        b.iter(|| {
            flip = !flip;
            mirror.apply(&mut end, Seen::Pod(if flip { &running } else { &pending }));
            while hub.pop_observed().is_some() {}
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
