//! Where everything goes on a panel: labels beside components, output plates, reference
//! rings, light strips, the title and the brand.

use super::components::{components, numbered, Component, ComponentKind, RING_RADIUS};
use super::decor::{Emblem, Heptagon};
use super::font::{ink_box, measure, MissingGlyph, TextStyle};
use super::geometry::Rect;
use super::hints::{hint, Part, Side};
use super::overlays::SCREWS_FROM_HP;
use super::plates::{merge, Plates};
use crate::{ModuleDescriptor, ModuleRole, HP_MM, PANEL_HEIGHT_MM};

/// Cap height of component labels, in millimetres.
pub const LABEL_CAP: f32 = 2.0;
/// Cap height of the numbers under a row of per-unit lights.
pub const NUMBER_CAP: f32 = 1.5;
/// Space between a component (or its ring) and its label.
pub const LABEL_GAP: f32 = 1.0;
/// Largest cap height of the module name.
pub const TITLE_CAP: f32 = 3.2;
/// Least space between the module name and a screw.
pub const TITLE_GAP: f32 = 1.2;
/// Cap height of the brand.
pub const BRAND_CAP: f32 = 2.2;
/// The brand printed at the bottom of every panel.
pub const BRAND: &str = "KubeRack";
/// Room kept free along the panel's left and right edges.
pub const EDGE_MARGIN: f32 = 1.2;
/// Padding of an output plate around its jacks and labels.
pub const PLATE_PAD: f32 = 1.0;
/// Space between the brand's heptagon and its name.
const BRAND_MARK_GAP: f32 = 0.9;
/// Room kept around the hub emblem.
const EMBLEM_MARGIN: f32 = 3.0;
/// Largest radius of the hub emblem's ring.
const EMBLEM_MAX_RADIUS: f32 = 13.0;
/// Padding of a light strip around its lights.
pub const STRIP_PAD: f32 = 0.8;
/// Height of the rail zones at the top and bottom, where Rack's screws sit.
pub const RAIL_ZONE: f32 = HP_MM;

/// What a label names, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// A param, input or light on the panel's face.
    Plain,
    /// An output, printed on its plate.
    OnPlate,
    /// A reference input.
    Reference,
    /// A reference output, on its plate.
    ReferenceOnPlate,
    /// The module name.
    Title,
    /// The brand.
    Brand,
}

/// A piece of text on the panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// The text.
    pub text: String,
    /// How it is drawn.
    pub style: TextStyle,
    /// Left end of the drawing.
    pub left: f32,
    /// Cap line.
    pub top: f32,
    /// The area its ink covers.
    pub ink: Rect,
    /// Its colour role.
    pub tone: Tone,
    /// The index (in [`PanelLayout::components`]) of the component it names.
    pub owner: Option<usize>,
    /// The side of its component it sits on.
    pub side: Option<Side>,
}

impl Label {
    fn new(
        text: &str,
        style: TextStyle,
        left: f32,
        top: f32,
        tone: Tone,
    ) -> Result<Label, MissingGlyph> {
        Ok(Label {
            text: text.to_string(),
            style,
            left,
            top,
            ink: ink_box(text, left, top, style)?,
            tone,
            owner: None,
            side: None,
        })
    }

    fn shift(&mut self, dx: f32, dy: f32) {
        self.left += dx;
        self.top += dy;
        self.ink = self.ink.translate(dx, dy);
    }
}

/// A ring marking a reference port.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ring {
    /// Centre x.
    pub x: f32,
    /// Centre y.
    pub y: f32,
    /// Radius.
    pub r: f32,
    /// Whether it sits on an output plate.
    pub on_plate: bool,
}

/// Everything printed on one panel, and the components it leaves room for.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelLayout {
    /// Panel width in millimetres.
    pub width: f32,
    /// Panel height in millimetres.
    pub height: f32,
    /// The components Rack draws.
    pub components: Vec<Component>,
    /// Every label, the title and the brand included.
    pub labels: Vec<Label>,
    /// Output plates.
    pub plates: Plates,
    /// Reference rings.
    pub rings: Vec<Ring>,
    /// Recessed strips behind rows of per-unit lights.
    pub strips: Vec<Rect>,
    /// The heptagon beside the brand.
    pub brand_mark: Heptagon,
    /// The hub emblem, on hubs with room for it.
    pub emblem: Option<Emblem>,
}

