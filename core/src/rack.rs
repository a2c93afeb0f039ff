//! The contract between a host (Rack through the C ABI, or the headless player) and a module.

use kuberack_protocol::{ModuleDescriptor, MAX_CHANNELS};

/// Highest magnitude a voltage may have on a KubeRack port (Rack's ±12 V).
pub const MAX_VOLTS: f32 = 12.0;

/// One sample's worth of module I/O. Voltages are laid out as `MAX_CHANNELS` floats per port.
pub struct ProcessIo<'a> {
    /// Raw param values, in descriptor order.
    pub params: &'a [f32],
    /// Input voltages, `MAX_CHANNELS` per input.
    pub inputs: &'a [f32],
    /// Connected channel count per input (0 = not patched).
    pub input_channels: &'a [u8],
    /// Output voltages, `MAX_CHANNELS` per output.
    pub outputs: &'a mut [f32],
    /// Channel count per output, set by the module.
    pub output_channels: &'a mut [u8],
    /// Light brightnesses 0..1.
    pub lights: &'a mut [f32],
    /// What this sample wrote: bit `i` for output `i` (its voltages or channel count),
    /// [`ProcessIo::LIGHTS_WRITTEN`] for any light. The `set_*` methods keep it; a host
    /// copies out only what is marked (its ports keep their values otherwise).
    pub written: u32,
}

impl ProcessIo<'_> {
    /// The bit of [`ProcessIo::written`] that marks the lights.
    pub const LIGHTS_WRITTEN: u32 = 1 << 31;

    /// The bit of [`ProcessIo::written`] that marks output `output`.
    #[inline]
    pub fn output_bit(output: usize) -> u32 {
        1u32.checked_shl(output as u32).unwrap_or(0) & !Self::LIGHTS_WRITTEN
    }

    #[inline]
    /// Whether the input has a cable.
    pub fn connected(&self, input: usize) -> bool {
        self.input_channels.get(input).is_some_and(|&c| c > 0)
    }

    #[inline]
    /// Channels on an input (0 when unpatched).
    pub fn channels(&self, input: usize) -> usize {
        usize::from(self.input_channels.get(input).copied().unwrap_or(0)).min(MAX_CHANNELS)
    }

    #[inline]
    /// An input voltage, sanitised: NaN and unpatched read 0 V, infinities clamp to ±12 V.
    pub fn input(&self, input: usize, channel: usize) -> f32 {
        if channel >= self.channels(input) {
            return 0.0;
        }
        let v = self
            .inputs
            .get(input * MAX_CHANNELS + channel)
            .copied()
            .unwrap_or(0.0);
        sanitize(v)
    }

    #[inline]
    /// The raw (unsanitised) voltage of channel 0, for reference tags that must arrive exact.
    pub fn input_raw(&self, input: usize) -> f32 {
        if !self.connected(input) {
            return 0.0;
        }
        self.inputs
            .get(input * MAX_CHANNELS)
            .copied()
            .unwrap_or(0.0)
    }

    #[inline]
    /// The module tag an input's reference carries (0 when unpatched or not a reference).
    pub fn reference(&self, input: usize) -> u32 {
        kuberack_protocol::tag::volts_to_tag(self.input_raw(input)).unwrap_or(0)
    }

    #[inline]
    /// A param's raw value clamped to its descriptor's range; NaN reads as the default.
    pub fn param_in(&self, descriptor: &ModuleDescriptor, param: usize) -> f32 {
        let Some(d) = descriptor.params.get(param) else {
            return 0.0;
        };
        let v = self.params.get(param).copied().unwrap_or(d.default);
        if v.is_nan() {
            d.default
        } else {
            v.clamp(d.min, d.max)
        }
    }

    #[inline]
    /// Sets an output voltage.
    pub fn set_output(&mut self, output: usize, channel: usize, volts: f32) {
        self.written |= Self::output_bit(output);
        if channel < MAX_CHANNELS {
            if let Some(slot) = self.outputs.get_mut(output * MAX_CHANNELS + channel) {
                *slot = volts;
            }
        }
    }

    #[inline]
    /// Sets a monophonic output: one channel.
    pub fn set_mono(&mut self, output: usize, volts: f32) {
        self.set_output(output, 0, volts);
        self.set_channels(output, 1);
    }

    #[inline]
    /// Like [`ProcessIo::set_mono`], but leaves the output unmarked when it already holds
    /// this voltage on one channel: for outputs that change rarely (triggers, slow CVs).
    pub fn update_mono(&mut self, output: usize, volts: f32) {
        let same = self
            .outputs
            .get(output * MAX_CHANNELS)
            .is_some_and(|v| v.to_bits() == volts.to_bits())
            && self.output_channels.get(output) == Some(&1);
        if !same {
            self.set_mono(output, volts);
        }
    }

    #[inline]
    /// Sets an output's channel count.
    pub fn set_channels(&mut self, output: usize, channels: usize) {
        self.written |= Self::output_bit(output);
        if let Some(c) = self.output_channels.get_mut(output) {
            *c = channels.min(MAX_CHANNELS) as u8;
        }
    }

    #[inline]
    /// Sets a light's brightness.
    pub fn set_light(&mut self, light: usize, brightness: f32) {
        self.written |= Self::LIGHTS_WRITTEN;
        if let Some(l) = self.lights.get_mut(light) {
            *l = if brightness.is_nan() {
                0.0
            } else {
                brightness.clamp(0.0, 1.0)
            };
        }
    }

    #[inline]
    /// Like [`ProcessIo::set_light`], but leaves the lights unmarked when this one already
    /// shows `brightness`.
    pub fn update_light(&mut self, light: usize, brightness: f32) {
        if self.lights.get(light).is_some_and(|&l| l != brightness) {
            self.set_light(light, brightness);
        }
    }

    #[inline]
    /// Zeroes every output and light (a silent module).
    pub fn silence(&mut self) {
        self.written = u32::MAX;
        self.outputs.fill(0.0);
        self.output_channels.fill(0);
        self.lights.fill(0.0);
    }
}

