//! The real cluster's capacity in a few numbers: nodes' allocatable CPU and pods' effective
//! CPU requests, read off the objects the watchers see.

use crate::mirror::{NodeFacts, PodFacts};
use crate::selector::LabelQuery;
use k8s_openapi::api::core::v1::{Container, Node, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kuberack_core::live::{RealPool, MAX_REAL_POOLS, SUMMARY_CHANNELS};
use std::collections::{BTreeMap, HashMap};

/// A CPU quantity in millicores: `250m`, `2`, `1.5`, `2k`; `None` when unreadable.
pub fn cpu_millis(q: &str) -> Option<u64> {
    let q = q.trim();
    if let Some(m) = q.strip_suffix('m') {
        return m.parse::<u64>().ok();
    }
    let (number, scale) = match q.as_bytes().last()? {
        b'k' => (&q[..q.len() - 1], 1e3),
        b'M' => (&q[..q.len() - 1], 1e6),
        b'G' => (&q[..q.len() - 1], 1e9),
        _ => (q, 1.0),
    };
    let cores: f64 = number.parse().ok()?;
    let millis = (cores * scale * 1000.0).ceil();
    (millis.is_finite() && millis >= 0.0 && millis < u64::MAX as f64).then_some(millis as u64)
}

/// A memory quantity in bytes: `128Mi`, `1Gi`, `512M`, `1e9`, `2000`; `None` when
/// unreadable.
pub fn memory_bytes(q: &str) -> Option<u64> {
    let q = q.trim();
    let split = q
        .find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
        .unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let scale = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        _ => return None,
    };
    let bytes = (number.parse::<f64>().ok()? * scale).ceil();
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// The parser of a resource's quantities: millicores for `cpu`, bytes otherwise.
fn parser(resource: &str) -> fn(&str) -> Option<u64> {
    if resource == "cpu" {
        cpu_millis
    } else {
        memory_bytes
    }
}

fn amount(map: Option<&BTreeMap<String, Quantity>>, resource: &str) -> u64 {
    map.and_then(|m| m.get(resource))
        .and_then(|q| parser(resource)(&q.0))
        .unwrap_or(0)
}

/// A node's allocatable CPU in millicores (0 when it reports none).
pub fn node_cpu_allocatable(node: &Node) -> u64 {
    amount(
        node.status.as_ref().and_then(|s| s.allocatable.as_ref()),
        "cpu",
    )
}

fn container_request(c: &Container, resource: &str) -> u64 {
    amount(
        c.resources.as_ref().and_then(|r| r.requests.as_ref()),
        resource,
    )
}

/// A pod's effective CPU request, as the scheduler counts it: the larger of its containers'
/// sum and its largest init container, plus its overhead.
pub fn pod_cpu_request(pod: &Pod) -> u64 {
    pod.spec
        .as_ref()
        .map_or(0, |spec| pod_spec_request(spec, "cpu"))
}

/// A pod spec's effective request of `resource` (millicores for cpu, else bytes), as the
/// scheduler counts it: the larger of its containers' sum and its largest init container,
/// plus its overhead.
pub fn pod_spec_request(spec: &PodSpec, resource: &str) -> u64 {
    let sum: u64 = spec
        .containers
        .iter()
        .map(|c| container_request(c, resource))
        .sum();
    let init = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| container_request(c, resource))
        .max()
        .unwrap_or(0);
    sum.max(init) + amount(spec.overhead.as_ref(), resource)
}

/// The real nodes of each NODE module (labelled `kuberack.io/module=node-<id>`, else the
/// first NODE by module id whose pool selector in `pool_selectors` selects them), by module
/// id, at most [`MAX_REAL_POOLS`]: their count, Ready and cordoned ones, and for the first
/// [`kuberack_core::live::REAL_POOL_NODES`] by name the CPU the watched pods request on each over its allocatable
/// CPU.
pub fn real_pools(
    nodes: &HashMap<String, NodeFacts>,
    pods: &HashMap<String, PodFacts>,
    pool_selectors: &BTreeMap<u64, LabelQuery>,
) -> Vec<RealPool> {
    let mut requested: HashMap<&str, u64> = HashMap::new();
    for pod in pods.values().filter(|p| !p.node.is_empty()) {
        *requested.entry(pod.node.as_str()).or_default() += pod.cpu_requested_m;
    }
    let mut by_pool: BTreeMap<u64, Vec<(&String, &NodeFacts)>> = BTreeMap::new();
    for (name, node) in nodes {
        let selected = || {
            pool_selectors
                .iter()
                .find(|(_, q)| q.matches(&node.labels))
                .map(|(&module, _)| module)
        };
        if let Some(pool) = Some(node.pool).filter(|&p| p != 0).or_else(selected) {
            by_pool.entry(pool).or_default().push((name, node));
        }
    }
    by_pool
        .into_iter()
        .take(MAX_REAL_POOLS)
        .map(|(module, mut members)| {
            members.sort_by_key(|&(name, _)| name);
            let mut pool = RealPool {
                module,
                nodes: members.len().min(u32::MAX as usize) as u32,
                ..RealPool::default()
            };
            for (_, node) in &members {
                pool.ready += u32::from(node.ready);
                pool.cordoned += u32::from(node.cordoned);
            }
            for (u, (name, node)) in pool.utilisation.iter_mut().zip(&members) {
                let used = requested.get(name.as_str()).copied().unwrap_or(0);
                *u = if node.cpu_allocatable_m == 0 {
                    0.0
                } else {
                    (used as f64 / node.cpu_allocatable_m as f64).min(1.0) as f32
                };
            }
            pool
        })
        .collect()
}

