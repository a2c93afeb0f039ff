//! Scenario tests of the world's controllers, scheduler and kubelets.

use super::events::EventKind;
use super::*;

fn world() -> World {
    World::new(WorldConfig {
        seed: 7,
        max_pods: 512,
        max_nodes: 64,
        event_capacity: 4096,
    })
}

fn pool(count: u32, cores: u32) -> NodePoolSpec {
    NodePoolSpec {
        count,
        cpu_m: cores * 1000,
        memory_mib: 16 * 1024,
        pods: 110,
        cordoned: false,
        ..Default::default()
    }
}

fn deploy(replicas: u32, cpu_m: u32) -> DeploymentSpec {
    DeploymentSpec::new(replicas, cpu_m, 256)
}

fn run(w: &mut World, seconds: f64) {
    let steps = (seconds / 0.01) as usize;
    for _ in 0..steps {
        w.step(0.01);
    }
}

fn count(w: &World, kind: EventKind) -> usize {
    w.events().since(0).1.filter(|e| e.kind == kind).count()
}

fn running_ready(w: &World, tag: u32) -> usize {
    w.deployment_pods(tag)
        .filter(|p| p.ready && p.is_active())
        .count()
}

#[test]
fn deployment_converges_through_the_whole_lifecycle() {
    let mut w = world();
    w.apply_node_pool(1, pool(1, 4));
    w.apply_deployment(2, deploy(3, 250));
    run(&mut w, 15.0);
    assert_eq!(running_ready(&w, 2), 3);
    assert_eq!(w.deployment(2).unwrap().ready, 3);
    for kind in [
        EventKind::PodCreated,
        EventKind::PodScheduled,
        EventKind::PodContainerCreating,
        EventKind::PodRunning,
        EventKind::PodReady,
    ] {
        assert_eq!(count(&w, kind), 3, "{kind:?}");
    }
    // Each pod went through the phases in order.
    for pod in w.deployment_pods(2) {
        let name = pod.name();
        let kinds: Vec<EventKind> = w
            .events()
            .since(0)
            .1
            .filter(|e| e.object == name)
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            &kinds[kinds.len() - 4..],
            &[
                EventKind::PodScheduled,
                EventKind::PodContainerCreating,
                EventKind::PodRunning,
                EventKind::PodReady
            ]
        );
    }
    // Revisions are consecutive and every write is in the log.
    let revs: Vec<u64> = w.events().since(0).1.map(|e| e.revision).collect();
    assert_eq!(revs, (1..=w.revision()).collect::<Vec<_>>());
}

#[test]
fn pods_wait_for_the_node_to_become_ready() {
    let mut w = world();
    w.apply_node_pool(1, pool(1, 4));
    w.apply_deployment(2, deploy(1, 100));
    w.step(0.01);
    let failed = w
        .events()
        .since(0)
        .1
        .find(|e| e.kind == EventKind::PodFailedScheduling)
        .copied();
    let failed = failed.expect("the node is not Ready yet");
    assert_eq!(
        w.events().to_json(&failed)["message"],
        "0/1 nodes are available: 1 node(s) had untolerated taint(s). \
         no new claims to deallocate, preemption: 0/1 nodes are available: \
         1 Preemption is not helpful for scheduling."
    );
    run(&mut w, 10.0);
    assert_eq!(running_ready(&w, 2), 1);
}

