//! `kuberack import` against a real API server: the cluster listed through the API becomes a
//! patch whose NODE pools carry pool selectors, and a mirror-only sync given those NODEs
//! maps the real nodes to them with no `kuberack.io/module` label on any node. Skipped (one
//! line) without KUBERACK_TEST_KUBECONFIG.

mod cluster;

use cluster::{until, TestCluster, ADMIN_ENV};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kuberack_core::modules::node::intern_pool_selector;
use kuberack_sync::import::{fetch::fetch, import, ImportOptions};
use kuberack_sync::{queues, spawn, DesiredObject};
use serde_json::{json, Value};
use std::path::PathBuf;

const POOL_LABEL: &str = "kuberack-import-test/pool";

/// Labels (or with `None` unlabels) `node` with [`POOL_LABEL`].
async fn label(nodes: &Api<Node>, node: &str, pool: Option<&str>) {
    let patch = json!({"metadata": {"labels": {POOL_LABEL: pool}}});
    nodes
        .patch(node, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
}

#[test]
fn an_imported_patch_mirrors_its_cluster_pools_without_node_labels_of_ours() {
    let Some(c) = TestCluster::from_env("import") else {
        return;
    };
    let nodes: Api<Node> = Api::all(c.admin.clone());
    let names: Vec<String> = c
        .block_on(nodes.list(&ListParams::default()))
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    assert!(
        names.len() >= 2,
        "the test needs two nodes, the cluster has {names:?}"
    );
    let half = names.len().div_ceil(2);
    let deployments: Api<Deployment> = Api::namespaced(c.admin.clone(), &c.ns);
    c.block_on(async {
        for (i, n) in names.iter().enumerate() {
            label(&nodes, n, Some(if i < half { "a" } else { "b" })).await;
        }
        let web = json!({"metadata": {"name": "web"}, "spec": {"replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}],
                "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}}}});
        deployments
            .create(&PostParams::default(), &serde_json::from_value(web).unwrap())
            .await
            .unwrap();
    });
    let options = ImportOptions {
        namespace: Some(c.ns.clone()),
        group_by: Some(POOL_LABEL.into()),
        ..ImportOptions::default()
    };
    let admin = std::env::var_os(ADMIN_ENV).map(PathBuf::from);
    let items = fetch(admin, &options).expect("the cluster lists");
    let imported = import(&items, &options).unwrap();
    let modules = imported.patch["modules"].as_array().unwrap().clone();
    let node_module = |pool: &str| -> &Value {
        modules
            .iter()
            .find(|m| m["data"]["sync"]["poolSelector"] == format!("{POOL_LABEL}={pool}"))
            .unwrap_or_else(|| panic!("no NODE for pool {pool}"))
    };
    let (a, b) = (node_module("a"), node_module("b"));
    assert_eq!(a["params"][0]["value"], half as f64);
    assert_eq!(b["params"][0]["value"], (names.len() - half) as f64);
    let web = modules.iter().find(|m| m["model"] == "Deployment").unwrap();
    assert_eq!(web["params"][0]["value"], 2.0);
    assert_eq!(web["params"][1]["value"], 10.0, "100m in units of 10m");
    assert_eq!(
        web["data"]["scheduling"]["tolerations"],
        "dedicated=gpu:NoSchedule"
    );
    assert_eq!(
        imported.patch["modules"][0]["data"]["sync"]["mirrorOnly"],
        true
    );
    // The NODEs as the hub hands them to a mirror-only sync.
    let desired: Vec<Option<DesiredObject>> = [a, b]
        .iter()
        .map(|m| {
            let selector = m["data"]["sync"]["poolSelector"].as_str().unwrap();
            let id = m["id"].as_u64().unwrap();
            Some(DesiredObject::node_pool(
                id,
                intern_pool_selector(selector).unwrap(),
            ))
        })
        .collect();
    let mut config = c.config.clone();
    config.mirror_only = true;
    let (mut hub, end) = queues(1024, desired.len());
    let thread = spawn(config, end).unwrap();
    let ids = [a["id"].as_u64().unwrap(), b["id"].as_u64().unwrap()];
    let expected = [half as u32, (names.len() - half) as u32];
    let mapped = c.block_on(async {
        hub.publish(&desired);
        let status = hub.status.clone();
        let counts = || ids.map(|id| status.real_pool(id).map_or(0, |p| p.nodes));
        until(async || {
            while hub.pop_observed().is_some() {}
            counts() == expected
        })
        .await;
        counts()
    });
    let stopped = thread.stop().unwrap();
    c.block_on(async {
        for n in &names {
            label(&nodes, n, None).await;
        }
    });
    assert_eq!(mapped, expected, "each NODE shows its pool's real nodes");
    assert_eq!(stopped.status.writes(), 0, "mirror-only writes nothing");
}
