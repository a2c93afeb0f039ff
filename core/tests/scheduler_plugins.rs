//! Filter and score outcomes of each scheduler plugin on hand-built clusters, checked against
//! upstream's documented formulas (kube-scheduler v1.34 default profile).

use kuberack_core::rng::Rng;
use kuberack_core::world::constraints::*;
use kuberack_core::world::scheduler::*;
use kuberack_core::world::Node;

mod world;

fn node(i: u32, cpu_m: u32, zone: u8, taint: TaintEffect) -> Node {
    world::node(i, cpu_m, zone, taint, 0)
}

struct Cluster {
    nodes: Vec<Node>,
    topo: NodeTopology,
    app: AppPods,
    fw: Framework,
    rng: Rng,
}

impl Cluster {
    fn new(nodes: Vec<Node>) -> Cluster {
        let mut topo = NodeTopology::with_capacity(nodes.len());
        topo.rebuild(nodes.iter().enumerate().map(|(i, n)| (i as u32, n)));
        let mut app = AppPods::with_capacity(nodes.len());
        app.clear(7);
        Cluster {
            fw: Framework::with_capacity(nodes.len()),
            app,
            topo,
            nodes,
            rng: Rng::new(3),
        }
    }

    /// Puts a pod of app 7 on node `i`.
    fn place(&mut self, i: u32, anti: AntiAffinity) {
        let n = &mut self.nodes[i as usize];
        n.requested_cpu_m += 100;
        n.requested_memory_mib += 128;
        n.pod_count += 1;
        self.app.update(i, n.zone, false, anti, true);
    }

    fn run(&mut self, spec: SchedulingSpec) -> Decision {
        let pod = PodInfo {
            cpu_m: 100,
            memory_mib: 128,
            mana: Default::default(),
            app: 7,
            scheduling: spec,
            index: 0,
            claims: Default::default(),
        };
        self.fw.find_node(
            &self.nodes[..],
            &self.topo,
            &pod,
            &self.app,
            &[],
            &mut self.rng,
        )
    }

    fn scores(&self, i: u32) -> Option<NodeScores> {
        self.fw
            .candidates()
            .iter()
            .find(|c| c.node == i)
            .map(|c| c.scores)
    }
}

fn unschedulable_reasons(d: Decision) -> ReasonCounts {
    match d {
        Decision::Unschedulable { reasons, .. } => reasons,
        Decision::Bind(n) => panic!("bound to {n}"),
    }
}

#[test]
fn resources_fit_strategies_follow_upstream_formulas() {
    // cpu 2000/4000 after the pod, memory 3072/8192.
    let (c, cc, m, mc) = (2000, 4000, 3072, 8192);
    // LeastAllocated: ((4000-2000)*100/4000 + (8192-3072)*100/8192) / 2 = (50 + 62) / 2.
    assert_eq!(ScoringStrategy::LeastAllocated.score(c, cc, m, mc), 56);
    // MostAllocated: (50 + 37) / 2.
    assert_eq!(ScoringStrategy::MostAllocated.score(c, cc, m, mc), 43);
    // RequestedToCapacityRatio {(0,0),(100,10)}: utilizations 50 and 37, round(87 / 2).
    assert_eq!(ScoringStrategy::from_knob(0.95).score(c, cc, m, mc), 44);
    // The knob's middle is the flat shape {(0,5),(100,5)}.
    assert_eq!(ScoringStrategy::from_knob(0.5).score(c, cc, m, mc), 50);
    assert_eq!(
        ScoringStrategy::from_knob(0.0),
        ScoringStrategy::LeastAllocated
    );
    assert_eq!(
        ScoringStrategy::from_knob(f32::NAN),
        ScoringStrategy::LeastAllocated
    );
    assert_eq!(
        ScoringStrategy::from_knob(7.0),
        ScoringStrategy::MostAllocated
    );
    // A broken line with a knee: {(0,0),(50,10),(100,0)} peaks at half utilisation.
    let mut shape = [ShapePoint::default(); 4];
    shape[1] = ShapePoint {
        utilization: 50,
        score: 10,
    };
    shape[2] = ShapePoint {
        utilization: 100,
        score: 0,
    };
    let knee = ScoringStrategy::RequestedToCapacityRatio { shape, len: 3 };
    assert_eq!(knee.score(2000, 4000, 2048, 8192), 75); // (100 + 50) / 2
}

