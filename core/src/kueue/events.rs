//! Kueue's events: a bounded ring of what happened to workloads, for traces and tests.

/// What happened to a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KueueEventReason {
    /// The workload was created (and queued).
    Created,
    /// QuotaReserved became False with a new reason (`detail`: WaitingForQuota,
    /// NoMatchingFlavor, ExceedsMaxQuota, WaitingForPreemptedWorkloads, Misconfigured).
    Pending,
    /// Quota was reserved (QuotaReserved True).
    QuotaReserved,
    /// Admitted became True.
    Admitted,
    /// Preempted by another workload (`detail`: InClusterQueue, InCohortReclamation,
    /// InCohortReclaimWhileBorrowing).
    Preempted,
    /// Evicted (`detail`: Preempted, PodsReadyTimeout).
    Evicted,
    /// Back in its queue after an eviction (`detail`: the eviction reason, or
    /// BackoffFinished).
    Requeued,
    /// Finished (`detail`: Succeeded, Failed).
    Finished,
    /// The workload was deleted.
    Deleted,
}

/// One event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KueueEvent {
    /// Sequence number, from 1.
    pub seq: u64,
    /// Simulated seconds.
    pub time: f64,
    /// What happened.
    pub reason: KueueEventReason,
    /// The workload's id.
    pub workload: u32,
    /// The workload's uid.
    pub uid: u64,
    /// Its ClusterQueue.
    pub cluster_queue: u32,
    /// The condition reason, as upstream words it.
    pub detail: &'static str,
    /// For Preempted: the preemptor's uid (upstream puts it in the condition's message).
    pub preemptor: u64,
}

/// A ring of the last events.
pub(crate) struct EventRing {
    buf: Vec<KueueEvent>,
    next: usize,
    newest: u64,
}

impl EventRing {
    pub fn with_capacity(capacity: usize) -> EventRing {
        EventRing {
            buf: Vec::with_capacity(capacity.max(1)),
            next: 0,
            newest: 0,
        }
    }

    pub fn push(&mut self, mut e: KueueEvent) {
        self.newest += 1;
        e.seq = self.newest;
        if self.buf.len() < self.buf.capacity() {
            self.buf.push(e);
        } else {
            self.buf[self.next] = e;
        }
        self.next = (self.next + 1) % self.buf.capacity();
    }

    /// Sets the preemptor of the last Preempted event.
    pub fn set_last_preemptor(&mut self, uid: u64) {
        let cap = self.buf.capacity();
        let mut i = (self.next + cap - 1) % cap;
        for _ in 0..self.buf.len() {
            if self.buf[i].reason == KueueEventReason::Preempted {
                self.buf[i].preemptor = uid;
                return;
            }
            i = (i + cap - 1) % cap;
        }
    }

    pub fn newest(&self) -> u64 {
        self.newest
    }

    pub fn since(&self, after: u64) -> impl Iterator<Item = &KueueEvent> {
        let (older, newer) = if self.buf.len() < self.buf.capacity() {
            (&self.buf[..0], &self.buf[..])
        } else {
            (&self.buf[self.next..], &self.buf[..self.next])
        };
        older.iter().chain(newer).filter(move |e| e.seq > after)
    }
}
