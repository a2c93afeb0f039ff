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
//!
//! `devices.patch.json` is a CLUSTER (WARP 10x), a timer pool with `deployment-3` (12 pods)
//! whose twelfth Ready pod submits two JOBs once, and `nodepool-4` (two nodes) whose DEVICES
//! declares fire, 8 mana and one well per node. `job-0` (the first JOB) runs three 20 s pods,
//! each claiming one fire well with 8 mana, exclusively; `job-1` runs one pod claiming two
//! wells, which no node has.
//!
//! `kueue-fair-sharing.patch.json` is a CLUSTER with Kueue fair sharing on, a NODE (8 cores)
//! and three CLUSTERQUEUEs chained into one cohort: `lender` (4 cores) and teams A and B (1
//! core each; B's fairSharing.weight 2). A one-pod timer `deployment-3` submits the lender's
//! JOB once (6 pods of 1 core, 20 s); while it runs, its RUNNING gate scales `deployment-8`
//! to ten pods, each of which, once Ready, submits a 2-core JOB to A and one to B.
//!
//! `forge-queue.patch.json` is a CLUSTER, a NODE pool (2 x 8 cores), a CLUSTERQUEUE of the
//! fire, frost and arcane flavors (6 mana each, BestEffortFIFO, withinClusterQueue
//! LowerPriority) and two ENCHANTMENTs on its QUEUE: every Ready pod of the timer
//! `deployment-4` forges a Common item (four at most at once), its twelfth Ready pod a
//! Legendary one — the God-slayer Elemental Blade with seed 1. The pool has no DEVICES, so
//! no node offers mana and the essence pods wait unschedulable: the patch shows only Kueue's
//! side — admission by quota and the Blade preempting the Commons — not the forging
//! (`forge-cluster.patch.json` forges).
//!
//! `taints-tolerations.patch.json` is a CLUSTER and three NODE pools of two nodes each, their
//! labels and taints typed as text: `node-2` (`gpu=true, disk=ssd`, taint
//! `dedicated=gpu:NoSchedule`), `node-3` (`disk=hdd`, taint `soft=yes:PreferNoSchedule`) and
//! `node-4` (`disk=hdd`, untainted). `deployment-5` (4 pods) tolerates
//! `dedicated=gpu:NoSchedule` and selects `gpu=true`; `deployment-6` selects `gpu=true`
//! without the toleration; `deployment-7` tolerates only `soft=yes:NoSchedule`;
//! `deployment-8` (4 pods) tolerates `soft=yes:PreferNoSchedule` and requires
//! `disk notin (ssd)`.

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
    play_path(&fixture(name), &common::scratch(name), seconds)
}

/// Plays a fixture with its saved JSON changed by `edit`, under the scratch name `label`.
fn play_edited(name: &str, label: &str, seconds: u32, edit: impl Fn(&mut Value)) -> Vec<Value> {
    let mut patch: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap();
    edit(&mut patch);
    let dir = common::scratch(label);
    let path = dir.join("patch.json");
    std::fs::write(&path, serde_json::to_string(&patch).unwrap()).unwrap();
    play_path(&path, &dir, seconds)
}

/// Plays `patch`, writing its trace into `dir`.
fn play_path(patch: &std::path::Path, dir: &std::path::Path, seconds: u32) -> Vec<Value> {
    let events = dir.join("events.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_kuberack"))
        .arg("play")
        .arg(patch)
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
    // Removing the node's lower-priority pods would still leave too little cpu: the dry run
    // reports the filter's reason for the node.
    for e in pod_events("FailedScheduling", replacement) {
        assert_eq!(
            e["message"],
            "0/1 nodes are available: 1 Insufficient cpu. no new claims to deallocate, \
             preemption: 0/1 nodes are available: 1 Insufficient cpu."
        );
    }
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

