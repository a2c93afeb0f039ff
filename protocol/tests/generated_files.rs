//! The committed panels and manifest are exactly what the generator writes from the
//! descriptors: a changed descriptor without a re-run of `kuberack-panels` fails here.

mod common;

use kuberack_protocol::panel::generated_files;

#[test]
fn committed_files_match_the_generator() {
    let files = generated_files().expect("every label can be drawn");
    let mut stale = Vec::new();
    for f in &files {
        let on_disk = std::fs::read_to_string(common::repo_root().join(&f.path)).ok();
        if on_disk.as_deref() != Some(f.contents.as_str()) {
            stale.push(f.path.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing generated files {stale:?}; run `cargo run -p kuberack-protocol --bin kuberack-panels`"
    );
}

#[test]
fn every_module_has_a_light_and_a_dark_panel_and_the_manifest_is_last() {
    let files = generated_files().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for m in kuberack_protocol::MODULES {
        assert!(paths.contains(&format!("res/{}.svg", m.slug).as_str()));
        assert!(paths.contains(&format!("res/{}-dark.svg", m.slug).as_str()));
    }
    assert_eq!(paths.last(), Some(&"plugin/plugin.json"));
    assert_eq!(paths.len(), 2 * kuberack_protocol::MODULES.len() + 1);
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(generated_files().unwrap(), generated_files().unwrap());
}