#[test]
fn most_allocated_bin_packs_and_least_allocated_spreads() {
    let mut c = Cluster::new(vec![
        node(0, 4000, 1, TaintEffect::None),
        node(1, 4000, 1, TaintEffect::None),
    ]);
    c.place(0, AntiAffinity::None);
    c.place(0, AntiAffinity::None);
    let spec = SchedulingSpec::default();
    assert_eq!(c.run(spec), Decision::Bind(1));
    c.fw.config.strategy = ScoringStrategy::MostAllocated;
    assert_eq!(c.run(spec), Decision::Bind(0));
}

#[test]
fn taints_filter_and_prefer_no_schedule_scores_as_upstream() {
    let mut c = Cluster::new(vec![
        node(0, 4000, 1, TaintEffect::None),
        node(1, 4000, 1, TaintEffect::PreferNoSchedule),
        node(2, 4000, 1, TaintEffect::NoSchedule),
        node(3, 4000, 1, TaintEffect::NoExecute),
    ]);
    let plain = SchedulingSpec::default();
    c.run(plain);
    // Reversed DefaultNormalizeScore: untainted 100, one intolerable PreferNoSchedule 0.
    assert_eq!(c.scores(0).unwrap().taint_toleration, 300);
    assert_eq!(c.scores(1).unwrap().taint_toleration, 0);
    assert!(c.scores(2).is_none() && c.scores(3).is_none());
    assert_eq!(
        c.fw.failed_nodes(),
        &[
            (2, FilterReason::UntoleratedTaint),
            (3, FilterReason::UntoleratedTaint)
        ]
    );
    let tolerant = SchedulingSpec {
        tolerates_dedicated: true,
        ..plain
    };
    c.run(tolerant);
    assert_eq!(c.fw.candidates().len(), 4);
    assert!(c
        .fw
        .candidates()
        .iter()
        .all(|x| x.scores.taint_toleration == 300));
    assert!(FilterReason::UntoleratedTaint.unresolvable());
    let mut reasons = ReasonCounts::default();
    reasons.add(FilterReason::UntoleratedTaint);
    reasons.add(FilterReason::NotReady);
    let diagnosis = Diagnosis {
        nodes: 2,
        reasons,
        ..Diagnosis::default()
    };
    assert_eq!(
        diagnosis.message(),
        "0/2 nodes are available: 2 node(s) had untolerated taint(s). no new claims to deallocate"
    );
}

#[test]
fn node_selector_filters_and_preferred_affinity_scores() {
    let nodes = (0..4).map(|i| node(i, 4000, i as u8 + 1, TaintEffect::None));
    let mut c = Cluster::new(nodes.collect());
    let spec = SchedulingSpec {
        node_selector_zone: 2,
        ..SchedulingSpec::default()
    };
    assert_eq!(c.run(spec), Decision::Bind(1));
    let reasons = c.fw.failed_nodes().iter().map(|f| f.1);
    assert!(reasons.clone().all(|r| r == FilterReason::NodeAffinity));
    assert_eq!(reasons.count(), 3);
    let spec = SchedulingSpec {
        preferred_zone: 3,
        ..SchedulingSpec::default()
    };
    assert_eq!(c.run(spec), Decision::Bind(2));
    assert_eq!(c.scores(2).unwrap().node_affinity, 200);
    assert_eq!(c.scores(0).unwrap().node_affinity, 0);
    // Without a preferred term NodeAffinity skips scoring.
    c.run(SchedulingSpec::default());
    assert!(c
        .fw
        .candidates()
        .iter()
        .all(|x| x.scores.node_affinity == 0));
}

#[test]
fn topology_spread_do_not_schedule_filters_on_skew() {
    // Zones a, a, b, b; the app has 2 pods in zone a, none in b.
    let zones = [1, 1, 2, 2];
    let nodes = (0..4).map(|i| node(i, 4000, zones[i as usize], TaintEffect::None));
    let mut c = Cluster::new(nodes.collect());
    c.place(0, AntiAffinity::None);
    c.place(1, AntiAffinity::None);
    let spec = SchedulingSpec {
        spread: Some(SpreadConstraint {
            max_skew: 1,
            key: TopologyKey::Zone,
            when: WhenUnsatisfiable::DoNotSchedule,
        }),
        ..SchedulingSpec::default()
    };
    c.run(spec);
    // 2 + 1 - 0 = 3 > 1 in zone a; 0 + 1 - 0 = 1 in zone b.
    let feasible: Vec<u32> = c.fw.candidates().iter().map(|x| x.node).collect();
    assert_eq!(feasible, vec![2, 3]);
    assert!(c
        .fw
        .failed_nodes()
        .iter()
        .all(|f| f.1 == FilterReason::SpreadSkew));
    // maxSkew 3 admits zone a again.
    let loose = SchedulingSpec {
        spread: Some(SpreadConstraint {
            max_skew: 3,
            ..spec.spread.unwrap()
        }),
        ..spec
    };
    c.run(loose);
    assert_eq!(c.fw.candidates().len(), 4);
    // A node without the zone label fails for a missing label.
    let mut c = Cluster::new(vec![node(0, 4000, 0, TaintEffect::None)]);
    assert_eq!(
        unschedulable_reasons(c.run(spec)).get_filter(FilterReason::SpreadMissingLabel),
        1
    );
}

