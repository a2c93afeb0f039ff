//! Reading the recorded kube-scheduler fixtures (tools/scheduler-recorder) into the model's
//! vocabulary: nodes, pods' scheduling specs and the recorded outcomes. What the model cannot
//! express yet is reported as an error naming it, never dropped.

#![allow(dead_code)]

use kuberack_core::world::constraints::*;
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
}

const BUILTIN_LABELS: [&str; 5] = [
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "kube-local/fake-node",
    LABEL_ZONE,
];

/// The node, or what the model cannot express of it.
pub fn node_spec(n: &Value) -> Result<NodeSpec, String> {
    let name = n["name"].as_str().unwrap().to_owned();
    let labels = n["labels"].as_object().cloned().unwrap_or_default();
    if let Some(k) = labels
        .keys()
        .find(|k| !BUILTIN_LABELS.contains(&k.as_str()))
    {
        return Err(format!("node {name}: label {k}"));
    }
    let zone = match labels.get(LABEL_ZONE).and_then(Value::as_str) {
        None => 0,
        Some(z) => zone_by_name(z).ok_or(format!("node {name}: zone {z}"))?,
    };
    let taints = n["taints"].as_array().cloned().unwrap_or_default();
    let taint = match taints.as_slice() {
        [] => TaintEffect::None,
        [t] if t["key"] == TAINT_KEY && t.get("value").is_none() => match t["effect"].as_str() {
            Some("NoSchedule") => TaintEffect::NoSchedule,
            Some("PreferNoSchedule") => TaintEffect::PreferNoSchedule,
            Some("NoExecute") => TaintEffect::NoExecute,
            e => return Err(format!("node {name}: taint effect {e:?}")),
        },
        _ => return Err(format!("node {name}: taints {}", Value::Array(taints))),
    };
    // Quantities at the top (the recorder's scenarios) or under allocatable (mixed-pods).
    let q = |k: &str| n[k].as_str().or(n["allocatable"][k].as_str()).unwrap();
    Ok(NodeSpec {
        cpu_m: cpu_millis(q("cpu")),
        memory_mib: memory_mib(q("memory")),
        pods: q("pods").parse().unwrap(),
        zone,
        taint,
        cordoned: n["unschedulable"].as_bool().unwrap_or(false),
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

/// The pod, or what the model cannot express of it.
pub fn pod_spec(p: &Value, classes: &Value) -> Result<PodSpec, String> {
    let name = p["name"].as_str().unwrap().to_owned();
    let what = |s: &str| format!("pod {name}: {s}");
    let labels = p.get("labels").cloned().unwrap_or(Value::Null);
    let mut s = SchedulingSpec::default();
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
        Some(t) => return Err(what(&format!("tolerations {}", Value::from(t.to_vec())))),
    }
    if let Some(sel) = p["nodeSelector"].as_object() {
        for (k, v) in sel {
            let zone = v.as_str().and_then(zone_by_name);
            match zone {
                Some(z) if k == LABEL_ZONE => s.node_selector_zone = z,
                _ => return Err(what(&format!("nodeSelector {k}={v}"))),
            }
        }
    }
    let affinity = &p["affinity"];
    if let Some(na) = affinity.get("nodeAffinity") {
        let pref = na["preferredDuringSchedulingIgnoredDuringExecution"].as_array();
        match pref.map(Vec::as_slice) {
            Some([t]) if t["weight"] == 100 && na.as_object().unwrap().len() == 1 => {
                let e = &t["preference"]["matchExpressions"];
                let zone = e[0]["values"][0].as_str().and_then(zone_by_name);
                match zone {
                    Some(z) if e[0]["key"] == LABEL_ZONE && e[0]["operator"] == "In" => {
                        s.preferred_zone = z
                    }
                    _ => return Err(what(&format!("node affinity {na}"))),
                }
            }
            _ => return Err(what(&format!("node affinity {na}"))),
        }
    }
    if affinity.get("podAffinity").is_some() {
        return Err(what("pod affinity"));
    }
    if let Some(anti) = affinity.get("podAntiAffinity") {
        let required = anti["requiredDuringSchedulingIgnoredDuringExecution"].as_array();
        let preferred = anti["preferredDuringSchedulingIgnoredDuringExecution"].as_array();
        match (required.map(Vec::as_slice), preferred.map(Vec::as_slice)) {
            (Some([t]), None) if own_selector(t, &labels) => {
                s.anti_affinity = AntiAffinity::Required;
                s.anti_affinity_key = topology_key(t, &name)?;
            }
            (None, Some([t]))
                if t["weight"] == 100 && own_selector(&t["podAffinityTerm"], &labels) =>
            {
                s.anti_affinity = AntiAffinity::Preferred;
                s.anti_affinity_key = topology_key(&t["podAffinityTerm"], &name)?;
            }
            _ => return Err(what(&format!("pod anti-affinity {anti}"))),
        }
    }
    if let Some(spread) = p["topologySpreadConstraints"].as_array() {
        match spread.as_slice() {
            [c] if own_selector(c, &labels) => {
                s.spread = Some(SpreadConstraint {
                    max_skew: c["maxSkew"].as_u64().unwrap() as u32,
                    key: topology_key(c, &name)?,
                    when: match c["whenUnsatisfiable"].as_str() {
                        Some("ScheduleAnyway") => WhenUnsatisfiable::ScheduleAnyway,
                        _ => WhenUnsatisfiable::DoNotSchedule,
                    },
                })
            }
            _ => return Err(what("topology spread constraints")),
        }
    }
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
