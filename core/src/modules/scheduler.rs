//! SCHEDULER: publishes the kube-scheduler configuration its hub uses (scoring strategy,
//! DefaultPreemption, percentageOfNodesToScore) and plays bindings and preemptions as
//! triggers, unschedulable pods and queue depth as CVs.

use std::sync::Arc;

use kuberack_protocol::modules::scheduler::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::ModuleDescriptor;

use super::membership::{CounterWatch, Membership};
use super::words::{scheduler_desired as sd, scheduler_observed as so};
use crate::dsp::PulseTrain;
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, Slot, SlotHandle, SlotKind};
use crate::world::scheduler::{SchedulerConfig, ScoringStrategy};

/// The SCHEDULER module.
pub struct SchedulerModule {
    slot: SlotHandle,
    membership: Membership,
    scheduled: CounterWatch,
    preemptions: CounterWatch,
    bind_pulses: PulseTrain,
    preempt_pulses: PulseTrain,
}

impl SchedulerModule {
    /// A scheduler not yet joined to any hub; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<SchedulerModule> {
        Some(SchedulerModule {
            slot: registry.claim(SlotKind::Scheduler)?,
            membership: Membership::default(),
            scheduled: CounterWatch::default(),
            preemptions: CounterWatch::default(),
            bind_pulses: PulseTrain::new(48_000.0),
            preempt_pulses: PulseTrain::new(48_000.0),
        })
    }
}

/// The configuration a SCHEDULER's slot asks for. The percentage knob's 1..4 mean 5 %, the
/// smallest upstream accepts in practice; NaN and out-of-range values clamp.
pub fn scheduler_config(slot: &Slot) -> SchedulerConfig {
    let percent = slot.desired(sd::PERCENT).min(100);
    SchedulerConfig {
        strategy: ScoringStrategy::from_knob(f32::from_bits(slot.desired(sd::STRATEGY_BITS))),
        preemption: slot.desired(sd::PREEMPTION) != 0,
        percentage_of_nodes_to_score: if percent == 0 { 0 } else { percent.max(5) },
    }
}

impl Module for SchedulerModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.bind_pulses.set_sample_rate(sample_rate);
            self.preempt_pulses.set_sample_rate(sample_rate);
        }
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        let slot = self.slot.slot();
        if self.membership.update(
            &self.slot,
            io.connected(input::API),
            io.input_raw(input::API),
        ) {
            self.scheduled.resync(0);
            self.preemptions.resync(0);
        }
        let strategy = io.param_in(&DESCRIPTOR, param::STRATEGY);
        let strategy = if strategy.is_finite() { strategy } else { 0.0 };
        slot.set_desired(sd::STRATEGY_BITS, strategy.clamp(0.0, 1.0).to_bits());
        let preemption = io.param_in(&DESCRIPTOR, param::PREEMPTION) >= 0.5;
        slot.set_desired(sd::PREEMPTION, u32::from(preemption));
        let percent = io.param_in(&DESCRIPTOR, param::PERCENT);
        let percent = if percent.is_finite() {
            percent.clamp(0.0, 100.0)
        } else {
            0.0
        };
        slot.set_desired(sd::PERCENT, percent.round() as u32);

        self.bind_pulses.add(
            self.scheduled
                .new_events(slot.observed(so::SCHEDULED_TOTAL)),
        );
        self.preempt_pulses.add(
            self.preemptions
                .new_events(slot.observed(so::PREEMPTIONS_TOTAL)),
        );
        let bind = self.bind_pulses.process();
        io.set_mono(output::BIND, bind);
        let preempt = self.preempt_pulses.process();
        io.set_mono(output::PREEMPT, preempt);
        let unschedulable = slot.observed(so::UNSCHEDULABLE);
        io.set_mono(output::UNSCHED, (unschedulable as f32 * 0.1).min(10.0));
        let depth = slot.observed(so::QUEUE_DEPTH);
        io.set_mono(output::QUEUE, (depth as f32 * 0.1).min(10.0));
        let joined = self.membership.hub() != 0;
        let active = joined && slot.observed(so::ACTIVE) != 0;
        io.set_light(light::ACTIVE, if active { 1.0 } else { 0.0 });
        io.set_light(
            light::UNSCHED,
            if joined && unschedulable > 0 {
                1.0
            } else {
                0.0
            },
        );
    }

    fn reset(&mut self) {
        self.membership.reset();
        self.bind_pulses.reset();
        self.preempt_pulses.reset();
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("SCHEDULER", state)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
