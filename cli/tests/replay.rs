//! `play --replay`: the bundled cluster trace (recorded from a real control plane) drives
//! the bundled forge patch byte-identically every time; bad lines warn once per kind and
//! lose nothing; WARP changes how fast the trace plays, not what is heard or its order.

mod common;

use std::path::{Path, PathBuf};

use kuberack_cli::play::{play, render, PlayOptions, Sinks};
use kuberack_cli::record::RecordSpec;
use kuberack_cli::replay::ReplaySession;
use kuberack_protocol::modules::cluster::param;
use serde_json::Value;

/// Makes the probe cabled into the hub's CLOCK input.
type Clock = fn() -> (Box<dyn kuberack_core::Module>, common::Seen);

fn forge() -> PathBuf {
    common::crate_dir().join("../patches/forge.vcv")
}

fn bundled_trace() -> PathBuf {
    common::crate_dir().join("../patches/recorded/forge.trace.jsonl")
}

/// The forge patch's outputs recorded into the WAV.
const FORGE_RECORDS: &[&str] = &["1:ETCD", "1:UTIL", "1:BIND", "9:ADMIT", "13:ENCHANTING"];

fn bundled_imported() -> PathBuf {
    common::crate_dir().join("../patches/recorded/forge.imported.vcv")
}

/// Plays the forge patch with `trace` for `seconds` into `dir`/`tag`.*; the WAV, the events
/// and the warnings.
fn replay(dir: &Path, tag: &str, trace: &Path, seconds: f64) -> (Vec<u8>, String, Vec<String>) {
    replay_patch(&forge(), FORGE_RECORDS, dir, tag, trace, seconds)
}

/// Plays `patch` with `trace`, recording `records`, for `seconds` into `dir`/`tag`.*.
fn replay_patch(
    patch: &Path,
    records: &[&str],
    dir: &Path,
    tag: &str,
    trace: &Path,
    seconds: f64,
) -> (Vec<u8>, String, Vec<String>) {
    let wav = dir.join(format!("{tag}.wav"));
    let events = dir.join(format!("{tag}.jsonl"));
    let options = PlayOptions {
        patch: patch.to_owned(),
        seconds,
        sample_rate: 48_000,
        seed: None,
        wav: Some(wav.clone()),
        records: records
            .iter()
            .filter_map(|s| s.parse::<RecordSpec>().ok())
            .collect(),
        events: Some(events.clone()),
        progress: false,
        sync: None,
        replay: Some(trace.to_owned()),
    };
    let mut warnings = Vec::new();
    let summary = play(&options, &mut |w| warnings.push(w.to_owned())).unwrap();
    let report = summary.replay.expect("a replay report");
    assert!(report.lines > 100, "{report:?}");
    (
        std::fs::read(wav).unwrap(),
        std::fs::read_to_string(events).unwrap(),
        warnings,
    )
}

fn cluster_events(trace: &str) -> Vec<Value> {
    trace
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["source"] == "cluster")
        .collect()
}

fn reason_and_name(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|v| (v["reason"].to_string(), v["name"].to_string()))
        .collect()
}

/// Replays the bundled trace with `patch` twice: no warning, the same WAV and event trace
/// both times; the WAV and the events heard from the cluster.
fn replayed_twice(
    patch: &Path,
    records: &[&str],
    dir: &Path,
    seconds: f64,
) -> (Vec<u8>, Vec<Value>) {
    let (wav1, events1, warnings) =
        replay_patch(patch, records, dir, "a", &bundled_trace(), seconds);
    let (wav2, events2, _) = replay_patch(patch, records, dir, "b", &bundled_trace(), seconds);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(wav1 == wav2, "the WAVs differ");
    assert!(events1 == events2, "the event traces differ");
    (wav1, cluster_events(&events1))
}

/// Every reason in `expected` was heard.
fn assert_heard(heard: &[Value], expected: &[&str]) {
    let reasons: Vec<&str> = heard.iter().filter_map(|v| v["reason"].as_str()).collect();
    for reason in expected {
        assert!(reasons.contains(reason), "{reason} not heard: {reasons:?}");
    }
}

