//! SERVICE: a Service balancing requests across the Ready pods it selects.

use crate::types::*;

/// Param indices.
pub mod param {
    /// Balancing mode: round-robin or random.
    pub const MODE: usize = 0;
    /// Base latency of a request, in milliseconds.
    pub const LATENCY: usize = 1;
}

/// Input indices.
pub mod input {
    /// The cluster reference.
    pub const API: usize = 0;
    /// Selected workloads (poly references).
    pub const SELECTOR: usize = 1;
    /// Requests: each rising edge is one request.
    pub const REQUEST: usize = 2;
}

/// Output indices.
pub mod output {
    /// Trigger when endpoint 1 serves a request.
    pub const EP1: usize = 0;
    /// Trigger when endpoint 2 serves a request.
    pub const EP2: usize = 1;
    /// Trigger when endpoint 3 serves a request.
    pub const EP3: usize = 2;
    /// Trigger when endpoint 4 serves a request.
    pub const EP4: usize = 3;
    /// A trigger on the channel of the endpoint that served (poly).
    pub const ENDPOINTS: usize = 4;
    /// Trigger per request that found no Ready endpoint.
    pub const UNAVAILABLE: usize = 5;
    /// Latency of the last request.
    pub const LATENCY: usize = 6;
    /// Number of Ready endpoints.
    pub const COUNT: usize = 7;
}

/// Light indices.
pub mod light {
    /// At least one Ready endpoint.
    pub const AVAILABLE: usize = 0;
    /// No Ready endpoint.
    pub const UNAVAILABLE: usize = 1;
}

const C1: f32 = 10.16;
const C2: f32 = 25.4;
const C3: f32 = 40.64;

/// The SERVICE descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Service",
    name: "SERVICE",
    description: "A Kubernetes Service: its Endpoints are the Ready pods it selects, and it balances your requests across them",
    tags: &["Switch", "Polyphonic", "Random"],
    role: ModuleRole::Member,
    hp: 10,
    params: &[
        switch(
            "MODE",
            "Balancing",
            "Round-robin (kube-proxy IPVS rr) or random (kube-proxy iptables) across Ready endpoints",
            &["Round-robin", "Random"],
            at(C1, 34.0),
        ),
        knob("LATENCY", "Base latency", "Latency of a request served by a pod on an idle node", 1.0, 50.0, 5.0, " ms", at(C3, 34.0)),
    ],
    inputs: &[
        port(
            "API",
            "API server",
            "Reference from a CLUSTER's API output; unplugging it deletes the Service",
            SignalKind::Reference,
            "tag / 512 V",
            1,
            at(C1, 54.0),
        ),
        port(
            "SELECTOR",
            "Selector",
            "References from DEPLOYMENT SELECTOR or POD REF outputs, one per channel: the pods the Service selects",
            SignalKind::Reference,
            "tag / 512 V per channel, up to 16",
            16,
            at(C2, 54.0),
        ),
        port(
            "REQUEST",
            "Requests",
            "Each rising edge (Schmitt trigger) is one request, so triggers or audio both work",
            SignalKind::Trigger,
            "high >= 1 V, low <= 0.1 V",
            1,
            at(C3, 54.0),
        ),
    ],
    outputs: &[
        port("EP1", "Endpoint 1", "A trigger when endpoint 1 serves a request", SignalKind::Trigger, "10 V, 1 ms per request", 1, at(C1, 74.0)),
        port("EP2", "Endpoint 2", "A trigger when endpoint 2 serves a request", SignalKind::Trigger, "10 V, 1 ms per request", 1, at(C2, 74.0)),
        port("EP3", "Endpoint 3", "A trigger when endpoint 3 serves a request", SignalKind::Trigger, "10 V, 1 ms per request", 1, at(C3, 74.0)),
        port("EP4", "Endpoint 4", "A trigger when endpoint 4 serves a request", SignalKind::Trigger, "10 V, 1 ms per request", 1, at(C1, 92.0)),
        port(
            "ENDPOINTS",
            "All endpoints",
            "A channel per Ready endpoint; a trigger on the channel of the endpoint that served",
            SignalKind::Trigger,
            "10 V, 1 ms per request, a channel per endpoint, up to 16",
            16,
            at(C2, 92.0),
        ),
        port(
            "UNAVAILABLE",
            "503",
            "A trigger per request that found no Ready endpoint (503 Service Unavailable)",
            SignalKind::Trigger,
            "10 V, 1 ms per request",
            1,
            at(C3, 92.0),
        ),
        port(
            "LATENCY",
            "Latency",
            "Latency of the last request served: base plus queueing on the serving pod's node",
            SignalKind::UnipolarCv,
            "1 V per 10 ms, 10 V at 100 ms or more",
            1,
            at(C1, 110.0),
        ),
        port(
            "COUNT",
            "Endpoints",
            "Number of Ready endpoints",
            SignalKind::UnipolarCv,
            "1 V per endpoint, 10 V at 10 or more",
            1,
            at(C3, 110.0),
        ),
    ],
    lights: &[
        light("AVAILABLE", "Available", "Lit while at least one endpoint is Ready", LightColor::Green, at(C1, 16.0)),
        light("UNAVAILABLE", "No endpoints", "Lit while the Service has no Ready endpoint", LightColor::Red, at(C3, 16.0)),
    ],
    settings: &[],
};
