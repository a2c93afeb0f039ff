//! Reading the recorded kube-scheduler fixtures (tools/scheduler-recorder) into the model's
//! vocabulary: nodes, pods' scheduling specs and the recorded outcomes. What the model cannot
//! express yet is reported as an error naming it, never dropped.

#![allow(dead_code)]

use kuberack_core::world::constraints::*;
use kuberack_core::world::terms::api::*;
use kuberack_core::world::terms::table;
use serde_json::Value;

/// A fixture by file name.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// A quantity in millicores.
pub fn cpu_millis(q: &str) -> u32 {
    match q.strip_suffix('m') {
        Some(m) => m.parse().unwrap(),
        None => (q.parse::<f64>().unwrap() * 1000.0).round() as u32,
    }
}

/// A quantity in MiB.
pub fn memory_mib(q: &str) -> u32 {
    if let Some(g) = q.strip_suffix("Gi") {
        g.parse::<u32>().unwrap() * 1024
    } else if let Some(m) = q.strip_suffix("Mi") {
        m.parse().unwrap()
    } else {
        panic!("unexpected memory quantity {q}")
    }
}

/// A recorded node in the model's terms.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    pub name: String,
    pub cpu_m: u32,
    pub memory_mib: u32,
    pub pods: u32,
    pub zone: u8,
    pub taint: TaintEffect,
    pub cordoned: bool,
    /// Its other labels and taints, typed (an interned id).
    pub terms: u16,
}

/// Labels every node has, which the model keeps elsewhere (the zone) or not at all.
const BUILTIN_LABELS: [&str; 5] = [
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "kube-local/fake-node",
    LABEL_ZONE,
];

fn effect(v: &Value) -> Result<TaintEffect, String> {
    match v.as_str() {
        None => Ok(TaintEffect::None),
        Some("NoSchedule") => Ok(TaintEffect::NoSchedule),
        Some("PreferNoSchedule") => Ok(TaintEffect::PreferNoSchedule),
        Some("NoExecute") => Ok(TaintEffect::NoExecute),
        Some(e) => Err(format!("taint effect {e}")),
    }
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or("").to_owned()
}

fn labels_of(v: &Value) -> Vec<Label<String>> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| Label {
            key: k.clone(),
            value: str_of(v),
        })
        .collect()
}

/// A matchExpressions entry.
fn requirement(e: &Value) -> Result<Requirement<String>, String> {
    let operator = match e["operator"].as_str() {
        Some("In") => SelectorOperator::In,
        Some("NotIn") => SelectorOperator::NotIn,
        Some("Exists") => SelectorOperator::Exists,
        Some("DoesNotExist") => SelectorOperator::DoesNotExist,
        Some("Gt") => SelectorOperator::Gt,
        Some("Lt") => SelectorOperator::Lt,
        o => return Err(format!("operator {o:?}")),
    };
    let values: Vec<String> = e["values"]
        .as_array()
        .into_iter()
        .flatten()
        .map(str_of)
        .collect();
    let number = match operator {
        SelectorOperator::Gt | SelectorOperator::Lt => values.first().and_then(|v| v.parse().ok()),
        _ => None,
    };
    Ok(Requirement {
        key: str_of(&e["key"]),
        operator,
        values,
        number,
    })
}

fn node_selector_term(t: &Value) -> Result<NodeSelectorTerm<String>, String> {
    if t.get("matchFields").is_some() {
        return Err("matchFields".into());
    }
    let e = t["matchExpressions"].as_array().into_iter().flatten();
    Ok(NodeSelectorTerm {
        requirements: e.map(requirement).collect::<Result<_, _>>()?,
    })
}

fn label_selector(s: &Value) -> Result<LabelSelector<String>, String> {
    let e = s["matchExpressions"].as_array().into_iter().flatten();
    Ok(LabelSelector {
        match_labels: labels_of(&s["matchLabels"]),
        expressions: e.map(requirement).collect::<Result<_, _>>()?,
    })
}

