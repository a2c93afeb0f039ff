//! The Deployment controller: rolling updates within maxSurge and maxUnavailable, Recreate,
//! rollback and the revision history, as upstream pkg/controller/deployment behaves.

mod world;

use kuberack_core::world::events::EventKind;
use kuberack_core::world::{
    resolve_fenceposts, DeploymentSpec, DeploymentStrategy, IntOrPercent, World,
};
use proptest::prelude::*;
use world::{events, pool, run, run_checked};

const TAG: u32 = 5;

fn rolling(replicas: u32, surge: u32, unavailable: u32) -> DeploymentSpec {
    DeploymentSpec {
        strategy: DeploymentStrategy::RollingUpdate {
            max_surge: IntOrPercent::Percent(surge),
            max_unavailable: IntOrPercent::Percent(unavailable),
        },
        ..DeploymentSpec::new(replicas, 100, 64)
    }
}

/// A converged Deployment on a cluster with room for every surge.
fn converged(spec: DeploymentSpec, seed: u64) -> World {
    let mut w = world::world(seed);
    w.apply_node_pool(1, pool(8, 64));
    w.apply_deployment(TAG, spec);
    run(&mut w, 30.0);
    let d = w.deployment(TAG).unwrap();
    assert_eq!(d.ready, spec.replicas);
    w
}

fn hashes_of_active_pods(w: &World) -> Vec<u32> {
    w.deployment_pods(TAG)
        .filter(|p| p.is_active())
        .map(|p| p.template_hash)
        .collect()
}

