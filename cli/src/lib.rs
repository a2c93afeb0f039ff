//! KubeRack's headless player: runs VCV Rack 2 patches (`.vcv` or a bare `patch.json`)
//! through the same Rust modules the plugin uses, single-threaded and deterministic, with
//! Rack's cable semantics. It renders chosen outputs as WAV and every hub's events as JSON
//! lines; modules of other plugins are skipped with a warning.
//!
//! The binary `kuberack` is a thin shell over this library, which tests and benchmarks drive
//! directly: [`patch`] reads patches, [`load()`] builds an [`Engine`], [`play::render`] runs it.

pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod events;
pub mod export;
pub mod hub;
pub mod import;
pub mod live;
pub mod load;
pub mod models;
pub mod patch;
pub mod play;
pub mod progress;
pub mod record;
pub mod replay;
pub mod summary;
pub mod wav;

pub use engine::Engine;
pub use error::{Error, Result};
pub use load::{load, LoadOptions, Loaded};
