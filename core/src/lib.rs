//! KubeRack's core: the simulated cluster (the world), its controllers and scheduler,
//! and the per-module DSP that turns it into gates, triggers, CVs and sound.
//!
//! No I/O, no threads, no FFI. Deterministic for a given seed, sample rate and patch.

pub mod devices;
pub mod dsp;
pub mod forge;
pub mod kueue;
pub mod live;
pub mod modules;
pub mod rack;
pub mod registry;
pub mod rng;
pub mod status;
pub mod view;
pub mod world;

pub use modules::{create_module, UnknownModel};
pub use rack::{LoadError, Module, PortBuffers, ProcessIo};
pub use registry::Registry;
