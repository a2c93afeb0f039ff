//! The bundled demo patch: it is in sync with its readable copy, it plays as designed
//! (pods get scheduled and become Ready; pods the small node pools cannot hold stay
//! pending with FailedScheduling, retried with a growing backoff each time the hub's FAIL
//! trigger briefly cordons and uncordons a pool) and it is audible.

mod common;

use std::collections::HashMap;
use std::io::Cursor;

use kuberack_cli::patch::{load_patch_file, unpack_patch_json};
use kuberack_cli::play::{render, FrameSink, Sinks};
use kuberack_cli::record::{resolve, RecordSpec};
use kuberack_cli::wav::WavWriter;
use kuberack_cli::{load, LoadOptions};
use serde_json::Value;

const CLUSTER_ID: i64 = 2184075961356214;
const RATE: u32 = 48_000;
const SECONDS: u64 = 10;

#[test]
fn the_vcv_holds_exactly_the_readable_patch_json() {
    let archive = std::fs::read(common::demo_vcv()).unwrap();
    let json = std::fs::read(common::demo_json()).unwrap();
    let inside = unpack_patch_json(&archive).unwrap();
    assert!(
        inside == json,
        "patches/demo.vcv is out of date with patches/demo.patch.json; regenerate it with\n  \
         cargo run -p kuberack-cli -- pack patches/demo.patch.json patches/demo.vcv"
    );
}

#[test]
fn the_forge_vcv_holds_exactly_the_forge_scenario() {
    let dir = common::crate_dir();
    let archive = std::fs::read(dir.join("../patches/forge.vcv")).unwrap();
    let json = std::fs::read(dir.join("tests/fixtures/forge-cluster.patch.json")).unwrap();
    assert!(
        unpack_patch_json(&archive).unwrap() == json,
        "patches/forge.vcv is out of date; regenerate it with\n  cargo run -p kuberack-cli -- \
         pack cli/tests/fixtures/forge-cluster.patch.json patches/forge.vcv"
    );
}

#[test]
fn the_demo_is_a_cluster_two_pools_and_two_deployments() {
    let loaded = common::load_at_48k(&common::demo_vcv());
    let names: Vec<&str> = loaded
        .engine
        .modules()
        .iter()
        .map(|m| m.descriptor().name)
        .collect();
    assert_eq!(
        names,
        ["CLUSTER", "NODE", "NODE", "DEPLOYMENT", "DEPLOYMENT"]
    );
    // Every member hangs off the hub's API output.
    for m in &loaded.engine.modules()[1..] {
        assert!(
            m.input_connected(0),
            "{} {} has no API cable",
            m.descriptor().name,
            m.id()
        );
    }
    // The only warning: Rack's audio interface, which the player replaces with --wav.
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].contains("Core/AudioInterface2"));
}

struct Run {
    events: Vec<Value>,
    /// Interleaved ETCD, VOICE samples.
    samples: Vec<f32>,
}

