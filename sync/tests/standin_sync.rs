//! The sync thread against the in-process API server stand-in (tests/standin): apply, write
//! coalescing, every fault of the issue, the label guard, mirroring and toggle-off.

mod standin;

use kuberack_core::world::events::EventKind;
use kuberack_sync::mirror::MirrorKind;
use kuberack_sync::{
    queues, spawn, Change, ClusterSource, DesiredJob, DesiredObject, DesiredQueue, HubEnd,
    ObjectKind, SyncConfig, SyncState, SyncThread,
};
use serde_json::{json, Value};
use standin::{Faults, Recorded, StandIn};
use std::time::{Duration, Instant};

const NS: &str = "kuberack";
const WAIT: Duration = Duration::from_secs(10);

fn dep(module: u64, replicas: u32) -> Option<DesiredObject> {
    Some(DesiredObject::deployment(module, replicas, 250, 64))
}

fn config(url: String) -> SyncConfig {
    let mut c = SyncConfig::new(ClusterSource::Url(url));
    c.backoff_base = Duration::from_millis(100);
    c.backoff_cap = Duration::from_millis(800);
    c.request_timeout = Duration::from_secs(2);
    c
}

/// Backoff long enough that retries are told apart from the 5 writes/s cap.
fn slow_backoff(url: String) -> SyncConfig {
    let mut c = config(url);
    c.backoff_base = Duration::from_millis(400);
    c.backoff_cap = Duration::from_millis(1600);
    c
}

fn start(c: SyncConfig) -> (HubEnd, SyncThread) {
    let (hub, end) = queues(64, 8);
    let thread = spawn(c, end).expect("spawn");
    (hub, thread)
}

fn deployment_path(name: &str) -> String {
    format!("/apis/apps/v1/namespaces/{NS}/deployments/{name}")
}

fn applies<'a>(log: &'a [Recorded], name: &str) -> Vec<&'a Recorded> {
    let path = deployment_path(name);
    log.iter()
        .filter(|r| r.method == "PATCH" && r.path == path)
        .collect()
}

fn wait_state(hub: &HubEnd, want: SyncState) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if hub.status.state() == want {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

fn body(r: &Recorded) -> Value {
    serde_json::from_str(&r.body).expect("apply body is JSON")
}

#[test]
fn changing_desired_replicas_applies_the_deployment_server_side() {
    let api = StandIn::start();
    let (mut hub, thread) = start(config(api.url()));
    hub.publish(&[dep(1, 2)]);
    assert!(api.wait_for(WAIT, |l| !applies(l, "deployment-1").is_empty()));
    hub.publish(&[dep(1, 5)]);
    assert!(api.wait_for(WAIT, |l| applies(l, "deployment-1").len() >= 2));
    assert!(
        wait_state(&hub, SyncState::Synced),
        "{:?}",
        hub.status.last_error()
    );

    let log = api.log();
    // The namespace was missing, so it was created (by apply) before anything else.
    assert!(log
        .iter()
        .any(|r| r.method == "PATCH" && r.path == format!("/api/v1/namespaces/{NS}")));
    let patches = applies(&log, "deployment-1");
    for p in &patches {
        assert_eq!(p.content_type, "application/apply-patch+yaml");
        assert_eq!(
            p.query.get("fieldManager").map(String::as_str),
            Some("kuberack")
        );
    }
    let last = body(patches[1]);
    assert_eq!(last["spec"]["replicas"], 5);
    assert_eq!(
        last["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "kuberack"
    );
    assert_eq!(
        last["metadata"]["labels"]["kuberack.io/module"],
        "deployment-1"
    );
    let requests = &last["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"];
    assert_eq!(requests["cpu"], "250m");
    assert_eq!(
        api.object("deployments", NS, "deployment-1").unwrap()["spec"]["replicas"],
        5
    );
    // The stand-in logs a request before the thread reads its answer and counts the write.
    let deadline = Instant::now() + WAIT;
    while hub.status.writes() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(hub.status.writes(), 2);
    thread.stop().unwrap();
    assert_eq!(hub.status.state(), SyncState::Off);
}

#[test]
fn a_ten_hz_knob_is_written_at_most_five_times_a_second() {
    let api = StandIn::start();
    let (mut hub, thread) = start(config(api.url()));
    let t0 = Instant::now();
    let mut replicas = 0;
    while t0.elapsed() < Duration::from_secs(2) {
        replicas = (replicas + 1) % 9;
        hub.publish(&[dep(3, replicas)]);
        std::thread::sleep(Duration::from_millis(100));
    }
    // The last value always lands.
    let want = replicas;
    assert!(api.wait_for(WAIT, |l| applies(l, "deployment-3")
        .last()
        .is_some_and(|r| body(r)["spec"]["replicas"] == want)));
    let log = api.log();
    let patches = applies(&log, "deployment-3");
    // 20 changes in 2 s; at 5/s at most about 10 (+1 for the final value) are written.
    assert!(
        (6..=12).contains(&patches.len()),
        "{} writes",
        patches.len()
    );
    for pair in patches.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(gap >= Duration::from_millis(150), "writes {gap:?} apart");
    }
    thread.stop().unwrap();
}

#[test]
fn forbidden_writes_name_the_verb_and_resource_and_back_off() {
    let api = StandIn::start();
    api.set_faults(Faults {
        deny: Some((403, "patch deployments".into())),
        ..Faults::default()
    });
    let (mut hub, thread) = start(slow_backoff(api.url()));
    hub.publish(&[dep(1, 1)]);
    assert!(wait_state(&hub, SyncState::Error));
    let err = hub.status.last_error();
    assert!(
        err.contains("forbidden (403)")
            && err.contains("patch deployments.apps in namespace kuberack"),
        "{err}"
    );
    std::thread::sleep(Duration::from_secs(3));
    let attempts = applies(&api.log(), "deployment-1").len();
    // Backoff from 400 ms doubling to 1.6 s: about 4 attempts in 3 s, not 5 per second.
    assert!((2..=6).contains(&attempts), "{attempts} attempts");
    // Rights granted: the pending value is written and the light turns green.
    api.set_faults(Faults::default());
    assert!(wait_state(&hub, SyncState::Synced), "{err}");
    thread.stop().unwrap();
}

#[test]
fn unauthorized_credentials_reconnect_with_backoff() {
    let api = StandIn::start();
    api.set_faults(Faults {
        deny: Some((401, String::new())),
        ..Faults::default()
    });
    let (_hub, thread) = start(slow_backoff(api.url()));
    let hub_status = thread.status().clone();
    let deadline = Instant::now() + WAIT;
    while hub_status.state() != SyncState::Error && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        hub_status.last_error().contains("unauthorized (401)"),
        "{}",
        hub_status.last_error()
    );
    std::thread::sleep(Duration::from_secs(3));
    let discoveries = api.log().iter().filter(|r| r.path == "/apis").count();
    assert!(
        (2..=6).contains(&discoveries),
        "{discoveries} reconnects in 3 s"
    );
    thread.stop().unwrap();
}

