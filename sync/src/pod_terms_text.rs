//! A real pod's podAffinity and podAntiAffinity written in the rack's one-line text form
//! (PROTOCOL.md, "Pod affinity and anti-affinity"), for `kuberack import`: the text the
//! "Pod affinity" setting takes, which parses back into the same terms.

use k8s_openapi::api::core::v1::{Affinity, PodAffinityTerm, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// A label selector as text: `*` for `{}`, else `k=v` and `k in (a,b)`, `k notin (a)`, `k`,
/// `!k` separated by commas (in parentheses when it starts with `!`).
fn selector_text(s: &LabelSelector) -> Result<String, String> {
    let mut parts: Vec<String> = Vec::new();
    for (k, v) in s.match_labels.iter().flatten() {
        parts.push(format!("{k}={v}"));
    }
    for e in s.match_expressions.iter().flatten() {
        let values = || e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({})", e.key, values()),
            "NotIn" => format!("{} notin ({})", e.key, values()),
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            other => return Err(format!("label selector operator {other:?}")),
        });
    }
    if parts.is_empty() {
        return Ok("*".into());
    }
    let text = parts.join(", ");
    Ok(if text.starts_with('!') {
        format!("({text})")
    } else {
        text
    })
}

fn term_text(t: &PodAffinityTerm, anti: bool, weight: Option<i32>) -> Result<String, String> {
    if t.namespaces.as_ref().is_some_and(|n| !n.is_empty()) || t.namespace_selector.is_some() {
        return Err("pod affinity terms over other namespaces".into());
    }
    if t.match_label_keys.as_ref().is_some_and(|k| !k.is_empty())
        || t.mismatch_label_keys
            .as_ref()
            .is_some_and(|k| !k.is_empty())
    {
        return Err("matchLabelKeys and mismatchLabelKeys".into());
    }
    let selector = t
        .label_selector
        .as_ref()
        .ok_or("a pod affinity term without a labelSelector (it selects no pod)")?;
    let weight = weight.map(|w| format!("{w}: ")).unwrap_or_default();
    let bang = if anti { "!" } else { "" };
    Ok(format!(
        "{weight}{bang}{} on {}",
        selector_text(selector)?,
        t.topology_key
    ))
}

/// The "Pod affinity" text of a pod's affinity (empty when it has no pod affinity or
/// anti-affinity), or what the rack cannot express (other namespaces, matchLabelKeys,
/// a term without a labelSelector, an unknown operator).
pub fn pod_affinity_text(affinity: &Affinity) -> Result<String, String> {
    let mut out: Vec<String> = Vec::new();
    let groups = [
        (
            affinity.pod_affinity.as_ref().map(|a| {
                (
                    &a.required_during_scheduling_ignored_during_execution,
                    &a.preferred_during_scheduling_ignored_during_execution,
                )
            }),
            false,
        ),
        (
            affinity.pod_anti_affinity.as_ref().map(|a| {
                (
                    &a.required_during_scheduling_ignored_during_execution,
                    &a.preferred_during_scheduling_ignored_during_execution,
                )
            }),
            true,
        ),
    ];
    for (group, anti) in groups {
        let Some((required, preferred)) = group else {
            continue;
        };
        for t in required.iter().flatten() {
            out.push(term_text(t, anti, None)?);
        }
        for w in preferred.iter().flatten() {
            out.push(term_text(&w.pod_affinity_term, anti, Some(w.weight))?);
        }
    }
    Ok(out.join("; "))
}

