//! The components a module's widget places on its panel, with the room each one takes.

use super::geometry::Rect;
use super::hints::Part;
use crate::{ModuleDescriptor, ParamKind, SignalKind};

/// Radius of the ring that marks a reference port, in millimetres.
pub const RING_RADIUS: f32 = 5.0;
/// Stroke width of that ring.
pub const RING_STROKE: f32 = 0.45;

/// The kind of widget Rack draws at a component's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    /// A knob, about 10 mm across.
    Knob,
    /// A two- or three-position toggle switch (Rack's CKSS, 4.7 × 7.0 mm, and CKSSThree,
    /// 4.6 × 9.6 mm), 5 × 9.6 mm.
    Switch,
    /// A push button, about 6 mm across.
    Button,
    /// A jack, about 8 mm across.
    Jack,
    /// A light, about 2 mm across.
    Light,
}

impl ComponentKind {
    /// Width and height of the widget, in millimetres.
    pub fn size(self) -> (f32, f32) {
        match self {
            ComponentKind::Knob => (10.0, 10.0),
            ComponentKind::Switch => (5.0, 9.6),
            ComponentKind::Button => (6.0, 6.0),
            ComponentKind::Jack => (8.0, 8.0),
            ComponentKind::Light => (2.0, 2.0),
        }
    }
}

/// One component of a panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    /// Which descriptor list it comes from.
    pub part: Part,
    /// Its index in that list.
    pub index: usize,
    /// Its id.
    pub id: &'static str,
    /// Its widget.
    pub kind: ComponentKind,
    /// The port's signal kind (ports only).
    pub signal: Option<SignalKind>,
    /// Centre, from the panel's left edge.
    pub x: f32,
    /// Centre, from the panel's top edge.
    pub y: f32,
}

impl Component {
    /// The area the widget covers.
    pub fn body(&self) -> Rect {
        let (w, h) = self.kind.size();
        Rect::centered(self.x, self.y, w, h)
    }

    /// Whether the port carries a reference.
    pub fn is_reference(&self) -> bool {
        self.signal == Some(SignalKind::Reference)
    }

    /// The area the widget and its printed marks cover: labels keep out of it.
    pub fn clearance(&self) -> Rect {
        if self.is_reference() {
            let d = 2.0 * RING_RADIUS + RING_STROKE;
            Rect::centered(self.x, self.y, d, d)
        } else {
            self.body()
        }
    }
}

/// Every component of a module, params first, then inputs, outputs and lights.
pub fn components(m: &ModuleDescriptor) -> Vec<Component> {
    let mut out = Vec::new();
    for (index, p) in m.params.iter().enumerate() {
        // The plugin draws a switch of more than three positions as a snapping knob.
        let kind = match p.kind {
            ParamKind::Knob => ComponentKind::Knob,
            ParamKind::Switch if p.max - p.min >= 3.0 => ComponentKind::Knob,
            ParamKind::Switch => ComponentKind::Switch,
            ParamKind::Button => ComponentKind::Button,
        };
        out.push(Component {
            part: Part::Param,
            index,
            id: p.id,
            kind,
            signal: None,
            x: p.pos.x_mm,
            y: p.pos.y_mm,
        });
    }
    for (part, ports) in [(Part::Input, m.inputs), (Part::Output, m.outputs)] {
        for (index, p) in ports.iter().enumerate() {
            out.push(Component {
                part,
                index,
                id: p.id,
                kind: ComponentKind::Jack,
                signal: Some(p.kind),
                x: p.pos.x_mm,
                y: p.pos.y_mm,
            });
        }
    }
    for (index, l) in m.lights.iter().enumerate() {
        out.push(Component {
            part: Part::Light,
            index,
            id: l.id,
            kind: ComponentKind::Light,
            signal: None,
            x: l.pos.x_mm,
            y: l.pos.y_mm,
        });
    }
    out
}

/// Splits a light id like `NODE3` into its prefix and number.
pub fn numbered(id: &str) -> Option<(&str, &str)> {
    let digits = id.len() - id.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits == id.len() {
        return None;
    }
    Some(id.split_at(id.len() - digits))
}
