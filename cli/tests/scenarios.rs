//! Scenario patches played by `kuberack play`, asserted on their event traces.
//!
//! Both patches are a CLUSTER (WARP 10x), one NODE pool (2 x 8 cores) and two DEPLOYMENTs:
//! `deployment-3` (12 replicas) plays the trigger for `deployment-4`, the one under test.
//! - `rolling-update.patch.json`: 3's READY CV reaches 1 V when its twelfth pod is Ready and
//!   fires 4's ROLLOUT once; 4 (4 replicas, maxSurge 25%, maxUnavailable 25%) rolls.
//! - `replicaset-faults.patch.json`: every pod of 3 that becomes Ready (BECAME_READY) pulses 4's
//!   FAULT: 4's running containers crash and the kubelet restarts them, at once the first
//!   time, then after its back-off.
//!
//! `autoscaler.patch.json` is a CLUSTER, a NODE pool (4 cores a node) sized by an
//! AUTOSCALER (minNodes 1, launch 10 s, init 2 s, windows 2 s up and 20 s down), a timer
//! `deployment-4` whose twelfth Ready pod submits a JOB once, and `deployment-6` (1 core a
//! pod) whose REPLICAS CV is the JOB's RUNNING gate: ten replicas while the Job's 60 s pod
//! runs, none after.
//!
//! `preemption.patch.json` is a CLUSTER, one node of 2 cores, a SCHEDULER (preemption on) and
//! three DEPLOYMENTs: `deployment-4` (priority class low, 3 x 600m) fills the node,
//! `deployment-6` (no priority, 12 x 10m) plays the timer: its READY CV reaches 1 V when its
//! twelfth pod is Ready and scales `deployment-5` (priority class high, 500m) to one replica,
//! which fits only if a low-priority pod goes.

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

/// CPU request, millicores, of the pods of each Deployment in the preemption patch.
fn preemption_cpu(pod: &str) -> u32 {
    match &pod[..12] {
        "deployment-4" => 600,
        "deployment-5" => 500,
        "deployment-6" => 10,
        other => panic!("unexpected pod of {other}"),
    }
}

#[test]
fn a_high_priority_pod_preempts_the_documented_victim() {
    let trace = play("preemption.patch.json", 8);
    let pod_events = |r: &str, prefix: &str| -> Vec<&Value> {
        trace
            .iter()
            .filter(|e| e["kind"] == "Pod" && reason(e) == r && name(e).starts_with(prefix))
            .collect()
    };
    // Exactly one preemption: one victim, of the low-priority Deployment.
    let preempted = pod_events("Preempted", "");
    assert_eq!(preempted.len(), 1, "one victim");
    let victim = name(preempted[0]);
    assert!(victim.starts_with("deployment-4-"), "victim {victim}");
    // DefaultPreemption removes every lower-priority pod from the node, then reprieves the
    // most important first (higher priority, then earlier status.startTime) while the
    // preemptor still fits: the two earliest-started low pods and every timer pod (10m each)
    // fit beside it, so the victim is the low pod the kubelet acknowledged last.
    let started_last = pod_events("ContainerCreating", "deployment-4-")
        .into_iter()
        .filter(|e| time(e) < time(preempted[0]))
        .max_by(|a, b| time(a).total_cmp(&time(b)))
        .unwrap();
    assert_eq!(victim, name(started_last));
    // The preemptor is nominated to the victim's node, waits for the victim's graceful
    // deletion, and is then bound there.
    let preempting = pod_events("Preempting", "");
    assert_eq!(preempting.len(), 1);
    let preemptor = name(preempting[0]);
    assert!(preemptor.starts_with("deployment-5-"));
    assert_eq!(preempting[0]["node"], preempted[0]["node"]);
    assert!(value(preempted[0]) > 0, "the preemptor's uid is recorded");
    let victim_gone = pod_events("PodDeleted", victim);
    assert_eq!(victim_gone.len(), 1);
    let bound = pod_events("Scheduled", preemptor);
    assert_eq!(bound.len(), 1);
    assert_eq!(bound[0]["node"], preempting[0]["node"]);
    assert!(time(bound[0]) >= time(victim_gone[0]));
    assert_eq!(pod_events("Ready", preemptor).len(), 1);
    // The ReplicaSet replaces its victim, but a low-priority pod cannot preempt a higher
    // one: the replacement stays unschedulable.
    let replacement: Vec<&Value> = pod_events("PodCreated", "deployment-4-")
        .into_iter()
        .filter(|e| time(e) >= time(preempted[0]))
        .collect();
    assert_eq!(replacement.len(), 1);
    let replacement = name(replacement[0]);
    assert!(pod_events("Scheduled", replacement).is_empty());
    assert!(pod_events("FailedScheduling", replacement)
        .iter()
        .all(|e| e["message"] == "0/1 nodes are available: 1 Insufficient cpu."));
    // The node is never over-committed: bound pods' requests stay within its 2 cores, until
    // a pod's deletion completes.
    let mut bound_cpu: HashMap<String, u32> = HashMap::new();
    for e in &trace {
        if e["kind"] != "Pod" {
            continue;
        }
        match reason(e) {
            "Scheduled" => {
                bound_cpu.insert(name(e).to_string(), preemption_cpu(name(e)));
            }
            "PodDeleted" => {
                bound_cpu.remove(name(e));
            }
            _ => {}
        }
        let total: u32 = bound_cpu.values().sum();
        assert!(total <= 2000, "{total}m bound at {}", e["revision"]);
    }
}

