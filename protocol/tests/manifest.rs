//! `plugin/plugin.json` follows Rack 2's manifest format, uses only Rack's tags and agrees
//! with the descriptors.

mod common;

use kuberack_protocol::manifest::{is_rack_tag, manifest, manifest_json, MANIFEST_PATH, RACK_TAGS};
use kuberack_protocol::MODULES;
use serde_json::Value;

fn valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[test]
fn the_plugin_fields_are_set() {
    let m = manifest();
    assert_eq!(m.slug, "KubeRack");
    assert_eq!(m.name, "KubeRack");
    assert_eq!(m.brand, "KubeRack");
    assert_eq!(m.license, "GPL-3.0-or-later");
    assert_eq!(m.version, env!("CARGO_PKG_VERSION"));
    assert!(
        m.version.starts_with("2."),
        "the major version must be Rack's"
    );
    assert_eq!(m.version.split('.').count(), 3);
    for url in [
        &m.plugin_url.to_string(),
        &m.source_url.to_string(),
        &m.manual_url,
        &m.author_url,
        &m.changelog_url,
    ] {
        assert!(url.starts_with("https://"), "{url}");
    }
    assert!(!m.author.is_empty());
}

#[test]
fn the_modules_are_the_descriptors() {
    let m = manifest();
    assert_eq!(m.modules.len(), MODULES.len());
    for (entry, d) in m.modules.iter().zip(MODULES) {
        assert_eq!(entry.slug, d.slug);
        assert_eq!(entry.name, d.name);
        assert_eq!(entry.description, d.description);
        assert_eq!(entry.tags, d.tags);
        assert!(valid_slug(entry.slug), "{}", entry.slug);
        assert!(!entry.description.is_empty());
    }
}

#[test]
fn every_tag_is_one_of_racks() {
    for d in MODULES {
        assert!(!d.tags.is_empty(), "{} has no tag", d.slug);
        for tag in d.tags {
            assert!(is_rack_tag(tag), "{}: {tag:?} is not a Rack tag", d.slug);
        }
        let mut tags = d.tags.to_vec();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), d.tags.len(), "{}: a tag twice", d.slug);
    }
}

#[test]
fn the_rack_tag_list_is_rack_2s() {
    assert_eq!(RACK_TAGS.len(), 57);
    let mut sorted = RACK_TAGS.to_vec();
    sorted.sort_unstable_by_key(|t| t.to_lowercase());
    assert_eq!(sorted, RACK_TAGS, "Rack lists its tags alphabetically");
    for alias in ["Clock", "VCO", "LFO", "Poly"] {
        assert!(
            !is_rack_tag(alias),
            "{alias} is an alias, not the tag's name"
        );
    }
}

#[test]
fn the_committed_manifest_is_rack_json() {
    let text = common::read_committed(MANIFEST_PATH);
    assert_eq!(
        text,
        manifest_json(),
        "stale {MANIFEST_PATH}; run kuberack-panels"
    );
    let v: Value = serde_json::from_str(&text).expect("plugin.json is JSON");
    for key in [
        "slug",
        "name",
        "version",
        "license",
        "brand",
        "author",
        "authorEmail",
        "authorUrl",
        "pluginUrl",
        "manualUrl",
        "sourceUrl",
        "donateUrl",
        "changelogUrl",
    ] {
        assert!(v[key].is_string(), "{key} is missing or not a string");
    }
    let modules = v["modules"].as_array().expect("modules is an array");
    assert_eq!(modules.len(), MODULES.len());
    for (entry, d) in modules.iter().zip(MODULES) {
        assert_eq!(entry["slug"], d.slug);
        assert_eq!(entry["name"], d.name);
        assert!(entry["tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| is_rack_tag(t.as_str().unwrap())));
    }
}
