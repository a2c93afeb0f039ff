//! JOB: each SUBMIT trigger creates a batch Job with the knobs' settings; the hub's Job
//! controller runs its pods to completion. Started, finished and failed Jobs fire triggers;
//! running pods, active pods and the latest wait show as a gate and CVs.

use std::sync::Arc;

use kuberack_protocol::modules::job::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::ModuleDescriptor;
use serde::Deserialize;

use super::claim_settings::{pack_claim, unpack_claim, ClaimSettings};
use super::membership::{EventTrigger, Membership};
use super::scheduling_settings::PodTermsSettings;
use super::words::{job_desired as jd, job_observed as jo};
use crate::dsp::SchmittTrigger;
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, Slot, SlotHandle, SlotKind};
use crate::world::constraints::{SchedulingSpec, PRIORITY_CLASSES};
use crate::world::mana::Mana;
use crate::world::queueing::JobQueueing;
use crate::world::{JobSpec, PodClaim, RestartPolicy, NONE};

/// The JOB module.
pub struct JobModule {
    slot: SlotHandle,
    membership: Membership,
    submit: SchmittTrigger,
    fault: SchmittTrigger,
    submits: u32,
    started: EventTrigger,
    finished: EventTrigger,
    failed: EventTrigger,
    admitted: EventTrigger,
    preempted: EventTrigger,
    /// The pod template's resource claim, as saved.
    claim_settings: ClaimSettings,
    claim: PodClaim,
    /// The pod template's typed labels, tolerations and node affinity, as saved, and their
    /// interned id.
    pod_terms: PodTermsSettings,
    terms_id: u16,
}

impl JobModule {
    /// A JOB not yet joined to any hub; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<JobModule> {
        Some(JobModule {
            slot: registry.claim(SlotKind::Job)?,
            membership: Membership::default(),
            submit: SchmittTrigger::default(),
            fault: SchmittTrigger::default(),
            submits: 0,
            started: EventTrigger::default(),
            finished: EventTrigger::default(),
            failed: EventTrigger::default(),
            admitted: EventTrigger::default(),
            preempted: EventTrigger::default(),
            claim_settings: ClaimSettings::default(),
            claim: PodClaim::NONE,
            pod_terms: PodTermsSettings::default(),
            terms_id: 0,
        })
    }
}

impl JobModule {
    fn triggers(&mut self) -> [&mut EventTrigger; 5] {
        [
            &mut self.started,
            &mut self.finished,
            &mut self.failed,
            &mut self.admitted,
            &mut self.preempted,
        ]
    }
}

/// The Job a JOB's slot asks for.
pub fn job_spec(slot: &Slot) -> JobSpec {
    let deadline = slot.desired(jd::DEADLINE_S);
    let claim = unpack_claim(slot.desired(jd::CLAIM));
    JobSpec {
        completions: slot.desired(jd::COMPLETIONS).max(1),
        parallelism: slot.desired(jd::PARALLELISM).max(1),
        backoff_limit: slot.desired(jd::BACKOFF),
        active_deadline_seconds: (deadline > 0).then_some(f64::from(deadline)),
        restart_policy: if slot.desired(jd::ON_FAILURE) != 0 {
            RestartPolicy::OnFailure
        } else {
            RestartPolicy::Never
        },
        cpu_m: slot.desired(jd::CPU_M),
        memory_mib: slot.desired(jd::MEMORY_MIB),
        mana: Mana::NONE,
        claim,
        run_seconds: f64::from(slot.desired(jd::DURATION_MS)) / 1000.0,
        fault: slot.desired(jd::FAULT) != 0,
        scheduling: SchedulingSpec {
            priority: slot.desired(jd::PRIORITY) as i32,
            // The claim's wells are on nodes tainted with their essence.
            tolerates_energy: claim.essence,
            terms: slot.desired(jd::TERMS).min(u32::from(u16::MAX)) as u16,
            ..SchedulingSpec::default()
        },
        queueing: JobQueueing {
            queue: match slot.desired(jd::QUEUE) {
                0 => NONE,
                tag => tag,
            },
            priority_class: 0,
        },
    }
}

