//! Services and the EndpointSlice controller: a Service selects the pods of DEPLOYMENTs and
//! PODs (by their modules' tags, standing for label selectors); its endpoints are the selected
//! pods that are Ready and not terminating, oldest first. A change of endpoints is one write.

use super::events::EventKind;
use super::names::{ObjectKind, ObjectName};
use super::objects::*;
use super::World;

/// Most workloads one Service selects (one per poly channel of its SELECTOR input).
pub const MAX_SELECTED: usize = 16;
/// Most endpoints a Service lists (one per poly channel of its ENDPOINTS output).
pub const MAX_ENDPOINTS: usize = 16;

/// A SERVICE module's desired state: the tags of the workloads it selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServiceSpec {
    /// Selected DEPLOYMENT or POD tags, in channel order (0 = empty channel).
    pub selector: [u32; MAX_SELECTED],
}

/// A Service with its endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// Metadata.
    pub meta: ObjectMeta,
    /// The desired state.
    pub spec: ServiceSpec,
    /// Pod indices of the Ready endpoints.
    pub endpoints: [u32; MAX_ENDPOINTS],
    /// uids of the Ready endpoints (what the EndpointSlice lists).
    pub endpoint_uids: [u64; MAX_ENDPOINTS],
    /// Number of endpoints.
    pub len: u32,
    /// Times the endpoints changed.
    pub updates: u32,
}

impl Service {
    /// The Service's name.
    pub fn name(owner: u32) -> ObjectName {
        ObjectName {
            kind: ObjectKind::Service,
            owner,
            revision: 0,
            id: 0,
        }
    }

    /// The name of its EndpointSlice.
    pub fn slice_name(owner: u32) -> ObjectName {
        ObjectName {
            kind: ObjectKind::EndpointSlice,
            ..Service::name(owner)
        }
    }

    /// Pod indices of the endpoints.
    pub fn endpoints(&self) -> &[u32] {
        &self.endpoints[..self.len as usize]
    }
}

/// An endpoint takes traffic only while Ready and not terminating (EndpointSlice `ready`).
fn serves(pod: &Pod) -> bool {
    pod.ready && !pod.terminating
}

impl World {
    /// Creates or updates the Service a SERVICE module stands for.
    pub fn apply_service(&mut self, tag: u32, spec: ServiceSpec) {
        let Some(entry) = self.services.get(tag as usize).copied() else {
            return;
        };
        match entry {
            Some(s) if s.spec == spec => {}
            Some(_) => {
                let rv = self.write(EventKind::ServiceUpdated, Service::name(tag), None, 0);
                if let Some(s) = self.services[tag as usize].as_mut() {
                    s.spec = spec;
                    s.meta.resource_version = rv;
                }
            }
            None => {
                let meta = self.new_meta();
                self.services[tag as usize] = Some(Service {
                    meta,
                    spec,
                    endpoints: [NONE; MAX_ENDPOINTS],
                    endpoint_uids: [0; MAX_ENDPOINTS],
                    len: 0,
                    updates: 0,
                });
                super::controllers::insert_sorted(&mut self.service_tags, tag);
                self.write(EventKind::ServiceCreated, Service::name(tag), None, 0);
            }
        }
    }

    /// Deletes a Service (its EndpointSlice goes with it).
    pub fn delete_service(&mut self, tag: u32) {
        if let Some(Some(_)) = self.services.get_mut(tag as usize).map(Option::take) {
            super::controllers::remove_sorted(&mut self.service_tags, tag);
            self.write(EventKind::ServiceDeleted, Service::name(tag), None, 0);
        }
    }

    /// The Service a SERVICE module with this tag stands for.
    pub fn service(&self, tag: u32) -> Option<&Service> {
        self.services.get(tag as usize)?.as_ref()
    }

    /// The EndpointSlice controller: recomputes every Service's endpoints.
    pub(super) fn reconcile_services(&mut self) {
        for i in 0..self.service_tags.len() {
            let tag = self.service_tags[i];
            self.reconcile_endpoints(tag);
        }
    }

    fn reconcile_endpoints(&mut self, tag: u32) {
        let Some(service) = self.services[tag as usize] else {
            return;
        };
        let mut endpoints = [NONE; MAX_ENDPOINTS];
        let mut uids = [0u64; MAX_ENDPOINTS];
        let mut len = 0usize;
        // Adds a serving pod; false once the slice is full.
        let mut add = |index: u32, pod: &Pod| {
            if len < MAX_ENDPOINTS && serves(pod) && !uids[..len].contains(&pod.meta.uid) {
                endpoints[len] = index;
                uids[len] = pod.meta.uid;
                len += 1;
            }
            len < MAX_ENDPOINTS
        };
        for &selected in &service.spec.selector {
            if selected == 0 {
                continue;
            }
            if self.deployment(selected).is_some() {
                let mut cur = self.deployment(selected).map_or(NONE, |d| d.first_pod);
                // The slice is full at MAX_ENDPOINTS: the walk ends there, whatever the size.
                while let Some(pod) = self.pods.get(cur) {
                    if !add(cur, pod) {
                        break;
                    }
                    cur = pod.owner_next;
                }
            } else if let Some(Some(record)) = self.bare_pods.get(selected as usize) {
                if let Some(pod) = self.pods.get(record.pod) {
                    if pod.meta.uid == record.uid {
                        add(record.pod, pod);
                    }
                }
            }
        }
        if uids[..len] == service.endpoint_uids[..service.len as usize] {
            // Same pods; indices cannot differ for the same uids.
            return;
        }
        let rv = self.write(
            EventKind::EndpointsUpdated,
            Service::slice_name(tag),
            None,
            len as i64,
        );
        if let Some(s) = self.services[tag as usize].as_mut() {
            s.endpoints = endpoints;
            s.endpoint_uids = uids;
            s.len = len as u32;
            s.updates = s.updates.wrapping_add(1);
            s.meta.resource_version = rv;
        }
    }
}
