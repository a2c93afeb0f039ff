//! The sync session's watch of what it owns (its labelled Deployments and Jobs in the
//! namespace, and where Kueue was found its ClusterQueues, LocalQueues, ResourceFlavors and
//! WorkloadPriorityClasses): an object changed or deleted by someone else is written again,
//! coalesced and capped like any write.

use super::{watch_failure, Desired, Part, Session};
use crate::drift::{deployment_drifted, job_finished, kueue_drifted};
use crate::errors::Request;
use crate::kueue::{self, KueueKind};
use crate::labels::MANAGED_SELECTOR;
use crate::mirror::module_of;
use futures::stream::BoxStream;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::{watcher, WatchStreamExt};
use kuberack_core::forge::ESSENCES;
use kuberack_core::live::{Change, DesiredObject, DesiredQueue, ObjectKind};
use serde_json::Value;

/// What kind of owned object a watch event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Owned {
    Deployment,
    Job,
    Kueue(KueueKind),
}

impl Owned {
    fn resource(self) -> String {
        match self {
            Owned::Deployment => "deployments.apps".to_owned(),
            Owned::Job => "jobs.batch".to_owned(),
            Owned::Kueue(kind) => kind.resource(),
        }
    }
}

type Event = Result<watcher::Event<DynamicObject>, watcher::Error>;

/// The owned objects' watch events, every kind merged.
pub(super) type OwnedEvents = BoxStream<'static, (Owned, Event)>;

impl Session<'_> {
    /// Watches of everything the sync owns (none in mirror-only mode).
    pub(super) fn owned_events(&self) -> OwnedEvents {
        if self.config.mirror_only {
            return futures::stream::pending().boxed();
        }
        let ns = &self.config.namespace;
        let mut watched = vec![
            (Owned::Deployment, ApiResource::erase::<Deployment>(&())),
            (Owned::Job, ApiResource::erase::<Job>(&())),
        ];
        if let Some(version) = self.kueue {
            for kind in KueueKind::WRITTEN {
                watched.push((Owned::Kueue(kind), kind.api_resource(version)));
            }
        }
        let streams = watched.into_iter().map(|(owned, resource)| {
            let namespaced = !matches!(owned, Owned::Kueue(k) if !k.namespaced());
            let api: Api<DynamicObject> = if namespaced {
                Api::namespaced_with(self.client.clone(), ns, &resource)
            } else {
                Api::all_with(self.client.clone(), &resource)
            };
            let config = watcher::Config::default().labels(MANAGED_SELECTOR);
            watcher(api, config)
                .default_backoff()
                .map(move |ev| (owned, ev))
                .boxed()
        });
        futures::stream::select_all(streams).boxed()
    }

    /// An owned object changed or was deleted: if it no longer holds what the sync wrote
    /// (or, a Job, was deleted unfinished while the simulation still has it), writes it again.
    pub(super) fn on_owned(&mut self, state: &mut Desired, owned: Owned, ev: Event) {
        let ns = self.config.namespace.clone();
        let resource = owned.resource();
        let req = Request {
            verb: "watch",
            resource: &resource,
            namespace: &ns,
        };
        let (object, deleted) = match ev {
            Err(e) => return self.set_health(Part::Owned, Err(watch_failure(req, &e))),
            Ok(watcher::Event::InitApply(o) | watcher::Event::Apply(o)) => (o, false),
            Ok(watcher::Event::Delete(o)) => (o, true),
            Ok(watcher::Event::Init | watcher::Event::InitDone) => return,
        };
        self.set_health(Part::Owned, Ok(()));
        let name = object.metadata.name.clone().unwrap_or_default();
        let module = object
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(crate::labels::MODULE_KEY))
            .and_then(|tag| module_of(tag))
            .unwrap_or(0);
        // An event from before the sync's last write, or of that write, is no drift.
        if !deleted && !self.changed_since_written(&resource, &name, object.metadata.generation) {
            return;
        }
        let json = serde_json::to_value(&object).unwrap_or_default();
        let live = (!deleted).then_some(&json);
        let corrected = match owned {
            Owned::Deployment => {
                let key = DesiredObject::deployment(module, 0, 0, 0).key;
                match state.coalescer.settled(&key) {
                    Some(Change::Apply(obj)) if deployment_drifted(live, obj.replicas) => {
                        state.coalescer.reassert(&key)
                    }
                    _ => false,
                }
            }
            Owned::Job => match state.jobs.get(&name) {
                Some(obj) if deleted && !job_finished(&json) => {
                    state.coalescer.offer(Change::Apply(*obj));
                    true
                }
                _ => false,
            },
            Owned::Kueue(kind) => self.kueue_drift(state, kind, &name, module, live),
        };
        if corrected {
            eprintln!("kuberack-sync: {resource} {name} drifted: writing it again");
            self.status.count_drift_correction();
        }
    }

    /// A Kueue object's drift: a queue's own objects are written again from its last apply;
    /// a shared flavor or priority class, by writing again every queue (which rewrites the
    /// shared objects it needs first).
    fn kueue_drift(
        &mut self,
        state: &mut Desired,
        kind: KueueKind,
        name: &str,
        module: u64,
        live: Option<&Value>,
    ) -> bool {
        let Some(version) = self.kueue else {
            return false;
        };
        let queue_key = DesiredObject::cluster_queue(module, 0, 0, DesiredQueue::default()).key;
        let applied = match kind {
            KueueKind::ClusterQueue | KueueKind::LocalQueue => {
                let Some(Change::Apply(obj)) = state.coalescer.settled(&queue_key) else {
                    return false;
                };
                if kind == KueueKind::ClusterQueue {
                    kueue::cluster_queue(version, &obj)
                } else {
                    kueue::local_queue(version, &self.config.namespace, &obj)
                }
            }
            KueueKind::ResourceFlavor => {
                let flavor = ESSENCES.iter().copied().find(|e| e.name() == name);
                kueue::resource_flavor(version, flavor)
            }
            KueueKind::WorkloadPriorityClass => {
                let classes = kueue::workload_priority_classes(version);
                match classes.into_iter().find(|c| c["metadata"]["name"] == name) {
                    Some(c) => c,
                    None => return false,
                }
            }
            KueueKind::Workload => return false,
        };
        if !kueue_drifted(live, &applied) {
            return false;
        }
        match kind {
            KueueKind::ClusterQueue | KueueKind::LocalQueue => state.coalescer.reassert(&queue_key),
            _ => {
                let shared = if kind == KueueKind::ResourceFlavor {
                    name.to_owned()
                } else {
                    format!("class/{name}")
                };
                if !self.kueue_shared.remove(&shared) {
                    return false;
                }
                let queues: Vec<_> = state
                    .coalescer
                    .applied_keys()
                    .filter(|k| k.kind == ObjectKind::ClusterQueue)
                    .copied()
                    .collect();
                let mut any = false;
                for key in queues {
                    any |= state.coalescer.reassert(&key);
                }
                any
            }
        }
    }
}