/// Kueue fair sharing by weight: `lender`'s 6-core Job holds the whole cohort (4 + 1 + 1
/// cores) while teams A (weight 1) and B (weight 2) queue 2-core Jobs (A: 2 pods of 1 core,
/// B: 1 pod of 2 cores). When it finishes, the 6 cores are shared by weighted share: B,
/// which counts its borrowing at half, gets two workloads and A one. With fair sharing off
/// (the same patch, `kueue.fairSharing` false) the older workload goes first: A gets two.
#[test]
fn fair_sharing_splits_a_cohort_by_weight() {
    let patch = "kueue-fair-sharing.patch.json";
    let fair = play(patch, 45);
    let classical = play_edited(patch, "kueue-classical", 45, |p| {
        p["modules"][0]["data"]["kueue"]["fairSharing"] = Value::Bool(false);
    });
    // (team A, team B) workloads admitted the moment the lender's workload finishes.
    let split = |trace: &[Value]| {
        let team_a: Vec<&str> = trace
            .iter()
            .filter(|e| reason(e) == "JobCreated" && e["value"] == 2)
            .map(name)
            .collect();
        let freed = trace
            .iter()
            .find(|e| reason(e) == "Finished" && name(e).starts_with("job-job-0-"))
            .map(time)
            .expect("the lender's Job finished");
        let mut wls = Vec::new();
        for e in trace.iter().filter(|e| e["kind"] == "Workload") {
            if reason(e) == "Admitted" && (time(e) - freed).abs() < 1e-6 {
                let job = name(e)["job-".len()..].rsplit_once('-').unwrap().0;
                wls.push(team_a.contains(&job));
            }
        }
        let a = wls.iter().filter(|&&a| a).count();
        (a, wls.len() - a)
    };
    assert_eq!(
        split(&fair),
        (1, 2),
        "B's weight 2 lets it borrow 3 cores to A's 1"
    );
    assert_eq!(
        split(&classical),
        (2, 1),
        "without fair sharing the older goes first"
    );
    // Nothing is preempted (reclaimWithinCohort Never) and the cohort's 6 cores are never
    // exceeded: every workload asks for 2 cores, the lender's for 6.
    for trace in [&fair, &classical] {
        assert!(!trace.iter().any(|e| reason(e) == "Preempted"));
        let mut cores = 0;
        for e in trace.iter().filter(|e| e["kind"] == "Workload") {
            let size = if name(e).starts_with("job-job-0-") {
                6
            } else {
                2
            };
            cores += match reason(e) {
                "Admitted" => size,
                "Finished" => -size,
                _ => 0,
            };
            assert!(cores <= 6, "{cores} cores admitted at {e}");
        }
    }
}

#[test]
fn device_claims_take_the_wells_in_turn_and_an_unsatisfiable_claim_waits() {
    let trace = play("devices.patch.json", 30);
    let of = |r: &str, n: &str| -> Vec<&Value> {
        trace
            .iter()
            .filter(|e| reason(e) == r && name(e).starts_with(n))
            .collect()
    };
    let all_claims_refused = |e: &&Value| {
        e["message"]
            == "0/3 nodes are available: 3 cannot allocate all claims. still not schedulable, \
                    preemption: 0/3 nodes are available: \
                    3 Preemption is not helpful for scheduling."
    };
    // Two pods take a node's well each; the third waits until one of them is done.
    let scheduled = of("Scheduled", "job-0-");
    assert_eq!(scheduled.len(), 3);
    let nodes: Vec<&str> = scheduled
        .iter()
        .map(|e| e["node"].as_str().unwrap())
        .collect();
    assert!(nodes.iter().all(|n| n.starts_with("node-4-")), "{nodes:?}");
    assert_ne!(nodes[0], nodes[1]);
    let third = name(scheduled[2]);
    let waits: Vec<&Value> = of("FailedScheduling", third);
    assert!(!waits.is_empty());
    assert!(waits.iter().all(all_claims_refused));
    assert!(time(scheduled[2]) - time(scheduled[0]) >= 20.0);
    // Two wells on one node: no node, so the pod never binds.
    assert!(of("Scheduled", "job-1-").is_empty());
    let refused = of("FailedScheduling", "job-1-");
    assert!(refused.len() > 1);
    assert!(refused.iter().all(all_claims_refused));
}