fn pod_affinity_term(
    t: &Value,
    anti: bool,
    weight: Option<i32>,
) -> Result<PodAffinityTerm<String>, String> {
    if t.get("namespaces").is_some() || t.get("namespaceSelector").is_some() {
        return Err("pod affinity over namespaces".into());
    }
    Ok(PodAffinityTerm {
        anti,
        weight,
        selector: label_selector(&t["labelSelector"])?,
        topology_key: str_of(&t["topologyKey"]),
    })
}

/// The typed terms of a pod's affinity group (`podAffinity` or `podAntiAffinity`).
fn pod_affinity(group: &Value, anti: bool) -> Result<Vec<PodAffinityTerm<String>>, String> {
    let mut out = Vec::new();
    let required = &group["requiredDuringSchedulingIgnoredDuringExecution"];
    for t in required.as_array().into_iter().flatten() {
        out.push(pod_affinity_term(t, anti, None)?);
    }
    let preferred = &group["preferredDuringSchedulingIgnoredDuringExecution"];
    for w in preferred.as_array().into_iter().flatten() {
        let weight = w["weight"].as_i64().map(|w| w as i32);
        out.push(pod_affinity_term(&w["podAffinityTerm"], anti, weight)?);
    }
    Ok(out)
}

fn spread_constraint(c: &Value) -> Result<TopologySpreadConstraint<String>, String> {
    let policy = |v: &Value, default| match v.as_str() {
        None => Ok(default),
        Some("Honor") => Ok(NodeInclusionPolicy::Honor),
        Some("Ignore") => Ok(NodeInclusionPolicy::Ignore),
        Some(p) => Err(format!("policy {p}")),
    };
    if c.get("matchLabelKeys").is_some() {
        return Err("matchLabelKeys".into());
    }
    Ok(TopologySpreadConstraint {
        max_skew: c["maxSkew"].as_u64().unwrap_or(1) as u32,
        topology_key: str_of(&c["topologyKey"]),
        when: match c["whenUnsatisfiable"].as_str() {
            Some("ScheduleAnyway") => WhenUnsatisfiable::ScheduleAnyway,
            _ => WhenUnsatisfiable::DoNotSchedule,
        },
        min_domains: c["minDomains"].as_u64().map(|n| n as u32),
        node_affinity_policy: policy(&c["nodeAffinityPolicy"], NodeInclusionPolicy::Honor)?,
        node_taints_policy: policy(&c["nodeTaintsPolicy"], NodeInclusionPolicy::Ignore)?,
        selector: Some(label_selector(&c["labelSelector"])?),
    })
}

/// The node, or what the model cannot express of it: the zone label and the
/// `kuberack.io/dedicated` taint as the ZONE and TAINT switches, every other label and taint
/// typed.
pub fn node_spec(n: &Value) -> Result<NodeSpec, String> {
    let name = n["name"].as_str().unwrap().to_owned();
    let labels = n["labels"].as_object().cloned().unwrap_or_default();
    let zone = match labels.get(LABEL_ZONE).and_then(Value::as_str) {
        None => 0,
        Some(z) => zone_by_name(z).ok_or(format!("node {name}: zone {z}"))?,
    };
    let mut terms = NodeTerms::<String>::default();
    for (k, v) in &labels {
        if !BUILTIN_LABELS.contains(&k.as_str()) {
            terms.labels.push(Label {
                key: k.clone(),
                value: str_of(v),
            });
        }
    }
    let mut taint = TaintEffect::None;
    for t in n["taints"].as_array().into_iter().flatten() {
        let e = effect(&t["effect"]).map_err(|e| format!("node {name}: {e}"))?;
        if t["key"] == TAINT_KEY && t.get("value").is_none() && taint == TaintEffect::None {
            taint = e;
            continue;
        }
        terms.taints.push(Taint {
            key: str_of(&t["key"]),
            value: str_of(&t["value"]),
            effect: e,
        });
    }
    // Quantities at the top (the recorder's scenarios) or under allocatable (mixed-pods).
    let q = |k: &str| n[k].as_str().or(n["allocatable"][k].as_str()).unwrap();
    Ok(NodeSpec {
        cpu_m: cpu_millis(q("cpu")),
        memory_mib: memory_mib(q("memory")),
        pods: q("pods").parse().unwrap(),
        zone,
        taint,
        cordoned: n["unschedulable"].as_bool().unwrap_or(false),
        terms: table::intern_node(&terms)?,
        name,
    })
}

