//! The ENCHANTMENT module through a hub: FORGE triggers become Enchantments whose essence
//! Jobs name the QUEUE reference's tag and the tier's WorkloadPriorityClass; phase changes come
//! back as triggers and lights; unplugging the forge deletes its Enchantments and Jobs.

mod rig;

use kuberack_core::forge::Tier;
use kuberack_core::world::enchantment::EnchantmentPhase;
use kuberack_protocol::tag::tag_to_volts;
use rig::Rig;

const QUEUE_TAG: u32 = 77;

fn setup() -> (Rig, usize, usize) {
    let (mut rig, hub, _node, dep) = Rig::basic();
    rig.param(dep, "REPLICAS", 0.0);
    let forge = rig.add("Enchantment");
    rig.connect(hub, "API", forge, "API");
    rig.run(1.0);
    (rig, hub, forge)
}

/// A FORGE trigger held 0.2 s; returns the rising edges seen on `output` meanwhile.
fn forge(rig: &mut Rig, m: usize, output: &str) -> usize {
    rig.drive(m, "FORGE", 10.0);
    let n = rig.edges(m, output, 0.2);
    rig.drive(m, "FORGE", 0.0);
    rig.run(0.01);
    n
}

#[test]
fn a_forge_on_a_queue_creates_suspended_jobs_labelled_for_the_queue_and_tier() {
    let (mut rig, hub, m) = setup();
    rig.drive(m, "QUEUE", tag_to_volts(QUEUE_TAG));
    rig.param(m, "TIER", 4.0); // legendary
    rig.param(m, "COST", 2.0);
    assert_eq!(forge(&mut rig, m, "SCHEDULED"), 1);
    let w = rig.hub_world(hub);
    let (_, e) = w.enchantments().next().expect("an Enchantment");
    assert_eq!(
        (e.tier, e.phase),
        (Tier::Legendary, EnchantmentPhase::Scheduled)
    );
    for j in e.jobs {
        let job = w.job(j.id).unwrap();
        assert!(job.suspended, "no ClusterQueue {QUEUE_TAG} yet: waits");
        assert_eq!(job.spec.queueing.queue, QUEUE_TAG);
        assert_eq!(job.spec.queueing.priority_class, 4);
        assert_eq!(job.spec.run_seconds, f64::from(job.spec.mana.amount) * 2.0);
    }
    assert_eq!(rig.light(m, "SCHEDULED"), 1.0);
    assert_eq!(rig.light(m, "ENCHANTING"), 0.0);
    assert_eq!(rig.out(m, "TIER", 0), 0.0, "nothing forged yet");
    // Four at most: the fifth and sixth FORGE are ignored.
    for _ in 0..5 {
        forge(&mut rig, m, "SCHEDULED");
    }
    assert_eq!(rig.hub_world(hub).enchantments().count(), 4);
    // Unplugging API deletes the forge's Enchantments and their Jobs.
    rig.disconnect(m, "API");
    rig.run(0.1);
    let w = rig.hub_world(hub);
    assert_eq!(w.enchantments().count(), 0);
    assert_eq!(w.jobs().count(), 0);
    assert_eq!(rig.light(m, "SCHEDULED"), 0.0);
}

#[test]
fn without_a_queue_the_jobs_start_unsuspended_and_the_enchantment_enchants() {
    let (mut rig, hub, m) = setup();
    rig.param(m, "TIER", 1.0); // common
    assert_eq!(forge(&mut rig, m, "ENCHANTING"), 1);
    let w = rig.hub_world(hub);
    let (_, e) = w.enchantments().next().unwrap();
    assert_eq!(
        (e.tier, e.phase),
        (Tier::Common, EnchantmentPhase::Enchanting)
    );
    assert!(e
        .jobs
        .iter()
        .filter_map(|j| w.job(j.id))
        .all(|j| !j.suspended && !j.spec.queueing.is_queued()));
    assert_eq!(rig.light(m, "ENCHANTING"), 1.0);
    assert_eq!(rig.light(m, "SCHEDULED"), 0.0);
}

#[test]
fn two_hubs_with_the_same_seed_draw_the_same_items() {
    let items = || {
        let (mut rig, hub, m) = setup();
        for _ in 0..4 {
            forge(&mut rig, m, "SCHEDULED");
        }
        let w = rig.hub_world(hub);
        w.enchantments()
            .map(|(_, e)| e.spec.item)
            .collect::<Vec<_>>()
    };
    let a = items();
    assert_eq!(a.len(), 4);
    assert_eq!(a, items());
}

#[test]
fn nan_and_infinite_voltages_are_safe() {
    let (mut rig, _hub, m) = setup();
    rig.drive(m, "QUEUE", f32::NAN);
    rig.drive(m, "FORGE", f32::INFINITY);
    rig.param(m, "COST", f32::NAN);
    rig.param(m, "TIER", f32::INFINITY);
    rig.run(1.0);
    rig.drive(m, "FORGE", f32::NEG_INFINITY);
    rig.run(1.0);
    rig.assert_sane(m);
}

#[test]
fn patched_to_a_clusterqueue_a_legendary_item_requeues_common_ones() {
    let (mut rig, hub, m) = setup();
    // The forge's queue: fire, frost and arcane flavors with 6 mana each, LowerPriority.
    let q = rig.add("ClusterQueue");
    rig.connect(hub, "API", q, "API");
    rig.param(q, "FLAVOR", 4.0);
    rig.param(q, "MANA", 6.0);
    rig.param(q, "CPU", 16.0);
    rig.param(q, "PREEMPTION", 1.0);
    rig.connect(q, "QUEUE", m, "QUEUE");
    let commons = rig.add("Enchantment");
    rig.connect(hub, "API", commons, "API");
    rig.connect(q, "QUEUE", commons, "QUEUE");
    rig.param(commons, "TIER", 1.0);
    rig.param(m, "TIER", 4.0);
    rig.run(0.5);
    // Commons until the mana quota is used up somewhere.
    for _ in 0..4 {
        forge(&mut rig, commons, "SCHEDULED");
    }
    rig.run(1.0);
    let queue_tag = {
        let w = rig.hub_world(hub);
        let (_, e) = w.enchantments().next().unwrap();
        w.job(e.jobs.iter().find(|j| w.job(j.id).is_some()).unwrap().id)
            .unwrap()
            .spec
            .queueing
            .queue
    };
    let status = rig.hub_world(hub).cluster_queue_status(queue_tag).unwrap();
    assert!(status.admitted > 0, "{status:?}");
    assert!(rig.light(commons, "ENCHANTING") == 1.0);
    // The Legendary item takes what it needs: some Commons lose Jobs and show Requeued.
    rig.drive(m, "FORGE", 10.0);
    let requeued = rig.edges(commons, "REQUEUED", 1.0);
    assert!(requeued > 0, "no Common was preempted");
    assert_eq!(rig.light(commons, "REQUEUED"), 1.0);
    let w = rig.hub_world(hub);
    let legendary = w
        .enchantments()
        .find(|(_, e)| e.tier == Tier::Legendary)
        .unwrap()
        .1;
    assert_eq!(legendary.phase, EnchantmentPhase::Enchanting);
    assert!(w.cluster_queue_status(queue_tag).unwrap().preemptions > 0);
}