#[test]
fn the_forge_legendary_blade_preempts_the_common_items_in_its_queue() {
    let trace = play("forge-queue.patch.json", 10);
    let forge: Vec<(&str, &str, &str, f64)> = trace
        .iter()
        .filter(|e| e["kind"] == "Enchantment")
        .map(|e| {
            let message = e["message"].as_str().unwrap();
            (reason(e), name(e), message, time(e))
        })
        .collect();
    let created: Vec<_> = forge
        .iter()
        .filter(|f| f.0 == "EnchantmentScheduled")
        .collect();
    // Twelve triggers to the Common forge, four Enchantments at most; then the Blade.
    assert_eq!(created.len(), 5, "{created:?}");
    assert!(created[..4].iter().all(|f| f.2.contains("(common:")));
    let blade = created[4];
    assert_eq!(
        blade.2,
        "God-slayer Elemental Blade (legendary: fire 6, frost 5, arcane 4)"
    );
    // Every Common lost a Job to the Blade and went Requeued (from Enchanting, or from
    // Scheduled when one of its Jobs was still waiting for quota); none was before.
    let mut enchanting_before = 0;
    for common in &created[..4] {
        let phases: Vec<(&str, f64)> = forge
            .iter()
            .filter(|f| f.1 == common.1)
            .map(|f| (f.0, f.3))
            .collect();
        enchanting_before += phases
            .iter()
            .filter(|p| p.0 == "Enchanting" && p.1 < blade.3)
            .count();
        let requeued = phases.iter().find(|p| p.0 == "EnchantmentRequeued");
        assert!(requeued.is_some_and(|r| r.1 >= blade.3), "{phases:?}");
    }
    assert!(enchanting_before >= 2, "the Commons held the mana");
    // Kueue preempted within the ClusterQueue, and the Blade's Jobs were all admitted.
    let preempted: Vec<&Value> = trace
        .iter()
        .filter(|e| reason(e) == "Preempted" && e["kind"] == "Workload")
        .collect();
    assert!(!preempted.is_empty());
    assert!(preempted
        .iter()
        .all(|e| e["message"] == "InClusterQueue" && time(e) >= blade.3));
    assert!(forge
        .iter()
        .any(|f| f.1 == blade.1 && f.0 == "Enchanting" && f.3 >= blade.3));
}

/// The forge on a whole cluster (`forge-cluster.patch.json`, also `patches/forge.vcv`): three
/// NODE pools made fire, frost and arcane by DEVICES (6, 8 and 8 mana per node), an AUTOSCALER
/// on the fire pool, a CLUSTERQUEUE of the three essence flavors (8 mana each, withinClusterQueue
/// LowerPriority) in a cohort with a batch CLUSTERQUEUE fed by a JOB, and two ENCHANTMENTs:
/// four Common items, then the God-slayer Elemental Blade. Mana is short, so the Blade preempts
/// Commons, which show Requeued; its fire pod needs a fresh fire node, which the autoscaler
/// adds; everything is forged, and the idle fire node drains away.
#[test]
fn the_forge_cluster_preempts_scales_and_forges_everything() {
    let trace = play("forge-cluster.patch.json", 30);
    let of = |r: &str, kind: &str| -> Vec<&Value> {
        trace
            .iter()
            .filter(|e| reason(e) == r && e["kind"] == kind)
            .collect()
    };
    let scheduled = of("EnchantmentScheduled", "Enchantment");
    assert_eq!(scheduled.len(), 5);
    let blade = scheduled[4];
    assert_eq!(
        blade["message"],
        "God-slayer Elemental Blade (legendary: fire 6, frost 5, arcane 4)"
    );
    // The Blade's admission preempts Commons' Jobs, and those Commons are Requeued.
    let preempted = of("Preempted", "Workload");
    assert!(preempted.len() >= 2, "{preempted:?}");
    assert!(preempted
        .iter()
        .all(|e| e["message"] == "InClusterQueue" && (time(e) - time(blade)).abs() < 0.5));
    let requeued: Vec<&str> = of("EnchantmentRequeued", "Enchantment")
        .iter()
        .map(|e| name(e))
        .collect();
    assert!(!requeued.is_empty());
    // Every item is forged; the requeued Commons after their requeue.
    let forged = of("Forged", "Enchantment");
    for s in &scheduled {
        let f = forged.iter().find(|f| name(f) == name(s));
        assert!(f.is_some(), "{} never forged", name(s));
        if requeued.contains(&name(s)) {
            assert!(time(f.unwrap()) > time(blade));
        }
    }
    // The Blade's 6 fire do not fit beside the Commons on the one 6-mana fire node: the
    // autoscaler adds a node after the Blade arrives, and drains one once all is forged.
    let ups = of("TriggeredScaleUp", "NodePool");
    assert!(ups.iter().any(|e| time(e) > time(blade)), "{ups:?}");
    let last_forged = forged.iter().map(|e| time(e)).fold(0.0, f64::max);
    let downs = of("ScaleDown", "Node");
    assert!(
        downs.iter().any(|e| time(e) > last_forged - 30.0),
        "{downs:?}"
    );
    // The batch JOB's eight Jobs (job-0 .. job-7, submitted before any forge) go through
    // their own ClusterQueue meanwhile, four cores at a time.
    let batch: Vec<&Value> = of("Admitted", "Workload")
        .into_iter()
        .filter(|e| {
            let job = name(e)["job-job-".len()..].split('-').next().unwrap();
            job.parse::<u32>().unwrap() < 8
        })
        .collect();
    assert_eq!(batch.len(), 8, "{batch:?}");
    assert!(batch[..4].iter().all(|e| time(e) < 1.0));
    assert!(batch[4..].iter().all(|e| time(e) > 20.0));
}

