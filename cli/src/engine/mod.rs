//! A single-threaded engine with Rack 2's semantics.
//!
//! Each frame mirrors Rack's Engine_stepFrame: first every cable copies its output's
//! voltages and channel count to its input (non-finite voltages become 0 V, higher channels
//! are cleared), then every module is processed in patch order. A module therefore sees what
//! its inputs' sources produced on the previous frame: Rack's one-sample cable delay, the
//! same whatever the module order. An output may feed many cables; an input takes at most one.

mod instance;

use std::collections::HashMap;

use kuberack_core::Module;
use kuberack_protocol::MAX_CHANNELS;

pub use instance::Instance;

use crate::error::{Error, Result};

/// One end of a cable: a module index in the engine and a port index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct End {
    module: usize,
    port: usize,
}

/// A cable between two module ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cable {
    /// Rack's cable id.
    pub id: i64,
    output: End,
    input: End,
}

/// A module that panicked while being processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Rack's module id.
    pub module_id: i64,
    /// The frame being processed.
    pub frame: u64,
    /// The panic message.
    pub message: String,
}

/// The modules and cables of one patch, stepped a frame at a time.
pub struct Engine {
    sample_rate: f32,
    modules: Vec<Instance>,
    by_id: HashMap<i64, usize>,
    cables: Vec<Cable>,
    frame: u64,
}

impl Engine {
    /// An empty engine at a sample rate (Hz).
    pub fn new(sample_rate: f32) -> Engine {
        Engine {
            sample_rate,
            modules: Vec::new(),
            by_id: HashMap::new(),
            cables: Vec::new(),
            frame: 0,
        }
    }

    /// Adds a module under Rack's module id, after those already added (processing order),
    /// and tells it the sample rate. Returns its index.
    pub fn add_module(&mut self, id: i64, mut module: Box<dyn Module>) -> Result<usize> {
        if self.by_id.contains_key(&id) {
            return Err(Error::patch(format!("two modules have id {id}")));
        }
        module.set_sample_rate(self.sample_rate);
        module.set_rack_id(id as u64);
        let index = self.modules.len();
        self.modules.push(Instance::new(id, module));
        self.by_id.insert(id, index);
        Ok(index)
    }

    /// Cables an output to an input. Fails if a module or port does not exist, or the input
    /// already has a cable.
    pub fn connect(
        &mut self,
        cable_id: i64,
        (output_module, output): (i64, usize),
        (input_module, input): (i64, usize),
    ) -> Result<()> {
        let at = |what: String| Error::patch(format!("cable {cable_id}: {what}"));
        let from = self.index_of(output_module).ok_or_else(|| {
            at(format!(
                "its output module {output_module} is not in the patch"
            ))
        })?;
        let to = self.index_of(input_module).ok_or_else(|| {
            at(format!(
                "its input module {input_module} is not in the patch"
            ))
        })?;
        let (fd, td) = (
            self.modules[from].descriptor(),
            self.modules[to].descriptor(),
        );
        if output >= fd.outputs.len() {
            return Err(at(format!(
                "module {output_module} ({}) has no output {output} (it has {})",
                fd.name,
                fd.outputs.len()
            )));
        }
        if input >= td.inputs.len() {
            return Err(at(format!(
                "module {input_module} ({}) has no input {input} (it has {})",
                td.name,
                td.inputs.len()
            )));
        }
        let input_end = End {
            module: to,
            port: input,
        };
        if let Some(other) = self.cables.iter().find(|c| c.input == input_end) {
            return Err(at(format!(
                "input {} of module {input_module} ({}) already has cable {}; Rack allows one cable per input",
                td.inputs[input].id, td.name, other.id
            )));
        }
        self.cables.push(Cable {
            id: cable_id,
            output: End {
                module: from,
                port: output,
            },
            input: input_end,
        });
        self.modules[from].mark_output_connected(output);
        self.modules[to].mark_input_connected(input);
        Ok(())
    }

    /// Changes the sample rate and tells every module.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = sample_rate;
        for m in &mut self.modules {
            m.module_mut().set_sample_rate(sample_rate);
        }
    }

    /// The sample rate (Hz).
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Overrides the random seed of every module.
    pub fn set_seed(&mut self, seed: u64) {
        for m in &mut self.modules {
            m.module_mut().set_seed(seed);
        }
    }

    /// Steps one frame: cables, then modules. A module that panics is silenced (as the
    /// plugin silences a faulted module) and reported.
    pub fn step(&mut self) -> std::result::Result<(), Fault> {
        for i in 0..self.cables.len() {
            self.step_cable(i);
        }
        let mut fault = None;
        for m in &mut self.modules {
            if let Err(message) = m.process() {
                fault.get_or_insert(Fault {
                    module_id: m.id(),
                    frame: self.frame,
                    message,
                });
            }
        }
        self.frame += 1;
        fault.map_or(Ok(()), Err)
    }

    fn step_cable(&mut self, i: usize) {
        let Cable { output, input, .. } = self.cables[i];
        let src = &self.modules[output.module];
        let channels = src.output_channels(output.port);
        let mut volts = [0.0f32; MAX_CHANNELS];
        for (c, v) in volts.iter_mut().enumerate().take(channels) {
            let x = src.output_voltage(output.port, c);
            *v = if x.is_finite() { x } else { 0.0 };
        }
        let dst = &mut self.modules[input.module];
        let base = input.port * MAX_CHANNELS;
        dst.bufs.inputs[base..base + MAX_CHANNELS].copy_from_slice(&volts);
        dst.bufs.input_channels[input.port] = channels as u8;
    }

    /// Frames stepped so far.
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Modules in processing order.
    pub fn modules(&self) -> &[Instance] {
        &self.modules
    }

    /// Modules in processing order, mutably.
    pub fn modules_mut(&mut self) -> &mut [Instance] {
        &mut self.modules
    }

    /// Cables in patch order.
    pub fn cables(&self) -> &[Cable] {
        &self.cables
    }

    /// The index of the module with a Rack id.
    pub fn index_of(&self, id: i64) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    /// The module with a Rack id.
    pub fn module(&self, id: i64) -> Option<&Instance> {
        self.index_of(id).map(|i| &self.modules[i])
    }

    /// The module with a Rack id, mutably.
    pub fn module_mut(&mut self, id: i64) -> Option<&mut Instance> {
        self.index_of(id).map(|i| &mut self.modules[i])
    }
}
