//! Cluster traces: what the mirror hears live is recorded, and a replay of the trace is
//! heard alike; bad lines are skipped and counted; replay follows simulated time.

use k8s_openapi::api::core::v1::{Node, Pod};
use kuberack_sync::mirror_state::{MirrorState, Seen};
use kuberack_sync::trace::{Header, RecordControl, Recorder, Replay, Trace, TraceKind};
use kuberack_sync::{queues, HubEnd, Observed, SyncEnd};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A writer into a shared buffer.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn pod(name: &str, node: Option<&str>, phase: &str, ready: bool) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "kuberack",
            "labels": {"kuberack.io/module": "deployment-7"},
            "annotations": {"secret": "hunter2"}},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "pause",
            "resources": {"requests": {"cpu": "500m"}}}]},
        "status": {"phase": phase, "conditions": [
            {"type": "Ready", "status": if ready { "True" } else { "False" }}]}
    }))
    .unwrap()
}

fn node(name: &str, cordoned: bool) -> Node {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kuberack.io/module": "node-3"}},
        "spec": {"unschedulable": cordoned},
        "status": {"allocatable": {"cpu": "8"},
            "conditions": [{"type": "Ready", "status": "True"}]}
    }))
    .unwrap()
}

fn workload(conditions: &[&str]) -> Value {
    let conditions: Vec<Value> = conditions
        .iter()
        .map(|t| json!({"type": t, "status": "True", "reason": "Test"}))
        .collect();
    json!({"apiVersion": "kueue.x-k8s.io/v1beta2", "kind": "Workload",
        "metadata": {"name": "job-job-4-1-abcde", "namespace": "kuberack",
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "job-4-1", "uid": "u"}]},
        "spec": {"queueName": "clusterqueue-9"},
        "status": {"conditions": conditions}})
}

fn drain(hub: &mut HubEnd) -> Vec<Observed> {
    std::iter::from_fn(|| hub.pop_observed()).collect()
}

/// A live session as the watchers drive the mirror: lists, a rollout step, a cordon, a
/// Workload admitted then preempted, a pod deleted.
fn live_session(mirror: &mut MirrorState, end: &mut SyncEnd) {
    for kind in [TraceKind::Node, TraceKind::Pod, TraceKind::Workload] {
        mirror.relist_begin(kind);
    }
    mirror.apply(end, Seen::Node(&node("fake-0", false)));
    mirror.relist_done(end, TraceKind::Node);
    mirror.apply(
        end,
        Seen::Pod(&pod("web-a", Some("fake-0"), "Running", true)),
    );
    mirror.relist_done(end, TraceKind::Pod);
    mirror.apply(end, Seen::Workload(&workload(&[])));
    mirror.relist_done(end, TraceKind::Workload);
    mirror.apply(end, Seen::Pod(&pod("web-b", None, "Pending", false)));
    // A status change the mirror does not read is nothing (and no line).
    let mut same = pod("web-b", None, "Pending", false);
    same.metadata.resource_version = Some("99".into());
    mirror.apply(end, Seen::Pod(&same));
    mirror.apply(
        end,
        Seen::Pod(&pod("web-b", Some("fake-0"), "Running", true)),
    );
    mirror.apply(end, Seen::Node(&node("fake-0", true)));
    mirror.apply(
        end,
        Seen::Workload(&workload(&["QuotaReserved", "Admitted"])),
    );
    mirror.apply(end, Seen::Workload(&workload(&["Evicted", "Preempted"])));
    mirror.delete(end, TraceKind::Pod, "web-a");
}

fn record(session: impl FnOnce(&mut MirrorState, &mut SyncEnd)) -> (Vec<Observed>, String) {
    let (mut hub, mut end) = queues(256, 1);
    let buffer = Shared::default();
    let header = Header::now("kuberack", None, Some("v1beta2"));
    let control = Arc::new(RecordControl::default());
    let recorder = Recorder::to_writer(Box::new(buffer.clone()), &header, control).unwrap();
    let mut mirror = MirrorState::new();
    mirror.attach(recorder);
    session(&mut mirror, &mut end);
    drop(mirror);
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    (drain(&mut hub), text)
}

fn replay_all(text: &str) -> (Vec<Observed>, SyncEnd) {
    let trace = Arc::new(Trace::read(text.as_bytes()).unwrap());
    let (mut hub, mut end) = queues(256, 1);
    let mut replay = Replay::new(trace);
    replay.feed(&mut end, 0.0);
    replay.feed(&mut end, 1e9);
    assert!(replay.finished());
    (drain(&mut hub), end)
}

