//! Members evaluated at control rate: a member's state changes only when the hub's world
//! does (once per control tick), so [`ControlRate`] runs its module every
//! [`CONTROL_PERIOD`] samples and holds its outputs in between. Gate and trigger inputs are
//! still read every sample, so no rising edge is lost: each is handed to the module at the
//! next tick.

use std::any::Any;
use std::sync::Arc;

use kuberack_protocol::{ModuleDescriptor, SignalKind, MAX_CHANNELS};

use crate::dsp::SchmittTrigger;
use crate::rack::{LoadError, Module, ProcessIo};

/// Samples between two evaluations of a member: the hub's default control period.
pub const CONTROL_PERIOD: u32 = 32;

/// Most rising edges an input keeps for the coming ticks; more arriving meanwhile are merged.
const MAX_PENDING_EDGES: u8 = 8;

/// High and low as the wrapped module sees a gate or trigger input.
const GATE_HIGH: f32 = 10.0;

/// Counts samples to the next control tick.
#[derive(Debug, Clone, Copy, Default)]
pub struct ControlTick {
    /// Samples until the next tick (0 = this sample).
    countdown: u32,
}

impl ControlTick {
    /// Advances one sample; true once every [`CONTROL_PERIOD`] samples, starting with the
    /// first.
    #[inline]
    pub fn due(&mut self) -> bool {
        if self.countdown == 0 {
            self.countdown = CONTROL_PERIOD - 1;
            true
        } else {
            self.countdown -= 1;
            false
        }
    }

    /// The next sample is a tick.
    pub fn restart(&mut self) {
        self.countdown = 0;
    }
}

/// One gate or trigger input, read every sample.
#[derive(Debug, Clone, Copy, Default)]
struct EdgeLatch {
    input: usize,
    schmitt: SchmittTrigger,
    /// Rising edges not yet shown to the module.
    pending: u8,
    /// Whether the module saw this input high at its last tick.
    shown_high: bool,
}

impl EdgeLatch {
    /// The voltage the module sees at a tick: each pending edge as a low-to-high step, else
    /// the gate's level.
    fn present(&mut self) -> f32 {
        let high = if self.pending > 0 && self.shown_high {
            false
        } else if self.pending > 0 {
            self.pending -= 1;
            true
        } else {
            self.schmitt.is_high()
        };
        self.shown_high = high;
        if high {
            GATE_HIGH
        } else {
            0.0
        }
    }
}

/// A member run at control rate (see the module docs).
pub struct ControlRate<M> {
    inner: M,
    tick: ControlTick,
    /// Channel 0 of every gate and trigger input; polyphonic gates are sampled at the tick.
    latches: Vec<EdgeLatch>,
    /// The inputs the module sees at a tick, with the latched gates and triggers.
    inputs: Vec<f32>,
}

impl<M: Module> ControlRate<M> {
    /// Wraps a member; it is told a sample rate of the host's over [`CONTROL_PERIOD`].
    pub fn new(mut inner: M) -> ControlRate<M> {
        let d = inner.descriptor();
        let latches = d
            .inputs
            .iter()
            .enumerate()
            .filter(|(_, p)| matches!(p.kind, SignalKind::Gate | SignalKind::Trigger))
            .map(|(input, _)| EdgeLatch {
                input,
                ..EdgeLatch::default()
            })
            .collect();
        inner.set_sample_rate(48_000.0 / CONTROL_PERIOD as f32);
        ControlRate {
            inner,
            tick: ControlTick::default(),
            latches,
            inputs: vec![0.0; d.inputs.len() * MAX_CHANNELS],
        }
    }

    /// The wrapped module.
    pub fn inner(&self) -> &M {
        &self.inner
    }
}

impl<M: Module + 'static> Module for ControlRate<M> {
    fn descriptor(&self) -> &'static ModuleDescriptor {
        self.inner.descriptor()
    }

    fn set_sample_rate(&mut self, sample_rate: f32) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.inner
                .set_sample_rate(sample_rate / CONTROL_PERIOD as f32);
        }
    }

    fn process(&mut self, io: &mut ProcessIo<'_>) {
        for latch in &mut self.latches {
            // An unpatched input reads 0 V: a low trigger stays low, so only a patched
            // input (or a high one, falling) needs the voltage and the Schmitt trigger.
            if !io.connected(latch.input) && !latch.schmitt.is_high() {
                continue;
            }
            if latch.schmitt.process(io.input(latch.input, 0)) {
                latch.pending = (latch.pending + 1).min(MAX_PENDING_EDGES);
            }
        }
        if !self.tick.due() {
            return;
        }
        let n = self.inputs.len().min(io.inputs.len());
        self.inputs[..n].copy_from_slice(&io.inputs[..n]);
        for latch in &mut self.latches {
            if let Some(v) = self.inputs.get_mut(latch.input * MAX_CHANNELS) {
                *v = latch.present();
            }
        }
        let mut inner_io = ProcessIo {
            params: io.params,
            inputs: &self.inputs,
            input_channels: io.input_channels,
            outputs: &mut *io.outputs,
            output_channels: &mut *io.output_channels,
            lights: &mut *io.lights,
            written: 0,
        };
        self.inner.process(&mut inner_io);
        io.written |= inner_io.written;
    }

    fn reset(&mut self) {
        self.inner.reset();
        self.tick.restart();
        for latch in &mut self.latches {
            *latch = EdgeLatch {
                input: latch.input,
                ..EdgeLatch::default()
            };
        }
    }

    fn save(&self) -> serde_json::Value {
        self.inner.save()
    }

    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError> {
        self.inner.load(state)
    }

    fn set_seed(&mut self, seed: u64) {
        self.inner.set_seed(seed);
    }

    fn set_rack_id(&mut self, id: u64) {
        self.inner.set_rack_id(id);
    }

    fn live(&self) -> Option<Arc<crate::live::LiveLink>> {
        self.inner.live()
    }

    fn view(&self) -> Option<Arc<crate::view::ViewCell>> {
        self.inner.view()
    }

    fn status(&self) -> Option<Arc<crate::status::StatusLine>> {
        self.inner.status()
    }

    fn as_any(&self) -> &dyn Any {
        self.inner.as_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_edge_reaches_the_module_as_its_own_step() {
        let mut latch = EdgeLatch::default();
        // Two triggers within one control period, then silence.
        for v in [10.0, 0.0, 10.0, 0.0] {
            if latch.schmitt.process(v) {
                latch.pending += 1;
            }
        }
        let seen: Vec<f32> = (0..5).map(|_| latch.present()).collect();
        assert_eq!(seen, [10.0, 0.0, 10.0, 0.0, 0.0]);
    }

    #[test]
    fn a_held_gate_stays_high_after_its_edge() {
        let mut latch = EdgeLatch::default();
        assert!(latch.schmitt.process(5.0));
        latch.pending += 1;
        let seen: Vec<f32> = (0..3).map(|_| latch.present()).collect();
        assert_eq!(seen, [10.0, 10.0, 10.0]);
        latch.schmitt.process(0.0);
        assert_eq!(latch.present(), 0.0);
    }
}
