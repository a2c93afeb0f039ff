//! Rack 2 patches: the file formats (`.vcv` archive or bare `patch.json`) and the parsed model.
//!
//! The model keeps what the player needs from Rack's patch JSON: each module's id, plugin,
//! model, params, bypass flag and saved data, and each cable's two ends. Layout-only fields
//! (`pos`, `zoom`, cable colours) are read by Rack's GUI and ignored here.

mod archive;
mod parse;

pub use archive::{load_patch_file, pack, read_patch_bytes, unpack_patch_json, write_archive};
pub use parse::parse_patch;

use serde_json::Value;

/// The plugin slug of KubeRack's modules in Rack patches.
pub const PLUGIN_SLUG: &str = "KubeRack";

/// A parsed patch.
#[derive(Debug, Clone, PartialEq)]
pub struct Patch {
    /// Rack version that saved the patch, if given.
    pub version: Option<String>,
    /// Modules in patch order (Rack's processing order).
    pub modules: Vec<PatchModule>,
    /// Cables in patch order.
    pub cables: Vec<PatchCable>,
    /// Non-fatal problems found while parsing (a malformed param value, say).
    pub warnings: Vec<String>,
}

/// One module entry of a patch.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchModule {
    /// Rack's module id (random 53-bit integers in Rack 2, the array index before 1.0).
    pub id: i64,
    /// Plugin slug, normalised as Rack does (only letters, digits, `-` and `_`).
    pub plugin: String,
    /// Model slug, normalised likewise.
    pub model: String,
    /// Plugin version that saved the module.
    pub version: Option<String>,
    /// Saved param values.
    pub params: Vec<PatchParam>,
    /// Whether the module is bypassed.
    pub bypass: bool,
    /// The module's own saved data (`dataToJson`), if any.
    pub data: Option<Value>,
}

impl PatchModule {
    /// `plugin/model`, as Rack names a model in messages.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.plugin, self.model)
    }

    /// Whether this module belongs to KubeRack.
    pub fn is_kuberack(&self) -> bool {
        self.plugin == PLUGIN_SLUG
    }
}

/// One saved param value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PatchParam {
    /// Param index in the module's descriptor order.
    pub index: usize,
    /// The saved raw value.
    pub value: f64,
}

/// One cable: from an output of one module to an input of another (or the same) module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchCable {
    /// Rack's cable id.
    pub id: i64,
    /// Module id at the output end.
    pub output_module: i64,
    /// Output index.
    pub output: usize,
    /// Module id at the input end.
    pub input_module: i64,
    /// Input index.
    pub input: usize,
}

/// Rack's slug normalisation: keeps letters, digits, `-` and `_`.
pub fn normalize_slug(slug: &str) -> String {
    slug.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