/// The "Topology spread" text of a pod's topologySpreadConstraints, or what the rack cannot
/// express (matchLabelKeys, a constraint without a labelSelector, an unknown operator).
pub fn topology_spread_text(constraints: &[TopologySpreadConstraint]) -> Result<String, String> {
    let mut out: Vec<String> = Vec::new();
    for c in constraints {
        if c.match_label_keys.as_ref().is_some_and(|k| !k.is_empty()) {
            return Err("topology spread matchLabelKeys".into());
        }
        let selector = c
            .label_selector
            .as_ref()
            .ok_or("a topology spread constraint without a labelSelector (it counts no pod)")?;
        let mut text = format!("{} on {}", c.max_skew, c.topology_key);
        if c.when_unsatisfiable != "DoNotSchedule" {
            text.push_str(&format!(" {}", c.when_unsatisfiable));
        }
        if let Some(n) = c.min_domains {
            text.push_str(&format!(" minDomains={n}"));
        }
        if let Some(p) = &c.node_affinity_policy {
            text.push_str(&format!(" nodeAffinityPolicy={p}"));
        }
        if let Some(p) = &c.node_taints_policy {
            text.push_str(&format!(" nodeTaintsPolicy={p}"));
        }
        text.push_str(&format!(" for {}", selector_text(selector)?));
        out.push(text);
    }
    Ok(out.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuberack_core::world::terms::api::PodTerms;
    use kuberack_core::world::terms::parse;
    use serde_json::json;

    #[test]
    fn real_pod_affinity_renders_to_text_that_parses_back_to_the_same_manifest() {
        let spec = json!({
            "podAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": "db"}},
                     "topologyKey": "topology.kubernetes.io/zone"}
                ],
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 50, "podAffinityTerm": {
                        "labelSelector": {"matchExpressions": [
                            {"key": "canary", "operator": "DoesNotExist"},
                            {"key": "tier", "operator": "In", "values": ["cache", "kv"]}
                        ]},
                        "topologyKey": "kubernetes.io/hostname"}}
                ]
            },
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {}, "topologyKey": "rack"}
                ]
            }
        });
        let affinity: Affinity = serde_json::from_value(spec.clone()).unwrap();
        let text = pod_affinity_text(&affinity).unwrap();
        assert_eq!(
            text,
            "app=db on topology.kubernetes.io/zone; \
             50: (!canary, tier in (cache,kv)) on kubernetes.io/hostname; !* on rack"
        );
        let terms = PodTerms {
            pod_affinity: parse::pod_affinity(&text).unwrap(),
            ..PodTerms::default()
        };
        let mut t = json!({"metadata": {"labels": {}}, "spec": {}});
        crate::pod_terms::apply(&mut t, &terms);
        assert_eq!(t["spec"]["affinity"], spec);
    }

    #[test]
    fn what_the_rack_cannot_express_is_named() {
        let other_ns: Affinity = serde_json::from_value(json!({"podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {}, "namespaces": ["kube-system"], "topologyKey": "zone"}
        ]}}))
        .unwrap();
        assert!(pod_affinity_text(&other_ns)
            .unwrap_err()
            .contains("other namespaces"));
        let none: Affinity = serde_json::from_value(json!({"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "zone"}]}}))
        .unwrap();
        assert!(pod_affinity_text(&none)
            .unwrap_err()
            .contains("without a labelSelector"));
        assert_eq!(pod_affinity_text(&Affinity::default()), Ok(String::new()));
    }
}

#[cfg(test)]
mod spread_tests {
    use super::*;
    use kuberack_core::world::terms::api::PodTerms;
    use kuberack_core::world::terms::parse;
    use serde_json::json;

    #[test]
    fn real_spread_constraints_render_to_text_that_parses_back_to_the_same_manifest() {
        let spec = json!([
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
             "whenUnsatisfiable": "DoNotSchedule", "minDomains": 3,
             "nodeTaintsPolicy": "Honor",
             "labelSelector": {"matchLabels": {"app": "web"}}},
            {"maxSkew": 2, "topologyKey": "kubernetes.io/hostname",
             "whenUnsatisfiable": "ScheduleAnyway", "nodeAffinityPolicy": "Ignore",
             "labelSelector": {"matchExpressions": [
                 {"key": "tier", "operator": "In", "values": ["a", "b"]}]}}
        ]);
        let constraints: Vec<TopologySpreadConstraint> =
            serde_json::from_value(spec.clone()).unwrap();
        let text = topology_spread_text(&constraints).unwrap();
        assert_eq!(
            text,
            "1 on topology.kubernetes.io/zone minDomains=3 nodeTaintsPolicy=Honor for app=web; \
             2 on kubernetes.io/hostname ScheduleAnyway nodeAffinityPolicy=Ignore for \
             tier in (a,b)"
        );
        let terms = PodTerms {
            spread: parse::topology_spread(&text).unwrap(),
            ..PodTerms::default()
        };
        let mut t = json!({"metadata": {"labels": {}}, "spec": {}});
        crate::pod_terms::apply(&mut t, &terms);
        assert_eq!(t["spec"]["topologySpreadConstraints"], spec);
        let no_selector: Vec<TopologySpreadConstraint> = serde_json::from_value(json!([
            {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}
        ]))
        .unwrap();
        assert!(topology_spread_text(&no_selector)
            .unwrap_err()
            .contains("without a labelSelector"));
    }
}
