//! Deleting a ClusterQueue. As upstream, a queue with admitted workloads is kept by its
//! `kueue.x-k8s.io/resource-in-use` finalizer: it turns Terminating, admits nothing more,
//! and goes when the last admitted workload finishes or is evicted. Its pending workloads stay
//! pending (their LocalQueue points at a missing queue) and are queued again if a queue of
//! the same index is created.

use super::{Kueue, QueuePosition};

impl Kueue {
    /// Deletes ClusterQueue `i`: at once when nothing is admitted in it, else when the last
    /// admitted workload leaves. Returns whether the queue existed.
    pub fn delete_cluster_queue(&mut self, i: usize) -> bool {
        let Some(Some(q)) = self.cluster_queues.get_mut(i) else {
            return false;
        };
        if q.admitted_count == 0 {
            self.remove_cluster_queue(i);
        } else {
            q.terminating = true;
        }
        true
    }

    /// Whether ClusterQueue `i` is Terminating (deleted, waiting for admitted workloads).
    pub fn is_terminating(&self, i: usize) -> bool {
        self.cluster_queues
            .get(i)
            .and_then(|q| q.as_ref())
            .is_some_and(|q| q.terminating)
    }

    /// Removes ClusterQueue `i` (nothing is admitted in it): pending workloads leave its
    /// queues, its heap is kept for a later queue, its cohort is recomputed.
    pub(crate) fn remove_cluster_queue(&mut self, i: usize) {
        for id in 0..self.workloads.len() as u32 {
            let pending = self.workload(id).is_some_and(|w| {
                w.cluster_queue == i && w.position != QueuePosition::None && w.admission.is_none()
            });
            if pending {
                self.unqueue(id);
            }
        }
        let Some(mut q) = self.cluster_queues[i].take() else {
            return;
        };
        q.heap.clear();
        self.spare_heaps.push(q.heap);
        if let Some(c) = q.spec.cohort {
            self.rebuild_cohort(c);
            self.queue_inadmissible_cohort(c);
        }
    }

    /// Queues the workloads left pending for ClusterQueue `i` when it was removed.
    pub(crate) fn adopt_orphans(&mut self, i: usize) {
        for id in 0..self.workloads.len() as u32 {
            let orphan = self.workload(id).is_some_and(|w| {
                w.cluster_queue == i
                    && w.position == QueuePosition::None
                    && w.admission.is_none()
                    && !w.is_finished()
            });
            if orphan {
                self.push_active(id);
            }
        }
    }

    /// Requeues the inadmissible workloads of every queue in cohort `c` (its quota changed).
    fn queue_inadmissible_cohort(&mut self, c: usize) {
        let member = (0..self.cluster_queues.len()).find(|&i| {
            self.cluster_queues[i]
                .as_ref()
                .is_some_and(|q| q.spec.cohort == Some(c))
        });
        if let Some(m) = member {
            self.queue_inadmissible(m);
        }
    }
}