#[test]
fn kueue_is_detected_by_discovery_only_when_served() {
    for served in [false, true] {
        let api = StandIn::start();
        api.set_faults(Faults {
            kueue: served,
            ..Faults::default()
        });
        let (hub, thread) = start(config(api.url()));
        assert!(wait_state(&hub, SyncState::Synced));
        assert_eq!(hub.status.kueue_found(), served);
        thread.stop().unwrap();
    }
}

#[test]
fn a_conflict_degrades_and_is_retried() {
    let api = StandIn::start();
    api.set_faults(Faults {
        conflicts: 1,
        ..Faults::default()
    });
    let (mut hub, thread) = start(config(api.url()));
    hub.publish(&[dep(2, 4)]);
    assert!(wait_state(&hub, SyncState::Degraded));
    assert!(hub.status.last_error().contains("conflict (409)"));
    // The retry lands, and only then is the light green again.
    assert!(api.wait_for(WAIT, |l| applies(l, "deployment-2").len() >= 2));
    assert!(wait_state(&hub, SyncState::Synced));
    assert_eq!(
        api.object("deployments", NS, "deployment-2").unwrap()["spec"]["replicas"],
        4
    );
    thread.stop().unwrap();
}

fn pod(name: &str, module_tag: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": NS, "labels": {"kuberack.io/module": module_tag}},
           "spec": {"containers": [{"name": "workload", "image": "pause"}]},
           "status": {"phase": "Pending"}})
}

fn next_observed(hub: &mut HubEnd) -> Option<kuberack_sync::Observed> {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Some(o) = hub.pop_observed() {
            return Some(o);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    None
}

#[test]
fn real_pod_transitions_reach_the_hub_as_world_events() {
    let api = StandIn::start();
    let (mut hub, thread) = start(config(api.url()));
    assert!(wait_state(&hub, SyncState::Synced));
    api.put("pods", NS, pod("web-1", "deployment-9"));
    let created = next_observed(&mut hub).expect("an event");
    assert_eq!(created.kind, MirrorKind::World(EventKind::PodCreated));
    assert_eq!(created.module, 9);
    let mut bound = pod("web-1", "deployment-9");
    bound["spec"]["nodeName"] = json!("node-a");
    api.put("pods", NS, bound);
    assert_eq!(
        next_observed(&mut hub).unwrap().kind,
        MirrorKind::World(EventKind::PodScheduled)
    );
    api.remove("pods", NS, "web-1");
    assert_eq!(
        next_observed(&mut hub).unwrap().kind,
        MirrorKind::World(EventKind::PodDeleted)
    );
    thread.stop().unwrap();
}

#[test]
fn a_gone_watch_is_relisted_and_events_keep_flowing() {
    let api = StandIn::start();
    api.set_faults(Faults {
        gone_watches: 2,
        ..Faults::default()
    });
    let (mut hub, thread) = start(config(api.url()));
    let pod_lists = |l: &[Recorded]| {
        l.iter()
            .filter(|r| {
                r.path == format!("/api/v1/namespaces/{NS}/pods") && !r.query.contains_key("watch")
            })
            .count()
    };
    // Two 410s, shared by every watch (pods, nodes, and the owned Deployments and Jobs):
    // four first lists, then two relists.
    assert!(api.wait_for(WAIT, |l| {
        let lists = l
            .iter()
            .filter(|r| {
                r.method == "GET"
                    && !r.query.contains_key("watch")
                    && ["/pods", "/nodes", "/deployments", "/jobs"]
                        .iter()
                        .any(|p| r.path.ends_with(p))
            })
            .count();
        lists >= 6
    }));
    assert!(pod_lists(&api.log()) >= 1);
    api.put("pods", NS, pod("after-relist", "deployment-4"));
    let ev = next_observed(&mut hub).expect("event after relist");
    assert_eq!(ev.kind, MirrorKind::World(EventKind::PodCreated));
    thread.stop().unwrap();
}

#[test]
fn a_stalled_server_is_an_error_and_recovers() {
    let api = StandIn::start();
    api.set_faults(Faults {
        stall: true,
        ..Faults::default()
    });
    let mut c = config(api.url());
    c.request_timeout = Duration::from_millis(300);
    let (hub, thread) = start(c);
    assert!(wait_state(&hub, SyncState::Error));
    assert!(
        hub.status.last_error().contains("stalled"),
        "{}",
        hub.status.last_error()
    );
    api.set_faults(Faults::default());
    assert!(
        wait_state(&hub, SyncState::Synced),
        "{}",
        hub.status.last_error()
    );
    thread.stop().unwrap();
}

#[test]
fn a_refused_connection_is_an_error_retried_with_backoff() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (hub, thread) = start(config(format!("http://127.0.0.1:{port}")));
    assert!(wait_state(&hub, SyncState::Error));
    assert!(
        hub.status.last_error().contains("unreachable"),
        "{}",
        hub.status.last_error()
    );
    // It stops promptly when asked, even while backing off.
    let t = Instant::now();
    thread.stop().unwrap();
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(hub.status.state(), SyncState::Off);
}

