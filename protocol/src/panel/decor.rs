//! Marks that are neither labels nor plates: the brand's heptagon and the hub emblem.

use super::geometry::{num, Rect};

/// A regular heptagon (Kubernetes' seven sides) outline, pointing up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heptagon {
    /// Centre x.
    pub x: f32,
    /// Centre y.
    pub y: f32,
    /// Circumradius.
    pub r: f32,
}

impl Heptagon {
    /// The seven corners, clockwise from the top.
    pub fn corners(&self) -> [(f32, f32); 7] {
        std::array::from_fn(|i| {
            let a = std::f32::consts::TAU * i as f32 / 7.0;
            (self.x + self.r * a.sin(), self.y - self.r * a.cos())
        })
    }

    /// The box it covers.
    pub fn bounds(&self) -> Rect {
        Rect::centered(self.x, self.y, 2.0 * self.r, 2.0 * self.r)
    }

    /// SVG path data of the outline.
    pub fn path_data(&self) -> String {
        let c = self.corners();
        let mut d = format!("M{} {}", num(c[0].0), num(c[0].1));
        for p in &c[1..] {
            d.push_str(&format!(" L{} {}", num(p.0), num(p.1)));
        }
        d.push_str(" Z");
        d
    }
}

/// The hub emblem: a control plane at the centre, wired to seven nodes around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Emblem {
    /// The heptagon whose corners are the nodes.
    pub ring: Heptagon,
}

impl Emblem {
    /// Radius of the centre disc.
    pub fn hub_radius(&self) -> f32 {
        self.ring.r * 0.2
    }

    /// Radius of each node disc.
    pub fn node_radius(&self) -> f32 {
        self.ring.r * 0.1
    }

    /// The box it covers.
    pub fn bounds(&self) -> Rect {
        self.ring.bounds().inflate(self.node_radius())
    }
}
