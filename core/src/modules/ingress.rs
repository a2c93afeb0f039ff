//! INGRESS: routes each request by its path to the rule with the longest matching prefix
//! (pathType Prefix: whole path elements), or answers 404 when no rule matches.

use std::sync::Arc;

use kuberack_protocol::modules::ingress::{input, light, output, param, DESCRIPTOR, PATHS};
use kuberack_protocol::ModuleDescriptor;

use crate::dsp::{PulseTrain, SchmittTrigger};
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, SlotHandle, SlotKind};

/// Number of rules.
pub const ROUTES: usize = 3;
/// Volts per request path on the PATH input.
pub const VOLTS_PER_PATH: f32 = 1.25;

/// Whether a Prefix rule matches a path: element-wise, so `/api` matches `/api` and
/// `/api/v1` but not `/apis`; `/` matches everything.
pub fn prefix_matches(prefix: &str, path: &str) -> bool {
    prefix == "/"
        || path == prefix
        || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

/// The request path a PATH voltage chooses (index into [`PATHS`]).
pub fn path_index(volts: f32) -> usize {
    let v = if volts.is_finite() { volts } else { 0.0 };
    ((v / VOLTS_PER_PATH).floor().max(0.0) as usize).min(PATHS.len() - 1)
}

/// The rule (0-based) that routes `path`: the longest matching prefix wins, ties go to the
/// lower rule. `rules[i]` is the knob value: 0 = no rule, n = `PATHS[n - 1]`.
pub fn route(path: &str, rules: [usize; ROUTES]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, &rule) in rules.iter().enumerate() {
        let Some(prefix) = rule.checked_sub(1).and_then(|p| PATHS.get(p)) else {
            continue;
        };
        if prefix_matches(prefix, path) && best.is_none_or(|(_, len)| prefix.len() > len) {
            best = Some((i, prefix.len()));
        }
    }
    best.map(|(i, _)| i)
}

/// The INGRESS module.
pub struct IngressModule {
    _slot: SlotHandle,
    request: SchmittTrigger,
    route_pulses: [PulseTrain; ROUTES],
    not_found_pulses: PulseTrain,
    /// The rules and path last routed, and the rule they chose.
    cached: ([usize; ROUTES], usize, Option<usize>),
}

impl IngressModule {
    /// An Ingress; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<IngressModule> {
        Some(IngressModule {
            _slot: registry.claim(SlotKind::Ingress)?,
            request: SchmittTrigger::default(),
            route_pulses: [PulseTrain::new(48_000.0); ROUTES],
            not_found_pulses: PulseTrain::new(48_000.0),
            cached: ([usize::MAX; ROUTES], 0, None),
        })
    }
}

const ROUTE_PARAMS: [usize; ROUTES] = [param::ROUTE1, param::ROUTE2, param::ROUTE3];
const ROUTE_OUTPUTS: [usize; ROUTES] = [output::ROUTE1, output::ROUTE2, output::ROUTE3];

impl Module for IngressModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            for p in &mut self.route_pulses {
                p.set_sample_rate(sample_rate);
            }
            self.not_found_pulses.set_sample_rate(sample_rate);
        }
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        let rules = ROUTE_PARAMS.map(|p| io.param_in(&DESCRIPTOR, p).round() as usize);
        let path = path_index(io.input(input::PATH, 0));
        if (rules, path) != (self.cached.0, self.cached.1) {
            self.cached = (rules, path, route(PATHS[path], rules));
        }
        let chosen = self.cached.2;
        if self.request.process(io.input(input::REQUEST, 0)) {
            match chosen {
                Some(i) => self.route_pulses[i].add(1),
                None => self.not_found_pulses.add(1),
            }
        }
        for (pulses, &out) in self.route_pulses.iter_mut().zip(&ROUTE_OUTPUTS) {
            let v = pulses.process();
            io.set_mono(out, v);
        }
        let nf = self.not_found_pulses.process();
        io.set_mono(output::NOT_FOUND, nf);
        io.set_light(light::MATCHED, if chosen.is_some() { 1.0 } else { 0.0 });
        io.set_light(light::NOT_FOUND, if chosen.is_none() { 1.0 } else { 0.0 });
    }

    fn reset(&mut self) {
        self.request = SchmittTrigger::default();
        self.cached = ([usize::MAX; ROUTES], 0, None);
        for p in &mut self.route_pulses {
            p.reset();
        }
        self.not_found_pulses.reset();
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("INGRESS", state)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_whole_path_elements() {
        assert!(prefix_matches("/api", "/api"));
        assert!(prefix_matches("/api", "/api/v1"));
        assert!(!prefix_matches("/api/v1", "/api"));
        assert!(!prefix_matches("/web", "/metrics"));
        assert!(prefix_matches("/", "/healthz"));
        assert!(!prefix_matches("/api", "/apis"));
    }

    #[test]
    fn the_longest_matching_prefix_wins_and_no_match_is_none() {
        // Rule 1: /api, rule 2: /api/v1, rule 3: none.
        assert_eq!(route("/api/v1", [2, 3, 0]), Some(1));
        assert_eq!(route("/api/v2", [2, 3, 0]), Some(0));
        assert_eq!(route("/web", [2, 3, 0]), None);
        // A catch-all / loses to anything longer, wins otherwise.
        assert_eq!(route("/web/static", [1, 5, 0]), Some(1));
        assert_eq!(route("/metrics", [1, 5, 0]), Some(0));
        // Equal prefixes: the lower rule.
        assert_eq!(route("/web", [5, 5, 5]), Some(0));
        assert_eq!(route("/", [0, 0, 0]), None);
    }

    #[test]
    fn path_volts_choose_paths_in_125_mv_steps() {
        assert_eq!(PATHS[path_index(0.0)], "/");
        assert_eq!(PATHS[path_index(1.25)], "/api");
        assert_eq!(PATHS[path_index(2.6)], "/api/v1");
        assert_eq!(PATHS[path_index(8.75)], "/healthz");
        assert_eq!(PATHS[path_index(12.0)], "/healthz");
        assert_eq!(PATHS[path_index(-3.0)], "/");
        assert_eq!(PATHS[path_index(f32::NAN)], "/");
    }
}
