//! Real nodes grouped into NODE pools: by a chosen label, else `karpenter.sh/nodepool`, else
//! `node.kubernetes.io/instance-type`, else identical capacity, labels and taints. Each pool
//! becomes a NODE with its node count, per-node capacity, the labels and taints all its nodes
//! share, and the pool selector that maps the real nodes to it while synced.

use std::collections::BTreeMap;

use kuberack_core::world::constraints::{zone_by_name, LABEL_HOSTNAME, LABEL_ZONE, TAINT_KEY};
use kuberack_core::world::terms::{parse, symbols::LABEL_ENERGY};
use kuberack_protocol::modules::node::{param, DESCRIPTOR};
use serde_json::{json, Value};

use super::patch::{PatchBuilder, Row};
use super::{string_map, text, Notes};
use crate::summary::{cpu_millis, memory_bytes};

/// The label Karpenter puts on the nodes of a NodePool.
pub const NODEPOOL_LABEL: &str = "karpenter.sh/nodepool";
/// The well-known instance type label.
pub const INSTANCE_TYPE_LABEL: &str = "node.kubernetes.io/instance-type";
/// The taint the node controller puts on a cordoned node (the CORDON switch stands for it).
const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";

/// One real node, as the import reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct RealNode {
    /// metadata.name.
    pub name: String,
    /// metadata.labels.
    pub labels: BTreeMap<String, String>,
    /// spec.taints in kubectl's form, sorted.
    pub taints: Vec<String>,
    /// status.allocatable cpu, millicores.
    pub cpu_m: u64,
    /// status.allocatable memory, bytes.
    pub memory: u64,
    /// spec.unschedulable.
    pub cordoned: bool,
}

impl RealNode {
    /// Reads a Node object.
    pub fn of(node: &Value) -> RealNode {
        let allocatable = &node["status"]["allocatable"];
        let labels = string_map(&node["metadata"]["labels"]);
        let mut taints: Vec<String> = node["spec"]["taints"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text::taint)
            .collect();
        taints.sort();
        RealNode {
            name: node["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            labels,
            taints,
            cpu_m: allocatable["cpu"]
                .as_str()
                .and_then(cpu_millis)
                .unwrap_or(0),
            memory: allocatable["memory"]
                .as_str()
                .and_then(memory_bytes)
                .unwrap_or(0),
            cordoned: node["spec"]["unschedulable"].as_bool().unwrap_or(false),
        }
    }
}

/// A pool of real nodes and how it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    /// What groups it: `karpenter.sh/nodepool=gp`, or `identical nodes #1`.
    pub name: String,
    /// The NODE's pool selector: which real nodes are this pool's.
    pub selector: String,
    /// Its nodes, by name.
    pub nodes: Vec<RealNode>,
}

/// Groups `nodes` into pools: by label `group_by` when a node has it, else by
/// [`NODEPOOL_LABEL`], else by [`INSTANCE_TYPE_LABEL`], else with the nodes of identical
/// capacity, labels (but the host name) and taints. Pools come in that order, then by value.
pub fn group(nodes: &[RealNode], group_by: Option<&str>) -> Vec<Pool> {
    let keys: Vec<&str> = group_by
        .into_iter()
        .chain([NODEPOOL_LABEL, INSTANCE_TYPE_LABEL])
        .collect();
    let mut by_key: BTreeMap<(usize, String), Vec<RealNode>> = BTreeMap::new();
    for n in nodes {
        let key = keys
            .iter()
            .enumerate()
            .find_map(|(rank, k)| n.labels.get(*k).map(|v| (rank, format!("{k}={v}"))))
            .unwrap_or_else(|| {
                let mut labels = n.labels.clone();
                labels.remove(LABEL_HOSTNAME);
                let shape = json!([n.cpu_m, n.memory, labels, n.taints]).to_string();
                (keys.len(), shape)
            });
        by_key.entry(key).or_default().push(n.clone());
    }
    let mut identical = 0;
    by_key
        .into_iter()
        .map(|((rank, key), mut nodes)| {
            nodes.sort_by(|a, b| a.name.cmp(&b.name));
            // The labels of the rules before this one are absent on its nodes.
            let absent = keys[..rank.min(keys.len())].iter().map(|k| format!("!{k}"));
            let (name, selector) = if rank < keys.len() {
                let selector = std::iter::once(key.clone())
                    .chain(absent)
                    .collect::<Vec<_>>();
                (key, selector.join(", "))
            } else {
                identical += 1;
                (
                    format!("identical nodes #{identical}"),
                    by_names(&nodes, absent),
                )
            };
            Pool {
                name,
                selector,
                nodes,
            }
        })
        .collect()
}

