//! Scenario patches played by `kuberack play`, asserted on their event traces.
//!
//! Both patches are a CLUSTER (WARP 10x), one NODE pool (2 x 8 cores) and two DEPLOYMENTs:
//! `deployment-3` (12 replicas) plays the trigger for `deployment-4`, the one under test.
//! - `rolling-update.patch.json`: 3's READY CV reaches 1 V when its twelfth pod is Ready and
//!   fires 4's ROLLOUT once; 4 (4 replicas, maxSurge 25%, maxUnavailable 25%) rolls.
//! - `replicaset-faults.patch.json`: every pod of 3 that becomes Ready (BECAME_READY) pulses 4's
//!   FAULT: 4's running containers crash and the kubelet restarts them, at once the first
//!   time, then after its back-off.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    common::crate_dir().join("tests/fixtures").join(name)
}

/// Plays a fixture for `seconds` and returns its event trace.
fn play(name: &str, seconds: u32) -> Vec<Value> {
    let events = common::scratch(name).join("events.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_kuberack"))
        .arg("play")
        .arg(fixture(name))
        .args([
            "--seconds",
            &seconds.to_string(),
            "--no-progress",
            "--events",
        ])
        .arg(&events)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn reason(e: &Value) -> &str {
    e["reason"].as_str().unwrap()
}

fn name(e: &Value) -> &str {
    e["name"].as_str().unwrap()
}

fn value(e: &Value) -> i64 {
    e["value"].as_i64().unwrap_or(0)
}

fn time(e: &Value) -> f64 {
    e["time"].as_f64().unwrap()
}

/// A pod's state as the trace tells it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PodSeen {
    alive: bool,
    ready: bool,
}

/// Replays the trace of one Deployment's pods, calling `check` after each event with the pods
/// that exist (not terminating) and how many of them are Ready.
fn replay(trace: &[Value], prefix: &str, mut check: impl FnMut(&Value, &HashMap<String, PodSeen>)) {
    let mut pods: HashMap<String, PodSeen> = HashMap::new();
    for e in trace {
        if e["kind"] != "Pod" || !name(e).starts_with(prefix) {
            continue;
        }
        let pod = pods.entry(name(e).to_string()).or_insert(PodSeen {
            alive: true,
            ready: false,
        });
        match reason(e) {
            "Ready" => pod.ready = true,
            "ContainerDied" | "ContainerCreating" => pod.ready = false,
            "Killing" | "Evicted" | "PodFailed" | "PodSucceeded" | "PodDeleted" => {
                pod.alive = false;
                pod.ready = false;
            }
            _ => {}
        }
        check(e, &pods);
    }
}

fn alive(pods: &HashMap<String, PodSeen>) -> usize {
    pods.values().filter(|p| p.alive).count()
}

fn ready(pods: &HashMap<String, PodSeen>) -> usize {
    pods.values().filter(|p| p.alive && p.ready).count()
}

