//! DEPLOYMENT: publishes spec.replicas, the pod template (requests, image tag bumped per
//! ROLLOUT), the strategy, ROLLBACK requests and FAULT; shows ready pods as a pitch, gates and
//! lights, rollout progress as a CV, and fires triggers as pods are created, become Ready and go.

use std::sync::Arc;

use serde::Deserialize;

use kuberack_protocol::modules::deployment::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::tag::tag_to_volts;
use kuberack_protocol::ModuleDescriptor;

use super::membership::{CounterWatch, Membership};
use super::scheduling_settings::SchedulingSettings;
use super::words::{deployment_desired as dd, deployment_observed as dobs};
use crate::dsp::{PulseTrain, SchmittTrigger};
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, SlotHandle, SlotKind};
use crate::world::constraints::SchedulingSpec;
use crate::world::terms::table;

/// Most replicas knob plus CV can ask for (the knob reaches 5,000: 30 DEPLOYMENTs make
/// Kubernetes' 150,000-pod limit).
pub const MAX_REPLICAS: u32 = 10_000;
/// Extra distance past the half-way point before replicas change: keeps an LFO from chattering.
pub const REPLICAS_HYSTERESIS: f32 = 0.15;

/// The DEPLOYMENT module.
pub struct DeploymentModule {
    slot: SlotHandle,
    membership: Membership,
    replicas: u32,
    rollout: SchmittTrigger,
    rollback: SchmittTrigger,
    fault: SchmittTrigger,
    /// The image tag: ROLLOUT triggers so far.
    image: u32,
    /// ROLLBACK triggers so far.
    rollbacks: u32,
    created: CounterWatch,
    became_ready: CounterWatch,
    deleted: CounterWatch,
    created_pulses: PulseTrain,
    ready_pulses: PulseTrain,
    deleted_pulses: PulseTrain,
    /// The pod template's scheduling settings, as saved.
    scheduling: SchedulingSettings,
    scheduling_spec: SchedulingSpec,
    /// The interned terms a manifest of its Deployment writes (shortcuts included).
    manifest_terms: u16,
}

impl DeploymentModule {
    /// A Deployment not yet in any cluster; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<DeploymentModule> {
        Some(DeploymentModule {
            slot: registry.claim(SlotKind::Deployment)?,
            membership: Membership::default(),
            replicas: DESCRIPTOR.params[param::REPLICAS].default as u32,
            rollout: SchmittTrigger::default(),
            rollback: SchmittTrigger::default(),
            fault: SchmittTrigger::default(),
            image: 0,
            rollbacks: 0,
            created: CounterWatch::default(),
            became_ready: CounterWatch::default(),
            deleted: CounterWatch::default(),
            created_pulses: PulseTrain::new(48_000.0),
            ready_pulses: PulseTrain::new(48_000.0),
            deleted_pulses: PulseTrain::new(48_000.0),
            scheduling: SchedulingSettings::default(),
            scheduling_spec: SchedulingSettings::default().to_spec().unwrap_or_default(),
            manifest_terms: 0,
        })
    }

    /// The replicas currently asked for (knob plus CV, after hysteresis).
    pub fn replicas(&self) -> u32 {
        self.replicas
    }
}

/// Quantises knob + CV to replicas with hysteresis around each step.
pub fn quantise_replicas(current: u32, wanted: f32) -> u32 {
    let wanted = wanted.clamp(0.0, MAX_REPLICAS as f32);
    if (wanted - current as f32).abs() > 0.5 + REPLICAS_HYSTERESIS {
        wanted.round() as u32
    } else {
        current
    }
}

/// PROGRESS in volts: 10 V x updated / replicas; 10 V at 0 replicas, 0 V when not joined.
pub fn rollout_progress(joined: bool, updated: u32, replicas: u32) -> f32 {
    if !joined {
        0.0
    } else if replicas == 0 {
        10.0
    } else {
        (10.0 * updated as f32 / replicas as f32).min(10.0)
    }
}

fn knob(io: &ProcessIo<'_>, index: usize) -> f32 {
    io.param_in(&DESCRIPTOR, index)
}

