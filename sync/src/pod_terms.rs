//! A pod template's labels, tolerations, nodeSelector and node affinity as the API writes
//! them, for the Deployments the live sync applies and the export writes.

pub use crate::pod_terms_text::{pod_affinity_text, topology_spread_text};
use kuberack_core::world::constraints::{TaintEffect, WhenUnsatisfiable};
use kuberack_core::world::terms::api::*;
use serde_json::{json, Map, Value};

fn toleration(t: &Toleration<String>) -> Value {
    let mut o = Map::new();
    if let Some(k) = &t.key {
        o.insert("key".into(), json!(k));
    }
    let operator = match t.operator {
        TolerationOperator::Exists => "Exists",
        TolerationOperator::Equal => "Equal",
    };
    o.insert("operator".into(), json!(operator));
    if t.operator == TolerationOperator::Equal {
        o.insert("value".into(), json!(t.value));
    }
    if t.effect != TaintEffect::None {
        o.insert("effect".into(), json!(t.effect.name()));
    }
    if let Some(s) = t.seconds {
        o.insert("tolerationSeconds".into(), json!(s));
    }
    Value::Object(o)
}

/// One matchExpressions entry (of a node selector term or a label selector).
fn expression(r: &Requirement<String>) -> Value {
    let mut o = Map::new();
    o.insert("key".into(), json!(r.key));
    o.insert("operator".into(), json!(r.operator.name()));
    if !r.values.is_empty() {
        o.insert("values".into(), json!(r.values));
    }
    Value::Object(o)
}

fn term(t: &NodeSelectorTerm<String>) -> Value {
    let expressions: Vec<Value> = t.requirements.iter().map(expression).collect();
    json!({ "matchExpressions": expressions })
}

fn selector(s: &LabelSelector<String>) -> Value {
    let mut o = Map::new();
    if !s.match_labels.is_empty() {
        o.insert("matchLabels".into(), Value::Object(labels(&s.match_labels)));
    }
    if !s.expressions.is_empty() {
        let e: Vec<Value> = s.expressions.iter().map(expression).collect();
        o.insert("matchExpressions".into(), json!(e));
    }
    Value::Object(o)
}

/// `podAffinity` or `podAntiAffinity` of the terms (`None` when it has none).
fn pod_affinity(terms: &[PodAffinityTerm<String>], anti: bool) -> Option<Value> {
    let term = |t: &PodAffinityTerm<String>| json!({ "labelSelector": selector(&t.selector), "topologyKey": t.topology_key });
    let mine = || terms.iter().filter(|t| t.anti == anti);
    let required: Vec<Value> = mine().filter(|t| t.weight.is_none()).map(term).collect();
    let preferred: Vec<Value> = mine()
        .filter_map(|t| {
            t.weight
                .map(|w| json!({ "weight": w, "podAffinityTerm": term(t) }))
        })
        .collect();
    let mut o = Map::new();
    if !required.is_empty() {
        o.insert(
            "requiredDuringSchedulingIgnoredDuringExecution".into(),
            json!(required),
        );
    }
    if !preferred.is_empty() {
        o.insert(
            "preferredDuringSchedulingIgnoredDuringExecution".into(),
            json!(preferred),
        );
    }
    (!o.is_empty()).then_some(Value::Object(o))
}

/// One topologySpreadConstraints entry (the policies and minDomains only when set).
fn spread(c: &TopologySpreadConstraint<String>) -> Value {
    let mut o = Map::new();
    o.insert("maxSkew".into(), json!(c.max_skew));
    o.insert("topologyKey".into(), json!(c.topology_key));
    let when = match c.when {
        WhenUnsatisfiable::DoNotSchedule => "DoNotSchedule",
        WhenUnsatisfiable::ScheduleAnyway => "ScheduleAnyway",
    };
    o.insert("whenUnsatisfiable".into(), json!(when));
    if let Some(s) = &c.selector {
        o.insert("labelSelector".into(), selector(s));
    }
    if let Some(n) = c.min_domains {
        o.insert("minDomains".into(), json!(n));
    }
    if c.node_affinity_policy != NodeInclusionPolicy::Honor {
        o.insert(
            "nodeAffinityPolicy".into(),
            json!(c.node_affinity_policy.name()),
        );
    }
    if c.node_taints_policy != NodeInclusionPolicy::Ignore {
        o.insert(
            "nodeTaintsPolicy".into(),
            json!(c.node_taints_policy.name()),
        );
    }
    Value::Object(o)
}

