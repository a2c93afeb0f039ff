//! NODE: a pool of identical nodes. Publishes its desired pool; shows per-node utilisation,
//! its pods' ready gates and a load voice.

use std::sync::Arc;

use kuberack_protocol::modules::node::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::ModuleDescriptor;

use super::membership::Membership;
use super::words::{pool_desired as pd, pool_observed as po};
use crate::dsp::{LoadVoice, SchmittTrigger};
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, SlotHandle, SlotKind};

/// The NODE module.
pub struct NodeModule {
    slot: SlotHandle,
    membership: Membership,
    cordon_gate: SchmittTrigger,
    voice: LoadVoice,
}

impl NodeModule {
    /// A pool not yet joined to any hub; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<NodeModule> {
        Some(NodeModule {
            slot: registry.claim(SlotKind::NodePool)?,
            membership: Membership::default(),
            cordon_gate: SchmittTrigger::default(),
            voice: LoadVoice::new(48_000.0),
        })
    }

    /// Tag of the hub this pool joined (0 = none).
    pub fn hub(&self) -> u32 {
        self.membership.hub()
    }
}

fn knob(io: &ProcessIo<'_>, index: usize) -> f32 {
    io.param_in(&DESCRIPTOR, index)
}

impl Module for NodeModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.voice.set_sample_rate(sample_rate);
        }
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        self.membership.update(
            &self.slot,
            io.connected(input::API),
            io.input_raw(input::API),
        );
        self.cordon_gate.process(io.input(input::CORDON, 0));
        let cordoned = knob(io, param::CORDON) >= 0.5 || self.cordon_gate.is_high();
        let slot = self.slot.slot();
        slot.set_desired(pd::COUNT, knob(io, param::COUNT).round() as u32);
        slot.set_desired(pd::CPU_M, (knob(io, param::CPU).round() * 1000.0) as u32);
        slot.set_desired(
            pd::MEMORY_MIB,
            (knob(io, param::MEMORY).round() * 1024.0) as u32,
        );
        slot.set_desired(pd::CORDONED, u32::from(cordoned));

        let joined = self.membership.hub() != 0;
        let nodes = if joined {
            (slot.observed(po::NODES) as usize).min(16)
        } else {
            0
        };
        let mut total = 0.0;
        for ch in 0..nodes {
            let u = slot.channel(ch).clamp(0.0, 1.0);
            total += u;
            io.set_output(output::UTIL, ch, u * 10.0);
        }
        io.set_channels(output::UTIL, nodes.max(1));
        if nodes == 0 {
            io.set_output(output::UTIL, 0, 0.0);
        }
        let pods = (slot.observed(po::POD_CHANNELS) as usize).min(16);
        let mask = slot.observed(po::POD_READY_MASK);
        for ch in 0..16 {
            let high = joined && ch < pods && mask & (1 << ch) != 0;
            io.set_output(output::READY, ch, if high { 10.0 } else { 0.0 });
        }
        io.set_channels(output::READY, if joined { pods.max(1) } else { 1 });
        let load = if nodes > 0 { total / nodes as f32 } else { 0.0 };
        let freq = 110.0 * knob(io, param::PITCH).exp2();
        let voice = self.voice.process(freq, load, nodes > 0);
        io.set_mono(output::VOICE, voice);

        let ready_nodes = slot.observed(po::READY_NODES) as usize;
        io.set_light(
            light::READY,
            if nodes > 0 && ready_nodes == nodes {
                1.0
            } else {
                0.0
            },
        );
        io.set_light(light::CORDONED, if cordoned { 1.0 } else { 0.0 });
        for i in 0..light::NODE_COUNT {
            let b = if i < nodes {
                0.15 + 0.85 * slot.channel(i).clamp(0.0, 1.0)
            } else {
                0.0
            };
            io.set_light(light::NODE_FIRST + i, b);
        }
    }

    fn reset(&mut self) {
        self.membership.reset();
        self.voice.reset();
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        if state.is_object() || state.is_null() {
            Ok(())
        } else {
            Err(LoadError(
                "NODE settings: expected an object; using defaults".into(),
            ))
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
