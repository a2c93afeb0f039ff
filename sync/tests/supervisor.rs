//! Toggling SYNC: the supervisor starts the sync thread when the hub wants it and stops it
//! when not, never waiting for it — also when the API server (the in-process stand-in of
//! tests/standin) stalls — and a new session hands the whole desired state over again.

mod standin;

use kuberack_sync::{
    ClusterSource, DesiredObject, HubEnd, LiveLink, Supervisor, SyncConfig, SyncState,
};
use standin::{Faults, Recorded, StandIn};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

fn fast(c: &mut SyncConfig) {
    c.backoff_base = Duration::from_millis(100);
    c.backoff_cap = Duration::from_millis(400);
    c.request_timeout = Duration::from_millis(500);
}

fn desired(replicas: u32) -> [Option<DesiredObject>; 1] {
    [Some(DesiredObject::deployment(77, replicas, 100, 64))]
}

fn applies(log: &[Recorded]) -> usize {
    log.iter()
        .filter(|r| r.method == "PATCH" && r.path.ends_with("/deployments/deployment-77"))
        .count()
}

/// Polls like a UI thread at 100 Hz, publishing like the hub, until `done` or WAIT.
fn run_until(
    sup: &mut Supervisor,
    hub: &mut HubEnd,
    replicas: u32,
    done: impl Fn() -> bool,
) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        let t = Instant::now();
        sup.poll();
        assert!(
            t.elapsed() < Duration::from_millis(50),
            "poll waited {:?}",
            t.elapsed()
        );
        hub.publish(&desired(replicas));
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn setup(api: &StandIn) -> (Arc<LiveLink>, HubEnd, Supervisor) {
    let (link, hub) = LiveLink::new(64, 4);
    let sup = Supervisor::new(link.clone())
        .with_source(ClusterSource::Url(api.url()))
        .with_tuning(fast);
    (link, hub, sup)
}

#[test]
fn sync_follows_the_switch_and_a_new_session_resends_the_desired_state() {
    let api = StandIn::start();
    let (link, mut hub, mut sup) = setup(&api);
    for _ in 0..20 {
        sup.poll();
        hub.publish(&desired(2));
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        link.status.state(),
        SyncState::Off,
        "not wanted: nothing runs"
    );
    assert!(!sup.is_running());
    assert_eq!(api.log().len(), 0);

    link.status.set_wanted(true);
    assert!(run_until(&mut sup, &mut hub, 2, || applies(&api.log()) == 1));
    assert!(run_until(&mut sup, &mut hub, 2, || link.status.state()
        == SyncState::Synced));

    link.status.set_wanted(false);
    assert!(run_until(&mut sup, &mut hub, 2, || link.status.state()
        == SyncState::Off));
    assert!(!sup.is_running());
    let end = link.take_sync_end();
    assert!(end.is_some(), "the queue end came back");
    link.return_sync_end(end.unwrap());
}

#[test]
fn turning_sync_off_never_waits_for_a_stalled_server_and_on_again_resends() {
    let api = StandIn::start();
    let (link, mut hub, mut sup) = setup(&api);
    link.status.set_wanted(true);
    assert!(run_until(&mut sup, &mut hub, 3, || applies(&api.log()) == 1));
    // The server stalls; SYNC goes off: every poll returns at once (run_until checks).
    api.set_faults(Faults {
        stall: true,
        ..Faults::default()
    });
    link.status.set_wanted(false);
    assert!(run_until(&mut sup, &mut hub, 3, || link.status.state()
        == SyncState::Off));
    // Back on, the server healthy: a new session applies the unchanged desired state again.
    api.set_faults(Faults::default());
    link.status.set_wanted(true);
    assert!(run_until(&mut sup, &mut hub, 3, || applies(&api.log()) >= 2));
    sup.shutdown();
    assert_eq!(link.status.state(), SyncState::Off);
}

#[test]
fn the_hubs_settings_choose_namespace_and_mode() {
    let api = StandIn::start();
    let (link, mut hub, mut sup) = setup(&api);
    let mut settings = link.settings();
    settings.namespace = "team-b".into();
    settings.delete_on_stop = true;
    link.set_settings(settings);
    let config = sup.config();
    assert_eq!(config.namespace, "team-b");
    assert!(config.delete_on_stop && !config.mirror_only);
    link.status.set_wanted(true);
    assert!(run_until(&mut sup, &mut hub, 1, || api
        .object("deployments", "team-b", "deployment-77")
        .is_some()));
    sup.shutdown();
    assert!(
        api.object("deployments", "team-b", "deployment-77")
            .is_none(),
        "deleted on stop"
    );
    // Without a source, the kubeconfig's context comes from the settings.
    let mut s = link.settings();
    s.context = "kind-kind".into();
    link.set_settings(s);
    match Supervisor::new(link.clone()).config().source {
        ClusterSource::Kubeconfig { context, .. } => {
            assert_eq!(context.as_deref(), Some("kind-kind"))
        }
        other => panic!("{other:?}"),
    }
}