/// The selector of a pool of otherwise unlabelled identical nodes: their host names (at
/// most 16 values), else the labels they share besides the absent grouping labels.
fn by_names(nodes: &[RealNode], absent: impl Iterator<Item = String>) -> String {
    if nodes.len() <= parse::MAX_ENTRIES {
        let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
        return format!("{LABEL_HOSTNAME} in ({})", names.join(","));
    }
    let mut parts: Vec<String> = absent.collect();
    let shared = nodes[0]
        .labels
        .iter()
        .filter(|(k, _)| k.as_str() != LABEL_HOSTNAME);
    parts.extend(shared.map(|(k, v)| format!("{k}={v}")));
    parts.truncate(parse::MAX_ENTRIES);
    parts.join(", ")
}

/// The labels every node of `nodes` has with the same value; the keys that differ.
fn shared_labels(nodes: &[RealNode]) -> (BTreeMap<String, String>, Vec<String>) {
    let mut shared = nodes[0].labels.clone();
    let mut differ = Vec::new();
    for n in &nodes[1..] {
        shared.retain(|k, v| {
            let same = n.labels.get(k) == Some(v);
            if !same && k != LABEL_HOSTNAME {
                differ.push(k.clone());
            }
            same
        });
    }
    for n in nodes {
        for k in n.labels.keys() {
            if !shared.contains_key(k) && k != LABEL_HOSTNAME && !differ.contains(k) {
                differ.push(k.clone());
            }
        }
    }
    differ.sort();
    differ.dedup();
    (shared, differ)
}

/// A value within a param's range, and whether it had to be clamped.
pub fn in_range(
    descriptor: &kuberack_protocol::ModuleDescriptor,
    index: usize,
    v: f64,
) -> (f64, bool) {
    let d = &descriptor.params[index];
    let c = v.clamp(f64::from(d.min), f64::from(d.max));
    (c, c != v)
}

/// Adds the NODE of `pool` to the patch; returns its module id.
pub fn add_pool(b: &mut PatchBuilder, pool: &Pool, notes: &mut Notes) -> i64 {
    let what = format!("NODE pool {}", pool.name);
    let first = &pool.nodes[0];
    let count = pool.nodes.len() as f64;
    let (count_v, clamped) = in_range(&DESCRIPTOR, param::COUNT, count);
    if clamped {
        notes.push(
            &what,
            format!("{count} nodes; a NODE holds at most {count_v}, written as {count_v}"),
        );
    }
    if pool
        .nodes
        .iter()
        .any(|n| (n.cpu_m, n.memory) != (first.cpu_m, first.memory))
    {
        notes.push(
            &what,
            format!(
                "its nodes differ in capacity; every node gets {}'s",
                first.name
            ),
        );
    }
    let cores = (first.cpu_m as f64 / 1000.0).round();
    let (cpu, clamped) = in_range(&DESCRIPTOR, param::CPU, cores);
    if clamped {
        notes.push(
            &what,
            format!("allocatable cpu {}m written as {cpu} cores", first.cpu_m),
        );
    }
    let gib = (first.memory as f64 / f64::from(1u32 << 30)).round();
    let (memory, clamped) = in_range(&DESCRIPTOR, param::MEMORY, gib);
    if clamped {
        notes.push(
            &what,
            format!(
                "allocatable memory {} bytes written as {memory} GiB",
                first.memory
            ),
        );
    }
    let cordoned = pool.nodes.iter().filter(|n| n.cordoned).count();
    if cordoned != 0 && cordoned != pool.nodes.len() {
        notes.push(
            &what,
            format!(
                "{cordoned} of {} nodes cordoned; a NODE cordons all or none: left schedulable",
                pool.nodes.len()
            ),
        );
    }
    let (mut labels, differ) = shared_labels(&pool.nodes);
    // The NODE names its nodes itself.
    labels.remove(LABEL_HOSTNAME);
    for k in differ {
        notes.push(
            &what,
            format!("label {k} differs between its nodes; left out"),
        );
    }
    let mut zone = 0.0;
    if let Some(z) = labels.remove(LABEL_ZONE) {
        match zone_by_name(&z) {
            Some(i) => zone = f64::from(i.saturating_sub(1)),
            None => notes.push(
                &what,
                format!(
                    "label {LABEL_ZONE}={z}: the ZONE switch has zone-a..zone-d only; left out"
                ),
            ),
        }
    }
    if let Some(e) = labels.remove(LABEL_ENERGY) {
        notes.push(
            &what,
            format!("label {LABEL_ENERGY}={e}: a DEVICES module's essence sets it; left out"),
        );
    }
    let written = text::labels(&labels, |t| parse::node_labels(t).map(drop));
    for why in written.left_out {
        notes.push(&what, format!("label {why}; left out"));
    }
    let (taints, taint_switch) = pool_taints(pool, &what, notes);
    let selector = pool.selector.clone();
    let data = json!({
        "labels": written.text,
        "taints": taints,
        "sync": {"cordon": false, "poolSelector": selector},
    });
    let params = [
        (param::COUNT, count_v),
        (param::CPU, cpu),
        (param::MEMORY, memory),
        (
            param::CORDON,
            if cordoned == pool.nodes.len() {
                1.0
            } else {
                0.0
            },
        ),
        (param::ZONE, zone),
        (param::TAINT, taint_switch),
    ];
    b.add(
        &DESCRIPTOR,
        &format!("Node/{}", pool.name),
        Row::Nodes,
        &params,
        data,
    )
}