#[test]
fn the_label_guard_refuses_foreign_objects() {
    let api = StandIn::start();
    api.put(
        "deployments",
        NS,
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "deployment-7", "namespace": NS, "labels": {"app": "theirs"}},
        "spec": {"replicas": 1}}),
    );
    let (mut hub, thread) = start(config(api.url()));
    hub.publish(&[dep(7, 3), dep(8, 1)]);
    assert!(api.wait_for(WAIT, |l| !applies(l, "deployment-8").is_empty()));
    assert!(wait_state(&hub, SyncState::Degraded));
    assert!(hub
        .status
        .last_error()
        .contains("refusing to modify Deployment/deployment-7"));
    assert!(hub.status.refused() >= 1);
    // Removing it from the patch does not delete it either.
    hub.publish(&[None, dep(8, 1)]);
    std::thread::sleep(Duration::from_millis(500));
    let log = api.log();
    assert!(applies(&log, "deployment-7").is_empty());
    assert!(!log.iter().any(|r| r.method == "DELETE"));
    assert_eq!(
        api.object("deployments", NS, "deployment-7").unwrap()["spec"]["replicas"],
        1
    );
    thread.stop().unwrap();
}

#[test]
fn toggle_off_leaves_objects_by_default_and_deletes_them_when_asked() {
    for delete in [false, true] {
        let api = StandIn::start();
        let mut c = config(api.url());
        c.delete_on_stop = delete;
        let (mut hub, thread) = start(c);
        hub.publish(&[dep(5, 1)]);
        assert!(api.wait_for(WAIT, |l| !applies(l, "deployment-5").is_empty()));
        thread.stop().unwrap();
        assert_eq!(
            api.object("deployments", NS, "deployment-5").is_none(),
            delete
        );
    }
}

#[test]
fn mirror_only_writes_nothing() {
    let api = StandIn::start();
    api.put(
        "namespaces",
        "",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}),
    );
    let mut c = config(api.url());
    c.mirror_only = true;
    let (mut hub, thread) = start(c);
    hub.publish(&[dep(1, 3)]);
    assert!(wait_state(&hub, SyncState::Synced));
    std::thread::sleep(Duration::from_millis(300));
    assert!(api.log().iter().all(|r| r.method == "GET"));
    thread.stop().unwrap();
}

#[test]
fn an_unresolvable_server_name_is_an_error_retried_with_backoff() {
    // `.invalid` never resolves (RFC 2606): a DNS failure, whatever resolver the host has.
    let mut c = config("http://kuberack-api.invalid:6443".to_owned());
    c.request_timeout = Duration::from_millis(500);
    let (hub, thread) = start(c);
    assert!(wait_state(&hub, SyncState::Error));
    let err = hub.status.last_error();
    assert!(
        err.contains("unreachable") || err.contains("stalled"),
        "{err}"
    );
    let t = Instant::now();
    thread.stop().unwrap();
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(hub.status.state(), SyncState::Off);
}

fn node(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Node",
           "metadata": {"name": name, "labels": labels},
           "spec": {},
           "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
}

fn unschedulable(api: &StandIn, name: &str) -> Value {
    api.object("nodes", "", name).unwrap()["spec"]["unschedulable"].clone()
}

fn node_patches(log: &[Recorded], name: &str) -> usize {
    let path = format!("/api/v1/nodes/{name}");
    log.iter()
        .filter(|r| r.method == "PATCH" && r.path == path)
        .count()
}