/// Lays out the panel of a module.
pub fn layout(m: &ModuleDescriptor) -> Result<PanelLayout, MissingGlyph> {
    let width = m.width_mm();
    let comps = components(m);
    let (brand, brand_mark) = brand(width)?;
    let mut labels = vec![title(m, width)?, brand];
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        let mut label = component_label(m, c, &comps, width)?;
        label.owner = Some(i);
        labels.push(label);
        if let Some((prefix, _)) = numbered_light(c, &comps) {
            match groups.iter_mut().find(|(p, _)| *p == prefix) {
                Some((_, members)) => members.push(i),
                None => groups.push((prefix, vec![i])),
            }
        }
    }
    align_rows(&mut labels, &comps);
    let plates = plates(&comps, &labels);
    let rings = comps
        .iter()
        .filter(|c| c.is_reference())
        .map(|c| Ring {
            x: c.x,
            y: c.y,
            r: RING_RADIUS,
            on_plate: c.part == Part::Output,
        })
        .collect();
    let strips = groups
        .iter()
        .filter_map(|(_, members)| {
            let mut bodies = members.iter().map(|&i| comps[i].body());
            let first = bodies.next()?;
            Some(bodies.fold(first, |a, b| a.union(&b)).inflate(STRIP_PAD))
        })
        .collect();
    let emblem = match m.role {
        ModuleRole::Hub => emblem(width, &comps, &labels),
        ModuleRole::Member => None,
    };
    Ok(PanelLayout {
        width,
        height: PANEL_HEIGHT_MM,
        components: comps,
        labels,
        plates,
        rings,
        strips,
        brand_mark,
        emblem,
    })
}

/// The module name, centred in the top rail zone between the screws.
fn title(m: &ModuleDescriptor, width: f32) -> Result<Label, MissingGlyph> {
    // Between the screws (one HP in from each edge, one HP wide), a gap from each.
    let room = if m.hp >= SCREWS_FROM_HP {
        width - 4.0 * HP_MM - 2.0 * TITLE_GAP
    } else {
        width - 2.0 * EDGE_MARGIN
    };
    // The ink is the drawing plus half the stroke (0.15 cap) at each end.
    let unit = measure(m.name, TextStyle::new(1.0))? + 0.15;
    let cap = TITLE_CAP.min(room / unit);
    let style = TextStyle::new(cap).with_stroke(cap * 0.15);
    let w = measure(m.name, style)?;
    Label::new(
        m.name,
        style,
        (width - w) / 2.0,
        RAIL_ZONE / 2.0 - cap / 2.0,
        Tone::Title,
    )
}

/// The brand and its heptagon, centred together in the bottom rail zone.
fn brand(width: f32) -> Result<(Label, Heptagon), MissingGlyph> {
    let style = TextStyle::new(BRAND_CAP).with_stroke(BRAND_CAP * 0.15);
    let r = BRAND_CAP * 0.62;
    let w = measure(BRAND, style)?;
    let total = 2.0 * r + BRAND_MARK_GAP + w;
    let left = (width - total) / 2.0;
    let cy = PANEL_HEIGHT_MM - RAIL_ZONE / 2.0;
    let mark = Heptagon {
        x: left + r,
        y: cy,
        r,
    };
    let text_left = left + 2.0 * r + BRAND_MARK_GAP;
    let label = Label::new(BRAND, style, text_left, cy - BRAND_CAP / 2.0, Tone::Brand)?;
    Ok((label, mark))
}

/// The hub emblem, centred in the free band between the title and the first component or
/// label, when that band is tall enough.
fn emblem(width: f32, comps: &[Component], labels: &[Label]) -> Option<Emblem> {
    let top = RAIL_ZONE + EMBLEM_MARGIN;
    let first = comps
        .iter()
        .map(Component::clearance)
        .chain(labels.iter().filter(|l| l.owner.is_some()).map(|l| l.ink))
        .map(|r| r.y0)
        .fold(PANEL_HEIGHT_MM, f32::min);
    let bottom = first - EMBLEM_MARGIN;
    // The ring's radius r plus a node disc of 0.1 r must fit on every side.
    let r = ((bottom - top) / 2.2)
        .min((width - 2.0 * EMBLEM_MARGIN) / 2.2)
        .min(EMBLEM_MAX_RADIUS);
    (r >= 5.0).then(|| Emblem {
        ring: Heptagon {
            x: width / 2.0,
            y: (top + bottom) / 2.0,
            r,
        },
    })
}

