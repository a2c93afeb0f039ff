//! The kubelets: node registration, the pod lifecycle on a node (a minimal kubelet's action
//! table, container restarts under CrashLoopBackOff, failed starts retried), graceful
//! termination, eviction and removal of pod objects.
//!
//! | pod phase | container        | action                                                  |
//! |-----------|------------------|---------------------------------------------------------|
//! | Pending   | none             | create it (pull, start); a failed start retries 2/4/8 s, then Failed |
//! | Pending   | running          | mark the pod Running                                    |
//! | Running   | exited           | restart per restartPolicy (CrashLoopBackOff), or Succeeded/Failed |
//! | Running   | gone             | back to Pending and create it again                     |

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
/// Median time a faulty container runs before it crashes, seconds.
pub const CRASH_AFTER_MEDIAN: f64 = 1.0;
/// Delays before retrying a failed container start; one more failure and the pod is Failed.
pub const START_RETRY_DELAYS: [f64; 3] = [2.0, 4.0, 8.0];
/// The kubelet's first restart backoff, seconds.
pub const CRASH_LOOP_BACKOFF_INITIAL: f64 = 10.0;
/// The kubelet's longest restart backoff, seconds.
pub const CRASH_LOOP_BACKOFF_MAX: f64 = 300.0;
/// A container that ran longer than this restarts as if it had never crashed, seconds
/// (upstream: the back-off entry expires after twice the longest back-off).
pub const CRASH_LOOP_BACKOFF_RESET: f64 = 600.0;