impl Module for JobModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        EventTrigger::set_sample_rates(&mut self.triggers(), sample_rate);
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        self.membership.follow(
            &self.slot,
            io,
            input::API,
            &mut [
                &mut self.started,
                &mut self.finished,
                &mut self.failed,
                &mut self.admitted,
                &mut self.preempted,
            ],
        );
        let slot = self.slot.slot();
        if self.submit.process(io.input(input::SUBMIT, 0)) {
            self.submits = self.submits.wrapping_add(1);
        }
        self.fault.process(io.input(input::FAULT, 0));
        let whole = |index| io.param_in(&DESCRIPTOR, index).round() as u32;
        slot.set_desired(jd::SUBMITS, self.submits);
        slot.set_desired(jd::PARALLELISM, whole(param::PARALLELISM));
        slot.set_desired(jd::COMPLETIONS, whole(param::COMPLETIONS));
        let duration = io.param_in(&DESCRIPTOR, param::DURATION);
        slot.set_desired(jd::DURATION_MS, (duration * 1000.0).round() as u32);
        slot.set_desired(jd::CPU_M, whole(param::CPU) * 10);
        slot.set_desired(jd::MEMORY_MIB, whole(param::MEMORY) * 16);
        slot.set_desired(jd::BACKOFF, whole(param::BACKOFF));
        slot.set_desired(jd::DEADLINE_S, whole(param::DEADLINE));
        slot.set_desired(jd::ON_FAILURE, u32::from(whole(param::RESTART) >= 1));
        let class = (whole(param::PRIORITY) as usize).min(3);
        slot.set_desired(jd::PRIORITY, PRIORITY_CLASSES[class].1 as u32);
        slot.set_desired(jd::FAULT, u32::from(self.fault.is_high()));
        let queue = io.reference(input::QUEUE);
        slot.set_desired(jd::QUEUE, queue);
        slot.set_desired(jd::CLAIM, pack_claim(&self.claim));
        slot.set_desired(jd::TERMS, u32::from(self.terms_id));

        let joined = self.membership.hub() != 0;
        let observed = |word| if joined { slot.observed(word) } else { 0 };
        let started = self.started.process(observed(jo::STARTED_TOTAL));
        io.set_mono(output::STARTED, started);
        let finished = self.finished.process(observed(jo::COMPLETE_TOTAL));
        io.set_mono(output::FINISHED, finished);
        let failed = self.failed.process(observed(jo::FAILED_TOTAL));
        io.set_mono(output::FAILED, failed);
        let admitted = self.admitted.process(observed(jo::ADMISSIONS));
        io.set_mono(output::ADMITTED, admitted);
        let preempted = self.preempted.process(observed(jo::PREEMPTIONS));
        io.set_mono(output::PREEMPTED, preempted);
        let running = observed(jo::RUNNING);
        io.set_mono(output::RUNNING, if running > 0 { 10.0 } else { 0.0 });
        let active = observed(jo::ACTIVE);
        io.set_mono(output::ACTIVE, (active as f32 * 0.5).min(10.0));
        let wait_s = observed(jo::WAIT_MS) as f32 / 1000.0;
        io.set_mono(output::WAIT, (wait_s * 0.1).min(10.0));
        let lit = |on: bool| if on { 1.0 } else { 0.0 };
        io.set_light(light::WAITING, lit(observed(jo::WAITING) > 0));
        io.set_light(light::RUNNING, lit(running > 0));
        let last = observed(jo::LAST);
        io.set_light(light::COMPLETE, lit(last == 1));
        io.set_light(light::FAILED, lit(last == 2));
    }

    fn reset(&mut self) {
        self.membership.reset();
        for t in self.triggers() {
            t.reset();
        }
        // Initialize returns the context-menu settings to their defaults too.
        self.claim_settings = ClaimSettings::default();
        self.claim = PodClaim::NONE;
        (self.pod_terms, self.terms_id) = (PodTermsSettings::default(), 0);
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({
            "resourceClaim": self.claim_settings,
            "scheduling": self.pod_terms,
        })
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("JOB", state)?;
        let terms_result;
        (self.pod_terms, self.terms_id, terms_result) = PodTermsSettings::load("JOB", state);
        let parsed = match state.get("resourceClaim") {
            None => Ok(ClaimSettings::default()),
            Some(v) => ClaimSettings::deserialize(v).map_err(|e| e.to_string()),
        };
        match parsed.and_then(|s| s.to_claim().map(|claim| (s, claim))) {
            Ok((settings, claim)) => {
                self.claim_settings = settings;
                self.claim = claim;
                terms_result
            }
            Err(e) => {
                self.claim_settings = ClaimSettings::default();
                self.claim = PodClaim::NONE;
                Err(LoadError(format!(
                    "JOB resource claim settings: {e}; using defaults"
                )))
            }
        }
    }

    fn set_rack_id(&mut self, id: u64) {
        self.slot.slot().set_rack_id(id);
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
