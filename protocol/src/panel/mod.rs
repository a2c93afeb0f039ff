//! Panel artwork: every module's light and dark panel SVG, generated from its descriptor.
//!
//! Rack's SVG renderer draws no `<text>`, so all lettering is drawn with KubeRack's own
//! stroke font ([`font`]). Components (knobs, jacks, lights) are drawn by Rack's widgets;
//! the panel leaves their spots clear and labels each one beside it.

pub mod components;
pub mod decor;
pub mod files;
pub mod font;
pub mod geometry;
pub mod glyphs;
pub mod hints;
pub mod layout;
pub mod overlays;
pub mod plates;
pub mod preview;
pub mod svg;
pub mod theme;

pub use files::{generated_files, GeneratedFile};
pub use font::MissingGlyph;
pub use layout::{layout, PanelLayout};
pub use theme::{Theme, THEMES};

use crate::ModuleDescriptor;

/// Path of a module's panel in a theme, relative to the repository root.
pub fn panel_path(m: &ModuleDescriptor, theme: Theme) -> String {
    format!("res/{}{}.svg", m.slug, theme.suffix())
}

/// The SVG document of a module's panel in a theme.
pub fn panel_svg(m: &ModuleDescriptor, theme: Theme) -> Result<String, MissingGlyph> {
    svg::render(m.name, &layout(m)?, theme)
}
