//! The CLUSTER hub's side of live-cluster sync, with the test standing in for the sync
//! thread at the other end of the queues: the SYNC switch and gate, the desired state the
//! hub hands over, the real events it hears, its status lights and its saved settings.

mod rig;

use kuberack_core::live::{
    Change, DesiredObject, LiveLink, MirrorKind, ObjectKind, Observed, RealPool, RealSummary,
    SyncEnd, SyncSettings, SyncState,
};
use kuberack_core::modules::cluster::JOBS_PER_MODULE;
use kuberack_core::world::events::EventKind;
use kuberack_core::world::terms::table;
use rig::Rig;
use std::sync::Arc;

fn link(rig: &Rig, hub: usize) -> Arc<LiveLink> {
    rig.modules[hub]
        .module
        .live()
        .expect("a hub has a sync link")
}

/// Takes the hub's sync end (standing in for the sync thread) and turns SYNC on.
fn sync_on(rig: &mut Rig, hub: usize) -> SyncEnd {
    let end = link(rig, hub).take_sync_end().expect("the sync end");
    rig.param(hub, "SYNC", 1.0);
    end
}

fn drain(end: &mut SyncEnd) -> Vec<Change> {
    std::iter::from_fn(|| end.pop_desired()).collect()
}

fn applied_replicas(changes: &[Change], module: u64) -> Option<u32> {
    changes.iter().rev().find_map(|c| match c {
        Change::Apply(o) if o.key.module == module => Some(o.replicas),
        _ => None,
    })
}

#[test]
fn members_and_plain_modules_have_no_link() {
    let (rig, hub, node, dep) = Rig::basic();
    assert!(rig.modules[hub].module.live().is_some());
    assert!(rig.modules[node].module.live().is_none());
    assert!(rig.modules[dep].module.live().is_none());
}

#[test]
fn the_switch_or_the_gate_asks_for_sync() {
    let (mut rig, hub, _, _) = Rig::basic();
    let status = link(&rig, hub).status.clone();
    rig.run(0.01);
    assert!(!status.wanted());
    rig.param(hub, "SYNC", 1.0);
    rig.run(0.001);
    assert!(status.wanted());
    rig.param(hub, "SYNC", 0.0);
    rig.run(0.001);
    assert!(!status.wanted());
    // The gate, with Rack's Schmitt thresholds.
    rig.drive(hub, "SYNC", 0.5);
    rig.run(0.001);
    assert!(!status.wanted(), "0.5 V is not high");
    rig.drive(hub, "SYNC", 5.0);
    rig.run(0.001);
    assert!(status.wanted());
    rig.drive(hub, "SYNC", 0.5);
    rig.run(0.001);
    assert!(status.wanted(), "still high above 0.1 V");
    rig.drive(hub, "SYNC", 0.0);
    rig.run(0.001);
    assert!(!status.wanted());
    // Absurd voltages are safe.
    rig.drive(hub, "SYNC", f32::NAN);
    rig.run(0.001);
    assert!(!status.wanted());
}