/// The nodes each Deployment's pods were scheduled to (by pool prefix, `node-3`), and the
/// pods that failed scheduling.
fn placements(trace: &[Value], deployment: &str) -> (Vec<String>, usize) {
    let pods = trace
        .iter()
        .filter(|e| e["kind"] == "Pod" && name(e).starts_with(deployment));
    let mut nodes = Vec::new();
    let mut failed = 0;
    for e in pods {
        match reason(e) {
            "Scheduled" => {
                let node = e["node"].as_str().unwrap();
                nodes.push(node[..node.rfind('-').unwrap()].to_string());
            }
            "FailedScheduling" => failed += 1,
            _ => {}
        }
    }
    (nodes, failed)
}

#[test]
fn typed_taints_and_tolerations_decide_where_pods_land() {
    let trace = play("taints-tolerations.patch.json", 10);
    // A toleration `dedicated=gpu:NoSchedule` of the NODE's taint `dedicated=gpu:NoSchedule`,
    // with the nodeSelector `gpu=true`: every pod lands on the gpu pool.
    let (nodes, _) = placements(&trace, "deployment-5-");
    assert_eq!(nodes, ["node-2"; 4]);
    // Without the toleration the gpu nodes are refused, and no other node has the label.
    let (nodes, failed) = placements(&trace, "deployment-6-");
    assert!(nodes.is_empty(), "{nodes:?}");
    assert!(failed >= 2);
    let message = trace
        .iter()
        .rfind(|e| reason(e) == "FailedScheduling" && name(e).starts_with("deployment-6-"))
        .unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(message.starts_with("0/6 nodes are available: 2 node(s) had untolerated taint"));
    assert!(message.contains("4 node(s) didn't match Pod's node affinity/selector"));
    // Tolerating `soft=yes` for NoSchedule only does not tolerate its PreferNoSchedule
    // taint in scoring: both pods go to the untainted pool.
    let (nodes, _) = placements(&trace, "deployment-7-");
    assert_eq!(nodes, ["node-4"; 2]);
    // Tolerating it for PreferNoSchedule makes the tainted pool as good: the least
    // allocated nodes take the pods, two on each pool; never the ssd pool.
    let (mut nodes, _) = placements(&trace, "deployment-8-");
    nodes.sort();
    assert_eq!(nodes, ["node-3", "node-3", "node-4", "node-4"]);
}

#[test]
fn without_the_toleration_the_typed_taint_keeps_every_pod_off() {
    let trace = play_edited(
        "taints-tolerations.patch.json",
        "taints-no-toleration",
        5,
        |patch| {
            for m in patch["modules"].as_array_mut().unwrap() {
                if m["id"] == 5555 {
                    m["data"]["scheduling"]["tolerations"] = "dedicated=cpu:NoSchedule".into();
                }
            }
        },
    );
    let (nodes, failed) = placements(&trace, "deployment-5-");
    assert!(nodes.is_empty(), "{nodes:?}");
    assert!(failed >= 4);
}
