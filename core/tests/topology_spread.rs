//! Typed topology spread constraints in the world (PodTopologySpread v1.34): any topology
//! key, maxSkew, minDomains, nodeAffinityPolicy, nodeTaintsPolicy, label selectors, and the
//! switch's constraint counting only the nodes the pod's node affinity admits.

use kuberack_core::modules::scheduling_settings::pod_terms;
use kuberack_core::rng::Rng;
use kuberack_core::world::constraints::*;
use kuberack_core::world::scheduler::*;
use kuberack_core::world::terms::api::{NodeTerms, PodTerms};
use kuberack_core::world::terms::{parse, table};
use kuberack_core::world::{DeploymentSpec, NodePoolSpec, World, NONE};

mod world;
use world::{failed_scheduling_messages as messages, node, run, world};

fn node_terms(labels: &str, taints: &str) -> u16 {
    table::intern_node(&NodeTerms {
        labels: parse::node_labels(labels).unwrap(),
        taints: parse::node_taints(taints).unwrap(),
    })
    .unwrap()
}

fn pool(count: u32, zone: u8, labels: &str, taints: &str) -> NodePoolSpec {
    NodePoolSpec {
        count,
        cpu_m: 8000,
        memory_mib: 16 * 1024,
        pods: 110,
        cordoned: false,
        zone,
        taint: TaintEffect::None,
        terms: node_terms(labels, taints),
        mana: Default::default(),
    }
}

/// A template with these labels, node affinity and spread constraints.
fn template(labels: &str, node_affinity: &str, spread: &str) -> SchedulingSpec {
    let mut t: PodTerms<String> = pod_terms(labels, "", "", node_affinity, "").unwrap();
    t.spread = parse::topology_spread(spread).unwrap();
    SchedulingSpec {
        terms: table::intern_pod(&t).unwrap(),
        default_spread: true,
        ..SchedulingSpec::default()
    }
}

/// A template labelled app=web.
fn web(node_affinity: &str, spread: &str) -> SchedulingSpec {
    template("app=web", node_affinity, spread)
}

fn deploy(replicas: u32, scheduling: SchedulingSpec) -> DeploymentSpec {
    DeploymentSpec {
        replicas,
        cpu_m: 100,
        memory_mib: 64,
        scheduling,
        ..Default::default()
    }
}

/// Bound pods of deployment `tag` per pool, in `pools` order, and the pending ones.
fn per_pool(w: &World, tag: u32, pools: &[u32]) -> (Vec<usize>, usize) {
    let mut counts = vec![0; pools.len()];
    let mut pending = 0;
    for p in w.deployment_pods(tag) {
        if p.node == NONE {
            pending += 1;
            continue;
        }
        let at = pools
            .iter()
            .position(|&t| w.pool_nodes(t).any(|n| n == p.node));
        counts[at.expect("pod on a node of no pool")] += 1;
    }
    (counts, pending)
}

#[test]
fn a_zone_constraint_keeps_the_skew_within_max_skew() {
    let mut w = world(1);
    w.apply_node_pool(1, pool(2, 1, "", ""));
    w.apply_node_pool(2, pool(1, 2, "", ""));
    run(&mut w, 5.0);
    w.apply_deployment(10, deploy(6, web("", "1 on zone")));
    run(&mut w, 10.0);
    // Two nodes in zone-a, one in zone-b: still three pods each.
    assert_eq!(per_pool(&w, 10, &[1, 2]), (vec![3, 3], 0));
}

#[test]
fn any_node_label_is_a_topology_key_and_nodes_without_it_fail() {
    let mut w = world(2);
    w.apply_node_pool(1, pool(2, 1, "rack=r1", ""));
    w.apply_node_pool(2, pool(1, 1, "rack=r2", ""));
    w.apply_node_pool(3, pool(2, 1, "", ""));
    run(&mut w, 5.0);
    w.apply_deployment(10, deploy(4, web("", "1 on rack")));
    run(&mut w, 10.0);
    assert_eq!(per_pool(&w, 10, &[1, 2, 3]), (vec![2, 2, 0], 0));
    // With a third, missing domain (minDomains 3) the minimum is 0: one db pod per rack;
    // the unlabelled nodes lack the key, the rack nodes would break the skew.
    w.apply_deployment(
        11,
        deploy(4, template("app=db", "", "1 on rack minDomains=3")),
    );
    run(&mut w, 10.0);
    assert_eq!(per_pool(&w, 11, &[1, 2, 3]), (vec![1, 1, 0], 2));
    let want = "0/5 nodes are available: 2 node(s) didn't match pod topology spread \
                constraints (missing required label), 3 node(s) didn't match pod topology \
                spread constraints. no new claims to deallocate, preemption: 0/5 nodes are \
                available: 2 Preemption is not helpful for scheduling, 3 No preemption \
                victims found for incoming pod.";
    assert!(messages(&w).iter().any(|m| m == want), "{:?}", messages(&w));
}

#[test]
fn min_domains_counts_missing_domains_as_empty() {
    let mut w = world(3);
    w.apply_node_pool(1, pool(2, 1, "", ""));
    w.apply_node_pool(2, pool(2, 2, "", ""));
    run(&mut w, 5.0);
    // Two zones, minDomains 3: the global minimum is 0, so each zone takes one pod.
    w.apply_deployment(10, deploy(4, web("", "1 on zone minDomains=3")));
    // minDomains 2 is met: the pods spread 2 and 2.
    let two = template("app=two", "", "1 on zone minDomains=2");
    w.apply_deployment(11, deploy(4, two));
    run(&mut w, 10.0);
    assert_eq!(per_pool(&w, 10, &[1, 2]), (vec![1, 1], 2));
    assert_eq!(per_pool(&w, 11, &[1, 2]), (vec![2, 2], 0));
}

