//! The kubelet: a minimal kubelet's action table, failed starts retried 2/4/8 s, container
//! restarts under CrashLoopBackOff (10 s doubling to 300 s, reset after 10 minutes running),
//! and node heartbeats watched by the node lifecycle controller.

mod world;

use kuberack_core::world::events::EventKind;
use kuberack_core::world::{
    crash_loop_backoff, ContainerState, DeploymentSpec, PodState, World, NODE_MONITOR_GRACE_PERIOD,
};
use world::{events, pool, run};

const TAG: u32 = 3;

fn one_replica(seed: u64) -> World {
    let mut w = world::world(seed);
    w.apply_node_pool(1, pool(1, 8));
    w.apply_deployment(TAG, DeploymentSpec::new(1, 100, 64));
    run(&mut w, 20.0);
    assert_eq!(w.deployment(TAG).unwrap().ready, 1);
    w
}

fn set_fault(w: &mut World, fault: bool) {
    let spec = w.deployment(TAG).unwrap().spec;
    w.apply_deployment(TAG, DeploymentSpec { fault, ..spec });
}

#[test]
fn crash_loop_backoff_restarts_at_once_then_waits_ten_seconds_doubling_to_five_minutes() {
    let mut entry = 0.0;
    let mut delays = Vec::new();
    for _ in 0..8 {
        let (delay, next) = crash_loop_backoff(entry, 1.0);
        delays.push(delay);
        entry = next;
    }
    assert_eq!(delays, [0.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0]);
    // More than ten minutes of running: the entry has expired, as if it never crashed.
    assert_eq!(crash_loop_backoff(300.0, 600.5), (0.0, 10.0));
    assert_eq!(crash_loop_backoff(300.0, 599.0), (300.0, 300.0));
}

#[test]
fn a_crashing_container_restarts_in_place_under_crash_loop_backoff() {
    let mut w = one_replica(1);
    let uid = w.deployment_pods(TAG).next().unwrap().meta.uid;
    let start = w.revision();
    set_fault(&mut w, true);
    run(&mut w, 1000.0);
    let mine = |kind| -> Vec<(f64, i64)> {
        events(&w, kind)
            .iter()
            .filter(|e| e.revision > start && e.object.id == uid)
            .map(|e| (e.time, e.value))
            .collect()
    };
    let backoffs: Vec<i64> = mine(EventKind::BackOff).iter().map(|b| b.1).collect();
    assert_eq!(&backoffs[..7], &[10, 20, 40, 80, 160, 300, 300]);
    // The first restart comes at once; each later one a back-off after the exit, and each
    // counts in restartCount.
    let died = mine(EventKind::ContainerDied);
    let started = mine(EventKind::PodRunning);
    for i in 0..7 {
        assert_eq!(died[i].1, 1, "exit code");
        let waited = started[i].0 - died[i].0;
        let want = if i == 0 { 0.0 } else { backoffs[i - 1] as f64 };
        assert!(
            (waited - want).abs() < 1e-6,
            "restart {i}: {waited} vs {want}"
        );
        assert_eq!(started[i].1, i as i64 + 1, "restartCount");
    }
    // Still the same pod: Running phase, not Ready, restarted in place.
    let pod = w.deployment_pods(TAG).next().unwrap();
    assert_eq!(pod.meta.uid, uid);
    assert_eq!(pod.state, PodState::Running);
    assert!(!pod.ready);
    assert!(pod.restarts >= 7);
    assert_eq!(w.deployment(TAG).unwrap().ready, 0);
}

#[test]
fn the_backoff_resets_after_ten_minutes_of_running() {
    let mut w = one_replica(2);
    set_fault(&mut w, true);
    run(&mut w, 200.0); // restarts after 0, 10, 20, 40, 80 s: the next waits 160 s
    set_fault(&mut w, false);
    run(&mut w, 400.0); // restarted, and running cleanly
    assert_eq!(w.deployment(TAG).unwrap().ready, 1);
    let last = |w: &World| events(w, EventKind::BackOff).last().unwrap().value;
    assert_eq!(last(&w), 160);
    // Under ten minutes of running: the next crash doubles on.
    set_fault(&mut w, true);
    run(&mut w, 2.0);
    assert_eq!(last(&w), 300);
    set_fault(&mut w, false);
    run(&mut w, 300.0 + 700.0);
    assert_eq!(w.deployment(TAG).unwrap().ready, 1);
    // More than ten minutes of running: restarted at once, then 10 s again.
    let crash = w.revision();
    set_fault(&mut w, true);
    run(&mut w, 5.0);
    let after = |kind| -> Vec<(f64, i64)> {
        events(&w, kind)
            .iter()
            .filter(|e| e.revision > crash)
            .map(|e| (e.time, e.value))
            .collect()
    };
    let died = after(EventKind::ContainerDied);
    let started = after(EventKind::PodRunning);
    assert!((started[0].0 - died[0].0).abs() < 1e-9, "restarted at once");
    assert_eq!(after(EventKind::BackOff)[0].1, 10);
}