#[test]
fn deployments_with_an_id_are_handed_over_and_follow_the_knob() {
    let (mut rig, hub, _, dep) = Rig::basic();
    let other = rig.add("Deployment");
    let unjoined = rig.add("Deployment");
    rig.connect(hub, "API", other, "API");
    rig.modules[dep].module.set_rack_id(101);
    rig.modules[unjoined].module.set_rack_id(103);
    // `other` has no host id: it has no stable name, so it is not synced.
    let link = link(&rig, hub);
    let mut end = link.take_sync_end().expect("the sync end");
    rig.param(dep, "REPLICAS", 3.0);
    rig.param(dep, "CPU", 25.0); // units of 10 millicores
    rig.run(0.05);
    assert!(
        drain(&mut end).is_empty(),
        "nothing is handed over while SYNC is off"
    );

    rig.param(hub, "SYNC", 1.0);
    rig.run(0.05);
    let changes = drain(&mut end);
    assert_eq!(changes.len(), 1, "{changes:?}");
    let Change::Apply(obj) = changes[0] else {
        panic!("{changes:?}")
    };
    assert_eq!(
        (obj.key.kind, obj.key.module),
        (ObjectKind::Deployment, 101)
    );
    assert_eq!((obj.replicas, obj.cpu_millis), (3, 250));
    // Unchanged state is not sent again.
    rig.run(0.05);
    assert!(drain(&mut end).is_empty());
    // The knob turns: the new value goes out.
    rig.param(dep, "REPLICAS", 7.0);
    rig.run(0.05);
    assert_eq!(applied_replicas(&drain(&mut end), 101), Some(7));
    // Unplugging the cable removes the object from the desired state.
    rig.disconnect(dep, "API");
    rig.run(0.05);
    let changes = drain(&mut end);
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::Remove(k) if k.module == 101)),
        "{changes:?}"
    );
    // A new sync session gets the whole desired state again.
    rig.connect(hub, "API", dep, "API");
    rig.run(0.05);
    drain(&mut end);
    link.status.begin_session();
    rig.run(0.05);
    assert_eq!(applied_replicas(&drain(&mut end), 101), Some(7));
}

/// The changes about NODEs' real nodes.
fn node_changes(changes: &[Change]) -> Vec<Change> {
    changes
        .iter()
        .copied()
        .filter(|c| match c {
            Change::Apply(o) => o.key.kind == ObjectKind::Node,
            Change::Remove(k) => k.kind == ObjectKind::Node,
        })
        .collect()
}

#[test]
fn a_node_drives_real_cordons_only_with_sync_cordon_on() {
    let (mut rig, hub, node, _) = Rig::basic();
    rig.modules[node].module.set_rack_id(201);
    let link = link(&rig, hub);
    let mut end = link.take_sync_end().expect("the sync end");
    let cordons = node_changes;
    rig.param(hub, "SYNC", 1.0);
    rig.param(node, "CORDON", 1.0);
    rig.run(0.05);
    assert!(
        cordons(&drain(&mut end)).is_empty(),
        "the setting is off by default"
    );
    rig.modules[node]
        .module
        .load(&serde_json::json!({"sync": {"cordon": true}}))
        .unwrap();
    rig.run(0.05);
    assert_eq!(
        cordons(&drain(&mut end)),
        vec![Change::Apply(DesiredObject::node(201, true))]
    );
    // The CORDON gate uncordons as the switch does.
    rig.param(node, "CORDON", 0.0);
    rig.run(0.05);
    assert_eq!(
        cordons(&drain(&mut end)),
        vec![Change::Apply(DesiredObject::node(201, false))]
    );
    rig.drive(node, "CORDON", 10.0);
    rig.run(0.05);
    assert_eq!(
        cordons(&drain(&mut end)),
        vec![Change::Apply(DesiredObject::node(201, true))]
    );
    // Setting it off again takes the nodes out of the desired state.
    rig.modules[node]
        .module
        .load(&serde_json::json!({"sync": {"cordon": false}}))
        .unwrap();
    rig.run(0.05);
    assert_eq!(
        cordons(&drain(&mut end)),
        vec![Change::Remove(DesiredObject::node(201, true).key)]
    );
    // A bad value loads as the default, with an error saying so.
    let bad = rig.modules[node]
        .module
        .load(&serde_json::json!({"sync": {"cordon": "yes"}}));
    assert!(bad.is_err());
    assert_eq!(
        rig.modules[node].module.save()["sync"]["cordon"],
        serde_json::json!(false)
    );
}

