//! The node autoscaler: a timeline from unschedulable pods through scale-up, Ready nodes and
//! running pods to idle nodes drained and removed, with both stabilization windows visible;
//! its limits (maxNodes, cpu), failed launches, and what blocks a scale-down.

mod world;

use kuberack_core::world::autoscaler::{AutoscalerSpec, ClaimPhase, ScaleUpBlock};
use kuberack_core::world::constraints::SchedulingSpec;
use kuberack_core::world::events::{Event, EventKind};
use kuberack_core::world::{BarePodSpec, DeploymentSpec, World};
use world::{events, pool, run_checked};

const POOL: u32 = 1;
const APP: u32 = 7;

fn spec() -> AutoscalerSpec {
    AutoscalerSpec {
        min_nodes: 1,
        max_nodes: 6,
        launch_latency: 10.0,
        init_latency: 3.0,
        scale_up_window: 5.0,
        scale_down_window: 30.0,
        ..AutoscalerSpec::default()
    }
}

/// A pool of 4-core nodes under an autoscaler, one 1-core replica, settled.
fn cluster(spec: AutoscalerSpec) -> World {
    let mut w = world::world(5);
    w.apply_node_pool(POOL, pool(0, 4));
    w.apply_autoscaler(POOL, spec);
    w.apply_deployment(APP, DeploymentSpec::new(1, 1000, 64));
    run(&mut w, 60.0);
    w
}

/// Steps, checking the invariants: no node over-committed, nodes within min..max once up.
fn run(w: &mut World, seconds: f64) {
    run_checked(w, seconds, 0.01, |w| {
        for (_, n) in w.nodes() {
            assert!(
                n.requested_cpu_m <= n.allocatable_cpu_m,
                "{} over-committed",
                n.name()
            );
        }
        let a = w.autoscaler(POOL).unwrap();
        assert!(a.active() <= a.spec.max_nodes);
        assert!(
            w.pool(POOL).unwrap().len <= a.spec.max_nodes + 1,
            "one draining at most"
        );
    });
}

fn first(w: &World, kind: EventKind) -> Option<Event> {
    events(w, kind).first().copied()
}

#[test]
fn a_timeline_from_unschedulable_to_scale_up_to_drain_and_removal() {
    let mut w = cluster(spec());
    assert_eq!(w.pool(POOL).unwrap().len, 1, "minNodes");
    assert_eq!(w.deployment(APP).unwrap().ready, 1);
    let t0 = w.time();
    // 9 more 1-core pods: 3 fit on the first node, 6 need two more nodes.
    w.apply_deployment(APP, DeploymentSpec::new(10, 1000, 64));
    run(&mut w, 120.0);
    let failed = events(&w, EventKind::PodFailedScheduling);
    let first_failure = failed.iter().find(|e| e.time > t0).unwrap().time;
    let ups: Vec<Event> = events(&w, EventKind::TriggeredScaleUp)
        .into_iter()
        .filter(|e| e.time > t0)
        .collect();
    assert_eq!(ups.len(), 1, "one plan for all of them: {ups:?}");
    assert_eq!(ups[0].value, 2, "first-fit-decreasing: two more nodes");
    assert!(
        ups[0].time - first_failure >= 5.0 - 1e-9,
        "the scale-up window: unschedulable at {first_failure}, scaled at {}",
        ups[0].time
    );
    // Each claim: Launched -> Registered after the launch latency -> Initialized once the
    // node is Ready and the init latency passed.
    let launched = events(&w, EventKind::NodeClaimLaunched);
    let registered = events(&w, EventKind::NodeClaimRegistered);
    let initialized = events(&w, EventKind::NodeClaimInitialized);
    assert_eq!(
        (launched.len(), registered.len(), initialized.len()),
        (3, 3, 3)
    );
    for l in &launched[1..] {
        let name = l.object.to_string();
        let r = registered
            .iter()
            .find(|e| e.object.to_string() == name)
            .unwrap();
        let i = initialized
            .iter()
            .find(|e| e.object.to_string() == name)
            .unwrap();
        assert!(r.time - l.time >= 10.0 - 1e-9 && r.time - l.time < 10.1);
        assert!(i.time - r.time >= 3.0 - 1e-9);
    }
    assert_eq!(w.pool(POOL).unwrap().len, 3);
    assert_eq!(w.deployment(APP).unwrap().ready, 10, "every pod runs");
    let a = w.autoscaler(POOL).unwrap();
    assert_eq!(a.count(ClaimPhase::Initialized), 3);
    assert_eq!(a.pending_pods, 0);

    // Idle: back to one replica. Nodes go one at a time, each after the scale-down window,
    // never below minNodes.
    let idle = w.time();
    w.apply_deployment(APP, DeploymentSpec::new(1, 1000, 64));
    run(&mut w, 200.0);
    let downs = events(&w, EventKind::ScaleDown);
    assert_eq!(downs.len(), 2, "{downs:?}");
    assert!(downs[0].time - idle >= 30.0 - 1e-9, "the scale-down window");
    assert!(downs[1].time > downs[0].time, "one node per step");
    let deleted = events(&w, EventKind::NodeDeleted);
    assert_eq!(deleted.len(), 2);
    for (d, gone) in downs.iter().zip(&deleted) {
        assert_eq!(d.object, gone.object, "the drained node is the one deleted");
        let cordoned = events(&w, EventKind::NodeCordoned);
        assert!(cordoned
            .iter()
            .any(|c| c.object == d.object && c.time <= d.time));
    }
    assert_eq!(w.pool(POOL).unwrap().len, 1);
    assert_eq!(w.autoscaler(POOL).unwrap().scale_downs, 2);
    assert_eq!(w.deployment(APP).unwrap().ready, 1);
}

