//! CLUSTERQUEUE: one Kueue ClusterQueue with its LocalQueue. It publishes its quotas, limits
//! and policies to its hub; JOB and ENCHANTMENT modules patched to its QUEUE output submit
//! through it; COHORT cables chain queues into a cohort. Admissions and preemptions fire
//! triggers; pending, admitted and usage show as CVs and lights.

use std::sync::Arc;

use kuberack_protocol::modules::cluster_queue::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::tag::tag_to_volts;
use kuberack_protocol::ModuleDescriptor;

use super::membership::{EventTrigger, Membership};
use super::words::{cluster_queue_desired as qd, cluster_queue_observed as qo};
use crate::kueue::{PreemptionPolicy, QueueingStrategy};
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, Slot, SlotHandle, SlotKind};
use crate::world::mana::essence_from_word;
use crate::world::queueing::{ClusterQueueConfig, QueueFlavors};

/// The CLUSTERQUEUE module.
pub struct ClusterQueueModule {
    slot: SlotHandle,
    membership: Membership,
    admit: EventTrigger,
    preempt: EventTrigger,
    /// fairSharing.weight, thousandths (saved as `fairSharing.weight`).
    weight_milli: u32,
}

/// The default fairSharing.weight, thousandths.
pub const DEFAULT_WEIGHT_MILLI: u32 = 1000;
/// The largest weight kept, thousandths (larger ones are clamped).
const MAX_WEIGHT_MILLI: u32 = 1_000_000;

/// Reads `fairSharing.weight`, in thousandths, from a CLUSTERQUEUE's saved settings: a
/// number of at least 0, clamped to 1000 (absent: 1).
pub fn fair_sharing_weight_milli(state: &serde_json::Value) -> Result<u32, LoadError> {
    let Some(v) = state.get("fairSharing").and_then(|f| f.get("weight")) else {
        return Ok(DEFAULT_WEIGHT_MILLI);
    };
    match v.as_f64() {
        Some(w) if w.is_finite() && w >= 0.0 => {
            Ok(((w * 1000.0).round() as u64).min(u64::from(MAX_WEIGHT_MILLI)) as u32)
        }
        _ => Err(LoadError(format!(
            "CLUSTERQUEUE settings: fairSharing.weight {v} is not a number >= 0; using 1"
        ))),
    }
}

impl ClusterQueueModule {
    /// A queue not yet joined to any hub; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<ClusterQueueModule> {
        Some(ClusterQueueModule {
            slot: registry.claim(SlotKind::ClusterQueue)?,
            membership: Membership::default(),
            admit: EventTrigger::default(),
            preempt: EventTrigger::default(),
            weight_milli: DEFAULT_WEIGHT_MILLI,
        })
    }
}

/// The ClusterQueue a CLUSTERQUEUE's slot asks for (the cohort root is resolved by the hub).
pub fn cluster_queue_config(slot: &Slot) -> ClusterQueueConfig {
    let limit = |word| {
        let v = slot.desired(word);
        (v != qd::NO_LIMIT).then_some(v)
    };
    let flavors = match slot.desired(qd::FLAVORS) {
        4 => QueueFlavors::AllEssences,
        w => match essence_from_word(w) {
            0 => QueueFlavors::Default,
            e => QueueFlavors::Essence(e),
        },
    };
    ClusterQueueConfig {
        flavors,
        cpu_m: slot.desired(qd::CPU_M),
        memory_mib: slot.desired(qd::MEMORY_MIB),
        mana: slot.desired(qd::MANA),
        borrowing_limit_pct: limit(qd::BORROW_PCT),
        lending_limit_pct: limit(qd::LEND_PCT),
        strategy: if slot.desired(qd::STRICT_FIFO) != 0 {
            QueueingStrategy::StrictFIFO
        } else {
            QueueingStrategy::BestEffortFIFO
        },
        within_cluster_queue: match slot.desired(qd::WITHIN) {
            1 => PreemptionPolicy::LowerPriority,
            2 => PreemptionPolicy::LowerOrNewerEqualPriority,
            _ => PreemptionPolicy::Never,
        },
        reclaim_within_cohort: match slot.desired(qd::RECLAIM) {
            1 => PreemptionPolicy::LowerPriority,
            2 => PreemptionPolicy::Any,
            _ => PreemptionPolicy::Never,
        },
        fair_sharing_weight_milli: slot.desired(qd::WEIGHT_MILLI),
        cohort_root: None,
    }
}

/// A weighted share as volts: 1 V per 100, 10 V at 1000 and beyond.
fn share_volts(share: u32) -> f32 {
    (share as f32 * 0.01).min(10.0)
}

