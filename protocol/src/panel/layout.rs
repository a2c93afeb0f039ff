//! Where everything goes on a panel: labels beside components, output plates, reference
//! rings, light strips, the title and the brand.

use super::components::{components, numbered, Component, ComponentKind, RING_RADIUS};
use super::font::{ink_box, measure, MissingGlyph, TextStyle};
use super::geometry::Rect;
use super::hints::{hint, Part, Side};
use crate::{ModuleDescriptor, HP_MM, PANEL_HEIGHT_MM};

/// Cap height of component labels, in millimetres.
pub const LABEL_CAP: f32 = 2.0;
/// Cap height of the numbers under a row of per-unit lights.
pub const NUMBER_CAP: f32 = 1.5;
/// Space between a component (or its ring) and its label.
pub const LABEL_GAP: f32 = 1.0;
/// Largest cap height of the module name.
pub const TITLE_CAP: f32 = 3.2;
/// Cap height of the brand.
pub const BRAND_CAP: f32 = 2.2;
/// The brand printed at the bottom of every panel.
pub const BRAND: &str = "KubeRack";
/// Room kept free along the panel's left and right edges.
pub const EDGE_MARGIN: f32 = 1.2;
/// Padding of an output plate around its jacks and labels.
pub const PLATE_PAD: f32 = 1.0;
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
    pub plates: Vec<Rect>,
    /// Reference rings.
    pub rings: Vec<Ring>,
    /// Recessed strips behind rows of per-unit lights.
    pub strips: Vec<Rect>,
}

/// Lays out the panel of a module.
pub fn layout(m: &ModuleDescriptor) -> Result<PanelLayout, MissingGlyph> {
    let width = m.width_mm();
    let comps = components(m);
    let mut labels = vec![title(m, width)?, brand(width)?];
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
        .map(|(_, members)| {
            members
                .iter()
                .map(|&i| comps[i].body())
                .reduce(|a, b| a.union(&b))
                .map(|r| r.inflate(STRIP_PAD))
                .unwrap_or(Rect::centered(0.0, 0.0, 0.0, 0.0))
        })
        .collect();
    Ok(PanelLayout {
        width,
        height: PANEL_HEIGHT_MM,
        components: comps,
        labels,
        plates,
        rings,
        strips,
    })
}

/// The module name, centred in the top rail zone between the screws.
fn title(m: &ModuleDescriptor, width: f32) -> Result<Label, MissingGlyph> {
    let room = if m.hp >= 6 {
        width - 4.0 * HP_MM - 1.6
    } else {
        width - 2.0 * EDGE_MARGIN
    };
    let unit = measure(m.name, TextStyle::new(1.0))?;
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

/// The brand, centred in the bottom rail zone.
fn brand(width: f32) -> Result<Label, MissingGlyph> {
    let style = TextStyle::new(BRAND_CAP).with_stroke(BRAND_CAP * 0.15);
    let w = measure(BRAND, style)?;
    let top = PANEL_HEIGHT_MM - RAIL_ZONE / 2.0 - BRAND_CAP / 2.0;
    Label::new(BRAND, style, (width - w) / 2.0, top, Tone::Brand)
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
    let dy = match side {
        Side::Above => room.y0 - LABEL_GAP - label.ink.y1,
        Side::Below => room.y1 + LABEL_GAP - label.ink.y0,
    };
    let dx = if label.ink.x0 < EDGE_MARGIN {
        EDGE_MARGIN - label.ink.x0
    } else if label.ink.x1 > width - EDGE_MARGIN {
        width - EDGE_MARGIN - label.ink.x1
    } else {
        0.0
    };
    label.shift(dx, dy);
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

/// The dark plates behind outputs: one per output, merged with its neighbours wherever
/// the merged plate covers nothing else.
fn plates(comps: &[Component], labels: &[Label]) -> Vec<Rect> {
    let is_output = |i: usize| comps[i].part == Part::Output;
    let mut plates: Vec<Rect> = Vec::new();
    let mut obstacles: Vec<Rect> = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        let own: Vec<Rect> = labels
            .iter()
            .filter(|l| l.owner == Some(i))
            .map(|l| l.ink)
            .collect();
        if is_output(i) {
            let r = own.iter().fold(c.clearance(), |a, b| a.union(b));
            plates.push(r.inflate(PLATE_PAD));
        } else {
            obstacles.push(c.clearance());
            obstacles.extend(own);
        }
    }
    obstacles.extend(labels.iter().filter(|l| l.owner.is_none()).map(|l| l.ink));
    let clear = |r: &Rect| obstacles.iter().all(|o| !o.inflate(0.5).intersects(r));
    loop {
        let mut merged = None;
        'search: for a in 0..plates.len() {
            for b in a + 1..plates.len() {
                let u = plates[a].union(&plates[b]);
                if clear(&u) {
                    merged = Some((a, b, u));
                    break 'search;
                }
            }
        }
        match merged {
            Some((a, b, u)) => {
                plates[a] = u;
                plates.remove(b);
            }
            None => return plates,
        }
    }
}
