//! The fields of a watched object that the mirror reads, and nothing else: what a cluster
//! trace records of it. Annotations, managed fields, environment, volumes, images, owner
//! UIDs and every other field are dropped, so no credential or secret can reach a trace.

use serde_json::{Map, Value};

/// Which fields of a JSON object to keep; applied to an array, it applies to each item.
enum Keep {
    /// The whole value.
    All,
    /// Only these fields, each kept as its own rule says.
    Fields(&'static [(&'static str, Keep)]),
}

use Keep::{All, Fields};

const CONDITIONS: Keep = Fields(&[
    ("type", All),
    ("status", All),
    ("reason", All),
    ("message", All),
]);

const CONTAINERS: Keep = Fields(&[("name", All), ("resources", Fields(&[("requests", All)]))]);

/// A Pod: labels (the module and owner labels), deletion, node, requests, phase, conditions.
const POD: Keep = Fields(&[
    ("apiVersion", All),
    ("kind", All),
    (
        "metadata",
        Fields(&[
            ("name", All),
            ("namespace", All),
            ("labels", All),
            ("deletionTimestamp", All),
        ]),
    ),
    (
        "spec",
        Fields(&[
            ("nodeName", All),
            ("containers", CONTAINERS),
            ("initContainers", CONTAINERS),
            ("overhead", All),
        ]),
    ),
    (
        "status",
        Fields(&[("phase", All), ("reason", All), ("conditions", CONDITIONS)]),
    ),
]);

/// A Node: labels (pools), cordon, capacity and allocatable, conditions.
const NODE: Keep = Fields(&[
    ("apiVersion", All),
    ("kind", All),
    ("metadata", Fields(&[("name", All), ("labels", All)])),
    ("spec", Fields(&[("unschedulable", All)])),
    (
        "status",
        Fields(&[
            ("capacity", All),
            ("allocatable", All),
            ("conditions", CONDITIONS),
        ]),
    ),
]);

/// A Kueue Workload: its Job, its queue, its admission and its conditions.
const WORKLOAD: Keep = Fields(&[
    ("apiVersion", All),
    ("kind", All),
    (
        "metadata",
        Fields(&[
            ("name", All),
            ("namespace", All),
            (
                "ownerReferences",
                Fields(&[("apiVersion", All), ("kind", All), ("name", All)]),
            ),
        ]),
    ),
    (
        "spec",
        Fields(&[
            ("queueName", All),
            ("priority", All),
            ("priorityClassName", All),
        ]),
    ),
    (
        "status",
        Fields(&[
            ("admission", Fields(&[("clusterQueue", All)])),
            ("conditions", CONDITIONS),
        ]),
    ),
]);

fn prune(value: &Value, keep: &Keep) -> Option<Value> {
    match (keep, value) {
        (All, v) => Some(v.clone()),
        (Fields(_), Value::Array(items)) => Some(Value::Array(
            items.iter().filter_map(|v| prune(v, keep)).collect(),
        )),
        (Fields(fields), Value::Object(map)) => {
            let mut out = Map::new();
            for (name, rule) in *fields {
                if let Some(v) = map.get(*name).and_then(|v| prune(v, rule)) {
                    out.insert((*name).to_owned(), v);
                }
            }
            Some(Value::Object(out))
        }
        (Fields(_), _) => None,
    }
}

/// A Pod (as JSON) reduced to what the mirror reads.
pub fn pod(pod: &Value) -> Value {
    prune(pod, &POD).unwrap_or_default()
}

/// A Node (as JSON) reduced to what the mirror reads.
pub fn node(node: &Value) -> Value {
    prune(node, &NODE).unwrap_or_default()
}

