//! The default profile's Filter and Score against decisions recorded from a real
//! kube-scheduler v1.34 (tests/fixtures/README.md says how each was recorded): for every pod,
//! in the recorded order and on the recorded cluster state, the same nodes evaluated, the same
//! weighted per-plugin scores, a choice inside the recorded tie set, and the same reasons of
//! a failed attempt. The replay follows the recorded placements, so a tie broken otherwise
//! does not change what the next pod sees. Messages with their PostFilter words and
//! preemption are replayed through the whole world in scheduler_world_fidelity.rs.

mod fidelity_support;

use std::collections::{BTreeSet, HashMap};

use fidelity_support::*;
use kuberack_core::rng::Rng;
use kuberack_core::world::scheduler::{
    AppPods, BoundPod, Decision, Diagnosis, Framework, NodeTopology, PodInfo, PreemptionOutcome,
    NO_DEVICE_SLOT,
};
use kuberack_core::world::{Node, ObjectMeta, NONE};
use serde_json::Value;

/// Weighted score per plugin of one node, in the recorded plugins' names.
fn model_scores(s: &kuberack_core::world::scheduler::NodeScores) -> [(&'static str, i64); 6] {
    [
        ("TaintToleration", s.taint_toleration),
        ("NodeAffinity", s.node_affinity),
        ("NodeResourcesFit", s.resources_fit),
        ("PodTopologySpread", s.pod_topology_spread),
        ("InterPodAffinity", s.inter_pod_affinity),
        ("NodeResourcesBalancedAllocation", s.balanced_allocation),
    ]
}

fn model_node(i: usize, n: &NodeSpec) -> Node {
    Node {
        meta: ObjectMeta {
            uid: i as u64 + 1,
            resource_version: 1,
            creation_time: 0.0,
        },
        pool: 1,
        ordinal: i as u32,
        allocatable_cpu_m: n.cpu_m,
        allocatable_memory_mib: n.memory_mib,
        allocatable_pods: n.pods,
        requested_cpu_m: 0,
        requested_memory_mib: 0,
        mana: Default::default(),
        requested_mana: 0,
        pod_count: 0,
        ready: true,
        kubelet_silent: false,
        last_heartbeat: 0.0,
        unschedulable: n.cordoned,
        zone: n.zone,
        taint: n.taint,
        terms: n.terms,
        device_slot: NO_DEVICE_SLOT,
        first_pod: NONE,
        last_pod: NONE,
        pool_prev: NONE,
        pool_next: NONE,
    }
}

/// Where a cycle starts in the node list, from the nodes it evaluated: the first node of the
/// (cyclic) run that follows the longest gap of unevaluated nodes.
fn window_start(evaluated: &BTreeSet<usize>, all: usize) -> usize {
    let (mut best, mut best_gap) = (0, 0);
    for &i in evaluated {
        let mut gap = 0;
        while gap < all && !evaluated.contains(&((i + all - 1 - gap) % all)) {
            gap += 1;
        }
        if gap > best_gap {
            (best, best_gap) = (i, gap);
        }
    }
    best
}

/// Upstream filters nodes in parallel, in chunks of min(sqrt(n), n/16 + 1) from the start
/// index, and keeps the first feasible ones to arrive: whole chunks at the window's front
/// may lose the race to later ones.
fn chunk_size(all: usize) -> usize {
    ((all as f64).sqrt() as usize).min(all / 16 + 1).max(1)
}

/// Replays run `run` of a fixture; returns how many per-plugin scores were compared.
fn replay(name: &str, run: usize) -> usize {
    let data = fixture(name);
    let (nodes, pods) = scenario(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
    let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    let index = |n: &str| names.iter().position(|m| *m == n).unwrap();
    let mut model: Vec<Node> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| model_node(i, n))
        .collect();
    let mut topo = NodeTopology::with_capacity(model.len());
    topo.rebuild(model.iter().enumerate().map(|(i, n)| (i as u32, n)));
    let position: HashMap<u32, usize> = topo
        .order
        .iter()
        .enumerate()
        .map(|(p, &i)| (i, p))
        .collect();
    let all = model.len();
    let mut rng = Rng::new(7);
    let mut next_start = None;
    // Bound pods of each app: (node, its anti-affinity).
    let mut apps: HashMap<String, Vec<(u32, _)>> = HashMap::new();
    let mut app_ids: HashMap<String, u32> = HashMap::new();
    // Every bound pod, for the typed terms that read other pods.
    let mut bound: Vec<BoundPod> = Vec::new();
    let mut compared = 0;
    let outcomes = data["runs"][run]["outcome"].as_array().unwrap();
    assert_eq!(outcomes.len(), pods.len());
    for (i, (pod, outcome)) in pods.iter().zip(outcomes).enumerate() {
        assert_eq!(pod.name, outcome["pod"].as_str().unwrap());
        let what = format!("{name} run {run}, {}", pod.name);
        let app_id = if pod.app.is_empty() {
            10_000 + i as u32
        } else {
            let next = app_ids.len() as u32 + 1;
            *app_ids.entry(pod.app.clone()).or_insert(next)
        };
        let mut app = AppPods::with_capacity(all);
        app.clear(app_id);
        for &(node, anti) in apps
            .get(&pod.app)
            .filter(|_| !pod.app.is_empty())
            .into_iter()
            .flatten()
        {
            app.update(node, model[node as usize].zone, false, anti, true);
        }
        let info = PodInfo {
            cpu_m: pod.cpu_m,
            memory_mib: pod.memory_mib,
            app: app_id,
            scheduling: pod.scheduling,
            index: i as u32,
            ..PodInfo::default()
        };
        let finals = outcome["final_scores"].as_object().unwrap();
        let evaluated: BTreeSet<usize> = finals
            .keys()
            .map(|n| position[&(index(n) as u32)])
            .collect();
        let mut fw = Framework::with_capacity(all);
        // The first cycle starts where the recorded scheduler stood; later ones where ours
        // left off.
        let start = next_start.unwrap_or_else(|| {
            if evaluated.is_empty() {
                0
            } else {
                window_start(&evaluated, all)
            }
        });
        fw.set_next_start_node_index(start);
        fw.prepare_typed(
            &info.scheduling,
            &topo.order,
            || bound.iter().copied(),
            &model[..],
        );
        let decision = fw.find_node(&model[..], &topo, &info, &app, &[], &mut rng);
        next_start = Some(fw.next_start_node_index());
        let recorded_node = outcome["node"].as_str();
        let failed_message = outcome["unschedulable_message"].as_str();
        match (decision, recorded_node, failed_message) {
            (Decision::Unschedulable { nodes, reasons }, _, Some(msg)) => {
                // The filters' sentence; the PostFilter words follow it.
                let filters = Diagnosis {
                    nodes,
                    reasons,
                    has_claims: false,
                    preemption: PreemptionOutcome::Nominated,
                }
                .message();
                assert!(
                    msg == filters || msg.starts_with(&format!("{filters} ")),
                    "{what}: ours {filters:?}, recorded {msg:?}"
                );
                if recorded_node.is_some() {
                    // Bound later, after preemption: the whole world replays that.
                    return compared;
                }
                continue;
            }
            (Decision::Bind(_), None, _) | (Decision::Unschedulable { .. }, Some(_), _) => {
                panic!("{what}: ours {decision:?}, recorded {outcome}")
            }
            (Decision::Unschedulable { .. }, None, None) => panic!("{what}: no message recorded"),
            (Decision::Bind(chosen), Some(node), _) => {
                let candidates = fw.candidates();
                if !finals.is_empty() {
                    // The same nodes evaluated: all of them, or (with percentageOfNodesToScore
                    // below 100 %) a window of the node tree from where the last cycle stopped.
                    let ours: BTreeSet<usize> =
                        candidates.iter().map(|c| position[&c.node]).collect();
                    assert_eq!(ours.len(), evaluated.len(), "{what}: feasible nodes");
                    if all >= 100 {
                        let reach = ours.len() + chunk_size(all) * 16;
                        for &p in &evaluated {
                            assert!(
                                (p + all - start) % all < reach,
                                "{what}: node {p} outside the window"
                            );
                        }
                        assert_eq!(
                            ours,
                            (0..ours.len()).map(|k| (start + k) % all).collect(),
                            "{what}: our window"
                        );
                    } else {
                        assert_eq!(ours, evaluated, "{what}: feasible nodes");
                    }
                    for c in candidates {
                        let n = names[c.node as usize];
                        let Some(want) = outcome["plugin_scores_weighted"].get(n) else {
                            continue;
                        };
                        for (plugin_name, got) in model_scores(&c.scores) {
                            assert_eq!(
                                got,
                                plugin(want, plugin_name),
                                "{what} on {n}: {plugin_name}"
                            );
                        }
                        assert_eq!(
                            c.scores.total(),
                            finals[n].as_i64().unwrap(),
                            "{what} on {n}"
                        );
                        compared += 1;
                    }
                    let top = finals.values().filter_map(Value::as_i64).max().unwrap();
                    let ours_top = candidates.iter().map(|c| c.scores.total()).max().unwrap();
                    assert_eq!(ours_top, top, "{what}: top score");
                    let tie: Vec<&str> = outcome["tie_at_top"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap())
                        .collect();
                    let chosen_name = names[chosen as usize];
                    assert!(
                        tie.contains(&chosen_name) || !finals.contains_key(chosen_name),
                        "{what}: chose {chosen_name}, recorded tie {tie:?}"
                    );
                } else {
                    // One feasible node: chosen without scoring.
                    assert_eq!(names[chosen as usize], node, "{what}");
                }
                if outcome["victims"].as_array().is_some_and(|v| !v.is_empty()) {
                    return compared;
                }
                // Follow the recording.
                let n = index(node);
                let m = &mut model[n];
                m.requested_cpu_m += pod.cpu_m;
                m.requested_memory_mib += pod.memory_mib;
                m.pod_count += 1;
                apps.entry(pod.app.clone())
                    .or_default()
                    .push((n as u32, pod.scheduling.anti_affinity));
                bound.push(BoundPod {
                    node: n as u32,
                    terms: pod.scheduling.terms,
                    terminating: false,
                });
            }
        }
    }
    compared
}

fn replay_all_runs(name: &str) -> usize {
    let runs = fixture(name)["runs"].as_array().unwrap().len();
    (0..runs).map(|run| replay(name, run)).sum()
}

#[test]
fn resources_fit_and_balanced_allocation_match_a_real_kube_scheduler() {
    let name = "kube-scheduler-v1.34-mixed-pods.json";
    let compared = replay_all_runs(name);
    assert!(compared >= 3 * 12 * 2, "only {compared} scores compared");
    // No tie occurred: every run placed every pod on the same node.
    let data = fixture(name);
    let runs = data["outcomes_all_runs"].as_array().unwrap();
    assert!(runs.len() >= 3 && runs.iter().all(|r| *r == runs[0]));
}

#[test]
fn taints_tolerations_and_reasons_match_a_real_kube_scheduler() {
    let compared = replay_all_runs("kube-scheduler-v1.34-taints-and-messages.json");
    assert!(compared >= 20, "only {compared} scores compared");
}

#[test]
fn affinity_anti_affinity_and_spread_match_a_real_kube_scheduler() {
    let compared = replay_all_runs("kube-scheduler-v1.34-affinity-and-spread.json");
    assert!(compared >= 100, "only {compared} scores compared");
}

#[test]
fn three_hundred_nodes_in_three_zones_are_walked_as_upstream_walks_its_node_tree() {
    let compared = replay_all_runs("kube-scheduler-v1.34-zones-300.json");
    // Twelve pods, 144 nodes each (the adaptive percentageOfNodesToScore: 48 % of 300),
    // in two runs.
    assert!(compared >= 2 * 12 * 100, "only {compared} scores compared");
}

#[test]
fn arbitrary_labels_taints_tolerations_and_pod_affinity_match_a_real_kube_scheduler() {
    let compared = replay_all_runs("kube-scheduler-v1.34-vocabulary.json");
    assert!(compared >= 20, "only {compared} scores compared");
}

#[test]
fn pod_affinity_and_anti_affinity_on_any_key_match_a_real_kube_scheduler() {
    let compared = replay_all_runs("kube-scheduler-v1.34-pod-affinity.json");
    assert!(compared >= 60, "only {compared} scores compared");
}

#[test]
fn topology_spread_with_min_domains_and_policies_matches_a_real_kube_scheduler() {
    let compared = replay_all_runs("kube-scheduler-v1.34-topology-spread.json");
    assert!(compared >= 60, "only {compared} scores compared");
}