/// The real cluster on the hub's UTIL cable, each channel 0..1: channel 1 the CPU the
/// watched pods request over all nodes' allocatable CPU; channels 2..16 the nodes in order
/// of name, cut into as many contiguous groups as there are channels left (at most 15, one
/// node each on a small cluster), each group's requested over its allocatable CPU. Empty
/// without nodes.
pub fn cluster_channels(
    nodes: &HashMap<String, NodeFacts>,
    pods: &HashMap<String, PodFacts>,
) -> Vec<f32> {
    if nodes.is_empty() {
        return Vec::new();
    }
    let mut requested: HashMap<&str, u64> = HashMap::new();
    let mut total_requested = 0u64;
    for pod in pods.values() {
        total_requested = total_requested.saturating_add(pod.cpu_requested_m);
        if !pod.node.is_empty() {
            *requested.entry(pod.node.as_str()).or_default() += pod.cpu_requested_m;
        }
    }
    let ratio = |used: u64, alloc: u64| {
        if alloc == 0 {
            0.0
        } else {
            (used as f64 / alloc as f64).min(1.0) as f32
        }
    };
    let mut names: Vec<&String> = nodes.keys().collect();
    names.sort();
    let total_alloc = nodes
        .values()
        .fold(0u64, |a, n| a.saturating_add(n.cpu_allocatable_m));
    let mut channels = vec![ratio(total_requested, total_alloc)];
    let groups = names.len().min(SUMMARY_CHANNELS - 1);
    for g in 0..groups {
        let (from, to) = (g * names.len() / groups, (g + 1) * names.len() / groups);
        let (mut used, mut alloc) = (0u64, 0u64);
        for name in &names[from..to] {
            used = used.saturating_add(requested.get(name.as_str()).copied().unwrap_or(0));
            alloc = alloc.saturating_add(nodes[*name].cpu_allocatable_m);
        }
        channels.push(ratio(used, alloc));
    }
    channels
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeStatus, PodSpec, ResourceRequirements};
    use std::collections::BTreeMap;

    fn cpu(q: &str) -> Option<BTreeMap<String, Quantity>> {
        Some(BTreeMap::from([("cpu".to_owned(), Quantity(q.to_owned()))]))
    }

    fn container(q: &str) -> Container {
        Container {
            name: "c".into(),
            resources: Some(ResourceRequirements {
                requests: cpu(q),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn cpu_quantities_read_as_millicores() {
        assert_eq!(cpu_millis("250m"), Some(250));
        assert_eq!(cpu_millis("2"), Some(2000));
        assert_eq!(cpu_millis("1.5"), Some(1500));
        assert_eq!(
            cpu_millis("0.0001"),
            Some(1),
            "rounded up, as the API server does"
        );
        assert_eq!(cpu_millis("2k"), Some(2_000_000));
        assert_eq!(cpu_millis(""), None);
        assert_eq!(cpu_millis("lots"), None);
        assert_eq!(cpu_millis("-1"), None);
        assert_eq!(cpu_millis("1e400"), None);
    }

    #[test]
    fn effective_requests_take_the_larger_of_containers_and_init_containers() {
        let mut pod = Pod {
            spec: Some(PodSpec {
                containers: vec![container("100m"), container("200m")],
                init_containers: Some(vec![container("250m"), container("50m")]),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(pod_cpu_request(&pod), 300);
        pod.spec.as_mut().unwrap().init_containers = Some(vec![container("1")]);
        assert_eq!(pod_cpu_request(&pod), 1000);
        pod.spec.as_mut().unwrap().overhead = cpu("10m");
        assert_eq!(pod_cpu_request(&pod), 1010);
        assert_eq!(pod_cpu_request(&Pod::default()), 0);
    }

    #[test]
    fn allocatable_cpu_comes_from_the_node_status() {
        let node = Node {
            status: Some(NodeStatus {
                allocatable: cpu("3800m"),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(node_cpu_allocatable(&node), 3800);
        assert_eq!(node_cpu_allocatable(&Node::default()), 0);
    }

    #[test]
    fn real_pools_gather_each_nodes_labelled_nodes_and_their_requests() {
        let node = |pool, ready, alloc| NodeFacts {
            ready,
            cordoned: !ready,
            cpu_allocatable_m: alloc,
            pool,
            ..NodeFacts::default()
        };
        let pod = |node: &str, cpu| PodFacts {
            cpu_requested_m: cpu,
            node: node.to_owned(),
            ..PodFacts::default()
        };
        let nodes = HashMap::from([
            ("b".to_owned(), node(7, true, 4000)),
            ("a".to_owned(), node(7, false, 2000)),
            ("c".to_owned(), node(0, true, 8000)),
            ("d".to_owned(), node(3, true, 0)),
        ]);
        let pods = HashMap::from([
            ("p1".to_owned(), pod("a", 500)),
            ("p2".to_owned(), pod("a", 500)),
            ("p3".to_owned(), pod("b", 5000)),
            ("p4".to_owned(), pod("", 700)),
            ("p5".to_owned(), pod("d", 100)),
        ]);
        let pools = real_pools(&nodes, &pods, &BTreeMap::new());
        assert_eq!(pools.iter().map(|p| p.module).collect::<Vec<_>>(), [3, 7]);
        let seven = pools[1];
        assert_eq!((seven.nodes, seven.ready, seven.cordoned), (2, 1, 1));
        // By node name: a (1000 of 2000), then b (over its allocatable: capped).
        assert_eq!(&seven.utilisation[..3], &[0.5, 1.0, 0.0]);
        assert_eq!(pools[0].utilisation[0], 0.0, "no allocatable CPU");
    }

    #[test]
    fn pool_selectors_map_unlabelled_nodes_and_the_module_label_wins() {
        let node = |pool, labels: &[(&str, &str)]| NodeFacts {
            ready: true,
            cpu_allocatable_m: 1000,
            pool,
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..NodeFacts::default()
        };
        let gp = [("karpenter.sh/nodepool", "gp")];
        let nodes = HashMap::from([
            ("a".to_owned(), node(0, &gp)),
            ("b".to_owned(), node(9, &gp)),
            (
                "c".to_owned(),
                node(0, &[("karpenter.sh/nodepool", "batch")]),
            ),
            ("d".to_owned(), node(0, &[])),
        ]);
        let q = |t: &str| LabelQuery::parse(t).unwrap();
        let selectors = BTreeMap::from([
            (5, q("karpenter.sh/nodepool=gp")),
            (6, q("karpenter.sh/nodepool in (gp,batch)")),
        ]);
        let pools = real_pools(&nodes, &HashMap::new(), &selectors);
        let counted: Vec<(u64, u32)> = pools.iter().map(|p| (p.module, p.nodes)).collect();
        // a: the first selector by module id; b: its label; c: the second selector; d: none.
        assert_eq!(counted, [(5, 1), (6, 1), (9, 1)]);
    }

    #[test]
    fn memory_quantities_read_as_bytes() {
        assert_eq!(memory_bytes("128Mi"), Some(128 << 20));
        assert_eq!(memory_bytes("32Gi"), Some(32 << 30));
        assert_eq!(memory_bytes("1G"), Some(1_000_000_000));
        assert_eq!(memory_bytes("1e3"), Some(1000));
        assert_eq!(memory_bytes("2048"), Some(2048));
        assert_eq!(memory_bytes("12Xi"), None);
        assert_eq!(memory_bytes(""), None);
    }

    #[test]
    fn the_cluster_is_summarised_on_sixteen_channels() {
        let node = |alloc| NodeFacts {
            ready: true,
            cpu_allocatable_m: alloc,
            ..NodeFacts::default()
        };
        let pod = |node: &str, cpu| PodFacts {
            cpu_requested_m: cpu,
            node: node.to_owned(),
            ..PodFacts::default()
        };
        assert!(cluster_channels(&HashMap::new(), &HashMap::new()).is_empty());
        // Three nodes: the total, then one channel each, by name.
        let nodes = HashMap::from([
            ("c".to_owned(), node(1000)),
            ("a".to_owned(), node(1000)),
            ("b".to_owned(), node(2000)),
        ]);
        let pods = HashMap::from([
            ("p".to_owned(), pod("b", 1000)),
            ("q".to_owned(), pod("a", 1000)),
        ]);
        assert_eq!(cluster_channels(&nodes, &pods), [0.5, 1.0, 0.5, 0.0]);
        // 1000 nodes: 16 channels, each group about 67 nodes, the busy one in the first.
        let nodes: HashMap<String, NodeFacts> = (0..1000)
            .map(|i| (format!("n{i:04}"), node(1000)))
            .collect();
        let pods = HashMap::from([("p".to_owned(), pod("n0000", 1000))]);
        let ch = cluster_channels(&nodes, &pods);
        assert_eq!(ch.len(), SUMMARY_CHANNELS);
        assert!((ch[0] - 0.001).abs() < 1e-6);
        assert!((ch[1] - 1.0 / 66.0).abs() < 1e-6, "{}", ch[1]);
        assert!(ch[2..].iter().all(|&c| c == 0.0));
    }
}
