//! Extended resources `manawell.io/<essence>` in the world: a mana pool advertises them with
//! the `energy` label and taint; the scheduler fits, selects and tolerates them as upstream
//! does for any extended resource, label and taint.

mod world;

use kuberack_core::forge::Essence;
use kuberack_core::world::constraints::*;
use kuberack_core::world::events::EventKind;
use kuberack_core::world::mana::{essence_index, Mana};
use kuberack_core::world::{JobSpec, PodState, World, NONE};
use world::{mana_pool, run, world};

/// A Job asking `amount` of `essence` per pod, pinned and tolerating as the forge pins it.
fn essence_job(essence: Essence, amount: u32, parallelism: u32) -> JobSpec {
    let e = essence_index(essence);
    JobSpec {
        completions: parallelism,
        parallelism,
        mana: Mana::of(essence, amount),
        run_seconds: 600.0,
        scheduling: SchedulingSpec {
            node_selector_energy: e,
            tolerates_energy: e,
            ..SchedulingSpec::default()
        },
        ..JobSpec::default()
    }
}

fn messages(w: &World) -> Vec<String> {
    w.events()
        .since(0)
        .1
        .filter(|e| e.kind == EventKind::PodFailedScheduling)
        .map(|e| {
            w.events().to_json(e)["message"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn pods_fit_the_mana_a_node_advertises_and_no_more() {
    let mut w = world(3);
    w.apply_node_pool(1, mana_pool(2, Mana::of(Essence::Fire, 8)));
    run(&mut w, 5.0);
    // Three pods of 5 fire: one per node, the third waits (8 - 5 < 5 on both).
    let job = w.create_job(essence_job(Essence::Fire, 5, 3)).unwrap();
    run(&mut w, 5.0);
    let pods: Vec<_> = w.job_pods(job).copied().collect();
    let bound: Vec<u32> = pods
        .iter()
        .filter(|p| p.node != NONE)
        .map(|p| p.node)
        .collect();
    assert_eq!(bound.len(), 2);
    assert_ne!(bound[0], bound[1]);
    for (_, node) in w.nodes() {
        assert!(node.requested_mana <= node.mana.amount, "{node:?}");
        assert_eq!(node.requested_mana, 5);
    }
    let msgs = messages(&w);
    assert!(
        msgs.iter().any(|m| m
            == "0/2 nodes are available: 2 Insufficient manawell.io/fire. \
                    no new claims to deallocate, preemption: 0/2 nodes are available: \
                    2 No preemption victims found for incoming pod."),
        "{msgs:?}"
    );
    // The mana grows to 10: the waiting pod fits beside one of the others.
    w.apply_node_pool(1, mana_pool(2, Mana::of(Essence::Fire, 10)));
    run(&mut w, 12.0);
    assert!(w.job_pods(job).all(|p| p.node != NONE));
    let total: u32 = w.nodes().map(|(_, n)| n.requested_mana).sum();
    assert_eq!(total, 15);
}

#[test]
fn the_energy_taint_keeps_other_pods_away_and_the_selector_pins_essence_pods() {
    let mut w = world(3);
    w.apply_node_pool(1, mana_pool(1, Mana::of(Essence::Frost, 8)));
    w.apply_node_pool(2, mana_pool(1, Mana::NONE));
    run(&mut w, 5.0);
    let plain = w.create_job(JobSpec {
        parallelism: 4,
        completions: 4,
        run_seconds: 600.0,
        ..JobSpec::default()
    });
    let frost = w.create_job(essence_job(Essence::Frost, 2, 2)).unwrap();
    // A fire pod has no node: the frost node offers no fire and its taint is not tolerated.
    let fire = w.create_job(essence_job(Essence::Fire, 1, 1)).unwrap();
    run(&mut w, 5.0);
    let frost_node = w.pool_node(1, 0).unwrap();
    let plain_node = w.pool_node(2, 0).unwrap();
    for p in w.job_pods(plain.unwrap()) {
        assert_eq!(
            p.node, plain_node,
            "untolerating pods stay off the tainted node"
        );
    }
    for p in w.job_pods(frost) {
        assert_eq!(p.node, frost_node, "the selector pins frost pods");
        assert_ne!(p.state, PodState::Unscheduled);
    }
    assert!(w.job_pods(fire).all(|p| p.node == NONE));
    let msgs = messages(&w);
    let want = "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, \
                1 node(s) had untolerated taint(s). no new claims to deallocate, preemption: \
                0/2 nodes are available: 2 Preemption is not helpful for scheduling.";
    assert!(msgs.iter().any(|m| m == want), "{msgs:?}");
}

#[test]
fn preemption_frees_mana_for_a_higher_priority_pod() {
    let mut w = world(3);
    w.apply_node_pool(1, mana_pool(1, Mana::of(Essence::Arcane, 6)));
    run(&mut w, 5.0);
    let low = w.create_job(essence_job(Essence::Arcane, 2, 3)).unwrap();
    run(&mut w, 5.0);
    assert!(w.job_pods(low).all(|p| p.node != NONE));
    let mut high = essence_job(Essence::Arcane, 4, 1);
    high.scheduling.priority = 1000;
    let high = w.create_job(high).unwrap();
    run(&mut w, 0.5);
    // Two victims free 4 mana; the third low pod keeps running.
    let preempted = w
        .events()
        .since(0)
        .1
        .filter(|e| e.kind == EventKind::PodPreempted)
        .count();
    assert_eq!(preempted, 2);
    run(&mut w, 40.0);
    let node = w.pool_node(1, 0).unwrap();
    assert!(w.job_pods(high).all(|p| p.node == node));
    assert!(w.node(node).unwrap().requested_mana <= 6);
}