/// The prefix and number of a light that is one of a numbered row.
fn numbered_light<'a>(c: &'a Component, all: &[Component]) -> Option<(&'a str, &'a str)> {
    if c.kind != ComponentKind::Light {
        return None;
    }
    let (prefix, number) = numbered(c.id)?;
    let siblings = all
        .iter()
        .filter(|o| {
            o.kind == ComponentKind::Light && numbered(o.id).is_some_and(|(p, _)| p == prefix)
        })
        .count();
    (siblings >= 2).then_some((prefix, number))
}

fn component_label(
    m: &ModuleDescriptor,
    c: &Component,
    all: &[Component],
    width: f32,
) -> Result<Label, MissingGlyph> {
    let h = hint(m.slug, c.part, c.id);
    let default_text = c.id.replace('_', " ");
    let (text, side, cap) = match numbered_light(c, all) {
        Some((_, number)) => (number.to_string(), Side::Below, NUMBER_CAP),
        None => (default_text, Side::Above, LABEL_CAP),
    };
    let text = h.and_then(|h| h.text).map_or(text, str::to_string);
    let side = h.and_then(|h| h.side).unwrap_or(side);
    let style = TextStyle::new(cap);
    let tone = match (c.part == Part::Output, c.is_reference()) {
        (true, true) => Tone::ReferenceOnPlate,
        (true, false) => Tone::OnPlate,
        (false, true) => Tone::Reference,
        (false, false) => Tone::Plain,
    };
    let w = measure(&text, style)?;
    let mut label = Label::new(&text, style, c.x - w / 2.0, 0.0, tone)?;
    let room = c.clearance();
    let middle = c.y - cap / 2.0 - label.top;
    let (dx, dy) = match side {
        Side::Above => (0.0, room.y0 - LABEL_GAP - label.ink.y1),
        Side::Below => (0.0, room.y1 + LABEL_GAP - label.ink.y0),
        Side::Left => (room.x0 - LABEL_GAP - label.ink.x1, middle),
        Side::Right => (room.x1 + LABEL_GAP - label.ink.x0, middle),
    };
    label.shift(dx, dy);
    let dx = if label.ink.x0 < EDGE_MARGIN {
        EDGE_MARGIN - label.ink.x0
    } else if label.ink.x1 > width - EDGE_MARGIN {
        width - EDGE_MARGIN - label.ink.x1
    } else {
        0.0
    };
    label.shift(dx, 0.0);
    label.side = Some(side);
    Ok(label)
}

/// Puts the labels of components on one row, on one side, at one height: the farthest
/// any of them needs.
fn align_rows(labels: &mut [Label], comps: &[Component]) {
    let key = |l: &Label| {
        l.owner.map(|i| {
            let c = &comps[i];
            let above = l.ink.y1 <= c.y;
            (
                (c.y * 100.0).round() as i32,
                above,
                (l.style.cap * 100.0).round() as i32,
            )
        })
    };
    let keys: Vec<_> = labels.iter().map(key).collect();
    for i in 0..labels.len() {
        let Some(k) = keys[i] else { continue };
        let row = (0..labels.len()).filter(|&j| keys[j] == Some(k));
        let target = if k.1 {
            row.map(|j| labels[j].top).fold(f32::MAX, f32::min)
        } else {
            row.map(|j| labels[j].top).fold(f32::MIN, f32::max)
        };
        let dy = target - labels[i].top;
        labels[i].shift(0.0, dy);
    }
}

/// The plates behind outputs, kept clear of every other component and label.
fn plates(comps: &[Component], labels: &[Label]) -> Plates {
    let mut singles = Vec::new();
    let mut obstacles = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        let own = labels.iter().filter(|l| l.owner == Some(i)).map(|l| l.ink);
        if c.part == Part::Output {
            let r = own.fold(c.clearance(), |a, b| a.union(&b));
            singles.push(r.inflate(PLATE_PAD));
        } else {
            obstacles.push(c.clearance());
            obstacles.extend(own);
        }
    }
    obstacles.extend(labels.iter().filter(|l| l.owner.is_none()).map(|l| l.ink));
    merge(singles, &obstacles)
}