#[test]
fn over_capacity_runs_what_fits_and_reports_insufficient_cpu() {
    let mut w = world();
    w.apply_node_pool(1, pool(1, 4));
    w.apply_deployment(2, deploy(10, 1000));
    run(&mut w, 20.0);
    assert_eq!(running_ready(&w, 2), 4);
    assert_eq!(w.pending_pods(), 6);
    let last_fail = w
        .events()
        .since(0)
        .1
        .filter(|e| e.kind == EventKind::PodFailedScheduling)
        .last()
        .map(|e| w.events().to_json(e))
        .unwrap();
    assert_eq!(
        last_fail["message"],
        "0/1 nodes are available: 1 Insufficient cpu. no new claims to deallocate, \
         preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    );
    // Adding capacity requeues the unschedulable pods at once (a cluster event).
    w.apply_node_pool(3, pool(2, 4));
    run(&mut w, 20.0);
    assert_eq!(running_ready(&w, 2), 10);
    assert_eq!(w.pending_pods(), 0);
}

#[test]
fn unschedulable_backoff_doubles_to_ten_seconds() {
    assert_eq!(scheduler::backoff_duration(1), 1.0);
    assert_eq!(scheduler::backoff_duration(2), 2.0);
    assert_eq!(scheduler::backoff_duration(4), 8.0);
    assert_eq!(scheduler::backoff_duration(5), 10.0);
    assert_eq!(scheduler::backoff_duration(60), 10.0);
    // A pod that became unschedulable while backing off waits out its backoff after a
    // cluster change rather than being retried at once.
    let mut w = world();
    w.apply_node_pool(1, pool(1, 1));
    run(&mut w, 5.0);
    w.apply_deployment(2, deploy(2, 800));
    run(&mut w, 0.05);
    let first_fail = w
        .events()
        .since(0)
        .1
        .find(|e| e.kind == EventKind::PodFailedScheduling)
        .unwrap()
        .time;
    w.apply_node_pool(3, pool(1, 1));
    run(&mut w, 0.3);
    let scheduled_after: Vec<f64> = w
        .events()
        .since(0)
        .1
        .filter(|e| e.kind == EventKind::PodScheduled && e.time > first_fail)
        .map(|e| e.time)
        .collect();
    assert!(
        scheduled_after.is_empty(),
        "retried during backoff: {scheduled_after:?}"
    );
    run(&mut w, 3.0);
    assert_eq!(running_ready(&w, 2), 2);
}

#[test]
fn scale_down_deletes_pending_before_running_and_newest_first() {
    let mut w = world();
    w.apply_node_pool(1, pool(1, 2));
    w.apply_deployment(2, deploy(2, 1000));
    run(&mut w, 10.0);
    assert_eq!(running_ready(&w, 2), 2);
    w.apply_deployment(2, deploy(4, 1000));
    run(&mut w, 2.0);
    let pending: Vec<u64> = w
        .deployment_pods(2)
        .filter(|p| p.node == NONE)
        .map(|p| p.meta.uid)
        .collect();
    assert_eq!(pending.len(), 2);
    w.apply_deployment(2, deploy(1, 1000));
    w.step(0.01);
    // Both pending pods went first, then the newer of the two running ones.
    let running: Vec<&Pod> = w.deployment_pods(2).filter(|p| p.node != NONE).collect();
    assert_eq!(running.len(), 2);
    let (older, newer) = (running[0], running[1]);
    assert!(older.meta.uid < newer.meta.uid);
    assert!(!older.terminating);
    assert!(newer.terminating);
    assert!(w.deployment_pods(2).all(|p| p.node != NONE));
    // Graceful: the terminating pod still holds its node's resources until it exits.
    assert_eq!(
        w.node(w.pool_node(1, 0).unwrap()).unwrap().requested_cpu_m,
        2000
    );
    run(&mut w, 40.0);
    assert_eq!(w.deployment_pods(2).count(), 1);
    assert_eq!(
        w.node(w.pool_node(1, 0).unwrap()).unwrap().requested_cpu_m,
        1000
    );
}

#[test]
fn removing_a_node_pool_evicts_and_reschedules_elsewhere() {
    let mut w = world();
    w.apply_node_pool(1, pool(1, 8));
    w.apply_deployment(3, deploy(4, 500));
    run(&mut w, 10.0);
    w.apply_node_pool(2, pool(1, 8));
    run(&mut w, 5.0);
    let on_first = w.node_pods(w.pool_node(1, 0).unwrap()).count();
    assert!(on_first > 0);
    w.delete_node_pool(1);
    assert_eq!(count(&w, EventKind::PodEvicted), on_first);
    assert_eq!(count(&w, EventKind::NodeDeleted), 1);
    run(&mut w, 15.0);
    assert_eq!(running_ready(&w, 3), 4);
    let survivor = w.pool_node(2, 0).unwrap();
    assert_eq!(w.node_pods(survivor).count(), 4);
    assert_eq!(w.stats().evictions as usize, on_first);
}

#[test]
fn deleting_a_deployment_terminates_its_pods_gracefully() {
    let mut w = world();
    w.apply_node_pool(1, pool(1, 8));
    w.apply_deployment(2, deploy(3, 500));
    run(&mut w, 10.0);
    w.delete_deployment(2);
    assert_eq!(count(&w, EventKind::PodTerminating), 3);
    assert_eq!(w.pod_count(), 3);
    run(&mut w, 40.0);
    assert_eq!(w.pod_count(), 0);
    assert_eq!(count(&w, EventKind::PodDeleted), 3);
    let node = w.node(w.pool_node(1, 0).unwrap()).unwrap();
    assert_eq!((node.requested_cpu_m, node.pod_count), (0, 0));
}

#[test]
fn cordon_stops_new_placements_but_keeps_running_pods() {
    let mut w = world();
    w.apply_node_pool(
        1,
        NodePoolSpec {
            cordoned: false,
            ..pool(1, 8)
        },
    );
    w.apply_deployment(2, deploy(2, 500));
    run(&mut w, 10.0);
    w.apply_node_pool(
        1,
        NodePoolSpec {
            cordoned: true,
            ..pool(1, 8)
        },
    );
    w.apply_deployment(2, deploy(4, 500));
    run(&mut w, 10.0);
    assert_eq!(running_ready(&w, 2), 2);
    let fail = w
        .events()
        .since(0)
        .1
        .filter(|e| e.kind == EventKind::PodFailedScheduling)
        .last()
        .map(|e| w.events().to_json(e))
        .unwrap();
    assert_eq!(
        fail["message"],
        "0/1 nodes are available: 1 node(s) were unschedulable. no new claims to deallocate, \
         preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    );
    w.apply_node_pool(1, pool(1, 8));
    run(&mut w, 10.0);
    assert_eq!(running_ready(&w, 2), 4);
}

#[test]
fn shrinking_a_node_evicts_the_newest_pods_until_requests_fit() {
    let mut w = world();
    w.apply_node_pool(1, pool(1, 4));
    w.apply_deployment(2, deploy(4, 1000));
    run(&mut w, 10.0);
    w.apply_node_pool(1, pool(1, 2));
    w.step(0.01);
    let node = w.node(w.pool_node(1, 0).unwrap()).unwrap();
    assert!(node.requested_cpu_m <= node.allocatable_cpu_m);
    assert_eq!(count(&w, EventKind::PodEvicted), 2);
}

#[test]
fn same_seed_same_history_other_seed_other_history() {
    let history = |seed| {
        let mut w = World::new(WorldConfig {
            seed,
            ..WorldConfig::default()
        });
        w.apply_node_pool(1, pool(3, 4));
        w.apply_deployment(2, deploy(12, 700));
        run(&mut w, 20.0);
        let trace: Vec<String> = w
            .events()
            .since(0)
            .1
            .map(|e| w.events().to_json(e).to_string())
            .collect();
        trace
    };
    assert_eq!(history(1), history(1));
    assert_ne!(history(1), history(2));
}

#[test]
fn a_full_world_refuses_pods_without_failing() {
    let mut w = World::new(WorldConfig {
        seed: 1,
        max_pods: 8,
        max_nodes: 4,
        event_capacity: 16,
    });
    w.apply_node_pool(1, pool(8, 64));
    w.apply_deployment(2, deploy(20, 10));
    run(&mut w, 10.0);
    assert_eq!(w.pod_count(), 8);
    assert_eq!(w.node_count(), 4);
    assert!(w.stats().pods_refused > 0);
    // The log kept only the newest events, and says how many were lost.
    let (lost, events) = w.events().since(0);
    assert!(lost > 0);
    assert_eq!(events.count(), 16);
}
