//! NODE: a pool of identical nodes. Publishes its desired pool; shows per-node utilisation,
//! its pods' ready gates and a load voice.

use std::sync::Arc;

use kuberack_protocol::modules::node::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::tag::tag_to_volts;
use kuberack_protocol::ModuleDescriptor;
use serde::{Deserialize, Serialize};

use super::control_rate::ControlTick;
use super::membership::Membership;
use super::words::{pool_desired as pd, pool_observed as po};
use crate::dsp::{LoadVoice, SchmittTrigger};
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, SlotHandle, SlotKind};
use crate::world::terms::api::{NodeTerms, PodTerms};
use crate::world::terms::{parse, table};

/// The NODE module.
pub struct NodeModule {
    slot: SlotHandle,
    membership: Membership,
    cordon_gate: SchmittTrigger,
    down_gates: [SchmittTrigger; 16],
    voice: LoadVoice,
    /// Publish count of the hub's last observation shown on the outputs.
    seen_publish: u32,
    cordoned: bool,
    nodes: usize,
    load: f32,
    pitch_bits: u32,
    frequency: f32,
    sync: NodeSyncSettings,
    tick: ControlTick,
    /// The nodes' own labels and taints as saved, and their interned id.
    terms: NodeTermsSettings,
    terms_id: u16,
    /// The pool selector's interned id (0: none).
    pool_selector_id: u16,
}

/// The NODE's own labels and taints, saved as typed (PROTOCOL.md, "Labels, taints,
/// tolerations and node affinity").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeTermsSettings {
    /// Labels: `gpu=true, disk=ssd`.
    pub labels: String,
    /// Taints: `dedicated=gpu:NoSchedule, soft=yes:PreferNoSchedule`.
    pub taints: String,
}

/// The NODE's live-sync settings, saved under `sync`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct NodeSyncSettings {
    /// While the hub syncs, the pool's cordon drives its labelled real nodes.
    cordon: bool,
    /// While the hub syncs, the real nodes this selects are the pool's (one-line node
    /// affinity form; empty: only nodes labelled for it).
    #[serde(rename = "poolSelector")]
    pool_selector: String,
    /// While the hub syncs, its typed labels and taints are applied to them.
    labels: bool,
}

/// Interns a pool selector (one-line node affinity text) as the required node affinity of a
/// pod terms entry, which the hub hands to the sync (0: none); what is wrong with it.
pub fn intern_pool_selector(text: &str) -> Result<u16, String> {
    let required = parse::required_terms(text).map_err(|e| format!("NODE pool selector: {e}"))?;
    if required.is_empty() {
        return Ok(0);
    }
    table::intern_pod(&PodTerms {
        required,
        ..PodTerms::default()
    })
}

impl NodeTermsSettings {
    /// These settings with the text Kubernetes' rules refuse left empty, and why (named by
    /// field): what a loaded patch puts in force while it keeps the text as written.
    pub fn accepted(&self) -> (NodeTermsSettings, Vec<String>) {
        let mut ok = self.clone();
        let mut refused = Vec::new();
        if let Err(e) = parse::node_labels(&ok.labels) {
            refused.push(format!("labels: {e}"));
            ok.labels.clear();
        }
        if let Err(e) = parse::node_taints(&ok.taints) {
            refused.push(format!("taints: {e}"));
            ok.taints.clear();
        }
        (ok, refused)
    }

    /// The labels and taints, parsed (what is wrong, named by field).
    pub fn parse(&self) -> Result<NodeTerms<String>, String> {
        Ok(NodeTerms {
            labels: parse::node_labels(&self.labels).map_err(|e| format!("labels: {e}"))?,
            taints: parse::node_taints(&self.taints).map_err(|e| format!("taints: {e}"))?,
        })
    }
}

