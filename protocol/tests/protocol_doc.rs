//! PROTOCOL.md's module tables are exactly what the descriptors say.

mod common;

use kuberack_protocol::doc::{splice_tables, PROTOCOL_PATH};
use kuberack_protocol::MODULES;

#[test]
fn protocol_tables_match_the_descriptors() {
    let path = common::repo_root().join(PROTOCOL_PATH);
    let doc = std::fs::read_to_string(&path).expect("PROTOCOL.md is readable");
    let fresh = splice_tables(&doc).expect("PROTOCOL.md has the module-table markers");
    assert!(
        fresh == doc,
        "PROTOCOL.md's module tables disagree with the descriptors; run `make panels`"
    );
    for m in MODULES {
        assert!(
            doc.contains(&format!("### {} (`{}`", m.name, m.slug)),
            "{} has no table",
            m.slug
        );
        for id in m
            .params
            .iter()
            .map(|p| p.id)
            .chain(m.inputs.iter().map(|p| p.id))
        {
            assert!(
                doc.contains(&format!("| `{id}` |")),
                "{}: {id} missing",
                m.slug
            );
        }
    }
}
