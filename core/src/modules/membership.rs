//! How a member joins a hub: the API input's reference decides which hub's world it is in.

use kuberack_protocol::tag::volts_to_tag;

use crate::registry::{SlotHandle, SlotKind};

/// Tracks a member's API input and keeps its slot's hub tag in step with the cable.
#[derive(Debug, Default)]
pub struct Membership {
    last_volts_bits: u32,
    hub: u32,
}

impl Membership {
    /// Reads the API input; returns true when the member joined, left or changed hub (the
    /// caller then forgets what it observed from the previous hub).
    ///
    /// An unpatched input leaves the hub. A patched input that carries no reference keeps
    /// the current hub: that is what a bypassed hub looks like (Rack zeroes a bypassed
    /// module's outputs), and a control plane that is down must not delete its members.
    pub fn update(&mut self, slot: &SlotHandle, connected: bool, api_volts: f32) -> bool {
        let volts = if connected { api_volts } else { 0.0 };
        let bits = volts.to_bits() ^ u32::from(!connected);
        if bits == self.last_volts_bits {
            return false;
        }
        self.last_volts_bits = bits;
        let tag = volts_to_tag(volts).filter(|&t| {
            slot.registry()
                .by_tag(t)
                .is_some_and(|s| s.kind() == SlotKind::Cluster)
        });
        let hub = match tag {
            Some(t) => t,
            None if connected => self.hub,
            None => 0,
        };
        if hub == self.hub {
            return false;
        }
        self.hub = hub;
        let s = slot.slot();
        for i in 0..s.observed.len() {
            s.set_observed(i, 0);
        }
        for ch in 0..s.channels.len() {
            s.set_channel(ch, 0.0);
        }
        s.set_hub(hub);
        true
    }

    /// Tag of the hub joined (0 = none).
    pub fn hub(&self) -> u32 {
        self.hub
    }

    /// Forgets the cable (the next sample re-reads it).
    pub fn reset(&mut self) {
        self.last_volts_bits = u32::MAX;
    }
}

/// Counts new events from a hub-published running total.
#[derive(Debug, Default, Clone, Copy)]
pub struct CounterWatch {
    last: u32,
}

impl CounterWatch {
    /// New events since the last call (0 after a resync or an implausible jump).
    pub fn new_events(&mut self, total: u32) -> u32 {
        let diff = total.wrapping_sub(self.last);
        self.last = total;
        if diff > 1 << 16 {
            0
        } else {
            diff
        }
    }

    /// Starts counting from `total`.
    pub fn resync(&mut self, total: u32) {
        self.last = total;
    }
}

/// A trigger output that fires once per new count of a hub-observed counter: a
/// [`CounterWatch`] feeding a [`PulseTrain`](crate::dsp::PulseTrain).
pub struct EventTrigger {
    watch: CounterWatch,
    pulses: crate::dsp::PulseTrain,
}

impl Default for EventTrigger {
    fn default() -> Self {
        EventTrigger {
            watch: CounterWatch::default(),
            pulses: crate::dsp::PulseTrain::new(48_000.0),
        }
    }
}

impl EventTrigger {
    /// The next output sample, after adding the events new in `total`.
    pub fn process(&mut self, total: u32) -> f32 {
        self.pulses.add(self.watch.new_events(total));
        self.pulses.process()
    }

    /// Starts counting from `total` (after joining a hub).
    pub fn resync(&mut self, total: u32) {
        self.watch.resync(total);
    }

    /// Sets the pulse length's sample rate.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.pulses.set_sample_rate(sample_rate);
    }

    /// Silences pending pulses.
    pub fn reset(&mut self) {
        self.pulses.reset();
    }
}