fn labels(l: &[Label<String>]) -> Map<String, Value> {
    l.iter().map(|l| (l.key.clone(), json!(l.value))).collect()
}

/// Adds the terms to a pod template (`metadata.labels` keep the labels already there, which
/// the selector needs; `spec` gains tolerations, nodeSelector and affinity when set).
pub fn apply(template: &mut Value, terms: &PodTerms<String>) {
    if let Some(existing) = template["metadata"]["labels"].as_object_mut() {
        for (k, v) in labels(&terms.labels) {
            existing.entry(k).or_insert(v);
        }
    }
    let Some(spec) = template["spec"].as_object_mut() else {
        return;
    };
    if !terms.tolerations.is_empty() {
        let t: Vec<Value> = terms.tolerations.iter().map(toleration).collect();
        spec.insert("tolerations".into(), json!(t));
    }
    if !terms.node_selector.is_empty() {
        spec.insert(
            "nodeSelector".into(),
            Value::Object(labels(&terms.node_selector)),
        );
    }
    let mut node_affinity = Map::new();
    if !terms.required.is_empty() {
        let t: Vec<Value> = terms.required.iter().map(term).collect();
        node_affinity.insert(
            "requiredDuringSchedulingIgnoredDuringExecution".into(),
            json!({ "nodeSelectorTerms": t }),
        );
    }
    if !terms.preferred.is_empty() {
        let p: Vec<Value> = terms
            .preferred
            .iter()
            .map(|p| json!({ "weight": p.weight, "preference": term(&p.term) }))
            .collect();
        node_affinity.insert(
            "preferredDuringSchedulingIgnoredDuringExecution".into(),
            json!(p),
        );
    }
    let mut affinity = Map::new();
    if !node_affinity.is_empty() {
        affinity.insert("nodeAffinity".into(), Value::Object(node_affinity));
    }
    if let Some(a) = pod_affinity(&terms.pod_affinity, false) {
        affinity.insert("podAffinity".into(), a);
    }
    if let Some(a) = pod_affinity(&terms.pod_affinity, true) {
        affinity.insert("podAntiAffinity".into(), a);
    }
    if !affinity.is_empty() {
        spec.insert("affinity".into(), Value::Object(affinity));
    }
    if !terms.spread.is_empty() {
        let c: Vec<Value> = terms.spread.iter().map(spread).collect();
        spec.insert("topologySpreadConstraints".into(), json!(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuberack_core::modules::scheduling_settings::pod_terms;

    #[test]
    fn terms_are_written_in_the_api_shapes() {
        let terms = pod_terms(
            "app=web",
            "dedicated=gpu:NoSchedule, gpu, *:NoExecute for 60s",
            "disk=ssd",
            "disk in (ssd,nvme), !spot | cpu-gen>5",
            "80: disk=ssd",
        )
        .unwrap();
        let mut t = json!({"metadata": {"labels": {"app": "kept"}}, "spec": {}});
        apply(&mut t, &terms);
        assert_eq!(t["metadata"]["labels"]["app"], "kept");
        let tol = &t["spec"]["tolerations"];
        assert_eq!(
            tol[0],
            json!({"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"})
        );
        assert_eq!(tol[1], json!({"key": "gpu", "operator": "Exists"}));
        assert_eq!(
            tol[2],
            json!({"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60})
        );
        assert_eq!(t["spec"]["nodeSelector"], json!({"disk": "ssd"}));
        let na = &t["spec"]["affinity"]["nodeAffinity"];
        let terms = &na["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
        assert_eq!(
            terms[0]["matchExpressions"],
            json!([
                {"key": "disk", "operator": "In", "values": ["ssd", "nvme"]},
                {"key": "spot", "operator": "DoesNotExist"}
            ])
        );
        assert_eq!(
            terms[1]["matchExpressions"],
            json!([{"key": "cpu-gen", "operator": "Gt", "values": ["5"]}])
        );
        assert_eq!(
            na["preferredDuringSchedulingIgnoredDuringExecution"],
            json!([{"weight": 80, "preference": {"matchExpressions": [
                {"key": "disk", "operator": "In", "values": ["ssd"]}
            ]}}])
        );
        let mut bare = json!({"metadata": {"labels": {}}, "spec": {}});
        apply(&mut bare, &PodTerms::default());
        assert_eq!(bare["spec"], json!({}));
    }
}
