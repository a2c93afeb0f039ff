//! The pending queues (`pkg/cache/queue`): per ClusterQueue a heap of active workloads in
//! queue order and a list of inadmissible ones, a list of workloads in requeue backoff, and
//! each queue's list of admitted workloads. Nothing here allocates: the heaps are sized for
//! every workload and the lists are intrusive.

use super::workload::{set_condition, QueuePosition, Workload};
use super::{Kueue, KueueEventReason, NIL};

type Slots = [Option<Workload>];

fn w(slots: &Slots, id: u32) -> &Workload {
    slots[id as usize].as_ref().expect("live workload")
}

fn w_mut(slots: &mut Slots, id: u32) -> &mut Workload {
    slots[id as usize].as_mut().expect("live workload")
}

fn set_pos(slots: &mut Slots, heap: &[u32], i: usize) {
    w_mut(slots, heap[i]).position = QueuePosition::Active(i as u32);
}

fn sift_up(heap: &mut [u32], slots: &mut Slots, mut i: usize) {
    while i > 0 {
        let parent = (i - 1) / 2;
        if !w(slots, heap[i]).queue_before(w(slots, heap[parent])) {
            break;
        }
        heap.swap(i, parent);
        set_pos(slots, heap, i);
        i = parent;
    }
    set_pos(slots, heap, i);
}

fn sift_down(heap: &mut [u32], slots: &mut Slots, mut i: usize) {
    loop {
        let (l, r) = (2 * i + 1, 2 * i + 2);
        let mut best = i;
        if l < heap.len() && w(slots, heap[l]).queue_before(w(slots, heap[best])) {
            best = l;
        }
        if r < heap.len() && w(slots, heap[r]).queue_before(w(slots, heap[best])) {
            best = r;
        }
        if best == i {
            break;
        }
        heap.swap(i, best);
        set_pos(slots, heap, i);
        i = best;
    }
    if i < heap.len() {
        set_pos(slots, heap, i);
    }
}

/// Removes the entry at `i` of the heap.
fn heap_remove(heap: &mut Vec<u32>, slots: &mut Slots, i: usize) -> u32 {
    let id = heap.swap_remove(i);
    w_mut(slots, id).position = QueuePosition::None;
    if i < heap.len() {
        sift_down(heap, slots, i);
        sift_up(heap, slots, i);
    }
    id
}

/// Links `id` at the head of the list starting at `head`.
fn link(slots: &mut Slots, head: &mut u32, id: u32) {
    let old = *head;
    {
        let wl = w_mut(slots, id);
        wl.list_prev = NIL;
        wl.list_next = old;
    }
    if old != NIL {
        w_mut(slots, old).list_prev = id;
    }
    *head = id;
}

/// Unlinks `id` from the list starting at `head`.
fn unlink(slots: &mut Slots, head: &mut u32, id: u32) {
    let (prev, next) = {
        let wl = w(slots, id);
        (wl.list_prev, wl.list_next)
    };
    if prev == NIL {
        *head = next;
    } else {
        w_mut(slots, prev).list_next = next;
    }
    if next != NIL {
        w_mut(slots, next).list_prev = prev;
    }
    let wl = w_mut(slots, id);
    wl.list_prev = NIL;
    wl.list_next = NIL;
}

impl Kueue {
    /// Puts a workload in its ClusterQueue's active heap.
    pub(crate) fn push_active(&mut self, id: u32) {
        let cq = self.wl(id).cluster_queue;
        let Some(Some(q)) = self.cluster_queues.get_mut(cq) else {
            return;
        };
        if q.heap.len() == q.heap.capacity() {
            return; // cannot happen: sized for every workload
        }
        q.heap.push(id);
        let i = q.heap.len() - 1;
        sift_up(&mut q.heap, &mut self.workloads, i);
    }

    /// Pops the head of ClusterQueue `cq`'s active heap.
    pub(crate) fn pop_head(&mut self, cq: usize) -> Option<u32> {
        let q = self.cluster_queues[cq].as_mut()?;
        if q.heap.is_empty() || q.terminating {
            return None;
        }
        q.pop_cycle = self.cycle;
        Some(heap_remove(&mut q.heap, &mut self.workloads, 0))
    }

    /// Puts a workload among its queue's inadmissible workloads.
    fn push_inadmissible(&mut self, id: u32) {
        let cq = self.wl(id).cluster_queue;
        let q = self.cluster_queues[cq]
            .as_mut()
            .expect("live cluster queue");
        link(&mut self.workloads, &mut q.inadmissible, id);
        q.inadmissible_count += 1;
        w_mut(&mut self.workloads, id).position = QueuePosition::Inadmissible;
    }

    /// Puts a workload in the backoff list until its requeueAt.
    pub(crate) fn push_backoff(&mut self, id: u32) {
        link(&mut self.workloads, &mut self.backoff, id);
        w_mut(&mut self.workloads, id).position = QueuePosition::Backoff;
    }

