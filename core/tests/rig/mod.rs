//! A minimal test rack: modules, cables with Rack's one-sample delay, external voltages.
//! Buffers are sized once, so stepping allocates nothing of its own.

#![allow(dead_code)]

use std::sync::Arc;

use kuberack_core::{create_module, Module, PortBuffers, Registry};
use kuberack_protocol::MAX_CHANNELS;

pub struct Slot {
    pub module: Box<dyn Module>,
    pub bufs: PortBuffers,
    pub bypassed: bool,
}

pub struct Rig {
    pub registry: Arc<Registry>,
    pub modules: Vec<Slot>,
    cables: Vec<(usize, usize, usize, usize)>,
    pub sample_rate: f32,
}

impl Rig {
    pub fn new(sample_rate: f32) -> Rig {
        Rig {
            registry: Registry::new(),
            modules: Vec::new(),
            cables: Vec::new(),
            sample_rate,
        }
    }

    pub fn add(&mut self, slug: &str) -> usize {
        let mut module = create_module(slug, &self.registry).unwrap();
        module.set_sample_rate(self.sample_rate);
        let bufs = PortBuffers::new(module.descriptor());
        self.modules.push(Slot {
            bufs,
            bypassed: false,
            module,
        });
        self.modules.len() - 1
    }

    pub fn param(&mut self, m: usize, id: &str, value: f32) {
        let i = self.modules[m].module.descriptor().param_index(id).unwrap();
        self.modules[m].bufs.params[i] = value;
    }

    pub fn connect(&mut self, from: usize, output: &str, to: usize, input: &str) {
        let o = self.modules[from]
            .module
            .descriptor()
            .output_index(output)
            .unwrap();
        let i = self.modules[to]
            .module
            .descriptor()
            .input_index(input)
            .unwrap();
        self.cables.push((from, o, to, i));
    }

    pub fn disconnect(&mut self, to: usize, input: &str) {
        let i = self.modules[to]
            .module
            .descriptor()
            .input_index(input)
            .unwrap();
        self.cables.retain(|&(_, _, b, j)| !(b == to && j == i));
        self.modules[to].bufs.input_channels[i] = 0;
        self.modules[to].bufs.inputs[i * MAX_CHANNELS..(i + 1) * MAX_CHANNELS].fill(0.0);
    }

    /// Drives an input from outside the rack (an unconnected input with one channel).
    pub fn drive(&mut self, m: usize, input: &str, volts: f32) {
        let i = self.modules[m]
            .module
            .descriptor()
            .input_index(input)
            .unwrap();
        self.modules[m].bufs.inputs[i * MAX_CHANNELS] = volts;
        self.modules[m].bufs.input_channels[i] = 1;
    }

    /// Drives a poly input from outside the rack, one voltage per channel.
    pub fn drive_poly(&mut self, m: usize, input: &str, volts: &[f32]) {
        let i = self.modules[m]
            .module
            .descriptor()
            .input_index(input)
            .unwrap();
        let n = volts.len().min(MAX_CHANNELS);
        self.modules[m].bufs.inputs[i * MAX_CHANNELS..i * MAX_CHANNELS + n]
            .copy_from_slice(&volts[..n]);
        self.modules[m].bufs.input_channels[i] = n as u8;
    }

    pub fn step(&mut self) {
        for &(from, o, to, i) in &self.cables {
            let (src, dst) = if from < to {
                let (a, b) = self.modules.split_at_mut(to);
                (&a[from], &mut b[0])
            } else {
                let (a, b) = self.modules.split_at_mut(from);
                (&b[0], &mut a[to])
            };
            let ch = src.bufs.output_channels[o];
            dst.bufs.input_channels[i] = ch;
            dst.bufs.inputs[i * MAX_CHANNELS..(i + 1) * MAX_CHANNELS]
                .copy_from_slice(&src.bufs.outputs[o * MAX_CHANNELS..(o + 1) * MAX_CHANNELS]);
        }
        for s in &mut self.modules {
            if s.bypassed {
                continue;
            }
            s.module.process(&mut s.bufs.io());
        }
    }

    /// Bypasses a module as Rack does: outputs zeroed (one channel), lights off, no process().
    pub fn bypass(&mut self, m: usize, bypassed: bool) {
        let s = &mut self.modules[m];
        s.bypassed = bypassed;
        if bypassed {
            s.bufs.outputs.fill(0.0);
            for c in &mut s.bufs.output_channels {
                *c = (*c).min(1);
            }
            s.bufs.lights.fill(0.0);
        }
    }

    pub fn run(&mut self, seconds: f32) {
        for _ in 0..(seconds * self.sample_rate) as usize {
            self.step();
        }
    }

    /// Runs and calls `f` after every sample.
    pub fn run_with(&mut self, seconds: f32, mut f: impl FnMut(&Rig)) {
        for _ in 0..(seconds * self.sample_rate) as usize {
            self.step();
            f(self);
        }
    }

    pub fn out(&self, m: usize, id: &str, ch: usize) -> f32 {
        let o = self.modules[m]
            .module
            .descriptor()
            .output_index(id)
            .unwrap();
        self.modules[m].bufs.outputs[o * MAX_CHANNELS + ch]
    }

    pub fn channels(&self, m: usize, id: &str) -> usize {
        let o = self.modules[m]
            .module
            .descriptor()
            .output_index(id)
            .unwrap();
        usize::from(self.modules[m].bufs.output_channels[o])
    }

    pub fn light(&self, m: usize, id: &str) -> f32 {
        let l = self.modules[m].module.descriptor().light_index(id).unwrap();
        self.modules[m].bufs.lights[l]
    }

    pub fn hub_world(&self, m: usize) -> &kuberack_core::world::World {
        self.modules[m]
            .module
            .as_any()
            .downcast_ref::<kuberack_core::modules::ClusterModule>()
            .unwrap()
            .world()
    }

    /// A hub, a node pool and a Deployment, cabled.
    pub fn basic() -> (Rig, usize, usize, usize) {
        let mut rig = Rig::new(48_000.0);
        let hub = rig.add("Cluster");
        let node = rig.add("Node");
        let dep = rig.add("Deployment");
        rig.connect(hub, "API", node, "API");
        rig.connect(hub, "API", dep, "API");
        (rig, hub, node, dep)
    }
}
