//! A deterministic timer queue for simulated-time actions (kubelet transitions, backoffs).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What to do when a timer fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimerAction {
    /// The kubelet picks up a bound pod and starts creating containers.
    KubeletSync,
    /// Images pulled, containers started: the pod is Running.
    ContainersStarted,
    /// The readiness probe passed: the pod is Ready.
    ReadinessPassed,
    /// The container exits with code 0 (a Job's work is done).
    ContainerSucceeded,
    /// The container crashes: it exits with code 1.
    ContainerCrashed,
    /// A CrashLoopBackOff delay is over: the kubelet restarts the container.
    RestartContainer,
    /// A terminating pod's containers exited: the pod object is removed.
    TerminationDone,
    /// A pod's scheduling backoff ended: back to activeQ.
    BackoffDone,
    /// A node's kubelet registered and reports Ready.
    NodeReady,
    /// The node lifecycle controller checks a silent node's last heartbeat.
    NodeHeartbeat,
    /// A pod's tolerationSeconds for a NoExecute taint on its node ran out.
    TolerationExpired,
}

/// One pending action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timer {
    /// Due time as the bits of a non-negative f64 (monotonic as an integer).
    pub due_bits: u64,
    /// Insertion order, breaking ties deterministically.
    pub seq: u64,
    /// Slab index of the pod or node.
    pub target: u32,
    /// uid the target must still have (else the timer is stale).
    pub uid: u64,
    /// Lifecycle sequence the pod must still be at (pods only).
    pub target_seq: u32,
    /// The action.
    pub action: TimerAction,
}

impl Timer {
    /// Due time in simulated seconds.
    pub fn due(&self) -> f64 {
        f64::from_bits(self.due_bits)
    }
}

/// A min-heap of timers with a fixed capacity.
pub struct Timers {
    heap: BinaryHeap<Reverse<Timer>>,
    capacity: usize,
    next_seq: u64,
}

impl Timers {
    /// An empty queue with room for `capacity` timers.
    pub fn with_capacity(capacity: usize) -> Timers {
        Timers {
            heap: BinaryHeap::with_capacity(capacity),
            capacity,
            next_seq: 0,
        }
    }

    /// Schedules an action. When full, stale timers are dropped first (`is_live` says which
    /// are still wanted); returns false if still no room.
    pub fn schedule(
        &mut self,
        due: f64,
        target: u32,
        uid: u64,
        target_seq: u32,
        action: TimerAction,
        is_live: impl FnMut(&Timer) -> bool,
    ) -> bool {
        if self.heap.len() >= self.capacity {
            let mut is_live = is_live;
            self.heap.retain(|Reverse(t)| is_live(t));
            if self.heap.len() >= self.capacity {
                return false;
            }
        }
        let due = if due.is_finite() { due.max(0.0) } else { 0.0 };
        self.next_seq += 1;
        self.heap.push(Reverse(Timer {
            due_bits: due.to_bits(),
            seq: self.next_seq,
            target,
            uid,
            target_seq,
            action,
        }));
        true
    }

    /// Pops the earliest timer due at or before `now`.
    pub fn pop_due(&mut self, now: f64) -> Option<Timer> {
        let Reverse(top) = self.heap.peek()?;
        if top.due() <= now {
            self.heap.pop().map(|Reverse(t)| t)
        } else {
            None
        }
    }
}