#[test]
fn a_node_hands_over_its_pool_selector_without_driving_cordons() {
    let (mut rig, hub, node, _) = Rig::basic();
    rig.modules[node].module.set_rack_id(202);
    let link = link(&rig, hub);
    let mut end = link.take_sync_end().expect("the sync end");
    let nodes = |changes: Vec<Change>| node_changes(&changes);
    rig.param(hub, "SYNC", 1.0);
    rig.param(node, "CORDON", 1.0);
    rig.modules[node]
        .module
        .load(&serde_json::json!({"sync": {"poolSelector": "karpenter.sh/nodepool=gp"}}))
        .unwrap();
    rig.run(0.05);
    let changes = nodes(drain(&mut end));
    let [Change::Apply(obj)] = changes.as_slice() else {
        panic!("one NODE object, not {changes:?}");
    };
    assert!(
        !obj.sync_cordon && obj.node_terms.is_none() && !obj.cordoned,
        "no Sync cordon: no cordon"
    );
    let selector = table::pod_terms_text(obj.pool_selector).required;
    assert_eq!(selector.len(), 1);
    assert_eq!(selector[0].requirements[0].key, "karpenter.sh/nodepool");
    assert_eq!(
        rig.modules[node].module.save()["sync"]["poolSelector"],
        "karpenter.sh/nodepool=gp"
    );
    // With Sync cordon too, one object carries both.
    rig.modules[node]
        .module
        .load(&serde_json::json!({"sync": {"cordon": true, "poolSelector": "karpenter.sh/nodepool=gp"}}))
        .unwrap();
    rig.run(0.05);
    assert_eq!(
        nodes(drain(&mut end)),
        vec![Change::Apply(DesiredObject {
            pool_selector: obj.pool_selector,
            ..DesiredObject::node(202, true)
        })]
    );
    // A selector that does not parse is refused with the reason and kept as written, not in
    // force; the rest loads.
    let bad = rig.modules[node]
        .module
        .load(&serde_json::json!({"sync": {"cordon": true, "poolSelector": "a in ()"}}));
    assert!(bad.unwrap_err().0.contains("pool selector"));
    let saved = rig.modules[node].module.save();
    assert_eq!(
        saved["sync"],
        serde_json::json!({"cordon": true, "labels": false, "poolSelector": "a in ()"})
    );
    rig.run(0.05);
    assert_eq!(
        nodes(drain(&mut end)),
        vec![Change::Apply(DesiredObject::node(202, true))]
    );
}

#[test]
fn a_full_queue_coalesces_to_the_latest_value() {
    let (mut rig, hub, _, dep) = Rig::basic();
    rig.modules[dep].module.set_rack_id(7);
    let mut end = sync_on(&mut rig, hub);
    // Nobody drains for a long while: far more changes than the queue holds.
    for replicas in 0..3000 {
        rig.param(dep, "REPLICAS", (replicas % 30) as f32);
        for _ in 0..32 {
            rig.step();
        }
    }
    rig.param(dep, "REPLICAS", 31.0);
    rig.run(0.01);
    let first = drain(&mut end);
    assert!(first.len() <= kuberack_core::modules::cluster_sync::SYNC_QUEUE_CAPACITY);
    // Once there is room again, the latest value goes out.
    rig.run(0.01);
    assert_eq!(applied_replicas(&drain(&mut end), 7), Some(31));
}

#[test]
fn real_events_play_the_hubs_outputs_and_the_lights_show_the_state() {
    // A hub alone: nothing in its world binds or fails, so every BIND and FAIL trigger
    // below comes from the real cluster.
    let mut rig = Rig::new(48_000.0);
    let hub = rig.add("Cluster");
    let link = link(&rig, hub);
    let mut end = sync_on(&mut rig, hub);
    rig.run(0.5);
    let lights = |rig: &Rig| {
        ["SYNC_CONNECTING", "SYNCED", "SYNC_DEGRADED", "SYNC_ERROR"].map(|id| rig.light(hub, id))
    };
    assert_eq!(
        lights(&rig),
        [0.0; 4],
        "off until the thread says otherwise"
    );
    for (state, lit) in [
        (SyncState::Connecting, 0),
        (SyncState::Synced, 1),
        (SyncState::Degraded, 2),
        (SyncState::Error, 3),
    ] {
        link.status.set_state(state);
        rig.run(0.001);
        let mut want = [0.0; 4];
        want[lit] = 1.0;
        assert_eq!(lights(&rig), want, "{state:?}");
    }
    let count_triggers = |rig: &mut Rig, output: &str| {
        let mut rising = 0;
        let mut last = 0.0;
        rig.run_with(0.2, |r| {
            let v = r.out(hub, output, 0);
            if v > 5.0 && last <= 5.0 {
                rising += 1;
            }
            last = v;
        });
        rising
    };
    assert_eq!(count_triggers(&mut rig, "BIND"), 0);
    for kind in [
        EventKind::PodScheduled,
        EventKind::PodScheduled,
        EventKind::PodReady,
    ] {
        end.push_observed(Observed::of(MirrorKind::World(kind), 0));
    }
    assert_eq!(count_triggers(&mut rig, "BIND"), 2);
    end.push_observed(Observed::of(
        MirrorKind::World(EventKind::PodFailedScheduling),
        0,
    ));
    assert_eq!(count_triggers(&mut rig, "FAIL"), 1);
}

