//! Every file the generator writes: the panels of every module in every theme, and the
//! plugin manifest.

use super::{panel_path, panel_svg, MissingGlyph, THEMES};
use crate::manifest::{manifest_json, MANIFEST_PATH};
use crate::MODULES;

/// A generated file: its path relative to the repository root, and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    /// Full contents.
    pub contents: String,
}

/// Every generated file, panels first (module by module, light then dark), then the manifest.
pub fn generated_files() -> Result<Vec<GeneratedFile>, MissingGlyph> {
    let mut files = Vec::new();
    for m in MODULES {
        for theme in THEMES {
            files.push(GeneratedFile {
                path: panel_path(m, theme),
                contents: panel_svg(m, theme)?,
            });
        }
    }
    files.push(GeneratedFile {
        path: MANIFEST_PATH.to_string(),
        contents: manifest_json(),
    });
    Ok(files)
}