#[test]
fn sync_cordon_patches_only_the_modules_labelled_nodes() {
    let api = StandIn::start();
    let managed = "app.kubernetes.io/managed-by";
    api.put(
        "nodes",
        "",
        node(
            "n1",
            json!({managed: "kuberack", "kuberack.io/module": "node-7"}),
        ),
    );
    // The module's tag without the managed-by label, and another module's node.
    api.put(
        "nodes",
        "",
        node("n2", json!({"kuberack.io/module": "node-7"})),
    );
    api.put(
        "nodes",
        "",
        node(
            "n3",
            json!({managed: "kuberack", "kuberack.io/module": "node-8"}),
        ),
    );
    let (mut hub, thread) = start(config(api.url()));
    hub.publish(&[Some(DesiredObject::node(7, true))]);
    assert!(api.wait_for(WAIT, |l| node_patches(l, "n1") == 1));
    assert_eq!(unschedulable(&api, "n1"), true);
    let log = api.log();
    let patch = log
        .iter()
        .find(|r| r.method == "PATCH" && r.path == "/api/v1/nodes/n1")
        .unwrap();
    assert_eq!(patch.content_type, "application/merge-patch+json");
    assert_eq!(body(patch), json!({"spec": {"unschedulable": true}}));
    assert_eq!(
        patch.query.get("fieldManager").map(String::as_str),
        Some("kuberack")
    );
    // The labels and status survive; the other nodes were never written.
    assert_eq!(
        api.object("nodes", "", "n1").unwrap()["metadata"]["labels"][managed],
        "kuberack"
    );
    assert_eq!(node_patches(&log, "n2") + node_patches(&log, "n3"), 0);
    assert!(unschedulable(&api, "n2").is_null());

    hub.publish(&[Some(DesiredObject::node(7, false))]);
    assert!(api.wait_for(WAIT, |l| node_patches(l, "n1") == 2));
    assert_eq!(unschedulable(&api, "n1"), false);
    // Turning the setting off (no desired object) leaves the nodes as they are.
    std::thread::sleep(Duration::from_millis(250));
    hub.publish(&[None]);
    std::thread::sleep(Duration::from_millis(500));
    let log = api.log();
    assert_eq!(node_patches(&log, "n1"), 2);
    assert!(!log.iter().any(|r| r.method == "DELETE"));
    thread.stop().unwrap();
}

#[test]
fn real_nodes_and_requested_cpu_are_summarised_for_the_hub() {
    let api = StandIn::start();
    let mut n1 = node("n1", json!({}));
    n1["status"]["allocatable"] = json!({"cpu": "4", "memory": "8Gi"});
    let mut n2 = node("n2", json!({}));
    n2["status"] = json!({"allocatable": {"cpu": "3500m"},
                          "conditions": [{"type": "Ready", "status": "False"}]});
    api.put("nodes", "", n1);
    api.put("nodes", "", n2);
    let requesting = |name: &str, node: Option<&str>, phase: &str| {
        let mut p = pod(name, "deployment-1");
        p["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": "250m"}});
        if let Some(n) = node {
            p["spec"]["nodeName"] = json!(n);
        }
        p["status"]["phase"] = json!(phase);
        p
    };
    api.put("pods", NS, requesting("bound", Some("n1"), "Running"));
    api.put("pods", NS, requesting("pending", None, "Pending"));
    api.put("pods", NS, requesting("done", Some("n2"), "Succeeded"));
    let (hub, thread) = start(config(api.url()));
    let deadline = Instant::now() + WAIT;
    while hub.status.real().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let real = hub.status.real().expect("the cluster was listed");
    assert_eq!((real.nodes, real.ready_nodes), (2, 1));
    assert_eq!(real.cpu_allocatable_m, 7500);
    assert_eq!(
        real.cpu_requested_m, 250,
        "only bound, unfinished pods hold CPU"
    );
    // A second pod is bound: the summary follows the watch.
    api.put("pods", NS, requesting("pending", Some("n2"), "Running"));
    let deadline = Instant::now() + WAIT;
    while hub.status.real().map(|r| r.cpu_requested_m) != Some(500) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(hub.status.real().unwrap().cpu_requested_m, 500);
    thread.stop().unwrap();
    assert_eq!(hub.status.real(), None, "forgotten when sync stops");
}

fn job_spec(queue: u64) -> DesiredJob {
    DesiredJob {
        parallelism: 2,
        completions: 3,
        duration_ms: 1500,
        backoff_limit: 1,
        deadline_s: 0,
        on_failure: false,
        fails: false,
        queue,
        priority_class: 0,
    }
}

fn submit(hub: &mut HubEnd, module: u64, n: u32, queue: u64) {
    let job = DesiredObject::job(module, n, 200, 32, job_spec(queue));
    assert!(hub.push(Change::Apply(job)));
}

fn job_path(name: &str) -> String {
    format!("/apis/batch/v1/namespaces/{NS}/jobs/{name}")
}

fn requests<'a>(log: &'a [Recorded], method: &str, path: &str) -> Vec<&'a Recorded> {
    log.iter()
        .filter(|r| r.method == method && r.path == path)
        .collect()
}