#[test]
fn a_failed_start_is_retried_after_2_4_and_8_seconds_then_the_pod_fails() {
    let mut w = world::world(3);
    w.apply_node_pool(1, pool(1, 8));
    let spec = DeploymentSpec {
        fault: true,
        ..DeploymentSpec::new(1, 100, 64)
    };
    w.apply_deployment(TAG, spec);
    run(&mut w, 30.0);
    let first = events(&w, EventKind::PodCreated)[0].object;
    let failures: Vec<f64> = events(&w, EventKind::FailedStart)
        .iter()
        .filter(|e| e.object == first)
        .map(|e| e.time)
        .collect();
    assert_eq!(failures.len(), 4);
    let gaps: Vec<f64> = failures.windows(2).map(|w| w[1] - w[0]).collect();
    for (gap, want) in gaps.iter().zip([2.0, 4.0, 8.0]) {
        assert!((gap - want).abs() < 1e-6, "{gaps:?}");
    }
    let failed = events(&w, EventKind::PodFailed);
    assert_eq!(failed[0].object, first);
    assert!((failed[0].time - failures[3]).abs() < 1e-9);
    // The ReplicaSet replaces the failed pod; it fails too while FAULT holds.
    assert!(events(&w, EventKind::PodCreated).len() >= 2);
    // FAULT released: a replacement starts and becomes Ready.
    w.apply_deployment(
        TAG,
        DeploymentSpec {
            fault: false,
            ..spec
        },
    );
    run(&mut w, 40.0);
    assert_eq!(w.deployment(TAG).unwrap().ready, 1);
}

#[test]
fn a_container_gone_sends_the_pod_back_to_pending_and_is_created_again() {
    let mut w = one_replica(4);
    let (index, _) = w
        .pods()
        .find(|(_, p)| p.owner == TAG && p.is_active())
        .unwrap();
    assert!(w.remove_container(index));
    let pod = w.pod(index).unwrap();
    assert_eq!(pod.state, PodState::ContainerCreating);
    assert_eq!(pod.container, ContainerState::Waiting);
    assert!(!pod.ready);
    assert_eq!(w.deployment(TAG).unwrap().ready, 0);
    run(&mut w, 20.0);
    let pod = w.pod(index).unwrap();
    assert_eq!(
        (pod.state, pod.ready, pod.restarts),
        (PodState::Running, true, 1)
    );
    assert_eq!(w.deployment(TAG).unwrap().ready, 1);
    assert!(!w.remove_container(9999));
}

#[test]
fn a_silent_node_is_not_ready_after_the_grace_period_and_ready_when_it_speaks() {
    let mut w = one_replica(5);
    let (node, _) = w.nodes().next().unwrap();
    let silent_at = w.time();
    w.stop_kubelet(node);
    run(&mut w, NODE_MONITOR_GRACE_PERIOD - 0.5);
    assert!(w.node(node).unwrap().ready);
    run(&mut w, 1.0);
    assert!(!w.node(node).unwrap().ready);
    let not_ready = events(&w, EventKind::NodeNotReady);
    assert_eq!(not_ready.len(), 1);
    let after = not_ready[0].time - silent_at;
    assert!((after - NODE_MONITOR_GRACE_PERIOD).abs() < 0.011, "{after}");
    // The not-ready taint keeps new pods off it.
    w.apply_deployment(TAG, DeploymentSpec::new(2, 100, 64));
    run(&mut w, 10.0);
    assert_eq!(w.pending_pods(), 1);
    // Back: Ready again, the pending pod is placed and starts.
    w.start_kubelet(node);
    run(&mut w, 20.0);
    assert!(w.node(node).unwrap().ready);
    assert_eq!(w.deployment(TAG).unwrap().ready, 2);
}

#[test]
fn a_silent_kubelet_leaves_its_pods_as_they_were_until_it_returns() {
    let mut w = world::world(6);
    w.apply_node_pool(1, pool(1, 8));
    w.apply_deployment(TAG, DeploymentSpec::new(2, 100, 64));
    run(&mut w, 0.5);
    let (node, _) = w.nodes().next().unwrap();
    // Pods bound but not started when the kubelet goes silent stay so.
    w.step(1.0);
    w.stop_kubelet(node);
    let ready_before = w.deployment(TAG).unwrap().ready;
    run(&mut w, 60.0);
    assert_eq!(w.deployment(TAG).unwrap().ready, ready_before);
    w.start_kubelet(node);
    run(&mut w, 20.0);
    assert_eq!(w.deployment(TAG).unwrap().ready, 2);
}

#[test]
fn graceful_termination_waits_for_the_containers_within_the_grace_period() {
    let mut w = one_replica(7);
    w.apply_deployment(TAG, DeploymentSpec::new(0, 100, 64));
    w.step(0.001);
    let pod = w.deployment_pods(TAG).next().unwrap();
    assert!(pod.terminating && !pod.ready);
    run(&mut w, 31.0);
    assert_eq!(w.deployment_pods(TAG).count(), 0);
    let killing = events(&w, EventKind::PodTerminating)[0].time;
    let deleted = events(&w, EventKind::PodDeleted)[0].time;
    assert!(deleted - killing > 0.0 && deleted - killing <= 30.0);
}
