//! Output plates: the inverted areas that set outputs apart from inputs.
//!
//! Each output starts with a plate around its jack and label. Plates on one row merge
//! first, then any two, wherever the merged plate covers nothing else; where their
//! bounding box would, two plates that face each other join through a bridge instead,
//! making one L- or T-shaped output zone.

use super::geometry::Rect;

/// Room kept between a plate and anything that is not on it.
pub const PLATE_CLEARANCE: f32 = 0.5;
/// Corner radius of plates.
pub const PLATE_RADIUS: f32 = 1.2;
/// Least overlap of two plates' extents for a bridge between them.
const MIN_BRIDGE: f32 = 4.0;

/// The plates of a panel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plates {
    /// Rounded rectangles.
    pub rects: Vec<Rect>,
    /// Square bridges joining rounded rectangles.
    pub bridges: Vec<Rect>,
}

impl Plates {
    /// Every rectangle of plate area.
    pub fn all(&self) -> impl Iterator<Item = &Rect> {
        self.rects.iter().chain(self.bridges.iter())
    }
}

struct Region {
    rects: Vec<Rect>,
    bridges: Vec<Rect>,
}

impl Region {
    fn bounds(&self) -> Rect {
        let first = self.rects[0];
        self.rects.iter().fold(first, |a, b| a.union(b))
    }
}

/// Merges the plates of single outputs, keeping clear of `obstacles`.
pub fn merge(singles: Vec<Rect>, obstacles: &[Rect]) -> Plates {
    let clear = |r: &Rect| {
        obstacles
            .iter()
            .all(|o| !o.inflate(PLATE_CLEARANCE).intersects(r))
    };
    let mut regions: Vec<Region> = singles
        .into_iter()
        .map(|r| Region {
            rects: vec![r],
            bridges: Vec::new(),
        })
        .collect();
    for same_row_only in [true, false] {
        while let Some((a, b, merged)) = find_merge(&regions, same_row_only, &clear) {
            regions[a] = merged;
            regions.remove(b);
        }
    }
    let mut plates = Plates::default();
    for r in regions {
        plates.rects.extend(r.rects);
        plates.bridges.extend(r.bridges);
    }
    plates
}

fn find_merge(
    regions: &[Region],
    same_row_only: bool,
    clear: &dyn Fn(&Rect) -> bool,
) -> Option<(usize, usize, Region)> {
    for a in 0..regions.len() {
        for b in a + 1..regions.len() {
            let (ra, rb) = (regions[a].bounds(), regions[b].bounds());
            let same_row = ra.y0 < rb.y1 && rb.y0 < ra.y1;
            if same_row_only && !same_row {
                continue;
            }
            let u = ra.union(&rb);
            if clear(&u) {
                return Some((
                    a,
                    b,
                    Region {
                        rects: vec![u],
                        bridges: Vec::new(),
                    },
                ));
            }
            if let Some(bridge) = bridge(&ra, &rb).filter(|r| clear(r)) {
                let mut rects = regions[a].rects.clone();
                rects.extend(regions[b].rects.iter().copied());
                let mut bridges = regions[a].bridges.clone();
                bridges.extend(regions[b].bridges.iter().copied());
                bridges.push(bridge);
                return Some((a, b, Region { rects, bridges }));
            }
        }
    }
    None
}

/// The rectangle joining two plates that face each other across a gap, reaching into
/// each far enough to cover their rounded corners.
fn bridge(a: &Rect, b: &Rect) -> Option<Rect> {
    let (x0, x1) = (a.x0.max(b.x0), a.x1.min(b.x1));
    let (y0, y1) = (a.y0.max(b.y0), a.y1.min(b.y1));
    if x1 - x0 >= MIN_BRIDGE && y0 > y1 {
        // One above the other: y1 is the upper plate's bottom, y0 the lower's top.
        return Some(Rect {
            x0,
            y0: y1 - PLATE_RADIUS,
            x1,
            y1: y0 + PLATE_RADIUS,
        });
    }
    if y1 - y0 >= MIN_BRIDGE && x0 > x1 {
        return Some(Rect {
            x0: x1 - PLATE_RADIUS,
            y0,
            x1: x0 + PLATE_RADIUS,
            y1,
        });
    }
    None
}