#[test]
fn max_nodes_and_resource_limits_refuse_with_a_reason() {
    for (limits, reason) in [
        (
            AutoscalerSpec {
                max_nodes: 2,
                ..spec()
            },
            ScaleUpBlock::MaxNodes,
        ),
        (
            AutoscalerSpec {
                cpu_limit_m: 8000,
                ..spec()
            },
            ScaleUpBlock::CpuLimit,
        ),
        (
            AutoscalerSpec {
                memory_limit_mib: 2 * 64 * 1024,
                ..spec()
            },
            ScaleUpBlock::MemoryLimit,
        ),
    ] {
        let mut w = cluster(limits);
        w.apply_deployment(APP, DeploymentSpec::new(12, 1000, 64));
        run(&mut w, 120.0);
        assert_eq!(
            w.pool(POOL).unwrap().len,
            2,
            "{reason:?}: capped at two nodes"
        );
        let a = w.autoscaler(POOL).unwrap();
        assert_eq!(a.blocked, reason);
        let refused = first(&w, EventKind::NotTriggerScaleUp).unwrap();
        assert_eq!(ScaleUpBlock::from_i64(refused.value), reason);
        assert_eq!(refused.to_json()["message"], reason.message());
        assert_eq!(w.deployment(APP).unwrap().ready, 8);
    }
}

#[test]
fn a_launch_that_never_registers_is_retried_then_given_up() {
    let mut w = cluster(spec());
    let failing = AutoscalerSpec {
        launch_fails: true,
        registration_timeout: 20.0,
        max_launch_attempts: 3,
        ..spec()
    };
    w.apply_autoscaler(POOL, failing);
    w.apply_deployment(APP, DeploymentSpec::new(6, 1000, 64));
    run(&mut w, 75.0);
    assert_eq!(
        w.autoscaler(POOL).unwrap().blocked,
        ScaleUpBlock::LaunchFailed
    );
    run(&mut w, 25.0);
    let timeouts = events(&w, EventKind::NodeClaimRegistrationTimeout);
    assert_eq!(timeouts.len(), 3, "one per attempt");
    let launches: Vec<Event> = events(&w, EventKind::NodeClaimLaunched)
        .into_iter()
        .skip(1)
        .collect();
    let attempts: Vec<i64> = launches.iter().map(|e| e.value).collect();
    // Three attempts of one claim, then a pause of one registration timeout before a new
    // claim is tried.
    assert_eq!(attempts, [1, 2, 3, 1]);
    assert!(launches[3].time - timeouts[2].time >= 20.0 - 1e-9);
    let refused = first(&w, EventKind::NotTriggerScaleUp).unwrap();
    assert_eq!(
        refused.to_json()["message"],
        "launch failed: the node never registered"
    );
    assert_eq!(w.pool(POOL).unwrap().len, 1);
    // The cloud recovers: the next plan launches again and the pods run.
    w.apply_autoscaler(POOL, spec());
    run(&mut w, 60.0);
    assert_eq!(w.deployment(APP).unwrap().ready, 6);
}

#[test]
fn pods_that_cannot_use_the_pool_do_not_scale_it() {
    let mut w = cluster(spec());
    // A zone the pool's nodes do not have (the pool is in zone-a).
    let elsewhere = SchedulingSpec {
        node_selector_zone: 3,
        ..SchedulingSpec::default()
    };
    w.apply_deployment(
        9,
        DeploymentSpec {
            scheduling: elsewhere,
            ..DeploymentSpec::new(3, 100, 64)
        },
    );
    // And a pod bigger than any node of the pool.
    w.apply_deployment(11, DeploymentSpec::new(1, 8000, 64));
    run(&mut w, 60.0);
    assert!(events(&w, EventKind::PodFailedScheduling).len() > 4);
    assert!(first(&w, EventKind::NotTriggerScaleUp).is_none());
    assert_eq!(w.autoscaler(POOL).unwrap().pending_pods, 0);
    assert_eq!(w.pool(POOL).unwrap().len, 1);
}

#[test]
fn a_bare_pod_keeps_its_node_from_being_removed() {
    let mut w = cluster(spec());
    w.apply_deployment(APP, DeploymentSpec::new(6, 1000, 64));
    run(&mut w, 60.0);
    assert_eq!(w.pool(POOL).unwrap().len, 2);
    // A bare pod lands on the emptier node (LeastAllocated).
    w.apply_pod(
        20,
        BarePodSpec {
            cpu_m: 100,
            memory_mib: 64,
            incarnation: 1,
            ..Default::default()
        },
    );
    run(&mut w, 10.0);
    w.apply_deployment(APP, DeploymentSpec::new(1, 1000, 64));
    run(&mut w, 120.0);
    // One node could go, but the bare pod's node is kept: nothing would recreate the pod.
    let bare = w
        .pods()
        .find(|(_, p)| p.name().to_string() == "pod-20")
        .unwrap()
        .1;
    let downs = events(&w, EventKind::ScaleDown);
    assert!(downs
        .iter()
        .all(|d| Some(d.object) != w.node(bare.node).map(|n| n.name())));
    assert!(w.node(bare.node).is_some());
}