#[test]
fn the_real_clusters_requested_cpu_drives_util_while_synced() {
    // The basic rig's world runs a Deployment, so its own utilisation is not zero.
    let (mut rig, hub, _, _) = Rig::basic();
    let link = link(&rig, hub);
    rig.run(3.0);
    let simulated = rig.out(hub, "UTIL", 0);
    assert!(simulated > 0.0, "{simulated}");
    let real = RealSummary {
        nodes: 3,
        ready_nodes: 2,
        cpu_allocatable_m: 12_000,
        cpu_requested_m: 3_000,
    };
    link.status.set_real(Some(real));
    rig.run(0.01);
    assert_eq!(
        rig.out(hub, "UTIL", 0),
        simulated,
        "sync off: the simulation's"
    );
    rig.param(hub, "SYNC", 1.0);
    rig.run(0.01);
    assert!((rig.out(hub, "UTIL", 0) - 2.5).abs() < 1e-4);
    // More requested than allocatable (overcommitted by other namespaces) stays at 10 V.
    link.status.set_real(Some(RealSummary {
        cpu_requested_m: 50_000,
        ..real
    }));
    rig.run(0.01);
    assert_eq!(rig.out(hub, "UTIL", 0), 10.0);
    // Until the sync thread has listed the cluster, the simulation's.
    link.status.set_real(None);
    rig.run(0.01);
    assert!((rig.out(hub, "UTIL", 0) - 2.5).abs() > 1e-3);
}

#[test]
fn sync_settings_are_saved_without_secrets_and_bad_ones_load_as_defaults() {
    let (rig, hub, _, _) = Rig::basic();
    let link = link(&rig, hub);
    assert!(
        rig.modules[hub].module.save().get("sync").is_none(),
        "default settings are not written"
    );
    link.set_settings(SyncSettings {
        namespace: "team-a".into(),
        context: "kind-kind".into(),
        delete_on_stop: true,
        mirror_only: true,
        selector: "app=web".into(),
    });
    let saved = rig.modules[hub].module.save();
    assert_eq!(saved["sync"]["namespace"], "team-a");
    assert_eq!(saved["sync"]["context"], "kind-kind");
    let keys: Vec<&String> = saved["sync"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys.len(),
        5,
        "names, a selector and switches only: {keys:?}"
    );

    let (mut rig2, hub2, _, _) = Rig::basic();
    rig2.modules[hub2].module.load(&saved).unwrap();
    assert_eq!(link_settings(&rig2, hub2).namespace, "team-a");
    assert!(link_settings(&rig2, hub2).delete_on_stop);
    assert_eq!(link_settings(&rig2, hub2).selector, "app=web");

    let mut bad = saved.clone();
    bad["sync"]["namespace"] = "Not a namespace".into();
    assert!(rig2.modules[hub2].module.load(&bad).is_err());
    assert_eq!(link_settings(&rig2, hub2).namespace, "kuberack");
    assert_eq!(link_settings(&rig2, hub2).context, "kind-kind");

    bad["sync"] = 5.into();
    assert!(rig2.modules[hub2].module.load(&bad).is_err());
    assert_eq!(link_settings(&rig2, hub2), SyncSettings::default());
    // A patch saved before sync existed loads with the defaults.
    rig2.modules[hub2]
        .module
        .load(&serde_json::json!({"seed": 3}))
        .unwrap();
    assert_eq!(link_settings(&rig2, hub2), SyncSettings::default());
}

