//! The scheduling queue: activeQ ordered as upstream's PrioritySort (higher priority first,
//! then earlier queue timestamp), backoffQ (the world's backoff timers) and the unschedulable
//! pods, moved back on cluster events or after podMaxInUnschedulablePodsDuration.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::{backoff_duration, MAX_UNSCHEDULABLE_DURATION};
use crate::world::objects::*;
use crate::world::timers::TimerAction;
use crate::world::World;

/// An activeQ entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    priority: i32,
    timestamp_bits: u64,
    seq: u64,
    index: u32,
    uid: u64,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // The heap pops the greatest: higher priority, then the earlier timestamp and entry.
        self.priority
            .cmp(&other.priority)
            .then(Reverse(self.timestamp_bits).cmp(&Reverse(other.timestamp_bits)))
            .then(Reverse(self.seq).cmp(&Reverse(other.seq)))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// activeQ and the unschedulable pods; backoffQ lives in the world's timers.
pub struct SchedulingQueue {
    active: BinaryHeap<Entry>,
    unschedulable: Vec<(u32, u64)>,
    moved: Vec<(u32, u64)>,
    changed: bool,
    next_flush: f64,
    seq: u64,
}

impl SchedulingQueue {
    /// Queues sized for `max_pods` pods.
    pub fn with_capacity(max_pods: usize) -> SchedulingQueue {
        SchedulingQueue {
            active: BinaryHeap::with_capacity(max_pods),
            unschedulable: Vec::with_capacity(max_pods),
            moved: Vec::with_capacity(max_pods),
            changed: false,
            next_flush: 30.0,
            seq: 0,
        }
    }

    /// A cluster event that may make unschedulable pods schedulable.
    pub fn cluster_changed(&mut self) {
        self.changed = true;
    }

    /// Pods waiting as unschedulable (stale entries are dropped every step).
    pub fn unschedulable_len(&self) -> usize {
        self.unschedulable.len()
    }
}

impl World {
    /// Puts a pod into activeQ.
    pub(in crate::world) fn enqueue_active(&mut self, index: u32) {
        let Some(pod) = self.pods.get_mut(index) else {
            return;
        };
        pod.queue = QueueState::Active;
        pod.queued_at = self.time;
        self.queue.seq += 1;
        let entry = Entry {
            priority: pod.scheduling.priority,
            timestamp_bits: self.time.max(0.0).to_bits(),
            seq: self.queue.seq,
            index,
            uid: pod.meta.uid,
        };
        if self.queue.active.len() >= self.queue.active.capacity() {
            let pods = &self.pods;
            self.queue.active.retain(|e| {
                pods.get(e.index)
                    .is_some_and(|p| p.meta.uid == e.uid && p.queue == QueueState::Active)
            });
        }
        if self.queue.active.len() < self.queue.active.capacity() {
            self.queue.active.push(entry);
        }
    }

    pub(super) fn queue_is_empty(&self) -> bool {
        self.queue.active.is_empty()
    }

    /// Pops the next live pod from activeQ.
    pub(super) fn pop_active(&mut self) -> Option<(u32, Pod)> {
        while let Some(e) = self.queue.active.pop() {
            let Some(pod) = self.pods.get(e.index).copied() else {
                continue;
            };
            if pod.meta.uid == e.uid
                && pod.queue == QueueState::Active
                && pod.node == NONE
                && !pod.terminating
            {
                return Some((e.index, pod));
            }
        }
        None
    }

    pub(in crate::world) fn queue_backoff_done(&mut self, index: u32, uid: u64) {
        let Some(pod) = self.pods.get(index) else {
            return;
        };
        if pod.meta.uid == uid
            && pod.queue == QueueState::Backoff
            && pod.node == NONE
            && !pod.terminating
        {
            self.enqueue_active(index);
        }
    }

    /// Records a failed attempt: backoff grows, the pod waits as unschedulable.
    pub(super) fn add_unschedulable(&mut self, index: u32, rv: u64) {
        let Some(p) = self.pods.get_mut(index) else {
            return;
        };
        p.attempts += 1;
        p.backoff_until = self.time + backoff_duration(p.attempts);
        p.queue = QueueState::Unschedulable;
        p.queued_at = self.time;
        p.meta.resource_version = rv;
        let entry = (index, p.meta.uid);
        if self.queue.unschedulable.len() < self.queue.unschedulable.capacity() {
            self.queue.unschedulable.push(entry);
        }
    }

    /// Moves unschedulable pods to activeQ, or to backoffQ while their backoff lasts.
    fn move_unschedulable(&mut self, only_older_than: Option<f64>) {
        let mut moved = std::mem::take(&mut self.queue.moved);
        moved.clear();
        let pods = &self.pods;
        self.queue.unschedulable.retain(|&(i, uid)| {
            let Some(p) = pods.get(i) else { return false };
            if p.meta.uid != uid || p.queue != QueueState::Unschedulable || p.terminating {
                return false;
            }
            let due = only_older_than.is_none_or(|t| p.queued_at <= t);
            if due {
                moved.push((i, uid));
            }
            !due
        });
        for &(index, uid) in &moved {
            let Some(pod) = self.pods.get_mut(index) else {
                continue;
            };
            if pod.backoff_until > self.time {
                pod.queue = QueueState::Backoff;
                let due = pod.backoff_until - self.time;
                self.schedule_timer(due, index, uid, 0, TimerAction::BackoffDone);
            } else {
                self.enqueue_active(index);
            }
        }
        self.queue.moved = moved;
    }

    /// Requeues after cluster changes and the periodic flush; drops stale entries.
    pub(super) fn flush_queues(&mut self) {
        if self.queue.changed {
            self.queue.changed = false;
            self.move_unschedulable(None);
        }
        if self.time >= self.queue.next_flush {
            self.queue.next_flush = self.time + 30.0;
            self.move_unschedulable(Some(self.time - MAX_UNSCHEDULABLE_DURATION));
        }
        if !self.queue.unschedulable.is_empty() {
            let pods = &self.pods;
            self.queue.unschedulable.retain(|&(i, uid)| {
                pods.get(i).is_some_and(|p| {
                    p.meta.uid == uid && p.queue == QueueState::Unschedulable && !p.terminating
                })
            });
        }
    }
}
