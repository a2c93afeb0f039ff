//! The Kubernetes objects KubeRack writes, as server-side-apply bodies.

use crate::labels::managed_labels;
use kuberack_core::live::DesiredObject;
use kuberack_core::world::queueing::WORKLOAD_PRIORITY_CLASSES;
use kuberack_core::world::terms::table::pod_terms_text;
use serde_json::{json, Value};

/// The container image of the pods KubeRack's Deployments run: the pause image, which only
/// holds its requests.
pub const WORKLOAD_IMAGE: &str = "registry.k8s.io/pause:3.10";
/// The default image of the pods KubeRack's Jobs run: it needs `sleep` and `sh`.
pub const JOB_IMAGE: &str = "busybox:1.36";
/// ttlSecondsAfterFinished of every Job KubeRack creates: the TTL controller deletes a
/// finished Job (and its pods) after this, as the simulated hub removes its Jobs.
pub const JOB_TTL_SECONDS: u32 = 30;
/// The label naming the LocalQueue a Job is submitted to.
pub const QUEUE_NAME_KEY: &str = "kueue.x-k8s.io/queue-name";
/// The label naming a Job's WorkloadPriorityClass.
pub const PRIORITY_CLASS_KEY: &str = "kueue.x-k8s.io/priority-class";

/// The name of the LocalQueue (in the sync namespace) and of the ClusterQueue made from the
/// CLUSTERQUEUE module `module`.
pub fn queue_name(module: u64) -> String {
    format!("clusterqueue-{module}")
}

/// The name of a forge tier's WorkloadPriorityClass (1..=4), if it is one.
pub fn priority_class_name(tier: u8) -> Option<&'static str> {
    let i = usize::from(tier).checked_sub(1)?;
    WORKLOAD_PRIORITY_CLASSES.get(i).map(|&(name, _)| name)
}

/// The namespace KubeRack writes into, labelled as managed.
pub fn namespace(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": name, "labels": managed_labels("cluster") },
    })
}

/// The apps/v1 Deployment for a desired object: replicas, and a pod template whose one
/// container requests the module's CPU and memory, with the template's labels, tolerations,
/// nodeSelector and node affinity.
pub fn deployment(namespace: &str, obj: &DesiredObject) -> Value {
    let name = obj.key.name();
    let labels = managed_labels(&name);
    let mut template = json!({
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
    });
    crate::pod_terms::apply(&mut template, &pod_terms_text(obj.pod_terms));
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "namespace": namespace, "labels": labels },
        "spec": {
            "replicas": obj.replicas,
            "selector": { "matchLabels": { crate::labels::MODULE_KEY: name } },
            "template": template,
        },
    })
}

/// How a Job's pods run for `duration_ms` and then succeed, or fail when `fails`.
fn job_command(duration_ms: u32, fails: bool) -> Value {
    let seconds = format!("{}.{:03}", duration_ms / 1000, duration_ms % 1000);
    let seconds = seconds.trim_end_matches('0').trim_end_matches('.');
    if fails {
        json!(["sh", "-c", format!("sleep {seconds}; exit 1")])
    } else {
        json!(["sleep", seconds])
    }
}

