//! KubeRack's signal protocol: module descriptors, the single source of truth for every
//! param, input, output and light, their ranges, units and panel positions.
//!
//! `plugin.json`, the panels and the tables of `PROTOCOL.md` are generated from these
//! descriptors or checked against them by tests.

pub mod doc;
pub mod manifest;
pub mod modules;
pub mod panel;
pub mod tag;
mod types;

pub use modules::{find, MODULES};
pub use types::*;
