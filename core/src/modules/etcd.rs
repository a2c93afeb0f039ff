//! ETCD: the store behind a hub's world, made audible. A tick per revision, the leader's
//! heartbeat every 100 ms of simulated time, a trigger per compaction, and a WRITE input for
//! writes by clients outside the control plane. Alone it is a lone etcd keeping its own
//! revision in real time.

use std::sync::Arc;

use kuberack_protocol::modules::etcd::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::ModuleDescriptor;

use super::control_rate::{ControlTick, CONTROL_PERIOD};
use super::membership::{CounterWatch, Membership};
use super::words::{etcd_desired as ed, etcd_observed as eobs};
use crate::dsp::{PulseTrain, RevisionTicks, SchmittTrigger};
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, SlotHandle, SlotKind};
use crate::world::COMPACTION_INTERVAL;

/// etcd's default --heartbeat-interval, milliseconds.
pub const HEARTBEAT_INTERVAL_MS: u32 = 100;
/// Samples over which one burst of revision ticks is spread.
const TICK_WINDOW: u32 = 32;

/// The REVISION output: revision modulo 1000 over 0..10 V.
pub fn revision_volts(revision: u32) -> f32 {
    (revision % 1000) as f32 * 0.01
}

/// A lone etcd's own clock and revision (no hub).
#[derive(Debug, Clone, Copy, Default)]
struct LoneStore {
    revision: u32,
    time_ms: f64,
}

/// The ETCD module.
pub struct EtcdModule {
    slot: SlotHandle,
    membership: Membership,
    write: SchmittTrigger,
    writes: u32,
    synced: bool,
    revisions: CounterWatch,
    beats: CounterWatch,
    compactions: CounterWatch,
    lone: LoneStore,
    sample_period_ms: f64,
    ticks: RevisionTicks,
    heartbeat_pulses: PulseTrain,
    compaction_pulses: PulseTrain,
    revision: u32,
    /// WRITE triggers since the last control tick.
    new_writes: u32,
    tick: ControlTick,
    /// TONE and LEVEL as read at the last tick.
    tone: f32,
    level: f32,
}

fn seed(tag: u32) -> u64 {
    0xe7cd ^ u64::from(tag)
}

impl EtcdModule {
    /// A lone etcd; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<EtcdModule> {
        let slot = registry.claim(SlotKind::Etcd)?;
        Some(EtcdModule {
            ticks: RevisionTicks::new(48_000.0, seed(slot.tag())),
            slot,
            membership: Membership::default(),
            write: SchmittTrigger::default(),
            writes: 0,
            synced: false,
            revisions: CounterWatch::default(),
            beats: CounterWatch::default(),
            compactions: CounterWatch::default(),
            lone: LoneStore::default(),
            sample_period_ms: 1000.0 / 48_000.0,
            heartbeat_pulses: PulseTrain::new(48_000.0),
            compaction_pulses: PulseTrain::new(48_000.0),
            revision: 0,
            new_writes: 0,
            tick: ControlTick::default(),
            tone: DESCRIPTOR.params[param::TONE].default,
            level: DESCRIPTOR.params[param::LEVEL].default,
        })
    }

    /// New revisions, heartbeats and compactions from the hub's published words.
    fn follow_hub(&mut self) -> (u32, u32, u32) {
        let slot = self.slot.slot();
        let revision = slot.observed(eobs::REVISION);
        let beats = slot.observed(eobs::TIME_MS) / HEARTBEAT_INTERVAL_MS;
        let compactions = slot.observed(eobs::COMPACTIONS);
        if !self.synced {
            // Nothing published yet, or just joined: start counting from what is there.
            if revision == 0 {
                return (0, 0, 0);
            }
            self.synced = true;
            self.revisions.resync(revision);
            self.beats.resync(beats);
            self.compactions.resync(compactions);
        }
        self.revision = revision;
        (
            self.revisions.new_events(revision),
            self.beats.new_events(beats),
            self.compactions.new_events(compactions),
        )
    }

    /// A lone etcd: its own revisions (one per write), heartbeat and compaction in real time,
    /// over one control tick.
    fn run_alone(&mut self, writes: u32) -> (u32, u32, u32) {
        let before = self.lone;
        self.lone.revision = self.lone.revision.wrapping_add(writes);
        self.lone.time_ms += self.sample_period_ms * f64::from(CONTROL_PERIOD);
        let beat = |t: f64| (t / f64::from(HEARTBEAT_INTERVAL_MS)) as u64;
        let compaction = |t: f64| (t / (COMPACTION_INTERVAL * 1000.0)) as u64;
        let beats = beat(self.lone.time_ms) - beat(before.time_ms);
        let compactions = compaction(self.lone.time_ms) - compaction(before.time_ms);
        self.lone.revision = self.lone.revision.wrapping_add(compactions as u32);
        self.revision = self.lone.revision;
        (
            self.lone.revision.wrapping_sub(before.revision),
            beats as u32,
            compactions as u32,
        )
    }
}

