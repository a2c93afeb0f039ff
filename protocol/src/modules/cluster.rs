//! CLUSTER: the hub. Owns one simulated cluster and publishes its API reference.

use crate::types::*;

/// Param indices.
pub mod param {
    /// Time warp (log10 of simulated seconds per real second).
    pub const WARP: usize = 0;
    /// Pitch of the etcd write ticks (V/oct around 880 Hz).
    pub const TONE: usize = 1;
    /// Level of the etcd write ticks.
    pub const LEVEL: usize = 2;
    /// Live-cluster sync on or off.
    pub const SYNC: usize = 3;
}

/// Input indices.
pub mod input {
    /// One reconcile step per trigger when patched.
    pub const CLOCK: usize = 0;
    /// Live-cluster sync on while high (or the SYNC switch is on).
    pub const SYNC: usize = 1;
}

/// Output indices.
pub mod output {
    /// etcd write ticks as audio.
    pub const ETCD: usize = 0;
    /// Trigger per scheduling decision (bind).
    pub const BIND: usize = 1;
    /// Trigger per failed scheduling attempt.
    pub const FAIL: usize = 2;
    /// Pending pods CV.
    pub const PENDING: usize = 3;
    /// Cluster CPU utilisation CV.
    pub const UTIL: usize = 4;
    /// The API reference.
    pub const API: usize = 5;
}

/// Light indices.
pub mod light {
    /// The control plane is stepping.
    pub const RUN: usize = 0;
    /// Stepping follows the CLOCK input.
    pub const CLOCKED: usize = 1;
    /// Some pod is unschedulable.
    pub const UNSCHEDULABLE: usize = 2;
    /// Sync is connecting to the API server.
    pub const SYNC_CONNECTING: usize = 3;
    /// Sync is connected, writing and watching.
    pub const SYNCED: usize = 4;
    /// Sync is connected but some writes or watches fail.
    pub const SYNC_DEGRADED: usize = 5;
    /// Sync cannot work and retries with backoff.
    pub const SYNC_ERROR: usize = 6;
}

const C1: f32 = 12.7;
const C2: f32 = 30.48;
const C3: f32 = 48.26;
/// The row of the CLOCK jack and the sync controls.
const SYNC_ROW: f32 = 84.0;
/// The column of the sync status lights, labelled on their right.
const SYNC_LIGHTS_X: f32 = 42.5;

