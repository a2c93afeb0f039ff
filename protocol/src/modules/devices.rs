//! DEVICES: the devices of one NODE pool, as a device plugin advertises them (mana as the
//! extended resource `manawell.io/<essence>`) and as a DRA driver publishes them (mana
//! wells), with their allocation in lights.

use crate::types::*;

/// Param indices.
pub mod param {
    /// The pool's essence: fire, frost or arcane.
    pub const ESSENCE: usize = 0;
    /// Mana per node, units.
    pub const MANA: usize = 1;
    /// Mana wells per node.
    pub const WELLS: usize = 2;
}

/// Input indices.
pub mod input {
    /// The cluster reference.
    pub const API: usize = 0;
    /// The pool reference (a NODE's POOL output).
    pub const POOL: usize = 1;
}

/// Output indices.
pub mod output {
    /// Trigger per claim allocated.
    pub const ALLOCATE: usize = 0;
    /// Share of the pool's wells in use.
    pub const ALLOCATED: usize = 1;
    /// Mana left unclaimed in the pool's wells.
    pub const FREE: usize = 2;
    /// Per-node device utilisation.
    pub const NODES: usize = 3;
}

/// Light indices: ACTIVE, REFUSED, then NODE1..NODE16 (`NODE1 + n` is node n).
pub mod light {
    /// The declaration is in force.
    pub const ACTIVE: usize = 0;
    /// The declaration is not in force (another DEVICES holds the pool, or no room).
    pub const REFUSED: usize = 1;
    /// Node 1's device utilisation; nodes 2..16 follow.
    pub const NODE1: usize = 2;
}

const L: f32 = 10.16;
const C: f32 = 30.48;
const R: f32 = 50.8;
const fn node_x(i: usize) -> f32 {
    30.48 + (i as f32 - 7.5) * 3.5
}

const fn node_light(id: &'static str, name: &'static str, n: usize) -> LightDescriptor {
    light(
        id,
        name,
        "Device utilisation of the pool's node with this ordinal: over its wells, the mean of each well's larger share of mana and channels claimed (the panel numbers nodes 10..16 A..G)",
        LightColor::Yellow,
        at(node_x(n), 20.0),
    )
}

/// The DEVICES descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Devices",
    name: "DEVICES",
    description: "The mana devices of a NODE pool: extended resources as a device plugin advertises them, and mana wells that pods claim through dynamic resource allocation",
    tags: &["Utility", "Polyphonic"],
    role: ModuleRole::Member,
    hp: 12,
    params: &[
        switch(
            "ESSENCE",
            "Essence",
            "The pool's essence: its nodes advertise manawell.io/<essence>, are labelled energy=<essence> and tainted energy=<essence>:NoSchedule, and publish wells of the DeviceClass <essence>.manawell.io",
            &["Fire", "Frost", "Arcane"],
            at(L, 42.0),
        ),
        knob("MANA", "Mana per node", "The extended resource manawell.io/<essence> each node advertises; the same mana is shared out among its wells", 0.0, 32.0, 8.0, " units", at(C, 42.0)).snapped(),
        knob("WELLS", "Wells per node", "Mana wells each node publishes for dynamic resource allocation (0: none), each serving up to 4 pods at once", 0.0, 8.0, 2.0, " wells", at(R, 42.0)).snapped(),
    ],
    inputs: &[
        port(
            "API",
            "API server",
            "Reference from a CLUSTER's API output",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(L, 80.0),
        ),
        port(
            "POOL",
            "Node pool",
            "Reference from a NODE's POOL output: the pool whose devices this declares (unplugged, the pool has none)",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(C, 80.0),
        ),
    ],
    outputs: &[
        port(
            "ALLOCATE",
            "Allocate",
            "A trigger per resource claim allocated on the pool's wells (a pod bound with its devices)",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(R, 80.0),
        ),
        port(
            "ALLOCATED",
            "Wells in use",
            "The share of the pool's wells holding at least one claim",
            SignalKind::UnipolarCv,
            "0..10 V = 0..100 %",
            1,
            at(L, 104.0),
        ),
        port(
            "FREE",
            "Free mana",
            "Mana of the pool's wells that no claim holds",
            SignalKind::UnipolarCv,
            "0.1 V per unit, 10 V at 100",
            1,
            at(C, 104.0),
        ),
        port(
            "NODES",
            "Node utilisation",
            "Device utilisation per node, as the lights show it",
            SignalKind::UnipolarCv,
            "0..10 V = 0..100 %, a channel per node ordinal, up to 16",
            16,
            at(R, 104.0),
        ),
    ],
    lights: &[
        light("ACTIVE", "Active", "Lit while the hub applies this declaration to the pool", LightColor::Green, at(L, 60.0)),
        light("REFUSED", "Refused", "Lit while the pool is patched but the declaration is not in force: a higher-tagged DEVICES holds the pool, or every device table is taken", LightColor::Red, at(R, 60.0)),
        node_light("NODE1", "Node 1", 0),
        node_light("NODE2", "Node 2", 1),
        node_light("NODE3", "Node 3", 2),
        node_light("NODE4", "Node 4", 3),
        node_light("NODE5", "Node 5", 4),
        node_light("NODE6", "Node 6", 5),
        node_light("NODE7", "Node 7", 6),
        node_light("NODE8", "Node 8", 7),
        node_light("NODE9", "Node 9", 8),
        node_light("NODE10", "Node 10", 9),
        node_light("NODE11", "Node 11", 10),
        node_light("NODE12", "Node 12", 11),
        node_light("NODE13", "Node 13", 12),
        node_light("NODE14", "Node 14", 13),
        node_light("NODE15", "Node 15", 14),
        node_light("NODE16", "Node 16", 15),
    ],
    settings: &[],
    status: None,
};
