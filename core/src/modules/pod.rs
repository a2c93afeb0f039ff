//! POD: one pod held by hand. Its gate creates it (rising edge) and deletes it gracefully
//! (falling edge). Joined to a hub it is a bare pod in the world, scheduled like any pod with
//! the typed labels, tolerations, node and pod affinity and spread of its menu; alone it
//! plays the same lifecycle on the panel with seeded kubelet-like latencies.

use std::sync::Arc;

use kuberack_protocol::modules::pod::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::tag::tag_to_volts;
use kuberack_protocol::ModuleDescriptor;

use super::membership::Membership;
use super::pod_local::LocalLifecycle;
use super::scheduling_settings::PodTermsSettings;
use super::words::{pod_desired as pd, pod_observed as pobs};
use crate::dsp::SchmittTrigger;
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, SlotHandle, SlotKind};
use crate::world::BarePodStatus;

/// The lifecycle a POD shows; its PHASE output is 2 V per step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum PodPhase {
    /// No pod.
    None = 0,
    /// Phase Pending.
    Pending = 1,
    /// Phase Running.
    Running = 2,
    /// Terminating gracefully.
    Terminating = 3,
    /// Phase Succeeded.
    Succeeded = 4,
    /// Phase Failed.
    Failed = 5,
}

impl PodPhase {
    /// Decodes an observed word.
    pub fn from_u32(v: u32) -> PodPhase {
        match v {
            1 => PodPhase::Pending,
            2 => PodPhase::Running,
            3 => PodPhase::Terminating,
            4 => PodPhase::Succeeded,
            5 => PodPhase::Failed,
            _ => PodPhase::None,
        }
    }

    /// The PHASE output voltage.
    pub fn volts(self) -> f32 {
        self as u32 as f32 * 2.0
    }

    /// The phase and Ready condition of a bare pod in a world.
    pub fn of(status: BarePodStatus) -> (PodPhase, bool) {
        match status {
            BarePodStatus::None => (PodPhase::None, false),
            BarePodStatus::Pending => (PodPhase::Pending, false),
            BarePodStatus::Running { ready } => (PodPhase::Running, ready),
            BarePodStatus::Terminating => (PodPhase::Terminating, false),
            BarePodStatus::Failed => (PodPhase::Failed, false),
        }
    }
}

/// The POD module.
pub struct PodModule {
    slot: SlotHandle,
    membership: Membership,
    gate: SchmittTrigger,
    fault: SchmittTrigger,
    incarnation: u32,
    local: LocalLifecycle,
    sample_period: f64,
    /// The pod's typed terms, as saved under `scheduling`.
    pod_terms: PodTermsSettings,
    terms_id: u16,
}

impl PodModule {
    /// A pod not yet in any cluster; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<PodModule> {
        let slot = registry.claim(SlotKind::Pod)?;
        Some(PodModule {
            local: LocalLifecycle::new(seed(slot.tag())),
            slot,
            membership: Membership::default(),
            gate: SchmittTrigger::default(),
            fault: SchmittTrigger::default(),
            incarnation: 0,
            sample_period: 1.0 / 48_000.0,
            pod_terms: PodTermsSettings::default(),
            terms_id: 0,
        })
    }
}

fn seed(tag: u32) -> u64 {
    0x90d_5eed ^ u64::from(tag)
}

impl Module for PodModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.sample_period = 1.0 / f64::from(sample_rate);
        }
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        self.membership.update(
            &self.slot,
            io.connected(input::API),
            io.input_raw(input::API),
        );
        let was_high = self.gate.is_high();
        let rose = self.gate.process(io.input(input::GATE, 0));
        let high = self.gate.is_high();
        if rose {
            self.incarnation = self.incarnation.wrapping_add(1);
            self.local.created();
        } else if was_high && !high {
            self.local.deleted();
        }
        self.fault.process(io.input(input::FAULT, 0));
        let faulty = self.fault.is_high();
        self.local.set_fault(faulty);
        self.local.advance(self.sample_period);

        let cpu_m = (io.param_in(&DESCRIPTOR, param::CPU).round() * 10.0) as u32;
        let slot = self.slot.slot();
        slot.set_desired(pd::GATE, u32::from(high));
        slot.set_desired(pd::CPU_M, cpu_m);
        slot.set_desired(
            pd::MEMORY_MIB,
            (io.param_in(&DESCRIPTOR, param::MEMORY).round() * 16.0) as u32,
        );
        slot.set_desired(pd::INCARNATION, self.incarnation);
        slot.set_desired(pd::FAULT, u32::from(faulty));
        slot.set_desired(pd::TERMS, u32::from(self.terms_id));

        let (phase, ready, load) = if self.membership.hub() != 0 {
            let phase = PodPhase::from_u32(slot.observed(pobs::PHASE));
            let ready = slot.observed(pobs::READY) != 0;
            (phase, ready, slot.channel(0) * 10.0)
        } else {
            let running = self.local.phase == PodPhase::Running;
            let load = if running { cpu_m as f32 / 100.0 } else { 0.0 };
            (self.local.phase, self.local.ready, load)
        };
        io.set_mono(output::READY, if ready { 10.0 } else { 0.0 });
        io.set_mono(output::LOAD, load.clamp(0.0, 10.0));
        io.set_mono(output::PHASE, phase.volts());
        io.set_mono(output::REF, tag_to_volts(self.slot.tag()));
        let lit = |on: bool| if on { 1.0 } else { 0.0 };
        io.set_light(light::PENDING, lit(phase == PodPhase::Pending));
        let running = match (phase, ready) {
            (PodPhase::Running, true) => 1.0,
            (PodPhase::Running, false) => 0.3,
            _ => 0.0,
        };
        io.set_light(light::RUNNING, running);
        io.set_light(light::TERMINATING, lit(phase == PodPhase::Terminating));
        io.set_light(light::FAILED, lit(phase == PodPhase::Failed));
    }

    fn reset(&mut self) {
        self.membership.reset();
        self.gate = SchmittTrigger::default();
        self.fault = SchmittTrigger::default();
        self.local = LocalLifecycle::new(seed(self.slot.tag()));
        // Initialize returns the context-menu settings to their defaults too.
        (self.pod_terms, self.terms_id) = (PodTermsSettings::default(), 0);
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({ "scheduling": self.pod_terms })
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("POD", state)?;
        let result;
        (self.pod_terms, self.terms_id, result) = PodTermsSettings::load("POD", state);
        result
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_volts_follow_the_documented_scale() {
        assert_eq!(PodPhase::None.volts(), 0.0);
        assert_eq!(PodPhase::Pending.volts(), 2.0);
        assert_eq!(PodPhase::Running.volts(), 4.0);
        assert_eq!(PodPhase::Terminating.volts(), 6.0);
        assert_eq!(PodPhase::Failed.volts(), 10.0);
        for v in 0..8 {
            assert_eq!(PodPhase::from_u32(v) as u32, v.min(6) % 6);
        }
    }
}
