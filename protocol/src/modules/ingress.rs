//! INGRESS: routes requests to Services by path prefix.

use crate::types::*;

/// Param indices.
pub mod param {
    /// Path prefix of route 1 (0 = no rule).
    pub const ROUTE1: usize = 0;
    /// Path prefix of route 2.
    pub const ROUTE2: usize = 1;
    /// Path prefix of route 3.
    pub const ROUTE3: usize = 2;
}

/// Input indices.
pub mod input {
    /// Requests: each rising edge is one request.
    pub const REQUEST: usize = 0;
    /// The path of the requests.
    pub const PATH: usize = 1;
}

/// Output indices.
pub mod output {
    /// Trigger per request routed by rule 1.
    pub const ROUTE1: usize = 0;
    /// Trigger per request routed by rule 2.
    pub const ROUTE2: usize = 1;
    /// Trigger per request routed by rule 3.
    pub const ROUTE3: usize = 2;
    /// Trigger per request no rule matched.
    pub const NOT_FOUND: usize = 3;
}

/// Light indices.
pub mod light {
    /// The current path matches some rule.
    pub const MATCHED: usize = 0;
    /// The current path matches no rule.
    pub const NOT_FOUND: usize = 1;
}

/// The request paths the PATH input chooses among (1.25 V each) and the prefixes the route
/// knobs choose among (knob value n >= 1 is `PATHS[n - 1]`).
pub const PATHS: [&str; 8] = [
    "/",
    "/api",
    "/api/v1",
    "/api/v2",
    "/web",
    "/web/static",
    "/metrics",
    "/healthz",
];

const C1: f32 = 10.16;
const C2: f32 = 25.4;
const C3: f32 = 40.64;

/// The INGRESS descriptor.
pub static DESCRIPTOR: ModuleDescriptor = ModuleDescriptor {
    slug: "Ingress",
    name: "INGRESS",
    description: "A Kubernetes Ingress: routes each request by its path to the Service of the longest matching prefix, or answers 404",
    tags: &["Switch", "Logic"],
    role: ModuleRole::Member,
    hp: 10,
    params: &[
        knob("ROUTE1", "Route 1 prefix", "Path prefix of rule 1: 0 = no rule, 1..8 = /, /api, /api/v1, /api/v2, /web, /web/static, /metrics, /healthz", 0.0, 8.0, 2.0, "", at(C1, 34.0)).snapped(),
        knob("ROUTE2", "Route 2 prefix", "Path prefix of rule 2 (same choices as rule 1)", 0.0, 8.0, 5.0, "", at(C2, 34.0)).snapped(),
        knob("ROUTE3", "Route 3 prefix", "Path prefix of rule 3 (same choices as rule 1)", 0.0, 8.0, 0.0, "", at(C3, 34.0)).snapped(),
    ],
    inputs: &[
        port(
            "REQUEST",
            "Requests",
            "Each rising edge (Schmitt trigger) is one request",
            SignalKind::Trigger,
            "high >= 1 V, low <= 0.1 V",
            1,
            at(C1, 56.0),
        ),
        port(
            "PATH",
            "Path",
            "Chooses the requests' path: /, /api, /api/v1, /api/v2, /web, /web/static, /metrics, /healthz",
            SignalKind::UnipolarCv,
            "1.25 V per path: 0 V /, 1.25 V /api ... 8.75 V /healthz",
            1,
            at(C3, 56.0),
        ),
    ],
    outputs: &[
        port("ROUTE1", "Route 1", "A trigger per request rule 1 routes (patch to a SERVICE's REQUEST)", SignalKind::Trigger, "10 V, 1 ms per request", 1, at(C1, 80.0)),
        port("ROUTE2", "Route 2", "A trigger per request rule 2 routes", SignalKind::Trigger, "10 V, 1 ms per request", 1, at(C2, 80.0)),
        port("ROUTE3", "Route 3", "A trigger per request rule 3 routes", SignalKind::Trigger, "10 V, 1 ms per request", 1, at(C3, 80.0)),
        port("NOT_FOUND", "404", "A trigger per request no rule matches (404 Not Found)", SignalKind::Trigger, "10 V, 1 ms per request", 1, at(C2, 102.0)),
    ],
    lights: &[
        light("MATCHED", "Matched", "Lit while the current path matches a rule", LightColor::Green, at(C1, 16.0)),
        light("NOT_FOUND", "Not found", "Lit while the current path matches no rule", LightColor::Red, at(C3, 16.0)),
    ],
    settings: &[],
};
