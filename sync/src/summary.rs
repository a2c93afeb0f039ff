//! The real cluster's capacity in a few numbers: nodes' allocatable CPU and pods' effective
//! CPU requests, read off the objects the watchers see.

use k8s_openapi::api::core::v1::{Container, Node, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

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

fn cpu_of(map: Option<&std::collections::BTreeMap<String, Quantity>>) -> u64 {
    map.and_then(|m| m.get("cpu"))
        .and_then(|q| cpu_millis(&q.0))
        .unwrap_or(0)
}

/// A node's allocatable CPU in millicores (0 when it reports none).
pub fn node_cpu_allocatable(node: &Node) -> u64 {
    cpu_of(node.status.as_ref().and_then(|s| s.allocatable.as_ref()))
}

fn container_cpu(c: &Container) -> u64 {
    cpu_of(c.resources.as_ref().and_then(|r| r.requests.as_ref()))
}

/// A pod's effective CPU request, as the scheduler counts it: the larger of its containers'
/// sum and its largest init container, plus its overhead.
pub fn pod_cpu_request(pod: &Pod) -> u64 {
    let Some(spec) = pod.spec.as_ref() else {
        return 0;
    };
    let sum: u64 = spec.containers.iter().map(container_cpu).sum();
    let init = spec
        .init_containers
        .iter()
        .flatten()
        .map(container_cpu)
        .max()
        .unwrap_or(0);
    sum.max(init) + cpu_of(spec.overhead.as_ref())
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
}
