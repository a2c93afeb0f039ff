//! DEVICES: declares the mana devices of the NODE pool its POOL input names (the essence,
//! the mana each node advertises, the wells each node publishes) and plays their
//! allocation: a trigger per claim allocated, the share of wells in use and the free mana
//! as CVs, each node's device utilisation in lights and a poly CV.

use std::sync::Arc;

use kuberack_protocol::modules::devices::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::tag::volts_to_tag;
use kuberack_protocol::ModuleDescriptor;

use super::membership::{CounterWatch, Membership};
use super::words::{devices_desired as dd, devices_observed as dobs};
use crate::dsp::PulseTrain;
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, Slot, SlotHandle, SlotKind};
use crate::world::mana::essence_from_word;
use crate::world::{PoolDevicesSpec, MAX_POOL_NODES};

/// What became of a DEVICES declaration, as the hub reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevicesState {
    /// No pool joined to the same hub is patched in.
    Unpatched = 0,
    /// The pool's devices are what this module declares.
    Active = 1,
    /// A higher-tagged DEVICES declares the same pool (the last one in tag order wins).
    Overridden = 2,
    /// Every device table of the world is taken by other pools.
    NoRoom = 3,
}

impl DevicesState {
    /// The state a published word stands for (unknown words: Unpatched).
    pub fn from_word(word: u32) -> DevicesState {
        match word {
            1 => DevicesState::Active,
            2 => DevicesState::Overridden,
            3 => DevicesState::NoRoom,
            _ => DevicesState::Unpatched,
        }
    }
}

/// The DEVICES module.
pub struct DevicesModule {
    slot: SlotHandle,
    membership: Membership,
    allocations: CounterWatch,
    pulses: PulseTrain,
}

impl DevicesModule {
    /// A DEVICES not yet joined to any hub; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<DevicesModule> {
        Some(DevicesModule {
            slot: registry.claim(SlotKind::Devices)?,
            membership: Membership::default(),
            allocations: CounterWatch::default(),
            pulses: PulseTrain::new(48_000.0),
        })
    }
}

/// What a DEVICES's slot declares.
pub fn devices_spec(slot: &Slot) -> PoolDevicesSpec {
    PoolDevicesSpec {
        essence: essence_from_word(slot.desired(dd::ESSENCE)),
        mana: slot.desired(dd::MANA),
        wells: slot.desired(dd::WELLS),
    }
}

impl Module for DevicesModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.pulses.set_sample_rate(sample_rate);
        }
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        let slot = self.slot.slot();
        if self.membership.update(
            &self.slot,
            io.connected(input::API),
            io.input_raw(input::API),
        ) {
            self.allocations.resync(0);
        }
        let pool = if io.connected(input::POOL) {
            volts_to_tag(io.input_raw(input::POOL)).unwrap_or(0)
        } else {
            0
        };
        let whole = |index| io.param_in(&DESCRIPTOR, index).round() as u32;
        slot.set_desired(dd::POOL, pool);
        slot.set_desired(dd::ESSENCE, whole(param::ESSENCE) + 1);
        slot.set_desired(dd::MANA, whole(param::MANA));
        slot.set_desired(dd::WELLS, whole(param::WELLS));

        let state = if self.membership.hub() == 0 {
            DevicesState::Unpatched
        } else {
            DevicesState::from_word(slot.observed(dobs::STATE))
        };
        let active = state == DevicesState::Active;
        let observed = |word| if active { slot.observed(word) } else { 0 };
        self.pulses
            .add(self.allocations.new_events(observed(dobs::ALLOCATIONS)));
        let pulse = self.pulses.process();
        io.set_mono(output::ALLOCATE, pulse);
        let wells = observed(dobs::WELLS);
        let in_use = if wells == 0 {
            0.0
        } else {
            observed(dobs::WELLS_IN_USE) as f32 / wells as f32
        };
        io.set_mono(output::ALLOCATED, (in_use * 10.0).min(10.0));
        let free = observed(dobs::FREE_MANA) as f32;
        io.set_mono(output::FREE, (free * 0.1).min(10.0));
        let channels = (observed(dobs::NODE_CHANNELS) as usize).min(MAX_POOL_NODES);
        io.set_channels(output::NODES, channels.max(1));
        for n in 0..MAX_POOL_NODES {
            let v = slot.channel(n);
            let used = if n < channels && v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.0
            };
            if n < channels.max(1) {
                io.set_output(output::NODES, n, used * 10.0);
            }
            io.set_light(light::NODE1 + n, used);
        }
        let lit = |on: bool| if on { 1.0 } else { 0.0 };
        io.set_light(light::ACTIVE, lit(active));
        io.set_light(
            light::REFUSED,
            lit(matches!(
                state,
                DevicesState::Overridden | DevicesState::NoRoom
            )),
        );
    }

    fn reset(&mut self) {
        self.membership.reset();
        self.pulses.reset();
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("DEVICES", state)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
