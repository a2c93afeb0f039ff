//! The `kuberack` binary end to end: outputs, summary, and one clear error per failure.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn kuberack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kuberack"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn play_writes_wav_events_and_a_summary() {
    let dir = common::scratch("cli_play");
    let wav = dir.join("demo.wav");
    let events = dir.join("demo.jsonl");
    let demo = common::demo_vcv();
    let out = kuberack(&[
        "play",
        path(&demo),
        "--seconds",
        "2",
        "--sample-rate",
        "44100",
        "--seed",
        "5",
        "--wav",
        path(&wav),
        "--record",
        "2184075961356214:etcd",
        "--record",
        "7912367028457510:2",
        "--events",
        path(&events),
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    // Not a terminal: no progress bar, just the one warning.
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        ["kuberack: warning: skipping module 3317190548113530 (Core/AudioInterface2): not a KubeRack module; its 2 cables are ignored"]
    );
    for expected in [
        "rendered 2.000 s: 88200 samples at 44100 Hz, seed 5 (from --seed)",
        "seed               5",
        "cluster 2184075961356214 (CLUSTER):",
        "simulated time     2.000 s",
        "etcd revisions",
        "pods scheduled",
        "failed attempts",
        "peak utilisation",
        "NODE         7912367028457510",
        "DEPLOYMENT   6322098870016423",
        "(skipped: Core/AudioInterface2)",
        "channel 1: 2184075961356214:ETCD (CLUSTER)",
        "channel 2: 7912367028457510:VOICE (NODE)",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }

    let wav = common::read_wav(&std::fs::read(&wav).unwrap());
    assert_eq!((wav.channels, wav.sample_rate), (2, 44_100));
    assert_eq!(wav.fact_frames, Some(88_200));

    let trace = std::fs::read_to_string(&events).unwrap();
    let lines: Vec<serde_json::Value> = trace
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    let revisions = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("etcd revisions"))
        .unwrap()
        .trim()
        .parse::<usize>()
        .unwrap();
    assert_eq!(lines.len(), revisions, "one line per etcd revision");
}

#[test]
fn play_without_outputs_just_summarises() {
    let out = kuberack(&["play", path(&common::demo_json()), "--seconds", "0.5"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("24000 samples at 48000 Hz, seeds as saved in the patch"));
    assert!(text(&out.stdout).contains("seed               7"));
}

/// Runs a failing command; returns its one-line error message.
fn failure(args: &[&str]) -> String {
    let out = kuberack(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        out.stdout.is_empty(),
        "{args:?} printed {}",
        text(&out.stdout)
    );
    let stderr = text(&out.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("kuberack: warning:"))
        .collect();
    assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
    assert!(errors[0].starts_with("kuberack: error: "), "{stderr}");
    errors[0].to_owned()
}

#[test]
fn errors_exit_non_zero_with_one_clear_line() {
    let dir = common::scratch("cli_errors");
    let demo = common::demo_vcv();
    let demo = path(&demo);

    let e = failure(&["play", "/nonexistent/patch.vcv"]);
    assert!(e.contains("cannot read /nonexistent/patch.vcv"), "{e}");

    let truncated = dir.join("truncated.vcv");
    let bytes = std::fs::read(common::demo_vcv()).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let e = failure(&["play", path(&truncated)]);
    assert!(e.contains("truncated or corrupt"), "{e}");

    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"modules\": [}").unwrap();
    let e = failure(&["play", path(&bad)]);
    assert!(e.contains("not valid JSON") && e.contains("line 1"), "{e}");

    let wav = dir.join("x.wav");
    let e = failure(&["play", demo, "--wav", path(&wav)]);
    assert!(e.contains("--wav needs at least one --record"), "{e}");
    let e = failure(&["play", demo, "--record", "2184075961356214:ETCD"]);
    assert!(e.contains("--record needs --wav"), "{e}");
    let e = failure(&["play", demo, "--wav", path(&wav), "--record", "42:ETCD"]);
    assert!(e.contains("no KubeRack module with id 42"), "{e}");
    let e = failure(&[
        "play",
        demo,
        "--wav",
        path(&wav),
        "--record",
        "2184075961356214:NOPE",
    ]);
    assert!(
        e.contains("CLUSTER has no output NOPE") && e.contains("ETCD, BIND"),
        "{e}"
    );
    let e = failure(&["play", demo, "--wav", path(&wav), "--record", "Node:VOICE"]);
    assert!(e.contains("2 Node modules"), "{e}");
    let e = failure(&[
        "play",
        demo,
        "--wav",
        path(&wav),
        "--record",
        "3317190548113530:0",
    ]);
    assert!(
        e.contains("Core/AudioInterface2, which the player does not run"),
        "{e}"
    );
    let e = failure(&["play", demo, "--sample-rate", "10"]);
    assert!(e.contains("--sample-rate must be between"), "{e}");
    let e = failure(&["play", demo, "--seconds", "-1"]);
    assert!(e.contains("--seconds"), "{e}");
    assert!(!wav.exists(), "a failed run must not leave a WAV behind");
}

#[test]
fn models_lists_every_module_from_the_descriptors() {
    let out = kuberack(&["models"]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    for d in kuberack_protocol::MODULES {
        assert!(
            s.contains(&format!("{} (model {}", d.name, d.slug)),
            "{}",
            d.name
        );
        for p in d.params {
            assert!(s.contains(p.id), "{}.{}", d.name, p.id);
        }
        for p in d.inputs.iter().chain(d.outputs) {
            assert!(
                s.contains(&format!("{}, {}", p.kind.label(), p.scale)),
                "{}.{}",
                d.name,
                p.id
            );
        }
        for l in d.lights {
            assert!(s.contains(l.description), "{}.{}", d.name, l.id);
        }
    }
    assert!(
        s.contains("knob 0.1x to 10000x (default 1x), raw -1 to 4"),
        "{s}"
    );
    assert!(
        s.contains("switch Schedulable | Cordoned (default Schedulable)"),
        "{s}"
    );
    assert!(s.contains("poly, up to 16 channels"), "{s}");

    let out = kuberack(&["models", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v.as_array().unwrap().len(),
        kuberack_protocol::MODULES.len()
    );
}

#[test]
fn pack_reproduces_the_bundled_archive() {
    let dir = common::scratch("cli_pack");
    let out_vcv = dir.join("demo.vcv");
    let out = kuberack(&["pack", path(&common::demo_json()), path(&out_vcv)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("(6 modules, 8 cables)"));
    assert_eq!(
        std::fs::read(&out_vcv).unwrap(),
        std::fs::read(common::demo_vcv()).unwrap()
    );
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    let e = failure(&["pack", path(&bad), path(&dir.join("bad.vcv"))]);
    assert!(e.contains("no \"modules\" array"), "{e}");
}
