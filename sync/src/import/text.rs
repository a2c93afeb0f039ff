//! Real objects' labels, taints, tolerations, node affinity, pod affinity and topology
//! spread constraints (API JSON) written as the one-line text the modules' settings take
//! (PROTOCOL.md, "Labels, taints, tolerations and node affinity"). Each entry is checked by
//! the same parser the module uses; an entry it refuses, or one past the 16 a list holds, is
//! left out and named.

use k8s_openapi::api::core::v1::{Affinity, TopologySpreadConstraint};
use kuberack_core::world::terms::parse;
use serde_json::{json, Value};

use crate::pod_terms_text::{pod_affinity_text, topology_spread_text};

/// Text for a setting and what of the source it could not hold.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    /// The one-line text.
    pub text: String,
    /// One line per entry left out, with the reason.
    pub left_out: Vec<String>,
}

/// Joins entries that `check` accepts one by one and as a whole list (at most
/// [`parse::MAX_ENTRIES`]), with `sep`.
fn join(
    entries: impl IntoIterator<Item = String>,
    sep: &str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Written {
    let mut out = Written::default();
    let mut kept: Vec<String> = Vec::new();
    for e in entries {
        if kept.len() == parse::MAX_ENTRIES {
            out.left_out
                .push(format!("{e}: more than {} entries", parse::MAX_ENTRIES));
            continue;
        }
        let mut with = kept.clone();
        with.push(e.clone());
        match check(&e).and_then(|()| check(&with.join(sep))) {
            Ok(()) => kept = with,
            Err(why) => out.left_out.push(format!("{e}: {why}")),
        }
    }
    out.text = kept.join(sep);
    out
}

/// `key=value, ...` from a label map (sorted by key), checked by `check`.
pub fn labels<'a>(
    pairs: impl IntoIterator<Item = (&'a String, &'a String)>,
    check: impl Fn(&str) -> Result<(), String>,
) -> Written {
    join(
        pairs.into_iter().map(|(k, v)| format!("{k}={v}")),
        ", ",
        check,
    )
}

/// One taint (`{key, value, effect}`) in kubectl's form.
pub fn taint(t: &Value) -> String {
    let key = t["key"].as_str().unwrap_or_default();
    let effect = t["effect"].as_str().unwrap_or_default();
    match t["value"].as_str().filter(|v| !v.is_empty()) {
        Some(v) => format!("{key}={v}:{effect}"),
        None => format!("{key}:{effect}"),
    }
}

/// A NODE's `taints` text.
pub fn node_taints(taints: &[String]) -> Written {
    join(taints.iter().cloned(), ", ", |t| {
        parse::node_taints(t).map(drop)
    })
}

/// One toleration in the typed form: `k=v:Effect`, `k:Effect`, `*:Effect`, ` for Ns`.
fn toleration(t: &Value) -> String {
    let key = t["key"].as_str().unwrap_or_default();
    let exists = t["operator"].as_str() == Some("Exists");
    let mut s = match (key.is_empty(), exists) {
        (true, _) => "*".to_string(),
        (false, true) => key.to_string(),
        (false, false) => format!("{key}={}", t["value"].as_str().unwrap_or_default()),
    };
    if let Some(effect) = t["effect"].as_str().filter(|e| !e.is_empty()) {
        s = format!("{s}:{effect}");
    }
    if let Some(n) = t["tolerationSeconds"].as_i64() {
        s = format!("{s} for {n}s");
    }
    s
}

/// A pod spec's `tolerations` as text.
pub fn tolerations(list: &Value) -> Written {
    let entries = list.as_array().into_iter().flatten().map(toleration);
    join(entries, ", ", |t| parse::tolerations(t).map(drop))
}