#[test]
fn a_recorded_session_replays_to_the_same_events_and_summary() {
    let (live, text) = record(live_session);
    assert!(!text.contains("hunter2"), "an annotation was recorded");
    assert!(
        !text.contains("\"image\""),
        "a field the mirror does not read was recorded"
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["format"], "kuberack.io/cluster-trace");
    assert_eq!(lines[0]["version"], 1);
    assert_eq!(lines[0]["kueue"], "v1beta2");
    let verbs: Vec<String> = lines[1..]
        .iter()
        .map(|l| {
            format!(
                "{} {} {}",
                l["kind"].as_str().unwrap(),
                l["verb"].as_str().unwrap(),
                l["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        verbs,
        [
            "Session started ",
            "Node added fake-0",
            "Node listed ",
            "Pod added web-a",
            "Pod listed ",
            "Workload added job-job-4-1-abcde",
            "Workload listed ",
            "Pod added web-b",
            "Pod modified web-b",
            "Node modified fake-0",
            "Workload modified job-job-4-1-abcde",
            "Workload modified job-job-4-1-abcde",
            "Pod deleted web-a",
        ]
    );
    let (replayed, end) = replay_all(&text);
    assert_eq!(replayed, live);
    let reasons: Vec<&str> = live.iter().map(|o| o.kind.reason()).collect();
    assert!(reasons.contains(&"NodeCordoned") && reasons.contains(&"Preempted"));
    // The Workload listed first was learnt silently, live and replayed.
    assert_eq!(
        reasons.iter().filter(|r| **r == "CreatedWorkload").count(),
        0
    );
    let real = end.status.real().expect("listed");
    assert_eq!(
        (real.nodes, real.cpu_requested_m, real.cpu_allocatable_m),
        (1, 500, 8000)
    );
}

#[test]
fn recording_started_mid_session_begins_with_what_the_mirror_knows() {
    let (mut _hub, mut end) = queues(256, 1);
    let mut mirror = MirrorState::new();
    live_session(&mut mirror, &mut end);
    let buffer = Shared::default();
    let header = Header::now("kuberack", None, None);
    let control = Arc::new(RecordControl::default());
    mirror.attach(Recorder::to_writer(Box::new(buffer.clone()), &header, control.clone()).unwrap());
    drop(mirror);
    assert!(!control.is_recording());
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert_eq!(control.lines() as usize, text.lines().count());
    let trace = Trace::read(text.as_bytes()).unwrap();
    // Session started, the node, the pod left, the Workload, three kinds listed.
    assert_eq!(trace.len(), 1 + 3 + 3);
    let (heard, end) = replay_all(&text);
    let reasons: Vec<&str> = heard.iter().map(|o| o.kind.reason()).collect();
    assert!(
        reasons.contains(&"NodeCordoned") && reasons.contains(&"Ready"),
        "{reasons:?}"
    );
    assert!(end.status.real().is_some());
}

#[test]
fn corrupt_truncated_and_unknown_lines_are_counted_and_the_good_ones_kept() {
    let (live, text) = record(live_session);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let good = lines.len() - 1;
    lines.insert(3, "{\"t\": 0.1, \"kind\": \"Pod\", \"verb\": \"added\", \"name\": \"x\", \"object\": {\"metadata\": {\"name\": \"x\"}, \"spec\": 5}}".into());
    lines.insert(
        4,
        "{\"t\": 0.1, \"kind\": \"Service\", \"verb\": \"added\", \"name\": \"s\"}".into(),
    );
    lines.insert(5, "not json at all".into());
    lines.insert(
        6,
        "{\"t\": 0.1, \"kind\": \"Node\", \"verb\": \"resized\", \"name\": \"n\"}".into(),
    );
    lines.insert(
        7,
        "{\"t\": -1, \"kind\": \"Session\", \"verb\": \"started\"}".into(),
    );
    lines.insert(8, "\u{fffd}\u{0}".into());
    let mut text = lines.join("\n");
    text.push_str("\n{\"t\": 9.5, \"kind\": \"Pod\", \"verb\": \"dele");
    let trace = Trace::read(text.as_bytes()).unwrap();
    assert_eq!(trace.len(), good);
    assert_eq!(trace.corrupt.lines, 5);
    assert_eq!(trace.corrupt.first.as_ref().unwrap().0, 4);
    assert_eq!(trace.unknown.lines, 2);
    let warnings = trace.warnings("t.jsonl");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("trace t.jsonl: 5 corrupt"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[1].contains("2 line(s) of unknown kinds"),
        "{}",
        warnings[1]
    );
    let (replayed, _) = replay_all(&text);
    assert_eq!(replayed, live);
}

#[test]
fn a_file_that_is_no_trace_is_refused_with_a_clear_error() {
    for (text, says) in [
        ("", "empty"),
        (
            "{\"t\": 0, \"kind\": \"Pod\"}\n",
            "no kuberack.io/cluster-trace header",
        ),
        ("garbage\n", "no kuberack.io/cluster-trace header"),
        (
            "{\"format\": \"kuberack.io/cluster-trace\", \"version\": 2}\n",
            "format version 2",
        ),
    ] {
        let err = Trace::read(text.as_bytes()).unwrap_err();
        assert!(err.contains(says), "{text:?}: {err}");
    }
    let missing = Trace::open(std::path::Path::new("/nonexistent/trace.jsonl")).unwrap_err();
    assert!(missing.contains("cannot read trace"), "{missing}");
}

#[test]
fn replay_takes_lines_by_simulated_time_and_waits_for_queue_room() {
    let header = r#"{"format":"kuberack.io/cluster-trace","version":1}"#;
    let mut text = format!("{header}\n{{\"t\":0,\"kind\":\"Session\",\"verb\":\"started\"}}\n");
    for i in 0..200 {
        let p =
            serde_json::to_value(pod(&format!("p{i}"), Some("fake-0"), "Running", true)).unwrap();
        let p = kuberack_sync::trace::prune::pod(&p);
        text.push_str(&format!(
            "{}\n",
            json!({"t": f64::from(i) * 0.5, "kind": "Pod", "verb": "added", "name": format!("p{i}"), "object": p})
        ));
    }
    let trace = Arc::new(Trace::read(text.as_bytes()).unwrap());
    let (mut hub, mut end) = queues(64, 1);
    let mut replay = Replay::new(trace);
    // Starts at the hub's time 100: lines up to t = 2.0 are due at 102.
    assert_eq!(replay.feed(&mut end, 100.0), 2);
    assert_eq!(replay.feed(&mut end, 102.0), 4);
    // 5 pods heard so far, 4 events each.
    assert_eq!(drain(&mut hub).len(), 5 * 4);
    // Far ahead: the queue (64) takes what fits, the rest waits, nothing is dropped.
    let taken = replay.feed(&mut end, 1e6);
    assert!(taken > 0 && !replay.finished());
    let mut heard = drain(&mut hub).len();
    while !replay.finished() {
        replay.feed(&mut end, 1e6);
        heard += drain(&mut hub).len();
    }
    assert_eq!(heard, (200 - 5) * 4);
    assert_eq!(end.status.dropped_events(), 0);
}

#[test]
fn a_recording_resumed_by_a_later_sync_thread_appends_and_its_time_goes_on() {
    let path = std::env::temp_dir().join(format!("kuberack-resume-{}.jsonl", std::process::id()));
    let header = Header::now("kuberack", None, None);
    let control = Arc::new(RecordControl::default());
    control.record_to(Some(path.clone()));
    let asked = control.generation();
    // The first sync thread to follow the request starts the file.
    assert!(control.follow(asked));
    let mut first = Recorder::create(&path, &header, control.clone(), true).unwrap();
    assert!(first.write(
        TraceKind::Session,
        kuberack_sync::trace::Verb::Started,
        "",
        None
    ));
    drop(first);
    std::thread::sleep(std::time::Duration::from_millis(30));
    // SYNC off and on again: the next thread goes on with the same trace.
    assert!(!control.follow(asked));
    let mut second = Recorder::create(&path, &header, control.clone(), false).unwrap();
    assert!(second.write(
        TraceKind::Session,
        kuberack_sync::trace::Verb::Started,
        "",
        None
    ));
    drop(second);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0]["format"], "kuberack.io/cluster-trace");
    assert!(lines[2]["t"].as_f64().unwrap() >= 0.03, "{text}");
    assert_eq!(Trace::read(text.as_bytes()).unwrap().len(), 2);
    // Asked again: a new file.
    control.record_to(Some(path.clone()));
    assert!(control.follow(control.generation()));
    let _ = std::fs::remove_file(path);
}