fn play_demo() -> Run {
    let patch = load_patch_file(&common::demo_vcv()).unwrap();
    let mut loaded = load(
        &patch,
        LoadOptions {
            sample_rate: RATE as f32,
            seed: None,
        },
    )
    .unwrap();
    let taps: Vec<_> = ["2184075961356214:ETCD", "5729140385501862:voice"]
        .iter()
        .map(|s| {
            resolve(
                &s.parse::<RecordSpec>().unwrap(),
                &loaded.engine,
                &loaded.skipped,
            )
            .unwrap()
        })
        .collect();
    let mut wav = WavWriter::new(Cursor::new(Vec::new()), 2, RATE).unwrap();
    let mut trace = Vec::new();
    let hubs = render(
        &mut loaded.engine,
        SECONDS * u64::from(RATE),
        Sinks {
            taps: &taps,
            wav: Some(&mut wav as &mut dyn FrameSink),
            events: Some(&mut trace),
            live: false,
            replay: None,
        },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(hubs.len(), 1);
    assert_eq!(hubs[0].lost, 0, "events were lost");
    let bytes = wav.finish().unwrap().into_inner();
    let events = String::from_utf8(trace)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    Run {
        events,
        samples: common::read_wav(&bytes).samples,
    }
}

#[test]
fn pods_are_scheduled_become_ready_and_the_overflow_stays_pending() {
    let run = play_demo();
    let events = &run.events;
    assert!(events.len() > 20, "only {} events", events.len());

    // Every line comes from the hub, revisions follow each other with none missing.
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["module"], CLUSTER_ID, "{e}");
        assert_eq!(e["revision"].as_u64(), Some(i as u64 + 1), "{e}");
    }

    // Each pod's story, in revision order.
    let mut pods: HashMap<String, Vec<String>> = HashMap::new();
    for e in events.iter().filter(|e| e["kind"] == "Pod") {
        pods.entry(e["name"].as_str().unwrap().to_owned())
            .or_default()
            .push(e["reason"].as_str().unwrap().to_owned());
    }
    let count = |reason: &str| {
        pods.values()
            .filter(|s| s.iter().any(|r| r == reason))
            .count()
    };
    assert!(
        count("Scheduled") >= 5,
        "pods scheduled: {}",
        count("Scheduled")
    );
    assert!(count("Ready") >= 5, "pods ready: {}", count("Ready"));
    assert!(count("FailedScheduling") >= 1, "no FailedScheduling at all");

    for (name, story) in &pods {
        let at = |r: &str| story.iter().position(|x| x == r);
        assert_eq!(at("PodCreated"), Some(0), "{name}: {story:?}");
        if let Some(ready) = at("Ready") {
            // Created -> Scheduled -> ContainerCreating -> Started -> Ready.
            let scheduled = at("Scheduled").expect("Ready without Scheduled");
            let creating = at("ContainerCreating").expect("Ready without ContainerCreating");
            let started = at("Started").expect("Ready without Started");
            assert!(
                scheduled < creating && creating < started && started < ready,
                "{name}: {story:?}"
            );
        }
        if at("Scheduled").is_none() {
            assert!(
                at("FailedScheduling").is_some(),
                "{name} never scheduled and never reported why: {story:?}"
            );
        }
    }

    // The node pools are too small for both Deployments: some pods are still pending at
    // the end, and they are the ones that failed to schedule.
    let pending: Vec<&String> = pods
        .iter()
        .filter(|(_, s)| !s.iter().any(|r| r == "Scheduled" || r == "PodDeleted"))
        .map(|(n, _)| n)
        .collect();
    assert!(
        !pending.is_empty(),
        "every pod found a node: the demo should leave some pending"
    );
    // They wait because the pools lack CPU, not because nodes are still starting.
    for name in pending {
        let last = events
            .iter()
            .rev()
            .find(|e| e["name"] == name.as_str() && e["reason"] == "FailedScheduling")
            .unwrap();
        let message = last["message"].as_str().unwrap_or_default();
        assert!(message.contains("Insufficient cpu"), "{name}: {last}");

        // Each failure cordons a pool for a moment; the uncordon wakes the pod again after
        // its backoff, which doubles: the retries come further and further apart.
        let times: Vec<f64> = events
            .iter()
            .filter(|e| e["name"] == name.as_str() && e["reason"] == "FailedScheduling")
            .map(|e| e["time"].as_f64().unwrap())
            .collect();
        assert!(times.len() >= 4, "{name} retried only at {times:?}");
        let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        for g in gaps.windows(2).skip(1) {
            assert!(
                g[1] > g[0] * 1.5,
                "{name}: backoff does not grow: {times:?}"
            );
        }
    }
    let cordons = events
        .iter()
        .filter(|e| e["reason"] == "NodeUncordoned")
        .count();
    assert!(cordons > 0, "the FAIL -> CORDON loop never ran");
}

#[test]
fn the_demo_is_audible() {
    let run = play_demo();
    for (channel, name) in [(0, "CLUSTER ETCD"), (1, "NODE VOICE")] {
        let x: Vec<f32> = run
            .samples
            .iter()
            .skip(channel)
            .step_by(2)
            .copied()
            .collect();
        assert_eq!(x.len() as u64, SECONDS * u64::from(RATE));
        // Samples are volts / 10, as Rack's Audio module sends them: ±5 V audio is ±0.5.
        assert!(
            x.iter().all(|v| v.is_finite() && v.abs() <= 0.5),
            "{name} leaves ±5 V audio"
        );
        let rms = (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
        let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(
            rms > 0.001 && peak > 0.03,
            "{name} is silent: rms {rms}, peak {peak}"
        );
    }
}
