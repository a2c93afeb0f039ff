//! SERVICE: publishes its selector; the hub keeps its Endpoints (Ready pods of the selected
//! workloads). Each request (a rising edge) goes to one endpoint, round-robin or at random,
//! and fires that endpoint's trigger; with no endpoint it fires 503.

use std::sync::Arc;

use kuberack_protocol::modules::service::{input, light, output, param, DESCRIPTOR};
use kuberack_protocol::tag::volts_to_tag;
use kuberack_protocol::{ModuleDescriptor, MAX_CHANNELS};

use super::membership::Membership;
use super::words::{service_desired as sd, service_observed as sobs};
use crate::dsp::{PulseTrain, SchmittTrigger};
use crate::rack::{LoadError, Module, ProcessIo};
use crate::registry::{Registry, SlotHandle, SlotKind};
use crate::rng::Rng;
use crate::world::MAX_SELECTED;

/// Highest node utilisation the queueing model uses (keeps latency finite: 10x base).
pub const MAX_QUEUEING_UTILISATION: f32 = 0.9;
/// Dedicated endpoint trigger outputs.
const ENDPOINT_OUTPUTS: [usize; 4] = [output::EP1, output::EP2, output::EP3, output::EP4];

/// Latency of one request in milliseconds: the mean response time of an M/M/1 queue,
/// `base / (1 - ρ)`, with ρ the CPU utilisation of the serving pod's node.
pub fn request_latency_ms(base_ms: f32, node_utilisation: f32) -> f32 {
    let rho = if node_utilisation.is_finite() {
        node_utilisation.clamp(0.0, MAX_QUEUEING_UTILISATION)
    } else {
        0.0
    };
    base_ms / (1.0 - rho)
}

/// How requests are spread over endpoints.
#[derive(Debug, Clone)]
pub struct Balancer {
    next: usize,
    rng: Rng,
}

impl Balancer {
    /// A balancer starting at the first endpoint.
    pub fn new(seed: u64) -> Balancer {
        Balancer {
            next: 0,
            rng: Rng::new(seed),
        }
    }

    /// The endpoint (0-based) for the next request among `count`; `None` when there is none.
    /// Round-robin continues its rotation across Endpoints changes (modulo the new count).
    pub fn pick(&mut self, count: usize, random: bool) -> Option<usize> {
        if count == 0 {
            return None;
        }
        if random {
            return Some(self.rng.below(count as u64) as usize);
        }
        let chosen = self.next % count;
        self.next = chosen + 1;
        Some(chosen)
    }
}

/// The SERVICE module.
pub struct ServiceModule {
    slot: SlotHandle,
    membership: Membership,
    request: SchmittTrigger,
    balancer: Balancer,
    endpoint_pulses: [PulseTrain; MAX_CHANNELS],
    /// Endpoint pulse trains with something to play, a bit per channel.
    busy: u16,
    unavailable_pulses: PulseTrain,
    latency_volts: f32,
    /// The SELECTOR voltages last published (bits, and the channel count in the last word).
    selector_seen: [u32; MAX_CHANNELS + 1],
}

fn seed(tag: u32) -> u64 {
    0x5e7_71ce ^ u64::from(tag)
}

impl ServiceModule {
    /// A Service not yet in any cluster; `None` when the registry is full.
    pub fn new(registry: &Arc<Registry>) -> Option<ServiceModule> {
        let slot = registry.claim(SlotKind::Service)?;
        Some(ServiceModule {
            balancer: Balancer::new(seed(slot.tag())),
            slot,
            membership: Membership::default(),
            request: SchmittTrigger::default(),
            endpoint_pulses: [PulseTrain::new(48_000.0); MAX_CHANNELS],
            busy: 0,
            unavailable_pulses: PulseTrain::new(48_000.0),
            latency_volts: 0.0,
            selector_seen: [u32::MAX; MAX_CHANNELS + 1],
        })
    }

    /// Writes the selected tags, two per word, when the SELECTOR input changed.
    fn publish_selector(&mut self, io: &ProcessIo<'_>) {
        let channels = io.channels(input::SELECTOR);
        let mut seen = [0u32; MAX_CHANNELS + 1];
        for (ch, bits) in seen[..channels].iter_mut().enumerate() {
            *bits = io.inputs[input::SELECTOR * MAX_CHANNELS + ch].to_bits();
        }
        seen[MAX_CHANNELS] = channels as u32;
        if seen == self.selector_seen {
            return;
        }
        self.selector_seen = seen;
        let slot = self.slot.slot();
        let tag = |ch: usize| -> u32 {
            if ch >= channels {
                return 0;
            }
            // Reference voltages must arrive exact: read them unsanitised.
            let volts = io.inputs[input::SELECTOR * MAX_CHANNELS + ch];
            volts_to_tag(volts).unwrap_or(0)
        };
        for w in 0..sd::SELECTOR_WORDS.min(MAX_SELECTED / 2) {
            let word = tag(2 * w) | (tag(2 * w + 1) << 16);
            slot.set_desired(sd::SELECTOR_FIRST + w, word);
        }
    }
}

