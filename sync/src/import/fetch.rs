//! The objects an import reads, listed from a live API server: nodes, Deployments, Jobs and,
//! where Kueue is served, ClusterQueues, LocalQueues, ResourceFlavors and
//! WorkloadPriorityClasses — the same kinds and JSON as `kubectl get ... -o json`.

use std::path::PathBuf;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, DynamicObject, ListParams};
use kube::Client;
use serde_json::Value;

use super::ImportOptions;
use crate::config::{ClusterSource, SyncConfig};
use crate::errors::{Failure, Request};
use crate::kueue::{KueueKind, KueueVersion, GROUP};
use crate::worker::{call, client_for};

fn text(f: Failure) -> String {
    f.text
}

/// Lists `api` (in `namespace`, or every namespace) as JSON objects of `kind`.
async fn list<K>(
    api: Api<K>,
    resource: &str,
    namespace: &str,
    params: &ListParams,
    config: &SyncConfig,
) -> Result<Vec<Value>, String>
where
    K: Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let req = Request {
        verb: "list",
        resource,
        namespace,
    };
    let items = call(req, config.request_timeout, api.list(params))
        .await
        .map_err(text)?;
    items
        .items
        .iter()
        .map(|o| serde_json::to_value(o).map_err(|e| e.to_string()))
        .collect()
}

async fn fetch_async(config: &SyncConfig, options: &ImportOptions) -> Result<Vec<Value>, String> {
    let client: Client = client_for(config).await.map_err(text)?;
    let ns = options.namespace.as_deref().unwrap_or_default();
    let scoped = || match options.namespace.as_deref() {
        Some(ns) => (
            Api::namespaced(client.clone(), ns),
            Api::namespaced(client.clone(), ns),
        ),
        None => (Api::all(client.clone()), Api::all(client.clone())),
    };
    let (deployments, jobs): (Api<Deployment>, Api<Job>) = scoped();
    let mut params = ListParams::default();
    if let Some(s) = options.selector.as_deref().filter(|s| !s.is_empty()) {
        params = params.labels(s);
    }
    let all = ListParams::default();
    let mut out = list(Api::<Node>::all(client.clone()), "nodes", "", &all, config).await?;
    out.extend(list(deployments, "deployments.apps", ns, &params, config).await?);
    out.extend(list(jobs, "jobs.batch", ns, &params, config).await?);
    let req = Request {
        verb: "get",
        resource: "/apis (discovery)",
        namespace: "",
    };
    let groups = call(req, config.request_timeout, client.list_api_groups())
        .await
        .map_err(text)?;
    let kueue = groups
        .groups
        .iter()
        .find(|g| g.name == GROUP)
        .and_then(|g| KueueVersion::preferred(g.versions.iter().map(|v| v.version.as_str())));
    if let Some(version) = kueue {
        for kind in KueueKind::WRITTEN {
            let ar = kind.api_resource(version);
            let api: Api<DynamicObject> = match (kind.namespaced(), options.namespace.as_deref()) {
                (true, Some(ns)) => Api::namespaced_with(client.clone(), ns, &ar),
                _ => Api::all_with(client.clone(), &ar),
            };
            let resource = kind.resource();
            for mut o in list(api, &resource, ns, &all, config).await? {
                o["apiVersion"] = version.api_version().into();
                o["kind"] = kind.kind().into();
                out.push(o);
            }
        }
    }
    Ok(out)
}

/// Lists the cluster of `kubeconfig` (else KUBECONFIG, else ~/.kube/config) and `context`
/// (else its current one), on a runtime of its own; blocks until done. The error names the
/// request that failed.
pub fn fetch(kubeconfig: Option<PathBuf>, options: &ImportOptions) -> Result<Vec<Value>, String> {
    let mut config = SyncConfig::new(ClusterSource::Kubeconfig {
        path: kubeconfig,
        context: options.context.clone(),
    });
    config.namespace = options
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime.block_on(fetch_async(&config, options))
}
