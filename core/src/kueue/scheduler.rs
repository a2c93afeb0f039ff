//! The admission cycle (`pkg/scheduler/scheduler.go`): take the head of every ClusterQueue,
//! nominate a flavor assignment for each, order them (requests within nominal quota before
//! borrowing ones, then priority, then FIFO; or by DominantResourceShare under fair sharing),
//! then admit, preempt for, or requeue each in turn against the quota left by those before it.

use super::cluster_queue::QueueingStrategy;
use super::fair_sharing::Drs;
use super::flavor_assigner::{Assignment, FlavorAssignmentMode};
use super::workload::{set_condition, Admission};
use super::{Kueue, KueueEventReason};

/// One head in a cycle.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    id: u32,
    assignment: Assignment,
    done: bool,
    /// Under fair sharing: its queue's DominantResourceShare with its request. A queue's
    /// share depends on its own usage only, so it changes within a cycle only when a
    /// preemption takes from that queue.
    drs: Drs,
}

/// What scheduling cycles did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CycleStats {
    /// Cycles run.
    pub cycles: u64,
    /// Heads decided on (admitted, preempted for, or requeued).
    pub decisions: u64,
    /// Workloads admitted.
    pub admitted: u64,
    /// Workloads preempted.
    pub preempted: u64,
    /// Heads set aside as inadmissible.
    pub inadmissible: u64,
}

impl CycleStats {
    fn add(&mut self, o: CycleStats) {
        self.cycles += o.cycles;
        self.decisions += o.decisions;
        self.admitted += o.admitted;
        self.preempted += o.preempted;
        self.inadmissible += o.inadmissible;
    }
}

impl Kueue {
    /// Advances to `now` (simulated seconds; ignored unless later and finite), requeues
    /// workloads whose backoff ended, and runs scheduling cycles until one changes nothing
    /// (at most `max_cycles_per_step`).
    pub fn step(&mut self, now: f64) -> CycleStats {
        self.set_time(now);
        self.expire_backoffs();
        let mut total = CycleStats::default();
        for _ in 0..self.config.max_cycles_per_step {
            let s = self.schedule();
            total.add(s);
            if s.decisions == 0 || (s.admitted == 0 && s.preempted == 0 && s.inadmissible == 0) {
                break;
            }
        }
        total
    }

    /// Advances the clock to `now` without scheduling (ignored unless later and finite).
    pub fn set_time(&mut self, now: f64) {
        if now.is_finite() && now > self.time {
            self.time = now;
        }
    }

    /// Runs one scheduling cycle.
    pub fn schedule(&mut self) -> CycleStats {
        self.cycle += 1;
        self.stats = CycleStats {
            cycles: 1,
            ..CycleStats::default()
        };
        self.entries.clear();
        for cq in 0..self.cluster_queues.len() {
            if let Some(id) = self.pop_head(cq) {
                self.entries.push(Entry {
                    id,
                    assignment: Assignment::EMPTY,
                    done: false,
                    drs: Drs::ZERO,
                });
            }
        }
        // A preemptor whose victims have left takes the quota it holds before anyone else
        // is considered (upstream: the freed quota goes to the head that preempted for it).
        for i in 0..self.entries.len() {
            let id = self.entries[i].id;
            if self.wl(id).preemption_reservation.is_some() {
                self.drop_reservation(id);
                self.entries[i].assignment = self.assign_flavors(id);
                self.decide(i);
            }
        }
        for i in 0..self.entries.len() {
            if !self.entries[i].done {
                self.entries[i].assignment = self.assign_flavors(self.entries[i].id);
            }
        }
        if self.config.fair_sharing {
            self.update_shares();
        } else {
            self.sort_classical();
        }
        for _ in 0..self.entries.len() {
            let next = if self.config.fair_sharing {
                self.next_fair()
            } else {
                self.entries.iter().position(|e| !e.done)
            };
            let Some(i) = next else { break };
            let preempted = self.stats.preempted;
            self.decide(i);
            if self.config.fair_sharing && self.stats.preempted != preempted {
                self.update_shares();
            }
        }
        self.stats
    }

