//! The whole world against a real kube-scheduler v1.34 (tests/fixtures/README.md): the
//! recorded nodes as one-node pools, the recorded pods as bare pods created one at a time,
//! and for each the same outcome: bound to the recorded node, or the FailedScheduling
//! message byte for byte (the filters' reasons and the PostFilter words of DynamicResources
//! and DefaultPreemption), the same victims preempted and the same node nominated. Where the
//! real scheduler broke a top-score tie, the other tied nodes are cordoned for that one pod
//! so the world follows the recording (scheduler_fidelity.rs checks the choice itself lies in
//! the tie set).

mod fidelity_support;

use std::collections::{BTreeSet, HashMap};

use fidelity_support::*;
use kuberack_core::world::events::EventKind;
use kuberack_core::world::{BarePodSpec, NodePoolSpec, World, WorldConfig};

const POD_TAG: u32 = 100;
const STEP: f64 = 0.05;

fn pool(n: &NodeSpec, cordoned: bool) -> NodePoolSpec {
    NodePoolSpec {
        count: 1,
        cpu_m: n.cpu_m,
        memory_mib: n.memory_mib,
        pods: n.pods,
        cordoned: cordoned || n.cordoned,
        zone: n.zone,
        taint: n.taint,
        mana: Default::default(),
        terms: 0,
    }
}

/// What became of one pod in the world.
#[derive(Debug, Default)]
struct Outcome {
    node: Option<String>,
    message: Option<String>,
    nominated: Option<String>,
    victims: BTreeSet<String>,
}

fn replay(name: &str) -> usize {
    let data = fixture(name);
    let (nodes, pods) = scenario(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut w = World::new(WorldConfig {
        seed: 5,
        max_pods: 256,
        max_nodes: 64,
        event_capacity: 16_384,
    });
    for (i, n) in nodes.iter().enumerate() {
        w.apply_node_pool(i as u32 + 1, pool(n, false));
    }
    for _ in 0..400 {
        w.step(STEP);
        if w.node_count() == nodes.len() && w.nodes().all(|(_, n)| n.ready) {
            break;
        }
    }
    assert!(w.nodes().all(|(_, n)| n.ready), "{name}: nodes never Ready");
    // The world's names of nodes and pods, to the recorded ones.
    let mut names: HashMap<String, String> = w
        .nodes()
        .map(|(_, n)| {
            (
                n.name().to_string(),
                nodes[n.pool as usize - 1].name.clone(),
            )
        })
        .collect();
    let outcomes = data["runs"][0]["outcome"].as_array().unwrap();
    let mut compared = 0;
    for (i, (pod, want)) in pods.iter().zip(outcomes).enumerate() {
        let what = format!("{name}, {}", pod.name);
        let tag = POD_TAG + i as u32;
        // Steer a tie the recording broke one way.
        let tie: Vec<&str> = want["tie_at_top"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let steered: Vec<usize> = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| tie.len() > 1 && tie.contains(&n.name.as_str()))
            .filter(|(_, n)| want["node"] != n.name.as_str())
            .map(|(k, _)| k)
            .collect();
        for &k in &steered {
            w.apply_node_pool(k as u32 + 1, pool(&nodes[k], true));
        }
        let from = w.events().newest_revision();
        let spec = BarePodSpec {
            cpu_m: pod.cpu_m,
            memory_mib: pod.memory_mib,
            incarnation: 1,
            fault: false,
        };
        w.apply_pod_with_scheduling(tag, spec, pod.scheduling);
        let own = w.bare_pod(tag).expect("the pod exists").name().to_string();
        names.insert(own.clone(), pod.name.clone());
        let mut got = Outcome::default();
        let expect_nomination = !want["nominated_node"].is_null();
        for _ in 0..4000 {
            w.step(STEP);
            let (_, events) = w.events().since(from);
            for e in events {
                let object = e.object.to_string();
                let node = e.node.map(|n| names[&n.to_string()].clone());
                match e.kind {
                    EventKind::PodScheduled if object == own => got.node = node,
                    EventKind::PodFailedScheduling if object == own && got.message.is_none() => {
                        got.message = w.events().to_json(e)["message"].as_str().map(str::to_owned)
                    }
                    EventKind::PodNominated if object == own => got.nominated = node,
                    EventKind::PodPreempted => {
                        got.victims.insert(names[&object].clone());
                    }
                    _ => {}
                }
            }
            let failed_for_good = got.message.is_some() && !expect_nomination;
            if got.node.is_some() || failed_for_good {
                break;
            }
        }
        for &k in &steered {
            w.apply_node_pool(k as u32 + 1, pool(&nodes[k], false));
        }
        if got.node.is_none() {
            // As recorded: an unschedulable pod is deleted before the next one comes.
            w.delete_pod(tag);
            w.step(STEP);
        }
        assert_eq!(got.node.as_deref(), want["node"].as_str(), "{what}: node");
        assert_eq!(
            got.message.as_deref(),
            want["unschedulable_message"].as_str(),
            "{what}: message"
        );
        assert_eq!(
            got.nominated.as_deref(),
            want["nominated_node"].as_str(),
            "{what}: nominated"
        );
        let victims: BTreeSet<String> = want["victims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["pod"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got.victims, victims, "{what}: victims");
        compared += 1;
    }
    compared
}

#[test]
fn messages_and_a_preemption_match_a_real_kube_scheduler() {
    let pods = replay("kube-scheduler-v1.34-taints-and-messages.json");
    assert_eq!(pods, 12);
}

#[test]
fn preemption_victims_nominations_and_messages_match_a_real_kube_scheduler() {
    let data = fixture("kube-scheduler-v1.34-preemption.json");
    let preempting = data["runs"][0]["outcome"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| !o["victims"].as_array().unwrap().is_empty())
        .count();
    assert!(
        preempting >= 2,
        "the fixture holds {preempting} preemptions"
    );
    let pods = replay("kube-scheduler-v1.34-preemption.json");
    assert_eq!(pods, data["steps"].as_array().map_or(0, Vec::len));
}