#[test]
fn topology_spread_schedule_anyway_scores_as_upstream() {
    // Hostname constraint maxSkew 1 over 3 feasible nodes holding 2, 1 and 0 pods.
    let nodes = (0..3).map(|i| node(i, 4000, 1, TaintEffect::None));
    let mut c = Cluster::new(nodes.collect());
    c.place(0, AntiAffinity::None);
    c.place(0, AntiAffinity::None);
    c.place(1, AntiAffinity::None);
    let spec = SchedulingSpec {
        spread: Some(SpreadConstraint {
            max_skew: 1,
            key: TopologyKey::Hostname,
            when: WhenUnsatisfiable::ScheduleAnyway,
        }),
        ..SchedulingSpec::default()
    };
    c.run(spec);
    // raw = round(count * ln(3 + 2)): 3, 2, 0; normalised 100 * (max + min - raw) / max.
    let w = 5f64.ln();
    let raw = |n: f64| (n * w).round() as i64;
    let (max, min) = (raw(2.0), raw(0.0));
    for (i, pods) in [(0u32, 2.0), (1, 1.0), (2, 0.0)] {
        let want = 100 * (max + min - raw(pods)) / max * WEIGHT_POD_TOPOLOGY_SPREAD;
        assert_eq!(c.scores(i).unwrap().pod_topology_spread, want, "node {i}");
    }
    assert_eq!(c.scores(2).unwrap().pod_topology_spread, 200);
    // The system defaults (hostname 3, zone 5) for a ReplicaSet's pod with no constraint.
    let defaults = SchedulingSpec {
        default_spread: true,
        ..SchedulingSpec::default()
    };
    c.run(defaults);
    let wh = 5f64.ln();
    let wz = 3f64.ln(); // one zone among the feasible nodes
    let raw = |n: f64| (n * wh + 2.0 + 3.0 * wz + 4.0).round() as i64;
    let (max, min) = (raw(2.0), raw(0.0));
    let want = 100 * (max + min - raw(1.0)) / max * WEIGHT_POD_TOPOLOGY_SPREAD;
    assert_eq!(c.scores(1).unwrap().pod_topology_spread, want);
    // A bare pod (no owner, no constraint) skips the plugin.
    c.run(SchedulingSpec::default());
    assert!(c
        .fw
        .candidates()
        .iter()
        .all(|x| x.scores.pod_topology_spread == 0));
}

#[test]
fn topology_spread_schedule_anyway_ignores_nodes_without_the_key() {
    // Zones 1, 2, 3 holding 4, 2 and 0 pods of the app, and an unlabelled node.
    let zones = [1, 2, 3, 0];
    let nodes = (0..4).map(|i| node(i, 4000, zones[i as usize], TaintEffect::None));
    let mut c = Cluster::new(nodes.collect());
    for _ in 0..4 {
        c.place(0, AntiAffinity::None);
    }
    c.place(1, AntiAffinity::None);
    c.place(1, AntiAffinity::None);
    let spec = SchedulingSpec {
        spread: Some(SpreadConstraint {
            max_skew: 1,
            key: TopologyKey::Zone,
            when: WhenUnsatisfiable::ScheduleAnyway,
        }),
        ..SchedulingSpec::default()
    };
    c.run(spec);
    // The unlabelled node is ignored: it scores 0 and is no domain, so the weight is
    // ln(3 + 2); raw scores round(4w) = 6, round(2w) = 3 and 0.
    assert_eq!(c.scores(3).unwrap().pod_topology_spread, 0);
    let spread = |i| c.scores(i).unwrap().pod_topology_spread;
    assert_eq!(spread(0), 0);
    assert_eq!(spread(1), 100 * (6 - 3) / 6 * WEIGHT_POD_TOPOLOGY_SPREAD);
    assert_eq!(spread(2), 100 * WEIGHT_POD_TOPOLOGY_SPREAD);
}

