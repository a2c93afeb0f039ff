//! The two panel themes (Rack 2.4+ lets users pick light or dark panels) and their colours.

use super::layout::Tone;

/// A panel theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// The light panel, `res/<Slug>.svg`.
    Light,
    /// The dark panel, `res/<Slug>-dark.svg`.
    Dark,
}

/// Every theme, light first.
pub const THEMES: [Theme; 2] = [Theme::Light, Theme::Dark];

/// The colours of a theme, as `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Panel face.
    pub face: &'static str,
    /// Thin line along the panel's edge.
    pub edge: &'static str,
    /// Rules and quiet marks on the face.
    pub rule: &'static str,
    /// Labels on the face.
    pub text: &'static str,
    /// Output plates.
    pub plate: &'static str,
    /// Labels on plates.
    pub plate_text: &'static str,
    /// Reference marks and labels on the face; the brand.
    pub accent: &'static str,
    /// Reference marks and labels on plates.
    pub plate_accent: &'static str,
    /// Strips behind rows of lights.
    pub strip: &'static str,
}

impl Theme {
    /// File name suffix: `""` or `"-dark"`.
    pub fn suffix(self) -> &'static str {
        match self {
            Theme::Light => "",
            Theme::Dark => "-dark",
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The theme's colours.
    pub fn palette(self) -> Palette {
        match self {
            Theme::Light => Palette {
                face: "#eceef1",
                edge: "#b9c0ca",
                rule: "#c9cfd8",
                text: "#1d2530",
                plate: "#28313d",
                plate_text: "#f2f5f8",
                accent: "#2f63d6",
                plate_accent: "#7aa7ff",
                strip: "#d8dce3",
            },
            Theme::Dark => Palette {
                face: "#1f232a",
                edge: "#0e1014",
                rule: "#3a414c",
                text: "#dde2e9",
                plate: "#cfd5de",
                plate_text: "#1a1f26",
                accent: "#6f9dff",
                plate_accent: "#2451b8",
                strip: "#15181d",
            },
        }
    }

    /// The colour of a label of this tone.
    pub fn ink(self, tone: Tone) -> &'static str {
        let p = self.palette();
        match tone {
            Tone::Plain | Tone::Title => p.text,
            Tone::OnPlate => p.plate_text,
            Tone::Reference | Tone::Brand => p.accent,
            Tone::ReferenceOnPlate => p.plate_accent,
        }
    }
}