    /// Admits, preempts for or requeues entry `i`, once.
    fn decide(&mut self, i: usize) {
        self.entries[i].done = true;
        self.process_entry(i);
        self.stats.decisions += 1;
    }

    /// The classical order: within nominal quota first, higher priority, older first.
    fn sort_classical(&mut self) {
        let slots = &self.workloads;
        self.entries.sort_unstable_by(|a, b| {
            let (wa, wb) = (
                slots[a.id as usize].as_ref().expect("live"),
                slots[b.id as usize].as_ref().expect("live"),
            );
            a.assignment
                .borrows
                .cmp(&b.assignment.borrows)
                .then(wb.priority.cmp(&wa.priority))
                .then(wa.queue_order_time.total_cmp(&wb.queue_order_time))
                .then(wa.uid.cmp(&wb.uid))
        });
    }

    /// Computes the share of every entry left (with its request).
    fn update_shares(&mut self) {
        for i in 0..self.entries.len() {
            let e = self.entries[i];
            if !e.done {
                let cq = self.wl(e.id).cluster_queue;
                self.entries[i].drs = self.dominant_resource_share(cq, &e.assignment.usage);
            }
        }
    }

    /// The next entry under fair sharing: the first left; if its queue is in a cohort, the
    /// tournament winner of that cohort (lowest DominantResourceShare with its request, then
    /// higher priority, then older).
    fn next_fair(&mut self) -> Option<usize> {
        let first = self.entries.iter().position(|e| !e.done)?;
        let Some(cohort) = self
            .cq(self.wl(self.entries[first].id).cluster_queue)
            .spec
            .cohort
        else {
            return Some(first);
        };
        let mut best: Option<(usize, Drs)> = None;
        for i in first..self.entries.len() {
            let e = &self.entries[i];
            let wl = self.wl(e.id);
            if e.done || self.cq(wl.cluster_queue).spec.cohort != Some(cohort) {
                continue;
            }
            let drs = e.drs;
            let better = match best {
                None => true,
                Some((b, bdrs)) => {
                    let wb = self.wl(self.entries[b].id);
                    drs.compare(bdrs)
                        .then(wb.priority.cmp(&wl.priority))
                        .then(wl.queue_order_time.total_cmp(&wb.queue_order_time))
                        .is_lt()
                }
            };
            if better {
                best = Some((i, drs));
            }
        }
        best.map(|(i, _)| i)
    }

    fn process_entry(&mut self, i: usize) {
        let Entry { id, assignment, .. } = self.entries[i];
        let cq = self.wl(id).cluster_queue;
        let strict = self.cq(cq).spec.queueing_strategy == QueueingStrategy::StrictFIFO;
        match assignment.mode {
            FlavorAssignmentMode::NoFit => {
                self.set_pending(id, assignment.reason);
                self.requeue_counted(id, strict);
            }
            FlavorAssignmentMode::Preempt => {
                if !self.preemption_targets(id, assignment.need_preemption, &assignment.usage) {
                    self.set_pending(id, "WaitingForQuota");
                    self.requeue_counted(id, strict);
                    return;
                }
                self.remove_targets(true);
                let fits = self.workload_fits(cq, &assignment.usage, true);
                self.remove_targets(false);
                if !fits {
                    self.set_pending(id, "WaitingForQuota");
                    self.requeue(id, true);
                    return;
                }
                for t in 0..self.targets.len() {
                    let target = self.targets[t];

                    self.evict(target.id, "Preempted", Some(target.variant.reason()));
                    let preemptor = self.wl(id).uid;
                    self.events.set_last_preemptor(preemptor);
                    // Its pods stop before it can be admitted again: back at the next step.
                    self.wl_mut(target.id).parked = true;
                    self.push_backoff(target.id);
                    self.stats.preempted += 1;
                }
                self.hold_reservation(cq, &assignment.usage, 1);
                self.wl_mut(id).preemption_reservation = Some(assignment.flavors);
                self.set_pending(id, "WaitingForPreemptedWorkloads");
                self.requeue(id, true);
            }
            FlavorAssignmentMode::Fit => {
                if self.workload_fits(cq, &assignment.usage, true) {
                    self.admit(id, &assignment);
                } else {
                    self.set_pending(id, "WaitingForQuota");
                    self.requeue(id, true);
                }
            }
        }
    }