#[test]
fn anti_affinity_required_filters_and_preferred_scores() {
    let nodes = (0..3).map(|i| node(i, 4000, 1, TaintEffect::None));
    let mut c = Cluster::new(nodes.collect());
    c.place(0, AntiAffinity::Required);
    let required = SchedulingSpec {
        anti_affinity: AntiAffinity::Required,
        ..SchedulingSpec::default()
    };
    c.run(required);
    // The pod's own term is checked before the existing pod's (upstream's order).
    assert_eq!(c.fw.failed_nodes(), &[(0, FilterReason::AntiAffinity)]);
    // Without a term of its own, the existing pod's term still keeps it off the node.
    c.run(SchedulingSpec::default());
    assert_eq!(
        c.fw.failed_nodes(),
        &[(0, FilterReason::ExistingAntiAffinity)]
    );
    // On the zone key every node of zone 1 holds the app: nothing fits.
    let zonal = SchedulingSpec {
        anti_affinity_key: TopologyKey::Zone,
        ..required
    };
    assert_eq!(
        unschedulable_reasons(c.run(zonal)).get_filter(FilterReason::AntiAffinity),
        3
    );
    let mut c = Cluster::new(
        (0..3)
            .map(|i| node(i, 4000, 1, TaintEffect::None))
            .collect(),
    );
    c.place(0, AntiAffinity::Preferred);
    c.place(0, AntiAffinity::Preferred);
    c.place(1, AntiAffinity::Preferred);
    let preferred = SchedulingSpec {
        anti_affinity: AntiAffinity::Preferred,
        ..SchedulingSpec::default()
    };
    assert_eq!(c.run(preferred), Decision::Bind(2));
    // raw: -200 per pod (own term and the existing pod's term): -400, -200, 0.
    assert_eq!(c.scores(0).unwrap().inter_pod_affinity, 0);
    assert_eq!(c.scores(1).unwrap().inter_pod_affinity, 100);
    assert_eq!(c.scores(2).unwrap().inter_pod_affinity, 200);
}

#[test]
fn percentage_of_nodes_to_score_follows_upstream_and_rotates_the_start() {
    assert_eq!(num_feasible_nodes_to_find(0, 50), 50);
    assert_eq!(num_feasible_nodes_to_find(0, 1000), 420);
    assert_eq!(num_feasible_nodes_to_find(0, 5000), 500);
    assert_eq!(num_feasible_nodes_to_find(0, 10_000), 500);
    assert_eq!(num_feasible_nodes_to_find(10, 500), 100);
    assert_eq!(num_feasible_nodes_to_find(100, 500), 500);
    let nodes = (0..1000).map(|i| node(i, 4000, 1, TaintEffect::None));
    let mut c = Cluster::new(nodes.collect());
    c.run(SchedulingSpec::default());
    assert_eq!(c.fw.candidates().len(), 420);
    assert_eq!(c.fw.candidates()[0].node, 0);
    c.run(SchedulingSpec::default());
    assert_eq!(c.fw.candidates()[0].node, 420);
    c.run(SchedulingSpec::default());
    assert_eq!(c.fw.candidates()[0].node, 840);
    assert_eq!(c.fw.candidates()[200].node, 40);
    c.fw.config.percentage_of_nodes_to_score = 100;
    c.run(SchedulingSpec::default());
    assert_eq!(c.fw.candidates().len(), 1000);
}

#[test]
fn pick_one_node_for_preemption_orders_candidates_as_upstream() {
    let cand = |node, victims, highest, sum, start| CandidateNode {
        node,
        victims,
        highest,
        sum,
        earliest_start: start,
    };
    let off = |p: i64| p + i64::from(i32::MAX) + 1;
    // Lowest highest-victim priority wins.
    let c = [
        cand(0, 1, 100, off(100), 0.0),
        cand(1, 3, 10, 3 * off(10), 0.0),
    ];
    assert_eq!(pick_one_node_for_preemption(&c), Some(1));
    // Then the smallest sum.
    let c = [
        cand(0, 2, 10, 2 * off(10), 0.0),
        cand(1, 1, 10, off(10), 0.0),
    ];
    assert_eq!(pick_one_node_for_preemption(&c), Some(1));
    // Then the latest start of the highest-priority victims.
    let c = [
        cand(0, 1, 10, off(10), 5.0),
        cand(1, 1, 10, off(10), 9.0),
        cand(2, 1, 10, off(10), 7.0),
    ];
    assert_eq!(pick_one_node_for_preemption(&c), Some(1));
    // Ties go to the first.
    let c = [cand(0, 1, 10, off(10), 5.0), cand(1, 1, 10, off(10), 5.0)];
    assert_eq!(pick_one_node_for_preemption(&c), Some(0));
    assert_eq!(pick_one_node_for_preemption(&[]), None);
}
