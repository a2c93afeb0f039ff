//! The committed panel SVGs are well formed and drawable by Rack: an `<svg>` root of the
//! module's size in millimetres with a matching viewBox, only shapes nanosvg draws (no
//! `<text>`), everything inside the panel, and every component's spot on the panel.

mod common;

use common::{parse, path_points, read_committed, Element};
use kuberack_protocol::panel::geometry::num;
use kuberack_protocol::panel::{layout, panel_path, THEMES};
use kuberack_protocol::{ModuleDescriptor, MODULES, PANEL_HEIGHT_MM};

const SHAPES: &[&str] = &["rect", "circle", "path"];

fn f(el: &Element, name: &str) -> f32 {
    let v = el
        .attr(name)
        .unwrap_or_else(|| panic!("<{}> lacks {name}", el.name));
    v.parse()
        .unwrap_or_else(|_| panic!("<{}> {name}={v:?} is not a number", el.name))
}

fn check_panel(m: &ModuleDescriptor, path: &str, doc: &str) {
    let root = parse(doc).unwrap_or_else(|e| panic!("{path}: malformed: {e}"));
    assert_eq!(root.name, "svg", "{path}: root element");
    assert_eq!(
        root.attr("xmlns"),
        Some("http://www.w3.org/2000/svg"),
        "{path}"
    );
    let (w, h) = (num(m.width_mm()), num(PANEL_HEIGHT_MM));
    assert_eq!(
        root.attr("width"),
        Some(format!("{w}mm").as_str()),
        "{path}: width"
    );
    assert_eq!(root.attr("height"), Some("128.5mm"), "{path}: height");
    assert_eq!(
        root.attr("viewBox"),
        Some(format!("0 0 {w} {h}").as_str()),
        "{path}: viewBox"
    );
    let (pw, ph) = (m.width_mm() + 1e-3, PANEL_HEIGHT_MM + 1e-3);
    let inside = |x: f32, y: f32| (-1e-3..=pw).contains(&x) && (-1e-3..=ph).contains(&y);
    for el in root.walk().into_iter().skip(1) {
        assert!(
            SHAPES.contains(&el.name.as_str()),
            "{path}: <{}> is not a shape the panel may use (no <text>: Rack draws none)",
            el.name
        );
        match el.name.as_str() {
            "rect" => {
                let (x, y) = (f(el, "x"), f(el, "y"));
                let (x1, y1) = (x + f(el, "width"), y + f(el, "height"));
                assert!(inside(x, y) && inside(x1, y1), "{path}: rect off the panel");
            }
            "circle" => {
                let (x, y, r) = (f(el, "cx"), f(el, "cy"), f(el, "r"));
                assert!(
                    inside(x - r, y - r) && inside(x + r, y + r),
                    "{path}: circle off the panel"
                );
            }
            _ => {
                let d = el
                    .attr("d")
                    .unwrap_or_else(|| panic!("{path}: path without d"));
                let points = path_points(d).unwrap_or_else(|e| panic!("{path}: {e}"));
                assert!(!points.is_empty(), "{path}: empty path");
                for (x, y) in points {
                    assert!(inside(x, y), "{path}: path point ({x}, {y}) off the panel");
                }
            }
        }
    }
    for c in layout(m).unwrap().components {
        let b = c.body();
        assert!(
            inside(b.x0, b.y0) && inside(b.x1, b.y1),
            "{}: {} at ({}, {}) is not wholly on the panel",
            m.slug,
            c.id,
            c.x,
            c.y
        );
    }
}

#[test]
fn committed_panels_are_well_formed_rack_panels() {
    for m in MODULES {
        for theme in THEMES {
            let path = panel_path(m, theme);
            check_panel(m, &path, &read_committed(&path));
        }
    }
}

#[test]
fn generated_panels_have_no_text_elements() {
    for m in MODULES {
        for theme in THEMES {
            let svg = kuberack_protocol::panel::panel_svg(m, theme).unwrap();
            assert!(
                !svg.contains("<text") && !svg.contains("<tspan"),
                "{}",
                m.slug
            );
        }
    }
}

#[test]
fn the_xml_check_rejects_malformed_documents() {
    assert!(parse("<svg><rect/></svg>").is_ok());
    assert!(parse("<svg><rect></svg>").is_err());
    assert!(parse("<svg>hello</svg>").is_err());
    assert!(parse("<svg/><svg/>").is_err());
    assert!(parse("<svg width=10/>").is_err());
    assert!(parse("").is_err());
}
