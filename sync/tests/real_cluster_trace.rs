//! Recording a real cluster (see tests/cluster): what the mirror hears live is what a replay
//! of the recorded trace makes the hub hear, event for event, and the trace holds no field
//! the mirror does not read. Without a cluster, one line says so.

mod cluster;

use cluster::{until, TestCluster};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, PostParams};
use kuberack_sync::trace::{Replay, Trace};
use kuberack_sync::{queues, spawn, Observed, SyncState};
use serde_json::json;
use std::sync::Arc;

#[test]
fn a_recorded_real_cluster_replays_to_what_was_heard_live() {
    let Some(c) = TestCluster::from_env("trace") else {
        return;
    };
    let path = std::env::temp_dir().join(format!("kuberack-trace-{}.jsonl", std::process::id()));
    let mut config = c.config.clone();
    config.mirror_only = true;
    config.recording.record_to(Some(path.clone()));
    let pods: Api<Pod> = Api::namespaced(c.admin.clone(), &c.ns);
    let (mut hub, end) = queues(4096, 4);
    let thread = spawn(config.clone(), end).unwrap();
    let mut live: Vec<Observed> = Vec::new();
    c.block_on(async {
        let status = hub.status.clone();
        assert!(until(async || status.state() == SyncState::Synced).await, "{}", status.last_error());
        let pp = PostParams::default();
        for i in 0..3 {
            let pod: Pod = serde_json::from_value(json!({
                "metadata": {"name": format!("traced-{i}"), "labels": {"kuberack.io/module": "deployment-7"},
                    "annotations": {"secret-looking": "hunter2"}},
                "spec": {"nodeName": "unscheduled-on-purpose", "containers": [{"name": "c",
                    "image": "registry.k8s.io/pause:3.10", "env": [{"name": "TOKEN", "value": "s3cr3t"}],
                    "resources": {"requests": {"cpu": "100m"}}}]}}))
            .unwrap();
            pods.create(&pp, &pod).await.unwrap();
        }
        pods.delete("traced-1", &DeleteParams::default().grace_period(0)).await.unwrap();
        let heard = async || {
            while let Some(o) = hub.pop_observed() {
                live.push(o);
            }
            live.iter().filter(|o| o.name.as_str() == "traced-1" && o.kind.reason() == "PodDeleted").count() == 1
        };
        assert!(until(heard).await, "the deletion was not heard: {live:?}");
    });
    let status = thread.stop().unwrap().status;
    assert_eq!(status.dropped_events(), 0);
    assert!(
        !config.recording.is_recording(),
        "recording ends with the sync thread"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    for secret in [
        "hunter2",
        "s3cr3t",
        "managedFields",
        "pause:3.10",
        "resourceVersion",
    ] {
        assert!(!text.contains(secret), "{secret} recorded");
    }
    let trace = Arc::new(Trace::read(text.as_bytes()).unwrap());
    assert_eq!((trace.corrupt.lines, trace.unknown.lines), (0, 0));
    assert_eq!(trace.header.namespace, c.ns);
    let (mut replay_hub, mut replay_end) = queues(4096, 4);
    let mut replay = Replay::new(trace);
    let mut replayed = Vec::new();
    // The replay's time 0 is its first feed; then far ahead, a queue's worth at a time.
    replay.feed(&mut replay_end, 0.0);
    while !replay.finished() {
        replay.feed(&mut replay_end, 1e9);
        while let Some(o) = replay_hub.pop_observed() {
            replayed.push(o);
        }
    }
    assert_eq!(replayed, live, "a replay hears what the live mirror heard");
    assert!(live
        .iter()
        .any(|o| o.name.as_str() == "traced-0" && o.module == 7));
    let _ = std::fs::remove_file(path);
}
