//! AUTOSCALER: sizes one NODE pool with Karpenter-style NodeClaims. It publishes its limits,
//! latencies and windows to its hub, and plays scale-ups and scale-downs as triggers, the
//! node count and pending pods as CVs, claim phases and block reasons as lights.

use std::sync::Arc;

use kuberack_protocol::modules::autoscaler::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::tag::volts_to_tag;
use kuberack_protocol::ModuleDescriptor;

use super::membership::{CounterWatch, Membership};
use super::words::{autoscaler_desired as ad, autoscaler_observed as ao};
use crate::dsp::{PulseTrain, SchmittTrigger};
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, Slot, SlotHandle, SlotKind};
use crate::world::autoscaler::{AutoscalerSpec, ScaleUpBlock};

/// The AUTOSCALER module.
pub struct AutoscalerModule {
    slot: SlotHandle,
    membership: Membership,
    fault: SchmittTrigger,
    scale_ups: CounterWatch,
    scale_downs: CounterWatch,
    up_pulses: PulseTrain,
    down_pulses: PulseTrain,
}

impl AutoscalerModule {
    /// An autoscaler not yet joined to any hub; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<AutoscalerModule> {
        Some(AutoscalerModule {
            slot: registry.claim(SlotKind::Autoscaler)?,
            membership: Membership::default(),
            fault: SchmittTrigger::default(),
            scale_ups: CounterWatch::default(),
            scale_downs: CounterWatch::default(),
            up_pulses: PulseTrain::new(48_000.0),
            down_pulses: PulseTrain::new(48_000.0),
        })
    }
}

/// The settings an AUTOSCALER's slot asks for.
pub fn autoscaler_spec(slot: &Slot) -> AutoscalerSpec {
    let seconds = |word| f64::from(slot.desired(word)) / 1000.0;
    AutoscalerSpec {
        min_nodes: slot.desired(ad::MIN_NODES),
        max_nodes: slot.desired(ad::MAX_NODES),
        cpu_limit_m: u64::from(slot.desired(ad::CPU_LIMIT_CORES)) * 1000,
        memory_limit_mib: u64::from(slot.desired(ad::MEMORY_LIMIT_GIB)) * 1024,
        launch_latency: seconds(ad::LAUNCH_MS),
        init_latency: seconds(ad::INIT_MS),
        registration_timeout: seconds(ad::TIMEOUT_MS),
        max_launch_attempts: slot.desired(ad::ATTEMPTS).max(1),
        scale_up_window: seconds(ad::UP_WINDOW_MS),
        scale_down_window: seconds(ad::DOWN_WINDOW_MS),
        launch_fails: slot.desired(ad::LAUNCH_FAILS) != 0,
    }
}

/// A knob (clamped to its range by `param_in`) rounded to a whole number.
fn whole(io: &ProcessIo<'_>, index: usize) -> u32 {
    io.param_in(&DESCRIPTOR, index).round() as u32
}

/// A seconds knob in milliseconds.
fn millis(io: &ProcessIo<'_>, index: usize) -> u32 {
    (io.param_in(&DESCRIPTOR, index) * 1000.0).round() as u32
}

impl Module for AutoscalerModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.up_pulses.set_sample_rate(sample_rate);
            self.down_pulses.set_sample_rate(sample_rate);
        }
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        let slot = self.slot.slot();
        if self.membership.update(
            &self.slot,
            io.connected(input::API),
            io.input_raw(input::API),
        ) {
            self.scale_ups.resync(0);
            self.scale_downs.resync(0);
        }
        let pool = if io.connected(input::POOL) {
            volts_to_tag(io.input_raw(input::POOL)).unwrap_or(0)
        } else {
            0
        };
        slot.set_desired(ad::POOL, pool);
        slot.set_desired(ad::MIN_NODES, whole(io, param::MIN));
        slot.set_desired(ad::MAX_NODES, whole(io, param::MAX));
        slot.set_desired(ad::ATTEMPTS, whole(io, param::ATTEMPTS));
        slot.set_desired(ad::CPU_LIMIT_CORES, whole(io, param::CPU_LIMIT));
        slot.set_desired(ad::MEMORY_LIMIT_GIB, whole(io, param::MEMORY_LIMIT));
        slot.set_desired(ad::TIMEOUT_MS, millis(io, param::TIMEOUT));
        slot.set_desired(ad::LAUNCH_MS, millis(io, param::LAUNCH));
        slot.set_desired(ad::INIT_MS, millis(io, param::INIT));
        slot.set_desired(ad::UP_WINDOW_MS, millis(io, param::UP_WINDOW));
        slot.set_desired(ad::DOWN_WINDOW_MS, millis(io, param::DOWN_WINDOW));
        self.fault.process(io.input(input::FAULT, 0));
        slot.set_desired(ad::LAUNCH_FAILS, u32::from(self.fault.is_high()));

        let active = self.membership.hub() != 0 && slot.observed(ao::ACTIVE) != 0;
        let observed = |word| if active { slot.observed(word) } else { 0 };
        self.up_pulses
            .add(self.scale_ups.new_events(observed(ao::SCALE_UPS)));
        self.down_pulses
            .add(self.scale_downs.new_events(observed(ao::SCALE_DOWNS)));
        let up = self.up_pulses.process();
        io.set_mono(output::SCALE_UP, up);
        let down = self.down_pulses.process();
        io.set_mono(output::SCALE_DOWN, down);
        let (launched, registered) = (observed(ao::LAUNCHED), observed(ao::REGISTERED));
        let (ready, draining) = (observed(ao::INITIALIZED), observed(ao::DRAINING));
        let nodes = launched + registered + ready;
        io.set_mono(output::NODES, (nodes as f32 * 0.625).min(10.0));
        let blocked = ScaleUpBlock::from_i64(i64::from(observed(ao::BLOCKED)));
        let is_blocked = blocked != ScaleUpBlock::None;
        io.set_mono(output::BLOCKED, if is_blocked { 10.0 } else { 0.0 });
        let pending = observed(ao::PENDING);
        io.set_mono(output::PENDING, (pending as f32 * 0.1).min(10.0));
        let lit = |on: bool| if on { 1.0 } else { 0.0 };
        io.set_light(light::LAUNCHED, lit(launched > 0));
        io.set_light(light::REGISTERED, lit(registered > 0));
        let share = if nodes == 0 {
            0.0
        } else {
            ready as f32 / nodes as f32
        };
        io.set_light(light::READY, share);
        io.set_light(light::DRAINING, lit(draining > 0));
        io.set_light(light::MAX_NODES, lit(blocked == ScaleUpBlock::MaxNodes));
        io.set_light(
            light::LIMIT,
            lit(matches!(
                blocked,
                ScaleUpBlock::CpuLimit | ScaleUpBlock::MemoryLimit
            )),
        );
        io.set_light(
            light::LAUNCH_FAILED,
            lit(blocked == ScaleUpBlock::LaunchFailed),
        );
    }

    fn reset(&mut self) {
        self.membership.reset();
        self.up_pulses.reset();
        self.down_pulses.reset();
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("AUTOSCALER", state)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
