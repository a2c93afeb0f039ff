//! Panel layout rules: every component is labelled, no label touches a component (at the
//! sizes of Rack's widgets: jack 8 mm, knob 10 mm, light 2 mm, switch 5 × 9.6 mm) or another
//! label, everything stays on the panel and off the rails, and plates hold only outputs.

use kuberack_protocol::panel::components::ComponentKind;
use kuberack_protocol::panel::geometry::Rect;
use kuberack_protocol::panel::hints::{Part, HINTS};
use kuberack_protocol::panel::layout::{LABEL_CAP, RAIL_ZONE};
use kuberack_protocol::panel::{layout, PanelLayout};
use kuberack_protocol::{find, MODULES, PANEL_HEIGHT_MM};

fn layouts() -> Vec<(&'static str, PanelLayout)> {
    MODULES
        .iter()
        .map(|m| {
            (
                m.slug,
                layout(m).unwrap_or_else(|e| panic!("{}: {e}", m.slug)),
            )
        })
        .collect()
}

#[test]
fn widget_sizes_are_racks() {
    assert_eq!(ComponentKind::Jack.size(), (8.0, 8.0));
    assert_eq!(ComponentKind::Knob.size(), (10.0, 10.0));
    assert_eq!(ComponentKind::Light.size(), (2.0, 2.0));
    assert_eq!(ComponentKind::Switch.size(), (5.0, 9.6));
}

#[test]
fn every_component_has_exactly_one_label() {
    for (slug, l) in layouts() {
        for (i, c) in l.components.iter().enumerate() {
            let n = l.labels.iter().filter(|lb| lb.owner == Some(i)).count();
            assert_eq!(n, 1, "{slug}: {} has {n} labels", c.id);
        }
        assert_eq!(
            l.labels.iter().filter(|lb| lb.owner.is_none()).count(),
            2,
            "{slug}: title and brand"
        );
    }
}

#[test]
fn labels_touch_no_component() {
    for (slug, l) in layouts() {
        for lb in &l.labels {
            for c in &l.components {
                assert!(
                    !lb.ink.intersects(&c.body()) && !lb.ink.intersects(&c.clearance()),
                    "{slug}: label {:?} overlaps {} ({:?} vs {:?})",
                    lb.text,
                    c.id,
                    lb.ink,
                    c.body()
                );
            }
        }
    }
}

#[test]
fn labels_do_not_overlap_each_other() {
    for (slug, l) in layouts() {
        for (i, a) in l.labels.iter().enumerate() {
            for b in &l.labels[i + 1..] {
                assert!(
                    !a.ink.intersects(&b.ink),
                    "{slug}: {:?} overlaps {:?}",
                    a.text,
                    b.text
                );
            }
        }
    }
}

#[test]
fn labels_sit_next_to_their_component() {
    for (slug, l) in layouts() {
        for lb in l.labels.iter().filter(|lb| lb.owner.is_some()) {
            let c = &l.components[lb.owner.unwrap()];
            let near = c.clearance().inflate(2.5);
            assert!(
                near.intersects(&lb.ink),
                "{slug}: {:?} is far from {}",
                lb.text,
                c.id
            );
        }
    }
}

#[test]
fn labels_are_readable() {
    for (slug, l) in layouts() {
        for lb in &l.labels {
            assert!(lb.style.cap >= 1.5, "{slug}: {:?} is too small", lb.text);
            assert!(lb.style.stroke >= 0.2, "{slug}: {:?} is too thin", lb.text);
        }
        for lb in l
            .labels
            .iter()
            .filter(|lb| lb.owner.is_some() && lb.text.len() > 1)
        {
            assert_eq!(lb.style.cap, LABEL_CAP, "{slug}: {:?}", lb.text);
        }
    }
}

#[test]
fn everything_printed_stays_on_the_panel() {
    for (slug, l) in layouts() {
        let panel = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: l.width,
            y1: PANEL_HEIGHT_MM,
        };
        let inner = panel.inflate(-0.5);
        for lb in &l.labels {
            assert!(
                inner.contains(&lb.ink),
                "{slug}: {:?} leaves the panel",
                lb.text
            );
        }
        for p in l.plates.all().chain(l.strips.iter()) {
            assert!(
                inner.contains(p),
                "{slug}: a plate or strip leaves the panel"
            );
        }
        if let Some(e) = l.emblem {
            assert!(
                inner.contains(&e.bounds()),
                "{slug}: the emblem leaves the panel"
            );
        }
    }
}

