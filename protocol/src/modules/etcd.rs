//! ETCD: the cluster's key-value store, heard and clocked.

use crate::types::*;

/// Param indices.
pub mod param {
    /// Pitch of the revision ticks (V/oct around 880 Hz).
    pub const TONE: usize = 0;
    /// Level of the revision ticks.
    pub const LEVEL: usize = 1;
}

/// Input indices.
pub mod input {
    /// The cluster reference.
    pub const API: usize = 0;
    /// One external write per trigger.
    pub const WRITE: usize = 1;
}

/// Output indices.
pub mod output {
    /// Sine ticks, one per revision.
    pub const AUDIO: usize = 0;
    /// Leader heartbeat trigger.
    pub const HEARTBEAT: usize = 1;
    /// Revision CV.
    pub const REVISION: usize = 2;
    /// Trigger per compaction.
    pub const COMPACTION: usize = 3;
}

/// Light indices.
pub mod light {
    /// Joined to a hub.
    pub const JOINED: usize = 0;
    /// Flashes with the heartbeat.
    pub const HEARTBEAT: usize = 1;
}

const L: f32 = 10.16;
const R: f32 = 30.48;

/// The ETCD descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Etcd",
    name: "ETCD",
    description: "The cluster's etcd: a tick per revision, the leader's heartbeat, external writes and compaction",
    tags: &["Clock generator", "Noise", "Utility"],
    role: ModuleRole::Member,
    hp: 8,
    params: &[
        knob("TONE", "Tick pitch", "Pitch of the revision ticks", -2.0, 2.0, 0.0, " Hz", at(L, 38.0)).display(2.0, 880.0, 0.0),
        knob("LEVEL", "Tick level", "Level of the revision ticks", 0.0, 1.0, 0.8, "%", at(R, 38.0)).display(0.0, 100.0, 0.0),
    ],
    inputs: &[
        port(
            "API",
            "API server",
            "Reference from a CLUSTER's API output: the etcd of that cluster; without it a lone etcd",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(L, 58.0),
        ),
        port(
            "WRITE",
            "External write",
            "Each rising edge is one write by a client outside the control plane (a new revision)",
            SignalKind::Trigger,
            "high >= 1 V, low <= 0.1 V",
            1,
            at(R, 58.0),
        ),
    ],
    outputs: &[
        port(
            "AUDIO",
            "Ticks",
            "A sine tick per revision, its pitch jittered up to a semitone",
            SignalKind::Audio,
            "±5 V",
            1,
            at(L, 78.0),
        ),
        port(
            "HEARTBEAT",
            "Heartbeat",
            "The leader's heartbeat: a trigger every 100 ms of simulated time (follows WARP)",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(R, 78.0),
        ),
        port(
            "REVISION",
            "Revision",
            "The store's revision, modulo 1000",
            SignalKind::UnipolarCv,
            "10 mV per revision: revision mod 1000 over 0..10 V",
            1,
            at(L, 98.0),
        ),
        port(
            "COMPACTION",
            "Compaction",
            "A trigger per compaction (every 5 minutes of simulated time, as the API server does)",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(R, 98.0),
        ),
    ],
    lights: &[
        light("JOINED", "Joined", "Lit while this etcd is a cluster's store", LightColor::Blue, at(L, 16.0)),
        light("HEARTBEAT", "Heartbeat", "Flashes with each heartbeat", LightColor::Green, at(R, 16.0)),
    ],
    settings: &[],
};