#[test]
fn job_submissions_become_suspended_jobs_for_kueue() {
    let api = StandIn::start();
    api.set_faults(Faults {
        kueue: true,
        ..Faults::default()
    });
    let (mut hub, thread) = start(config(api.url()));
    assert!(wait_state(&hub, SyncState::Synced));
    submit(&mut hub, 4, 1, 9);
    submit(&mut hub, 4, 2, 0);
    assert!(
        api.wait_for(WAIT, |l| !requests(l, "PATCH", &job_path("job-4-2"))
            .is_empty())
    );
    let log = api.log();
    let apply = requests(&log, "PATCH", &job_path("job-4-1"))[0];
    assert_eq!(apply.content_type, "application/apply-patch+yaml");
    assert_eq!(
        apply.query.get("fieldManager").map(String::as_str),
        Some("kuberack")
    );
    let queued = api.object("jobs", NS, "job-4-1").unwrap();
    assert_eq!(queued["spec"]["suspend"], true, "Kueue unsuspends it");
    assert_eq!(
        queued["metadata"]["labels"]["kueue.x-k8s.io/queue-name"],
        "clusterqueue-9"
    );
    assert_eq!(queued["metadata"]["labels"]["kuberack.io/module"], "job-4");
    assert_eq!(queued["spec"]["parallelism"], 2);
    assert_eq!(queued["spec"]["completions"], 3);
    // A Job without a queue starts at once.
    let plain = api.object("jobs", NS, "job-4-2").unwrap();
    assert_eq!(plain["spec"]["suspend"], false);
    assert!(plain["metadata"]["labels"]["kueue.x-k8s.io/queue-name"].is_null());
    // Each submission is created once, whatever the write cap.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(requests(&api.log(), "PATCH", &job_path("job-4-1")).len(), 1);
    assert!(wait_state(&hub, SyncState::Synced));
    thread.stop().unwrap();
}

#[test]
fn without_kueue_queued_jobs_run_at_once_and_the_light_says_so() {
    let api = StandIn::start();
    let (mut hub, thread) = start(config(api.url()));
    assert!(wait_state(&hub, SyncState::Synced));
    submit(&mut hub, 4, 1, 9);
    assert!(
        api.wait_for(WAIT, |l| !requests(l, "PATCH", &job_path("job-4-1"))
            .is_empty())
    );
    let job = api.object("jobs", NS, "job-4-1").unwrap();
    assert_eq!(job["spec"]["suspend"], false, "nothing would unsuspend it");
    assert_eq!(
        job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"],
        "clusterqueue-9"
    );
    assert!(wait_state(&hub, SyncState::Degraded));
    let err = hub.status.last_error();
    assert!(err.contains("Kueue") && err.contains("not found"), "{err}");
    thread.stop().unwrap();
}

fn job_object(name: &str, labels: Value, finished: bool) -> Value {
    let conditions = if finished {
        json!([{"type": "Complete", "status": "True"}])
    } else {
        json!([])
    };
    json!({"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": name, "namespace": NS, "labels": labels},
           "spec": {"completions": 1},
           "status": {"conditions": conditions}})
}

#[test]
fn jobs_of_the_same_name_are_replaced_when_finished_kept_when_running_refused_when_foreign() {
    let api = StandIn::start();
    let ours = json!({"app.kubernetes.io/managed-by": "kuberack", "kuberack.io/module": "job-4"});
    api.put("jobs", NS, job_object("job-4-1", ours.clone(), true));
    api.put("jobs", NS, job_object("job-4-2", ours, false));
    api.put(
        "jobs",
        NS,
        job_object("job-4-3", json!({"app": "theirs"}), true),
    );
    let (mut hub, thread) = start(config(api.url()));
    for n in 1..=3 {
        submit(&mut hub, 4, n, 0);
    }
    assert!(
        api.wait_for(WAIT, |l| !requests(l, "PATCH", &job_path("job-4-1"))
            .is_empty())
    );
    std::thread::sleep(Duration::from_millis(300));
    let log = api.log();
    // The finished one was deleted with its pods, then created anew.
    let delete = requests(&log, "DELETE", &job_path("job-4-1"));
    assert_eq!(delete.len(), 1);
    assert_eq!(body(delete[0])["propagationPolicy"], "Background");
    assert_eq!(
        api.object("jobs", NS, "job-4-1").unwrap()["spec"]["parallelism"],
        2
    );
    // The running one is left as it is, the foreign one never touched.
    for name in ["job-4-2", "job-4-3"] {
        assert!(
            requests(&log, "PATCH", &job_path(name)).is_empty(),
            "{name}"
        );
        assert!(
            requests(&log, "DELETE", &job_path(name)).is_empty(),
            "{name}"
        );
    }
    assert_eq!(hub.status.refused(), 1);
    assert!(hub
        .status
        .last_error()
        .contains("refusing to modify Job/job-4-3"));
    thread.stop().unwrap();
}

#[test]
fn a_job_module_leaving_deletes_its_jobs_and_toggle_off_deletes_when_asked() {
    for delete_on_stop in [false, true] {
        let api = StandIn::start();
        let mut c = config(api.url());
        c.delete_on_stop = delete_on_stop;
        let (mut hub, thread) = start(c);
        hub.publish(&[
            Some(DesiredObject::job_owner(4)),
            Some(DesiredObject::job_owner(5)),
        ]);
        submit(&mut hub, 4, 1, 0);
        submit(&mut hub, 4, 2, 0);
        submit(&mut hub, 5, 1, 0);
        assert!(
            api.wait_for(WAIT, |l| !requests(l, "PATCH", &job_path("job-5-1"))
                .is_empty())
        );
        // JOB 4 leaves the hub: its Jobs go, JOB 5's stay.
        hub.publish(&[None, Some(DesiredObject::job_owner(5))]);
        assert!(
            api.wait_for(WAIT, |l| requests(l, "DELETE", &job_path("job-4-2")).len()
                == 1)
        );
        assert!(api.object("jobs", NS, "job-4-1").is_none());
        assert!(api.object("jobs", NS, "job-5-1").is_some());
        thread.stop().unwrap();
        assert_eq!(api.object("jobs", NS, "job-5-1").is_none(), delete_on_stop);
    }
}

