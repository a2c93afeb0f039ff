//! Every index constant a module's descriptor file declares (`param::STRATEGY`,
//! `light::NODE_FIRST`...) is the position of the component with that id: the core reads
//! params and writes outputs through these constants, so a constant out of step with the
//! descriptor's order silently wires a knob to the wrong meaning.

use std::path::Path;

use kuberack_protocol::MODULES;

/// `(table, NAME, value)` for each `pub const NAME: usize = value;` inside `pub mod table`.
fn constants(source: &str) -> Vec<(String, String, usize)> {
    let mut table = String::new();
    let mut found = Vec::new();
    for line in source.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("pub mod ") {
            table = rest.trim_end_matches(" {").to_string();
        } else if let Some(rest) = line.strip_prefix("pub const ") {
            let Some((name, value)) = rest.split_once(": usize = ") else {
                continue;
            };
            let value = value.trim_end_matches(';').parse().unwrap();
            found.push((table.clone(), name.to_string(), value));
        }
    }
    found
}

/// `ClusterQueue` -> `cluster_queue`: the descriptor file of a slug.
fn snake_case(slug: &str) -> String {
    let mut out = String::new();
    for (i, c) in slug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[test]
fn every_index_constant_is_the_position_of_its_id() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/modules");
    let mut checked = 0;
    for d in MODULES {
        let file = dir.join(format!("{}.rs", snake_case(d.slug)));
        let source = std::fs::read_to_string(&file).unwrap();
        for (table, name, value) in constants(&source) {
            let ids: Vec<&str> = match table.as_str() {
                "param" => d.params.iter().map(|p| p.id).collect(),
                "input" => d.inputs.iter().map(|p| p.id).collect(),
                "output" => d.outputs.iter().map(|p| p.id).collect(),
                "light" => d.lights.iter().map(|l| l.id).collect(),
                _ => continue,
            };
            if let Some(position) = ids.iter().position(|&id| id == name) {
                assert_eq!(position, value, "{}: {table}::{name}", d.slug);
            } else if let Some(prefix) = name.strip_suffix("_FIRST") {
                // The first of a numbered run: NODE_FIRST is NODE1.
                let first = format!("{prefix}1");
                assert_eq!(
                    ids.get(value),
                    Some(&first.as_str()),
                    "{}: {table}::{name}",
                    d.slug
                );
            } else if name.ends_with("_COUNT") {
                continue;
            } else {
                panic!("{}: {table}::{name} names no component", d.slug);
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} constants");
}
