//! The taint manager's tolerationSeconds as upstream's taint-eviction controller: an eviction
//! scheduled for a NoExecute taint is cancelled when the taint goes, scheduled afresh when it
//! comes back, and keeps its time while other taints change.

use kuberack_core::modules::scheduling_settings::pod_terms;
use kuberack_core::world::constraints::*;
use kuberack_core::world::events::EventKind;
use kuberack_core::world::terms::api::NodeTerms;
use kuberack_core::world::terms::{parse, table};
use kuberack_core::world::{DeploymentSpec, NodePoolSpec, World, NONE};

mod world;
use world::{events, run, world};

fn pool(taints: &str) -> NodePoolSpec {
    NodePoolSpec {
        count: 1,
        cpu_m: 4000,
        memory_mib: 8192,
        pods: 110,
        cordoned: false,
        zone: 1,
        taint: TaintEffect::None,
        terms: table::intern_node(&NodeTerms {
            labels: Vec::new(),
            taints: parse::node_taints(taints).unwrap(),
        })
        .unwrap(),
        mana: Default::default(),
    }
}

/// One pod tolerating `drain:NoExecute` for 10 s.
fn tolerating(w: &mut World) {
    let terms = pod_terms("", "drain:NoExecute for 10s", "", "", "").unwrap();
    w.apply_deployment(
        10,
        DeploymentSpec {
            replicas: 1,
            cpu_m: 100,
            memory_mib: 64,
            scheduling: SchedulingSpec {
                terms: table::intern_pod(&terms).unwrap(),
                ..SchedulingSpec::default()
            },
            ..Default::default()
        },
    );
}

fn evictions(w: &World) -> usize {
    events(w, EventKind::TaintManagerEviction).len()
}

fn setup() -> World {
    let mut w = world(1);
    w.apply_node_pool(1, pool(""));
    run(&mut w, 5.0);
    tolerating(&mut w);
    run(&mut w, 5.0);
    assert!(w.deployment_pods(10).all(|p| p.node != NONE));
    w
}

#[test]
fn a_removed_taint_cancels_the_scheduled_eviction() {
    let mut w = setup();
    w.apply_node_pool(1, pool("drain=now:NoExecute"));
    run(&mut w, 5.0);
    w.apply_node_pool(1, pool(""));
    run(&mut w, 15.0);
    assert_eq!(evictions(&w), 0, "evicted after its taint was removed");
}

#[test]
fn a_taint_added_again_schedules_the_eviction_afresh() {
    let mut w = setup();
    w.apply_node_pool(1, pool("drain=now:NoExecute"));
    run(&mut w, 5.0);
    w.apply_node_pool(1, pool(""));
    run(&mut w, 3.0);
    w.apply_node_pool(1, pool("drain=now:NoExecute"));
    // The first taint's 10 s ran out 2 s ago; the second's has 6 s to go.
    run(&mut w, 4.0);
    assert_eq!(evictions(&w), 0, "evicted on the first taint's time");
    run(&mut w, 6.5);
    assert_eq!(evictions(&w), 1);
}

#[test]
fn another_taint_changing_keeps_the_eviction_time() {
    let mut w = setup();
    w.apply_node_pool(1, pool("drain=now:NoExecute"));
    run(&mut w, 6.0);
    // A second taint (tolerated for good by no one: PreferNoSchedule only scores).
    w.apply_node_pool(1, pool("drain=now:NoExecute, soft=yes:PreferNoSchedule"));
    run(&mut w, 3.5);
    assert_eq!(evictions(&w), 0);
    run(&mut w, 1.0);
    assert_eq!(evictions(&w), 1, "the eviction moved with the node update");
}