/// The kubelet's restart back-off after a container exit, as upstream's `doBackOff` and
/// `flowcontrol.Backoff` decide it. `entry` is the container's back-off entry (0 = none yet)
/// and `ran` how long the container ran. Returns the delay before the restart and the
/// entry after it: the first exit restarts at once and starts the entry at 10 s; each later
/// exit waits the entry, which then doubles up to 5 minutes; a container that ran for more
/// than 10 minutes starts over.
pub fn crash_loop_backoff(entry: f64, ran: f64) -> (f64, f64) {
    if entry <= 0.0 || !entry.is_finite() || ran > CRASH_LOOP_BACKOFF_RESET {
        (0.0, CRASH_LOOP_BACKOFF_INITIAL)
    } else {
        (entry, (entry * 2.0).min(CRASH_LOOP_BACKOFF_MAX))
    }
}

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
        self.reserve_claim(index, node_index);
        if let Some(n) = self.nodes.get_mut(node_index) {
            n.requested_cpu_m += pod.cpu_m;
            n.requested_memory_mib += pod.memory_mib;
            n.requested_mana += pod.mana.amount;
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
        self.app_pod_changed(index, &pod, node_index, false, true);
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
        if node.terms != 0 || node.taint == crate::world::constraints::TaintEffect::NoExecute {
            // A NoExecute taint tolerated for tolerationSeconds counts from the binding.
            self.taint_manager_check(index);
        }
    }

    fn unbind(&mut self, index: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        if let Some(node) = self.nodes.get(pod.node).copied() {
            self.release_claim(&pod, &node);
        }
        let Some(node) = self.nodes.get_mut(pod.node) else {
            return;
        };
        node.requested_cpu_m -= pod.cpu_m;
        node.requested_memory_mib -= pod.memory_mib;
        node.requested_mana = node.requested_mana.saturating_sub(pod.mana.amount);
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
        self.app_pod_changed(index, &pod, pod.node, pod.terminating, false);
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
        if self.nodes.get(pod.node).is_some_and(|n| n.kubelet_silent) {
            // A silent kubelet does nothing; it resyncs its pods when it comes back.
            return;
        }
        let index = timer.target;
        let seq = pod.timer_seq + 1;
        let running = pod.state == PodState::Running && !pod.terminating;
        match timer.action {
            TimerAction::KubeletSync if pod.state == PodState::Bound => {
                if let Some(p) = self.pods.get_mut(index) {
                    p.start_time.get_or_insert(self.time);
                }
                self.set_pod_state(
                    index,
                    PodState::ContainerCreating,
                    seq,
                    EventKind::PodContainerCreating,
                );
                let delay = self.rng.lognormal(CONTAINER_START_MEDIAN, 0.5);
                self.pod_timer(index, delay, TimerAction::ContainersStarted);
            }
            TimerAction::ContainersStarted if pod.state == PodState::ContainerCreating => {
                self.start_container(index);
            }
            TimerAction::ReadinessPassed if running && pod.container == ContainerState::Running => {
                self.set_ready(index, true);
            }
            TimerAction::ContainerSucceeded | TimerAction::ContainerCrashed
                if running && pod.container == ContainerState::Running =>
            {
                let code = i64::from(timer.action == TimerAction::ContainerCrashed);
                self.container_exited(index, code);
            }
            TimerAction::RestartContainer
                if running && pod.container == ContainerState::Waiting =>
            {
                self.restart_container(index);
            }
            TimerAction::TerminationDone if pod.terminating => self.remove_pod(index),
            _ => {}
        }
    }

    /// Bumps the pod's lifecycle sequence and schedules its one live timer.
    fn pod_timer(&mut self, index: u32, delay: f64, action: TimerAction) {
        let Some(p) = self.pods.get_mut(index) else {
            return;
        };
        p.timer_seq += 1;
        let (uid, seq) = (p.meta.uid, p.timer_seq);
        self.schedule_timer(delay, index, uid, seq, action);
    }

    /// The owner asks its containers to crash (the FAULT gate).
    fn owner_faulty(&self, pod: &Pod) -> bool {
        match pod.owner_kind {
            OwnerKind::Deployment => self.deployment(pod.owner).is_some_and(|d| d.spec.fault),
            OwnerKind::Job => self.job(pod.owner).is_some_and(|j| j.spec.fault),
            OwnerKind::Bare => self.bare_pod_faulty(pod.owner),
        }
    }

    /// Pending + no container: create and start it. A faulty owner's start fails and is
    /// retried after 2, 4 and 8 s; the fourth failure fails the pod.
    fn start_container(&mut self, index: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        let node = self.nodes.get(pod.node).map(Node::name);
        if self.owner_faulty(&pod) {
            let failures = pod.start_failures + 1;
            self.write(
                EventKind::FailedStart,
                pod.name(),
                node,
                i64::from(failures),
            );
            if let Some(p) = self.pods.get_mut(index) {
                p.start_failures = failures;
            }
            match START_RETRY_DELAYS.get(failures as usize - 1) {
                Some(&delay) => self.pod_timer(index, delay, TimerAction::ContainersStarted),
                None => self.pod_finished(index, PodState::Failed),
            }
            return;
        }
        // Pending + running: the pod is Running.
        let seq = pod.timer_seq + 1;
        self.set_pod_state(index, PodState::Running, seq, EventKind::PodRunning);
        self.container_running(index);
    }

    /// The container runs: readiness, completion or a crash comes next.
    fn container_running(&mut self, index: u32) {
        let time = self.time;
        let Some(p) = self.pods.get_mut(index) else {
            return;
        };
        p.container = ContainerState::Running;
        p.container_started = time;
        let pod = *p;
        if self.owner_faulty(&pod) {
            let delay = self.rng.lognormal(CRASH_AFTER_MEDIAN, 0.3);
            self.pod_timer(index, delay, TimerAction::ContainerCrashed);
        } else if pod.owner_kind == OwnerKind::Job {
            // No readiness probe: Ready once running; exits 0 after its work.
            self.set_ready(index, true);
            let run = self.job(pod.owner).map_or(0.0, |j| j.spec.run_seconds);
            let run = if run.is_finite() { run.max(0.0) } else { 0.0 };
            self.pod_timer(index, run, TimerAction::ContainerSucceeded);
        } else {
            let delay = self.rng.lognormal(READINESS_MEDIAN, 0.5);
            self.pod_timer(index, delay, TimerAction::ReadinessPassed);
        }
    }

    /// Sets the pod's Ready condition, keeping its owner's counts.
    fn set_ready(&mut self, index: u32, ready: bool) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        if pod.ready == ready {
            return;
        }
        self.owner_ready_changed(&pod, ready);
        let rv = if ready {
            let node = self.nodes.get(pod.node).map(Node::name);
            self.write(EventKind::PodReady, pod.name(), node, 0)
        } else {
            pod.meta.resource_version
        };
        let time = self.time;
        if let Some(p) = self.pods.get_mut(index) {
            p.ready = ready;
            if ready {
                p.ready_since = time;
            }
            p.meta.resource_version = rv;
        }
    }

    /// Running + exited: restart per restartPolicy under CrashLoopBackOff, or finish the pod.
    pub(super) fn container_exited(&mut self, index: u32, code: i64) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        self.set_ready(index, false);
        let node = self.nodes.get(pod.node).map(Node::name);
        self.write(EventKind::ContainerDied, pod.name(), node, code);
        if let Some(p) = self.pods.get_mut(index) {
            p.container = ContainerState::Terminated;
            p.timer_seq += 1;
        }
        let restart = match pod.restart_policy {
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure => code != 0,
            RestartPolicy::Never => false,
        };
        if !restart {
            let phase = if code == 0 {
                PodState::Succeeded
            } else {
                PodState::Failed
            };
            self.pod_finished(index, phase);
            return;
        }
        let ran = self.time - pod.container_started;
        let (delay, entry) = crash_loop_backoff(pod.crash_backoff, ran);
        if delay > 0.0 {
            // "Back-off restarting failed container": the pod shows CrashLoopBackOff.
            let rv = self.write(EventKind::BackOff, pod.name(), node, delay as i64);
            if let Some(p) = self.pods.get_mut(index) {
                p.meta.resource_version = rv;
            }
        }
        if let Some(p) = self.pods.get_mut(index) {
            p.container = ContainerState::Waiting;
            p.crash_backoff = entry;
        }
        self.pod_timer(index, delay, TimerAction::RestartContainer);
    }

    fn restart_container(&mut self, index: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        let restarts = pod.restarts + 1;
        let node = self.nodes.get(pod.node).map(Node::name);
        let rv = self.write(EventKind::PodRunning, pod.name(), node, i64::from(restarts));
        if let Some(p) = self.pods.get_mut(index) {
            p.restarts = restarts;
            p.meta.resource_version = rv;
        }
        self.container_running(index);
    }

    /// The pod reached phase Succeeded or Failed: its owner counts it, and the object is
    /// removed at once (as PodGC would, later).
    fn pod_finished(&mut self, index: u32, phase: PodState) {
        if !self.pods.get(index).is_some_and(Pod::is_active) {
            return;
        }
        self.set_ready(index, false);
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        self.owner_lost_active(&pod);
        if pod.owner_kind == OwnerKind::Job {
            self.job_pod_finished(pod.owner, phase == PodState::Succeeded);
        }
        let kind = if phase == PodState::Succeeded {
            EventKind::PodSucceeded
        } else {
            EventKind::PodFailed
        };
        let node = self.nodes.get(pod.node).map(Node::name);
        let rv = self.write(kind, pod.name(), node, 0);
        if let Some(p) = self.pods.get_mut(index) {
            p.state = phase;
            p.meta.resource_version = rv;
        }
        self.remove_pod(index);
    }

    /// Running + container gone (removed behind the kubelet's back): the pod goes back to
    /// Pending and the kubelet creates the container again. False if the pod had none.
    pub fn remove_container(&mut self, index: u32) -> bool {
        let Some(pod) = self.pods.get(index).copied() else {
            return false;
        };
        if pod.state != PodState::Running || pod.terminating {
            return false;
        }
        self.set_ready(index, false);
        let seq = pod.timer_seq + 1;
        self.set_pod_state(
            index,
            PodState::ContainerCreating,
            seq,
            EventKind::PodContainerCreating,
        );
        if let Some(p) = self.pods.get_mut(index) {
            p.container = ContainerState::Waiting;
            p.restarts += 1;
        }
        let delay = self.rng.lognormal(CONTAINER_START_MEDIAN, 0.5);
        self.pod_timer(index, delay, TimerAction::ContainersStarted);
        true
    }

    /// A faulty owner's running containers crash now (the FAULT gate's rising edge).
    pub(super) fn crash_containers(&mut self, first: u32) {
        let mut cur = first;
        while let Some(pod) = self.pods.get(cur).copied() {
            let next = pod.owner_next;
            let silent = self.nodes.get(pod.node).is_some_and(|n| n.kubelet_silent);
            let running =
                pod.state == PodState::Running && pod.container == ContainerState::Running;
            if running && !pod.terminating && !silent {
                self.container_exited(cur, 1);
            }
            cur = next;
        }
    }

    /// A kubelet that comes back takes up each of its pods where it was left.
    pub(super) fn resync_pod(&mut self, index: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        let action = match pod.state {
            _ if pod.terminating => TimerAction::TerminationDone,
            PodState::Bound => TimerAction::KubeletSync,
            PodState::ContainerCreating => TimerAction::ContainersStarted,
            PodState::Running if pod.container != ContainerState::Running => {
                TimerAction::RestartContainer
            }
            PodState::Running if !pod.ready || pod.owner_kind == OwnerKind::Job => {
                // Readiness, completion or a crash are still to come.
                if pod.ready {
                    self.set_ready(index, false);
                }
                self.container_running(index);
                return;
            }
            _ => return,
        };
        self.pod_timer(index, 0.0, action);
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
            if !pod.is_finished() {
                self.pending = self.pending.saturating_sub(1);
            }
            self.remove_pod(index);
            return;
        }
        let node = self.nodes.get(pod.node).map(Node::name);
        let rv = self.write(EventKind::PodTerminating, pod.name(), node, 0);
        let seq = pod.timer_seq + 1;
        self.app_pod_changed(index, &pod, pod.node, false, false);
        self.app_pod_changed(index, &pod, pod.node, true, true);
        if let Some(p) = self.pods.get_mut(index) {
            p.terminating = true;
            p.ready = false;
            p.meta.resource_version = rv;
            p.timer_seq = seq;
        }
        // SIGTERM, then SIGKILL at the grace period; a container that is not running has
        // nothing to stop.
        let delay = if pod.container == ContainerState::Running {
            self.rng
                .lognormal(SHUTDOWN_MEDIAN, 0.5)
                .min(TERMINATION_GRACE_PERIOD)
        } else {
            0.0
        };
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
            if pod.owner_kind == OwnerKind::Job {
                self.job_pod_finished(pod.owner, false);
            }
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