/// One matchExpressions entry: `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>5`, `k<5`.
fn requirement(r: &Value) -> String {
    let key = r["key"].as_str().unwrap_or_default();
    let values: Vec<&str> = r["values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let first = values.first().copied().unwrap_or_default();
    match r["operator"].as_str().unwrap_or_default() {
        "In" => format!("{key} in ({})", values.join(",")),
        "NotIn" => format!("{key} notin ({})", values.join(",")),
        "Exists" => key.to_string(),
        "DoesNotExist" => format!("!{key}"),
        "Gt" => format!("{key}>{first}"),
        "Lt" => format!("{key}<{first}"),
        other => format!("{key} {other}"),
    }
}

/// A nodeSelectorTerm's matchExpressions as one term, or why it cannot be one (matchFields).
fn term(t: &Value) -> Result<String, String> {
    if t["matchFields"].as_array().is_some_and(|f| !f.is_empty()) {
        return Err("matchFields (node fields) cannot be typed".into());
    }
    let reqs: Vec<String> = t["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(requirement)
        .collect();
    Ok(reqs.join(", "))
}

/// requiredDuringSchedulingIgnoredDuringExecution as `term | term`.
pub fn required_affinity(required: &Value) -> Written {
    let mut left_out = Vec::new();
    let terms: Vec<String> = required["nodeSelectorTerms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| term(t).map_err(|why| left_out.push(why)).ok())
        .collect();
    after(
        left_out,
        join(terms, " | ", |t| parse::required_terms(t).map(drop)),
    )
}

/// preferredDuringSchedulingIgnoredDuringExecution as `weight: term | ...`.
pub fn preferred_affinity(preferred: &Value) -> Written {
    let mut left_out = Vec::new();
    let terms: Vec<String> = preferred
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let t = term(&p["preference"])
                .map_err(|why| left_out.push(why))
                .ok()?;
            Some(format!("{}: {t}", p["weight"].as_i64().unwrap_or(1)))
        })
        .collect();
    after(
        left_out,
        join(terms, " | ", |t| parse::preferred_terms(t).map(drop)),
    )
}

/// The terms a pod spec's `affinity` holds under `kind` (podAffinity or podAntiAffinity),
/// required ones first, each alone in an [`Affinity`] as written.
fn pod_affinity_terms<'a>(affinity: &'a Value, kind: &'a str) -> impl Iterator<Item = Value> + 'a {
    [
        "requiredDuringSchedulingIgnoredDuringExecution",
        "preferredDuringSchedulingIgnoredDuringExecution",
    ]
    .into_iter()
    .flat_map(move |field| {
        let terms = affinity[kind][field].as_array().into_iter().flatten();
        terms.map(move |t| json!({ kind: { field: [t] } }))
    })
}

/// A pod spec's podAffinity and podAntiAffinity as the `podAffinity` text, term by term:
/// a term the rack cannot express (other namespaces, matchLabelKeys, no labelSelector,
/// malformed) is left out with why.
pub fn pod_affinity(affinity: &Value) -> Written {
    let mut left_out = Vec::new();
    let mut terms = Vec::new();
    for kind in ["podAffinity", "podAntiAffinity"] {
        for one in pod_affinity_terms(affinity, kind) {
            let text = serde_json::from_value::<Affinity>(one.clone())
                .map_err(|e| e.to_string())
                .and_then(|a| pod_affinity_text(&a));
            match text {
                Ok(t) => terms.push(t),
                Err(why) => {
                    let term = one[kind].as_object().and_then(|m| m.values().next());
                    let term = term.map_or(Value::Null, |t| t[0].clone());
                    left_out.push(format!("{kind} term {term}: {why}"));
                }
            }
        }
    }
    written(terms, left_out, "pod affinity term", |t| {
        parse::pod_affinity(t).map(drop)
    })
}

/// A pod spec's topologySpreadConstraints as the `topologySpread` text, constraint by
/// constraint: one the rack cannot express (matchLabelKeys, no labelSelector, malformed) is
/// left out with why.
pub fn topology_spread(constraints: &Value) -> Written {
    let mut left_out = Vec::new();
    let mut kept = Vec::new();
    for c in constraints.as_array().into_iter().flatten() {
        let text = serde_json::from_value::<TopologySpreadConstraint>(c.clone())
            .map_err(|e| e.to_string())
            .and_then(|c| topology_spread_text(&[c]));
        match text {
            Ok(t) => kept.push(t),
            Err(why) => left_out.push(format!("topologySpreadConstraints entry {c}: {why}")),
        }
    }
    written(kept, left_out, "topology spread constraint", |t| {
        parse::topology_spread(t).map(drop)
    })
}

/// `out` with the entries already `left_out` named first.
fn after(mut left_out: Vec<String>, mut out: Written) -> Written {
    left_out.append(&mut out.left_out);
    out.left_out = left_out;
    out
}

/// `entries` joined by `; ` as far as `check` accepts them, after the entries already
/// `left_out`; what the check refuses is named as a `what`.
fn written(
    entries: Vec<String>,
    left_out: Vec<String>,
    what: &str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Written {
    let mut out = join(entries, "; ", check);
    for e in &mut out.left_out {
        *e = format!("{what} {e}");
    }
    after(left_out, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tolerations_and_affinity_read_back_as_typed() {
        let t = tolerations(&json!([
            {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"},
            {"key": "gpu", "operator": "Exists"},
            {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60},
            {"key": "bad key!", "operator": "Exists"}
        ]));
        assert_eq!(t.text, "dedicated=gpu:NoSchedule, gpu, *:NoExecute for 60s");
        assert_eq!(t.left_out.len(), 1, "{:?}", t.left_out);
        let r = required_affinity(&json!({"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd", "nvme"]},
                                  {"key": "spot", "operator": "DoesNotExist"}]},
            {"matchExpressions": [{"key": "cpu-gen", "operator": "Gt", "values": ["5"]}]},
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}
        ]}));
        assert_eq!(r.text, "disk in (ssd,nvme), !spot | cpu-gen>5");
        assert_eq!(r.left_out.len(), 1);
        let p = preferred_affinity(&json!([
            {"weight": 80, "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}}
        ]));
        assert_eq!(p.text, "80: disk in (ssd)");
        assert!(parse::preferred_terms(&p.text).is_ok());
    }

    #[test]
    fn pod_affinity_and_spreads_keep_what_the_rack_expresses_term_by_term() {
        let web = json!({"matchLabels": {"app": "web"}});
        let a = pod_affinity(&json!({
            "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "db"}},
                 "topologyKey": "topology.kubernetes.io/zone"},
                {"labelSelector": {}, "namespaces": ["kube-system"], "topologyKey": "zone"}
            ]},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {"labelSelector": web,
                    "topologyKey": "kubernetes.io/hostname"}},
                {"weight": 10, "podAffinityTerm": {"labelSelector": web,
                    "matchLabelKeys": ["pod-template-hash"], "topologyKey": "zone"}},
                {"weight": 5},
                {"weight": "heavy", "podAffinityTerm": {"labelSelector": web,
                    "topologyKey": "zone"}}
            ]}
        }));
        assert_eq!(
            a.text,
            "app=db on topology.kubernetes.io/zone; 100: !app=web on kubernetes.io/hostname"
        );
        assert_eq!(parse::pod_affinity(&a.text).unwrap().len(), 2);
        assert_eq!(a.left_out.len(), 4, "{:?}", a.left_out);
        assert_eq!(
            a.left_out[0],
            "podAffinity term {\"labelSelector\":{},\"namespaces\":[\"kube-system\"],\
             \"topologyKey\":\"zone\"}: pod affinity terms over other namespaces"
        );
        assert!(a.left_out[1].starts_with("podAntiAffinity term {\"podAffinityTerm\""));
        assert!(a.left_out[1].ends_with(": matchLabelKeys and mismatchLabelKeys"));
        assert_eq!(
            a.left_out[2],
            "podAntiAffinity term {\"weight\":5}: \
             a pod affinity term without a labelSelector (it selects no pod)"
        );
        assert!(a.left_out[3].contains("invalid type"), "{:?}", a.left_out);
        assert_eq!(pod_affinity(&Value::Null), Written::default());

        let s = topology_spread(&json!([
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
             "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": {"app": "cache"}}},
            {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
             "whenUnsatisfiable": "DoNotSchedule"},
            {"maxSkew": 2, "topologyKey": "topology.kubernetes.io/zone",
             "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {}},
            {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "labelSelector": web,
             "whenUnsatisfiable": "DoNotSchedule", "minDomains": 2}
        ]));
        assert_eq!(
            s.text,
            "1 on topology.kubernetes.io/zone ScheduleAnyway for app=cache; \
             1 on kubernetes.io/hostname minDomains=2 for app=web"
        );
        assert_eq!(s.left_out.len(), 2, "{:?}", s.left_out);
        assert!(s.left_out[0].starts_with("topologySpreadConstraints entry {"));
        assert!(s.left_out[0].ends_with("without a labelSelector (it counts no pod)"));
        assert!(s.left_out[1].starts_with(
            "topology spread constraint 2 on topology.kubernetes.io/zone ScheduleAnyway for *: "
        ));
        assert!(
            s.left_out[1].contains("Duplicate value"),
            "{:?}",
            s.left_out
        );
        assert_eq!(topology_spread(&json!(3)), Written::default());
    }

    #[test]
    fn lists_past_sixteen_entries_leave_the_rest_out_by_name() {
        let map: std::collections::BTreeMap<String, String> = (0..20)
            .map(|i| (format!("k{i:02}"), "v".to_string()))
            .collect();
        let w = labels(&map, |t| parse::labels(t).map(drop));
        assert_eq!(w.text.split(", ").count(), 16);
        assert_eq!(w.left_out.len(), 4);
        assert!(w.left_out[0].starts_with("k16=v"), "{:?}", w.left_out);
        assert_eq!(
            node_taints(&["a=b:NoSchedule".into()]).text,
            "a=b:NoSchedule"
        );
        assert_eq!(
            taint(&json!({"key": "x", "effect": "NoExecute"})),
            "x:NoExecute"
        );
    }
}
