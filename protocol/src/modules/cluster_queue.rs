//! CLUSTERQUEUE: a Kueue ClusterQueue (with its LocalQueue) that JOB and ENCHANTMENT modules
//! submit to; chained by cables into a cohort.

use crate::types::*;

/// Param indices.
pub mod param {
    /// nominalQuota of cpu per flavor, cores.
    pub const CPU: usize = 0;
    /// nominalQuota of memory per flavor, GiB.
    pub const MEMORY: usize = 1;
    /// nominalQuota of the flavor's mana, units.
    pub const MANA: usize = 2;
    /// borrowingLimit, percent of nominal (200: no limit).
    pub const BORROW: usize = 3;
    /// lendingLimit, percent of nominal (100: no limit).
    pub const LEND: usize = 4;
    /// The flavors: default, fire, frost, arcane, or all three essences.
    pub const FLAVOR: usize = 5;
    /// queueingStrategy.
    pub const STRATEGY: usize = 6;
    /// preemption.withinClusterQueue.
    pub const PREEMPTION: usize = 7;
    /// preemption.reclaimWithinCohort.
    pub const RECLAIM: usize = 8;
}

/// Input indices.
pub mod input {
    /// The cluster reference.
    pub const API: usize = 0;
    /// Another CLUSTERQUEUE's COHORT output: join its cohort.
    pub const COHORT: usize = 1;
    /// Scales every nominal quota.
    pub const QUOTA: usize = 2;
}

/// Output indices.
pub mod output {
    /// Reference to this queue, for JOB and ENCHANTMENT modules.
    pub const QUEUE: usize = 0;
    /// Reference for the next CLUSTERQUEUE of the cohort.
    pub const COHORT: usize = 1;
    /// Trigger per admission.
    pub const ADMIT: usize = 2;
    /// Trigger per preempted workload.
    pub const PREEMPT: usize = 3;
    /// High while borrowing.
    pub const BORROW: usize = 4;
    /// Pending workloads CV.
    pub const PENDING: usize = 5;
    /// Admitted workloads CV.
    pub const ADMITTED: usize = 6;
    /// cpu usage CV.
    pub const CPU: usize = 7;
    /// memory usage CV.
    pub const MEMORY: usize = 8;
    /// mana usage CV.
    pub const MANA: usize = 9;
    /// status.fairSharing.weightedShare CV.
    pub const SHARE: usize = 10;
}

/// Light indices.
pub mod light {
    /// Workloads pending.
    pub const PENDING: usize = 0;
    /// Brightness: cpu usage.
    pub const ADMITTED: usize = 1;
    /// Borrowing from the cohort.
    pub const BORROWING: usize = 2;
    /// Deleted, waiting for admitted workloads.
    pub const TERMINATING: usize = 3;
}

const C1: f32 = 10.16;
const C2: f32 = 30.48;
const C3: f32 = 50.8;
const C4: f32 = 71.12;
const USAGE: &str = "5 V at nominal quota, 10 V at twice";

