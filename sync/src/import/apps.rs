//! Deployments as DEPLOYMENTs (replicas, requests, rollout strategy and the pod template's
//! scheduling), and the pod-template scheduling text a JOB takes too.

use k8s_openapi::api::core::v1::PodSpec;
use kuberack_core::world::constraints::priority_class_value;
use kuberack_core::world::terms::parse;
use kuberack_protocol::modules::deployment::{param, DESCRIPTOR};
use kuberack_protocol::ModuleDescriptor;
use serde_json::{json, Map, Value};

use super::patch::{PatchBuilder, Row};
use super::pools::in_range;
use super::{object_name, string_map, text, Notes};
use crate::summary::pod_spec_request;

/// Pod template labels the Job controller or KubeRack's sync set themselves: not carried.
const GENERATED_LABELS: [&str; 4] = [
    "controller-uid",
    "job-name",
    crate::labels::MANAGED_BY_KEY,
    crate::labels::MODULE_KEY,
];

/// The pod template's typed labels, tolerations, nodeSelector, node affinity, pod affinity
/// and anti-affinity and topology spread constraints (the `scheduling` keys every module
/// that makes pods takes), noting what they cannot hold.
pub fn pod_terms(template: &Value, what: &str, notes: &mut Notes) -> Map<String, Value> {
    let spec = &template["spec"];
    let mut out = Map::new();
    let mut put = |key: &str, field: &str, written: text::Written| {
        for why in written.left_out {
            let why = match field {
                "" => why,
                field => format!("{field} {why}"),
            };
            notes.push(what, format!("{why}; left out"));
        }
        out.insert(key.to_owned(), json!(written.text));
    };
    let check = |t: &str| parse::labels(t).map(drop);
    let mut pod_labels = string_map(&template["metadata"]["labels"]);
    pod_labels.retain(|k, _| {
        !GENERATED_LABELS
            .iter()
            .any(|g| k == g || k.starts_with("batch.kubernetes.io/"))
    });
    put("labels", "label", text::labels(&pod_labels, check));
    let tolerations = text::tolerations(&spec["tolerations"]);
    put("tolerations", "toleration", tolerations);
    let selector = string_map(&spec["nodeSelector"]);
    put(
        "nodeSelector",
        "nodeSelector",
        text::labels(&selector, check),
    );
    let affinity = &spec["affinity"]["nodeAffinity"];
    put(
        "nodeAffinity",
        "required node affinity",
        text::required_affinity(&affinity["requiredDuringSchedulingIgnoredDuringExecution"]),
    );
    put(
        "preferredNodeAffinity",
        "preferred node affinity",
        text::preferred_affinity(&affinity["preferredDuringSchedulingIgnoredDuringExecution"]),
    );
    let pod_affinity = text::pod_affinity(&spec["affinity"]);
    put("podAffinity", "", pod_affinity);
    let spread = text::topology_spread(&spec["topologySpreadConstraints"]);
    put("topologySpread", "", spread);
    out
}

/// A pod spec's effective requests: (cpu millicores, memory bytes).
pub fn requests(spec: &Value) -> (u64, u64) {
    match serde_json::from_value::<PodSpec>(spec.clone()) {
        Ok(spec) => (
            pod_spec_request(&spec, "cpu"),
            pod_spec_request(&spec, "memory"),
        ),
        Err(_) => (0, 0),
    }
}

/// A request as a knob of `descriptor` in units of `unit` (10 m of cpu, 16 MiB of memory),
/// rounded up and kept in range (noted when it does not fit).
pub fn request_knob(
    descriptor: &ModuleDescriptor,
    index: usize,
    amount: u64,
    unit: u64,
    name: &str,
    what: &str,
    notes: &mut Notes,
) -> f64 {
    let (v, clamped) = in_range(descriptor, index, amount.div_ceil(unit) as f64);
    if clamped {
        notes.push(
            what,
            format!("{name} request {amount} is out of the knob's range; written as {v} x {unit}"),
        );
    }
    v
}

/// maxSurge or maxUnavailable (an integer or a percentage) as a percent of `replicas`.
fn percent(v: &Value, replicas: f64, default: f64) -> f64 {
    match v {
        Value::String(s) => s.trim_end_matches('%').parse().unwrap_or(default),
        Value::Number(n) if replicas > 0.0 => (n.as_f64().unwrap_or(0.0) * 100.0 / replicas).ceil(),
        _ => default,
    }
    .clamp(0.0, 100.0)
}

/// The DEPLOYMENT-only scheduling settings: priority class and preemption policy.
fn deployment_scheduling(
    spec: &Value,
    what: &str,
    notes: &mut Notes,
    out: &mut Map<String, Value>,
) {
    if let Some(class) = spec["priorityClassName"].as_str() {
        if priority_class_value(class).is_some() {
            out.insert("priorityClassName".into(), json!(class));
        } else {
            notes.push(what, format!("priorityClassName {class}: the rack knows low, medium, high and the system classes; left out"));
        }
    }
    if let Some(policy) = spec["preemptionPolicy"].as_str() {
        out.insert("preemptionPolicy".into(), json!(policy));
    }
}

/// Adds the DEPLOYMENT of a Deployment; returns its module id.
pub fn add_deployment(b: &mut PatchBuilder, d: &Value, notes: &mut Notes) -> i64 {
    let what = format!("Deployment {}", object_name(d));
    let template = &d["spec"]["template"];
    let replicas = d["spec"]["replicas"].as_f64().unwrap_or(1.0);
    let (replicas_v, clamped) = in_range(&DESCRIPTOR, param::REPLICAS, replicas);
    if clamped {
        notes.push(&what, format!("{replicas} replicas; the REPLICAS knob holds at most {replicas_v}, written as {replicas_v}"));
    }
    let (cpu_m, memory) = requests(&template["spec"]);
    let strategy = &d["spec"]["strategy"];
    let recreate = strategy["type"].as_str() == Some("Recreate");
    let rolling = &strategy["rollingUpdate"];
    let params = [
        (param::REPLICAS, replicas_v),
        (
            param::CPU,
            request_knob(&DESCRIPTOR, param::CPU, cpu_m, 10, "cpu (m)", &what, notes),
        ),
        (
            param::MEMORY,
            request_knob(
                &DESCRIPTOR,
                param::MEMORY,
                memory >> 20,
                16,
                "memory (MiB)",
                &what,
                notes,
            ),
        ),
        (
            param::MAX_SURGE,
            percent(&rolling["maxSurge"], replicas, 25.0),
        ),
        (
            param::MAX_UNAVAILABLE,
            percent(&rolling["maxUnavailable"], replicas, 25.0),
        ),
        (param::STRATEGY, if recreate { 1.0 } else { 0.0 }),
    ];
    let mut scheduling = pod_terms(template, &what, notes);
    deployment_scheduling(&template["spec"], &what, notes, &mut scheduling);
    let data = json!({"scheduling": scheduling});
    b.add(
        &DESCRIPTOR,
        &format!("Deployment/{}", object_name(d)),
        Row::Deployments,
        &params,
        data,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolling_update_limits_read_as_percentages_of_replicas() {
        assert_eq!(percent(&json!("50%"), 3.0, 25.0), 50.0);
        assert_eq!(percent(&json!(1), 3.0, 25.0), 34.0, "1 of 3 rounds up");
        assert_eq!(percent(&Value::Null, 3.0, 25.0), 25.0);
        let spec = json!({"containers": [
            {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "128Mi"}}},
            {"name": "b", "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}}}
        ]});
        assert_eq!(requests(&spec), (300, 160 << 20));
    }
}
