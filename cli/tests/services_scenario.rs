//! A scenario played by the `kuberack` binary: an Ingress in front of two Services, one over
//! a Deployment and one over a hand-held POD, with etcd's heartbeat as the request clock,
//! its revision CV choosing the path, and every 404 fed back to etcd as an external write.
//! Asserted on the event trace and on the recorded endpoint triggers.

mod common;

use std::process::Command;

use serde_json::Value;

const FIXTURE: &str = "tests/fixtures/services.patch.json";
const RATE: usize = 8000;

struct Played {
    events: Vec<Value>,
    /// Interleaved frames of the recorded outputs.
    samples: Vec<f32>,
}

fn play() -> Played {
    let dir = common::scratch("services_scenario");
    let events = dir.join("events.jsonl");
    let wav = dir.join("out.wav");
    let patch = common::crate_dir().join(FIXTURE);
    let out = Command::new(env!("CARGO_BIN_EXE_kuberack"))
        .args(["play", patch.to_str().unwrap()])
        .args(["--seconds", "65", "--sample-rate", &RATE.to_string()])
        .args(["--events", events.to_str().unwrap()])
        .args(["--wav", wav.to_str().unwrap()])
        .args(["--record", "1005:EP1", "--record", "1005:EP2"])
        .args(["--record", "1005:EP3", "--record", "1005:UNAVAILABLE"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = std::fs::read_to_string(events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let samples = common::read_wav(&std::fs::read(wav).unwrap()).samples;
    Played { events, samples }
}

fn reason_of<'a>(events: &'a [Value], name: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|e| e["name"] == name)
        .map(|e| e["reason"].as_str().unwrap())
        .collect()
}

#[test]
fn services_ingress_pod_and_etcd_play_as_kubernetes_would() {
    let Played { events, samples } = play();
    // One hub; revisions follow each other with none missing.
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["revision"].as_u64(), Some(i as u64 + 1), "{e}");
    }
    let rev = |e: &Value| e["revision"].as_u64().unwrap();

    // Both Services are API objects.
    assert_eq!(reason_of(&events, "service-5"), ["ServiceCreated"]);
    assert_eq!(reason_of(&events, "service-6"), ["ServiceCreated"]);

    // The POD's gate (the cluster's UTIL CV) rose once the Deployment's pods were bound: one
    // bare pod, through the whole lifecycle, and never recreated.
    assert_eq!(
        reason_of(&events, "pod-4"),
        [
            "PodCreated",
            "Scheduled",
            "ContainerCreating",
            "Started",
            "Ready"
        ]
    );

    // Endpoints follow readiness: every EndpointSlice write lists no more endpoints than
    // pods of the selected workload are Ready at that revision.
    let mut ready_web = 0;
    let mut ready_pod = 0;
    let mut slices = (Vec::new(), Vec::new());
    for e in &events {
        let name = e["name"].as_str().unwrap();
        match e["reason"].as_str().unwrap() {
            "Ready" if name.starts_with("deployment-3-") => ready_web += 1,
            "Ready" if name == "pod-4" => ready_pod += 1,
            "EndpointSliceUpdated" if name.starts_with("service-5-") => {
                let n = e["value"].as_i64().unwrap();
                assert!(n <= ready_web, "{e}: only {ready_web} Ready");
                slices.0.push(n);
            }
            "EndpointSliceUpdated" if name.starts_with("service-6-") => {
                let n = e["value"].as_i64().unwrap();
                assert!(n <= ready_pod, "{e}: pod-4 not Ready");
                slices.1.push(n);
            }
            _ => {}
        }
    }
    assert_eq!(slices.0, [1, 2, 3]);
    assert_eq!(slices.1, [1]);

    // The Ingress answered 404 while etcd's revision put the path at "/" (revision mod 1000
    // below 125, under 1.25 V); each 404 became an external write, until the writes pushed
    // the path to "/api", which rule 1 routes.
    let writes: Vec<&Value> = events
        .iter()
        .filter(|e| e["reason"] == "ExternalWrite")
        .collect();
    assert!(writes.len() > 20, "only {} external writes", writes.len());
    assert!(writes.iter().all(|e| e["name"] == "external-8"));
    let last_write = writes.iter().map(|e| rev(e)).max().unwrap();
    assert!(
        (120..=130).contains(&last_write),
        "404s went on to revision {last_write}"
    );

    // The API server compacted every 5 simulated minutes (WARP 10x over 65 s): the first
    // compaction only records its revision, the second compacts up to it.
    let compactions: Vec<&Value> = events
        .iter()
        .filter(|e| e["reason"] == "Compaction")
        .collect();
    assert_eq!(compactions.len(), 2);
    assert!((compactions[0]["time"].as_f64().unwrap() - 300.0).abs() < 0.1);
    assert!((compactions[1]["time"].as_f64().unwrap() - 600.0).abs() < 0.1);
    assert_eq!(
        compactions[0].get("value"),
        None,
        "compacted to 0 on bootstrap"
    );
    assert_eq!(compactions[1]["value"].as_u64(), Some(rev(compactions[0])));

    // Service 5 served the /api requests round-robin: its three endpoints took turns, so
    // their counts differ by at most one; no request found it without endpoints.
    let mut counts = [0usize; 4];
    let mut last = [0.0f32; 4];
    for frame in samples.chunks_exact(4) {
        for ((count, &now), before) in counts.iter_mut().zip(frame).zip(&last) {
            *count += usize::from(now > 0.5 && *before <= 0.5);
        }
        last.copy_from_slice(frame);
    }
    let eps = &counts[..3];
    assert!(eps.iter().all(|&n| n > 100), "{counts:?}");
    assert!(
        eps.iter().max().unwrap() - eps.iter().min().unwrap() <= 1,
        "{counts:?}"
    );
    assert_eq!(counts[3], 0, "{counts:?}");
}
