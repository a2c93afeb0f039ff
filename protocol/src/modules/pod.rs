//! POD: one hand-held pod with no controller.

use crate::types::*;

/// Param indices.
pub mod param {
    /// CPU request, in units of 10 millicores.
    pub const CPU: usize = 0;
    /// Memory request, in units of 16 MiB.
    pub const MEMORY: usize = 1;
}

/// Input indices.
pub mod input {
    /// The cluster reference.
    pub const API: usize = 0;
    /// Lifecycle gate: high = the pod should exist.
    pub const GATE: usize = 1;
    /// Fault gate: while high the container crashes.
    pub const FAULT: usize = 2;
}

/// Output indices.
pub mod output {
    /// Ready gate.
    pub const READY: usize = 0;
    /// Load CV.
    pub const LOAD: usize = 1;
    /// Phase CV.
    pub const PHASE: usize = 2;
    /// Reference to this pod, for SERVICE selectors.
    pub const REF: usize = 3;
}

/// Light indices.
pub mod light {
    /// Phase Pending.
    pub const PENDING: usize = 0;
    /// Phase Running.
    pub const RUNNING: usize = 1;
    /// Terminating gracefully.
    pub const TERMINATING: usize = 2;
    /// Phase Failed (evicted or removed by the system).
    pub const FAILED: usize = 3;
}

const L: f32 = 10.16;
const R: f32 = 30.48;

/// The POD descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Pod",
    name: "POD",
    description: "A single Kubernetes pod you hold by hand: a gate brings it to life, the scheduler places it, a Service can send it requests",
    tags: &["Envelope generator", "Utility"],
    role: ModuleRole::Member,
    hp: 8,
    params: &[
        knob("CPU", "CPU request", "CPU the pod requests", 1.0, 400.0, 25.0, "m", at(L, 35.0))
            .snapped()
            .display(0.0, 10.0, 0.0),
        knob("MEMORY", "Memory request", "Memory the pod requests", 1.0, 512.0, 16.0, " MiB", at(R, 35.0))
            .snapped()
            .display(0.0, 16.0, 0.0),
    ],
    inputs: &[
        port(
            "API",
            "API server",
            "Reference from a CLUSTER's API output; without it the pod lives on the panel alone",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(L, 51.0),
        ),
        port(
            "GATE",
            "Lifecycle gate",
            "High: the pod should exist (created on the rising edge); low: it is deleted gracefully",
            SignalKind::Gate,
            "high >= 1 V, low <= 0.1 V",
            1,
            at(R, 51.0),
        ),
        port(
            "FAULT",
            "Fault",
            "While high the container crashes: a running one exits with code 1 at the rising edge, a restarted one crashes again after about a second (CrashLoopBackOff), a new one fails to start",
            SignalKind::Gate,
            "high >= 1 V, low <= 0.1 V",
            1,
            at(L, 66.0),
        ),
    ],
    outputs: &[
        port(
            "READY",
            "Ready",
            "High while the pod's Ready condition is True",
            SignalKind::Gate,
            "10 V while Ready",
            1,
            at(L, 82.0),
        ),
        port(
            "LOAD",
            "Load",
            "Joined: CPU utilisation of the node the pod runs on; alone: its CPU request while Running",
            SignalKind::UnipolarCv,
            "0..10 V = 0..100 % (alone: 10 V = 1 core)",
            1,
            at(R, 82.0),
        ),
        port(
            "PHASE",
            "Phase",
            "Where the pod is in its lifecycle",
            SignalKind::UnipolarCv,
            "0 V none, 2 V Pending, 4 V Running, 6 V Terminating, 8 V Succeeded, 10 V Failed",
            1,
            at(L, 100.0),
        ),
        port(
            "REF",
            "Pod reference",
            "This pod, for a SERVICE's SELECTOR input",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(R, 100.0),
        ),
    ],
    lights: &[
        light("PENDING", "Pending", "Lit while the pod is Pending (unscheduled, or its containers are being created)", LightColor::Yellow, at(L, 16.0)),
        light("RUNNING", "Running", "Lit while the pod is Running; bright once Ready", LightColor::Green, at(R, 16.0)),
        light("TERMINATING", "Terminating", "Lit while the pod terminates gracefully", LightColor::Yellow, at(L, 24.0)),
        light("FAILED", "Failed", "Lit when the pod was evicted or removed by the system; the gate must fall and rise again", LightColor::Red, at(R, 24.0)),
    ],
    settings: &POD_TERMS_SETTINGS,
    status: None,
};