#[test]
fn job_creations_waiting_on_a_refusing_server_are_bounded_and_counted() {
    let api = StandIn::start();
    api.set_faults(Faults {
        deny: Some((403, "patch jobs".into())),
        ..Faults::default()
    });
    let mut c = slow_backoff(api.url());
    c.max_pending_jobs = 4;
    let (mut hub, thread) = start(c);
    assert!(wait_state(&hub, SyncState::Synced));
    for n in 1..=10 {
        submit(&mut hub, 4, n, 0);
    }
    let deadline = Instant::now() + WAIT;
    while hub.status.dropped_jobs() < 6 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(hub.status.dropped_jobs(), 6);
    // Rights granted: the four held creations land, none lost behind the first failure.
    api.set_faults(Faults::default());
    assert!(api.wait_for(WAIT, |l| {
        (1..=4).all(|n| {
            l.iter()
                .any(|r| r.method == "PATCH" && r.path == job_path(&format!("job-4-{n}")))
        })
    }));
    // The stand-in logs a request before it stores the object.
    let deadline = Instant::now() + WAIT;
    while api.object("jobs", NS, "job-4-4").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(api.object("jobs", NS, "job-4-4").is_some());
    thread.stop().unwrap();
}

#[test]
fn a_forge_job_names_its_essence_and_tier_class_for_kueue() {
    let api = StandIn::start();
    api.set_faults(Faults {
        kueue: true,
        ..Faults::default()
    });
    let (mut hub, thread) = start(config(api.url()));
    let mut spec = job_spec(9);
    spec.priority_class = 2;
    let obj = DesiredObject::forge_job(6, 3, 1, 500, 64, spec);
    assert!(hub.push(Change::Apply(obj)));
    let name = "enchantment-6-3-frost";
    assert!(api.wait_for(WAIT, |l| !requests(l, "PATCH", &job_path(name)).is_empty()));
    let job = api.object("jobs", NS, name).unwrap();
    let labels = &job["metadata"]["labels"];
    assert_eq!(labels["kuberack.io/module"], "enchantment-6");
    assert_eq!(labels["kueue.x-k8s.io/queue-name"], "clusterqueue-9");
    assert_eq!(labels["kueue.x-k8s.io/priority-class"], "rare");
    assert_eq!(job["spec"]["suspend"], true);
    // The ENCHANTMENT leaves: its forge Jobs go with it.
    hub.publish(&[Some(DesiredObject::job_owner_of(
        ObjectKind::Enchantment,
        6,
    ))]);
    hub.publish(&[None]);
    assert!(api.wait_for(WAIT, |l| requests(l, "DELETE", &job_path(name)).len() == 1));
    thread.stop().unwrap();
}

fn cluster_queue(module: u64, cohort: u64) -> Option<DesiredObject> {
    let q = DesiredQueue {
        flavors: 4,
        mana: 6,
        borrow_pct: Some(50),
        lend_pct: None,
        strict_fifo: false,
        within: 1,
        reclaim: 0,
        cohort,
        weight_milli: 2000,
    };
    Some(DesiredObject::cluster_queue(module, 8000, 4096, q))
}

const KUEUE: &str = "/apis/kueue.x-k8s.io/v1beta1";