/// A recorded pod in the model's terms.
#[derive(Debug, Clone)]
pub struct PodSpec {
    pub name: String,
    pub cpu_m: u32,
    pub memory_mib: u32,
    /// The `app` label ("" without one): the pods its selectors match.
    pub app: String,
    pub scheduling: SchedulingSpec,
}

fn own_selector(term: &Value, labels: &Value) -> bool {
    term["labelSelector"]["matchLabels"] == *labels
}

fn topology_key(term: &Value, what: &str) -> Result<TopologyKey, String> {
    let key = term["topologyKey"].as_str().unwrap_or("");
    TopologyKey::from_label(key).ok_or(format!("{what}: topologyKey {key}"))
}

/// The pod, or what the model cannot express of it: what the switches express (the
/// `kuberack.io/dedicated` toleration, a zone nodeSelector, a preferred zone, one
/// anti-affinity term or spread constraint over the pod's own labels) as the switches, the
/// rest typed.
pub fn pod_spec(p: &Value, classes: &Value) -> Result<PodSpec, String> {
    let name = p["name"].as_str().unwrap().to_owned();
    let what = |s: &str| format!("pod {name}: {s}");
    let labels = p.get("labels").cloned().unwrap_or(Value::Null);
    let mut s = SchedulingSpec::default();
    let mut terms = PodTerms::<String> {
        labels: labels_of(&labels),
        ..PodTerms::default()
    };
    if let Some(class) = p["priorityClassName"].as_str() {
        let c = &classes[class];
        s.priority = c
            .as_i64()
            .or_else(|| c["value"].as_i64())
            .ok_or(what("priority class"))? as i32;
        s.never_preempt = c["preemptionPolicy"] == "Never";
    }
    match p["tolerations"].as_array().map(Vec::as_slice) {
        None | Some([]) => {}
        Some([t])
            if t["key"] == TAINT_KEY && t["operator"] == "Exists" && t.get("effect").is_none() =>
        {
            s.tolerates_dedicated = true
        }
        Some(ts) => {
            for t in ts {
                terms.tolerations.push(Toleration {
                    key: t["key"].as_str().map(str::to_owned),
                    operator: if t["operator"] == "Exists" {
                        TolerationOperator::Exists
                    } else {
                        TolerationOperator::Equal
                    },
                    value: str_of(&t["value"]),
                    effect: effect(&t["effect"]).map_err(|e| what(&e))?,
                    seconds: t["tolerationSeconds"].as_u64().map(|n| n as u32),
                });
            }
        }
    }
    if let Some(sel) = p["nodeSelector"].as_object() {
        let zone = sel
            .get(LABEL_ZONE)
            .and_then(Value::as_str)
            .and_then(zone_by_name);
        match zone {
            Some(z) if sel.len() == 1 => s.node_selector_zone = z,
            _ => terms.node_selector = labels_of(&p["nodeSelector"]),
        }
    }
    let affinity = &p["affinity"];
    if let Some(na) = affinity.get("nodeAffinity") {
        let pref = na["preferredDuringSchedulingIgnoredDuringExecution"].as_array();
        let zone_shortcut = match pref.map(Vec::as_slice) {
            Some([t]) if t["weight"] == 100 && na.as_object().unwrap().len() == 1 => {
                let e = &t["preference"]["matchExpressions"];
                let zone = e[0]["values"][0].as_str().and_then(zone_by_name);
                zone.filter(|_| {
                    e[0]["key"] == LABEL_ZONE
                        && e[0]["operator"] == "In"
                        && e.as_array().unwrap().len() == 1
                })
            }
            _ => None,
        };
        if let Some(z) = zone_shortcut {
            s.preferred_zone = z;
        } else {
            let required =
                &na["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
            for t in required.as_array().into_iter().flatten() {
                terms
                    .required
                    .push(node_selector_term(t).map_err(|e| what(&e))?);
            }
            for t in pref.into_iter().flatten() {
                terms.preferred.push(PreferredTerm {
                    weight: t["weight"].as_i64().unwrap_or(1) as i32,
                    term: node_selector_term(&t["preference"]).map_err(|e| what(&e))?,
                });
            }
        }
    }
    if let Some(a) = affinity.get("podAffinity") {
        terms
            .pod_affinity
            .extend(pod_affinity(a, false).map_err(|e| what(&e))?);
    }
    if let Some(anti) = affinity.get("podAntiAffinity") {
        let required = anti["requiredDuringSchedulingIgnoredDuringExecution"].as_array();
        let preferred = anti["preferredDuringSchedulingIgnoredDuringExecution"].as_array();
        let own_only = terms.pod_affinity.is_empty();
        match (required.map(Vec::as_slice), preferred.map(Vec::as_slice)) {
            (Some([t]), None) if own_only && own_selector(t, &labels) => {
                s.anti_affinity = AntiAffinity::Required;
                s.anti_affinity_key = topology_key(t, &name)?;
            }
            (None, Some([t]))
                if own_only
                    && t["weight"] == 100
                    && own_selector(&t["podAffinityTerm"], &labels) =>
            {
                s.anti_affinity = AntiAffinity::Preferred;
                s.anti_affinity_key = topology_key(&t["podAffinityTerm"], &name)?;
            }
            _ => terms
                .pod_affinity
                .extend(pod_affinity(anti, true).map_err(|e| what(&e))?),
        }
    }
    if let Some(spread) = p["topologySpreadConstraints"].as_array() {
        let plain = |c: &Value| {
            let keys = [
                "maxSkew",
                "topologyKey",
                "whenUnsatisfiable",
                "labelSelector",
            ];
            c.as_object()
                .unwrap()
                .keys()
                .all(|k| keys.contains(&k.as_str()))
        };
        match spread.as_slice() {
            [c] if own_selector(c, &labels) && plain(c) && topology_key(c, &name).is_ok() => {
                s.spread = Some(SpreadConstraint {
                    max_skew: c["maxSkew"].as_u64().unwrap() as u32,
                    key: topology_key(c, &name)?,
                    when: match c["whenUnsatisfiable"].as_str() {
                        Some("ScheduleAnyway") => WhenUnsatisfiable::ScheduleAnyway,
                        _ => WhenUnsatisfiable::DoNotSchedule,
                    },
                })
            }
            cs => {
                for c in cs {
                    terms
                        .spread
                        .push(spread_constraint(c).map_err(|e| what(&e))?);
                }
            }
        }
    }
    s.terms = table::intern_pod(&terms)?;
    // Requests at the top (the recorder's scenarios) or under requests (mixed-pods).
    let q = |k: &str| p[k].as_str().or(p["requests"][k].as_str());
    Ok(PodSpec {
        cpu_m: q("cpu").map_or(0, cpu_millis),
        memory_mib: q("memory").map_or(0, memory_mib),
        app: labels["app"].as_str().unwrap_or("").to_owned(),
        scheduling: s,
        name,
    })
}

/// Every node and pod of a fixture in the model's terms, or the first thing it cannot express.
pub fn scenario(data: &Value) -> Result<(Vec<NodeSpec>, Vec<PodSpec>), String> {
    let nodes = data["nodes"].as_array().unwrap();
    let nodes = nodes.iter().map(node_spec).collect::<Result<Vec<_>, _>>()?;
    let classes = &data["priorityClasses"];
    let pods = data["steps"]
        .as_array()
        .or(data["pods"].as_array())
        .unwrap();
    let pods = pods
        .iter()
        .map(|p| {
            if p.get("delete").is_some() {
                return Err("a delete step".to_owned());
            }
            pod_spec(p, classes)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((nodes, pods))
}

/// The weighted score a recorded plugin gave (0 when it did not score).
pub fn plugin(scores: &Value, name: &str) -> i64 {
    scores[name].as_i64().unwrap_or(0)
}