impl Module for DeploymentModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            for p in [
                &mut self.created_pulses,
                &mut self.ready_pulses,
                &mut self.deleted_pulses,
            ] {
                p.set_sample_rate(sample_rate);
            }
        }
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        let slot = self.slot.slot();
        if self.membership.update(
            &self.slot,
            io.connected(input::API),
            io.input_raw(input::API),
        ) {
            self.created.resync(0);
            self.became_ready.resync(0);
            self.deleted.resync(0);
        }
        let wanted = knob(io, param::REPLICAS) + io.input(input::REPLICAS, 0);
        self.replicas = quantise_replicas(self.replicas, wanted);
        slot.set_desired(dd::REPLICAS, self.replicas);
        slot.set_desired(dd::CPU_M, (knob(io, param::CPU).round() * 10.0) as u32);
        slot.set_desired(
            dd::MEMORY_MIB,
            (knob(io, param::MEMORY).round() * 16.0) as u32,
        );
        if self.rollout.process(io.input(input::ROLLOUT, 0)) {
            self.image = self.image.wrapping_add(1);
        }
        if self.rollback.process(io.input(input::ROLLBACK, 0)) {
            self.rollbacks = self.rollbacks.wrapping_add(1);
        }
        self.fault.process(io.input(input::FAULT, 0));
        slot.set_desired(dd::IMAGE, self.image);
        slot.set_desired(dd::ROLLBACKS, self.rollbacks);
        let mut flags = 0;
        if knob(io, param::STRATEGY) >= 0.5 {
            flags |= dd::FLAG_RECREATE;
        }
        if self.fault.is_high() {
            flags |= dd::FLAG_FAULT;
        }
        slot.set_desired(dd::FLAGS, flags);
        let percent = |v: f32| v.round().clamp(0.0, 100.0) as u32;
        slot.set_desired(dd::MAX_SURGE_PCT, percent(knob(io, param::MAX_SURGE)));
        slot.set_desired(
            dd::MAX_UNAVAILABLE_PCT,
            percent(knob(io, param::MAX_UNAVAILABLE)),
        );
        slot.set_desired(dd::PRIORITY, self.scheduling_spec.priority as u32);
        slot.set_desired(dd::SCHEDULING, self.scheduling_spec.pack_flags());
        slot.set_desired(dd::TERMS, u32::from(self.scheduling_spec.terms));
        slot.set_desired(dd::MANIFEST_TERMS, u32::from(self.manifest_terms));

        let joined = self.membership.hub() != 0;
        self.created_pulses
            .add(self.created.new_events(slot.observed(dobs::CREATED_TOTAL)));
        self.ready_pulses.add(
            self.became_ready
                .new_events(slot.observed(dobs::READY_TOTAL)),
        );
        self.deleted_pulses
            .add(self.deleted.new_events(slot.observed(dobs::DELETED_TOTAL)));
        let ready = slot.observed(dobs::READY);
        io.set_mono(output::READY, (ready as f32 / 12.0).min(10.0));
        let pods = (slot.observed(dobs::POD_CHANNELS) as usize).min(16);
        let masks = slot.observed(dobs::POD_MASKS);
        for ch in 0..16 {
            let high = ch < pods && masks & (1 << ch) != 0;
            io.set_output(output::GATES, ch, if high { 10.0 } else { 0.0 });
        }
        io.set_channels(output::GATES, pods.max(1));
        let created = self.created_pulses.process();
        io.set_mono(output::CREATED, created);
        let became_ready = self.ready_pulses.process();
        io.set_mono(output::BECAME_READY, became_ready);
        let deleted = self.deleted_pulses.process();
        io.set_mono(output::DELETED, deleted);
        io.set_mono(output::SELECTOR, tag_to_volts(self.slot.tag()));

        let desired = slot.observed(dobs::REPLICAS);
        let updated = slot.observed(dobs::UPDATED);
        io.set_mono(output::PROGRESS, rollout_progress(joined, updated, desired));
        let available = joined
            && ready == desired
            && slot.observed(dobs::ACTIVE) == desired
            && updated == desired;
        io.set_light(light::AVAILABLE, if available { 1.0 } else { 0.0 });
        io.set_light(
            light::PROGRESSING,
            if joined && !available { 1.0 } else { 0.0 },
        );
        for i in 0..light::POD_COUNT {
            let b = if masks & (1 << i) != 0 {
                1.0
            } else if masks & (1 << (16 + i)) != 0 {
                0.2
            } else {
                0.0
            };
            io.set_light(light::POD_FIRST + i, b);
        }
    }

    fn reset(&mut self) {
        self.membership.reset();
        self.replicas = DESCRIPTOR.params[param::REPLICAS].default as u32;
        // Initialize returns the context-menu settings to their defaults too.
        self.scheduling = SchedulingSettings::default();
        self.scheduling_spec = self.scheduling.to_spec().unwrap_or_default();
        self.manifest_terms = 0;
        self.rollout = SchmittTrigger::default();
        self.rollback = SchmittTrigger::default();
        self.fault = SchmittTrigger::default();
        for p in [
            &mut self.created_pulses,
            &mut self.ready_pulses,
            &mut self.deleted_pulses,
        ] {
            p.reset();
        }
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({ "scheduling": self.scheduling })
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("DEPLOYMENT", state)?;
        let parsed = match state.get("scheduling") {
            None => Ok(SchedulingSettings::default()),
            Some(v) => SchedulingSettings::deserialize(v).map_err(|e| e.to_string()),
        };
        // Refused text is kept as written (saved again unchanged) but not put in force.
        let result = parsed.and_then(|s| {
            let (ok, refused) = s.accepted();
            let manifest = table::intern_pod(&ok.manifest_terms()?)?;
            ok.to_spec().map(|spec| (s, spec, manifest, refused))
        });
        match result {
            Ok((settings, spec, manifest, refused)) => {
                self.scheduling = settings;
                self.scheduling_spec = spec;
                self.manifest_terms = manifest;
                super::refused_text("DEPLOYMENT scheduling settings", &refused)
            }
            Err(e) => {
                self.scheduling = SchedulingSettings::default();
                self.scheduling_spec = self.scheduling.to_spec().unwrap_or_default();
                self.manifest_terms = 0;
                Err(LoadError(format!(
                    "DEPLOYMENT scheduling settings: {e}; using defaults"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_step_cleanly_under_a_slow_sweep() {
        let mut r = 3;
        let mut changes = 0;
        let mut last = r;
        // A noisy sweep around 3.5 must not chatter between 3 and 4.
        for i in 0..1000 {
            let wobble = if i % 2 == 0 { 0.1 } else { -0.1 };
            r = quantise_replicas(r, 3.5 + wobble);
            if r != last {
                changes += 1;
                last = r;
            }
        }
        assert_eq!(changes, 0);
        assert_eq!(quantise_replicas(3, 4.7), 5);
        assert_eq!(quantise_replicas(3, 4.0), 4);
        assert_eq!(quantise_replicas(3, -20.0), 0);
        assert_eq!(quantise_replicas(3, 1e9), MAX_REPLICAS);
        assert_eq!(quantise_replicas(3, f32::NAN.max(0.0)), 0);
    }
}