/// The buffers a host keeps for one module, sized from its descriptor: what Rack holds in a
/// module's params, ports and lights.
#[derive(Debug, Clone, PartialEq)]
pub struct PortBuffers {
    /// Raw param values.
    pub params: Vec<f32>,
    /// Input voltages, `MAX_CHANNELS` per input.
    pub inputs: Vec<f32>,
    /// Channel count per input.
    pub input_channels: Vec<u8>,
    /// Output voltages, `MAX_CHANNELS` per output.
    pub outputs: Vec<f32>,
    /// Channel count per output.
    pub output_channels: Vec<u8>,
    /// Light brightnesses.
    pub lights: Vec<f32>,
}

impl PortBuffers {
    /// Buffers for a model: params at their defaults, everything else at zero.
    pub fn new(d: &ModuleDescriptor) -> PortBuffers {
        PortBuffers {
            params: d.default_params(),
            inputs: vec![0.0; d.inputs.len() * MAX_CHANNELS],
            input_channels: vec![0; d.inputs.len()],
            outputs: vec![0.0; d.outputs.len() * MAX_CHANNELS],
            output_channels: vec![0; d.outputs.len()],
            lights: vec![0.0; d.lights.len()],
        }
    }

    /// The one-sample view a module processes.
    pub fn io(&mut self) -> ProcessIo<'_> {
        ProcessIo {
            params: &self.params,
            inputs: &self.inputs,
            input_channels: &self.input_channels,
            outputs: &mut self.outputs,
            output_channels: &mut self.output_channels,
            lights: &mut self.lights,
            written: 0,
        }
    }

    /// Voltages of an input's channels.
    pub fn input_mut(&mut self, input: usize) -> &mut [f32] {
        &mut self.inputs[input * MAX_CHANNELS..(input + 1) * MAX_CHANNELS]
    }

    /// Voltages of an output's channels.
    pub fn output(&self, output: usize) -> &[f32] {
        &self.outputs[output * MAX_CHANNELS..(output + 1) * MAX_CHANNELS]
    }
}