/// A Workload (as JSON) reduced to what the mirror reads.
pub fn workload(workload: &Value) -> Value {
    prune(workload, &WORKLOAD).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mirror::{NodeFacts, PodFacts};
    use crate::workloads::WorkloadFacts;
    use k8s_openapi::api::core::v1::{Node, Pod};
    use serde_json::json;

    fn rich_pod() -> Value {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "kuberack", "uid": "u-1",
                "resourceVersion": "77", "labels": {"kuberack.io/module": "deployment-5", "app": "web"},
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"secret\":1}"},
                "deletionTimestamp": "2026-01-01T00:00:00Z",
                "managedFields": [{"manager": "kubectl"}]},
            "spec": {"nodeName": "fake-1", "serviceAccountName": "sa",
                "containers": [{"name": "c", "image": "registry/app:1",
                    "env": [{"name": "TOKEN", "value": "s3cr3t"}],
                    "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "1"}}}],
                "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "500m"}}}],
                "overhead": {"cpu": "10m"},
                "volumes": [{"name": "token", "secret": {"secretName": "db"}}]},
            "status": {"phase": "Running", "reason": "Evicted", "podIP": "10.0.0.1",
                "conditions": [
                    {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"},
                    {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
                     "message": "preempted"}]}
        })
    }

    #[test]
    fn a_pruned_pod_gives_the_mirror_the_same_facts_and_no_secret() {
        let full = rich_pod();
        let pruned = pod(&full);
        let facts = |v: &Value| PodFacts::of(&serde_json::from_value::<Pod>(v.clone()).unwrap());
        assert_eq!(facts(&pruned), facts(&full));
        assert_eq!(facts(&pruned).cpu_requested_m, 510);
        assert!(facts(&pruned).preempted && facts(&pruned).terminating);
        let text = pruned.to_string();
        for gone in [
            "s3cr3t",
            "annotations",
            "managedFields",
            "secretName",
            "image",
            "uid",
            "podIP",
        ] {
            assert!(!text.contains(gone), "{gone} in {text}");
        }
        assert_eq!(
            pruned["metadata"]["labels"]["kuberack.io/module"],
            "deployment-5"
        );
    }

    #[test]
    fn a_pruned_node_and_workload_give_the_same_facts() {
        let full = json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "fake-0", "labels": {"kuberack.io/module": "node-3"},
                "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
            "spec": {"unschedulable": true, "podCIDR": "10.0.0.0/24"},
            "status": {"allocatable": {"cpu": "8"}, "capacity": {"cpu": "8"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                "nodeInfo": {"machineID": "m"}}
        });
        let pruned = node(&full);
        let facts = |v: &Value| NodeFacts::of(&serde_json::from_value::<Node>(v.clone()).unwrap());
        assert_eq!(facts(&pruned), facts(&full));
        assert!(facts(&pruned).cordoned && facts(&pruned).ready);
        assert!(!pruned.to_string().contains("machineID"));

        let wl = json!({
            "apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "Workload",
            "metadata": {"name": "job-job-4-2-3f2a1", "namespace": "kuberack",
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "job-4-2", "uid": "u"}]},
            "spec": {"queueName": "clusterqueue-9", "podSets": [{"name": "main", "template": {}}]},
            "status": {"admission": {"clusterQueue": "clusterqueue-9", "podSetAssignments": []},
                "conditions": [{"type": "Evicted", "status": "True", "reason": "Preempted"}]}
        });
        let pruned = workload(&wl);
        assert_eq!(WorkloadFacts::of(&pruned), WorkloadFacts::of(&wl));
        assert!(!pruned.to_string().contains("podSets"));
        assert!(!pruned.to_string().contains("\"uid\""));
    }

    #[test]
    fn odd_shapes_are_dropped_not_kept() {
        // A field of the wrong type is dropped rather than copied whole.
        let odd = json!({"metadata": "x", "spec": {"containers": [1, {"name": "c"}]}});
        assert_eq!(pod(&odd), json!({"spec": {"containers": [{"name": "c"}]}}));
        assert_eq!(node(&json!(5)), Value::Null);
    }
}
