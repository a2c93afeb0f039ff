//! Node heartbeats and the node lifecycle controller: a kubelet that stops posting status is
//! marked NotReady after the grace period, and Ready again when it comes back.

use super::events::EventKind;
use super::objects::{pool_channel, NONE};
use super::timers::TimerAction;
use super::World;

/// node-monitor-grace-period of this model, seconds (upstream's default is 40 s).
pub const NODE_MONITOR_GRACE_PERIOD: f64 = 15.0;

impl World {
    /// The node's kubelet goes silent (crashed, or the node lost its network): no more
    /// heartbeats, and its pods stand still. NotReady follows after the grace period.
    pub fn stop_kubelet(&mut self, node: u32) {
        let time = self.time;
        let Some(n) = self.nodes.get_mut(node) else {
            return;
        };
        if n.kubelet_silent {
            return;
        }
        n.kubelet_silent = true;
        n.last_heartbeat = time;
        let uid = n.meta.uid;
        self.schedule_timer(
            NODE_MONITOR_GRACE_PERIOD,
            node,
            uid,
            0,
            TimerAction::NodeHeartbeat,
        );
    }

    /// The node's kubelet posts status again: the node is Ready and its pods move on.
    pub fn start_kubelet(&mut self, node: u32) {
        let Some(n) = self.nodes.get_mut(node) else {
            return;
        };
        if !n.kubelet_silent {
            return;
        }
        n.kubelet_silent = false;
        let (uid, first) = (n.meta.uid, n.first_pod);
        if !n.ready {
            self.node_became_ready(node, uid);
        }
        let mut cur = first;
        while let Some(pod) = self.pods.get(cur) {
            let next = pod.node_next;
            self.resync_pod(cur);
            cur = next;
        }
    }

    /// Silences (bit set) or revives the kubelets of a pool's nodes: bit n is the nodes of
    /// poly channel n ([`pool_channel`]). Walks the pool only when the mask or the pool's
    /// nodes changed since the last call.
    pub fn set_pool_kubelets_down(&mut self, tag: u32, mask: u32) {
        let Some(pool) = self.pool(tag).copied() else {
            return;
        };
        if pool.kubelets_down == (mask, pool.generation) {
            return;
        }
        let len = pool.len as usize;
        let mut cur = pool.first;
        let mut position = 0;
        while cur != NONE {
            let next = self.next_pool_node(cur);
            let silent = self.nodes.get(cur).is_some_and(|n| n.kubelet_silent);
            let down = mask & (1 << pool_channel(position, len)) != 0;
            match (down, silent) {
                (true, false) => self.stop_kubelet(cur),
                (false, true) => self.start_kubelet(cur),
                _ => {}
            }
            position += 1;
            cur = next;
        }
        if let Some(p) = self.pools[tag as usize].as_mut() {
            p.kubelets_down = (mask, p.generation);
        }
    }

    /// The node lifecycle controller's check: a node silent for the grace period is NotReady
    /// (its not-ready taint keeps new pods off it).
    pub(super) fn check_heartbeat(&mut self, index: u32, uid: u64) {
        let Some(node) = self.nodes.get(index).copied() else {
            return;
        };
        let silent_for = self.time - node.last_heartbeat;
        if node.meta.uid != uid
            || !node.kubelet_silent
            || !node.ready
            || silent_for < NODE_MONITOR_GRACE_PERIOD - 1e-9
        {
            return;
        }
        let rv = self.write(EventKind::NodeNotReady, node.name(), None, 0);
        if let Some(n) = self.nodes.get_mut(index) {
            n.ready = false;
            n.meta.resource_version = rv;
        }
    }
}