#[test]
fn the_bundled_trace_replays_byte_identically_with_the_bundled_patch() {
    let dir = common::scratch("replay-bundled");
    let (wav1, heard) = replayed_twice(&forge(), FORGE_RECORDS, &dir, 4.0);
    // The rollout, the drain and the Kueue preemption, as the rack heard them.
    assert_heard(
        &heard,
        &[
            "NodeAdded",
            "PodCreated",
            "Killing",
            "PodDeleted",
            "NodeCordoned",
            "Evicted",
            "Admitted",
            "Preempted",
            "EvictedDueToPreempted",
            "NodeUncordoned",
        ],
    );
    // The Workload's events name the ENCHANTMENT whose Job owns it and its CLUSTERQUEUE.
    let preempted = heard.iter().find(|v| v["reason"] == "Preempted").unwrap();
    assert_eq!(
        (preempted["owner"].as_u64(), preempted["queue"].as_u64()),
        (Some(13), Some(9))
    );
    // Whatever was heard was heard whole: WAV samples are finite.
    let wav = common::read_wav(&wav1);
    assert!(wav.samples.iter().all(|s| s.is_finite()));
}

/// The bundled imported patch is exactly what `kuberack import` makes of the snapshot taken
/// beside the trace, and it plays the trace byte-identically: the drain and the Kueue
/// preemption are heard on the imported cluster too.
#[test]
fn the_bundled_imported_patch_is_the_snapshots_import_and_plays_the_trace() {
    let dir = common::scratch("replay-imported");
    let imported = dir.join("imported.vcv");
    let snapshot = common::crate_dir().join("../patches/recorded/forge.snapshot.json");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_kuberack"))
        .arg("import")
        .arg("--from-file")
        .arg(&snapshot)
        .arg("-o")
        .arg(&imported)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    assert!(
        std::fs::read(&imported).unwrap() == std::fs::read(bundled_imported()).unwrap(),
        "patches/recorded/forge.imported.vcv is not the import of forge.snapshot.json"
    );
    let records = ["Cluster:ETCD", "Cluster:BIND"];
    let (_, heard) = replayed_twice(&bundled_imported(), &records, &dir, 30.0);
    assert_heard(
        &heard,
        &[
            "NodeCordoned",
            "Evicted",
            "Admitted",
            "Preempted",
            "NodeUncordoned",
        ],
    );
}

#[test]
fn corrupt_truncated_and_unknown_lines_warn_once_each_and_lose_nothing() {
    let dir = common::scratch("replay-bad-lines");
    let clean = std::fs::read_to_string(bundled_trace()).unwrap();
    let mut lines: Vec<&str> = clean.lines().collect();
    lines.insert(5, "{\"t\": 1.0, \"kind\": \"Pod\", \"verb\": \"added\"");
    lines.insert(
        9,
        "{\"t\": 1.0, \"kind\": \"Endpoints\", \"verb\": \"added\", \"name\": \"e\"}",
    );
    lines.insert(20, "\u{1}\u{2}garbage");
    lines.insert(
        30,
        "{\"t\": 1.0, \"kind\": \"Lease\", \"verb\": \"modified\", \"name\": \"l\"}",
    );
    let mut bad = lines.join("\n");
    bad.push_str("\n{\"t\": 99.0, \"kind\": \"Node\", \"verb\": \"modif");
    let bad_path = dir.join("bad-trace.jsonl");
    std::fs::write(&bad_path, bad).unwrap();
    let (wav_clean, events_clean, _) = replay(&dir, "clean", &bundled_trace(), 4.0);
    let (wav_bad, events_bad, warnings) = replay(&dir, "bad", &bad_path, 4.0);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("3 corrupt or truncated line(s) skipped"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[1].contains("2 line(s) of unknown kinds ignored"),
        "{}",
        warnings[1]
    );
    assert!(
        wav_bad == wav_clean && events_bad == events_clean,
        "a good line was lost"
    );
}

#[test]
fn a_file_that_is_no_trace_is_a_clear_error() {
    let dir = common::scratch("replay-not-a-trace");
    let path = dir.join("patch.json");
    std::fs::write(&path, "{\"version\": \"2.4.1\"}\n").unwrap();
    let options = PlayOptions {
        patch: forge(),
        seconds: 0.1,
        sample_rate: 48_000,
        seed: None,
        wav: None,
        records: Vec::new(),
        events: None,
        progress: false,
        sync: None,
        replay: Some(path),
    };
    let err = play(&options, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("not a KubeRack cluster trace"), "{err}");
    // An output over the trace is refused before anything is written.
    let trace = dir.join("copy.jsonl");
    std::fs::copy(bundled_trace(), &trace).unwrap();
    let options = PlayOptions {
        events: Some(trace.clone()),
        replay: Some(trace.clone()),
        ..options
    };
    let err = play(&options, &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("would be overwritten"), "{err}");
    assert_eq!(
        std::fs::read(&trace).unwrap(),
        std::fs::read(bundled_trace()).unwrap()
    );
}

