//! Node labels and taints from the pool spec, and the taint manager: a NoExecute taint
//! deletes (gracefully) every pod on the node that does not tolerate it, at once, and a pod
//! that tolerates it for tolerationSeconds once that time has passed (the shortest of the
//! tolerations it uses), also when it is bound to a node already tainted. As upstream's
//! taint-eviction controller, a scheduled eviction keeps its time while taints change, and is
//! cancelled when the taint goes (a taint added again schedules it afresh).

use super::events::EventKind;
use super::objects::*;
use super::terms::matching::NoExecute;
use super::timers::TimerAction;
use super::World;

impl World {
    /// Applies the pool's zone label, taint, own labels and taints and `energy` label/taint
    /// to a node.
    pub(super) fn update_node_labels_and_taints(&mut self, index: u32, spec: &NodePoolSpec) {
        let Some(node) = self.nodes.get(index).copied() else {
            return;
        };
        let essence_changed = node.mana.essence != spec.mana.essence;
        if node.zone == spec.zone
            && node.taint == spec.taint
            && node.terms == spec.terms
            && !essence_changed
        {
            return;
        }
        let rv = self.write(EventKind::NodeUpdated, node.name(), None, 0);
        if node.zone != spec.zone {
            self.zone_version = self.zone_version.wrapping_add(1);
            self.node_set_version = self.node_set_version.wrapping_add(1);
        }
        if let Some(n) = self.nodes.get_mut(index) {
            n.zone = spec.zone;
            n.taint = spec.taint;
            n.terms = spec.terms;
            if essence_changed {
                // The device plugin re-registers its resource (pods bound before keep
                // running, as the kubelet admits pods only when they start).
                n.mana = spec.mana;
            }
            n.meta.resource_version = rv;
        }
        // A relaxed taint or a new label may let waiting pods fit.
        self.queue.cluster_changed();
        self.evict_untolerating(index);
    }

    /// The taint manager's deletions on a node with NoExecute taints.
    fn evict_untolerating(&mut self, index: u32) {
        let Some(node) = self.nodes.get(index).copied() else {
            return;
        };
        let mut cur = node.first_pod;
        while let Some(pod) = self.pods.get(cur).copied() {
            let next = pod.node_next;
            self.taint_manager_check(cur);
            cur = next;
        }
    }

    /// The taint manager on one bound pod, as upstream's processPodOnNode: evicts it now,
    /// schedules its eviction after its tolerationSeconds (an eviction already scheduled
    /// keeps its time), or cancels a scheduled one when no NoExecute taint is left that it
    /// tolerates only for a while.
    pub(super) fn taint_manager_check(&mut self, index: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        let Some(node) = self.nodes.get(pod.node).copied() else {
            return;
        };
        if pod.terminating {
            return;
        }
        match super::scheduler::no_execute(&node, &pod.scheduling) {
            NoExecute::Stay => self.cancel_toleration_eviction(index),
            NoExecute::EvictAfter(_) if pod.toleration_armed => {}
            NoExecute::EvictAfter(seconds) => {
                let seq = pod.toleration_seq.wrapping_add(1);
                if let Some(p) = self.pods.get_mut(index) {
                    p.toleration_armed = true;
                    p.toleration_seq = seq;
                }
                self.schedule_timer(
                    f64::from(seconds),
                    index,
                    pod.meta.uid,
                    u32::from(seq),
                    TimerAction::TolerationExpired,
                )
            }
            NoExecute::EvictNow => {
                self.cancel_toleration_eviction(index);
                self.taint_evict(index, &node)
            }
        }
    }

    /// Cancels a pod's scheduled eviction (its timer goes stale).
    fn cancel_toleration_eviction(&mut self, index: u32) {
        if let Some(p) = self.pods.get_mut(index) {
            if p.toleration_armed {
                p.toleration_armed = false;
                p.toleration_seq = p.toleration_seq.wrapping_add(1);
            }
        }
    }

    /// A pod's scheduled eviction is due: evicted unless it was cancelled since.
    pub(super) fn toleration_expired(&mut self, index: u32, uid: u64, seq: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        let Some(node) = self.nodes.get(pod.node).copied() else {
            return;
        };
        if pod.meta.uid != uid
            || pod.terminating
            || !pod.toleration_armed
            || u32::from(pod.toleration_seq) != seq
        {
            return;
        }
        self.cancel_toleration_eviction(index);
        self.taint_evict(index, &node);
    }

    fn taint_evict(&mut self, index: u32, node: &Node) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        self.write(
            EventKind::TaintManagerEviction,
            pod.name(),
            Some(node.name()),
            0,
        );
        self.stats.taint_evictions += 1;
        self.begin_termination(index);
    }
}
