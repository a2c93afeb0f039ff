//! Nothing on a panel crowds anything else, as Rack draws it: every label (title and brand
//! included), widget (knob, switch, button, jack with its ring, light), status line, display
//! and screw keeps at least 1 mm from every other, stays on the panel, and only the title,
//! the brand and the screws sit in the rails. Both themes draw the same layout, so this
//! covers the light and the dark panels alike.

use kuberack_protocol::panel::geometry::Rect;
use kuberack_protocol::panel::layout;
use kuberack_protocol::panel::layout::RAIL_ZONE;
use kuberack_protocol::panel::overlays::{display, screws, status_line};
use kuberack_protocol::{ModuleDescriptor, MODULES, PANEL_HEIGHT_MM};

/// Least distance between any two things on a panel, in millimetres.
const MIN_GAP: f32 = 1.0;
/// Slack for rounding: layouts place labels exactly one gap from their components.
const EPS: f32 = 1e-3;

/// One thing drawn on a panel.
struct Item {
    what: String,
    rect: Rect,
    /// The title, the brand and the screws live in the rails.
    in_rail: bool,
}

fn items(m: &ModuleDescriptor) -> Vec<Item> {
    let l = layout(m).unwrap_or_else(|e| panic!("{}: {e}", m.slug));
    let mut out: Vec<Item> = l
        .components
        .iter()
        .map(|c| Item {
            what: format!("{:?} {}", c.kind, c.id),
            rect: c.clearance(),
            in_rail: false,
        })
        .collect();
    out.extend(l.labels.iter().map(|lb| Item {
        what: format!("label {:?}", lb.text),
        rect: lb.ink,
        in_rail: lb.owner.is_none(),
    }));
    out.extend(screws(m).into_iter().map(|rect| Item {
        what: "screw".into(),
        rect,
        in_rail: true,
    }));
    out.extend(status_line(m).map(|rect| Item {
        what: "status line".into(),
        rect,
        in_rail: false,
    }));
    out.extend(display(m).map(|rect| Item {
        what: "display".into(),
        rect,
        in_rail: false,
    }));
    out
}

/// Euclidean distance between two rectangles (0 when they touch or overlap).
fn distance(a: &Rect, b: &Rect) -> f32 {
    let dx = (a.x0 - b.x1).max(b.x0 - a.x1).max(0.0);
    let dy = (a.y0 - b.y1).max(b.y0 - a.y1).max(0.0);
    dx.hypot(dy)
}

#[test]
fn distance_measures_the_gap_between_rectangles() {
    let a = Rect {
        x0: 0.0,
        y0: 0.0,
        x1: 1.0,
        y1: 1.0,
    };
    assert_eq!(distance(&a, &a.translate(3.0, 0.0)), 2.0);
    assert_eq!(distance(&a, &a.translate(0.0, -1.5)), 0.5);
    assert_eq!(distance(&a, &a.translate(4.0, 5.0)), 5.0);
    assert_eq!(distance(&a, &a.translate(0.5, 0.5)), 0.0);
}

#[test]
fn nothing_comes_within_a_millimetre_of_anything_else() {
    let mut crowded = Vec::new();
    for m in MODULES {
        let items = items(m);
        for (i, a) in items.iter().enumerate() {
            for b in &items[i + 1..] {
                let d = distance(&a.rect, &b.rect);
                if d < MIN_GAP - EPS {
                    crowded.push(format!(
                        "{}: {} and {} are {d:.2} mm apart",
                        m.slug, a.what, b.what
                    ));
                }
            }
        }
    }
    assert!(
        crowded.is_empty(),
        "closer than {MIN_GAP} mm:\n{}",
        crowded.join("\n")
    );
}

#[test]
fn everything_stays_on_the_panel_and_out_of_the_screw_rows() {
    let mut wrong = Vec::new();
    for m in MODULES {
        let panel = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: m.width_mm(),
            y1: PANEL_HEIGHT_MM,
        };
        let face = Rect {
            y0: RAIL_ZONE,
            y1: PANEL_HEIGHT_MM - RAIL_ZONE,
            ..panel
        };
        for item in items(m) {
            if !panel.contains(&item.rect) {
                wrong.push(format!("{}: {} leaves the panel", m.slug, item.what));
            } else if !item.in_rail && !face.contains(&item.rect) {
                wrong.push(format!("{}: {} intrudes on a screw row", m.slug, item.what));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