impl Module for ServiceModule {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        &DESCRIPTOR
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            for p in &mut self.endpoint_pulses {
                p.set_sample_rate(sample_rate);
            }
            self.unavailable_pulses.set_sample_rate(sample_rate);
        }
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        self.membership.update(
            &self.slot,
            io.connected(input::API),
            io.input_raw(input::API),
        );
        self.publish_selector(io);
        let slot = self.slot.slot();
        let count = if self.membership.hub() == 0 {
            0
        } else {
            (slot.observed(sobs::ENDPOINTS) as usize).min(MAX_CHANNELS)
        };
        if self.request.process(io.input(input::REQUEST, 0)) {
            let random = io.param_in(&DESCRIPTOR, param::MODE) >= 0.5;
            match self.balancer.pick(count, random) {
                Some(ep) => {
                    self.endpoint_pulses[ep].add(1);
                    self.busy |= 1 << ep;
                    let base = io.param_in(&DESCRIPTOR, param::LATENCY);
                    let ms = request_latency_ms(base, slot.channel(ep));
                    self.latency_volts = (ms / 10.0).min(10.0);
                }
                None => self.unavailable_pulses.add(1),
            }
        }
        // Only trains with something to play run; idle channels stay at the 0 V they last
        // wrote (hosts keep output buffers between calls).
        let mut busy = self.busy;
        while busy != 0 {
            let ch = busy.trailing_zeros() as usize;
            busy &= busy - 1;
            let pulses = &mut self.endpoint_pulses[ch];
            let v = pulses.process();
            io.set_output(output::ENDPOINTS, ch, v);
            if let Some(&out) = ENDPOINT_OUTPUTS.get(ch) {
                io.set_output(out, 0, v);
            }
            if pulses.is_idle() {
                self.busy &= !(1 << ch);
            }
        }
        for out in ENDPOINT_OUTPUTS {
            io.set_channels(out, 1);
        }
        io.set_channels(output::ENDPOINTS, count.max(1));
        let unavailable = self.unavailable_pulses.process();
        io.set_mono(output::UNAVAILABLE, unavailable);
        io.set_mono(output::LATENCY, self.latency_volts);
        io.set_mono(output::COUNT, (count as f32).min(10.0));
        io.set_light(light::AVAILABLE, if count > 0 { 1.0 } else { 0.0 });
        io.set_light(light::UNAVAILABLE, if count == 0 { 1.0 } else { 0.0 });
    }

    fn reset(&mut self) {
        self.membership.reset();
        self.request = SchmittTrigger::default();
        self.balancer = Balancer::new(seed(self.slot.tag()));
        for p in &mut self.endpoint_pulses {
            p.reset();
        }
        // Let every channel write its 0 V once more.
        self.busy = u16::MAX;
        self.unavailable_pulses.reset();
        self.latency_volts = 0.0;
        self.selector_seen = [u32::MAX; MAX_CHANNELS + 1];
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        super::expect_no_settings("SERVICE", state)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_visits_endpoints_in_order_and_wraps() {
        let mut b = Balancer::new(1);
        let picks: Vec<usize> = (0..7).map(|_| b.pick(3, false).unwrap()).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2, 0]);
        // Endpoints shrink to 2: the rotation continues modulo the new count.
        assert_eq!(b.pick(2, false), Some(1));
        assert_eq!(b.pick(2, false), Some(0));
        assert_eq!(b.pick(0, false), None);
        assert_eq!(b.pick(0, true), None);
    }

    #[test]
    fn random_spreads_over_every_endpoint() {
        let mut b = Balancer::new(9);
        let mut hits = [0u32; 4];
        for _ in 0..4000 {
            hits[b.pick(4, true).unwrap()] += 1;
        }
        assert!(hits.iter().all(|&h| (800..1200).contains(&h)), "{hits:?}");
    }

    #[test]
    fn latency_is_base_on_an_idle_node_and_grows_with_utilisation() {
        assert_eq!(request_latency_ms(5.0, 0.0), 5.0);
        assert_eq!(request_latency_ms(5.0, 0.5), 10.0);
        assert!((request_latency_ms(5.0, 1.0) - 50.0).abs() < 1e-3);
        assert_eq!(request_latency_ms(5.0, f32::NAN), 5.0);
    }
}