/// A usage word (per mille of nominal) as volts: 5 V at nominal, 10 V at twice.
fn usage_volts(permille: u32) -> f32 {
    (permille as f32 * 0.005).min(10.0)
}

impl Module for ClusterQueueModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        EventTrigger::set_sample_rates(&mut [&mut self.admit, &mut self.preempt], sample_rate);
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        let slot = self.slot.slot();
        self.membership.follow(
            &self.slot,
            io,
            input::API,
            &mut [&mut self.admit, &mut self.preempt],
        );
        // In 5 % steps: a slow LFO updates the ClusterQueue a few times, not every tick.
        let scale = if io.connected(input::QUOTA) {
            ((io.input(input::QUOTA, 0) / 5.0).clamp(0.0, 2.0) * 20.0).round() / 20.0
        } else {
            1.0
        };
        let quota =
            |index, unit: f32| (io.param_in(&DESCRIPTOR, index) * scale * unit).round() as u32;
        slot.set_desired(qd::CPU_M, quota(param::CPU, 1000.0));
        slot.set_desired(qd::MEMORY_MIB, quota(param::MEMORY, 1024.0));
        slot.set_desired(qd::MANA, quota(param::MANA, 1.0));
        let whole = |index| io.param_in(&DESCRIPTOR, index).round() as u32;
        let borrow = whole(param::BORROW);
        slot.set_desired(
            qd::BORROW_PCT,
            if borrow >= 200 { qd::NO_LIMIT } else { borrow },
        );
        let lend = whole(param::LEND);
        slot.set_desired(qd::LEND_PCT, if lend >= 100 { qd::NO_LIMIT } else { lend });
        slot.set_desired(qd::FLAVORS, whole(param::FLAVOR).min(4));
        slot.set_desired(qd::STRICT_FIFO, whole(param::STRATEGY).min(1));
        slot.set_desired(qd::WITHIN, whole(param::PREEMPTION).min(2));
        slot.set_desired(qd::RECLAIM, whole(param::RECLAIM).min(2));
        slot.set_desired(qd::WEIGHT_MILLI, self.weight_milli);
        let parent = io.reference(input::COHORT);
        slot.set_desired(qd::COHORT_PARENT, parent);

        let me = tag_to_volts(self.slot.tag());
        io.set_mono(output::QUEUE, me);
        io.set_mono(output::COHORT, me);
        let active = self.membership.hub() != 0 && slot.observed(qo::ACTIVE) != 0;
        let observed = |word| if active { slot.observed(word) } else { 0 };
        let admit = self.admit.process(observed(qo::ADMISSIONS));
        io.set_mono(output::ADMIT, admit);
        let preempt = self.preempt.process(observed(qo::PREEMPTIONS));
        io.set_mono(output::PREEMPT, preempt);
        let borrowing = observed(qo::BORROWING) != 0;
        io.set_mono(output::BORROW, if borrowing { 10.0 } else { 0.0 });
        let (pending, admitted) = (observed(qo::PENDING), observed(qo::ADMITTED));
        io.set_mono(output::PENDING, (pending as f32 * 0.5).min(10.0));
        io.set_mono(output::ADMITTED, (admitted as f32 * 0.5).min(10.0));
        let cpu = observed(qo::CPU_PERMILLE);
        io.set_mono(output::CPU, usage_volts(cpu));
        io.set_mono(output::MEMORY, usage_volts(observed(qo::MEMORY_PERMILLE)));
        io.set_mono(output::MANA, usage_volts(observed(qo::MANA_PERMILLE)));
        io.set_mono(output::SHARE, share_volts(observed(qo::WEIGHTED_SHARE)));
        let lit = |on: bool| if on { 1.0 } else { 0.0 };
        io.set_light(light::PENDING, lit(pending > 0));
        io.set_light(light::ADMITTED, (cpu as f32 / 1000.0).min(1.0));
        io.set_light(light::BORROWING, lit(borrowing));
        io.set_light(light::TERMINATING, lit(observed(qo::TERMINATING) != 0));
    }

    fn reset(&mut self) {
        self.membership.reset();
        self.admit.reset();
        self.preempt.reset();
        self.weight_milli = DEFAULT_WEIGHT_MILLI;
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({ "fairSharing": { "weight": f64::from(self.weight_milli) / 1000.0 } })
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("CLUSTERQUEUE", state)?;
        let weight = fair_sharing_weight_milli(state);
        self.weight_milli = weight.clone().unwrap_or(DEFAULT_WEIGHT_MILLI);
        weight.map(|_| ())
    }

    fn set_rack_id(&mut self, id: u64) {
        self.slot.slot().set_rack_id(id);
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
