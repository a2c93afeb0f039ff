//! What the plugin's ModuleWidget draws on a panel besides the descriptor's components:
//! Rack's screws, a module's status line and the CLUSTER's display. The panels keep clear of
//! them; `plugin/src/KubeModuleWidget.cpp` places them with these numbers.

use super::geometry::Rect;
use crate::{ModuleDescriptor, ModuleRole, HP_MM, PANEL_HEIGHT_MM};

/// Narrowest panel (in HP) that carries screws: narrower ones use the whole rail for the title.
pub const SCREWS_FROM_HP: u8 = 6;
/// Side of Rack's screw widget (ScrewSilver: 15 px at Rack's 75 px per inch = 1 HP).
pub const SCREW_SIZE: f32 = HP_MM;
/// Height of the status line's text, ascender to descender (the font size Rack's font engine
/// scales to).
pub const STATUS_HEIGHT: f32 = 2.6;
/// Room the status line leaves at each side of the panel; longer text is drawn smaller.
pub const STATUS_MARGIN: f32 = 2.0;
/// The CLUSTER's display: left, top, width, height in millimetres.
pub const HUB_DISPLAY: [f32; 4] = [4.0, 8.0, 52.96, 40.0];

/// The four screws: one HP in from each edge, in the top and bottom rails.
pub fn screws(m: &ModuleDescriptor) -> Vec<Rect> {
    if m.hp < SCREWS_FROM_HP {
        return Vec::new();
    }
    let w = m.width_mm();
    let mut out = Vec::new();
    for y0 in [0.0, PANEL_HEIGHT_MM - SCREW_SIZE] {
        for x0 in [HP_MM, w - 2.0 * HP_MM] {
            out.push(Rect {
                x0,
                y0,
                x1: x0 + SCREW_SIZE,
                y1: y0 + SCREW_SIZE,
            });
        }
    }
    out
}

/// The band the status line's text may fill, when the module has one.
pub fn status_line(m: &ModuleDescriptor) -> Option<Rect> {
    m.status.map(|p| Rect {
        x0: STATUS_MARGIN,
        y0: p.y_mm - STATUS_HEIGHT / 2.0,
        x1: m.width_mm() - STATUS_MARGIN,
        y1: p.y_mm + STATUS_HEIGHT / 2.0,
    })
}

/// The hub's display.
pub fn display(m: &ModuleDescriptor) -> Option<Rect> {
    let [x0, y0, w, h] = HUB_DISPLAY;
    (m.role == ModuleRole::Hub).then_some(Rect {
        x0,
        y0,
        x1: x0 + w,
        y1: y0 + h,
    })
}
