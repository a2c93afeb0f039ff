//! Every context-menu setting a descriptor declares is one the module really reads: each
//! choice loads without error and is saved back unchanged, and the default choice is what a
//! new module saves. A one-line text setting saves what it loaded, starts empty, and its
//! module refuses the text its form's check refuses.

use std::sync::Arc;

use kuberack_core::modules::create_module;
use kuberack_core::registry::Registry;
use kuberack_core::world::constraints::PRIORITY_CLASSES;
use kuberack_core::world::terms::parse;
use kuberack_protocol::{SettingDescriptor, TextForm, MODULES};
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

/// The default of a setting as saved: its default choice, or empty text.
fn default(s: &SettingDescriptor) -> Value {
    match s.text {
        Some(_) => json!(""),
        None => parsed(s.choices[s.default].json),
    }
}

/// Text a setting of this form accepts, and text it refuses.
fn samples(form: TextForm) -> (&'static str, &'static str) {
    match form {
        TextForm::Labels | TextForm::NodeLabels => ("app=web, example.com/tier=front", "app"),
        TextForm::NodeTaints => (
            "dedicated=gpu:NoSchedule, soft=yes:PreferNoSchedule",
            "gpu:Never",
        ),
        TextForm::Tolerations => (
            "dedicated=gpu:NoSchedule, *:NoExecute for 60s",
            "a=b:NoSchedule for 5s",
        ),
        TextForm::NodeAffinity => ("disk in (ssd,nvme), !spot | cpu-gen>5", "disk in ()"),
        TextForm::PreferredNodeAffinity => ("80: disk=ssd | 20: gpu", "101: gpu"),
        TextForm::PodAffinity => (
            "app=web on zone; !app=db on hostname; 50: app=cache on kubernetes.io/hostname",
            "app=web on Zone/",
        ),
        TextForm::TopologySpread => (
            "1 on zone minDomains=3; 2 on hostname ScheduleAnyway for app=web",
            "0 on zone",
        ),
    }
}

#[test]
fn text_settings_load_save_back_and_refuse_bad_text_with_the_reason() {
    let registry = Arc::new(Registry::new());
    let mut checked = 0;
    for d in MODULES {
        for s in d.settings.iter().filter(|s| s.text.is_some()) {
            let form = s.text.unwrap();
            assert!(s.choices.is_empty(), "{}: {} has choices", d.slug, s.key);
            let (good, bad) = samples(form);
            assert_eq!(parse::check(form, good), Ok(()));
            let reason = parse::check(form, bad).expect_err(bad);
            let mut m = create_module(d.slug, &registry).unwrap();
            m.load(&nested(s.key, json!(good)))
                .unwrap_or_else(|e| panic!("{}: {} = {good}: {e}", d.slug, s.key));
            assert_eq!(at(&m.save(), s.key), Some(&json!(good)));
            let err = m.load(&nested(s.key, json!(bad))).expect_err(bad);
            assert!(
                err.0.contains(&reason),
                "{}: {err:?} lacks {reason:?}",
                s.key
            );
            // A loaded patch keeps refused text as written: saved again unchanged.
            assert_eq!(
                at(&m.save(), s.key),
                Some(&json!(bad)),
                "{}: {} lost",
                d.slug,
                s.key
            );
            assert!(
                m.load(&nested(s.key, json!(7))).is_err(),
                "{}: a number",
                s.key
            );
            checked += 1;
        }
    }
    assert!(checked >= 7, "only {checked} text settings");
    // A NODE's own switches set these; its text may not.
    assert!(parse::check(TextForm::NodeLabels, "topology.kubernetes.io/zone=zone-a").is_err());
    assert!(parse::check(TextForm::NodeTaints, "kuberack.io/dedicated:NoSchedule").is_err());
    assert!(parse::check(TextForm::Labels, "topology.kubernetes.io/zone=zone-a").is_ok());
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
                Some(&default(s)),
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
    for s in deployment.settings.iter().filter(|s| s.text.is_none()) {
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
            let other = match s.text {
                Some(form) => json!(samples(form).0),
                None => parsed(s.choices[(s.default + 1) % s.choices.len()].json),
            };
            m.load(&nested(s.key, other)).unwrap();
        }
        m.reset();
        for s in d.settings {
            assert_eq!(
                at(&m.save(), s.key),
                Some(&default(s)),
                "{}: {}",
                d.slug,
                s.key
            );
        }
    }
}
