//! The sync session's Kueue writes: a CLUSTERQUEUE's ClusterQueue and LocalQueue, the
//! ResourceFlavors they name and the forge's WorkloadPriorityClasses, by server-side apply
//! through kube's dynamic API, under the label guard.

use super::{call, guarded, Failure, Part, Refusal, Session};
use crate::errors::Request;
use crate::kueue::{self, KueueKind, KueueVersion};
use crate::labels::{apply_params, guard, MANAGED_SELECTOR};
use crate::manifest::queue_name;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch};
use kube::Client;
use kuberack_core::live::{Change, DesiredObject, SyncState};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// The dynamic API of `kind`, in `namespace` when the kind is namespaced.
fn api(
    client: Client,
    version: KueueVersion,
    kind: KueueKind,
    namespace: &str,
) -> Api<DynamicObject> {
    let resource = kind.api_resource(version);
    if kind.namespaced() {
        Api::namespaced_with(client, namespace, &resource)
    } else {
        Api::all_with(client, &resource)
    }
}

fn request<'a>(verb: &'a str, resource: &'a str, kind: KueueKind, ns: &'a str) -> Request<'a> {
    Request {
        verb,
        resource,
        namespace: if kind.namespaced() { ns } else { "" },
    }
}

impl Session<'_> {
    /// Writes a CLUSTERQUEUE change: where Kueue was found, its ClusterQueue and LocalQueue
    /// (and first the flavors and priority classes they need) or their deletion; where it
    /// was not, nothing, and the light says why.
    pub(super) async fn write_queue(&mut self, change: Change) -> Result<u32, Refusal> {
        let Some(version) = self.kueue else {
            let name = match change {
                Change::Apply(obj) => queue_name(obj.key.module),
                Change::Remove(_) => return Ok(0),
            };
            self.kueue_missing(&format!("ClusterQueue {name} is not written"));
            return Ok(0);
        };
        match change {
            Change::Apply(obj) => self.apply_queue(version, &obj).await,
            Change::Remove(key) => {
                let name = queue_name(key.module);
                let ns = self.config.namespace.clone();
                let mut written = self.delete(KueueKind::LocalQueue, &ns, &name).await?;
                written += self.delete(KueueKind::ClusterQueue, "", &name).await?;
                Ok(written)
            }
        }
    }

    /// Shows once per session that Kueue was not found, and what that means for `what`.
    pub(super) fn kueue_missing(&mut self, what: &str) {
        if self.health.contains_key(&Part::Kueue) {
            return;
        }
        let text = format!(
            "Kueue ({}, v1beta2 or v1beta1) was not found by discovery: {what}; queued Jobs \
             run at once, without queueing",
            kueue::GROUP,
        );
        let failure = Failure {
            state: SyncState::Degraded,
            reconnect: false,
            text,
            resource: kueue::GROUP.to_owned(),
        };
        self.set_health(Part::Kueue, Err(failure));
    }

    async fn apply_queue(
        &mut self,
        version: KueueVersion,
        obj: &DesiredObject,
    ) -> Result<u32, Refusal> {
        let mut written = 0;
        for flavor in kueue::flavors(&obj.queue) {
            let name = kueue::flavor_name(flavor);
            if self.kueue_shared.insert(name.to_owned()) {
                written += self
                    .apply_shared(
                        KueueKind::ResourceFlavor,
                        name,
                        kueue::resource_flavor(version, flavor),
                    )
                    .await?;
            }
        }
        for class in kueue::workload_priority_classes(version) {
            let name = class["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if self.kueue_shared.insert(format!("class/{name}")) {
                written += self
                    .apply_shared(KueueKind::WorkloadPriorityClass, &name, class)
                    .await?;
            }
        }
        let name = queue_name(obj.key.module);
        let ns = self.config.namespace.clone();
        written += self
            .apply(
                KueueKind::ClusterQueue,
                "",
                &name,
                kueue::cluster_queue(version, obj),
            )
            .await?;
        written += self
            .apply(
                KueueKind::LocalQueue,
                &ns,
                &name,
                kueue::local_queue(version, &ns, obj),
            )
            .await?;
        Ok(written)
    }

    /// Applies an object other clusters' queues may share (a ResourceFlavor, a priority
    /// class): one of that name without KubeRack's label is used as it is, not modified.
    async fn apply_shared(
        &mut self,
        kind: KueueKind,
        name: &str,
        body: Value,
    ) -> Result<u32, Refusal> {
        match self.apply(kind, "", name, body).await {
            Err(Refusal::Guard(f)) => {
                eprintln!("kuberack-sync: {}; using it as it is", f.text);
                Ok(0)
            }
            other => other,
        }
    }

    /// Server-side applies `body` as `kind/name` unless an object of that name exists
    /// without KubeRack's label.
    async fn apply(
        &self,
        kind: KueueKind,
        ns: &str,
        name: &str,
        body: Value,
    ) -> Result<u32, Refusal> {
        let t = self.config.request_timeout;
        let resource = kind.resource();
        let version = self.kueue.unwrap_or(KueueVersion::V1beta1);
        let api = api(self.client.clone(), version, kind, ns);
        let existing = call(request("get", &resource, kind, ns), t, api.get_opt(name))
            .await
            .map_err(Refusal::Failed)?;
        if let Some(o) = existing {
            guarded(kind.kind(), name, o.metadata.labels.as_ref())?;
        }
        let params = apply_params();
        let written = call(
            request("patch", &resource, kind, ns),
            t,
            api.patch(name, &params, &Patch::Apply(body)),
        )
        .await
        .map_err(Refusal::Failed)?;
        self.wrote(&resource, name, written.metadata.generation);
        Ok(1)
    }

    /// Deletes `kind/name` if it exists and carries KubeRack's label.
    async fn delete(&self, kind: KueueKind, ns: &str, name: &str) -> Result<u32, Refusal> {
        let t = self.config.request_timeout;
        let resource = kind.resource();
        let version = self.kueue.unwrap_or(KueueVersion::V1beta1);
        let api = api(self.client.clone(), version, kind, ns);
        let existing = call(request("get", &resource, kind, ns), t, api.get_opt(name))
            .await
            .map_err(Refusal::Failed)?;
        let Some(o) = existing else { return Ok(0) };
        guarded(kind.kind(), name, o.metadata.labels.as_ref())?;
        call(
            request("delete", &resource, kind, ns),
            t,
            api.delete(name, &DeleteParams::background()),
        )
        .await
        .map_err(Refusal::Failed)?;
        Ok(1)
    }
}

/// On toggle-off with delete: every Kueue object KubeRack wrote (labelled), LocalQueues in
/// the namespace first.
pub(super) async fn delete_managed_kueue(
    client: Client,
    version: KueueVersion,
    namespace: &str,
    timeout: Duration,
) -> Result<(), Failure> {
    for kind in KueueKind::WRITTEN {
        let resource = kind.resource();
        let api = api(client.clone(), version, kind, namespace);
        let list = call(
            request("list", &resource, kind, namespace),
            timeout,
            api.list(&ListParams::default().labels(MANAGED_SELECTOR)),
        )
        .await?;
        for o in list.items {
            let name = o.metadata.name.clone().unwrap_or_default();
            let empty = BTreeMap::new();
            let labels = o.metadata.labels.as_ref().unwrap_or(&empty);
            if guard(kind.kind(), &name, Some(labels)).is_ok() {
                call(
                    request("delete", &resource, kind, namespace),
                    timeout,
                    api.delete(&name, &DeleteParams::background()),
                )
                .await?;
            }
        }
    }
    Ok(())
}