#[test]
fn a_rolling_update_stays_within_max_surge_and_max_unavailable() {
    let trace = play("rolling-update.patch.json", 3);
    let of = |r: &str, n: &str| -> Vec<&Value> {
        trace
            .iter()
            .filter(|e| reason(e) == r && name(e).starts_with(n))
            .collect()
    };
    // The rollout starts when the trigger Deployment's twelfth pod is Ready.
    let updated = of("DeploymentUpdated", "deployment-4");
    assert_eq!(updated.len(), 1, "one ROLLOUT");
    let twelfth_ready = time(of("Ready", "deployment-3-")[11]);
    assert!(time(updated[0]) >= twelfth_ready);
    // A second ReplicaSet, revision 2.
    let sets = of("ReplicaSetCreated", "deployment-4-");
    assert_eq!(sets.len(), 2);
    assert_eq!(value(sets[1]), 2);
    let old = name(sets[0]).to_string();
    let new = name(sets[1]).to_string();
    // ScalingReplicaSet as upstream words it, alternating up and down by one pod.
    let scaling: Vec<&str> = of("ScalingReplicaSet", "deployment-4")
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        scaling,
        [
            format!("Scaled up replica set {old} from 0 to 4"),
            format!("Scaled up replica set {new} from 0 to 1"),
            format!("Scaled down replica set {old} from 4 to 3"),
            format!("Scaled up replica set {new} from 1 to 2"),
            format!("Scaled down replica set {old} from 3 to 2"),
            format!("Scaled up replica set {new} from 2 to 3"),
            format!("Scaled down replica set {old} from 2 to 1"),
            format!("Scaled up replica set {new} from 3 to 4"),
            format!("Scaled down replica set {old} from 1 to 0"),
        ]
    );
    // Never more than replicas + maxSurge = 5 pods, never fewer than replicas -
    // maxUnavailable = 3 Ready once the rollout began.
    let start = updated[0]["revision"].as_u64().unwrap();
    let mut last = HashMap::new();
    replay(&trace, "deployment-4-", |e, pods| {
        assert!(
            alive(pods) <= 5,
            "{} pods at {}",
            alive(pods),
            e["revision"]
        );
        if e["revision"].as_u64().unwrap() > start {
            assert!(
                ready(pods) >= 3,
                "{} Ready at {}",
                ready(pods),
                e["revision"]
            );
        }
        last = pods.clone();
    });
    // It ends with every pod on the new template, and Ready.
    let survivors: Vec<&String> = last
        .iter()
        .filter(|(_, p)| p.alive)
        .map(|(n, _)| n)
        .collect();
    assert_eq!(survivors.len(), 4);
    assert!(survivors.iter().all(|n| n.starts_with(&format!("{new}-"))));
    assert_eq!(ready(&last), 4);
}

#[test]
fn a_replica_set_converges_after_its_containers_crash() {
    let trace = play("replicaset-faults.patch.json", 3);
    let pods_of = |r: &str| -> Vec<&Value> {
        trace
            .iter()
            .filter(|e| reason(e) == r && name(e).starts_with("deployment-4-"))
            .collect()
    };
    // The minimal kubelet's table: Pending + no container -> create; Pending + running ->
    // Running; Running + exited -> restart (restartPolicy Always).
    assert_eq!(
        pods_of("PodCreated").len(),
        3,
        "restarted in place, never replaced"
    );
    assert_eq!(pods_of("ContainerCreating").len(), 3);
    let died = pods_of("ContainerDied");
    assert!(!died.is_empty(), "FAULT crashed nothing");
    let mut crashes: HashMap<&str, usize> = HashMap::new();
    let mut backoffs = 0;
    for d in &died {
        assert_eq!(value(d), 1, "exit code");
        let pod = name(d);
        let k = crashes.entry(pod).or_insert(0);
        // CrashLoopBackOff: the first exit restarts at once; the k-th waits 10 s * 2^(k-1),
        // announced by a BackOff event; restartCount counts each restart.
        let delay = if *k == 0 {
            0.0
        } else {
            let backoff = trace
                .iter()
                .find(|e| reason(e) == "BackOff" && name(e) == pod && time(e) == time(d))
                .unwrap_or_else(|| panic!("{pod}: no BackOff after crash {k}"));
            backoffs += 1;
            assert_eq!(value(backoff), 10 << (*k - 1));
            (10 << (*k - 1)) as f64
        };
        *k += 1;
        let restarted = trace
            .iter()
            .find(|e| reason(e) == "Started" && name(e) == pod && value(e) == *k as i64)
            .unwrap_or_else(|| panic!("{pod}: restart {k} missing"));
        assert!((time(restarted) - time(d) - delay).abs() < 1e-3);
    }
    assert!(backoffs > 0, "no pod reached CrashLoopBackOff");
    // Converged: every pod Ready again, and no crash after the faults stopped.
    let mut last = HashMap::new();
    replay(&trace, "deployment-4-", |_, pods| last = pods.clone());
    assert_eq!((alive(&last), ready(&last)), (3, 3));
    let last_fault = time(pods_of("Ready").last().unwrap());
    assert!(died.iter().all(|d| time(d) < last_fault));
}