#[test]
fn node_affinity_policy_decides_which_domains_count() {
    let mut w = world(4);
    w.apply_node_pool(1, pool(1, 1, "disk=ssd", ""));
    w.apply_node_pool(2, pool(1, 2, "", ""));
    run(&mut w, 5.0);
    // Honor: zone-b has no ssd node, so it is no domain; every pod goes to the ssd node.
    let honor = template("app=honor", "disk=ssd", "1 on zone");
    w.apply_deployment(10, deploy(3, honor));
    // Ignore: zone-b counts with 0 pods, so zone-a takes one.
    let ignore = template(
        "app=ignore",
        "disk=ssd",
        "1 on zone nodeAffinityPolicy=Ignore",
    );
    w.apply_deployment(11, deploy(3, ignore));
    run(&mut w, 10.0);
    assert_eq!(per_pool(&w, 10, &[1, 2]), (vec![3, 0], 0));
    assert_eq!(per_pool(&w, 11, &[1, 2]), (vec![1, 0], 2));
}

#[test]
fn node_taints_policy_honor_leaves_untolerated_nodes_out() {
    let mut w = world(5);
    w.apply_node_pool(1, pool(1, 1, "", ""));
    w.apply_node_pool(2, pool(1, 2, "", "dedicated=gpu:NoSchedule"));
    run(&mut w, 5.0);
    // Ignore (the default): the tainted zone-b is a domain with 0 pods: one pod runs.
    w.apply_deployment(10, deploy(3, template("app=x", "", "1 on zone")));
    // Honor: zone-b is no domain, every pod runs in zone-a.
    let honor = template("app=y", "", "1 on zone nodeTaintsPolicy=Honor for app=y");
    w.apply_deployment(11, deploy(3, honor));
    run(&mut w, 10.0);
    assert_eq!(per_pool(&w, 10, &[1, 2]), (vec![1, 0], 2));
    assert_eq!(per_pool(&w, 11, &[1, 2]), (vec![3, 0], 0));
}

#[test]
fn schedule_anyway_prefers_the_emptier_domain() {
    let mut w = world(6);
    w.record_scheduler_scores(true);
    w.apply_node_pool(1, pool(1, 1, "rack=r1", ""));
    w.apply_node_pool(2, pool(1, 1, "rack=r2", ""));
    run(&mut w, 5.0);
    // Two web pods pinned to r1 by node affinity.
    w.apply_deployment(10, deploy(2, web("rack=r1", "")));
    run(&mut w, 5.0);
    w.apply_deployment(
        11,
        deploy(1, web("", "1 on rack ScheduleAnyway for app=web")),
    );
    run(&mut w, 5.0);
    let r1 = w.pool_node(1, 0).unwrap();
    let r2 = w.pool_node(2, 0).unwrap();
    assert_eq!(w.deployment_pods(11).next().unwrap().node, r2);
    // Raw: r1 2 × ln(4) + 0 = 2.77 -> 3, r2 0 -> 0; normalised 100 × (3 + 0 − s) / 3.
    let spread = |n: u32| {
        w.scheduler_candidates()
            .iter()
            .find(|c| c.node == n)
            .map(|c| c.scores.pod_topology_spread)
    };
    assert_eq!(spread(r1), Some(0));
    assert_eq!(spread(r2), Some(200));
}

/// zone-a: an ssd node and a plain one holding two of the app's pods; zone-b: ssd. The pod
/// requires ssd and has the switch's constraint `when` on zone.
fn switch_constraint_cycle(when: WhenUnsatisfiable) -> Framework {
    let ssd = node_terms("disk=ssd", "");
    let none = TaintEffect::None;
    let nodes = [
        node(0, 4000, 1, none, ssd),
        node(1, 4000, 1, none, 0),
        node(2, 4000, 2, none, ssd),
    ];
    let mut topo = NodeTopology::with_capacity(3);
    topo.rebuild(nodes.iter().enumerate().map(|(i, n)| (i as u32, n)));
    let mut app = AppPods::with_capacity(3);
    app.clear(7);
    for _ in 0..2 {
        app.update(1, 1, false, AntiAffinity::None, true);
    }
    let mut spec = web("disk=ssd", "");
    spec.spread = Some(SpreadConstraint {
        max_skew: 1,
        key: TopologyKey::Zone,
        when,
    });
    let pod = PodInfo {
        cpu_m: 100,
        memory_mib: 64,
        mana: Default::default(),
        app: 7,
        scheduling: spec,
        index: 0,
        claims: Default::default(),
    };
    let mut fw = Framework::with_capacity(3);
    let decision = fw.find_node(&nodes[..], &topo, &pod, &app, &[], &mut Rng::new(1));
    assert!(matches!(decision, Decision::Bind(_)), "{decision:?}");
    fw
}

#[test]
fn the_switch_constraint_counts_only_nodes_the_node_affinity_admits() {
    // Upstream counts zone-a's pods on its ssd node only (none): both ssd nodes are
    // feasible, and the plain node fails node affinity, not the skew.
    let fw = switch_constraint_cycle(WhenUnsatisfiable::DoNotSchedule);
    let feasible: Vec<u32> = fw.candidates().iter().map(|c| c.node).collect();
    assert_eq!(feasible.len(), 2, "{:?}", fw.failed_nodes());
    assert_eq!(fw.failed_nodes(), &[(1, FilterReason::NodeAffinity)]);
    // Scoring too: both zones hold no pod on an admitted node, so both score alike.
    let fw = switch_constraint_cycle(WhenUnsatisfiable::ScheduleAnyway);
    let spread: Vec<i64> = fw
        .candidates()
        .iter()
        .map(|c| c.scores.pod_topology_spread)
        .collect();
    assert_eq!(spread, vec![200, 200]);
}
