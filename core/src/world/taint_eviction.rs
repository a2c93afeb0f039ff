//! Node labels and taints from the pool spec, and the taint manager: a NoExecute taint
//! deletes (gracefully) every pod on the node that does not tolerate it. tolerationSeconds is
//! not modelled: eviction is immediate.

use super::constraints::TaintEffect;
use super::events::EventKind;
use super::objects::*;
use super::World;

impl World {
    /// Applies the pool's zone label, taint and `energy` label/taint to a node.
    pub(super) fn update_node_labels_and_taints(&mut self, index: u32, spec: &NodePoolSpec) {
        let Some(node) = self.nodes.get(index).copied() else {
            return;
        };
        let essence_changed = node.mana.essence != spec.mana.essence;
        if node.zone == spec.zone && node.taint == spec.taint && !essence_changed {
            return;
        }
        let rv = self.write(EventKind::NodeUpdated, node.name(), None, 0);
        if let Some(n) = self.nodes.get_mut(index) {
            n.zone = spec.zone;
            n.taint = spec.taint;
            if essence_changed {
                // The device plugin re-registers its resource (pods bound before keep
                // running, as the kubelet admits pods only when they start).
                n.mana = spec.mana;
            }
            n.meta.resource_version = rv;
        }
        // A relaxed taint or a new label may let waiting pods fit.
        self.queue.cluster_changed();
        if spec.taint == TaintEffect::NoExecute {
            self.evict_untolerating(index);
        }
    }

    /// The taint manager's deletions on a NoExecute node.
    fn evict_untolerating(&mut self, index: u32) {
        let Some(node) = self.nodes.get(index).copied() else {
            return;
        };
        let mut cur = node.first_pod;
        while let Some(pod) = self.pods.get(cur).copied() {
            let next = pod.node_next;
            let tolerates = super::scheduler::tolerates_no_execute(&node, &pod.scheduling);
            if !tolerates && !pod.terminating {
                self.write(
                    EventKind::TaintManagerEviction,
                    pod.name(),
                    Some(node.name()),
                    0,
                );
                self.stats.taint_evictions += 1;
                self.begin_termination(cur);
            }
            cur = next;
        }
    }
}
