//! The world's scheduling loop: pop activeQ in PrioritySort order, try the nominated node
//! first, run the framework, bind or record the failure and run PostFilter (preemption).

use super::cycle::{PodInfo, Reservation};
use super::framework::{reserved_on, run_filters, CycleState, NodeSource, Removed};
use super::{BoundPod, Decision, Diagnosis, PreemptionOutcome, MAX_ATTEMPTS_PER_STEP};
use crate::world::events::EventKind;
use crate::world::objects::*;
use crate::world::World;

impl World {
    /// One scheduling round: requeue after cluster changes, then up to
    /// [`MAX_ATTEMPTS_PER_STEP`] cycles from activeQ.
    pub(in crate::world) fn schedule_pending(&mut self) {
        self.flush_queues();
        self.purge_reservations();
        if self.queue_is_empty() {
            return;
        }
        if self.topology_version != Some(self.node_set_version) {
            self.topology_version = Some(self.node_set_version);
            self.topology.rebuild(self.nodes.iter());
        }
        self.node_infos.sync(&mut self.nodes);
        for _ in 0..MAX_ATTEMPTS_PER_STEP {
            let Some((index, pod)) = self.pop_active() else {
                break;
            };
            self.schedule_one(index, pod);
        }
    }

    fn pod_info(&self, index: u32, pod: &Pod) -> PodInfo {
        PodInfo {
            claims: self.claim_fit(pod),
            cpu_m: pod.cpu_m,
            memory_mib: pod.memory_mib,
            mana: pod.mana,
            app: pod.owner,
            scheduling: pod.scheduling,
            index,
        }
    }

    /// Brings the app's per-domain counts up to date (rebuilt when one of its pods was bound,
    /// unbound or started terminating, or a zone changed, since they were last valid).
    pub(in crate::world) fn refresh_app_pods(&mut self, app: u32) {
        let revision = self.app_stamp(app);
        if self.app_pods.app() == app && self.app_pods.revision == revision {
            return;
        }
        if self.swap_in_cached_app_pods(app) {
            return;
        }
        self.app_pods.clear(app);
        let first = self
            .deployments
            .get(app as usize)
            .copied()
            .flatten()
            .map_or(NONE, |d| d.first_pod);
        let mut cur = first;
        while let Some(pod) = self.pods.get(cur) {
            if let Some(node) = self.nodes.get(pod.node) {
                self.app_pods.update(
                    pod.node,
                    node.zone,
                    pod.terminating,
                    pod.scheduling.anti_affinity,
                    true,
                );
            }
            cur = pod.owner_next;
        }
        self.app_pods.revision = revision;
    }

    fn schedule_one(&mut self, index: u32, pod: Pod) {
        let info = self.pod_info(index, &pod);
        self.refresh_app_pods(pod.owner);
        let pods = &self.pods;
        let bound = || {
            pods.iter()
                .filter(|(_, p)| p.node != NONE)
                .map(|(_, p)| BoundPod {
                    node: p.node,
                    terms: p.scheduling.terms,
                    terminating: p.terminating,
                })
        };
        self.framework.prepare_typed(
            &pod.scheduling,
            &self.topology.order,
            bound,
            &self.node_infos,
        );
        if let Some(node) = self.nodes.node(pod.nominated_node) {
            let state = CycleState::new(&info, &self.app_pods, &self.topology, &self.nodes);
            let removed = Removed {
                extra: reserved_on(pod.nominated_node, &info, &self.reservations),
                ..Removed::default()
            };
            if run_filters(
                pod.nominated_node,
                &node,
                &state,
                &self.app_pods,
                self.framework.typed(),
                removed,
            )
            .is_ok()
            {
                self.bind_scheduled(index, pod.nominated_node);
                return;
            }
        }
        let decision = self.framework.find_node(
            &self.node_infos,
            &self.topology,
            &info,
            &self.app_pods,
            &self.reservations,
            &mut self.rng,
        );
        match decision {
            Decision::Bind(node) => self.bind_scheduled(index, node),
            Decision::Unschedulable { nodes, reasons } => {
                let (preemption, nominated) = if self.framework.config.preemption {
                    let outcome = self.preempt(index, &info);
                    // Victims may have left their nodes: take the snapshot anew.
                    self.node_infos.sync(&mut self.nodes);
                    outcome
                } else {
                    (PreemptionOutcome::Disabled, None)
                };
                let diagnosis = Diagnosis {
                    nodes,
                    reasons,
                    has_claims: pod.claim.is_some(),
                    preemption,
                };
                let rv = self.write_failed_scheduling(pod.name(), diagnosis);
                self.stats.failed_attempts += 1;
                self.add_unschedulable(index, rv);
                if let Some(node) = nominated {
                    self.nominate(index, node);
                }
            }
        }
    }

    /// Binds (the bind keeps the app's counts current).
    fn bind_scheduled(&mut self, index: u32, node: u32) {
        self.clear_nomination(index);
        self.bind(index, node);
        self.node_infos.update(node, &self.nodes);
    }

    /// Sets status.nominatedNodeName and reserves the pod's requests there.
    fn nominate(&mut self, index: u32, node: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        self.clear_nomination(index);
        let node_name = self.nodes.get(node).map(Node::name);
        let rv = self.write(EventKind::PodNominated, pod.name(), node_name, 0);
        if let Some(p) = self.pods.get_mut(index) {
            p.nominated_node = node;
            p.meta.resource_version = rv;
        }
        if self.reservations.len() < self.reservations.capacity() {
            self.reservations.push(Reservation {
                node,
                pod: index,
                priority: pod.scheduling.priority,
                cpu_m: pod.cpu_m,
                memory_mib: pod.memory_mib,
                mana: pod.mana.amount,
            });
        }
    }

    /// Clears a pod's nominatedNodeName.
    pub(super) fn clear_nomination(&mut self, index: u32) {
        if let Some(p) = self.pods.get_mut(index) {
            p.nominated_node = NONE;
        }
        self.reservations.retain(|r| r.pod != index);
    }

    /// Drops reservations of pods that went away, bound or were nominated elsewhere.
    fn purge_reservations(&mut self) {
        let pods = &self.pods;
        self.reservations.retain(|r| {
            pods.get(r.pod)
                .is_some_and(|p| p.nominated_node == r.node && p.node == NONE && !p.terminating)
        });
    }
}
