//! NODE: a pool of identical nodes joined to a cluster.

use crate::types::*;

/// Param indices.
pub mod param {
    /// Number of nodes in the pool.
    pub const COUNT: usize = 0;
    /// Allocatable CPU per node, in cores.
    pub const CPU: usize = 1;
    /// Allocatable memory per node, in GiB.
    pub const MEMORY: usize = 2;
    /// Pitch of the load voice (V/oct around 110 Hz).
    pub const PITCH: usize = 3;
    /// Cordon switch.
    pub const CORDON: usize = 4;
    /// Zone switch: label topology.kubernetes.io/zone (zone-a..zone-d).
    pub const ZONE: usize = 5;
    /// Taint switch: kuberack.io/dedicated with no effect, NoSchedule, PreferNoSchedule or
    /// NoExecute.
    pub const TAINT: usize = 6;
}

/// Input indices.
pub mod input {
    /// The cluster reference.
    pub const API: usize = 0;
    /// Cordon gate.
    pub const CORDON: usize = 1;
    /// Kubelet-down gates (poly: a channel per node; mono: every node).
    pub const DOWN: usize = 2;
}

/// Output indices.
pub mod output {
    /// Per-node utilisation (poly).
    pub const UTIL: usize = 0;
    /// Ready gates of the pool's pods (poly).
    pub const READY: usize = 1;
    /// Load voice.
    pub const VOICE: usize = 2;
    /// Reference to this pool, for an AUTOSCALER.
    pub const POOL: usize = 3;
}

/// Light indices.
pub mod light {
    /// Every node of the pool is Ready.
    pub const READY: usize = 0;
    /// The pool is cordoned.
    pub const CORDONED: usize = 1;
    /// First per-node utilisation light; eight follow in order.
    pub const NODE_FIRST: usize = 2;
    /// Number of per-node lights.
    pub const NODE_COUNT: usize = 8;
}

const L: f32 = 10.16;
const R: f32 = 30.48;
const Z: f32 = 50.8;
const fn node_x(i: usize) -> f32 {
    20.32 + (i as f32 - 3.5) * 4.0
}

