//! ENCHANTMENT: the forge. Each FORGE trigger draws an item from the catalog and forges it
//! with one queued Job per essence it needs.

use crate::types::*;

/// Param indices.
pub mod param {
    /// Seconds per essence unit.
    pub const COST: usize = 0;
    /// The tier drawn: random (by weight) or one tier.
    pub const TIER: usize = 1;
}

/// Input indices.
pub mod input {
    /// The cluster reference.
    pub const API: usize = 0;
    /// The queue reference (a CLUSTERQUEUE's QUEUE output).
    pub const QUEUE: usize = 1;
    /// Forge trigger.
    pub const FORGE: usize = 2;
}

/// Output indices.
pub mod output {
    /// Trigger when an Enchantment is created (phase Scheduled).
    pub const SCHEDULED: usize = 0;
    /// Trigger when an Enchantment's Jobs are all admitted (phase Enchanting).
    pub const ENCHANTING: usize = 1;
    /// Trigger when an Enchantment's Job is preempted (phase Requeued).
    pub const REQUEUED: usize = 2;
    /// Trigger when an item is forged (phase Completed).
    pub const FORGED: usize = 3;
    /// Trigger when an Enchantment fails (phase Failed).
    pub const FAILED: usize = 4;
    /// The tier of the latest forged item.
    pub const TIER: usize = 5;
}

/// Light indices.
pub mod light {
    /// An Enchantment waits for admission.
    pub const SCHEDULED: usize = 0;
    /// An Enchantment is being forged.
    pub const ENCHANTING: usize = 1;
    /// An Enchantment was preempted and waits again.
    pub const REQUEUED: usize = 2;
    /// An Enchantment completed (until it is removed).
    pub const COMPLETED: usize = 3;
    /// An Enchantment failed (until it is removed).
    pub const FAILED: usize = 4;
}

const L: f32 = 10.16;
const C: f32 = 30.48;
const R: f32 = 50.8;

/// The ENCHANTMENT descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Enchantment",
    name: "ENCHANTMENT",
    description: "The forge: a trigger draws an item and forges it with one queued Job per essence of mana it needs",
    tags: &["Sequencer", "Random"],
    role: ModuleRole::Member,
    hp: 12,
    params: &[
        knob("COST", "Cost", "Seconds each essence unit takes: an essence Job runs amount x cost seconds", 0.5, 60.0, 5.0, " s", at(L, 50.0)),
        switch(
            "TIER",
            "Tier",
            "The tier FORGE draws: random (common 50, rare 30, epic 15, legendary 5 in 100) or always one tier",
            &["random", "common", "rare", "epic", "legendary"],
            at(R, 50.0),
        ),
    ],
    inputs: &[
        port(
            "API",
            "API server",
            "Reference from a CLUSTER's API output; unplugging it deletes this forge's Enchantments and their Jobs",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(L, 84.0),
        ),
        port(
            "QUEUE",
            "Queue",
            "Reference from a CLUSTERQUEUE's QUEUE output: the queue the essence Jobs name (kueue.x-k8s.io/queue-name); unpatched, the Jobs are not queued and start at once",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(C, 84.0),
        ),
        port(
            "FORGE",
            "Forge",
            "Each trigger draws an item and creates its Enchantment (at most 4 of this module's at once; a trigger beyond that is ignored; finished ones are removed 30 s after they end)",
            SignalKind::Trigger,
            "rising edge >= 1 V",
            1,
            at(R, 84.0),
        ),
    ],
    outputs: &[
        port(
            "SCHEDULED",
            "Scheduled",
            "A trigger when an Enchantment is created and its Jobs wait for admission",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(L, 100.0),
        ),
        port(
            "ENCHANTING",
            "Enchanting",
            "A trigger when every essence Job of an Enchantment is admitted (again)",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(C, 100.0),
        ),
        port(
            "REQUEUED",
            "Requeued",
            "A trigger when an Enchantment's Job is preempted and waits in the queue again",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(R, 100.0),
        ),
        port(
            "FORGED",
            "Forged",
            "A trigger when every essence Job completed: the item is forged",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(L, 115.0),
        ),
        port(
            "FAILED",
            "Failed",
            "A trigger when an Enchantment fails (a Job failed or was deleted)",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(C, 115.0),
        ),
        port(
            "TIER",
            "Tier",
            "The tier of the latest forged item: common 1 V, rare 2 V, epic 3 V, legendary 4 V (0 V before the first)",
            SignalKind::UnipolarCv,
            "1 V per tier",
            1,
            at(R, 115.0),
        ),
    ],
    lights: &[
        light("SCHEDULED", "Scheduled", "Lit while an Enchantment waits for its Jobs' admission", LightColor::Blue, at(L, 16.0)),
        light("ENCHANTING", "Enchanting", "Lit while an Enchantment's Jobs are all admitted", LightColor::Yellow, at(C, 16.0)),
        light("REQUEUED", "Requeued", "Lit while a preempted Enchantment waits in the queue again", LightColor::Yellow, at(R, 16.0)),
        light("COMPLETED", "Completed", "Lit while a forged Enchantment awaits removal", LightColor::Green, at(20.32, 28.0)),
        light("FAILED", "Failed", "Lit while a failed Enchantment awaits removal", LightColor::Red, at(40.64, 28.0)),
    ],
    settings: &POD_TERMS_SETTINGS,
    status: None,
};
