//! The sync session's watch of Kueue Workloads in the namespace (only where Kueue was
//! found): their transitions reach the hub as the world events the simulated Kueue fires,
//! with the JOB (or ENCHANTMENT) and CLUSTERQUEUE they belong to. What a session finds on
//! its first list is learnt silently; transitions from then on are heard.

use super::{watch_failure, Part, Session};
use crate::errors::Request;
use crate::kueue::KueueKind;
use crate::workloads::{workload_transitions, WorkloadFacts};
use futures::stream::BoxStream;
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::{watcher, WatchStreamExt};
use kuberack_core::live::{MirrorKind, Observed, SyncEnd};
use std::collections::HashSet;

/// A watch's events.
pub(super) type Events = BoxStream<'static, Result<watcher::Event<DynamicObject>, watcher::Error>>;

impl Session<'_> {
    /// The Workload watch, or a stream that never yields where Kueue was not found.
    pub(super) fn workload_events(&self) -> Events {
        let Some(version) = self.kueue else {
            return futures::stream::pending().boxed();
        };
        let resource = KueueKind::Workload.api_resource(version);
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &self.config.namespace, &resource);
        watcher(api, watcher::Config::default())
            .default_backoff()
            .boxed()
    }

    pub(super) fn on_workload(
        &mut self,
        end: &mut SyncEnd,
        ev: Result<watcher::Event<DynamicObject>, watcher::Error>,
    ) {
        let ns = self.config.namespace.clone();
        let resource = KueueKind::Workload.resource();
        let req = Request {
            verb: "watch",
            resource: &resource,
            namespace: &ns,
        };
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => return self.set_health(Part::Workloads, Err(watch_failure(req, &e))),
        };
        self.set_health(Part::Workloads, Ok(()));
        let mut emit = |name: &str, old: Option<&WorkloadFacts>, new: Option<&WorkloadFacts>| {
            let Some(facts) = new.or(old) else { return };
            let (module, queue) = (facts.module, facts.queue);
            workload_transitions(old, new, |kind| {
                end.push_observed(Observed {
                    queue,
                    ..Observed::of(MirrorKind::World(kind), module).named(name)
                })
            });
        };
        let facts_of = |wl: &DynamicObject| {
            let json = serde_json::to_value(wl).unwrap_or_default();
            (
                wl.metadata.name.clone().unwrap_or_default(),
                WorkloadFacts::of(&json),
            )
        };
        match ev {
            watcher::Event::Init => self.workloads_relisted = Some(HashSet::new()),
            watcher::Event::InitApply(wl) | watcher::Event::Apply(wl) => {
                let (name, facts) = facts_of(&wl);
                // The session's first list only learns what is there: Workloads admitted
                // before sync started (or while it reconnected) fire nothing.
                if self.workloads_listed {
                    emit(&name, self.workloads.get(&name), Some(&facts));
                }
                if let Some(seen) = &mut self.workloads_relisted {
                    seen.insert(name.clone());
                }
                self.workloads.insert(name, facts);
            }
            watcher::Event::Delete(wl) => {
                let (name, _) = facts_of(&wl);
                if let Some(old) = self.workloads.remove(&name) {
                    emit(&name, Some(&old), None);
                }
            }
            watcher::Event::InitDone => {
                self.workloads_listed = true;
                if let Some(seen) = self.workloads_relisted.take() {
                    self.workloads.retain(|name, old| {
                        let keep = seen.contains(name);
                        if !keep {
                            emit(name, Some(old), None);
                        }
                        keep
                    });
                }
            }
        }
    }
}