fn link_settings(rig: &Rig, hub: usize) -> SyncSettings {
    link(rig, hub).settings()
}

#[test]
fn each_job_submission_is_handed_over_once_with_its_queue() {
    let (mut rig, hub, _, _) = Rig::basic();
    let q = rig.add("ClusterQueue");
    let job = rig.add("Job");
    rig.connect(hub, "API", q, "API");
    rig.connect(hub, "API", job, "API");
    rig.connect(q, "QUEUE", job, "QUEUE");
    rig.param(job, "PARALLELISM", 3.0);
    rig.param(job, "COMPLETIONS", 6.0);
    rig.param(job, "DURATION", 2.5);
    rig.modules[q].module.set_rack_id(301);
    rig.modules[job].module.set_rack_id(302);
    let link = link(&rig, hub);
    let mut end = link.take_sync_end().expect("the sync end");
    let jobs = |changes: &[Change]| -> Vec<DesiredObject> {
        changes
            .iter()
            .filter_map(|c| match c {
                Change::Apply(o) if o.key.kind == ObjectKind::Job && o.key.index != 0 => Some(*o),
                _ => None,
            })
            .collect()
    };
    // A SUBMIT before the hub first saw the JOB creates nothing; while SYNC is off, nothing
    // reaches the cluster.
    rig.trigger(job, "SUBMIT");
    rig.param(hub, "SYNC", 1.0);
    rig.run(0.05);
    let changes = drain(&mut end);
    assert!(jobs(&changes).is_empty(), "{changes:?}");
    assert!(
        changes.contains(&Change::Apply(DesiredObject::job_owner(302))),
        "{changes:?}"
    );
    rig.trigger(job, "SUBMIT");
    rig.trigger(job, "SUBMIT");
    rig.run(0.05);
    let created = jobs(&drain(&mut end));
    let names: Vec<String> = created.iter().map(|o| o.key.name()).collect();
    // Named after the simulation's Jobs: the JOB's first and second.
    assert_eq!(names, ["job-302-1", "job-302-2"]);
    let spec = created[0].job;
    assert_eq!((spec.parallelism, spec.completions), (3, 6));
    assert_eq!(spec.duration_ms, 2500);
    assert_eq!(spec.queue, 301, "the CLUSTERQUEUE's module id");
    // Nothing is sent twice.
    rig.run(0.1);
    assert!(jobs(&drain(&mut end)).is_empty());
    // The JOB leaves: its Jobs are no longer desired.
    rig.disconnect(job, "API");
    rig.run(0.05);
    assert!(drain(&mut end).contains(&Change::Remove(DesiredObject::job_owner(302).key)));
}

/// The real cluster never holds more of a JOB's Jobs than the simulation: a SUBMIT the
/// simulation refuses (8 Jobs alive) sends nothing, and a Job the simulation removes (30 s
/// after it finished) is removed for real too.
#[test]
fn real_jobs_follow_the_simulation_s_cap_and_removals() {
    let (mut rig, hub, _, _) = Rig::basic();
    let job = rig.add("Job");
    rig.connect(hub, "API", job, "API");
    rig.param(job, "DURATION", 1.0);
    rig.modules[job].module.set_rack_id(77);
    let mut end = sync_on(&mut rig, hub);
    rig.run(0.05);
    drain(&mut end);
    for _ in 0..12 {
        rig.trigger(job, "SUBMIT");
        rig.run(0.02);
    }
    rig.run(0.2);
    let changes = drain(&mut end);
    let created: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Apply(o) if o.key.kind == ObjectKind::Job && o.key.index != 0 => {
                Some(o.key.name())
            }
            _ => None,
        })
        .collect();
    let expected: Vec<String> = (1..=JOBS_PER_MODULE)
        .map(|n| format!("job-77-{n}"))
        .collect();
    assert_eq!(
        created, expected,
        "one creation per simulated Job, 8 at most"
    );
    // Every Job finishes and 30 s later the simulation removes it: so does the sync.
    rig.run(90.0);
    let mut removed: Vec<String> = drain(&mut end)
        .iter()
        .filter_map(|c| match c {
            Change::Remove(k) if k.kind == ObjectKind::Job && k.index != 0 => Some(k.name()),
            _ => None,
        })
        .collect();
    removed.sort();
    assert_eq!(removed, expected);
}