#[test]
fn an_autoscaler_grows_the_pool_for_pending_pods_and_drains_it_when_idle() {
    let trace = play("autoscaler.patch.json", 40);
    let of = |r: &str, n: &str| -> Vec<&Value> {
        trace
            .iter()
            .filter(|e| reason(e) == r && name(e).starts_with(n))
            .collect()
    };
    // minNodes: one claim at once, no window.
    let ups = of("TriggeredScaleUp", "nodepool-2");
    assert_eq!(ups.iter().map(|e| value(e)).collect::<Vec<_>>(), [1, 2]);
    assert!(time(ups[0]) < 0.1);
    // Ten 1-core pods, three fit on the first node: two more nodes, after the 2 s window.
    let scaled = of("DeploymentScaled", "deployment-6");
    assert_eq!(value(scaled[0]), 10);
    let unschedulable = of("FailedScheduling", "deployment-6-");
    let first_unschedulable = time(unschedulable[0]);
    assert!(time(ups[1]) - first_unschedulable >= 2.0);
    // Each claim: Registered 10 s after Launched, Initialized 2 s or more after that.
    for claim in ["node-2-1", "node-2-2"] {
        let launched = time(of("Launched", claim)[0]);
        let registered = time(of("Registered", claim)[0]);
        let initialized = time(of("Initialized", claim)[0]);
        assert!((registered - launched - 10.0).abs() < 0.01, "{claim}");
        assert!(initialized - registered >= 2.0 - 1e-9, "{claim}");
    }
    // Every pod runs once the nodes are up.
    let ready: Vec<&Value> = of("Ready", "deployment-6-");
    assert_eq!(ready.len(), 10);
    // The Job ends, the Deployment goes to zero; the idle nodes drain after the 20 s window,
    // one per look, and the pool keeps its minNode.
    let idle = time(of("Completed", "job-0")[0]);
    let downs = of("ScaleDown", "node-2-");
    assert_eq!(downs.len(), 2);
    assert!(time(downs[0]) - idle >= 20.0);
    assert!(time(downs[1]) > time(downs[0]));
    let deleted: Vec<&str> = of("NodeDeleted", "node-2-")
        .iter()
        .map(|e| name(e))
        .collect();
    let drained: Vec<&str> = downs.iter().map(|e| name(e)).collect();
    assert_eq!(deleted, drained);
    assert!(
        !drained.contains(&"node-2-0"),
        "the first node stays: minNodes"
    );
}

/// Two teams' ClusterQueues in one cohort (2 cores of quota each, reclaimWithinCohort Any):
/// team A's four 1-core Jobs start at once, borrowing team B's idle quota; each team-A Job
/// that starts submits a team-B Job, which reclaims its quota by preempting the newest
/// borrowing team-A workload.
#[test]
fn a_cohort_lends_idle_quota_and_reclaims_it() {
    let trace = play("kueue-cohort.patch.json", 14);
    let workloads: Vec<&Value> = trace.iter().filter(|e| e["kind"] == "Workload").collect();
    let team_a = |w: &str| {
        ["job-job-0-", "job-job-1-", "job-job-2-", "job-job-3-"]
            .iter()
            .any(|p| w.starts_with(p))
    };
    // All four of team A admitted before team B has a Job: two of them borrow.
    let first_b = trace
        .iter()
        .position(|e| reason(e) == "JobCreated" && name(e) == "job-4")
        .expect("team B submitted");
    let early: Vec<&str> = trace[..first_b]
        .iter()
        .filter(|e| reason(e) == "Admitted")
        .map(name)
        .collect();
    assert_eq!(early.len(), 4, "{early:?}");
    assert!(early.iter().all(|w| team_a(w)));
    // Every preemption reclaims a borrowing team-A workload for a team-B one admitted at the
    // same moment, and the victim's Job is suspended.
    let preempted: Vec<&&Value> = workloads
        .iter()
        .filter(|e| reason(e) == "Preempted")
        .collect();
    assert!(preempted.len() >= 2, "{preempted:?}");
    for p in &preempted {
        assert!(team_a(name(p)), "{p}");
        assert_eq!(p["message"], "InCohortReclamation");
        let t = time(p);
        assert!(workloads
            .iter()
            .any(|e| reason(e) == "Admitted" && !team_a(name(e)) && (time(e) - t).abs() < 1e-6));
        let job = name(p)["job-".len()..].rsplit_once('-').unwrap().0;
        assert!(trace
            .iter()
            .any(|e| reason(e) == "Suspended" && name(e) == job && (time(e) - t).abs() < 1e-6));
    }
    // Quota: never more than the cohort's 4 cores admitted, team B never beyond its own 2.
    let (mut all, mut b) = (0i32, 0i32);
    for e in &workloads {
        let delta = match reason(e) {
            "Admitted" => 1,
            "Finished" | "EvictedDueToPreempted" => -1,
            _ => 0,
        };
        all += delta;
        if !team_a(name(e)) {
            b += delta;
        }
        assert!(all <= 4 && b <= 2, "{all} admitted ({b} of team B) at {e}");
    }
    // The evicted workloads come back: each team-A workload finally runs to completion or
    // is admitted again.
    for p in &preempted {
        let again = workloads
            .iter()
            .any(|e| reason(e) == "Admitted" && name(e) == name(p) && time(e) > time(p));
        assert!(again, "{} never readmitted", name(p));
    }
}
