//! AUTOSCALER: a Karpenter-style node autoscaler for one NODE pool.

use crate::types::*;

/// Param indices.
pub mod param {
    /// minNodes.
    pub const MIN: usize = 0;
    /// maxNodes.
    pub const MAX: usize = 1;
    /// Launch attempts per claim.
    pub const ATTEMPTS: usize = 2;
    /// cpu limit over the pool, cores (0 = none).
    pub const CPU_LIMIT: usize = 3;
    /// memory limit over the pool, GiB (0 = none).
    pub const MEMORY_LIMIT: usize = 4;
    /// Registration timeout, seconds.
    pub const TIMEOUT: usize = 5;
    /// Launch latency, seconds.
    pub const LAUNCH: usize = 6;
    /// Initialization latency, seconds.
    pub const INIT: usize = 7;
    /// Scale-up stabilization window, seconds.
    pub const UP_WINDOW: usize = 8;
    /// Scale-down stabilization window, seconds.
    pub const DOWN_WINDOW: usize = 9;
}

/// Input indices.
pub mod input {
    /// The cluster reference.
    pub const API: usize = 0;
    /// The pool reference (a NODE's POOL output).
    pub const POOL: usize = 1;
    /// Launch-failure gate.
    pub const FAULT: usize = 2;
}

/// Output indices.
pub mod output {
    /// Trigger per scale-up.
    pub const SCALE_UP: usize = 0;
    /// Trigger per node removed.
    pub const SCALE_DOWN: usize = 1;
    /// Node count CV.
    pub const NODES: usize = 2;
    /// Blocked gate.
    pub const BLOCKED: usize = 3;
    /// Pending pods CV.
    pub const PENDING: usize = 4;
}

/// Light indices.
pub mod light {
    /// Claims launched, not yet registered.
    pub const LAUNCHED: usize = 0;
    /// Claims registered, not yet initialized.
    pub const REGISTERED: usize = 1;
    /// Claims initialized (Ready).
    pub const READY: usize = 2;
    /// A node is being drained.
    pub const DRAINING: usize = 3;
    /// maxNodes reached.
    pub const MAX_NODES: usize = 4;
    /// A cpu or memory limit reached.
    pub const LIMIT: usize = 5;
    /// Launches failed.
    pub const LAUNCH_FAILED: usize = 6;
}

const L: f32 = 10.16;
const C: f32 = 30.48;
const R: f32 = 50.8;

/// The AUTOSCALER descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Autoscaler",
    name: "AUTOSCALER",
    description: "A node autoscaler after Karpenter's NodeClaims: pending pods grow a NODE pool, idle nodes drain away",
    tags: &["Utility", "Logic"],
    role: ModuleRole::Member,
    hp: 12,
    params: &[
        knob("MIN", "Min nodes", "minNodes: nodes kept even when idle", 0.0, 16.0, 1.0, " nodes", at(L, 39.0)).snapped(),
        knob("MAX", "Max nodes", "maxNodes: a scale-up never goes beyond", 1.0, 16.0, 8.0, " nodes", at(C, 39.0)).snapped(),
        knob("ATTEMPTS", "Launch attempts", "Launches of one NodeClaim whose node never registers before it is given up", 1.0, 5.0, 3.0, "", at(R, 39.0)).snapped(),
        knob("CPU_LIMIT", "CPU limit", "spec.limits.cpu over the pool's nodes (0: no limit)", 0.0, 256.0, 0.0, " cores", at(L, 53.5)).snapped(),
        knob("MEMORY_LIMIT", "Memory limit", "spec.limits.memory over the pool's nodes (0: no limit)", 0.0, 1024.0, 0.0, " GiB", at(C, 53.5)).snapped(),
        knob("TIMEOUT", "Registration timeout", "A launched NodeClaim whose node has not registered by then is relaunched", 10.0, 600.0, 120.0, " s", at(R, 53.5)),
        knob("LAUNCH", "Launch latency", "From launch until the node registers (boot and kubelet join)", 1.0, 120.0, 20.0, " s", at(L, 68.0)),
        knob("INIT", "Init latency", "From registration until the claim is initialized (startup work done, node Ready)", 0.0, 60.0, 5.0, " s", at(C, 68.0)),
        knob("UP_WINDOW", "Scale-up window", "Pods must stay unschedulable this long before a scale-up", 0.0, 120.0, 2.0, " s", at(R, 68.0)),
        knob("DOWN_WINDOW", "Scale-down window", "A node must stay unneeded this long before it is drained", 0.0, 600.0, 60.0, " s", at(L, 83.0)),
    ],
    inputs: &[
        port(
            "API",
            "API server",
            "Reference from a CLUSTER's API output",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(C, 83.0),
        ),
        port(
            "POOL",
            "Node pool",
            "Reference from a NODE's POOL output: the pool this autoscaler sizes (its COUNT knob is then ignored)",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(R, 83.0),
        ),
        port(
            "FAULT",
            "Launch failure",
            "While high the cloud has no capacity: launched instances never register, and claims time out",
            SignalKind::Gate,
            "high >= 1 V, low <= 0.1 V",
            1,
            at(L, 98.0),
        ),
    ],
    outputs: &[
        port(
            "SCALE_UP",
            "Scale up",
            "A trigger per scale-up (NodeClaims launched for pending pods or minNodes)",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(C, 98.0),
        ),
        port(
            "SCALE_DOWN",
            "Scale down",
            "A trigger per node drained and removed",
            SignalKind::Trigger,
            "10 V, 1 ms",
            1,
            at(R, 98.0),
        ),
        port(
            "NODES",
            "Nodes",
            "Nodes of the pool, coming up included (every claim but a draining one)",
            SignalKind::UnipolarCv,
            "0.625 V per node, 10 V at 16",
            1,
            at(L, 114.0),
        ),
        port(
            "BLOCKED",
            "Blocked",
            "High while pending pods need nodes the autoscaler may not add (the lights say why)",
            SignalKind::Gate,
            "10 V while blocked",
            1,
            at(C, 114.0),
        ),
        port(
            "PENDING",
            "Pending pods",
            "Unschedulable pods that would fit a node of the pool",
            SignalKind::UnipolarCv,
            "0.1 V per pod, 10 V at 100",
            1,
            at(R, 114.0),
        ),
    ],
    lights: &[
        light("LAUNCHED", "Launched", "Lit while a NodeClaim is launched and its node not yet registered", LightColor::Yellow, at(L, 14.0)),
        light("REGISTERED", "Registered", "Lit while a NodeClaim's node has joined but is not yet initialized", LightColor::Yellow, at(C, 14.0)),
        light("READY", "Ready", "Brightness: the share of claims initialized (Ready)", LightColor::Green, at(R, 14.0)),
        light("DRAINING", "Draining", "Lit while a node is cordoned and drained for removal", LightColor::Blue, at(9.0, 19.5)),
        light("MAX_NODES", "Max nodes", "Scale-up blocked: maxNodes reached", LightColor::Red, at(35.0, 19.5)),
        light("LIMIT", "Limit", "Scale-up blocked: the cpu or memory limit reached", LightColor::Red, at(9.0, 24.0)),
        light("LAUNCH_FAILED", "Launch failed", "Scale-up blocked: a NodeClaim never registered after every attempt", LightColor::Red, at(35.0, 24.0)),
    ],
    settings: &[],
    status: Some(at(C, 28.0)),
};