/// The batch/v1 Job of one JOB submission, run by `image`. A Job that names a queue carries
/// Kueue's queue-name label (and its WorkloadPriorityClass's); with `kueue` (the Kueue CRDs
/// were found) it is created suspended, for Kueue to admit, without it starts at once.
pub fn job(namespace: &str, obj: &DesiredObject, kueue: bool, image: &str) -> Value {
    let spec = &obj.job;
    let name = obj.key.name();
    let pod_labels = managed_labels(&obj.key.tag());
    let mut labels = pod_labels.clone();
    if spec.queue != 0 {
        labels.insert(QUEUE_NAME_KEY.to_owned(), queue_name(spec.queue));
        if let Some(class) = priority_class_name(spec.priority_class) {
            labels.insert(PRIORITY_CLASS_KEY.to_owned(), class.to_owned());
        }
    }
    let mut job_spec = json!({
        "parallelism": spec.parallelism.max(1),
        "completions": spec.completions.max(1),
        "backoffLimit": spec.backoff_limit,
        "ttlSecondsAfterFinished": JOB_TTL_SECONDS,
        "suspend": kueue && spec.queue != 0,
        "template": {
            "metadata": { "labels": pod_labels },
            "spec": {
                "restartPolicy": if spec.on_failure { "OnFailure" } else { "Never" },
                "containers": [{
                    "name": "work",
                    "image": image,
                    "command": job_command(spec.duration_ms, spec.fails),
                    "resources": { "requests": {
                        "cpu": format!("{}m", obj.cpu_millis),
                        "memory": format!("{}Mi", obj.memory_mib),
                    }},
                }],
            },
        },
    });
    crate::pod_terms::apply(&mut job_spec["template"], &pod_terms_text(obj.pod_terms));
    if spec.deadline_s > 0 {
        job_spec["activeDeadlineSeconds"] = json!(spec.deadline_s);
    }
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": { "name": name, "namespace": namespace, "labels": labels },
        "spec": job_spec,
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

    fn queued_job() -> DesiredObject {
        let spec = kuberack_core::live::DesiredJob {
            parallelism: 2,
            completions: 4,
            duration_ms: 2500,
            backoff_limit: 3,
            deadline_s: 60,
            on_failure: false,
            fails: false,
            queue: 9,
            priority_class: 3,
        };
        DesiredObject::job(42, 7, 500, 128, spec)
    }

    #[test]
    fn a_queued_job_is_suspended_for_kueue_with_its_queue_and_class() {
        let j = job("kuberack", &queued_job(), true, JOB_IMAGE);
        assert_eq!(j["apiVersion"], "batch/v1");
        assert_eq!(j["metadata"]["name"], "job-42-7");
        let labels = &j["metadata"]["labels"];
        assert_eq!(labels[MANAGED_BY_KEY], "kuberack");
        assert_eq!(labels[MODULE_KEY], "job-42");
        assert_eq!(labels[QUEUE_NAME_KEY], "clusterqueue-9");
        assert_eq!(labels[PRIORITY_CLASS_KEY], "epic");
        let spec = &j["spec"];
        assert_eq!(spec["suspend"], true);
        assert_eq!(
            (&spec["parallelism"], &spec["completions"]),
            (&json!(2), &json!(4))
        );
        assert_eq!(spec["backoffLimit"], 3);
        assert_eq!(spec["activeDeadlineSeconds"], 60);
        assert_eq!(spec["ttlSecondsAfterFinished"], JOB_TTL_SECONDS);
        let pod = &spec["template"];
        // The pods carry the module tag (the mirror maps their events to the JOB), not the
        // queue label, which Kueue reads from the Job.
        assert_eq!(pod["metadata"]["labels"][MODULE_KEY], "job-42");
        assert!(pod["metadata"]["labels"][QUEUE_NAME_KEY].is_null());
        assert_eq!(pod["spec"]["restartPolicy"], "Never");
        let c = &pod["spec"]["containers"][0];
        assert_eq!(c["image"], JOB_IMAGE);
        assert_eq!(c["command"], json!(["sleep", "2.5"]));
        assert_eq!(c["resources"]["requests"]["cpu"], "500m");
        assert_eq!(c["resources"]["requests"]["memory"], "128Mi");
    }

    #[test]
    fn without_kueue_a_queued_job_starts_at_once_still_labelled() {
        let j = job("kuberack", &queued_job(), false, "my/image:1");
        assert_eq!(j["spec"]["suspend"], false);
        assert_eq!(j["metadata"]["labels"][QUEUE_NAME_KEY], "clusterqueue-9");
        assert_eq!(j["metadata"]["labels"][PRIORITY_CLASS_KEY], "epic");
        // Not queued: neither label, never suspended.
        let mut plain = queued_job();
        plain.job.queue = 0;
        let p = job("kuberack", &plain, true, JOB_IMAGE);
        assert_eq!(p["spec"]["suspend"], false);
        assert!(p["metadata"]["labels"][QUEUE_NAME_KEY].is_null());
        assert_eq!(
            j["spec"]["template"]["spec"]["containers"][0]["image"],
            "my/image:1"
        );
    }

    #[test]
    fn job_commands_sleep_the_duration_and_fail_when_faulted() {
        assert_eq!(job_command(3000, false), json!(["sleep", "3"]));
        assert_eq!(job_command(1250, false), json!(["sleep", "1.25"]));
        assert_eq!(job_command(0, false), json!(["sleep", "0"]));
        assert_eq!(
            job_command(500, true),
            json!(["sh", "-c", "sleep 0.5; exit 1"])
        );
        let mut obj = queued_job();
        obj.job.deadline_s = 0;
        obj.job.on_failure = true;
        let j = job("kuberack", &obj, true, JOB_IMAGE);
        assert!(j["spec"].get("activeDeadlineSeconds").is_none());
        assert_eq!(j["spec"]["template"]["spec"]["restartPolicy"], "OnFailure");
    }

    #[test]
    fn tiers_name_the_forge_priority_classes() {
        assert_eq!(priority_class_name(0), None);
        assert_eq!(priority_class_name(1), Some("common"));
        assert_eq!(priority_class_name(4), Some("legendary"));
        assert_eq!(priority_class_name(5), None);
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
