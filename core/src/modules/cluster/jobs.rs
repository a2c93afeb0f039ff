//! The hub's side of JOB members: each new SUBMIT count creates a Job; the hub follows each
//! Job to its first running pod and its end, and removes it 30 s after it finished (the TTL
//! controller's ttlSecondsAfterFinished).

use crate::modules::job::job_spec;
use crate::modules::words::{job_desired as jd, job_observed as jo};
use crate::registry::Slot;
use crate::world::{JobCondition, PodState, World};

/// Most Jobs of one JOB module alive at once.
pub const JOBS_PER_MODULE: usize = 8;
/// Most JOB modules one hub follows.
pub const MAX_JOB_MODULES: usize = 64;
/// ttlSecondsAfterFinished of every Job a JOB creates.
pub const JOB_TTL: f64 = 30.0;

/// One Job a JOB module submitted.
#[derive(Debug, Clone, Copy)]
struct Tracked {
    id: u32,
    uid: u64,
    /// Its place in the JOB's creations (1 for the first Job it created).
    serial: u32,
    submitted: f64,
    started: bool,
    /// When it finished (negative: not yet).
    finished: f64,
    /// Its admissions and preemptions already counted.
    admissions: u32,
    preemptions: u32,
}

/// What the hub keeps of one JOB module.
#[derive(Debug, Clone, Copy)]
struct MemberJobs {
    tag: u32,
    submits_seen: u32,
    /// Jobs created so far (a SUBMIT while [`JOBS_PER_MODULE`] are alive creates none).
    created: u32,
    jobs: [Option<Tracked>; JOBS_PER_MODULE],
    started_total: u32,
    complete_total: u32,
    failed_total: u32,
    wait_ms: u32,
    last: u32,
    admissions_total: u32,
    preemptions_total: u32,
}

/// Every JOB module's Jobs.
pub(super) struct JobOwners(Vec<MemberJobs>);

impl JobOwners {
    /// Room for [`MAX_JOB_MODULES`].
    pub fn new() -> JobOwners {
        JobOwners(Vec::with_capacity(MAX_JOB_MODULES))
    }

    /// Creates the Jobs of JOB `tag`'s new SUBMIT counts and passes its FAULT gate on.
    pub fn sync(&mut self, world: &mut World, tag: u32, slot: &Slot) {
        let submits = slot.desired(jd::SUBMITS);
        let m = match self.0.iter().position(|m| m.tag == tag) {
            Some(i) => &mut self.0[i],
            None if self.0.len() < self.0.capacity() => {
                self.0.push(MemberJobs {
                    tag,
                    submits_seen: submits,
                    created: 0,
                    jobs: [None; JOBS_PER_MODULE],
                    started_total: 0,
                    complete_total: 0,
                    failed_total: 0,
                    wait_ms: 0,
                    last: 0,
                    admissions_total: 0,
                    preemptions_total: 0,
                });
                let last = self.0.len() - 1;
                &mut self.0[last]
            }
            None => return,
        };
        let new = submits.wrapping_sub(m.submits_seen);
        m.submits_seen = submits;
        // A count that jumped back or far is a restarted module: nothing to replay.
        let new = if new > 64 { 0 } else { new };
        for _ in 0..new {
            let Some(free) = m.jobs.iter().position(Option::is_none) else {
                break;
            };
            let spec = job_spec(slot);
            if let Some(id) = world.create_job(spec) {
                let uid = world.job(id).map_or(0, |j| j.meta.uid);
                m.created = m.created.wrapping_add(1);
                m.jobs[free] = Some(Tracked {
                    id,
                    uid,
                    serial: m.created,
                    submitted: world.time(),
                    started: false,
                    finished: -1.0,
                    admissions: 0,
                    preemptions: 0,
                });
            }
        }
        let fault = slot.desired(jd::FAULT) != 0;
        for t in m.jobs.iter().flatten() {
            world.set_job_fault(t.id, fault);
        }
    }

    /// How many Jobs JOB `tag` created so far, and the serials (1 for its first) of those
    /// alive now (0: a free place).
    pub fn created(&self, tag: u32) -> (u32, [u32; JOBS_PER_MODULE]) {
        let mut alive = [0; JOBS_PER_MODULE];
        let Some(m) = self.0.iter().find(|m| m.tag == tag) else {
            return (0, alive);
        };
        for (out, t) in alive.iter_mut().zip(&m.jobs) {
            *out = t.map_or(0, |t| t.serial);
        }
        (m.created, alive)
    }

    /// JOB `tag` left: its Jobs are deleted (their pods terminate gracefully).
    pub fn release(&mut self, world: &mut World, tag: u32) {
        if let Some(i) = self.0.iter().position(|m| m.tag == tag) {
            for t in self.0[i].jobs.iter().flatten() {
                world.delete_job(t.id);
            }
            self.0.swap_remove(i);
        }
    }

    /// Follows every tracked Job (first running pod, end, TTL) and writes what JOB `tag`
    /// observes.
    pub fn publish(&mut self, world: &mut World, tag: u32, slot: &Slot) {
        let Some(m) = self.0.iter_mut().find(|m| m.tag == tag) else {
            return;
        };
        let now = world.time();
        let (mut active, mut running, mut waiting) = (0, 0, 0);
        for entry in m.jobs.iter_mut() {
            let Some(t) = entry.as_mut() else { continue };
            let Some(job) = world.job(t.id).filter(|j| j.meta.uid == t.uid).copied() else {
                *entry = None;
                continue;
            };
            m.admissions_total = m
                .admissions_total
                .wrapping_add(job.admissions.wrapping_sub(t.admissions));
            m.preemptions_total = m
                .preemptions_total
                .wrapping_add(job.preemptions.wrapping_sub(t.preemptions));
            (t.admissions, t.preemptions) = (job.admissions, job.preemptions);
            let pods_running = world
                .job_pods(t.id)
                .filter(|p| p.state == PodState::Running && !p.terminating)
                .count() as u32;
            if !t.started && pods_running > 0 {
                t.started = true;
                m.started_total = m.started_total.wrapping_add(1);
                m.wait_ms = ((now - t.submitted) * 1000.0).round() as u32;
            }
            if t.finished < 0.0 {
                match job.condition {
                    Some(JobCondition::Complete) => {
                        t.finished = now;
                        m.complete_total = m.complete_total.wrapping_add(1);
                        m.last = 1;
                    }
                    Some(JobCondition::Failed(_)) => {
                        t.finished = now;
                        m.failed_total = m.failed_total.wrapping_add(1);
                        m.last = 2;
                    }
                    None => {}
                }
            }
            if t.finished >= 0.0 && now - t.finished >= JOB_TTL {
                world.delete_job(t.id);
                *entry = None;
                continue;
            }
            active += job.active;
            running += pods_running;
            waiting += u32::from(!t.started && t.finished < 0.0);
        }
        slot.set_observed(jo::SUBMITS_SEEN, m.submits_seen);
        slot.set_observed(jo::STARTED_TOTAL, m.started_total);
        slot.set_observed(jo::COMPLETE_TOTAL, m.complete_total);
        slot.set_observed(jo::FAILED_TOTAL, m.failed_total);
        slot.set_observed(jo::ACTIVE, active);
        slot.set_observed(jo::RUNNING, running);
        slot.set_observed(jo::WAITING, waiting);
        slot.set_observed(jo::WAIT_MS, m.wait_ms);
        slot.set_observed(jo::LAST, m.last);
        slot.set_observed(jo::ADMISSIONS, m.admissions_total);
        slot.set_observed(jo::PREEMPTIONS, m.preemptions_total);
    }
}
