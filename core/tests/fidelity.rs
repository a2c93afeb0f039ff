//! The default scheduler against decisions recorded from a real kube-scheduler v1.34
//! (tests/fixtures, see shared/fidelity/README.md): same nodes, same pods in the same order,
//! same per-plugin scores and the same placements.

use kuberack_core::rng::Rng;
use kuberack_core::world::scheduler::{
    AppPods, Decision, Framework, NodeTopology, PodInfo, NO_DEVICE_SLOT,
};
use kuberack_core::world::{Node, ObjectMeta, NONE};
use serde_json::Value;

fn cpu_millis(q: &str) -> u32 {
    match q.strip_suffix('m') {
        Some(m) => m.parse().unwrap(),
        None => q.parse::<u32>().unwrap() * 1000,
    }
}

fn memory_mib(q: &str) -> u32 {
    if let Some(g) = q.strip_suffix("Gi") {
        g.parse::<u32>().unwrap() * 1024
    } else if let Some(m) = q.strip_suffix("Mi") {
        m.parse().unwrap()
    } else {
        panic!("unexpected memory quantity {q}")
    }
}

fn fixture() -> Value {
    let text = include_str!("fixtures/kube-scheduler-v1.34-mixed-pods.json");
    serde_json::from_str(text).unwrap()
}

#[test]
fn placements_and_plugin_scores_match_a_real_kube_scheduler() {
    let data = fixture();
    let mut names = Vec::new();
    let mut nodes: Vec<Node> = data["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, n)| {
            names.push(n["name"].as_str().unwrap().to_owned());
            let alloc = &n["allocatable"];
            Node {
                meta: ObjectMeta {
                    uid: i as u64 + 1,
                    resource_version: 1,
                    creation_time: 0.0,
                },
                pool: 1,
                ordinal: i as u32,
                allocatable_cpu_m: cpu_millis(alloc["cpu"].as_str().unwrap()),
                allocatable_memory_mib: memory_mib(alloc["memory"].as_str().unwrap()),
                allocatable_pods: alloc["pods"].as_str().unwrap().parse().unwrap(),
                requested_cpu_m: 0,
                requested_memory_mib: 0,
                mana: Default::default(),
                requested_mana: 0,
                pod_count: 0,
                ready: true,
                kubelet_silent: false,
                last_heartbeat: 0.0,
                unschedulable: false,
                zone: 0,
                taint: Default::default(),
                terms: 0,
                device_slot: NO_DEVICE_SLOT,
                first_pod: NONE,
                last_pod: NONE,
            }
        })
        .collect();
    let outcomes = data["runs"][0]["outcome"].as_array().unwrap();
    let pods = data["pods"].as_array().unwrap();
    assert_eq!(outcomes.len(), pods.len());
    let mut rng = Rng::new(1);
    let mut framework = Framework::with_capacity(nodes.len());
    let mut topo = NodeTopology::with_capacity(nodes.len());
    topo.rebuild(nodes.iter().enumerate().map(|(i, n)| (i as u32, n)));
    // Bare pods: no owner, so no app counts and no default spread constraints.
    let app = AppPods::with_capacity(nodes.len());
    let mut compared = 0;
    for (pod, outcome) in pods.iter().zip(outcomes) {
        assert_eq!(pod["name"], outcome["pod"]);
        let req = PodInfo {
            cpu_m: cpu_millis(pod["requests"]["cpu"].as_str().unwrap()),
            memory_mib: memory_mib(pod["requests"]["memory"].as_str().unwrap()),
            ..PodInfo::default()
        };
        let decision = framework.find_node(&nodes[..], &topo, &req, &app, &[], &mut rng);
        let recorded = &outcome["plugin_scores_weighted"];
        for (node, name) in nodes.iter().zip(&names) {
            let Some(want) = recorded.get(name.as_str()) else {
                continue;
            };
            let got = framework
                .candidates()
                .iter()
                .find(|c| nodes[c.node as usize].ordinal == node.ordinal)
                .unwrap_or_else(|| panic!("{name} not feasible"))
                .scores;
            let pod_name = pod["name"].as_str().unwrap();
            assert_eq!(
                got.taint_toleration,
                want["TaintToleration"].as_i64().unwrap(),
                "{pod_name} on {name}"
            );
            assert_eq!(
                got.resources_fit,
                want["NodeResourcesFit"].as_i64().unwrap(),
                "{pod_name} on {name}"
            );
            assert_eq!(
                got.balanced_allocation,
                want["NodeResourcesBalancedAllocation"].as_i64().unwrap(),
                "{pod_name} on {name}"
            );
            assert_eq!(
                got.total(),
                outcome["final_scores"][name.as_str()].as_i64().unwrap()
            );
            compared += 1;
        }
        let Decision::Bind(chosen) = decision else {
            panic!(
                "{} unschedulable, recorded on {}",
                pod["name"], outcome["node"]
            );
        };
        assert_eq!(
            names[chosen as usize],
            outcome["node"].as_str().unwrap(),
            "{}",
            pod["name"]
        );
        let n = &mut nodes[chosen as usize];
        n.requested_cpu_m += req.cpu_m;
        n.requested_memory_mib += req.memory_mib;
        n.pod_count += 1;
    }
    assert!(
        compared >= pods.len() * 2,
        "too few scores compared: {compared}"
    );
    // Every recorded run placed the pods identically; so must we.
    for run in data["outcomes_all_runs"].as_array().unwrap() {
        let recorded: Vec<&str> = run
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let ours: Vec<&str> = outcomes
            .iter()
            .map(|o| o["node"].as_str().unwrap())
            .collect();
        assert_eq!(recorded, ours);
    }
}
