//! Preview panels: the panel with stand-ins for Rack's widgets drawn on it, to judge a
//! layout by eye. Not shipped; Rack draws the real widgets.

use super::components::ComponentKind;
use super::geometry::num;
use super::hints::Part;
use super::{panel_svg, MissingGlyph, Theme};
use crate::{LightColor, ModuleDescriptor};

/// The panel of `m` in `theme` with widget stand-ins on every component.
pub fn preview_svg(m: &ModuleDescriptor, theme: Theme) -> Result<String, MissingGlyph> {
    let panel = panel_svg(m, theme)?;
    let mut widgets = String::new();
    for c in super::components::components(m) {
        let (x, y) = (num(c.x), num(c.y));
        let shape = match c.kind {
            ComponentKind::Knob => format!(
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"5\" fill=\"#30343a\" stroke=\"#101214\" stroke-width=\"0.3\"/>\
                 <path d=\"M{x} {y} L{x} {}\" stroke=\"#f0f0f0\" stroke-width=\"0.6\" stroke-linecap=\"round\"/>",
                num(c.y - 4.0)
            ),
            ComponentKind::Switch => format!(
                "<rect x=\"{}\" y=\"{}\" width=\"5\" height=\"9\" rx=\"0.8\" fill=\"#aab0b8\" stroke=\"#40444a\" stroke-width=\"0.3\"/>",
                num(c.x - 2.5),
                num(c.y - 4.5)
            ),
            ComponentKind::Button => {
                format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"#c8ccd2\" stroke=\"#40444a\" stroke-width=\"0.3\"/>")
            }
            ComponentKind::Jack => format!(
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"4\" fill=\"#b8bec6\" stroke=\"#50555c\" stroke-width=\"0.3\"/>\
                 <circle cx=\"{x}\" cy=\"{y}\" r=\"1.8\" fill=\"#0c0d0f\"/>"
            ),
            ComponentKind::Light => {
                let fill = match c.part {
                    Part::Light => match m.lights[c.index].color {
                        LightColor::Green => "#35c46a",
                        LightColor::Yellow => "#f2c230",
                        LightColor::Red => "#e5484d",
                        LightColor::Blue => "#3e8df5",
                    },
                    _ => "#888888",
                };
                format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"1\" fill=\"{fill}\"/>")
            }
        };
        widgets.push_str(&shape);
        widgets.push('\n');
    }
    Ok(panel.replace("</svg>\n", &format!("{widgets}</svg>\n")))
}
