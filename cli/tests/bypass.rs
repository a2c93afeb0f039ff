//! A bypassed KubeRack module in a patch: never processed, its outputs at 0 V as Rack
//! leaves them (one channel where a cable is plugged), and a bypassed hub writes no events.

mod common;

use kuberack_cli::patch::read_patch_bytes;
use kuberack_cli::play::{render, Sinks};
use kuberack_cli::{load, LoadOptions};

#[test]
fn a_bypassed_hub_steps_no_world_and_outputs_zero_volts() {
    let json = std::fs::read_to_string(common::demo_json()).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["modules"][0]["bypass"] = serde_json::Value::Bool(true);
    let patch = read_patch_bytes(&serde_json::to_vec(&v).unwrap()).unwrap();
    let mut loaded = load(
        &patch,
        LoadOptions {
            sample_rate: 48_000.0,
            seed: None,
        },
    )
    .unwrap();
    let mut trace = Vec::new();
    let hubs = render(
        &mut loaded.engine,
        48_000,
        Sinks {
            taps: &[],
            wav: None,
            events: Some(&mut trace),
            live: false,
            replay: None,
        },
        &mut |_| {},
    )
    .unwrap();
    assert!(trace.is_empty(), "{}", String::from_utf8_lossy(&trace));
    assert_eq!(hubs[0].events, 0);

    let hub = loaded.engine.module(2184075961356214).unwrap();
    assert!(hub.bypassed());
    // API (5) is cabled: one channel at 0 V, which members read as "no reference".
    assert_eq!(hub.output_channels(5), 1);
    assert_eq!(hub.output_voltage(5, 0), 0.0);
    // ETCD (0) is cabled only to the skipped audio interface: no channels.
    assert_eq!(hub.output_channels(0), 0);
    let node = loaded.engine.module(5729140385501862).unwrap();
    assert_eq!(node.input_channels(0), 1);
    assert_eq!(node.input_voltage(0, 0), 0.0);
}
