//! The kubelets: node registration, the pod lifecycle on a node, graceful termination,
//! eviction and removal of pod objects.

use super::events::EventKind;
use super::objects::*;
use super::timers::{Timer, TimerAction};
use super::World;

/// Median watch latency before a kubelet sees a bound pod, seconds.
const KUBELET_SYNC_MEDIAN: f64 = 0.02;
/// Median image pull plus container start, seconds.
pub const CONTAINER_START_MEDIAN: f64 = 1.2;
/// Median time from container start to a passing readiness probe, seconds.
pub const READINESS_MEDIAN: f64 = 0.4;
/// Median time containers take to exit after SIGTERM, seconds.
pub const SHUTDOWN_MEDIAN: f64 = 0.5;
/// terminationGracePeriodSeconds (the default): SIGKILL after this.
pub const TERMINATION_GRACE_PERIOD: f64 = 30.0;

impl World {
    pub(super) fn node_became_ready(&mut self, index: u32, uid: u64) {
        let Some(node) = self.nodes.get(index).copied() else {
            return;
        };
        if node.meta.uid != uid || node.ready {
            return;
        }
        let rv = self.write(EventKind::NodeReady, node.name(), None, 0);
        if let Some(n) = self.nodes.get_mut(index) {
            n.ready = true;
            n.meta.resource_version = rv;
        }
        self.queue.cluster_changed();
    }

    /// Binds a pod to a node (the scheduler's Bind) and hands it to the node's kubelet.
    pub(super) fn bind(&mut self, index: u32, node_index: u32) {
        let (Some(pod), Some(node)) = (
            self.pods.get(index).copied(),
            self.nodes.get(node_index).copied(),
        ) else {
            return;
        };
        let rv = self.write(EventKind::PodScheduled, pod.name(), Some(node.name()), 0);
        if let Some(n) = self.nodes.get_mut(node_index) {
            n.requested_cpu_m += pod.cpu_m;
            n.requested_memory_mib += pod.memory_mib;
            n.pod_count += 1;
            if n.first_pod == NONE {
                n.first_pod = index;
            }
            n.last_pod = index;
        }
        if let Some(prev) = self.pods.get_mut(node.last_pod) {
            prev.node_next = index;
        }
        self.requested_cpu_m += u64::from(pod.cpu_m);
        self.pending = self.pending.saturating_sub(1);
        self.stats.pods_scheduled += 1;
        let seq = pod.timer_seq + 1;
        if let Some(p) = self.pods.get_mut(index) {
            p.node = node_index;
            p.node_prev = node.last_pod;
            p.node_next = NONE;
            p.state = PodState::Bound;
            p.queue = QueueState::None;
            p.meta.resource_version = rv;
            p.timer_seq = seq;
        }
        let delay = self.rng.lognormal(KUBELET_SYNC_MEDIAN, 0.5);
        self.schedule_timer(delay, index, pod.meta.uid, seq, TimerAction::KubeletSync);
    }

    fn unbind(&mut self, index: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        let Some(node) = self.nodes.get_mut(pod.node) else {
            return;
        };
        node.requested_cpu_m -= pod.cpu_m;
        node.requested_memory_mib -= pod.memory_mib;
        node.pod_count -= 1;
        if node.first_pod == index {
            node.first_pod = pod.node_next;
        }
        if node.last_pod == index {
            node.last_pod = pod.node_prev;
        }
        if let Some(prev) = self.pods.get_mut(pod.node_prev) {
            prev.node_next = pod.node_next;
        }
        if let Some(next) = self.pods.get_mut(pod.node_next) {
            next.node_prev = pod.node_prev;
        }
        self.requested_cpu_m -= u64::from(pod.cpu_m);
        if let Some(p) = self.pods.get_mut(index) {
            p.node = NONE;
            p.node_prev = NONE;
            p.node_next = NONE;
        }
        // Freed resources may make unschedulable pods fit.
        self.queue.cluster_changed();
    }