#[test]
fn cluster_queues_write_their_kueue_objects_when_kueue_is_found() {
    let api = StandIn::start();
    api.set_faults(Faults {
        kueue: true,
        ..Faults::default()
    });
    // A ResourceFlavor someone else made: used as it is, never modified.
    api.put(
        "resourceflavors",
        "",
        json!({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ResourceFlavor",
               "metadata": {"name": "frost"}, "spec": {"nodeLabels": {"pool": "cold"}}}),
    );
    let (mut hub, thread) = start(config(api.url()));
    hub.publish(&[cluster_queue(7, 0), cluster_queue(8, 7)]);
    let lq = |n| format!("{KUEUE}/namespaces/{NS}/localqueues/clusterqueue-{n}");
    assert!(api.wait_for(WAIT, |l| !requests(l, "PATCH", &lq(8)).is_empty()));
    let cq = api.object("clusterqueues", "", "clusterqueue-8").unwrap();
    assert_eq!(cq["spec"]["cohort"], "clusterqueue-7");
    assert_eq!(cq["spec"]["fairSharing"]["weight"], "2");
    assert_eq!(
        cq["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "kuberack"
    );
    let cpu = &cq["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0];
    assert_eq!(
        (&cpu["nominalQuota"], &cpu["borrowingLimit"]),
        (&json!("8000m"), &json!("4000m"))
    );
    let alone = api.object("clusterqueues", "", "clusterqueue-7").unwrap();
    assert!(alone["spec"].get("cohort").is_none());
    let local = api.object("localqueues", NS, "clusterqueue-8").unwrap();
    assert_eq!(local["spec"]["clusterQueue"], "clusterqueue-8");
    // The flavors and the tier classes, written once each.
    let log = api.log();
    assert_eq!(
        api.object("resourceflavors", "", "fire").unwrap()["spec"]["nodeLabels"]["energy"],
        "fire"
    );
    assert_eq!(
        requests(&log, "PATCH", &format!("{KUEUE}/resourceflavors/fire")).len(),
        1
    );
    assert!(requests(&log, "PATCH", &format!("{KUEUE}/resourceflavors/frost")).is_empty());
    assert_eq!(
        api.object("resourceflavors", "", "frost").unwrap()["spec"]["nodeLabels"]["pool"],
        "cold"
    );
    for tier in ["common", "rare", "epic", "legendary"] {
        let path = format!("{KUEUE}/workloadpriorityclasses/{tier}");
        assert_eq!(requests(&log, "PATCH", &path).len(), 1, "{tier}");
    }
    assert_eq!(
        api.object("workloadpriorityclasses", "", "epic").unwrap()["value"],
        3
    );
    assert!(
        wait_state(&hub, SyncState::Synced),
        "{}",
        hub.status.last_error()
    );
    // The CLUSTERQUEUE leaves: its queues go, the shared flavors stay.
    hub.publish(&[cluster_queue(7, 0), None]);
    assert!(api.wait_for(WAIT, |l| !requests(
        l,
        "DELETE",
        &format!("{KUEUE}/clusterqueues/clusterqueue-8")
    )
    .is_empty()));
    assert!(api.object("localqueues", NS, "clusterqueue-8").is_none());
    assert!(api.object("clusterqueues", "", "clusterqueue-7").is_some());
    assert!(api.object("resourceflavors", "", "fire").is_some());
    thread.stop().unwrap();
}

#[test]
fn kueue_objects_are_guarded_absent_without_kueue_and_deleted_on_toggle_off() {
    // Without Kueue: nothing of Kueue is written, and the light says why.
    let api = StandIn::start();
    let (mut hub, thread) = start(config(api.url()));
    hub.publish(&[cluster_queue(7, 0)]);
    assert!(wait_state(&hub, SyncState::Degraded));
    assert!(hub
        .status
        .last_error()
        .contains("ClusterQueue clusterqueue-7 is not written"));
    assert!(!api.log().iter().any(|r| r.path.starts_with(KUEUE)));
    thread.stop().unwrap();

    // With Kueue: a foreign ClusterQueue of that name is refused; toggle-off deletes ours.
    let api = StandIn::start();
    api.set_faults(Faults {
        kueue: true,
        ..Faults::default()
    });
    api.put(
        "clusterqueues",
        "",
        json!({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ClusterQueue",
               "metadata": {"name": "clusterqueue-9"}, "spec": {}}),
    );
    let mut c = config(api.url());
    c.delete_on_stop = true;
    let (mut hub, thread) = start(c);
    hub.publish(&[cluster_queue(7, 0), cluster_queue(9, 0)]);
    assert!(wait_state(&hub, SyncState::Degraded));
    assert!(hub
        .status
        .last_error()
        .contains("refusing to modify ClusterQueue/clusterqueue-9"));
    assert!(api.object("localqueues", NS, "clusterqueue-7").is_some());
    assert_eq!(
        api.object("clusterqueues", "", "clusterqueue-9").unwrap()["spec"],
        json!({})
    );
    thread.stop().unwrap();
    for (resource, ns, name) in [
        ("clusterqueues", "", "clusterqueue-7"),
        ("localqueues", NS, "clusterqueue-7"),
        ("resourceflavors", "", "fire"),
        ("workloadpriorityclasses", "", "common"),
    ] {
        assert!(
            api.object(resource, ns, name).is_none(),
            "{resource}/{name} left"
        );
    }
    assert!(api.object("clusterqueues", "", "clusterqueue-9").is_some());
}

fn workload(name: &str, job: &str, conditions: &[&str]) -> Value {
    let conditions: Vec<Value> = conditions
        .iter()
        .map(|t| json!({"type": t, "status": "True", "reason": "Test"}))
        .collect();
    json!({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "Workload",
           "metadata": {"name": name, "namespace": NS, "ownerReferences": [
               {"apiVersion": "batch/v1", "kind": "Job", "name": job, "uid": "u"}]},
           "spec": {"queueName": "clusterqueue-9"},
           "status": {"conditions": conditions}})
}

#[test]
fn workload_transitions_reach_the_hub_with_their_job_and_queue() {
    let api = StandIn::start();
    api.set_faults(Faults {
        kueue: true,
        ..Faults::default()
    });
    // Admitted before sync started: learnt, not heard.
    api.put(
        "workloads",
        NS,
        workload("job-job-4-1-a", "job-4-1", &["QuotaReserved", "Admitted"]),
    );
    let (mut hub, thread) = start(config(api.url()));
    assert!(api.wait_for(WAIT, |l| l
        .iter()
        .any(|r| r.path.ends_with("/workloads") && r.query.contains_key("watch"))));
    api.put("workloads", NS, workload("job-job-4-2-b", "job-4-2", &[]));
    api.put(
        "workloads",
        NS,
        workload("job-job-4-2-b", "job-4-2", &["QuotaReserved", "Admitted"]),
    );
    api.put(
        "workloads",
        NS,
        workload("job-job-4-2-b", "job-4-2", &["Evicted", "Preempted"]),
    );
    let mut heard = Vec::new();
    while heard.len() < 5 {
        let Some(o) = next_observed(&mut hub) else {
            break;
        };
        assert_eq!((o.module, o.queue), (4, 9), "{o:?}");
        heard.push(o.kind);
    }
    use EventKind::*;
    let want = [
        WorkloadCreated,
        QuotaReserved,
        WorkloadAdmitted,
        WorkloadPreempted,
        WorkloadEvicted,
    ];
    assert_eq!(heard, want.map(MirrorKind::World));
    thread.stop().unwrap();
}

#[test]
fn workloads_are_not_watched_without_kueue() {
    let api = StandIn::start();
    let (hub, thread) = start(config(api.url()));
    assert!(wait_state(&hub, SyncState::Synced));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!api.log().iter().any(|r| r.path.contains("kueue.x-k8s.io")));
    thread.stop().unwrap();
}

#[test]
fn real_nodes_labelled_for_a_node_module_are_its_pool() {
    let api = StandIn::start();
    for (name, module) in [("w2", "node-7"), ("w1", "node-7"), ("x", "node-8")] {
        let mut n = node(name, json!({"kuberack.io/module": module}));
        n["status"]["allocatable"] = json!({"cpu": "2"});
        api.put("nodes", "", n);
    }
    api.put("nodes", "", node("unlabelled", json!({})));
    let mut p = pod("busy", "deployment-1");
    p["spec"]["nodeName"] = json!("w2");
    p["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": "500m"}});
    p["status"]["phase"] = json!("Running");
    api.put("pods", NS, p);
    let (hub, thread) = start(config(api.url()));
    let deadline = Instant::now() + WAIT;
    while hub.status.real_pool(7).is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let pool = hub.status.real_pool(7).expect("NODE 7's real pool");
    assert_eq!((pool.nodes, pool.ready, pool.cordoned), (2, 2, 0));
    // Channels follow the nodes' names: w1 idle, w2 a quarter busy.
    assert_eq!(&pool.utilisation[..2], &[0.0, 0.25]);
    assert_eq!(hub.status.real_pool(8).unwrap().nodes, 1);
    assert!(hub.status.real_pool(9).is_none());
    thread.stop().unwrap();
    assert!(
        hub.status.real_pool(7).is_none(),
        "forgotten when sync stops"
    );
}