#[test]
fn job_creations_wait_for_room_in_a_full_queue() {
    let (mut rig, hub, _, dep) = Rig::basic();
    let job = rig.add("Job");
    rig.connect(hub, "API", job, "API");
    rig.modules[dep].module.set_rack_id(4);
    rig.modules[job].module.set_rack_id(5);
    let mut end = sync_on(&mut rig, hub);
    // Nobody drains: a moving knob fills the queue.
    for replicas in 0..1200 {
        rig.param(dep, "REPLICAS", (replicas % 30) as f32);
        for _ in 0..32 {
            rig.step();
        }
    }
    for _ in 0..3 {
        rig.trigger(job, "SUBMIT");
    }
    let job_names = |changes: Vec<Change>| -> Vec<String> {
        changes
            .into_iter()
            .filter_map(|c| match c {
                Change::Apply(o) if o.key.kind == ObjectKind::Job && o.key.index != 0 => {
                    Some(o.key.name())
                }
                _ => None,
            })
            .collect()
    };
    let first = drain(&mut end);
    assert_eq!(
        first.len(),
        kuberack_core::modules::cluster_sync::SYNC_QUEUE_CAPACITY
    );
    assert!(job_names(first).is_empty(), "the queue was full");
    // Room again: every submission goes out, in order, none lost.
    rig.run(0.05);
    assert_eq!(
        job_names(drain(&mut end)),
        ["job-5-1", "job-5-2", "job-5-3"]
    );
}

#[test]
fn each_forge_hands_over_its_essence_jobs_with_queue_and_tier() {
    let (mut rig, hub, _, _) = Rig::basic();
    let q = rig.add("ClusterQueue");
    let forge = rig.add("Enchantment");
    rig.connect(hub, "API", q, "API");
    rig.connect(hub, "API", forge, "API");
    rig.connect(q, "QUEUE", forge, "QUEUE");
    rig.param(forge, "TIER", 4.0); // legendary
    rig.param(forge, "COST", 2.0);
    rig.modules[q].module.set_rack_id(401);
    rig.modules[forge].module.set_rack_id(402);
    let mut end = sync_on(&mut rig, hub);
    rig.run(0.05);
    let changes = drain(&mut end);
    let owner = DesiredObject::job_owner_of(ObjectKind::Enchantment, 402);
    assert!(changes.contains(&Change::Apply(owner)), "{changes:?}");
    rig.trigger(forge, "FORGE");
    rig.run(0.05);
    let jobs: Vec<DesiredObject> = drain(&mut end)
        .into_iter()
        .filter_map(|c| match c {
            Change::Apply(o) if o.key.is_one_job() => Some(o),
            _ => None,
        })
        .collect();
    // As many real Jobs as the simulated Enchantment has essence Jobs.
    let world = rig.hub_world(hub);
    let (_, e) = world.enchantments().next().expect("an Enchantment");
    let sim_jobs: Vec<_> = e.jobs.iter().filter_map(|j| world.job(j.id)).collect();
    assert!(!jobs.is_empty());
    assert_eq!(jobs.len(), sim_jobs.len(), "{jobs:?}");
    for (obj, sim) in jobs.iter().zip(&sim_jobs) {
        assert_eq!(obj.key.kind, ObjectKind::Enchantment);
        assert!(
            obj.key.name().starts_with("enchantment-402-1-"),
            "{}",
            obj.key.name()
        );
        assert_eq!(obj.job.queue, 401);
        assert_eq!(obj.job.priority_class, 4);
        assert_eq!(obj.cpu_millis, sim.spec.cpu_m);
        assert_eq!(
            f64::from(obj.job.duration_ms),
            (sim.spec.run_seconds * 1000.0).round()
        );
    }
    rig.run(0.1);
    assert!(drain(&mut end)
        .iter()
        .all(|c| !matches!(c, Change::Apply(o) if o.key.is_one_job())));
}

