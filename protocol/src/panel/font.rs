//! Text as strokes: lays out a string in the panel font and emits its SVG path data.

use super::geometry::{num, Rect};
use super::glyphs::{glyph, Glyph};

/// Glyph units per cap height.
const UNITS: f32 = 10.0;
/// Space between glyphs, in glyph units.
const TRACKING: f32 = 2.6;

/// How a piece of text is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextStyle {
    /// Cap height in millimetres.
    pub cap: f32,
    /// Horizontal scale of the glyphs (1 = as designed, below 1 = condensed).
    pub condense: f32,
    /// Stroke width in millimetres.
    pub stroke: f32,
}

impl TextStyle {
    /// A style of cap height `cap`, with the font's usual condensing and stroke weight.
    pub fn new(cap: f32) -> TextStyle {
        TextStyle {
            cap,
            condense: 0.86,
            stroke: cap * 0.14,
        }
    }

    /// The same style with another stroke width.
    pub fn with_stroke(self, stroke: f32) -> TextStyle {
        TextStyle { stroke, ..self }
    }

    fn sx(&self) -> f32 {
        self.cap / UNITS * self.condense
    }

    fn sy(&self) -> f32 {
        self.cap / UNITS
    }
}

/// A character the font cannot draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingGlyph(pub char);

impl std::fmt::Display for MissingGlyph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the panel font has no glyph for {:?}", self.0)
    }
}

impl std::error::Error for MissingGlyph {}

fn glyphs(text: &str) -> Result<Vec<&'static Glyph>, MissingGlyph> {
    text.chars()
        .map(|c| glyph(c).ok_or(MissingGlyph(c)))
        .collect()
}

/// Width of the text's drawing (stroke not included), in millimetres.
pub fn measure(text: &str, style: TextStyle) -> Result<f32, MissingGlyph> {
    let gs = glyphs(text)?;
    let units: f32 =
        gs.iter().map(|g| g.width).sum::<f32>() + TRACKING * gs.len().saturating_sub(1) as f32;
    Ok(units * style.sx())
}

/// The box the ink of `text` covers when its drawing starts at `left` with the cap line at
/// `top`: the glyphs' extent grown by half the stroke.
pub fn ink_box(text: &str, left: f32, top: f32, style: TextStyle) -> Result<Rect, MissingGlyph> {
    let gs = glyphs(text)?;
    let mut pen = 0.0;
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for g in &gs {
        for (x, y) in points(g.path) {
            x0 = x0.min(pen + x);
            x1 = x1.max(pen + x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        pen += g.width + TRACKING;
    }
    if x0 > x1 {
        return Ok(Rect {
            x0: left,
            y0: top,
            x1: left,
            y1: top,
        });
    }
    let h = style.stroke / 2.0;
    Ok(Rect {
        x0: left + x0 * style.sx() - h,
        y0: top + y0 * style.sy() - h,
        x1: left + x1 * style.sx() + h,
        y1: top + y1 * style.sy() + h,
    })
}

/// SVG path data drawing `text` with its drawing starting at `left` and its cap line at `top`.
pub fn path_data(
    text: &str,
    left: f32,
    top: f32,
    style: TextStyle,
) -> Result<String, MissingGlyph> {
    let gs = glyphs(text)?;
    let mut out = String::new();
    let mut pen = 0.0;
    for g in &gs {
        let ox = left + pen * style.sx();
        append_glyph(&mut out, g.path, ox, top, style);
        pen += g.width + TRACKING;
    }
    Ok(out)
}

fn append_glyph(out: &mut String, path: &str, ox: f32, oy: f32, style: TextStyle) {
    let mut is_x = true;
    for token in tokens(path) {
        if !out.is_empty() {
            out.push(' ');
        }
        match token {
            Token::Command(c) => {
                out.push(c);
                is_x = true;
                continue;
            }
            Token::Number(v) if is_x => out.push_str(&num(ox + v * style.sx())),
            Token::Number(v) => out.push_str(&num(oy + v * style.sy())),
        }
        is_x = !is_x;
    }
}

/// A token of glyph path data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Token {
    /// A command letter (`M`, `L`, `Q`).
    Command(char),
    /// A coordinate.
    Number(f32),
}

/// Splits glyph path data into command letters and numbers; a command letter may touch
/// the number after it (`M0 10`).
pub fn tokens(path: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut number = String::new();
    let flush = |number: &mut String, out: &mut Vec<Token>| {
        if !number.is_empty() {
            out.push(Token::Number(number.parse().unwrap_or(f32::NAN)));
            number.clear();
        }
    };
    for c in path.chars() {
        if c.is_ascii_digit() || c == '.' || c == '-' {
            number.push(c);
        } else {
            flush(&mut number, &mut out);
            if c.is_ascii_alphabetic() {
                out.push(Token::Command(c));
            }
        }
    }
    flush(&mut number, &mut out);
    out
}

/// Every coordinate pair of a glyph path (end points and control points), in glyph units.
pub fn points(path: &str) -> Vec<(f32, f32)> {
    let nums: Vec<f32> = tokens(path)
        .into_iter()
        .filter_map(|t| match t {
            Token::Number(v) => Some(v),
            Token::Command(_) => None,
        })
        .collect();
    nums.chunks_exact(2).map(|c| (c[0], c[1])).collect()
}