impl NodeModule {
    /// A pool not yet joined to any hub; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<NodeModule> {
        Some(NodeModule {
            slot: registry.claim(SlotKind::NodePool)?,
            membership: Membership::default(),
            cordon_gate: SchmittTrigger::default(),
            down_gates: [SchmittTrigger::default(); 16],
            voice: LoadVoice::new(48_000.0),
            seen_publish: u32::MAX,
            cordoned: false,
            nodes: 0,
            load: 0.0,
            pitch_bits: u32::MAX,
            frequency: 110.0,
            sync: NodeSyncSettings::default(),
            tick: ControlTick::default(),
            terms: NodeTermsSettings::default(),
            terms_id: 0,
            pool_selector_id: 0,
        })
    }

    /// Tag of the hub this pool joined (0 = none).
    pub fn hub(&self) -> u32 {
        self.membership.hub()
    }
}

impl NodeModule {
    /// Rewrites the outputs and lights that follow the hub's observations (once per tick).
    fn refresh(&mut self, io: &mut ProcessIo<'_>, joined: bool) {
        let slot = self.slot.slot();
        // Up to 16 nodes a channel each; a larger pool in 16 slices (PROTOCOL.md, NODE).
        let pool_nodes = if joined {
            slot.observed(po::NODES) as usize
        } else {
            0
        };
        let nodes = pool_nodes.min(16);
        let mut total = 0.0;
        for ch in 0..16 {
            let u = if ch < nodes {
                slot.channel(ch).clamp(0.0, 1.0)
            } else {
                0.0
            };
            total += u;
            io.set_output(output::UTIL, ch, u * 10.0);
            if ch < light::NODE_COUNT {
                let b = if ch < nodes { 0.15 + 0.85 * u } else { 0.0 };
                io.set_light(light::NODE_FIRST + ch, b);
            }
        }
        io.set_channels(output::UTIL, nodes.max(1));
        let pods = if joined {
            (slot.observed(po::POD_CHANNELS) as usize).min(16)
        } else {
            0
        };
        let mask = slot.observed(po::POD_READY_MASK);
        for ch in 0..16 {
            let high = ch < pods && mask & (1 << ch) != 0;
            io.set_output(output::READY, ch, if high { 10.0 } else { 0.0 });
        }
        io.set_channels(output::READY, pods.max(1));
        let all_ready = nodes > 0 && slot.observed(po::READY_NODES) as usize == pool_nodes;
        io.set_light(light::READY, if all_ready { 1.0 } else { 0.0 });
        io.set_light(light::CORDONED, if self.cordoned { 1.0 } else { 0.0 });
        self.nodes = nodes;
        self.load = if nodes > 0 { total / nodes as f32 } else { 0.0 };
    }
}

fn knob(io: &ProcessIo<'_>, index: usize) -> f32 {
    io.param_in(&DESCRIPTOR, index)
}

impl NodeModule {
    /// The DOWN gates as a mask over node ordinals: a mono cable silences every node.
    fn kubelets_down(&mut self, io: &ProcessIo<'_>) -> u32 {
        let channels = io.channels(input::DOWN);
        for (ch, gate) in self.down_gates.iter_mut().enumerate() {
            let volts = if ch < channels {
                io.input(input::DOWN, ch)
            } else {
                0.0
            };
            gate.process(volts);
        }
        match channels {
            0 => 0,
            1 if self.down_gates[0].is_high() => u32::MAX,
            1 => 0,
            _ => (0..16).fold(0, |mask, ch| {
                mask | u32::from(self.down_gates[ch].is_high()) << ch
            }),
        }
    }
}

