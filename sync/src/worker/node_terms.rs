//! A NODE's typed labels and taints on its labelled real nodes ("Sync labels and taints"):
//! server-side apply as `kuberack` of the labels, of the node's taints (an atomic list: the
//! taints others set are kept in it) and of an annotation naming the taints KubeRack added,
//! so that they can be taken off again, with the labels, when the setting goes off.

use super::{call, guarded, Refusal, Session};
use crate::errors::Request;
use crate::labels::{apply_params, MANAGED_SELECTOR, MODULE_KEY};
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams, Patch};
use kuberack_core::live::ObjectKey;
use kuberack_core::world::terms::api::Taint;
use kuberack_core::world::terms::{parse, table};
use serde_json::{json, Map, Value};

/// The annotation holding the taints KubeRack added, as the NODE's taint text.
pub const TAINTS_ANNOTATION: &str = "kuberack.io/taints";

fn taint_json(key: &str, value: &str, effect: &str) -> Value {
    let mut o = Map::new();
    o.insert("key".into(), json!(key));
    if !value.is_empty() {
        o.insert("value".into(), json!(value));
    }
    o.insert("effect".into(), json!(effect));
    Value::Object(o)
}

fn taints_text(taints: &[Taint<String>]) -> String {
    let one = |t: &Taint<String>| match t.value.as_str() {
        "" => format!("{}:{}", t.key, t.effect.name()),
        v => format!("{}={v}:{}", t.key, t.effect.name()),
    };
    taints.iter().map(one).collect::<Vec<_>>().join(", ")
}

/// The apply configuration for one node: `terms` applied (labels, annotation, taints), or
/// with `None` the node without them; `None` when the node already is so.
pub fn node_apply(node: &Node, terms: Option<u16>) -> Option<Value> {
    let name = node.metadata.name.clone().unwrap_or_default();
    let annotations = node.metadata.annotations.clone().unwrap_or_default();
    let previous = annotations.get(TAINTS_ANNOTATION);
    if terms.is_none() && previous.is_none() {
        return None;
    }
    let added = previous
        .map(|t| parse::taints(t).unwrap_or_default())
        .unwrap_or_default();
    let current = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    let mine = |t: &k8s_openapi::api::core::v1::Taint| {
        added.iter().any(|a| {
            a.key == t.key
                && a.value == t.value.clone().unwrap_or_default()
                && a.effect.name() == t.effect
        })
    };
    let mut taints: Vec<Value> = current
        .iter()
        .filter(|t| !mine(t))
        .map(|t| taint_json(&t.key, t.value.as_deref().unwrap_or(""), &t.effect))
        .collect();
    let mut metadata = json!({ "name": name });
    let want = terms.map(table::node_terms_text);
    if let Some(want) = &want {
        let labels: Map<String, Value> = want
            .labels
            .iter()
            .map(|l| (l.key.clone(), json!(l.value)))
            .collect();
        let text = taints_text(&want.taints);
        metadata["labels"] = Value::Object(labels);
        metadata["annotations"] = json!({ TAINTS_ANNOTATION: text });
        for t in &want.taints {
            taints.push(taint_json(&t.key, &t.value, t.effect.name()));
        }
    }
    let now: Vec<Value> = current
        .iter()
        .map(|t| taint_json(&t.key, t.value.as_deref().unwrap_or(""), &t.effect))
        .collect();
    let node_labels = node.metadata.labels.clone().unwrap_or_default();
    let applied = match &want {
        Some(w) => {
            w.labels
                .iter()
                .all(|l| node_labels.get(&l.key) == Some(&l.value))
                && previous == Some(&taints_text(&w.taints))
        }
        None => false,
    };
    if applied && now == taints {
        return None;
    }
    Some(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": metadata,
        "spec": { "taints": taints },
    }))
}

impl Session<'_> {
    /// The real nodes labelled with NODE `key`'s module and KubeRack's managed-by label.
    pub(super) async fn module_nodes(&self, key: &ObjectKey) -> Result<Vec<Node>, Refusal> {
        let api: Api<Node> = Api::all(self.client.clone());
        let selector = format!("{MANAGED_SELECTOR},{MODULE_KEY}={}", key.name());
        let params = ListParams::default().labels(&selector);
        let list = api.list(&params);
        let nodes = call(nodes_request("list"), self.config.request_timeout, list)
            .await
            .map_err(Refusal::Failed)?;
        Ok(nodes.items)
    }

    /// Applies (or with `None` takes off) a NODE's typed labels and taints on its real nodes.
    pub(super) async fn sync_node_terms(
        &self,
        key: &ObjectKey,
        terms: Option<u16>,
    ) -> Result<u32, Refusal> {
        let api: Api<Node> = Api::all(self.client.clone());
        let mut written = 0;
        for node in self.module_nodes(key).await? {
            let name = node.metadata.name.clone().unwrap_or_default();
            guarded("Node", &name, node.metadata.labels.as_ref())?;
            let Some(body) = node_apply(&node, terms) else {
                continue;
            };
            let (params, apply) = (apply_params(), Patch::Apply(&body));
            let patch = api.patch(&name, &params, &apply);
            call(nodes_request("patch"), self.config.request_timeout, patch)
                .await
                .map_err(Refusal::Failed)?;
            written += 1;
        }
        Ok(written)
    }
}

/// A request on nodes, for errors.
pub(super) fn nodes_request(verb: &'static str) -> Request<'static> {
    Request {
        verb,
        resource: "nodes",
        namespace: "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuberack_core::world::terms::api::NodeTerms;

    fn node(labels: Value, annotations: Value, taints: Value) -> Node {
        serde_json::from_value(json!({
            "metadata": {"name": "n1", "labels": labels, "annotations": annotations},
            "spec": {"taints": taints},
        }))
        .unwrap()
    }

    #[test]
    fn the_apply_keeps_other_taints_and_takes_off_only_its_own() {
        let terms = table::intern_node(&NodeTerms {
            labels: parse::node_labels("gpu=true").unwrap(),
            taints: parse::node_taints("dedicated=gpu:NoSchedule").unwrap(),
        })
        .unwrap();
        let other = json!([{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]);
        let fresh = node(json!({}), json!({}), other.clone());
        let body = node_apply(&fresh, Some(terms)).unwrap();
        assert_eq!(body["metadata"]["labels"], json!({"gpu": "true"}));
        assert_eq!(
            body["metadata"]["annotations"][TAINTS_ANNOTATION],
            "dedicated=gpu:NoSchedule"
        );
        assert_eq!(
            body["spec"]["taints"],
            json!([
                {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"},
                {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
            ])
        );
        // Applied already: nothing to write.
        let applied = node(
            json!({"gpu": "true"}),
            json!({TAINTS_ANNOTATION: "dedicated=gpu:NoSchedule"}),
            body["spec"]["taints"].clone(),
        );
        assert_eq!(node_apply(&applied, Some(terms)), None);
        // Off: the other taint stays, the labels and annotation are left out of the
        // configuration (so server-side apply removes what kuberack owned).
        let off = node_apply(&applied, None).unwrap();
        assert_eq!(off["spec"]["taints"], other);
        assert_eq!(off["metadata"], json!({"name": "n1"}));
        // A node KubeRack never wrote is not written when off.
        assert_eq!(node_apply(&fresh, None), None);
    }
}