#[test]
fn components_are_on_the_panel_off_the_rails_and_apart() {
    for (slug, l) in layouts() {
        let face = Rect {
            x0: 0.0,
            y0: RAIL_ZONE,
            x1: l.width,
            y1: PANEL_HEIGHT_MM - RAIL_ZONE,
        };
        for (i, a) in l.components.iter().enumerate() {
            assert!(
                face.contains(&a.clearance()),
                "{slug}: {} is off the face",
                a.id
            );
            for b in &l.components[i + 1..] {
                assert!(
                    !a.clearance().intersects(&b.clearance()),
                    "{slug}: {} overlaps {}",
                    a.id,
                    b.id
                );
            }
        }
    }
}

#[test]
fn plates_hold_outputs_and_nothing_else() {
    for (slug, l) in layouts() {
        for (i, c) in l.components.iter().enumerate() {
            let label = l.labels.iter().find(|lb| lb.owner == Some(i)).unwrap();
            if c.part == Part::Output {
                for r in [c.clearance(), label.ink] {
                    assert!(
                        l.plates.all().any(|p| p.contains(&r)),
                        "{slug}: {} is off its plate",
                        c.id
                    );
                }
            } else {
                for r in [c.clearance(), label.ink] {
                    assert!(
                        !l.plates.all().any(|p| p.intersects(&r)),
                        "{slug}: {} is on a plate",
                        c.id
                    );
                }
            }
        }
        for lb in l.labels.iter().filter(|lb| lb.owner.is_none()) {
            assert!(
                !l.plates.all().any(|p| p.intersects(&lb.ink)),
                "{slug}: {:?} on a plate",
                lb.text
            );
        }
    }
}

#[test]
fn the_emblem_and_strips_keep_clear_of_labels() {
    for (slug, l) in layouts() {
        let marks: Vec<Rect> = l
            .emblem
            .iter()
            .map(|e| e.bounds())
            .chain(l.strips.iter().copied())
            .collect();
        for m in &marks {
            for lb in &l.labels {
                assert!(!m.intersects(&lb.ink), "{slug}: {:?} is on a mark", lb.text);
            }
        }
        assert!(
            !l.brand_mark.bounds().intersects(&l.labels[1].ink),
            "{slug}: brand mark"
        );
    }
}

#[test]
fn the_hub_has_an_emblem_and_members_do_not() {
    for (slug, l) in layouts() {
        let hub = find(slug).unwrap().role == kuberack_protocol::ModuleRole::Hub;
        assert_eq!(l.emblem.is_some(), hub, "{slug}");
    }
}

#[test]
fn reference_ports_are_ringed_and_others_are_not() {
    for (slug, l) in layouts() {
        for c in &l.components {
            let ringed = l.rings.iter().any(|r| r.x == c.x && r.y == c.y);
            assert_eq!(ringed, c.is_reference(), "{slug}: {}", c.id);
        }
    }
}

#[test]
fn every_hint_names_a_component() {
    for h in HINTS {
        let m = find(h.slug).unwrap_or_else(|| panic!("hint for unknown module {}", h.slug));
        let found = match h.part {
            Part::Param => m.param_index(h.id).is_some(),
            Part::Input => m.input_index(h.id).is_some(),
            Part::Output => m.output_index(h.id).is_some(),
            Part::Light => m.light_index(h.id).is_some(),
        };
        assert!(
            found,
            "hint for unknown {:?} {} of {}",
            h.part, h.id, h.slug
        );
    }
}

#[test]
fn labels_on_one_module_are_distinct_within_each_part() {
    for (slug, l) in layouts() {
        for part in [Part::Param, Part::Input, Part::Output, Part::Light] {
            let mut texts: Vec<&str> = l
                .labels
                .iter()
                .filter(|lb| lb.owner.is_some_and(|i| l.components[i].part == part))
                .map(|lb| lb.text.as_str())
                .collect();
            let n = texts.len();
            texts.sort_unstable();
            texts.dedup();
            assert_eq!(texts.len(), n, "{slug}: two {part:?} labels read alike");
        }
    }
}
