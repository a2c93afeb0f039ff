//! The Kubernetes objects KubeRack writes, as server-side-apply bodies.

use crate::labels::managed_labels;
use kuberack_core::live::DesiredObject;
use serde_json::{json, Value};

/// The container image of the pods KubeRack's Deployments run: the pause image, which only
/// holds its requests.
pub const WORKLOAD_IMAGE: &str = "registry.k8s.io/pause:3.10";

/// The namespace KubeRack writes into, labelled as managed.
pub fn namespace(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": name, "labels": managed_labels("cluster") },
    })
}

/// The apps/v1 Deployment for a desired object: replicas, and a pod template whose one
/// container requests the module's CPU and memory.
pub fn deployment(namespace: &str, obj: &DesiredObject) -> Value {
    let name = obj.key.name();
    let labels = managed_labels(&name);
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "namespace": namespace, "labels": labels },
        "spec": {
            "replicas": obj.replicas,
            "selector": { "matchLabels": { crate::labels::MODULE_KEY: name } },
            "template": {
                "metadata": { "labels": labels },
                "spec": {
                    "containers": [{
                        "name": "workload",
                        "image": WORKLOAD_IMAGE,
                        "resources": { "requests": {
                            "cpu": format!("{}m", obj.cpu_millis),
                            "memory": format!("{}Mi", obj.memory_mib),
                        }},
                    }],
                },
            },
        },
    })
}

/// The JSON merge patch (RFC 7386) that cordons or uncordons a node: only spec.unschedulable,
/// as `kubectl cordon` changes it, so no other field of the node changes hands.
pub fn node_cordon(cordoned: bool) -> Value {
    json!({ "spec": { "unschedulable": cordoned } })
}

/// The name of the ConfigMap holding a patch's topology.
pub const TOPOLOGY_CONFIG_MAP: &str = "kuberack-topology";

/// A ConfigMap whose `topology.json` key holds a patch's modules, cables and params.
pub fn topology_config_map(namespace: &str, topology: &Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": TOPOLOGY_CONFIG_MAP,
            "namespace": namespace,
            "labels": managed_labels("cluster"),
        },
        "data": { "topology.json": serde_json::to_string_pretty(topology).unwrap_or_default() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::{MANAGED_BY_KEY, MODULE_KEY};

    #[test]
    fn deployments_carry_labels_replicas_and_requests() {
        let obj = DesiredObject::deployment(42, 3, 250, 64);
        let d = deployment("kuberack", &obj);
        assert_eq!(d["metadata"]["name"], "deployment-42");
        assert_eq!(d["metadata"]["namespace"], "kuberack");
        assert_eq!(d["metadata"]["labels"][MANAGED_BY_KEY], "kuberack");
        assert_eq!(d["metadata"]["labels"][MODULE_KEY], "deployment-42");
        assert_eq!(d["spec"]["replicas"], 3);
        // The selector must match the template's labels or the API server rejects it.
        assert_eq!(
            d["spec"]["selector"]["matchLabels"][MODULE_KEY],
            d["spec"]["template"]["metadata"]["labels"][MODULE_KEY]
        );
        let req = &d["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"];
        assert_eq!(req["cpu"], "250m");
        assert_eq!(req["memory"], "64Mi");
    }

    #[test]
    fn a_cordon_patch_touches_only_unschedulable() {
        assert_eq!(
            node_cordon(true),
            json!({ "spec": { "unschedulable": true } })
        );
        assert_eq!(node_cordon(false)["spec"]["unschedulable"], false);
        assert_eq!(node_cordon(true).as_object().unwrap().len(), 1);
    }
}
