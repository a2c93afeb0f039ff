//! The live sync's figures against a real API server, printed (a measurement, not a test:
//! ignored by default, nothing is asserted about time). With a disposable cluster:
//!
//! ```sh
//! KUBERACK_TEST_KUBECONFIG=admin.kubeconfig KUBERACK_TEST_RESTRICTED_KUBECONFIG=restricted.kubeconfig \
//!   cargo test --release -p kuberack-sync --test real_cluster_figures -- --ignored --nocapture
//! ```
//!
//! Knob change to real object updated (as a watch of the server sees it, median and p95),
//! writes per second under a 10 Hz LFO on replicas, drift revert time after a
//! `kubectl scale`, and mirror events per second for 1,000 pods.

mod cluster;

use cluster::{until, TestCluster};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::{watcher, WatchStreamExt};
use kuberack_core::world::events::EventKind;
use kuberack_sync::{queues, spawn, DesiredObject, MirrorKind, SyncState};
use serde_json::json;
use std::time::{Duration, Instant};

fn dep(replicas: u32) -> [Option<DesiredObject>; 1] {
    [Some(DesiredObject::deployment(1, replicas, 10, 16))]
}

/// The `p`-th percentile of `samples` (sorted in place), in milliseconds.
fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() - 1) as f64 * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

#[test]
#[ignore = "a measurement against a real cluster: run with --ignored --nocapture"]
fn figures_against_a_real_api_server() {
    let Some(c) = TestCluster::from_env("figures") else {
        return;
    };
    let deployments: Api<Deployment> = Api::namespaced(c.admin.clone(), &c.ns);
    let (mut hub, end) = queues(1024, 1);
    let config = c.config.clone();
    let cap = config.writes_per_second;
    let thread = spawn(config, end).unwrap();
    c.block_on(async {
        let status = hub.status.clone();
        assert!(until(async || status.state() == SyncState::Synced).await, "{}", status.last_error());
        hub.publish(&dep(1));
        let replicas = async |n: i32| {
            deployments.get_opt("deployment-1").await.ok().flatten().and_then(|d| d.spec?.replicas) == Some(n)
        };
        assert!(until(async || replicas(1).await).await);
        // The server's view of deployment-1's replicas, as a watch delivers it.
        let watch = watcher(deployments.clone(), watcher::Config::default().fields("metadata.name=deployment-1"));
        let mut seen = watch.applied_objects().boxed();
        let mut wait_for = async |n: i32| {
            while let Some(Ok(d)) = seen.next().await {
                if d.spec.and_then(|s| s.replicas) == Some(n) {
                    return;
                }
            }
        };
        // Knob change to real object updated, changes spaced beyond the per-object cap.
        let mut latency = Vec::new();
        for i in 0..40u32 {
            tokio::time::sleep(Duration::from_secs_f64(1.2 / cap)).await;
            let n = 2 + i % 2;
            let t = Instant::now();
            hub.publish(&dep(n));
            wait_for(n as i32).await;
            latency.push(t.elapsed());
        }
        println!(
            "knob change -> real object updated: median {:.1} ms, p95 {:.1} ms ({} changes)",
            percentile(&mut latency, 0.5),
            percentile(&mut latency, 0.95),
            latency.len()
        );
        // A 10 Hz LFO on replicas (the hub publishes every 5 ms): writes per second.
        let writes_before = status.writes();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            let phase = t.elapsed().as_secs_f64() * 10.0 * std::f64::consts::TAU;
            hub.publish(&dep((3.0 + 2.0 * phase.sin()).round() as u32));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let rate = (status.writes() - writes_before) as f64 / t.elapsed().as_secs_f64();
        println!("10 Hz LFO on replicas: {rate:.2} writes/s (cap {cap} per object)");
        hub.publish(&dep(3));
        tokio::time::sleep(Duration::from_secs(1)).await;
        // Drift: `kubectl scale` by someone else, until the server holds the rack's value.
        let mut revert = Vec::new();
        for i in 0..10 {
            tokio::time::sleep(Duration::from_secs_f64(1.2 / cap)).await;
            let scale = json!({"spec": {"replicas": 7 + i}});
            let t = Instant::now();
            deployments.patch("deployment-1", &PatchParams::default(), &Patch::Merge(&scale)).await.unwrap();
            wait_for(7 + i).await;
            wait_for(3).await;
            revert.push(t.elapsed());
        }
        println!(
            "drift (kubectl scale) reverted: median {:.1} ms, max {:.1} ms ({} scales)",
            percentile(&mut revert, 0.5),
            percentile(&mut revert, 1.0),
            revert.len()
        );
        // Mirror: 1,000 pods created by someone else, heard by the hub.
        let pods: Api<Pod> = Api::namespaced(c.admin.clone(), &c.ns);
        while hub.pop_observed().is_some() {}
        let heard_before = status.heard_events();
        let pp = PostParams::default();
        let t = Instant::now();
        let bodies: Vec<Pod> = (0..1000)
            .map(|i| serde_json::from_value(json!({"metadata": {"name": format!("m-{i}")},
                "spec": {"nodeName": "nowhere", "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}})).unwrap())
            .collect();
        // The hub pops what it heard every control tick; here, between batches.
        let mut created = 0;
        let mut pop = |created: &mut usize| {
            while let Some(o) = hub.pop_observed() {
                *created += usize::from(o.kind == MirrorKind::World(EventKind::PodCreated));
            }
        };
        for chunk in bodies.chunks(50) {
            for r in futures::future::join_all(chunk.iter().map(|b| pods.create(&pp, b))).await {
                r.unwrap();
            }
            pop(&mut created);
        }
        let created_in = t.elapsed();
        let all = async || {
            pop(&mut created);
            created + status.dropped_events() as usize >= 1000
        };
        assert!(until(all).await);
        let heard = status.heard_events() - heard_before;
        println!(
            "mirror: {heard} events heard for 1,000 pods in {:.2} s ({:.0} events/s; creating them took {:.2} s), {} dropped",
            t.elapsed().as_secs_f64(),
            heard as f64 / t.elapsed().as_secs_f64(),
            created_in.as_secs_f64(),
            status.dropped_events()
        );
    });
    thread.stop().unwrap();
}