/// The cluster events heard rendering the forge for `seconds` at WARP `raw` (10^raw x).
fn heard_at_warp(raw: f32, seconds: f64) -> Vec<Value> {
    heard(raw, seconds, None)
}

/// The same, with the hub's CLOCK input cabled from the probe `clock` makes, if any.
fn heard(raw: f32, seconds: f64, clock: Option<Clock>) -> Vec<Value> {
    let mut loaded = common::load_at_48k(&forge());
    for m in loaded.engine.modules_mut() {
        if m.module().live().is_some() {
            m.set_param(param::WARP, f64::from(raw));
        }
    }
    if let Some(clock) = clock {
        loaded.engine.add_module(999, clock().0).unwrap();
        let clock = kuberack_protocol::modules::cluster::input::CLOCK;
        loaded.engine.connect(999, (999, 0), (1, clock)).unwrap();
    }
    let (mut session, _) = ReplaySession::start(&mut loaded.engine, &bundled_trace()).unwrap();
    let mut trace = Vec::new();
    render(
        &mut loaded.engine,
        (seconds * 48_000.0) as u64,
        Sinks {
            taps: &[],
            wav: None,
            events: Some(&mut trace),
            live: true,
            replay: Some(&mut session),
        },
        &mut |_| {},
    )
    .unwrap();
    cluster_events(std::str::from_utf8(&trace).unwrap())
}

#[test]
fn warp_changes_the_speed_not_what_is_heard_or_its_order() {
    // The trace spans about 28 s of cluster time: 3 s of audio at 10x, 0.3 s at 100x.
    let at_10x = heard_at_warp(1.0, 3.0);
    let at_100x = heard_at_warp(2.0, 0.3);
    assert_eq!(reason_and_name(&at_10x), reason_and_name(&at_100x));
    assert!(at_10x.len() > 100);
    for (a, b) in at_10x.iter().zip(&at_100x) {
        let (ta, tb) = (a["time"].as_f64().unwrap(), b["time"].as_f64().unwrap());
        // Heard at the same cluster time, within a feed and a control tick at 100x.
        assert!((ta - tb).abs() < 0.25, "{a} vs {b}");
    }
    // At 10000x a control tick is 6.7 s of cluster time: the whole trace in 0.01 s of audio,
    // heard in the same order, each line after the first within a tick or two of its time
    // (the replay starts a few ticks after the hub).
    let at_10000x = heard_at_warp(4.0, 0.01);
    assert_eq!(reason_and_name(&at_10x), reason_and_name(&at_10000x));
    let since_first = |heard: &[Value]| -> Vec<f64> {
        let t = |v: &Value| v["time"].as_f64().unwrap();
        heard.iter().map(|v| t(v) - t(&heard[0])).collect()
    };
    for (a, b) in since_first(&at_10x).iter().zip(since_first(&at_10000x)) {
        assert!((a - b).abs() < 14.0, "{a} vs {b}");
    }
    // At 10x, 0.3 s of audio hears only the start of it.
    let short = heard_at_warp(1.0, 0.3);
    assert!(short.len() < at_10x.len() / 2, "{}", short.len());
}

#[test]
fn a_cabled_clock_steps_the_replay() {
    // Clocked without a pulse, the hub's time stands still: after the first moment, nothing
    // of the trace is heard, where the free-running hub hears it all.
    let frozen = heard(1.0, 3.0, Some(|| common::Probe::constant(0.0)));
    let free = heard(1.0, 3.0, None);
    assert!(free.len() > 100, "{}", free.len());
    assert!(
        frozen.is_empty(),
        "{} heard while the clock stood still",
        frozen.len()
    );
    // One rising edge (a counter's 0 V, 1 V, 2 V ...) is one reconcile step of WARP (10 s
    // at 10x): the trace's first ten seconds are heard, not the rest.
    let stepped = heard(1.0, 3.0, Some(common::Probe::counter));
    assert!(
        !stepped.is_empty() && stepped.len() < free.len(),
        "{}",
        stepped.len()
    );
    assert!(stepped.iter().all(|v| v["time"].as_f64().unwrap() <= 10.1));
    assert_eq!(
        reason_and_name(&stepped),
        reason_and_name(&free[..stepped.len()])
    );
}