#[test]
fn cluster_queues_are_handed_over_with_their_cohort() {
    let (mut rig, hub, _, _) = Rig::basic();
    let q1 = rig.add("ClusterQueue");
    let q2 = rig.add("ClusterQueue");
    for q in [q1, q2] {
        rig.connect(hub, "API", q, "API");
    }
    rig.connect(q1, "COHORT", q2, "COHORT");
    rig.param(q2, "FLAVOR", 4.0);
    rig.param(q2, "MANA", 6.0);
    rig.param(q2, "PREEMPTION", 1.0);
    rig.modules[q1].module.set_rack_id(501);
    rig.modules[q2].module.set_rack_id(502);
    let mut end = sync_on(&mut rig, hub);
    rig.run(0.05);
    let queues: Vec<DesiredObject> = drain(&mut end)
        .into_iter()
        .filter_map(|c| match c {
            Change::Apply(o) if o.key.kind == ObjectKind::ClusterQueue => Some(o),
            _ => None,
        })
        .collect();
    assert_eq!(queues.len(), 2, "{queues:?}");
    let second = queues.iter().find(|o| o.key.module == 502).unwrap();
    assert_eq!(
        second.queue.cohort, 501,
        "the chain's first queue names the cohort"
    );
    assert_eq!(second.queue.flavors, 4);
    assert_eq!(second.queue.mana, 6);
    let first = queues.iter().find(|o| o.key.module == 501).unwrap();
    assert_eq!(first.queue.cohort, 501);
    // Its quota knob moves: the new quota goes out.
    rig.param(q1, "CPU", 3.0);
    rig.run(0.05);
    let changes = drain(&mut end);
    assert!(
        changes.iter().any(|c| matches!(c, Change::Apply(o)
            if o.key.module == 501 && o.cpu_millis == 3000)),
        "{changes:?}"
    );
}

/// A real Workload transition of the JOB or ENCHANTMENT `module` in CLUSTERQUEUE `queue`.
fn real_workload(kind: EventKind, module: u64, queue: u64) -> Observed {
    Observed {
        queue,
        ..Observed::of(MirrorKind::World(kind), module)
    }
}

/// Rising edges of each output over half a second.
fn rising_edges<const N: usize>(rig: &mut Rig, outs: &[(usize, &str); N]) -> [usize; N] {
    let mut counts = [0; N];
    let mut high = [false; N];
    rig.run_with(0.5, |r| {
        for (k, (m, id)) in outs.iter().enumerate() {
            let v = r.out(*m, id, 0) > 5.0;
            counts[k] += usize::from(v && !high[k]);
            high[k] = v;
        }
    });
    counts
}

#[test]
fn real_workload_admissions_and_preemptions_fire_the_job_and_queue_triggers() {
    let (mut rig, hub, _, _) = Rig::basic();
    let q = rig.add("ClusterQueue");
    let job = rig.add("Job");
    rig.connect(hub, "API", q, "API");
    rig.connect(hub, "API", job, "API");
    rig.connect(q, "QUEUE", job, "QUEUE");
    rig.modules[q].module.set_rack_id(601);
    rig.modules[job].module.set_rack_id(602);
    let mut end = sync_on(&mut rig, hub);
    rig.run(0.1);
    let workload = |kind| real_workload(kind, 602, 601);
    end.push_observed(workload(EventKind::WorkloadAdmitted));
    end.push_observed(workload(EventKind::QuotaReserved));
    end.push_observed(workload(EventKind::WorkloadAdmitted));
    end.push_observed(workload(EventKind::WorkloadPreempted));
    // Another hub's module id, and none: heard on ETCD only.
    end.push_observed(Observed {
        queue: 999,
        ..workload(EventKind::WorkloadAdmitted)
    });
    let outs = [
        (job, "ADMITTED"),
        (job, "PREEMPTED"),
        (q, "ADMIT"),
        (q, "PREEMPT"),
    ];
    // The JOB heard three admissions (the last one's queue is not here), the queue two.
    assert_eq!(rising_edges(&mut rig, &outs), [3, 1, 2, 1]);
    // Heard once: the counters do not grow by themselves afterwards.
    assert_eq!(rising_edges(&mut rig, &outs), [0, 0, 0, 0]);
}

