//! The DEVICES module through a hub: its knobs declare a NODE pool's mana and wells, JOB pods
//! claim the wells through their resource claim settings, and the allocation comes back as
//! triggers, CVs and lights.

mod rig;

use kuberack_core::forge::Essence;
use kuberack_core::world::mana::Mana;
use kuberack_core::world::World;
use rig::Rig;
use serde_json::json;

/// The NODE's pool tag in `Rig::basic` (the hub is tag 1).
const POOL: u32 = 2;

/// A hub, a pool of two nodes, no Deployment pods, a DEVICES on the pool (frost, 8 mana and
/// 2 wells per node) and a JOB whose pods claim one frost well with 4 mana each.
fn setup() -> (Rig, usize, usize, usize) {
    let (mut rig, hub, node, dep) = Rig::basic();
    rig.param(dep, "REPLICAS", 0.0);
    rig.param(node, "COUNT", 2.0);
    let devices = rig.add("Devices");
    rig.connect(hub, "API", devices, "API");
    rig.connect(node, "POOL", devices, "POOL");
    rig.param(devices, "ESSENCE", 1.0);
    rig.param(devices, "MANA", 8.0);
    rig.param(devices, "WELLS", 2.0);
    let job = rig.add("Job");
    rig.connect(hub, "API", job, "API");
    rig.param(job, "PARALLELISM", 2.0);
    rig.param(job, "COMPLETIONS", 2.0);
    rig.param(job, "DURATION", 120.0);
    rig.param(job, "CPU", 10.0);
    rig.modules[job]
        .module
        .load(&json!({ "resourceClaim": {
            "deviceClassName": "frost.manawell.io",
            "count": 1,
            "mana": 4,
        }}))
        .unwrap();
    rig.run(3.0);
    (rig, hub, devices, job)
}

fn submit(rig: &mut Rig, job: usize) {
    rig.drive(job, "SUBMIT", 10.0);
    rig.run(0.01);
    rig.drive(job, "SUBMIT", 0.0);
}

fn world(rig: &Rig, hub: usize) -> &World {
    rig.hub_world(hub)
}

#[test]
fn devices_declare_the_pools_mana_and_the_lights_follow_the_claims() {
    let (mut rig, hub, devices, job) = setup();
    assert_eq!(rig.light(devices, "ACTIVE"), 1.0);
    assert_eq!(rig.light(devices, "REFUSED"), 0.0);
    let w = world(&rig, hub);
    assert_eq!(w.node_count(), 2);
    assert!(w
        .nodes()
        .all(|(_, n)| n.mana == Mana::of(Essence::Frost, 8)));
    assert_eq!(w.pool_devices(POOL).unwrap().devices().len(), 2);
    // 2 nodes x 8 mana, nothing claimed.
    assert!((rig.out(devices, "FREE", 0) - 1.6).abs() < 1e-5);
    assert_eq!(rig.out(devices, "ALLOCATED", 0), 0.0);
    assert_eq!(rig.channels(devices, "NODES"), 2);

    // Pods bind within the tick after the submission: count from the SUBMIT edge on.
    let mut allocations = 0;
    let mut high = false;
    let mut count = |r: &Rig| {
        let v = r.out(devices, "ALLOCATE", 0) > 5.0;
        allocations += usize::from(v && !high);
        high = v;
    };
    rig.drive(job, "SUBMIT", 10.0);
    rig.run_with(0.01, &mut count);
    rig.drive(job, "SUBMIT", 0.0);
    rig.run_with(6.0, &mut count);
    assert_eq!(allocations, 2, "an ALLOCATE trigger per claim");
    // Two exclusive wells of 4 mana taken out of four wells.
    assert!((rig.out(devices, "ALLOCATED", 0) - 5.0).abs() < 1e-5);
    assert!((rig.out(devices, "FREE", 0) - 0.8).abs() < 1e-5);
    let lights = rig.light(devices, "NODE1") + rig.light(devices, "NODE2");
    assert!(
        (lights - 1.0).abs() < 1e-5,
        "half of the pool's wells are full"
    );
    for (n, id) in ["NODE1", "NODE2"].iter().enumerate() {
        assert!((rig.out(devices, "NODES", n) - 10.0 * rig.light(devices, id)).abs() < 1e-4);
    }
    assert_eq!(rig.light(devices, "NODE3"), 0.0);
    let w = world(&rig, hub);
    assert_eq!(w.pool_devices(POOL).unwrap().devices_in_use(), 2);
    assert!(w.pods().all(|(_, p)| p.node != kuberack_core::world::NONE));

    // Unpatched: the pool has no devices, and the pods holding wells are evicted.
    rig.disconnect(devices, "POOL");
    rig.run(1.0);
    assert_eq!(rig.light(devices, "ACTIVE"), 0.0);
    assert_eq!(rig.out(devices, "FREE", 0), 0.0);
    let w = world(&rig, hub);
    assert!(w.pool_devices(POOL).is_none());
    assert!(w.nodes().all(|(_, n)| n.mana == Mana::NONE));
    assert!(w.stats().evictions >= 2);
}