#[test]
fn fenceposts_round_as_upstream() {
    let pct = |s, u| DeploymentStrategy::RollingUpdate {
        max_surge: IntOrPercent::Percent(s),
        max_unavailable: IntOrPercent::Percent(u),
    };
    // 25% of 10: surge rounds up to 3, unavailable down to 2.
    assert_eq!(resolve_fenceposts(pct(25, 25), 10), (3, 2));
    // 25% of 1: surge 1, unavailable 0.
    assert_eq!(resolve_fenceposts(pct(25, 25), 1), (1, 0));
    // Both zero: one pod may be unavailable.
    assert_eq!(resolve_fenceposts(pct(0, 0), 7), (0, 1));
    let abs = DeploymentStrategy::RollingUpdate {
        max_surge: IntOrPercent::Int(2),
        max_unavailable: IntOrPercent::Int(0),
    };
    assert_eq!(resolve_fenceposts(abs, 5), (2, 0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Upstream's guarantee: during a rolling update the Deployment never has more than
    /// replicas + maxSurge pods, nor fewer than replicas - maxUnavailable Ready ones; and the
    /// rollout ends with every pod on the new template.
    #[test]
    fn rolling_update_stays_within_surge_and_unavailable(
        replicas in 1u32..12,
        surge in 0u32..=100,
        unavailable in 0u32..=100,
        dt in 0.005f64..0.4,
        seed in 0u64..1000,
    ) {
        let spec = rolling(replicas, surge, unavailable);
        let mut w = converged(spec, seed);
        let (max_surge, max_unavailable) = resolve_fenceposts(spec.strategy, replicas);
        let max_unavailable = max_unavailable.min(replicas);
        w.apply_deployment(TAG, DeploymentSpec { image: 1, ..spec });
        let mut worst_pods = 0;
        let mut worst_ready = u32::MAX;
        run_checked(&mut w, 120.0, dt, |w| {
            let d = w.deployment(TAG).unwrap();
            worst_pods = worst_pods.max(d.active);
            worst_ready = worst_ready.min(d.ready);
        });
        prop_assert!(worst_pods <= replicas + max_surge, "{} pods > {} + {}", worst_pods, replicas, max_surge);
        prop_assert!(worst_ready + max_unavailable >= replicas, "{} ready < {} - {}", worst_ready, replicas, max_unavailable);
        let d = w.deployment(TAG).unwrap();
        let old_hash = spec.template().hash();
        prop_assert!(hashes_of_active_pods(&w).iter().all(|&h| h != old_hash));
        prop_assert_eq!(d.updated_replicas(), replicas);
        prop_assert_eq!(d.ready, replicas);
        prop_assert_eq!(d.revision(), 2);
    }
}

#[test]
fn a_rollout_scales_replica_sets_with_upstream_events() {
    let spec = rolling(4, 25, 25);
    let mut w = converged(spec, 3);
    let old = spec.template().hash();
    w.apply_deployment(TAG, DeploymentSpec { image: 1, ..spec });
    run(&mut w, 60.0);
    let new = DeploymentSpec { image: 1, ..spec }.template().hash();
    assert!(hashes_of_active_pods(&w).iter().all(|&h| h == new));
    let d = w.deployment(TAG).unwrap();
    assert_eq!(d.replica_sets().len(), 2);
    let old_rs = d.replica_sets().iter().find(|rs| rs.hash == old).unwrap();
    assert_eq!((old_rs.replicas, old_rs.revision), (0, 1));
    let scaling: Vec<String> = events(&w, EventKind::ScalingReplicaSet)
        .iter()
        .map(|e| e.to_json()["message"].as_str().unwrap().to_string())
        .collect();
    // 4 replicas, 25%: surge 1, unavailable 1. Up from 0 to 4, then the new set to 1 and the
    // old one down to 3 first.
    assert!(
        scaling[0].starts_with("Scaled up replica set deployment-5-"),
        "{scaling:?}"
    );
    assert!(scaling[0].ends_with("from 0 to 4"), "{scaling:?}");
    assert!(scaling[1].ends_with("from 0 to 1"), "{scaling:?}");
    assert!(scaling[2].starts_with("Scaled down"), "{scaling:?}");
    assert!(scaling[2].ends_with("from 4 to 3"), "{scaling:?}");
    assert!(scaling.last().unwrap().ends_with("to 0"), "{scaling:?}");
}

#[test]
fn changing_a_request_is_a_new_template() {
    let spec = rolling(3, 25, 25);
    let mut w = converged(spec, 4);
    w.apply_deployment(TAG, DeploymentSpec { cpu_m: 200, ..spec });
    run(&mut w, 60.0);
    let d = w.deployment(TAG).unwrap();
    assert_eq!(d.replica_sets().len(), 2);
    assert!(w.deployment_pods(TAG).all(|p| p.cpu_m == 200));
    // Scaling alone is no new template.
    w.apply_deployment(
        TAG,
        DeploymentSpec {
            cpu_m: 200,
            replicas: 5,
            ..spec
        },
    );
    run(&mut w, 30.0);
    assert_eq!(w.deployment(TAG).unwrap().replica_sets().len(), 2);
    assert_eq!(w.deployment(TAG).unwrap().ready, 5);
}

#[test]
fn recreate_deletes_every_old_pod_before_creating_new_ones() {
    let spec = DeploymentSpec {
        strategy: DeploymentStrategy::Recreate,
        ..DeploymentSpec::new(5, 100, 64)
    };
    let mut w = converged(spec, 5);
    let old = spec.template().hash();
    let next = DeploymentSpec { image: 7, ..spec };
    w.apply_deployment(TAG, next);
    let start = w.revision();
    run_checked(&mut w, 60.0, 0.01, |w| {
        // Every pod object counts, terminating ones too.
        let pods: Vec<u32> = w.deployment_pods(TAG).map(|p| p.template_hash).collect();
        let olds = pods.iter().filter(|&&h| h == old).count();
        assert!(
            olds == 0 || olds == pods.len(),
            "old and new pods together: {pods:?}"
        );
    });
    // In the revision log too: the last old pod went before the first new one came.
    let after = |kind, hash: u32| -> Vec<u64> {
        events(&w, kind)
            .iter()
            .filter(|e| e.revision > start && e.object.revision == hash)
            .map(|e| e.revision)
            .collect()
    };
    let last_old_deleted = *after(EventKind::PodDeleted, old).last().unwrap();
    let first_new_created = after(EventKind::PodCreated, next.template().hash())[0];
    assert!(last_old_deleted < first_new_created);
    assert_eq!(after(EventKind::PodDeleted, old).len(), 5);
    assert_eq!(w.deployment(TAG).unwrap().ready, 5);
    assert_eq!(
        w.deployment(TAG).unwrap().updated_replicas(),
        5,
        "every pod on the new template"
    );
}

#[test]
fn rollback_restores_the_previous_template_as_a_new_revision() {
    let spec = rolling(3, 25, 25);
    let mut w = converged(spec, 6);
    let first = spec.template();
    w.apply_deployment(TAG, DeploymentSpec { image: 1, ..spec });
    run(&mut w, 60.0);
    assert_eq!(w.deployment(TAG).unwrap().revision(), 2);
    assert!(w.rollback_deployment(TAG));
    run(&mut w, 60.0);
    let d = w.deployment(TAG).unwrap();
    assert_eq!(d.template, first);
    // The first ReplicaSet is adopted again and becomes revision 3; no third set exists.
    assert_eq!(d.replica_sets().len(), 2);
    assert_eq!(d.new_replica_set().unwrap().hash, first.hash());
    assert_eq!(d.revision(), 3);
    assert!(hashes_of_active_pods(&w).iter().all(|&h| h == first.hash()));
    assert_eq!(d.ready, 3);
    assert_eq!(events(&w, EventKind::DeploymentRollback)[0].value, 1);
    // Undo again goes back to revision 2's template (as kubectl rollout undo does).
    assert!(w.rollback_deployment(TAG));
    run(&mut w, 60.0);
    assert_eq!(w.deployment(TAG).unwrap().template.image, 1);
    // A module that applies its unchanged spec does not undo the rollback.
    w.apply_deployment(TAG, DeploymentSpec { image: 1, ..spec });
    run(&mut w, 5.0);
    assert_eq!(w.deployment(TAG).unwrap().template.image, 1);
}

#[test]
fn a_fresh_deployment_has_nothing_to_roll_back_to() {
    let mut w = converged(rolling(2, 25, 25), 7);
    assert!(!w.rollback_deployment(TAG));
    assert!(!w.rollback_deployment(99));
}

#[test]
fn revision_history_keeps_ten_old_replica_sets() {
    let spec = rolling(2, 50, 50);
    let mut w = converged(spec, 8);
    for image in 1..=13 {
        w.apply_deployment(TAG, DeploymentSpec { image, ..spec });
        run(&mut w, 30.0);
    }
    let d = w.deployment(TAG).unwrap();
    assert_eq!(d.revision(), 14);
    let mut revisions: Vec<u32> = d.replica_sets().iter().map(|rs| rs.revision).collect();
    revisions.sort_unstable();
    // The new set (14) and the ten newest old ones (4..=13): revisions 1..=3 were deleted.
    assert_eq!(revisions, (4..=14).collect::<Vec<_>>());
    assert_eq!(events(&w, EventKind::ReplicaSetDeleted).len(), 3);
}

#[test]
fn a_rollout_during_a_rollout_converges_on_the_newest_template() {
    let spec = rolling(6, 25, 25);
    let mut w = converged(spec, 9);
    for image in 1..=3 {
        w.apply_deployment(TAG, DeploymentSpec { image, ..spec });
        run(&mut w, 0.7);
    }
    run(&mut w, 90.0);
    let newest = DeploymentSpec { image: 3, ..spec }.template().hash();
    assert!(hashes_of_active_pods(&w).iter().all(|&h| h == newest));
    let d = w.deployment(TAG).unwrap();
    assert_eq!((d.ready, d.updated_replicas()), (6, 6));
    assert!(d
        .replica_sets()
        .iter()
        .all(|rs| rs.hash == newest || rs.replicas == 0));
}