/// The NODE descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Node",
    name: "NODE",
    description: "A pool of identical Kubernetes nodes: capacity for pods, utilisation CVs and a load voice",
    tags: &["Oscillator", "Polyphonic", "Utility"],
    role: ModuleRole::Member,
    hp: 12,
    params: &[
        knob("COUNT", "Nodes", "Number of identical nodes in this pool (over 16, each poly channel summarises a 1/16th slice)", 1.0, 1000.0, 1.0, " nodes", at(L, 34.0)).snapped(),
        knob("CPU", "CPU per node", "Allocatable CPU of each node", 1.0, 64.0, 4.0, " cores", at(R, 34.0)).snapped(),
        knob("MEMORY", "Memory per node", "Allocatable memory of each node", 1.0, 256.0, 16.0, " GiB", at(L, 52.0)).snapped(),
        knob("PITCH", "Voice pitch", "Pitch of the load voice", -3.0, 3.0, 0.0, " Hz", at(R, 52.0)).display(2.0, 110.0, 0.0),
        switch(
            "CORDON",
            "Cordon",
            "Mark every node of the pool unschedulable (running pods stay)",
            &["Schedulable", "Cordoned"],
            at(L, 68.0),
        ),
        switch(
            "ZONE",
            "Zone",
            "Label topology.kubernetes.io/zone of every node (each node is also labelled kubernetes.io/hostname)",
            &["zone-a", "zone-b", "zone-c", "zone-d"],
            at(Z, 34.0),
        ),
        switch(
            "TAINT",
            "Taint",
            "Taint kuberack.io/dedicated on every node: NoExecute also evicts running pods that do not tolerate it",
            &["None", "NoSchedule", "PreferNoSchedule", "NoExecute"],
            at(Z, 56.0),
        ),
    ],
    inputs: &[
        port(
            "API",
            "API server",
            "Reference from a CLUSTER's API output; unplugging it deletes the pool's nodes and evicts their pods",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(L, 90.0),
        ),
        port(
            "CORDON",
            "Cordon gate",
            "High cordons the pool, like the switch",
            SignalKind::Gate,
            "high >= 1 V, low <= 0.1 V",
            1,
            at(R, 68.0),
        ),
        port(
            "DOWN",
            "Kubelet down",
            "While high the node's kubelet is silent (crashed, or the node lost its network): no heartbeats, its pods stand still, NotReady after 15 s, Ready again when it drops. Mono: every node of the pool; poly: channel n is node n (over 16 nodes, the nodes of slice n)",
            SignalKind::Gate,
            "high >= 1 V, low <= 0.1 V, a channel per node",
            16,
            at(Z, 76.0),
        ),
    ],
    outputs: &[
        port(
            "UTIL",
            "Utilisation",
            "CPU requested over allocatable, one channel per node (over 16 nodes, the mean of each 1/16th slice)",
            SignalKind::UnipolarCv,
            "0..10 V = 0..100 %, a channel per node or slice",
            16,
            at(R, 90.0),
        ),
        port(
            "READY",
            "Pod ready gates",
            "A gate per pod bound to the pool (oldest first), high while the pod is Ready",
            SignalKind::Gate,
            "10 V while Ready, a channel per pod, up to 16",
            16,
            at(L, 107.0),
        ),
        port(
            "VOICE",
            "Load voice",
            "A drone whose brightness and loudness follow the pool's utilisation",
            SignalKind::Audio,
            "±5 V",
            1,
            at(R, 107.0),
        ),
        port(
            "POOL",
            "Pool reference",
            "This pool, for an AUTOSCALER's POOL input",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(Z, 107.0),
        ),
    ],
    lights: &[
        light("READY", "Nodes ready", "Lit when every node of the pool is Ready", LightColor::Green, at(L, 16.0)),
        light("CORDONED", "Cordoned", "Lit while the pool is cordoned", LightColor::Yellow, at(R, 16.0)),
        light("NODE1", "Node 1", "Utilisation of node 1", LightColor::Green, at(node_x(0), 22.0)),
        light("NODE2", "Node 2", "Utilisation of node 2", LightColor::Green, at(node_x(1), 22.0)),
        light("NODE3", "Node 3", "Utilisation of node 3", LightColor::Green, at(node_x(2), 22.0)),
        light("NODE4", "Node 4", "Utilisation of node 4", LightColor::Green, at(node_x(3), 22.0)),
        light("NODE5", "Node 5", "Utilisation of node 5", LightColor::Green, at(node_x(4), 22.0)),
        light("NODE6", "Node 6", "Utilisation of node 6", LightColor::Green, at(node_x(5), 22.0)),
        light("NODE7", "Node 7", "Utilisation of node 7", LightColor::Green, at(node_x(6), 22.0)),
        light("NODE8", "Node 8", "Utilisation of node 8", LightColor::Green, at(node_x(7), 22.0)),
    ],
    settings: SYNC_SETTINGS,
    status: None,
};

/// The NODE's labels and taints (PROTOCOL.md, "Labels, taints, tolerations and node
/// affinity") and live-sync settings, saved under `sync` (PROTOCOL.md, "Live-cluster sync").
pub static SYNC_SETTINGS: &[SettingDescriptor] = &[
    text_setting(
        "labels",
        "Node labels and taints",
        "Labels",
        "Labels on every node of the pool: gpu=true, disk=ssd (the ZONE switch sets topology.kubernetes.io/zone)",
        TextForm::NodeLabels,
    ),
    text_setting(
        "taints",
        "Node labels and taints",
        "Taints",
        "Taints on every node of the pool: dedicated=gpu:NoSchedule, soft=yes:PreferNoSchedule, drain:NoExecute (the TAINT switch sets kuberack.io/dedicated)",
        TextForm::NodeTaints,
    ),
    setting(
        "sync.cordon",
        "Live sync",
        "Sync cordon",
        "While the hub syncs, CORDON (switch or gate) cordons the real nodes labelled app.kubernetes.io/managed-by=kuberack and kuberack.io/module=node-<module id>; off: real nodes are never written",
        &[choice("Off", "false"), choice("On", "true")],
    ),
    setting(
        "sync.labels",
        "Live sync",
        "Sync labels and taints",
        "While the hub syncs, the typed labels and taints are applied (server-side apply, field manager kuberack) to the real nodes labelled app.kubernetes.io/managed-by=kuberack and kuberack.io/module=node-<module id>; turned off, they are taken off again",
        &[choice("Off", "false"), choice("On", "true")],
    ),
    text_setting(
        "sync.poolSelector",
        "Live sync",
        "Pool selector",
        "While the hub syncs, the real nodes this selects are this NODE's (a node labelled kuberack.io/module=node-<id> stays with that NODE): karpenter.sh/nodepool=gp, or node.kubernetes.io/instance-type=m5.large, !karpenter.sh/nodepool",
        TextForm::NodeAffinity,
    ),
];