#[test]
fn of_two_devices_on_one_pool_the_higher_tag_wins() {
    let (mut rig, hub, first, _job) = setup();
    let node = 1;
    let second = rig.add("Devices");
    rig.connect(hub, "API", second, "API");
    rig.connect(node, "POOL", second, "POOL");
    rig.param(second, "ESSENCE", 2.0);
    rig.param(second, "MANA", 12.0);
    rig.run(1.0);
    assert_eq!(rig.light(second, "ACTIVE"), 1.0);
    assert_eq!(rig.light(first, "ACTIVE"), 0.0);
    assert_eq!(rig.light(first, "REFUSED"), 1.0);
    assert_eq!(rig.out(first, "FREE", 0), 0.0);
    let w = world(&rig, hub);
    assert!(w
        .nodes()
        .all(|(_, n)| n.mana == Mana::of(Essence::Arcane, 12)));
    // The winner leaves: the other's declaration holds again.
    rig.disconnect(second, "POOL");
    rig.run(1.0);
    assert_eq!(rig.light(first, "ACTIVE"), 1.0);
    let w = world(&rig, hub);
    assert!(w
        .nodes()
        .all(|(_, n)| n.mana == Mana::of(Essence::Frost, 8)));
}

#[test]
fn a_claim_the_wells_cannot_serve_leaves_the_pods_pending() {
    let (mut rig, hub, devices, job) = setup();
    rig.param(devices, "WELLS", 1.0);
    rig.modules[job]
        .module
        .load(&json!({ "resourceClaim": {
            "deviceClassName": "frost.manawell.io",
            "count": 2,
        }}))
        .unwrap();
    rig.run(1.0);
    submit(&mut rig, job);
    rig.run(10.0);
    let w = world(&rig, hub);
    assert_eq!(w.pod_count(), 2);
    assert!(w.pods().all(|(_, p)| p.node == kuberack_core::world::NONE));
    assert!(w.unschedulable_pods() > 0);
    assert_eq!(rig.out(job, "RUNNING", 0), 0.0);
    assert_eq!(rig.out(devices, "ALLOCATED", 0), 0.0);
}

#[test]
fn devices_alone_or_fed_nonsense_stay_quiet_and_finite() {
    let mut rig = Rig::new(48_000.0);
    let alone = rig.add("Devices");
    rig.run(0.5);
    assert_eq!(rig.light(alone, "ACTIVE"), 0.0);
    assert_eq!(rig.light(alone, "REFUSED"), 0.0);
    for out in ["ALLOCATE", "ALLOCATED", "FREE", "NODES"] {
        assert_eq!(rig.out(alone, out, 0), 0.0, "{out}");
    }

    let (mut rig, hub, devices, _job) = setup();
    for id in ["ESSENCE", "MANA", "WELLS"] {
        rig.param(devices, id, f32::NAN);
    }
    rig.drive(devices, "POOL", f32::INFINITY);
    rig.run(0.5);
    rig.drive(devices, "POOL", f32::NAN);
    rig.run(0.5);
    for out in ["ALLOCATE", "ALLOCATED", "FREE", "NODES"] {
        assert!(rig.out(devices, out, 0).is_finite(), "{out}");
    }
    for id in ["ESSENCE", "MANA", "WELLS"] {
        rig.param(devices, id, f32::INFINITY);
    }
    rig.run(0.5);
    let spec = world(&rig, hub).pool_devices_spec(POOL);
    assert!(
        spec.is_none_or(|s| s.wells <= 8 && s.mana <= 32),
        "{spec:?}"
    );
}

#[test]
fn a_job_refuses_claim_settings_it_cannot_honour() {
    let mut rig = Rig::new(48_000.0);
    let job = rig.add("Job");
    let bad = json!({ "resourceClaim": { "deviceClassName": "gpu.example.com" } });
    assert!(rig.modules[job].module.load(&bad).is_err());
    assert_eq!(
        rig.modules[job].module.save()["resourceClaim"]["deviceClassName"],
        json!("")
    );
}
