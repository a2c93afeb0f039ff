//! ENCHANTMENT: the forge. Each FORGE trigger asks the hub to draw an item and create its
//! Enchantment, whose essence Jobs name the queue patched to QUEUE. Phase changes of this
//! module's Enchantments fire triggers and light lights; TIER holds the latest forged tier.

use std::sync::Arc;

use kuberack_protocol::modules::enchantment::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::ModuleDescriptor;

use super::membership::{EventTrigger, Membership};
use super::scheduling_settings::PodTermsSettings;
use super::words::{enchantment_desired as ed, enchantment_observed as eo};
use crate::dsp::SchmittTrigger;
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, SlotHandle, SlotKind};
use crate::world::enchantment::EnchantmentPhase;

/// Each phase's trigger output and light, in [`EnchantmentPhase::ALL`] order.
const PHASE_PORTS: [(usize, usize); 5] = [
    (output::SCHEDULED, light::SCHEDULED),
    (output::ENCHANTING, light::ENCHANTING),
    (output::REQUEUED, light::REQUEUED),
    (output::FORGED, light::COMPLETED),
    (output::FAILED, light::FAILED),
];

/// The ENCHANTMENT module.
pub struct EnchantmentModule {
    slot: SlotHandle,
    membership: Membership,
    forge: SchmittTrigger,
    forges: u32,
    phase_triggers: [EventTrigger; 5],
    /// The forge Jobs' pods' typed terms, as saved under `scheduling`.
    pod_terms: PodTermsSettings,
    terms_id: u16,
}

impl EnchantmentModule {
    /// An ENCHANTMENT not yet joined to any hub; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<EnchantmentModule> {
        Some(EnchantmentModule {
            slot: registry.claim(SlotKind::Enchantment)?,
            membership: Membership::default(),
            forge: SchmittTrigger::default(),
            forges: 0,
            phase_triggers: Default::default(),
            pod_terms: PodTermsSettings::default(),
            terms_id: 0,
        })
    }
}

impl Module for EnchantmentModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        EventTrigger::set_sample_rates(&mut self.phase_triggers.each_mut(), sample_rate);
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        let triggers = &mut self.phase_triggers.each_mut();
        self.membership.follow(&self.slot, io, input::API, triggers);
        let slot = self.slot.slot();
        if self.forge.process(io.input(input::FORGE, 0)) {
            self.forges = self.forges.wrapping_add(1);
        }
        let queue = io.reference(input::QUEUE);
        slot.set_desired(ed::FORGES, self.forges);
        slot.set_desired(ed::QUEUE, queue);
        let cost = io.param_in(&DESCRIPTOR, param::COST);
        slot.set_desired(ed::COST_MS, (cost * 1000.0).round() as u32);
        let tier = io.param_in(&DESCRIPTOR, param::TIER).round() as u32;
        slot.set_desired(ed::TIER, tier.min(4));
        slot.set_desired(ed::TERMS, u32::from(self.terms_id));

        let joined = self.membership.hub() != 0;
        let observed = |word| if joined { slot.observed(word) } else { 0 };
        let phases = observed(eo::PHASES);
        for (k, &(out, lit)) in PHASE_PORTS.iter().enumerate() {
            let v = self.phase_triggers[k].process(observed(eo::ENTERED_FIRST + k));
            io.set_mono(out, v);
            let on = phases & (1 << EnchantmentPhase::ALL[k] as u32) != 0;
            io.set_light(lit, if on { 1.0 } else { 0.0 });
        }
        let last_tier = observed(eo::LAST_TIER).min(4);
        io.set_mono(output::TIER, last_tier as f32);
    }

    fn reset(&mut self) {
        self.membership.reset();
        for t in &mut self.phase_triggers {
            t.reset();
        }
        // Initialize returns the context-menu settings to their defaults too.
        (self.pod_terms, self.terms_id) = (PodTermsSettings::default(), 0);
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({ "scheduling": self.pod_terms })
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("ENCHANTMENT", state)?;
        let result;
        (self.pod_terms, self.terms_id, result) = PodTermsSettings::load("ENCHANTMENT", state);
        result
    }

    fn set_rack_id(&mut self, id: u64) {
        self.slot.slot().set_rack_id(id);
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