/// The CLUSTERQUEUE descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "ClusterQueue",
    name: "CLUSTERQUEUE",
    description: "A Kueue ClusterQueue: quota per flavor, FIFO admission, priority preemption, cohorts to borrow in",
    tags: &["Utility", "Logic"],
    role: ModuleRole::Member,
    hp: 16,
    params: &[
        knob("CPU", "CPU quota", "nominalQuota of cpu per flavor", 0.0, 64.0, 4.0, " cores", at(C1, 31.0)),
        knob("MEMORY", "Memory quota", "nominalQuota of memory per flavor", 0.0, 256.0, 16.0, " GiB", at(C2, 31.0)),
        knob("MANA", "Mana quota", "nominalQuota of manawell.io/<essence> per essence flavor (ignored by default-flavor)", 0.0, 64.0, 12.0, " units", at(C3, 31.0)).snapped(),
        knob("BORROW", "Borrowing limit", "borrowingLimit: how much more than nominal it may take from its cohort, in percent of nominal (200 %: no limit)", 0.0, 200.0, 200.0, " %", at(C4, 31.0)).snapped(),
        knob("LEND", "Lending limit", "lendingLimit: how much of its unused nominal quota the cohort may borrow, in percent (100 %: no limit)", 0.0, 100.0, 100.0, " %", at(C1, 49.0)).snapped(),
        switch(
            "FLAVOR",
            "Flavors",
            "The ResourceFlavors of its resource group: default-flavor (any node), one essence (nodes labelled energy=<essence>, tainted alike), or all three essences in order fire, frost, arcane",
            &["default-flavor", "fire", "frost", "arcane", "fire, frost, arcane"],
            at(C2, 49.0),
        ),
        switch(
            "STRATEGY",
            "Queueing strategy",
            "queueingStrategy: BestEffortFIFO lets smaller workloads pass a head that does not fit; StrictFIFO makes them wait",
            &["BestEffortFIFO", "StrictFIFO"],
            at(C3, 49.0),
        ),
        switch(
            "PREEMPTION",
            "Preemption",
            "preemption.withinClusterQueue: whom a workload that does not fit may evict in this queue",
            &["Never", "LowerPriority", "LowerOrNewerEqualPriority"],
            at(C4, 49.0),
        ),
        switch(
            "RECLAIM",
            "Reclaim in cohort",
            "preemption.reclaimWithinCohort: whom it may evict in other queues of the cohort that borrow its quota",
            &["Never", "LowerPriority", "Any"],
            at(C1, 67.0),
        ),
    ],
    inputs: &[
        port(
            "API",
            "API server",
            "Reference from a CLUSTER's API output; unplugging it deletes the ClusterQueue (Terminating while workloads are admitted)",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(C2, 67.0),
        ),
        port(
            "COHORT",
            "Cohort in",
            "Reference from another CLUSTERQUEUE's COHORT output: both join one cohort (a chain of cables makes one cohort)",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(C3, 67.0),
        ),
        port(
            "QUOTA",
            "Quota CV",
            "When patched, scales every nominal quota in 5 % steps: 5 V is the knobs' value, 0 V none, 10 V twice",
            SignalKind::UnipolarCv,
            "0..10 V, 5 V = x1",
            1,
            at(C4, 67.0),
        ),
    ],
    outputs: &[
        port(
            "QUEUE",
            "Queue",
            "Reference to this queue's LocalQueue, for the QUEUE inputs of JOB and ENCHANTMENT modules",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(C1, 86.0),
        ),
        port(
            "COHORT",
            "Cohort out",
            "Reference for the next CLUSTERQUEUE's COHORT input",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(C2, 86.0),
        ),
        port(
            "ADMIT",
            "Admit",
            "A trigger per workload admitted",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(C3, 86.0),
        ),
        port(
            "PREEMPT",
            "Preempt",
            "A trigger per workload of this queue preempted (its Job is suspended and requeued)",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(C4, 86.0),
        ),
        port(
            "BORROW",
            "Borrowing",
            "High while the queue uses more than its nominal quota of some resource",
            SignalKind::Gate,
            "10 V while borrowing",
            1,
            at(C1, 102.0),
        ),
        port(
            "PENDING",
            "Pending",
            "status.pendingWorkloads",
            SignalKind::UnipolarCv,
            "0.5 V per workload, 10 V at 20",
            1,
            at(C2, 102.0),
        ),
        port(
            "ADMITTED",
            "Admitted",
            "status.admittedWorkloads",
            SignalKind::UnipolarCv,
            "0.5 V per workload, 10 V at 20",
            1,
            at(C3, 102.0),
        ),
        port("CPU", "CPU usage", "cpu in use over nominal quota (all flavors)", SignalKind::UnipolarCv, USAGE, 1, at(C1, 117.0)),
        port("MEMORY", "Memory usage", "memory in use over nominal quota (all flavors)", SignalKind::UnipolarCv, USAGE, 1, at(C2, 117.0)),
        port("MANA", "Mana usage", "mana in use over nominal quota (all essence flavors)", SignalKind::UnipolarCv, USAGE, 1, at(C3, 117.0)),
        port(
            "SHARE",
            "Weighted share",
            "status.fairSharing.weightedShare: what it borrows beyond its nominal quota over what the cohort could lend it, divided by its weight (0 while it borrows nothing); shown with fair sharing on or off",
            SignalKind::UnipolarCv,
            "1 V per 100 (per mille of the lendable), 10 V at 1000 and for a borrowing queue of weight 0",
            1,
            at(C4, 102.0),
        ),
    ],
    lights: &[
        light("PENDING", "Pending", "Lit while workloads wait", LightColor::Yellow, at(C1, 15.0)),
        light("ADMITTED", "Admitted", "Brightness: cpu usage over nominal quota", LightColor::Green, at(C2, 15.0)),
        light("BORROWING", "Borrowing", "Lit while borrowing from the cohort", LightColor::Blue, at(C3, 15.0)),
        light("TERMINATING", "Terminating", "Lit while deleted but kept for admitted workloads", LightColor::Red, at(C4, 15.0)),
    ],
    settings: &[SettingDescriptor {
        default: 2,
        ..setting(
            "fairSharing.weight",
            "Kueue",
            "Fair sharing weight",
            "fairSharing.weight: its share is divided by it, so a heavier queue may borrow more before others come first; a queue of weight 0 borrows only what nobody else asks for",
            &[
                choice("0", "0.0"),
                choice("0.5", "0.5"),
                choice("1", "1.0"),
                choice("2", "2.0"),
                choice("4", "4.0"),
                choice("8", "8.0"),
            ],
        )
    }],
    status: None,
};
