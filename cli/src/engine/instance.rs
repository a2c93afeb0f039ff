//! One module in the engine: the Rust module and the port, param and light buffers Rack
//! would hold for it.

use std::panic::{catch_unwind, AssertUnwindSafe};

use kuberack_core::{Module, PortBuffers};
use kuberack_protocol::{ModuleDescriptor, MAX_CHANNELS};

/// A module placed in the engine, with Rack's per-port state.
pub struct Instance {
    id: i64,
    module: Box<dyn Module>,
    descriptor: &'static ModuleDescriptor,
    bypassed: bool,
    faulted: bool,
    /// Params, ports (output channel counts as the module last set them) and lights.
    pub(super) bufs: PortBuffers,
    input_connected: Vec<bool>,
    output_connected: Vec<bool>,
}

impl Instance {
    /// Wraps a module created for this engine; params start at their defaults.
    pub(super) fn new(id: i64, module: Box<dyn Module>) -> Instance {
        let d = module.descriptor();
        Instance {
            id,
            descriptor: d,
            module,
            bypassed: false,
            faulted: false,
            bufs: PortBuffers::new(d),
            input_connected: vec![false; d.inputs.len()],
            output_connected: vec![false; d.outputs.len()],
        }
    }

    /// Rack's module id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The module's descriptor.
    pub fn descriptor(&self) -> &'static ModuleDescriptor {
        self.descriptor
    }

    /// The Rust module.
    pub fn module(&self) -> &dyn Module {
        self.module.as_ref()
    }

    /// The Rust module, mutably (for loading data, seeding, sample-rate changes).
    pub fn module_mut(&mut self) -> &mut dyn Module {
        self.module.as_mut()
    }

    /// Whether the module is bypassed.
    pub fn bypassed(&self) -> bool {
        self.bypassed
    }

    /// Bypasses or un-bypasses the module. As Rack's Engine::bypassModule does, every output
    /// drops to 0 V (one channel if cabled, none otherwise). KubeRack modules have no bypass
    /// routes, so a bypassed module's outputs stay there until it is processed again.
    pub fn set_bypassed(&mut self, bypassed: bool) {
        if self.bypassed != bypassed {
            self.bufs.outputs.fill(0.0);
            self.bufs.output_channels.fill(0);
            self.bypassed = bypassed;
        }
    }

    /// Whether the module panicked and was silenced.
    pub fn faulted(&self) -> bool {
        self.faulted
    }

    /// Raw param values, in descriptor order.
    pub fn params(&self) -> &[f32] {
        &self.bufs.params
    }

    /// Sets a param as Rack's ParamQuantity::setImmediateValue does: clamped to the range,
    /// rounded if the param snaps; NaN (which Rack's clamp would let through) gives the default.
    /// Returns the value set, or `None` when the module has no such param.
    pub fn set_param(&mut self, index: usize, value: f64) -> Option<f32> {
        let p = self.descriptor.params.get(index)?;
        let v = if value.is_nan() {
            p.default
        } else {
            let (lo, hi) = (p.min.min(p.max), p.min.max(p.max));
            let v = (value.clamp(f64::from(lo), f64::from(hi))) as f32;
            if p.snap {
                v.round()
            } else {
                v
            }
        };
        self.bufs.params[index] = v;
        Some(v)
    }

    /// Light brightnesses, in descriptor order.
    pub fn lights(&self) -> &[f32] {
        &self.bufs.lights
    }

    /// Whether an input has a cable.
    pub fn input_connected(&self, input: usize) -> bool {
        self.input_connected.get(input).copied().unwrap_or(false)
    }

    /// Whether an output has at least one cable.
    pub fn output_connected(&self, output: usize) -> bool {
        self.output_connected.get(output).copied().unwrap_or(false)
    }

    /// An input's channel count as the module sees it (0 when unpatched).
    pub fn input_channels(&self, input: usize) -> usize {
        usize::from(self.bufs.input_channels.get(input).copied().unwrap_or(0))
    }

    /// An input voltage as the module sees it.
    pub fn input_voltage(&self, input: usize, channel: usize) -> f32 {
        if channel >= MAX_CHANNELS {
            return 0.0;
        }
        self.bufs
            .inputs
            .get(input * MAX_CHANNELS + channel)
            .copied()
            .unwrap_or(0.0)
    }

    /// An output's channel count as Rack reports it: 0 while nothing is cabled to it,
    /// otherwise what the module set, but at least 1 (Rack's Port::setChannels).
    pub fn output_channels(&self, output: usize) -> usize {
        if !self.output_connected(output) {
            return 0;
        }
        usize::from(self.bufs.output_channels[output]).clamp(1, MAX_CHANNELS)
    }

    /// An output voltage as the module wrote it.
    pub fn output_voltage(&self, output: usize, channel: usize) -> f32 {
        if channel >= MAX_CHANNELS {
            return 0.0;
        }
        self.bufs
            .outputs
            .get(output * MAX_CHANNELS + channel)
            .copied()
            .unwrap_or(0.0)
    }

    pub(super) fn mark_input_connected(&mut self, input: usize) {
        self.input_connected[input] = true;
        // Rack's Port_setConnected: a freshly cabled port has one channel.
        self.bufs.input_channels[input] = self.bufs.input_channels[input].max(1);
    }

    pub(super) fn mark_output_connected(&mut self, output: usize) {
        self.output_connected[output] = true;
    }

    /// Processes one sample unless bypassed. A panic inside the module is caught and
    /// returned as its message; the module then goes silent, as the plugin's does.
    pub(super) fn process(&mut self) -> Result<(), String> {
        if self.bypassed || self.faulted {
            return Ok(());
        }
        let (module, bufs) = (&mut self.module, &mut self.bufs);
        let result = catch_unwind(AssertUnwindSafe(|| module.process(&mut bufs.io())));
        result.map_err(|payload| {
            self.bufs.outputs.fill(0.0);
            self.bufs.output_channels.fill(0);
            self.bufs.lights.fill(0.0);
            self.faulted = true;
            panic_message(payload.as_ref())
        })
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}
