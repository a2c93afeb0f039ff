//! SCHEDULER: the cluster's kube-scheduler configuration, and what it does as triggers and CVs.

use crate::types::*;

/// Param indices.
pub mod param {
    /// NodeResourcesFit scoring: 0 LeastAllocated (spread) .. 1 MostAllocated (bin-pack).
    pub const STRATEGY: usize = 0;
    /// percentageOfNodesToScore (0 = adaptive).
    pub const PERCENT: usize = 1;
    /// DefaultPreemption on or off.
    pub const PREEMPTION: usize = 2;
}

/// Input indices.
pub mod input {
    /// The cluster reference.
    pub const API: usize = 0;
}

/// Output indices.
pub mod output {
    /// Trigger per pod bound.
    pub const BIND: usize = 0;
    /// Trigger per preemption.
    pub const PREEMPT: usize = 1;
    /// Unschedulable pods CV.
    pub const UNSCHED: usize = 2;
    /// Queue depth CV.
    pub const QUEUE: usize = 3;
}

/// Light indices.
pub mod light {
    /// This scheduler's configuration is in force.
    pub const ACTIVE: usize = 0;
    /// Pods are waiting as unschedulable.
    pub const UNSCHED: usize = 1;
}

const L: f32 = 10.16;
const R: f32 = 30.48;

/// The SCHEDULER descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Scheduler",
    name: "SCHEDULER",
    description: "The cluster's kube-scheduler: spread or bin-pack, preemption, and a trigger per binding",
    tags: &["Utility", "Random"],
    role: ModuleRole::Member,
    hp: 8,
    params: &[
        knob(
            "STRATEGY",
            "Scoring",
            "NodeResourcesFit scoring: LeastAllocated (spread) at 0, MostAllocated (bin-pack) at 1, a RequestedToCapacityRatio line in between",
            0.0,
            1.0,
            0.0,
            "",
            at(L, 36.0),
        ),
        knob(
            "PERCENT",
            "Nodes to score",
            "percentageOfNodesToScore: 0 is upstream's adaptive default, else 5 to 100 %",
            0.0,
            100.0,
            0.0,
            " %",
            at(R, 36.0),
        )
        .snapped(),
        switch(
            "PREEMPTION",
            "Preemption",
            "DefaultPreemption: off makes every pod PreemptionPolicy Never",
            &["Off", "On"],
            at(L, 56.0),
        )
        .with_default(1.0),
    ],
    inputs: &[port(
        "API",
        "API server",
        "Reference from a CLUSTER's API output; the lowest-tagged SCHEDULER joined to a hub configures it",
        SignalKind::Reference,
        "tag / 512 V",
        1,
        at(R, 56.0),
    )],
    outputs: &[
        port(
            "BIND",
            "Bind",
            "A trigger per pod this cluster's scheduler binds",
            SignalKind::Trigger,
            "10 V, 1 ms per pod",
            1,
            at(L, 88.0),
        ),
        port(
            "PREEMPT",
            "Preempt",
            "A trigger per preemption (victims deleted, a node nominated)",
            SignalKind::Trigger,
            "10 V, 1 ms per preemption",
            1,
            at(R, 88.0),
        ),
        port(
            "UNSCHED",
            "Unschedulable",
            "Pods waiting as unschedulable",
            SignalKind::UnipolarCv,
            "0.1 V per pod, 10 V at 100",
            1,
            at(L, 106.0),
        ),
        port(
            "QUEUE",
            "Queue depth",
            "Pods waiting to be scheduled: activeQ + backoffQ + unschedulable",
            SignalKind::UnipolarCv,
            "0.1 V per pod, 10 V at 100",
            1,
            at(R, 106.0),
        ),
    ],
    lights: &[
        light("ACTIVE", "In force", "Lit while this SCHEDULER configures its hub", LightColor::Green, at(L, 18.0)),
        light("UNSCHED", "Unschedulable", "Lit while pods wait as unschedulable", LightColor::Red, at(R, 18.0)),
    ],
    settings: &[],
};
