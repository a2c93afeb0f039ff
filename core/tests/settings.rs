//! Every context-menu setting a descriptor declares is one the module really reads: each
//! choice loads without error and is saved back unchanged, and the default choice is what a
//! new module saves.

use std::sync::Arc;

use kuberack_core::modules::create_module;
use kuberack_core::registry::Registry;
use kuberack_core::world::constraints::PRIORITY_CLASSES;
use kuberack_protocol::{SettingDescriptor, MODULES};
use serde_json::{json, Value};

/// `{"a": {"b": value}}` for the key `a.b`.
fn nested(key: &str, value: Value) -> Value {
    key.rsplit('.')
        .fold(value, |inner, part| json!({ part: inner }))
}

/// The value at a dotted key.
fn at<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(v, |v, part| v.get(part))
}

fn parsed(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

#[test]
fn every_choice_loads_and_is_saved_back() {
    let registry = Arc::new(Registry::new());
    let mut checked = 0;
    for d in MODULES {
        for s in d.settings {
            let fresh = create_module(d.slug, &registry).unwrap();
            assert_eq!(
                at(&fresh.save(), s.key),
                Some(&parsed(s.choices[s.default].json)),
                "{}: {} default",
                d.slug,
                s.key
            );
            for c in s.choices {
                let mut m = create_module(d.slug, &registry).unwrap();
                let state = nested(s.key, parsed(c.json));
                m.load(&state)
                    .unwrap_or_else(|e| panic!("{}: {} = {}: {e}", d.slug, s.key, c.json));
                assert_eq!(at(&m.save(), s.key), Some(&parsed(c.json)));
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} choices");
}

#[test]
fn a_value_outside_the_choices_is_refused() {
    let registry = Arc::new(Registry::new());
    let deployment = MODULES.iter().find(|d| d.slug == "Deployment").unwrap();
    let mut m = create_module("Deployment", &registry).unwrap();
    for s in deployment.settings {
        assert!(
            m.load(&nested(s.key, json!("no-such-choice"))).is_err(),
            "{} accepted an unknown value",
            s.key
        );
    }
}

#[test]
fn the_priority_class_menu_offers_exactly_the_worlds_classes() {
    let deployment = MODULES.iter().find(|d| d.slug == "Deployment").unwrap();
    let menu: &SettingDescriptor = deployment
        .settings
        .iter()
        .find(|s| s.key == "scheduling.priorityClassName")
        .unwrap();
    let offered: Vec<Value> = menu.choices.iter().map(|c| parsed(c.json)).collect();
    let classes: Vec<Value> = PRIORITY_CLASSES.iter().map(|(n, _)| json!(n)).collect();
    assert_eq!(offered, classes);
    for (c, (_, value)) in menu.choices.iter().zip(PRIORITY_CLASSES) {
        let shown_value = value < 1_000_000;
        assert_eq!(
            c.label.contains(&format!("({value})")),
            shown_value,
            "{}",
            c.label
        );
    }
}

#[test]
fn initialize_returns_every_setting_to_its_default() {
    let registry = Arc::new(Registry::new());
    for d in MODULES.iter().filter(|d| !d.settings.is_empty()) {
        let mut m = create_module(d.slug, &registry).unwrap();
        for s in d.settings {
            let other = (s.default + 1) % s.choices.len();
            m.load(&nested(s.key, parsed(s.choices[other].json)))
                .unwrap();
        }
        m.reset();
        for s in d.settings {
            assert_eq!(
                at(&m.save(), s.key),
                Some(&parsed(s.choices[s.default].json)),
                "{}: {}",
                d.slug,
                s.key
            );
        }
    }
}
