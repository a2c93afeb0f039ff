//! Import: a cluster's objects (a `List` as `kubectl get ... -o json` prints it, or fetched
//! from the API) as a Rack patch of that cluster: NODE pools, DEPLOYMENTs, CLUSTERQUEUEs
//! chained by cohort with a JOB per LocalQueue, a SCHEDULER and an ETCD, all cabled to one
//! CLUSTER set to mirror the cluster read-only. What the rack cannot hold is listed, one line
//! each (PROTOCOL.md, "Import").

pub mod apps;
pub mod fetch;
pub mod patch;
pub mod pools;
pub mod queues;
pub mod text;

use std::collections::BTreeMap;

use kuberack_protocol::modules::{cluster, deployment, etcd, node, scheduler};
use serde_json::{json, Value};

use crate::selector::LabelQuery;
use patch::{PatchBuilder, Row};
use pools::RealNode;
use queues::QueueObjects;

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Only namespaced objects of this namespace (None: every namespace).
    pub namespace: Option<String>,
    /// Only Deployments and Jobs whose labels match (text kept for the hub's sync).
    pub selector: Option<String>,
    /// Group nodes by this label first.
    pub group_by: Option<String>,
    /// The kubeconfig context the objects came from (saved for the hub's sync).
    pub context: Option<String>,
}

/// One line per thing the patch cannot hold.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Notes {
    /// `<object>: <what>` lines, in the order found.
    pub lines: Vec<String>,
}

impl Notes {
    /// Notes `what` of object `object`.
    pub fn push(&mut self, object: &str, what: String) {
        self.lines.push(format!("{object}: {what}"));
    }
}

/// An imported patch.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The Rack patch (patch.json).
    pub patch: Value,
    /// What it could not represent, one line each.
    pub unrepresentable: Vec<String>,
    /// Modules written, by model slug.
    pub counts: Vec<(&'static str, usize)>,
}

impl Imported {
    /// What was written to `path` and, one line each, what could not be represented.
    pub fn report(&self, path: &std::path::Path) -> String {
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(model, n)| format!("{n} {model}"))
            .collect();
        let mut out = format!("wrote {} ({})\n", path.display(), counts.join(", "));
        if !self.unrepresentable.is_empty() {
            out.push_str(&format!(
                "not represented ({}):\n",
                self.unrepresentable.len()
            ));
            for line in &self.unrepresentable {
                out.push_str(&format!("  {line}\n"));
            }
        }
        out
    }
}

/// A JSON object of strings (labels, a nodeSelector) as a map; anything else is empty.
pub fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// `namespace/name` of a namespaced object, else `name`.
pub fn object_name(o: &Value) -> String {
    let name = o["metadata"]["name"].as_str().unwrap_or_default();
    match o["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_owned(),
    }
}

/// The objects of a `kubectl get -o json` output: a `List` (or any `...List`) of items, or
/// one object. Each item needs a `kind` and `metadata.name`.
pub fn read_list(text: &str) -> Result<Vec<Value>, String> {
    if text.trim().is_empty() {
        return Err("the input is empty (expected the JSON of `kubectl get ... -o json`)".into());
    }
    let root: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let items = match root.get("items") {
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err("\"items\" is not an array".into()),
        None if root.get("kind").is_some() => vec![root],
        None => return Err("neither a List with \"items\" nor a Kubernetes object".into()),
    };
    for (i, item) in items.iter().enumerate() {
        if item["kind"].as_str().is_none() || item["metadata"]["name"].as_str().is_none() {
            return Err(format!("item #{i} has no kind or metadata.name"));
        }
    }
    Ok(items)
}

/// Whether namespaced object `o` is in scope.
fn in_scope(o: &Value, options: &ImportOptions, selector: &Option<LabelQuery>) -> bool {
    let ns_ok = options
        .namespace
        .as_deref()
        .is_none_or(|ns| o["metadata"]["namespace"].as_str() == Some(ns));
    ns_ok
        && selector
            .as_ref()
            .is_none_or(|q| q.matches(&string_map(&o["metadata"]["labels"])))
}

/// The namespace the hub's sync mirrors: the one asked for, else the one holding most of
/// the imported Deployments and Jobs (the first by name on a tie), else `default`.
fn hub_namespace(options: &ImportOptions, workloads: &[&Value]) -> String {
    if let Some(ns) = &options.namespace {
        return ns.clone();
    }
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for w in workloads {
        *counts
            .entry(w["metadata"]["namespace"].as_str().unwrap_or("default"))
            .or_default() += 1;
    }
    let best = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
    best.map_or("default", |(ns, _)| ns).to_owned()
}

