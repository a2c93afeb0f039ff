//! Typed pod affinity and anti-affinity in the world (InterPodAffinity v1.34): required
//! terms filter with upstream's reasons and messages, the first pod of a self-affine group
//! lands, existing pods' anti-affinity keeps pods away, preferred weights and existing pods'
//! terms score, on any topology key.

use kuberack_core::modules::scheduling_settings::pod_terms;
use kuberack_core::world::constraints::*;
use kuberack_core::world::terms::api::{NodeTerms, PodTerms};
use kuberack_core::world::terms::{parse, table};
use kuberack_core::world::{DeploymentSpec, NodePoolSpec, World, NONE};

mod world;
use world::{failed_scheduling_messages as messages, run, world};

/// A pool of `count` nodes in `zone` with these NODE labels.
fn pool(count: u32, zone: u8, labels: &str) -> NodePoolSpec {
    let terms = NodeTerms {
        labels: parse::node_labels(labels).unwrap(),
        taints: Vec::new(),
    };
    NodePoolSpec {
        count,
        cpu_m: 4000,
        memory_mib: 16 * 1024,
        pods: 110,
        cordoned: false,
        zone,
        taint: TaintEffect::None,
        terms: table::intern_node(&terms).unwrap(),
        mana: Default::default(),
    }
}

/// Pods labelled `labels` with these pod affinity terms.
fn terms(labels: &str, affinity: &str) -> u16 {
    let mut t: PodTerms<String> = pod_terms(labels, "", "", "", "").unwrap();
    t.pod_affinity = parse::pod_affinity(affinity).unwrap();
    table::intern_pod(&t).unwrap()
}

fn deploy(replicas: u32, terms: u16) -> DeploymentSpec {
    DeploymentSpec {
        replicas,
        cpu_m: 100,
        memory_mib: 128,
        scheduling: SchedulingSpec {
            terms,
            ..SchedulingSpec::default()
        },
        ..Default::default()
    }
}

/// The nodes a deployment's pods are bound to (NONE for pending ones), sorted.
fn placement(w: &World, tag: u32) -> Vec<u32> {
    let mut v: Vec<u32> = w.deployment_pods(tag).map(|p| p.node).collect();
    v.sort_unstable();
    v
}

fn pool_nodes(w: &World, tag: u32) -> Vec<u32> {
    w.pool_nodes(tag).collect()
}

#[test]
fn required_anti_affinity_on_hostname_keeps_one_replica_per_node() {
    let mut w = world(1);
    w.apply_node_pool(1, pool(2, 1, ""));
    run(&mut w, 5.0);
    w.apply_deployment(10, deploy(3, terms("app=web", "!app=web on hostname")));
    run(&mut w, 5.0);
    let p = placement(&w, 10);
    assert_eq!(p.iter().filter(|&&n| n == NONE).count(), 1, "{p:?}");
    let bound: Vec<u32> = p.into_iter().filter(|&n| n != NONE).collect();
    assert_eq!(bound.len(), 2);
    assert_ne!(bound[0], bound[1], "two replicas share a node");
    let want = "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. \
                no new claims to deallocate, preemption: 0/2 nodes are available: 2 No preemption victims found for \
                incoming pod.";
    assert!(messages(&w).iter().any(|m| m == want), "{:?}", messages(&w));
}

#[test]
fn required_affinity_on_zone_follows_the_pods_it_selects() {
    let mut w = world(2);
    w.apply_node_pool(1, pool(2, 1, ""));
    w.apply_node_pool(2, pool(2, 2, ""));
    run(&mut w, 5.0);
    // A db pod; web wants the db's zone.
    w.apply_deployment(20, deploy(1, terms("app=db", "")));
    run(&mut w, 5.0);
    let db_node = w.deployment_pods(20).next().unwrap().node;
    let db_zone = w.node(db_node).unwrap().zone;
    w.apply_deployment(21, deploy(4, terms("app=web", "app=db on zone")));
    run(&mut w, 5.0);
    for p in w.deployment_pods(21) {
        assert_ne!(p.node, NONE);
        assert_eq!(
            w.node(p.node).unwrap().zone,
            db_zone,
            "web left the db's zone"
        );
    }
}