impl NodeModule {
    /// The control-rate part: the cable, the gates and knobs into the desired pool, the
    /// hub's observations onto the outputs and lights.
    fn control(&mut self, io: &mut ProcessIo<'_>) {
        let changed = self.membership.update(
            &self.slot,
            io.connected(input::API),
            io.input_raw(input::API),
        );
        self.cordon_gate.process(io.input(input::CORDON, 0));
        let cordoned = knob(io, param::CORDON) >= 0.5 || self.cordon_gate.is_high();
        let kubelets_down = self.kubelets_down(io);
        let slot = self.slot.slot();
        slot.set_desired(pd::COUNT, knob(io, param::COUNT).round() as u32);
        slot.set_desired(pd::CPU_M, (knob(io, param::CPU).round() * 1000.0) as u32);
        slot.set_desired(
            pd::MEMORY_MIB,
            (knob(io, param::MEMORY).round() * 1024.0) as u32,
        );
        slot.set_desired(pd::CORDONED, u32::from(cordoned));
        let zone = knob(io, param::ZONE);
        let zone = if zone.is_finite() {
            zone.clamp(0.0, 3.0)
        } else {
            0.0
        };
        slot.set_desired(pd::ZONE, zone.round() as u32 + 1);
        let taint = knob(io, param::TAINT);
        let taint = if taint.is_finite() {
            taint.clamp(0.0, 3.0)
        } else {
            0.0
        };
        slot.set_desired(pd::TAINT, taint.round() as u32);
        slot.set_desired(pd::KUBELETS_DOWN, kubelets_down);
        slot.set_desired(pd::SYNC_CORDON, u32::from(self.sync.cordon));
        slot.set_desired(pd::SYNC_TERMS, u32::from(self.sync.labels));
        slot.set_desired(pd::TERMS, u32::from(self.terms_id));
        slot.set_desired(pd::POOL_SELECTOR, u32::from(self.pool_selector_id));

        let joined = self.membership.hub() != 0;
        let published = slot.heartbeat.load(std::sync::atomic::Ordering::Relaxed);
        if changed || published != self.seen_publish || self.cordoned != cordoned {
            self.seen_publish = published;
            self.cordoned = cordoned;
            self.refresh(io, joined);
        }
        let pitch = knob(io, param::PITCH);
        if pitch.to_bits() != self.pitch_bits {
            self.pitch_bits = pitch.to_bits();
            self.frequency = 110.0 * pitch.exp2();
        }
        io.update_mono(output::POOL, tag_to_volts(self.slot.tag()));
    }
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
        // The pool follows the hub once per control tick; the voice sounds every sample.
        if self.tick.due() {
            self.control(io);
        }
        let voice = self
            .voice
            .process(self.frequency, self.load, self.nodes > 0);
        io.set_mono(output::VOICE, voice);
    }

    fn reset(&mut self) {
        self.membership.reset();
        self.voice.reset();
        self.tick.restart();
        self.seen_publish = u32::MAX;
        // Initialize returns the context-menu settings to their defaults too.
        self.sync = NodeSyncSettings::default();
        self.terms = NodeTermsSettings::default();
        self.terms_id = 0;
        self.pool_selector_id = 0;
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({
            "sync": self.sync,
            "labels": self.terms.labels,
            "taints": self.terms.taints,
        })
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("NODE", state)?;
        let text = |key: &str| match state.get(key) {
            None => Ok(String::new()),
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("{key}: expected one line of text")),
        };
        // Refused text is kept as written (saved again unchanged) but not put in force.
        let interned = text("labels")
            .and_then(|labels| Ok((labels, text("taints")?)))
            .map(|(labels, taints)| NodeTermsSettings { labels, taints })
            .and_then(|terms| {
                let (ok, refused) = terms.accepted();
                Ok((table::intern_node(&ok.parse()?)?, terms, refused))
            })
            .map_err(|e| LoadError(format!("NODE {e}; without labels and taints")));
        let terms_result = match interned {
            Ok((id, terms, refused)) => {
                (self.terms, self.terms_id) = (terms, id);
                super::refused_text("NODE", &refused)
            }
            Err(e) => {
                (self.terms, self.terms_id) = (NodeTermsSettings::default(), 0);
                Err(e)
            }
        };
        let parsed = state
            .get("sync")
            .map_or(Ok(NodeSyncSettings::default()), |v| {
                NodeSyncSettings::deserialize(v)
            });
        match parsed {
            Ok(sync) => {
                // A refused selector is kept as written (saved again unchanged), not in force.
                let selector = intern_pool_selector(&sync.pool_selector);
                self.pool_selector_id = *selector.as_ref().unwrap_or(&0);
                self.sync = sync;
                terms_result.and(
                    selector
                        .map(drop)
                        .map_err(|e| LoadError(format!("{e}; kept as written, not in force"))),
                )
            }
            Err(e) => {
                self.sync = NodeSyncSettings::default();
                self.pool_selector_id = 0;
                Err(LoadError(format!(
                    "NODE sync settings: {e}; using defaults"
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