#[test]
fn a_label_selector_scopes_the_pods_watched() {
    let api = StandIn::start();
    let labelled = |name: &str, app: &str| {
        let mut p = pod(name, "deployment-1");
        p["metadata"]["labels"]["app"] = json!(app);
        p
    };
    let mut c = config(api.url());
    c.label_selector = Some("app=web".to_owned());
    let (mut hub, thread) = start(c);
    assert!(wait_state(&hub, SyncState::Synced));
    assert!(
        api.wait_for(WAIT, |l| l.iter().any(|r| r.path.ends_with("/pods")
            && r.query.get("labelSelector").map(String::as_str)
                == Some("app=web")))
    );
    api.put("pods", NS, labelled("db-1", "db"));
    api.put("pods", NS, labelled("web-1", "web"));
    let ev = next_observed(&mut hub).expect("the web pod's event");
    assert_eq!(ev.kind, MirrorKind::World(EventKind::PodCreated));
    std::thread::sleep(Duration::from_millis(300));
    assert!(hub.pop_observed().is_none(), "the db pod is out of scope");
    thread.stop().unwrap();
}

#[test]
fn the_real_cluster_is_summarised_on_the_hubs_channels() {
    let api = StandIn::start();
    for (name, cpu) in [("n1", "2"), ("n2", "2")] {
        let mut n = node(name, json!({}));
        n["status"]["allocatable"] = json!({"cpu": cpu});
        api.put("nodes", "", n);
    }
    let mut p = pod("busy", "deployment-1");
    p["spec"]["nodeName"] = json!("n2");
    p["spec"]["containers"][0]["resources"] = json!({"requests": {"cpu": "1"}});
    p["status"]["phase"] = json!("Running");
    api.put("pods", NS, p);
    let (hub, thread) = start(config(api.url()));
    let mut channels = [0.0; kuberack_core::live::SUMMARY_CHANNELS];
    let deadline = Instant::now() + WAIT;
    while hub.status.real_channels(&mut channels) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let n = hub.status.real_channels(&mut channels);
    assert_eq!(&channels[..n], &[0.25, 0.0, 0.5]);
    thread.stop().unwrap();
    assert_eq!(hub.status.real_channels(&mut channels), 0);
}

/// Drift: a Deployment scaled by someone else, then one deleted, is written again from the
/// rack's desired state, and each correction is counted; the sync's own writes are not
/// drift.
#[test]
fn a_scaled_or_deleted_deployment_is_written_again() {
    let api = StandIn::start();
    let (mut hub, thread) = start(config(api.url()));
    hub.publish(&[dep(1, 3)]);
    let replicas = |api: &StandIn| {
        api.object("deployments", NS, "deployment-1")
            .and_then(|d| d["spec"]["replicas"].as_u64())
    };
    let wait_replicas = |n: u64| {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if replicas(&api) == Some(n) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    };
    assert!(wait_replicas(3));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        hub.status.drift_corrections(),
        0,
        "its own write is no drift"
    );
    let mut scaled = api.object("deployments", NS, "deployment-1").unwrap();
    scaled["spec"]["replicas"] = json!(9);
    api.put("deployments", NS, scaled);
    assert!(wait_replicas(3), "the scale was not undone");
    api.remove("deployments", NS, "deployment-1");
    assert!(wait_replicas(3), "the deletion was not undone");
    assert_eq!(hub.status.drift_corrections(), 2);
    thread.stop().unwrap();
}
