//! The three modules working together through their slots, as a host drives them.

mod rig;

use kuberack_core::world::events::EventKind;
use rig::Rig;

#[test]
fn hub_node_and_deployment_bring_up_three_ready_pods() {
    let (mut rig, hub, node, dep) = Rig::basic();
    let mut binds = 0;
    let mut last_bind = 0.0;
    let mut created = 0;
    let mut last_created = 0.0;
    let mut ready_triggers = 0;
    let mut last_ready = 0.0;
    rig.run_with(10.0, |r| {
        let b = r.out(hub, "BIND", 0);
        binds += usize::from(b > 5.0 && last_bind < 5.0);
        last_bind = b;
        let c = r.out(dep, "CREATED", 0);
        created += usize::from(c > 5.0 && last_created < 5.0);
        last_created = c;
        let rt = r.out(dep, "BECAME_READY", 0);
        ready_triggers += usize::from(rt > 5.0 && last_ready < 5.0);
        last_ready = rt;
    });
    assert_eq!(binds, 3);
    assert_eq!(created, 3);
    assert_eq!(ready_triggers, 3);
    assert_eq!(rig.out(dep, "READY", 0), 3.0 / 12.0);
    assert_eq!(rig.channels(dep, "GATES"), 3);
    assert!((0..3).all(|ch| rig.out(dep, "GATES", ch) == 10.0));
    assert_eq!(rig.light(dep, "AVAILABLE"), 1.0);
    assert_eq!(rig.light(dep, "PROGRESSING"), 0.0);
    // Default pool: one node of 4 cores; default request 250m x 3 = 750m = 18.75 %.
    assert_eq!(rig.channels(node, "UTIL"), 1);
    assert!(
        (rig.out(node, "UTIL", 0) - 1.875).abs() < 1e-4,
        "{}",
        rig.out(node, "UTIL", 0)
    );
    assert_eq!(rig.channels(node, "READY"), 3);
    assert_eq!(rig.light(node, "READY"), 1.0);
    assert!((rig.out(hub, "UTIL", 0) - 1.875).abs() < 1e-4);
    assert_eq!(rig.out(hub, "PENDING", 0), 0.0);
    assert_eq!(rig.light(hub, "RUN"), 1.0);
}

#[test]
fn etcd_output_ticks_for_writes_and_stays_in_audio_range() {
    let (mut rig, hub, _, _) = Rig::basic();
    let mut peak = 0.0f32;
    let mut energy = 0.0f32;
    rig.run_with(5.0, |r| {
        let v = r.out(hub, "ETCD", 0);
        peak = peak.max(v.abs());
        energy += v * v;
    });
    assert!(peak > 0.5 && peak <= 5.0, "{peak}");
    // Then a quiet cluster is a quiet etcd.
    rig.run(2.0);
    let mut quiet = 0.0f32;
    rig.run_with(1.0, |r| quiet = quiet.max(r.out(hub, "ETCD", 0).abs()));
    assert!(quiet < 1e-3, "{quiet}");
    assert!(energy > 0.0);
}

#[test]
fn replicas_cv_scales_and_an_lfo_never_chatters() {
    let (mut rig, hub, _, dep) = Rig::basic();
    rig.param(dep, "CPU", 10.0); // 100m: plenty of room
    rig.run(5.0);
    rig.drive(dep, "REPLICAS", 2.0);
    rig.run(8.0);
    assert_eq!(rig.out(dep, "READY", 0), 5.0 / 12.0);
    // A slow sine LFO of ±3 V around the knob: replicas follow in clean steps.
    let sr = rig.sample_rate;
    let mut scaled = 0;
    for i in 0..(20.0 * sr) as usize {
        let t = i as f32 / sr;
        let v = 3.0 * (std::f32::consts::TAU * 0.1 * t).sin();
        rig.drive(dep, "REPLICAS", v);
        rig.step();
        let _ = &mut scaled;
    }
    let world = rig.hub_world(hub);
    let scales: Vec<i64> = world
        .events()
        .since(0)
        .1
        .filter(|e| e.kind == EventKind::DeploymentScaled)
        .map(|e| e.value)
        .collect();
    // Consecutive scale events move by exactly one replica: no chatter, no jumps.
    assert!(scales.len() >= 10, "{scales:?}");
    // (The first change is the step from +2 V to the LFO's start at 0 V.)
    for w in scales[1..].windows(2) {
        assert_eq!((w[0] - w[1]).abs(), 1, "{scales:?}");
    }
    assert!(scales.iter().all(|&r| (0..=6).contains(&r)));
}

