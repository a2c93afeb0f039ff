//! A patch saved by VCV Rack 2.4.1 itself (with this plugin loaded) plays in the player as it
//! did in Rack: a CLUSTER, two NODE pools and a DEPLOYMENT of 6 replicas, cabled in Rack.

use std::process::Command;

#[test]
fn a_patch_saved_by_rack_plays_the_same() {
    let dir = std::env::temp_dir().join(format!("kuberack-rack-saved-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let events = dir.join("events.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_kuberack"))
        .args([
            "play",
            "tests/fixtures/saved-by-rack-2.4.1.vcv",
            "--seconds",
            "10",
            "--no-progress",
        ])
        .arg("--events")
        .arg(&events)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "unexpected warnings: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = std::fs::read_to_string(&events).unwrap();
    let reasons: Vec<String> = trace
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["reason"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let count = |r: &str| reasons.iter().filter(|x| *x == r).count();
    // In Rack the Deployment (REPLICAS 6, saved in the patch) reached 6 Ready pods.
    assert_eq!(count("DeploymentCreated"), 1);
    assert_eq!(count("PodCreated"), 6);
    assert_eq!(count("Ready"), 6);
    assert_eq!(
        count("NodeAdded"),
        1,
        "only the pool cabled to the hub joined"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