/// NaN reads as 0 V; anything else is clamped to ±12 V.
#[inline]
pub fn sanitize(v: f32) -> f32 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(-MAX_VOLTS, MAX_VOLTS)
    }
}

/// Why a module's saved state could not be loaded; the module keeps safe defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// A KubeRack module as a host drives it. Everything but `process` may allocate.
pub trait Module: Send {
    /// The module's descriptor.
    fn descriptor(&self) -> &'static ModuleDescriptor;
    /// Called before processing and whenever the host's sample rate changes.
    fn set_sample_rate(&mut self, sample_rate: f32);
    /// Processes one sample. Never allocates, locks or blocks. Hosts keep the output and
    /// light buffers between calls (as Rack keeps its ports' voltages), so a module may
    /// rewrite slow-changing outputs only when they change.
    fn process(&mut self, io: &mut ProcessIo<'_>);
    /// Returns the module's settings and internal state to their initial values.
    fn reset(&mut self);
    /// The module's own settings, saved with the patch (never credentials).
    fn save(&self) -> serde_json::Value;
    /// Restores saved settings; on error the module keeps defaults for what it could not read.
    fn load(&mut self, state: &serde_json::Value) -> Result<(), LoadError>;
    /// Overrides the random seed (only meaningful for a hub).
    fn set_seed(&mut self, _seed: u64) {}
    /// Tells the module its host's id (Rack's module id), which live sync names real objects
    /// after; modules that become no real object ignore it.
    fn set_rack_id(&mut self, _id: u64) {}
    /// A hub's live-sync link, shared with the host that runs the sync thread.
    fn live(&self) -> Option<std::sync::Arc<crate::live::LiveLink>> {
        None
    }
    /// The display snapshot a hub publishes, shared with the host's UI thread.
    fn view(&self) -> Option<std::sync::Arc<crate::view::ViewCell>> {
        None
    }
    /// The status line a module shows on its panel (its descriptor's `status` position),
    /// shared with the host's UI thread.
    fn status(&self) -> Option<std::sync::Arc<crate::status::StatusLine>> {
        None
    }
    /// Downcasting for hosts that need a concrete module (the player reads a hub's world).
    fn as_any(&self) -> &dyn std::any::Any;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_and_channel_counts_are_sanitised_where_modules_read_them() {
        let d = kuberack_protocol::MODULES[0];
        let mut bufs = PortBuffers::new(d);
        for (v, p) in bufs.params.iter_mut().zip(d.params) {
            *v = p.max + 1000.0;
        }
        bufs.input_channels.fill(200);
        bufs.inputs.fill(f32::NAN);
        let io = bufs.io();
        for (i, p) in d.params.iter().enumerate() {
            assert_eq!(io.param_in(d, i), p.max);
        }
        assert_eq!(io.channels(0), MAX_CHANNELS);
        assert_eq!(io.input(0, 15), 0.0, "NaN reads 0 V");
        bufs.params.fill(f32::NAN);
        let io = bufs.io();
        for (i, p) in d.params.iter().enumerate() {
            assert_eq!(io.param_in(d, i), p.default);
        }
    }

    #[test]
    fn written_marks_each_output_and_the_lights() {
        let d = kuberack_protocol::MODULES[1];
        let mut bufs = PortBuffers::new(d);
        let mut io = bufs.io();
        io.update_mono(0, 0.0);
        assert_eq!(io.written, 1, "no channel yet: a change");
        io.written = 0;
        io.set_mono(1, 3.0);
        io.update_mono(0, 0.0);
        assert_eq!(
            io.written,
            1 << 1,
            "an unchanged mono output stays unmarked"
        );
        io.update_mono(0, 1.0);
        io.update_light(0, 0.0);
        assert_eq!(io.written, 0b11);
        io.update_light(0, f32::NAN);
        assert_eq!(io.written, 0b11 | ProcessIo::LIGHTS_WRITTEN);
        assert_eq!(io.lights[0], 0.0, "NaN brightness reads dark");
        assert_eq!(ProcessIo::output_bit(31), 0);
        assert_eq!(ProcessIo::output_bit(40), 0);
    }
}