#[test]
fn unplugging_a_node_evicts_and_another_pool_takes_the_pods() {
    let (mut rig, hub, node, dep) = Rig::basic();
    let spare = rig.add("Node");
    rig.connect(hub, "API", spare, "API");
    rig.run(10.0);
    let before = rig.hub_world(hub).stats().evictions;
    rig.disconnect(node, "API");
    rig.run(10.0);
    let world = rig.hub_world(hub);
    assert!(world.stats().evictions > before);
    assert_eq!(world.node_count(), 1);
    assert_eq!(rig.out(dep, "READY", 0), 3.0 / 12.0);
    assert_eq!(rig.channels(spare, "READY"), 3);
    // The unplugged pool shows nothing.
    assert_eq!(rig.out(node, "UTIL", 0), 0.0);
    assert_eq!(rig.light(node, "READY"), 0.0);
}

#[test]
fn unplugging_a_deployment_deletes_it_and_its_pods_terminate() {
    let (mut rig, hub, _, dep) = Rig::basic();
    rig.run(10.0);
    rig.disconnect(dep, "API");
    rig.run(0.01);
    let world = rig.hub_world(hub);
    assert!(world.deployment(3).is_none());
    let terminating = world
        .events()
        .since(0)
        .1
        .filter(|e| e.kind == EventKind::PodTerminating)
        .count();
    assert_eq!(terminating, 3);
    rig.run(40.0);
    assert_eq!(rig.hub_world(hub).pod_count(), 0);
    assert_eq!(rig.out(dep, "READY", 0), 0.0);
}

#[test]
fn a_bypassed_hub_freezes_the_cluster_and_members_keep_their_state() {
    let (mut rig, hub, _, dep) = Rig::basic();
    rig.run(10.0);
    let revision = rig.hub_world(hub).revision();
    // Bypass as Rack does it: process() no longer called, outputs zeroed (API reads 0 V).
    rig.bypass(hub, true);
    rig.param(dep, "REPLICAS", 6.0);
    rig.run(5.0);
    assert_eq!(
        rig.out(dep, "READY", 0),
        3.0 / 12.0,
        "members keep their last state"
    );
    assert_eq!(
        rig.hub_world(hub).revision(),
        revision,
        "nothing is written while down"
    );
    assert_eq!(rig.hub_world(hub).pod_count(), 3, "nothing was deleted");
    // Back up: the control plane resumes and reconciles the new replicas.
    rig.bypass(hub, false);
    rig.run(10.0);
    assert_eq!(rig.out(dep, "READY", 0), 6.0 / 12.0);
    let deleted = rig
        .hub_world(hub)
        .events()
        .since(0)
        .1
        .filter(|e| e.kind == EventKind::DeploymentDeleted)
        .count();
    assert_eq!(deleted, 0);
}

#[test]
fn clocked_hub_steps_once_per_pulse() {
    let (mut rig, hub, _, dep) = Rig::basic();
    rig.param(hub, "WARP", 0.0); // 1 s per pulse
    rig.drive(hub, "CLOCK", 0.0);
    rig.run(3.0);
    assert_eq!(rig.hub_world(hub).time(), 0.0, "no pulse, no time");
    assert_eq!(rig.light(hub, "CLOCKED"), 1.0);
    for _ in 0..8 {
        rig.drive(hub, "CLOCK", 10.0);
        rig.run(0.01);
        rig.drive(hub, "CLOCK", 0.0);
        rig.run(0.05);
    }
    assert_eq!(rig.hub_world(hub).time(), 8.0);
    assert_eq!(rig.out(dep, "READY", 0), 3.0 / 12.0);
}

#[test]
fn nan_and_infinite_voltages_are_safe() {
    let (mut rig, hub, node, dep) = Rig::basic();
    rig.drive(dep, "REPLICAS", f32::NAN);
    rig.drive(node, "CORDON", f32::INFINITY);
    rig.drive(hub, "CLOCK", f32::NEG_INFINITY);
    rig.param(hub, "WARP", f32::NAN);
    rig.param(node, "COUNT", f32::INFINITY);
    rig.run(2.0);
    for m in [hub, node, dep] {
        rig.assert_sane(m);
    }
}

#[test]
fn saved_settings_round_trip_and_bad_json_keeps_defaults() {
    let (mut rig, hub, node, _) = Rig::basic();
    let m = &mut rig.modules[hub].module;
    m.load(&serde_json::json!({"seed": 42, "controlPeriod": 64}))
        .unwrap();
    assert_eq!(
        m.save(),
        serde_json::json!({"seed": 42, "controlPeriod": 64, "kueue": {"fairSharing": false}})
    );
    let err = m.load(&serde_json::json!({"seed": "many"})).unwrap_err();
    assert!(err.0.contains("CLUSTER settings"), "{err}");
    assert_eq!(
        m.save(),
        serde_json::json!({"seed": 1, "controlPeriod": 32, "kueue": {"fairSharing": false}})
    );
    assert!(
        m.load(&serde_json::json!([7, 64])).is_err(),
        "an array is not settings"
    );
    assert_eq!(
        m.save(),
        serde_json::json!({"seed": 1, "controlPeriod": 32, "kueue": {"fairSharing": false}})
    );
    m.load(&serde_json::json!({"controlPeriod": 0})).unwrap();
    assert_eq!(m.save()["controlPeriod"], 1);
    assert!(rig.modules[node]
        .module
        .load(&serde_json::json!([1, 2]))
        .is_err());
}