/// Turns `items` into a patch of the cluster they describe.
pub fn import(items: &[Value], options: &ImportOptions) -> Result<Imported, String> {
    let selector = match options.selector.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(LabelQuery::parse(s).map_err(|e| format!("label selector: {e}"))?),
        None => None,
    };
    let mut sorted: Vec<&Value> = items.iter().collect();
    sorted.sort_by_key(|o| {
        (
            o["kind"].as_str().unwrap_or_default().to_owned(),
            object_name(o),
        )
    });
    let mut notes = Notes::default();
    let mut nodes = Vec::new();
    let mut deployments = Vec::new();
    let mut queues = QueueObjects::default();
    for o in sorted {
        let scoped = in_scope(o, options, &selector);
        match o["kind"].as_str().unwrap_or_default() {
            "Node" => nodes.push(RealNode::of(o)),
            "Deployment" if scoped => deployments.push(o),
            "Job" if scoped => queues.jobs.push(o),
            "Deployment" | "Job" => {}
            "LocalQueue" => {
                if options
                    .namespace
                    .as_deref()
                    .is_none_or(|ns| o["metadata"]["namespace"].as_str() == Some(ns))
                {
                    queues.local_queues.push(o);
                }
            }
            "ClusterQueue" => queues.cluster_queues.push(o),
            "ResourceFlavor" => queues.flavors.push(o),
            "WorkloadPriorityClass" => queues.priority_classes.push(o),
            other => notes.push(
                &format!("{other} {}", object_name(o)),
                "this kind is not imported".into(),
            ),
        }
    }
    let mut b = PatchBuilder::default();
    let workloads: Vec<&Value> = deployments.iter().chain(&queues.jobs).copied().collect();
    let mut sync = json!({"namespace": hub_namespace(options, &workloads), "mirrorOnly": true});
    if let Some(c) = &options.context {
        sync["context"] = json!(c);
    }
    if let Some(s) = &options.selector {
        sync["selector"] = json!(s);
    }
    let hub = b.add(
        &cluster::DESCRIPTOR,
        "Cluster",
        Row::ControlPlane,
        &[],
        json!({"seed": 1, "sync": sync}),
    );
    let api = cluster::output::API;
    for d in [&scheduler::DESCRIPTOR, &etcd::DESCRIPTOR] {
        let id = b.add(d, d.slug, Row::ControlPlane, &[], Value::Null);
        b.cable(hub, api, id, 0);
    }
    let pools = pools::group(&nodes, options.group_by.as_deref());
    for pool in &pools {
        let id = pools::add_pool(&mut b, pool, &mut notes);
        b.cable(hub, api, id, node::input::API);
    }
    for d in &deployments {
        let id = apps::add_deployment(&mut b, d, &mut notes);
        b.cable(hub, api, id, deployment::input::API);
    }
    queues::add_queues(&mut b, hub, &queues, &mut notes);
    let patch = b.finish();
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for m in patch["modules"].as_array().into_iter().flatten() {
        let slug = kuberack_protocol::find(m["model"].as_str().unwrap_or_default())
            .map_or("?", |d| d.slug);
        match counts.iter_mut().find(|c| c.0 == slug) {
            Some(c) => c.1 += 1,
            None => counts.push((slug, 1)),
        }
    }
    Ok(Imported {
        patch,
        unrepresentable: notes.lines,
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_and_empty_input_say_what_is_wrong() {
        assert!(read_list("").unwrap_err().contains("empty"));
        assert!(read_list("{\"items\": [")
            .unwrap_err()
            .starts_with("not JSON"));
        assert!(read_list("{\"items\": 3}")
            .unwrap_err()
            .contains("not an array"));
        assert!(read_list("[1]").unwrap_err().contains("neither"));
        assert_eq!(
            read_list("{\"items\": [{\"kind\": \"Node\"}]}").unwrap_err(),
            "item #0 has no kind or metadata.name"
        );
        let one = read_list("{\"kind\": \"Node\", \"metadata\": {\"name\": \"a\"}}").unwrap();
        assert_eq!(one.len(), 1);
        // An empty List is a cluster of nothing: a hub, a scheduler and an etcd.
        let empty = import(
            &read_list("{\"kind\": \"List\", \"items\": []}").unwrap(),
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(
            empty.counts,
            [("Cluster", 1), ("Scheduler", 1), ("Etcd", 1)]
        );
        assert!(empty.unrepresentable.is_empty());
        let bad = ImportOptions {
            selector: Some("a in ()".into()),
            ..Default::default()
        };
        assert!(import(&[], &bad).unwrap_err().starts_with("label selector"));
    }
}
