//! The panel font: every glyph is well formed, and every text the panels need can be drawn.

use kuberack_protocol::panel::font::{
    ink_box, measure, path_data, points, tokens, TextStyle, Token,
};
use kuberack_protocol::panel::glyphs::{glyph, GLYPHS};
use kuberack_protocol::panel::layout::BRAND;
use kuberack_protocol::panel::{layout, MissingGlyph};
use kuberack_protocol::MODULES;

#[test]
fn glyphs_are_unique_and_well_formed() {
    for (i, g) in GLYPHS.iter().enumerate() {
        assert!(
            GLYPHS[i + 1..].iter().all(|o| o.ch != g.ch),
            "{:?} twice",
            g.ch
        );
        let toks = tokens(g.path);
        if g.ch == ' ' {
            assert!(toks.is_empty());
            continue;
        }
        assert_eq!(
            toks.first(),
            Some(&Token::Command('M')),
            "{:?} starts with a move",
            g.ch
        );
        let mut expect = 0;
        for t in &toks {
            match t {
                Token::Command(c) => {
                    assert_eq!(expect, 0, "{:?}: command {c} cuts a coordinate list", g.ch);
                    expect = match c {
                        'M' | 'L' => 2,
                        'Q' => 4,
                        other => panic!("{:?}: command {other} is not M, L or Q", g.ch),
                    };
                }
                Token::Number(v) => {
                    assert!(v.is_finite(), "{:?}", g.ch);
                    assert!(expect > 0, "{:?}: a number without a command", g.ch);
                    expect -= 1;
                }
            }
        }
        assert_eq!(expect, 0, "{:?}: incomplete last command", g.ch);
        for (x, y) in points(g.path) {
            assert!(
                (-0.5..=g.width + 0.5).contains(&x),
                "{:?}: x {x} off its width",
                g.ch
            );
            assert!((0.0..=10.5).contains(&y), "{:?}: y {y} off the body", g.ch);
        }
    }
}

#[test]
fn the_font_has_capitals_and_digits() {
    for ch in ('A'..='Z').chain('0'..='9') {
        assert!(glyph(ch).is_some(), "no glyph for {ch:?}");
    }
}

#[test]
fn every_panel_text_can_be_drawn() {
    for m in MODULES {
        let l = layout(m).unwrap_or_else(|e| panic!("{}: {e}", m.slug));
        assert!(
            l.labels.iter().any(|lb| lb.text == m.name),
            "{}: title",
            m.slug
        );
        assert!(
            l.labels.iter().any(|lb| lb.text == BRAND),
            "{}: brand",
            m.slug
        );
    }
}

#[test]
fn a_missing_glyph_is_an_error() {
    let style = TextStyle::new(2.0);
    assert_eq!(measure("A€", style), Err(MissingGlyph('€')));
    assert!(path_data("é", 0.0, 0.0, style).is_err());
}

#[test]
fn text_grows_with_its_length_and_its_ink_covers_the_cap_height() {
    let style = TextStyle::new(2.0);
    let one = measure("CPU", style).unwrap();
    let two = measure("CPU CPU", style).unwrap();
    assert!(two > 2.0 * one);
    let ink = ink_box("CPU", 10.0, 20.0, style).unwrap();
    assert!((ink.x0 - (10.0 - style.stroke / 2.0)).abs() < 1e-4);
    assert!((ink.height() - (2.0 + style.stroke)).abs() < 1e-4);
    assert!((ink.width() - (one + style.stroke)).abs() < 1e-4);
}

#[test]
fn path_data_places_glyphs_in_millimetres() {
    let d = path_data("I", 5.0, 10.0, TextStyle::new(2.0)).unwrap();
    assert_eq!(d, "M 5 10 L 5 12");
}