/// The CLUSTER descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Cluster",
    name: "CLUSTER",
    description: "Kubernetes control plane: owns a simulated cluster, schedules its pods and sonifies etcd",
    tags: &["Clock generator", "Sequencer", "Random", "Utility"],
    role: ModuleRole::Hub,
    hp: 12,
    params: &[
        knob(
            "WARP",
            "Time warp",
            "Simulated seconds per real second (0.1x to 10000x; 1440x plays a day in a minute)",
            -1.0,
            4.0,
            0.0,
            "x",
            at(C1, 66.0),
        )
        .display(10.0, 1.0, 0.0),
        knob(
            "TONE",
            "etcd tick pitch",
            "Base pitch of the sine blip sounded for every etcd revision",
            -2.0,
            2.0,
            0.0,
            " Hz",
            at(C2, 66.0),
        )
        .display(2.0, 880.0, 0.0),
        knob(
            "LEVEL",
            "etcd tick level",
            "Loudness of the etcd write ticks",
            0.0,
            1.0,
            0.8,
            "%",
            at(C3, 66.0),
        )
        .display(0.0, 100.0, 0.0),
        switch(
            "SYNC",
            "Live-cluster sync",
            "Mirror this patch onto a real Kubernetes cluster and hear its events (kubeconfig context and namespace in the context menu)",
            &["Off", "On"],
            at(23.0, SYNC_ROW),
        ),
    ],
    inputs: &[
        port(
            "CLOCK",
            "Reconcile clock",
            "When patched, each rising edge advances one reconcile step of WARP simulated seconds instead of free-running time",
            SignalKind::Trigger,
            "rising edge >= 1 V",
            1,
            at(C1, SYNC_ROW),
        ),
        port(
            "SYNC",
            "Sync gate",
            "Live-cluster sync is on while this gate is high, or while the SYNC switch is on",
            SignalKind::Gate,
            "high >= 1 V, low <= 0.1 V",
            1,
            at(33.0, SYNC_ROW),
        ),
    ],
    outputs: &[
        port(
            "ETCD",
            "etcd writes",
            "A short sine blip with pitch jitter for every etcd revision (every API write)",
            SignalKind::Audio,
            "±5 V",
            1,
            at(C1, 100.0),
        ),
        port(
            "BIND",
            "Pod bound",
            "A trigger for every scheduling decision (a pod bound to a node)",
            SignalKind::Trigger,
            "10 V, 1 ms per bind",
            1,
            at(C2, 100.0),
        ),
        port(
            "FAIL",
            "Scheduling failed",
            "A trigger for every failed scheduling attempt (pod unschedulable)",
            SignalKind::Trigger,
            "10 V, 1 ms per failed attempt",
            1,
            at(C3, 100.0),
        ),
        port(
            "PENDING",
            "Pending pods",
            "Pods not yet bound to a node",
            SignalKind::UnipolarCv,
            "0.1 V per pending pod, 10 V at 100",
            1,
            at(C1, 114.0),
        ),
        port(
            "UTIL",
            "CPU utilisation",
            "CPU requested by bound pods over allocatable CPU of all nodes; while live sync has listed the real cluster, the real one's, summarised on 16 channels: channel 1 the whole cluster, channels 2..16 its nodes by name in up to 15 groups (see Live-cluster sync)",
            SignalKind::UnipolarCv,
            "0..10 V = 0..100 %; up to 16 channels while synced",
            16,
            at(C2, 114.0),
        ),
        port(
            "API",
            "API server",
            "Reference to this cluster: patch it into the API input of NODE, DEPLOYMENT and other members",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(C3, 114.0),
        ),
    ],
    lights: &[
        light(
            "RUN",
            "Control plane running",
            "Lit while the control plane steps; dark when the hub is bypassed",
            LightColor::Green,
            at(C1, 56.0),
        ),
        light(
            "CLOCKED",
            "Clocked",
            "Lit when the CLOCK input drives reconcile steps",
            LightColor::Blue,
            at(C2, 56.0),
        ),
        light(
            "UNSCHEDULABLE",
            "Unschedulable pods",
            "Lit while some pod waits as unschedulable",
            LightColor::Red,
            at(C3, 56.0),
        ),
        light(
            "SYNC_CONNECTING",
            "Sync connecting",
            "Lit while sync connects or reconnects to the API server",
            LightColor::Blue,
            at(SYNC_LIGHTS_X, SYNC_ROW - 5.1),
        ),
        light(
            "SYNCED",
            "Synced",
            "Lit while sync is connected, writing the patch's desired state and watching the cluster",
            LightColor::Green,
            at(SYNC_LIGHTS_X, SYNC_ROW - 1.7),
        ),
        light(
            "SYNC_DEGRADED",
            "Sync degraded",
            "Lit while sync is connected but some writes or watches fail (refused objects, conflicts, missing rights); the display shows the last error",
            LightColor::Yellow,
            at(SYNC_LIGHTS_X, SYNC_ROW + 1.7),
        ),
        light(
            "SYNC_ERROR",
            "Sync error",
            "Lit while sync cannot work (unreachable, unauthorised, stalled) and retries with backoff; the display shows the last error",
            LightColor::Red,
            at(SYNC_LIGHTS_X, SYNC_ROW + 5.1),
        ),
    ],
    settings: &[setting(
        "kueue.fairSharing",
        "Kueue",
        "Fair sharing",
        "Kueue's fairSharing.enable: in a cohort, admission goes to the queue with the lowest weighted share first, and preemption in the cohort follows the shares (LessThanOrEqualToFinalShare, then LessThanInitialShare)",
        &[choice("Off", "false"), choice("On", "true")],
    )],
    status: None,
};