#[test]
fn a_real_preemption_of_a_forge_job_fires_the_enchantments_requeued() {
    let (mut rig, hub, _, _) = Rig::basic();
    let forge = rig.add("Enchantment");
    rig.connect(hub, "API", forge, "API");
    rig.modules[forge].module.set_rack_id(611);
    let mut end = sync_on(&mut rig, hub);
    rig.run(0.1);
    let workload = |kind| real_workload(kind, 611, 0);
    end.push_observed(workload(EventKind::WorkloadAdmitted));
    end.push_observed(workload(EventKind::WorkloadPreempted));
    end.push_observed(workload(EventKind::WorkloadPreempted));
    let outs = [(forge, "REQUEUED"), (forge, "ENCHANTING")];
    // Two preemptions: Requeued twice; one admission alone is not Enchanting.
    assert_eq!(rising_edges(&mut rig, &outs), [2, 0]);
    assert_eq!(rising_edges(&mut rig, &outs), [0, 0]);
}

#[test]
fn a_node_shows_its_real_nodes_while_synced() {
    let (mut rig, hub, node, _) = Rig::basic();
    rig.param(node, "COUNT", 2.0);
    rig.modules[node].module.set_rack_id(701);
    let link = link(&rig, hub);
    rig.run(1.0);
    assert_eq!(rig.channels(node, "UTIL"), 2, "the simulated pool");
    let mut utilisation = [0.0; kuberack_core::live::REAL_POOL_NODES];
    utilisation[..3].copy_from_slice(&[0.25, 0.5, 1.0]);
    let pool = RealPool {
        module: 701,
        nodes: 3,
        ready: 2,
        cordoned: 1,
        utilisation,
    };
    let other = RealPool {
        module: 702,
        nodes: 9,
        ..pool
    };
    link.status.set_real_pools(&[other, pool]);
    link.status.set_real(Some(RealSummary::default()));
    rig.run(0.01);
    assert_eq!(rig.channels(node, "UTIL"), 2, "sync off: the simulation's");
    rig.param(hub, "SYNC", 1.0);
    rig.run(0.01);
    assert_eq!(rig.channels(node, "UTIL"), 3);
    let volts: Vec<f32> = (0..3).map(|ch| rig.out(node, "UTIL", ch)).collect();
    assert_eq!(volts, [2.5, 5.0, 10.0]);
    // Sync stops: the simulation's pool again.
    link.status.set_real(None);
    rig.run(0.01);
    assert_eq!(rig.channels(node, "UTIL"), 2);
}

#[test]
fn util_carries_the_real_clusters_summary_channels_while_synced() {
    let (mut rig, hub, _, _) = Rig::basic();
    let link = link(&rig, hub);
    rig.param(hub, "SYNC", 1.0);
    rig.run(0.1);
    assert_eq!(rig.channels(hub, "UTIL"), 1);
    link.status.set_real_channels(&[0.25, 0.0, 0.5, 2.0]);
    link.status.set_real(Some(RealSummary::default()));
    rig.run(0.01);
    assert_eq!(rig.channels(hub, "UTIL"), 4);
    let volts: Vec<f32> = (0..4).map(|ch| rig.out(hub, "UTIL", ch)).collect();
    assert_eq!(volts, [2.5, 0.0, 5.0, 10.0], "clamped to 10 V");
    // Sync off: mono again, the simulation's.
    rig.param(hub, "SYNC", 0.0);
    rig.run(0.01);
    assert_eq!(rig.channels(hub, "UTIL"), 1);
}
