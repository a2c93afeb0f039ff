//! The sync session's watch of Kueue Workloads in the namespace (only where Kueue was
//! found): their transitions reach the hub as the world events the simulated Kueue fires,
//! with the JOB (or ENCHANTMENT) and CLUSTERQUEUE they belong to (through the mirror
//! state). What a session finds on its first list is learnt silently; transitions from then
//! on are heard.

use super::{watch_failure, Part, Session};
use crate::errors::Request;
use crate::kueue::KueueKind;
use crate::mirror_state::Seen;
use crate::trace::TraceKind;
use futures::stream::BoxStream;
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::{watcher, WatchStreamExt};
use kuberack_core::live::SyncEnd;

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
        match ev {
            watcher::Event::Init => self.mirror.relist_begin(TraceKind::Workload),
            watcher::Event::InitApply(wl) | watcher::Event::Apply(wl) => {
                let json = serde_json::to_value(&wl).unwrap_or_default();
                self.mirror.apply(end, Seen::Workload(&json));
            }
            watcher::Event::Delete(wl) => {
                let name = wl.metadata.name.clone().unwrap_or_default();
                self.mirror.delete(end, TraceKind::Workload, &name);
            }
            watcher::Event::InitDone => self.mirror.relist_done(end, TraceKind::Workload),
        }
    }
}
