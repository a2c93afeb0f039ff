//! The Job controller (upstream pkg/controller/job): pods run to completion, up to
//! parallelism at once, until completions succeed; failures count against backoffLimit,
//! and activeDeadlineSeconds bounds the Job's life.

use super::controllers::{insert_sorted, remove_sorted, PodOwner};
use super::events::EventKind;
use super::objects::*;
use super::workloads::*;
use super::World;

/// The Job controller's first pod re-creation delay after a failure, seconds.
pub const JOB_BACKOFF_INITIAL: f64 = 10.0;
/// Its longest delay (six minutes), seconds.
pub const JOB_BACKOFF_MAX: f64 = 360.0;

impl World {
    /// Creates a Job; returns its id, or `None` when the world holds [`MAX_JOBS`] already.
    pub fn create_job(&mut self, spec: JobSpec) -> Option<u32> {
        let id = self.jobs.iter().position(Option::is_none)? as u32;
        let meta = self.new_meta();
        self.jobs[id as usize] = Some(Job::new(meta, spec, self.time));
        insert_sorted(&mut self.job_ids, id);
        let completions = i64::from(spec.completions);
        self.write(EventKind::JobCreated, Job::name(id), None, completions);
        Some(id)
    }

    /// Deletes a Job; its pods terminate gracefully.
    pub fn delete_job(&mut self, id: u32) {
        let Some(job) = self.job(id).copied() else {
            return;
        };
        self.write(EventKind::JobDeleted, Job::name(id), None, 0);
        self.delete_job_workload(id);
        self.orphan_and_terminate(job.first_pod);
        self.jobs[id as usize] = None;
        remove_sorted(&mut self.job_ids, id);
    }

    /// Makes a Job's containers crash (true) or behave (false); running ones crash at once.
    pub fn set_job_fault(&mut self, id: u32, fault: bool) {
        let Some(job) = self.jobs.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        let rising = fault && !job.spec.fault;
        job.spec.fault = fault;
        let first = job.first_pod;
        if rising {
            self.crash_containers(first);
        }
    }

    /// A Job's pod finished (or was evicted): counted, and a failure delays the next pod.
    pub(super) fn job_pod_finished(&mut self, id: u32, succeeded: bool) {
        let time = self.time;
        let Some(job) = self.jobs.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        if succeeded {
            job.succeeded += 1;
            job.consecutive_failures = 0;
        } else {
            job.failed += 1;
            job.consecutive_failures += 1;
            let exp = (job.consecutive_failures - 1).min(16);
            let delay = (JOB_BACKOFF_INITIAL * f64::from(1u32 << exp)).min(JOB_BACKOFF_MAX);
            job.next_create_at = time + delay;
        }
    }

    pub(super) fn reconcile_jobs(&mut self) {
        for i in 0..self.job_ids.len() {
            let id = self.job_ids[i];
            self.sync_job(id);
        }
    }

    fn sync_job(&mut self, id: u32) {
        let Some(job) = self.job(id).copied() else {
            return;
        };
        if job.condition.is_some() {
            return;
        }
        if job.suspended {
            // spec.suspend: no pods, and no deadline running (the eviction deleted the pods).
            return;
        }
        let spec = job.spec;
        let restarts: u32 = self
            .job_pods(id)
            .filter(|p| p.is_active())
            .map(|p| p.restarts)
            .sum();
        // Upstream: failed > backoffLimit, or (OnFailure) restarts of active pods reach it.
        let past_on_failure = spec.restart_policy != RestartPolicy::Never
            && if spec.backoff_limit == 0 {
                restarts > 0
            } else {
                restarts >= spec.backoff_limit
            };
        let failure = if job.failed > spec.backoff_limit || past_on_failure {
            Some(JobFailureReason::BackoffLimitExceeded)
        } else {
            let deadline = spec.active_deadline_seconds.filter(|d| d.is_finite());
            deadline
                .filter(|&d| self.time - job.start_time >= d)
                .map(|_| JobFailureReason::DeadlineExceeded)
        };
        if let Some(reason) = failure {
            let kind = match reason {
                JobFailureReason::BackoffLimitExceeded => EventKind::JobBackoffLimitExceeded,
                JobFailureReason::DeadlineExceeded => EventKind::JobDeadlineExceeded,
            };
            self.finish_job(id, JobCondition::Failed(reason), kind);
            return;
        }
        let completions = spec.completions.max(1);
        if job.succeeded >= completions {
            self.finish_job(id, JobCondition::Complete, EventKind::JobCompleted);
            return;
        }
        let want = spec.parallelism.min(completions - job.succeeded);
        if job.active > want {
            // Too many: the newest go.
            let mut n = job.active - want;
            let mut cur = job.last_pod;
            while let Some(pod) = self.pods.get(cur).copied() {
                if n == 0 {
                    break;
                }
                if pod.is_active() {
                    self.begin_termination(cur);
                    n -= 1;
                }
                cur = pod.owner_prev;
            }
        } else if job.active < want && self.time >= job.next_create_at {
            let owner = PodOwner {
                kind: OwnerKind::Job,
                id,
                template_hash: 0,
                restart_policy: spec.restart_policy,
                cpu_m: spec.cpu_m,
                memory_mib: spec.memory_mib,
                mana: spec.mana,
                scheduling: spec.scheduling,
            };
            for _ in job.active..want {
                if !self.create_pod(owner) {
                    break;
                }
            }
        }
    }

    /// Sets the Job's terminal condition and deletes its active pods.
    fn finish_job(&mut self, id: u32, condition: JobCondition, kind: EventKind) {
        let Some(job) = self.jobs.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        job.condition = Some(condition);
        let first = job.first_pod;
        let rv = self.write(kind, Job::name(id), None, 0);
        self.finish_job_workload(id, condition == JobCondition::Complete);
        if let Some(job) = self.jobs[id as usize].as_mut() {
            job.meta.resource_version = rv;
        }
        let mut cur = first;
        while let Some(pod) = self.pods.get(cur).copied() {
            if pod.is_active() {
                self.begin_termination(cur);
            }
            cur = pod.owner_next;
        }
    }
}