impl EtcdModule {
    /// The control-rate part: the cable, the writes counted since the last tick, the store's
    /// new revisions, heartbeats and compactions, the knobs, REVISION and JOINED.
    fn control(&mut self, io: &mut ProcessIo<'_>) {
        if self.membership.update(
            &self.slot,
            io.connected(input::API),
            io.input_raw(input::API),
        ) {
            self.writes = 0;
            self.synced = false;
        }
        let wrote = std::mem::take(&mut self.new_writes);
        let joined = self.membership.hub() != 0;
        let (revisions, beats, compactions) = if joined {
            self.writes = self.writes.wrapping_add(wrote);
            self.slot.slot().set_desired(ed::WRITES, self.writes);
            self.follow_hub()
        } else {
            self.run_alone(wrote)
        };
        self.ticks.add(u64::from(revisions), TICK_WINDOW);
        self.heartbeat_pulses.add(beats);
        self.compaction_pulses.add(compactions);
        self.tone = io.param_in(&DESCRIPTOR, param::TONE);
        self.level = io.param_in(&DESCRIPTOR, param::LEVEL);
        io.update_mono(output::REVISION, revision_volts(self.revision));
        io.update_light(light::JOINED, if joined { 1.0 } else { 0.0 });
    }
}

impl Module for EtcdModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.sample_period_ms = 1000.0 / f64::from(sample_rate);
            self.ticks.set_sample_rate(sample_rate);
            self.heartbeat_pulses.set_sample_rate(sample_rate);
            self.compaction_pulses.set_sample_rate(sample_rate);
        }
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        // WRITE is counted every sample; the store follows the hub once per control tick;
        // the ticks, heartbeat and compaction sound every sample.
        if self.write.process(io.input(input::WRITE, 0)) {
            self.new_writes = self.new_writes.saturating_add(1);
        }
        if self.tick.due() {
            self.control(io);
        }
        let audio = self.ticks.process(self.tone, self.level);
        io.set_mono(output::AUDIO, audio);
        let heartbeat = self.heartbeat_pulses.process();
        io.update_mono(output::HEARTBEAT, heartbeat);
        let compaction = self.compaction_pulses.process();
        io.update_mono(output::COMPACTION, compaction);
        io.update_light(light::HEARTBEAT, heartbeat / 10.0);
    }

    fn reset(&mut self) {
        self.membership.reset();
        self.write = SchmittTrigger::default();
        self.writes = 0;
        self.new_writes = 0;
        self.tick.restart();
        self.synced = false;
        self.lone = LoneStore::default();
        self.revision = 0;
        self.ticks.reset(seed(self.slot.tag()));
        self.heartbeat_pulses.reset();
        self.compaction_pulses.reset();
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("ETCD", state)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_volts_wrap_every_thousand() {
        assert_eq!(revision_volts(0), 0.0);
        assert!((revision_volts(500) - 5.0).abs() < 1e-6);
        assert!((revision_volts(1999) - 9.99).abs() < 1e-5);
        assert_eq!(revision_volts(2000), 0.0);
    }
}
