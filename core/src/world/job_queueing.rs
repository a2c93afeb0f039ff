//! Kueue's Job integration (upstream `pkg/controller/jobs/job`): a Job naming a queue is
//! created suspended and gets a Workload of one pod set (parallelism pods with the template's
//! requests, node selector and tolerations). Admission unsuspends it and injects the assigned
//! flavor's node labels into the pod template; eviction suspends it, which deletes its active
//! pods; the Job's end finishes the Workload.
//!
//! Simplified: quota is released at eviction (upstream waits until the Job's pods are gone),
//! and a Job's startTime restarts when it is resumed, so activeDeadlineSeconds counts from the
//! latest admission.

use super::events::EventKind;
use super::mana::essence_index;
use super::names::{ObjectKind, ObjectName};
use super::objects::NONE;
use super::queueing::{mana_resource, MAX_CLUSTER_QUEUES};
use super::workloads::JobSpec;
use super::World;
use crate::forge::ESSENCES;
use crate::kueue::*;

/// The Workload of Job `id`, named as Kueue names it (`job-<job name>-<hash>`).
pub fn workload_name(job: u32) -> ObjectName {
    ObjectName {
        kind: ObjectKind::Workload,
        owner: job,
        revision: 0,
        id: 0,
    }
}

/// Condition reasons Kueue events carry, in the order of their detail codes.
pub const KUEUE_REASONS: [&str; 17] = [
    "",
    "WaitingForQuota",
    "NoMatchingFlavor",
    "ExceedsMaxQuota",
    "WaitingForPreemptedWorkloads",
    "Misconfigured",
    "InClusterQueue",
    "InCohortReclamation",
    "InCohortReclaimWhileBorrowing",
    "Preempted",
    "PodsReadyTimeout",
    "BackoffFinished",
    "Succeeded",
    "Failed",
    "Admitted",
    "Pending",
    "InCohortFairSharing",
];

fn reason_code(detail: &str) -> u64 {
    KUEUE_REASONS.iter().position(|r| *r == detail).unwrap_or(0) as u64
}

/// The reason a Kueue event's detail code stands for.
pub fn kueue_reason(code: u64) -> &'static str {
    KUEUE_REASONS.get(code as usize).copied().unwrap_or("")
}

/// The Workload a queued Job asks for.
fn workload_spec(local_queue: usize, spec: &JobSpec) -> WorkloadSpec {
    let mut pod_set = PodSet::new(spec.parallelism.max(1), &[]);
    pod_set.requests = requests(spec);
    if let Some(e) = super::mana::essence(spec.scheduling.node_selector_energy) {
        pod_set.node_selector[0] = Some(Label {
            key: super::mana::LABEL_ENERGY,
            value: e.name(),
        });
    }
    if let Some(e) = super::mana::essence(spec.scheduling.tolerates_energy) {
        pod_set.tolerations[0] = Some(Toleration::of(Taint {
            key: super::mana::LABEL_ENERGY,
            value: e.name(),
            effect: crate::kueue::TaintEffect::NoSchedule,
        }));
    }
    let mut w = WorkloadSpec::single(local_queue, pod_set);
    w.pod_priority = spec.scheduling.priority;
    let class = spec.queueing.priority_class;
    if (1..=4).contains(&class) {
        w.priority_class = Some(usize::from(class - 1));
    }
    w
}

/// Per-pod requests as Kueue quantities.
fn requests(spec: &JobSpec) -> Quantities {
    let mut q = [0; NUM_RESOURCES];
    q[ResourceName::Cpu.index()] = i64::from(spec.cpu_m);
    q[ResourceName::Memory.index()] = i64::from(spec.memory_mib);
    if let Some(e) = super::mana::essence(spec.mana.essence) {
        q[mana_resource(e).index()] = i64::from(spec.mana.amount);
    }
    q
}

impl World {
    /// Creates the Workload of every suspended, queued Job that has none yet (its LocalQueue
    /// may not have existed when the Job was made).
    pub(super) fn create_missing_workloads(&mut self) {
        for k in 0..self.job_ids.len() {
            let id = self.job_ids[k];
            let Some(job) = self.job(id).copied() else {
                continue;
            };
            if job.workload != NONE || !job.spec.queueing.is_queued() || job.condition.is_some() {
                continue;
            }
            let Some(lq) = self.queueing.index(job.spec.queueing.queue) else {
                continue;
            };
            if lq >= MAX_CLUSTER_QUEUES {
                continue;
            }
            let Some(wl) = self
                .queueing
                .kueue
                .create_workload(workload_spec(lq, &job.spec))
            else {
                continue;
            };
            if let Some(slot) = self.queueing.job_of_workload.get_mut(wl as usize) {
                *slot = id;
            }
            if let Some(j) = self.jobs[id as usize].as_mut() {
                j.workload = wl;
            }
        }
    }