    /// Takes a workload out of whatever queue or list holds it (not the admitted list).
    pub(crate) fn unqueue(&mut self, id: u32) {
        let cq = self.wl(id).cluster_queue;
        match self.wl(id).position {
            QueuePosition::None => {}
            QueuePosition::Active(i) => {
                let q = self.cluster_queues[cq]
                    .as_mut()
                    .expect("live cluster queue");
                heap_remove(&mut q.heap, &mut self.workloads, i as usize);
            }
            QueuePosition::Inadmissible => {
                let q = self.cluster_queues[cq]
                    .as_mut()
                    .expect("live cluster queue");
                unlink(&mut self.workloads, &mut q.inadmissible, id);
                q.inadmissible_count -= 1;
            }
            QueuePosition::Backoff => unlink(&mut self.workloads, &mut self.backoff, id),
        }
        self.wl_mut(id).position = QueuePosition::None;
    }

    /// Requeues a head the cycle did not admit: back to the heap when `immediate` (always
    /// for StrictFIFO) or when quota was released since it was popped; else inadmissible.
    pub(crate) fn requeue(&mut self, id: u32, immediate: bool) {
        let cq = self.cq(self.wl(id).cluster_queue);
        if immediate || cq.queue_inadmissible_cycle >= cq.pop_cycle {
            self.push_active(id);
        } else {
            self.push_inadmissible(id);
        }
    }

    /// Moves the inadmissible workloads of `cq` and of every queue in its cohort back to their
    /// heaps (`QueueAssociatedInadmissibleWorkloadsAfter`).
    pub(crate) fn queue_inadmissible(&mut self, cq: usize) {
        let Some(q) = self.cluster_queues.get(cq).and_then(|q| q.as_ref()) else {
            return;
        };
        let cohort = q.spec.cohort;
        for i in 0..self.cluster_queues.len() {
            let member = match &self.cluster_queues[i] {
                Some(q) => i == cq || (cohort.is_some() && q.spec.cohort == cohort),
                None => false,
            };
            if !member {
                continue;
            }
            let cycle = self.cycle;
            let q = self.cluster_queues[i].as_mut().expect("live cluster queue");
            q.queue_inadmissible_cycle = cycle;
            while q.inadmissible != NIL {
                let id = q.inadmissible;
                unlink(&mut self.workloads, &mut q.inadmissible, id);
                q.inadmissible_count -= 1;
                q.heap.push(id);
                let at = q.heap.len() - 1;
                sift_up(&mut q.heap, &mut self.workloads, at);
            }
        }
    }

    /// Requeues the workloads whose backoff ended (Requeued True, reason BackoffFinished) and
    /// the preempted ones waiting for the next step, as [`Kueue::step`] does before its
    /// cycles (for callers that run [`Kueue::schedule`] themselves).
    pub fn expire_backoffs(&mut self) {
        let mut id = self.backoff;
        while id != NIL {
            let next = self.wl(id).list_next;
            let due = self
                .wl(id)
                .requeue_state
                .requeue_at
                .is_none_or(|t| t <= self.time);
            if due && self.wl(id).parked {
                unlink(&mut self.workloads, &mut self.backoff, id);
                let wl = self.wl_mut(id);
                wl.parked = false;
                wl.position = QueuePosition::None;
                self.push_active(id);
            } else if due {
                unlink(&mut self.workloads, &mut self.backoff, id);
                let now = self.time;
                let wl = self.wl_mut(id);
                wl.position = QueuePosition::None;
                wl.requeue_state.requeue_at = None;
                set_condition(&mut wl.conditions.requeued, true, "BackoffFinished", now);
                self.event(KueueEventReason::Requeued, id, "BackoffFinished");
                self.push_active(id);
            }
            id = next;
        }
    }

    /// Links an admitted workload into its queue's admitted list.
    pub(crate) fn link_admitted(&mut self, id: u32) {
        let cq = self.wl(id).cluster_queue;
        let q = self.cluster_queues[cq]
            .as_mut()
            .expect("live cluster queue");
        link(&mut self.workloads, &mut q.admitted_head, id);
        q.admitted_count += 1;
    }

    /// Releases the quota a workload holds (if it holds any) and requeues the inadmissible
    /// workloads that may now fit. The admission itself is left to the caller.
    pub(crate) fn release_quota(&mut self, id: u32) {
        let wl = self.wl(id);
        if wl.admission.is_none() || wl.is_finished() {
            return;
        }
        let cq = wl.cluster_queue;
        let mut usage = self.scratch_usage;
        wl.usage(&mut usage);
        self.add_usage(cq, &usage, -1);
        let q = self.cluster_queues[cq]
            .as_mut()
            .expect("live cluster queue");
        unlink(&mut self.workloads, &mut q.admitted_head, id);
        q.admitted_count -= 1;
        if q.terminating && q.admitted_count == 0 {
            self.remove_cluster_queue(cq);
            return;
        }
        self.queue_inadmissible(cq);
    }
}
