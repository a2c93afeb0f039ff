//! The glyphs of KubeRack's panel font: a geometric stroke font drawn on a 10-unit cap height.
//!
//! Each glyph is one path in glyph units: x grows right from the glyph's left edge, y grows
//! down from the cap line (0) to the baseline (10). Commands are `M x y`, `L x y` and
//! `Q cx cy x y` (a quadratic curve, used for the rounded corners that give the font its
//! look). Lower-case letters sit on an x-height of 7 units (y = 3).

/// One glyph: its character, its width in glyph units and its stroke path.
#[derive(Debug, Clone, Copy)]
pub struct Glyph {
    /// The character drawn.
    pub ch: char,
    /// Width of the drawing in glyph units (the advance adds the font's tracking).
    pub width: f32,
    /// Path data in glyph units.
    pub path: &'static str,
}

const fn g(ch: char, width: f32, path: &'static str) -> Glyph {
    Glyph { ch, width, path }
}

/// Every glyph of the font.
pub static GLYPHS: &[Glyph] = &[
    g(' ', 3.5, ""),
    g('A', 6.0, "M0 10 L3 0 L6 10 M1.05 6.5 L4.95 6.5"),
    g(
        'B',
        6.0,
        "M0 5 L4 5 Q6 5 6 7 L6 8 Q6 10 4 10 L0 10 L0 0 L3.6 0 Q5.6 0 5.6 2 L5.6 3 Q5.6 5 3.6 5",
    ),
    g('C', 6.0, "M6 2 Q6 0 4 0 L2 0 Q0 0 0 2 L0 8 Q0 10 2 10 L4 10 Q6 10 6 8"),
    g('D', 6.0, "M0 0 L0 10 L3.5 10 Q6 10 6 7.5 L6 2.5 Q6 0 3.5 0 L0 0"),
    g('E', 5.5, "M5.5 0 L0 0 L0 10 L5.5 10 M0 5 L4.5 5"),
    g('F', 5.5, "M5.5 0 L0 0 L0 10 M0 5 L4.5 5"),
    g(
        'G',
        6.0,
        "M6 2 Q6 0 4 0 L2 0 Q0 0 0 2 L0 8 Q0 10 2 10 L4 10 Q6 10 6 8 L6 5.5 L3.5 5.5",
    ),
    g('H', 6.0, "M0 0 L0 10 M6 0 L6 10 M0 5 L6 5"),
    g('I', 0.0, "M0 0 L0 10"),
    g('J', 5.5, "M5.5 0 L5.5 8 Q5.5 10 3.5 10 L2 10 Q0 10 0 8 L0 7"),
    g('K', 6.0, "M0 0 L0 10 M6 0 L0 6 M2.2 3.8 L6 10"),
    g('L', 5.0, "M0 0 L0 10 L5 10"),
    g('M', 7.0, "M0 10 L0 0 L3.5 6.5 L7 0 L7 10"),
    g('N', 6.0, "M0 10 L0 0 L6 10 L6 0"),
    g('O', 6.0, "M2 0 L4 0 Q6 0 6 2 L6 8 Q6 10 4 10 L2 10 Q0 10 0 8 L0 2 Q0 0 2 0"),
    g('P', 6.0, "M0 10 L0 0 L4 0 Q6 0 6 2 L6 3.5 Q6 5.5 4 5.5 L0 5.5"),
    g(
        'Q',
        6.0,
        "M2 0 L4 0 Q6 0 6 2 L6 8 Q6 10 4 10 L2 10 Q0 10 0 8 L0 2 Q0 0 2 0 M3.8 7.8 L6.2 10.4",
    ),
    g('R', 6.0, "M0 10 L0 0 L4 0 Q6 0 6 2 L6 3.5 Q6 5.5 4 5.5 L0 5.5 M3.6 5.5 L6 10"),
    g(
        'S',
        6.0,
        "M6 2 Q6 0 4 0 L2 0 Q0 0 0 2 L0 3 Q0 5 2 5 L4 5 Q6 5 6 7 L6 8 Q6 10 4 10 L2 10 Q0 10 0 8",
    ),
    g('T', 6.0, "M0 0 L6 0 M3 0 L3 10"),
    g('U', 6.0, "M0 0 L0 8 Q0 10 2 10 L4 10 Q6 10 6 8 L6 0"),
    g('V', 6.0, "M0 0 L3 10 L6 0"),
    g('W', 8.0, "M0 0 L2 10 L4 3 L6 10 L8 0"),
    g('X', 6.0, "M0 0 L6 10 M6 0 L0 10"),
    g('Y', 6.0, "M0 0 L3 5 L6 0 M3 5 L3 10"),
    g('Z', 6.0, "M0 0 L6 0 L0 10 L6 10"),
    g(
        '0',
        5.5,
        "M2 0 L3.5 0 Q5.5 0 5.5 2 L5.5 8 Q5.5 10 3.5 10 L2 10 Q0 10 0 8 L0 2 Q0 0 2 0 M4.6 2.2 L0.9 7.8",
    ),
    g('1', 4.0, "M0 2 L2.5 0 L2.5 10 M0 10 L4 10"),
    g('2', 5.5, "M0 2 Q0 0 2 0 L3.5 0 Q5.5 0 5.5 2 L5.5 3 Q5.5 4.4 4.2 5.2 L0 10 L5.5 10"),
    g('3', 5.5, "M0 0 L5.5 0 L2.6 4 L3.5 4 Q5.5 4 5.5 6 L5.5 8 Q5.5 10 3.5 10 L2 10 Q0 10 0 8"),
    g('4', 5.5, "M4.2 10 L4.2 0 L0 7 L5.5 7"),
    g(
        '5',
        5.5,
        "M5.5 0 L0.4 0 L0 4.6 L3.5 4.6 Q5.5 4.6 5.5 6.6 L5.5 8 Q5.5 10 3.5 10 L2 10 Q0 10 0 8",
    ),
    g(
        '6',
        5.5,
        "M5 0 L2 0 Q0 0 0 2 L0 8 Q0 10 2 10 L3.5 10 Q5.5 10 5.5 8 L5.5 6.5 Q5.5 4.5 3.5 4.5 L0 4.5",
    ),
    g('7', 5.5, "M0 0 L5.5 0 L1.8 10"),
    g(
        '8',
        5.5,
        "M2 4.8 L3.5 4.8 Q5.5 4.8 5.5 6.8 L5.5 8 Q5.5 10 3.5 10 L2 10 Q0 10 0 8 L0 6.8 Q0 4.8 2 4.8 \
         Q0.4 4.8 0.4 3 L0.4 1.8 Q0.4 0 2.2 0 L3.3 0 Q5.1 0 5.1 1.8 L5.1 3 Q5.1 4.8 3.5 4.8",
    ),
    g(
        '9',
        5.5,
        "M0.5 10 L3.5 10 Q5.5 10 5.5 8 L5.5 2 Q5.5 0 3.5 0 L2 0 Q0 0 0 2 L0 3.5 Q0 5.5 2 5.5 L5.5 5.5",
    ),
    g('-', 4.0, "M0 5.5 L4 5.5"),
    g('+', 5.0, "M0 5.5 L5 5.5 M2.5 3 L2.5 8"),
    g('.', 0.0, "M0 9.8 L0 10"),
    g('/', 4.0, "M0 10 L4 0"),
    g('#', 6.0, "M1.6 2.5 L1.6 10 M4.4 2.5 L4.4 10 M0 4.8 L6 4.8 M0 7.8 L6 7.8"),
    g('a', 5.5, "M5.5 3 L5.5 10 M5.5 5 Q5.5 3 3.5 3 L2 3 Q0 3 0 5 L0 8 Q0 10 2 10 L3.5 10 Q5.5 10 5.5 8"),
    g('b', 5.5, "M0 0 L0 10 M0 5 Q0 3 2 3 L3.5 3 Q5.5 3 5.5 5 L5.5 8 Q5.5 10 3.5 10 L2 10 Q0 10 0 8"),
    g('c', 5.0, "M5 5 Q5 3 3 3 L2 3 Q0 3 0 5 L0 8 Q0 10 2 10 L3 10 Q5 10 5 8"),
    g(
        'e',
        5.5,
        "M0 6.5 L5.5 6.5 L5.5 5 Q5.5 3 3.5 3 L2 3 Q0 3 0 5 L0 8 Q0 10 2 10 L3.5 10 Q5.5 10 5.5 9",
    ),
    g('k', 5.0, "M0 0 L0 10 M5 3 L0 7.5 M2.2 5.5 L5 10"),
    g('u', 5.5, "M0 3 L0 8 Q0 10 2 10 L3.5 10 Q5.5 10 5.5 8 M5.5 3 L5.5 10"),
];

/// The glyph for `ch`, if the font has one.
pub fn glyph(ch: char) -> Option<&'static Glyph> {
    GLYPHS.iter().find(|g| g.ch == ch)
}