/// A 1 ms, 10 V trigger into an input.
fn trigger(rig: &mut Rig, m: usize, input: &str) {
    rig.drive(m, input, 10.0);
    rig.run(0.001);
    rig.drive(m, input, 0.0);
}

#[test]
fn rollout_and_rollback_triggers_roll_the_deployment_and_progress_follows() {
    let (mut rig, hub, _node, dep) = Rig::basic();
    rig.param(dep, "REPLICAS", 4.0);
    rig.param(dep, "CPU", 10.0);
    rig.run(10.0);
    assert_eq!(rig.out(dep, "PROGRESS", 0), 10.0);
    trigger(&mut rig, dep, "ROLLOUT");
    let mut lowest = 10.0f32;
    let mut progressing = false;
    rig.run_with(15.0, |r| {
        lowest = lowest.min(r.out(dep, "PROGRESS", 0));
        progressing |= r.light(dep, "PROGRESSING") == 1.0;
    });
    assert!(lowest < 10.0, "PROGRESS never dipped");
    assert!(progressing);
    assert_eq!(rig.out(dep, "PROGRESS", 0), 10.0);
    assert_eq!(rig.light(dep, "AVAILABLE"), 1.0);
    let world = rig.hub_world(hub);
    let d = (1..8).find_map(|t| world.deployment(t)).unwrap();
    assert_eq!((d.revision(), d.template.image), (2, 1));
    trigger(&mut rig, dep, "ROLLBACK");
    rig.run(15.0);
    let world = rig.hub_world(hub);
    let d = (1..8).find_map(|t| world.deployment(t)).unwrap();
    assert_eq!((d.revision(), d.template.image), (3, 0));
    assert_eq!(d.ready, 4);
    let reasons = |kind| world.events().since(0).1.filter(|e| e.kind == kind).count();
    assert_eq!(reasons(EventKind::DeploymentRollback), 1);
}

#[test]
fn recreate_switch_and_surge_knobs_reach_the_world() {
    let (mut rig, hub, _node, dep) = Rig::basic();
    rig.param(dep, "CPU", 10.0);
    rig.param(dep, "STRATEGY", 1.0);
    rig.param(dep, "MAX_SURGE", 50.0);
    rig.run(5.0);
    let world = rig.hub_world(hub);
    let d = (1..8).find_map(|t| world.deployment(t)).unwrap();
    assert_eq!(
        d.spec.strategy,
        kuberack_core::world::DeploymentStrategy::Recreate
    );
    rig.param(dep, "STRATEGY", 0.0);
    rig.run(0.01);
    let world = rig.hub_world(hub);
    let d = (1..8).find_map(|t| world.deployment(t)).unwrap();
    assert_eq!(
        d.spec.strategy,
        kuberack_core::world::DeploymentStrategy::RollingUpdate {
            max_surge: kuberack_core::world::IntOrPercent::Percent(50),
            max_unavailable: kuberack_core::world::IntOrPercent::Percent(25),
        }
    );
}

#[test]
fn fault_crashes_the_pods_and_they_recover_when_it_drops() {
    let (mut rig, hub, _node, dep) = Rig::basic();
    rig.param(dep, "CPU", 10.0);
    rig.run(10.0);
    assert_eq!(rig.out(dep, "READY", 0), 3.0 / 12.0);
    rig.drive(dep, "FAULT", 10.0);
    rig.run(5.0);
    assert_eq!(rig.out(dep, "READY", 0), 0.0);
    assert_eq!(rig.light(dep, "AVAILABLE"), 0.0);
    rig.drive(dep, "FAULT", 0.0);
    // The restart backoff is 10 s, then 20 s: within 40 s they are all back.
    rig.run(40.0);
    assert_eq!(rig.out(dep, "READY", 0), 3.0 / 12.0);
    let world = rig.hub_world(hub);
    assert!(world.pods().all(|(_, p)| p.restarts >= 1));
}

/// Undoing a live-sync or Kueue setting reloads the hub's saved settings: the world goes on;
/// a new seed starts it over.
#[test]
fn reloading_the_same_world_settings_keeps_the_world() {
    let (mut rig, hub, _, _) = Rig::basic();
    rig.run(3.0);
    let pods = rig.hub_world(hub).pods().count();
    assert!(pods > 0);
    let mut settings = rig.modules[hub].module.save();
    settings["sync"] = serde_json::json!({ "namespace": "elsewhere", "mirrorOnly": true });
    rig.modules[hub].module.load(&settings).unwrap();
    assert_eq!(rig.hub_world(hub).pods().count(), pods);
    let saved = rig.modules[hub].module.save();
    assert_eq!(saved["sync"]["namespace"], "elsewhere");
    settings["seed"] = serde_json::json!(99);
    rig.modules[hub].module.load(&settings).unwrap();
    assert_eq!(
        rig.hub_world(hub).pods().count(),
        0,
        "a new seed: a new world"
    );
}