    pub(super) fn kubelet_timer(&mut self, timer: Timer) {
        let Some(pod) = self.pods.get(timer.target).copied() else {
            return;
        };
        if pod.meta.uid != timer.uid || pod.timer_seq != timer.target_seq {
            return;
        }
        let index = timer.target;
        let seq = pod.timer_seq + 1;
        let node = self.nodes.get(pod.node).map(Node::name);
        match timer.action {
            TimerAction::KubeletSync if pod.state == PodState::Bound => {
                self.set_pod_state(
                    index,
                    PodState::ContainerCreating,
                    seq,
                    EventKind::PodContainerCreating,
                );
                let delay = self.rng.lognormal(CONTAINER_START_MEDIAN, 0.5);
                self.schedule_timer(
                    delay,
                    index,
                    pod.meta.uid,
                    seq,
                    TimerAction::ContainersStarted,
                );
            }
            TimerAction::ContainersStarted if pod.state == PodState::ContainerCreating => {
                self.set_pod_state(index, PodState::Running, seq, EventKind::PodRunning);
                let delay = self.rng.lognormal(READINESS_MEDIAN, 0.5);
                self.schedule_timer(
                    delay,
                    index,
                    pod.meta.uid,
                    seq,
                    TimerAction::ReadinessPassed,
                );
            }
            TimerAction::ReadinessPassed if pod.state == PodState::Running && !pod.terminating => {
                let rv = self.write(EventKind::PodReady, pod.name(), node, 0);
                if let Some(p) = self.pods.get_mut(index) {
                    p.ready = true;
                    p.ready_since = self.time;
                    p.meta.resource_version = rv;
                    p.timer_seq = seq;
                }
                if let Some(d) = self
                    .deployments
                    .get_mut(pod.owner as usize)
                    .and_then(Option::as_mut)
                {
                    d.ready += 1;
                    d.ready_total = d.ready_total.wrapping_add(1);
                }
            }
            TimerAction::TerminationDone if pod.terminating => self.remove_pod(index),
            _ => {}
        }
    }

    fn set_pod_state(&mut self, index: u32, state: PodState, seq: u32, kind: EventKind) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        let node = self.nodes.get(pod.node).map(Node::name);
        let rv = self.write(kind, pod.name(), node, 0);
        if let Some(p) = self.pods.get_mut(index) {
            p.state = state;
            p.meta.resource_version = rv;
            p.timer_seq = seq;
        }
    }

    /// Graceful deletion: sets deletionTimestamp; the kubelet stops the containers and the
    /// object goes away after they exit (at most the grace period). Unbound pods go at once.
    pub(super) fn begin_termination(&mut self, index: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        if pod.terminating {
            return;
        }
        if pod.is_active() {
            self.owner_lost_active(&pod);
        }
        if pod.node == NONE {
            self.pending = self.pending.saturating_sub(1);
            self.remove_pod(index);
            return;
        }
        let node = self.nodes.get(pod.node).map(Node::name);
        let rv = self.write(EventKind::PodTerminating, pod.name(), node, 0);
        let seq = pod.timer_seq + 1;
        if let Some(p) = self.pods.get_mut(index) {
            p.terminating = true;
            p.ready = false;
            p.meta.resource_version = rv;
            p.timer_seq = seq;
        }
        let delay = self
            .rng
            .lognormal(SHUTDOWN_MEDIAN, 0.5)
            .min(TERMINATION_GRACE_PERIOD);
        self.schedule_timer(
            delay,
            index,
            pod.meta.uid,
            seq,
            TimerAction::TerminationDone,
        );
    }

    /// Eviction by the system (node removed or shrunk): phase Failed, then the object is removed.
    pub(super) fn evict_pod(&mut self, index: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        if pod.is_active() {
            self.owner_lost_active(&pod);
        }
        let node = self.nodes.get(pod.node).map(Node::name);
        let rv = self.write(EventKind::PodEvicted, pod.name(), node, 0);
        if let Some(p) = self.pods.get_mut(index) {
            p.state = PodState::Failed;
            p.ready = false;
            p.meta.resource_version = rv;
        }
        self.stats.evictions += 1;
        self.remove_pod(index);
    }

    /// Removes the pod object from the API.
    pub(super) fn remove_pod(&mut self, index: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        if pod.node != NONE {
            self.unbind(index);
        }
        self.unlink_owner(index);
        let node = self.nodes.get(pod.node).map(Node::name);
        self.write(EventKind::PodDeleted, pod.name(), node, 0);
        self.pods.remove(index);
        self.stats.pods_deleted += 1;
    }
}
