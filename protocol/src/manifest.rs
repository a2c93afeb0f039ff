//! The Rack plugin manifest, `plugin/plugin.json`, generated from the module descriptors.
//!
//! Rack 2 reads the plugin fields in `Plugin::fromJson` and each module's in
//! `Model::fromJson`; a module tag Rack does not know is dropped silently, so every tag a
//! descriptor uses must be one of [`RACK_TAGS`].

use serde::Serialize;

use crate::{ModuleDescriptor, MODULES};

/// The plugin slug; must never change once released.
pub const PLUGIN_SLUG: &str = "KubeRack";
/// The plugin's display name and brand (the prefix of every module name in Rack's browser).
pub const PLUGIN_NAME: &str = "KubeRack";
/// Path of the manifest, relative to the repository root.
pub const MANIFEST_PATH: &str = "plugin/plugin.json";

/// Rack 2's module tags (the first name of each entry of `tagAliases` in Rack's
/// `src/tag.cpp`), in Rack's order.
pub const RACK_TAGS: &[&str] = &[
    "Arpeggiator",
    "Attenuator",
    "Blank",
    "Chorus",
    "Clock generator",
    "Clock modulator",
    "Compressor",
    "Controller",
    "Delay",
    "Digital",
    "Distortion",
    "Drum",
    "Dual",
    "Dynamics",
    "Effect",
    "Envelope follower",
    "Envelope generator",
    "Equalizer",
    "Expander",
    "External",
    "Filter",
    "Flanger",
    "Function generator",
    "Granular",
    "Hardware clone",
    "Limiter",
    "Logic",
    "Low-frequency oscillator",
    "Low-pass gate",
    "MIDI",
    "Mixer",
    "Multiple",
    "Noise",
    "Oscillator",
    "Panning",
    "Phaser",
    "Physical modeling",
    "Polyphonic",
    "Quad",
    "Quantizer",
    "Random",
    "Recording",
    "Reverb",
    "Ring modulator",
    "Sample and hold",
    "Sampler",
    "Sequencer",
    "Slew limiter",
    "Speech",
    "Switch",
    "Synth voice",
    "Tuner",
    "Utility",
    "Visual",
    "Vocoder",
    "Voltage-controlled amplifier",
    "Waveshaper",
];

/// Whether `tag` is one of Rack's tags, spelt as Rack lists it.
pub fn is_rack_tag(tag: &str) -> bool {
    RACK_TAGS.contains(&tag)
}

/// The plugin manifest, fields in the order of Rack's manual.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Plugin slug.
    pub slug: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Version, MAJOR matching Rack's (the workspace version).
    pub version: &'static str,
    /// SPDX license identifier.
    pub license: &'static str,
    /// Prefix of module names in Rack's browser.
    pub brand: &'static str,
    /// Author.
    pub author: &'static str,
    /// Support email (none).
    pub author_email: &'static str,
    /// Author homepage.
    pub author_url: String,
    /// Plugin homepage.
    pub plugin_url: &'static str,
    /// Manual.
    pub manual_url: String,
    /// Source code.
    pub source_url: &'static str,
    /// Donation page (none).
    pub donate_url: &'static str,
    /// Changelog.
    pub changelog_url: String,
    /// One entry per module, in registry order.
    pub modules: Vec<ManifestModule>,
}

/// One module's entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestModule {
    /// Model slug.
    pub slug: &'static str,
    /// Name in Rack's browser.
    pub name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Rack tags.
    pub tags: Vec<&'static str>,
}

impl From<&ModuleDescriptor> for ManifestModule {
    fn from(m: &ModuleDescriptor) -> Self {
        ManifestModule {
            slug: m.slug,
            name: m.name,
            description: m.description,
            tags: m.tags.to_vec(),
        }
    }
}

const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// The manifest of the plugin as the descriptors define it.
pub fn manifest() -> Manifest {
    let owner = REPOSITORY.rsplit_once('/').map_or(REPOSITORY, |(o, _)| o);
    Manifest {
        slug: PLUGIN_SLUG,
        name: PLUGIN_NAME,
        version: env!("CARGO_PKG_VERSION"),
        license: env!("CARGO_PKG_LICENSE"),
        brand: PLUGIN_NAME,
        author: env!("CARGO_PKG_AUTHORS"),
        author_email: "",
        author_url: owner.to_string(),
        plugin_url: REPOSITORY,
        manual_url: format!("{REPOSITORY}#readme"),
        source_url: REPOSITORY,
        donate_url: "",
        changelog_url: format!("{REPOSITORY}/releases"),
        modules: MODULES.iter().map(|m| ManifestModule::from(*m)).collect(),
    }
}

/// The manifest as `plugin/plugin.json` holds it: pretty JSON with a final newline.
pub fn manifest_json() -> String {
    let mut s = serde_json::to_string_pretty(&manifest()).expect("the manifest serialises");
    s.push('\n');
    s
}