    /// Gives back the quota a preemptor held while its victims left.
    pub(crate) fn drop_reservation(&mut self, id: u32) {
        let wl = self.wl_mut(id);
        let Some(flavors) = wl.preemption_reservation.take() else {
            return;
        };
        let spec = wl.spec;
        let cq = wl.cluster_queue;
        let mut usage = self.scratch_usage;
        usage.iter_mut().for_each(|row| row.fill(0));
        super::workload::add_assigned_usage(&spec, &flavors, &mut usage);
        self.hold_reservation(cq, &usage, -1);
    }

    /// Adds (`sign` 1) or gives back (-1) a preemptor's reservation of `usage`.
    fn hold_reservation(
        &mut self,
        cq: usize,
        usage: &super::resources::FlavorQuantities,
        sign: i64,
    ) {
        self.add_usage(cq, usage, sign);
        let reserved = &mut self.cq_mut(cq).quota.reserved;
        for (row, add) in reserved.iter_mut().zip(usage) {
            for (r, a) in row.iter_mut().zip(add) {
                *r += sign * a;
            }
        }
    }

    /// Requeues a head that cannot be admitted, counting it when it is set aside.
    fn requeue_counted(&mut self, id: u32, immediate: bool) {
        self.requeue(id, immediate);
        if self.wl(id).position == super::workload::QueuePosition::Inadmissible {
            self.stats.inadmissible += 1;
        }
    }

    /// QuotaReserved False with `reason` (an event only when the reason changes).
    fn set_pending(&mut self, id: u32, reason: &'static str) {
        let now = self.time;
        let wl = self.wl_mut(id);
        if set_condition(&mut wl.conditions.quota_reserved, false, reason, now) {
            self.event(KueueEventReason::Pending, id, reason);
        }
    }

    /// Reserves quota and admits (no admission checks: Admitted follows at once).
    fn admit(&mut self, id: u32, a: &Assignment) {
        let now = self.time;
        let cq = self.wl(id).cluster_queue;
        self.add_usage(cq, &a.usage, 1);
        let wl = self.wl_mut(id);
        wl.admission = Some(Admission {
            cluster_queue: cq,
            flavors: a.flavors,
        });
        let c = &mut wl.conditions;
        set_condition(&mut c.quota_reserved, true, "QuotaReserved", now);
        set_condition(&mut c.admitted, true, "Admitted", now);
        if c.evicted.is_some() {
            set_condition(&mut c.evicted, false, "QuotaReserved", now);
        }
        if c.preempted.is_some() {
            set_condition(&mut c.preempted, false, "QuotaReserved", now);
        }
        self.link_admitted(id);
        self.event(KueueEventReason::QuotaReserved, id, "QuotaReserved");
        self.event(KueueEventReason::Admitted, id, "Admitted");
        self.stats.admitted += 1;
    }

    /// Evicts an admitted workload: its quota is released and the conditions say why
    /// (`preempted`: the Preempted condition's reason). The caller requeues it.
    pub(crate) fn evict(&mut self, id: u32, reason: &'static str, preempted: Option<&'static str>) {
        self.release_quota(id);
        let now = self.time;
        let wl = self.wl_mut(id);
        wl.admission = None;
        let c = &mut wl.conditions;
        set_condition(&mut c.evicted, true, reason, now);
        set_condition(&mut c.quota_reserved, false, "Pending", now);
        set_condition(&mut c.admitted, false, "NoReservation", now);
        if let Some(p) = preempted {
            set_condition(&mut c.preempted, true, p, now);
            set_condition(&mut c.requeued, true, reason, now);
        } else {
            set_condition(&mut c.requeued, false, reason, now);
        }
        if let Some(p) = preempted {
            self.event(KueueEventReason::Preempted, id, p);
        }
        self.event(KueueEventReason::Evicted, id, reason);
        if preempted.is_some() {
            self.event(KueueEventReason::Requeued, id, reason);
        }
    }
}