    /// Applies one Kueue event to the world: its trace, counters and the Job it concerns.
    pub(super) fn on_kueue_event(&mut self, e: KueueEvent) {
        let job = self
            .queueing
            .job_of_workload
            .get(e.workload as usize)
            .copied()
            .unwrap_or(NONE);
        let cq = e.cluster_queue as usize;
        let kind = match e.reason {
            KueueEventReason::Created => EventKind::WorkloadCreated,
            KueueEventReason::Pending => EventKind::WorkloadPending,
            KueueEventReason::QuotaReserved => EventKind::QuotaReserved,
            KueueEventReason::Admitted => EventKind::WorkloadAdmitted,
            KueueEventReason::Preempted => EventKind::WorkloadPreempted,
            KueueEventReason::Evicted => EventKind::WorkloadEvicted,
            KueueEventReason::Requeued => EventKind::WorkloadRequeued,
            KueueEventReason::Finished => EventKind::WorkloadFinished,
            KueueEventReason::Deleted => EventKind::WorkloadDeleted,
        };
        if job == NONE {
            return;
        }
        self.write_detail(kind, workload_name(job), None, 0, reason_code(e.detail));
        match e.reason {
            KueueEventReason::Admitted => {
                if let Some(n) = self.queueing.admissions.get_mut(cq) {
                    *n += 1;
                }
                self.resume_job(job, e.workload);
            }
            KueueEventReason::Preempted => {
                if let Some(n) = self.queueing.preemptions.get_mut(cq) {
                    *n += 1;
                }
            }
            KueueEventReason::Evicted => self.suspend_job(job),
            KueueEventReason::Deleted => {
                if let Some(slot) = self.queueing.job_of_workload.get_mut(e.workload as usize) {
                    *slot = NONE;
                }
            }
            _ => {}
        }
    }

    /// Admission: spec.suspend false, the flavor's node labels in the pod template.
    fn resume_job(&mut self, id: u32, workload: u32) {
        let flavor = self.queueing.kueue.pod_set_flavor(workload, 0).copied();
        let energy = flavor.and_then(|f| f.label(super::mana::LABEL_ENERGY));
        let time = self.time;
        let Some(job) = self.jobs.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        if !job.suspended {
            return;
        }
        job.suspended = false;
        job.start_time = time;
        job.next_create_at = time;
        job.admissions += 1;
        if job.admitted_at.is_none() {
            job.admitted_at = Some(time);
        }
        if let Some(e) = ESSENCES.into_iter().find(|e| Some(e.name()) == energy) {
            job.spec.scheduling.node_selector_energy = essence_index(e);
        }
        self.write(
            EventKind::JobResumed,
            super::workloads::Job::name(id),
            None,
            0,
        );
    }

    /// Eviction: spec.suspend true; the Job controller deletes the active pods.
    fn suspend_job(&mut self, id: u32) {
        let Some(job) = self.jobs.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        if job.suspended || job.condition.is_some() {
            return;
        }
        job.suspended = true;
        job.preemptions += 1;
        let first = job.first_pod;
        self.write(
            EventKind::JobSuspended,
            super::workloads::Job::name(id),
            None,
            0,
        );
        let mut cur = first;
        while let Some(pod) = self.pods.get(cur).copied() {
            if pod.is_active() {
                self.begin_termination(cur);
            }
            cur = pod.owner_next;
        }
    }

    /// The Job ended: its Workload is Finished.
    pub(super) fn finish_job_workload(&mut self, id: u32, succeeded: bool) {
        let Some(wl) = self.job(id).map(|j| j.workload).filter(|&w| w != NONE) else {
            return;
        };
        self.queueing.kueue.finish_workload(wl, succeeded);
    }

    /// The Job is gone: so is its Workload.
    pub(super) fn delete_job_workload(&mut self, id: u32) {
        let Some(wl) = self.job(id).map(|j| j.workload).filter(|&w| w != NONE) else {
            return;
        };
        self.queueing.kueue.delete_workload(wl);
        if let Some(slot) = self.queueing.job_of_workload.get_mut(wl as usize) {
            *slot = NONE;
        }
    }
}