#[test]
fn affinity_to_absent_pods_is_unresolvable_unless_the_pod_matches_itself() {
    let mut w = world(3);
    w.apply_node_pool(1, pool(2, 1, ""));
    w.apply_node_pool(2, pool(1, 0, ""));
    run(&mut w, 5.0);
    // No cache pod anywhere and the pod is no cache: no node.
    w.apply_deployment(30, deploy(1, terms("app=web", "app=cache on zone")));
    // The first pod of a self-affine group lands, on a node with the key; the rest follow it.
    w.apply_deployment(31, deploy(3, terms("app=batch", "app=batch on zone")));
    run(&mut w, 5.0);
    assert_eq!(placement(&w, 30), vec![NONE]);
    let want = "0/3 nodes are available: 3 node(s) didn't match pod affinity rules. \
                no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for \
                scheduling.";
    assert!(messages(&w).iter().any(|m| m == want), "{:?}", messages(&w));
    let zoned = pool_nodes(&w, 1);
    for n in placement(&w, 31) {
        assert!(
            zoned.contains(&n),
            "batch pod on {n}, not in zone-a {zoned:?}"
        );
    }
}

#[test]
fn existing_pods_anti_affinity_keeps_matching_pods_out_of_their_domain() {
    let mut w = world(4);
    w.apply_node_pool(1, pool(2, 1, "rack=r1"));
    w.apply_node_pool(2, pool(1, 1, "rack=r2"));
    run(&mut w, 5.0);
    // A loner on rack r1 that repels web pods from its rack.
    w.apply_deployment(40, deploy(1, terms("app=loner", "!app=web on rack")));
    run(&mut w, 5.0);
    let loner = w.deployment_pods(40).next().unwrap().node;
    let loner_rack = pool_nodes(&w, 1).contains(&loner);
    w.apply_deployment(41, deploy(3, terms("app=web", "")));
    run(&mut w, 5.0);
    let repelled = if loner_rack {
        pool_nodes(&w, 1)
    } else {
        pool_nodes(&w, 2)
    };
    for n in placement(&w, 41) {
        assert_ne!(n, NONE);
        assert!(!repelled.contains(&n), "web pod on the loner's rack");
    }
}

#[test]
fn preferred_terms_score_with_their_weights_and_existing_pods_terms() {
    let mut w = world(5);
    w.record_scheduler_scores(true);
    w.apply_node_pool(1, pool(3, 1, ""));
    run(&mut w, 5.0);
    let nodes = pool_nodes(&w, 1);
    // One cache pod and one noisy pod, pinned by hostname anti-affinity to different nodes.
    w.apply_deployment(50, deploy(1, terms("app=cache", "")));
    run(&mut w, 5.0);
    w.apply_deployment(51, deploy(1, terms("app=noisy", "!app=cache on hostname")));
    run(&mut w, 5.0);
    let cache = w.deployment_pods(50).next().unwrap().node;
    let noisy = w.deployment_pods(51).next().unwrap().node;
    assert_ne!(cache, noisy);
    let other = *nodes.iter().find(|&&n| n != cache && n != noisy).unwrap();
    w.apply_deployment(
        52,
        deploy(
            1,
            terms(
                "app=web",
                "80: app=cache on hostname; 20: !app=noisy on hostname",
            ),
        ),
    );
    run(&mut w, 5.0);
    assert_eq!(w.deployment_pods(52).next().unwrap().node, cache);
    // Raw scores 80, -20, 0; normalised between them: 100, 0, 20; weight 2.
    let ipa = |n: u32| {
        w.scheduler_candidates()
            .iter()
            .find(|c| c.node == n)
            .map(|c| c.scores.inter_pod_affinity)
    };
    assert_eq!(ipa(cache), Some(200));
    assert_eq!(ipa(noisy), Some(0));
    assert_eq!(ipa(other), Some(40));
}