/// The taints every node of the pool has, as text, and the TAINT switch position for
/// `kuberack.io/dedicated` (no value).
fn pool_taints(pool: &Pool, what: &str, notes: &mut Notes) -> (String, f64) {
    let mut kept = Vec::new();
    let mut switch = 0.0;
    let all: std::collections::BTreeSet<&String> =
        pool.nodes.iter().flat_map(|n| &n.taints).collect();
    for t in all {
        if !pool.nodes.iter().all(|n| n.taints.contains(t)) {
            notes.push(
                what,
                format!("taint {t} is on some of its nodes only; left out"),
            );
        } else if t.starts_with(UNSCHEDULABLE_TAINT) {
            // The CORDON switch stands for it.
        } else if let Some(effect) = t.strip_prefix(&format!("{TAINT_KEY}:")) {
            switch = match effect {
                "NoSchedule" => 1.0,
                "PreferNoSchedule" => 2.0,
                _ => 3.0,
            };
        } else if t.starts_with(&format!("{LABEL_ENERGY}="))
            || t.starts_with(&format!("{TAINT_KEY}="))
        {
            notes.push(
                what,
                format!("taint {t}: the module sets this key itself; left out"),
            );
        } else {
            kept.push(t.clone());
        }
    }
    let written = text::node_taints(&kept);
    for why in written.left_out {
        notes.push(what, format!("taint {why}; left out"));
    }
    (written.text, switch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, labels: &[(&str, &str)], cpu: &str) -> RealNode {
        RealNode::of(&json!({
            "metadata": {"name": name, "labels": labels.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>()},
            "spec": {},
            "status": {"allocatable": {"cpu": cpu, "memory": "32Gi"}}
        }))
    }

    #[test]
    fn a_pool_past_the_node_knob_is_clamped_and_listed() {
        let max = DESCRIPTOR.params[param::COUNT].max as usize;
        let nodes: Vec<RealNode> = (0..=max)
            .map(|i| node(&format!("n{i:04}"), &[(NODEPOOL_LABEL, "big")], "96"))
            .collect();
        let pools = group(&nodes, None);
        let mut b = PatchBuilder::default();
        let mut notes = Notes::default();
        add_pool(&mut b, &pools[0], &mut notes);
        let patch = b.finish();
        let params = &patch["modules"][0]["params"];
        assert_eq!(params[param::COUNT]["value"], max as f64);
        assert_eq!(params[param::CPU]["value"], 64.0, "96 cores, clamped");
        assert_eq!(notes.lines.len(), 2, "{:?}", notes.lines);
        assert!(notes.lines[0].starts_with(&format!(
            "NODE pool karpenter.sh/nodepool=big: {} nodes; a NODE holds at most {max}",
            max + 1
        )));
    }

    #[test]
    fn pools_group_by_nodepool_then_instance_type_then_identity() {
        let nodes = [
            node(
                "a",
                &[(NODEPOOL_LABEL, "gp"), (INSTANCE_TYPE_LABEL, "m5")],
                "8",
            ),
            node("b", &[(INSTANCE_TYPE_LABEL, "m5")], "8"),
            node("c", &[("x", "1")], "8"),
            node("d", &[("x", "1")], "8"),
            node("e", &[("x", "1")], "4"),
            node("f", &[(NODEPOOL_LABEL, "gp")], "8"),
        ];
        let pools = group(&nodes, None);
        let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "karpenter.sh/nodepool=gp",
                "node.kubernetes.io/instance-type=m5",
                "identical nodes #1",
                "identical nodes #2"
            ]
        );
        assert_eq!(pools[0].nodes.len(), 2);
        assert_eq!(
            pools[1].selector,
            "node.kubernetes.io/instance-type=m5, !karpenter.sh/nodepool"
        );
        let sizes: Vec<usize> = pools[2..].iter().map(|p| p.nodes.len()).collect();
        assert_eq!(sizes, [1, 2], "c and d alike, e has less cpu");
        assert_eq!(pools[3].selector, "kubernetes.io/hostname in (c,d)");
        // An override comes first; the other rules exclude its label.
        let pools = group(&nodes, Some("x"));
        assert_eq!(pools[0].name, "x=1");
        assert_eq!(pools[0].nodes.len(), 3);
        assert_eq!(pools[1].selector, "karpenter.sh/nodepool=gp, !x");
    }
}
