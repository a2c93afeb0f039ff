//! Node labels and taints from the pool spec, and the taint manager: a NoExecute taint
//! deletes (gracefully) every pod on the node that does not tolerate it, at once, and a pod
//! that tolerates it for tolerationSeconds once that time has passed (the shortest of the
//! tolerations it uses), also when it is bound to a node already tainted.

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

    /// The taint manager on one bound pod: evicts it now, or schedules its eviction after
    /// its tolerationSeconds.
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
            NoExecute::Stay => {}
            NoExecute::EvictAfter(seconds) => self.schedule_timer(
                f64::from(seconds),
                index,
                pod.meta.uid,
                0,
                TimerAction::TolerationExpired,
            ),
            NoExecute::EvictNow => self.taint_evict(index, &node),
        }
    }

    /// A pod's tolerationSeconds ran out: evicted if a NoExecute taint it tolerates only for
    /// a while is still on its node.
    pub(super) fn toleration_expired(&mut self, index: u32, uid: u64) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        let Some(node) = self.nodes.get(pod.node).copied() else {
            return;
        };
        if pod.meta.uid != uid || pod.terminating {
            return;
        }
        if super::scheduler::no_execute(&node, &pod.scheduling) != NoExecute::Stay {
            self.taint_evict(index, &node);
        }
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
