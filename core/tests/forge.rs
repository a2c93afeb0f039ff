//! The forge in the world: an Enchantment owns one Job per essence of its item, queued with
//! its tier's WorkloadPriorityClass and pinned to that essence's nodes; its phase follows
//! the Jobs. End to end: with one ClusterQueue of three essence flavors and mana short, the
//! Legendary God-slayer Elemental Blade preempts Common items, completes, and the Commons
//! complete after it.

mod world;

use kuberack_core::forge::{Catalog, Tier};
use kuberack_core::kueue::PreemptionPolicy;
use kuberack_core::world::enchantment::{EnchantmentPhase, EnchantmentSpec, ENCHANTMENT_CPU_M};
use kuberack_core::world::events::EventKind;
use kuberack_core::world::mana::{essence_index, Mana};
use kuberack_core::world::names::ObjectKind;
use kuberack_core::world::queueing::*;
use kuberack_core::world::{workload_name, JobCondition, World, NONE};
use world::{essence_queue, mana_pool, run, world};

const CQ: u32 = 40;
const BLADE: &str = "God-slayer Elemental Blade";
const TOKEN: &str = "Pilgrim's Triune Token";

/// One node per essence, each advertising 6 units of its mana (tags 1, 2, 3).
fn mana_pools(w: &mut World) {
    for (tag, e) in (1..).zip(kuberack_core::forge::ESSENCES) {
        w.apply_node_pool(tag, mana_pool(1, Mana::of(e, 6)));
    }
}

/// The forge's ClusterQueue: fire, frost and arcane flavors with 6 mana each,
/// BestEffortFIFO, withinClusterQueue LowerPriority.
fn forge_queue(w: &mut World) {
    w.apply_cluster_queue(CQ, essence_queue(6, PreemptionPolicy::LowerPriority));
}

fn item(name: &str) -> usize {
    Catalog::shared().position(name).unwrap()
}

fn forge(w: &mut World, name: &str, queue: u32, cost_seconds: f64) -> u32 {
    w.create_enchantment(EnchantmentSpec {
        item: item(name),
        queue,
        cost_seconds,
        terms: 0,
    })
    .unwrap()
}

fn phase(w: &World, id: u32) -> EnchantmentPhase {
    w.enchantment(id).unwrap().phase
}

/// Reasons of the events about Enchantment `id`, in order.
fn enchantment_trace(w: &World, id: u32) -> Vec<&'static str> {
    w.events()
        .since(0)
        .1
        .filter(|e| e.object.kind == ObjectKind::Enchantment && e.object.owner == id)
        .map(|e| e.kind.name())
        .collect()
}

#[test]
fn an_enchantment_owns_one_queued_pinned_job_per_essence() {
    let mut w = world(1);
    let id = forge(&mut w, "Ember-Tipped Arrowhead", CQ, 3.0);
    let e = *w.enchantment(id).unwrap();
    assert_eq!(e.tier, Tier::Common);
    // fire 2, no frost, no arcane: one Job.
    assert_eq!(e.jobs[1].id, NONE);
    assert_eq!(e.jobs[2].id, NONE);
    let job = *w.job(e.jobs[0].id).unwrap();
    assert!(job.suspended, "a queued Job is created suspended");
    assert_eq!(
        job.spec.mana,
        Mana::of(kuberack_core::forge::Essence::Fire, 2)
    );
    assert_eq!(job.spec.run_seconds, 6.0);
    assert_eq!(job.spec.cpu_m, ENCHANTMENT_CPU_M);
    let fire = essence_index(kuberack_core::forge::Essence::Fire);
    assert_eq!(job.spec.scheduling.node_selector_energy, fire);
    assert_eq!(job.spec.scheduling.tolerates_energy, fire);
    assert_eq!(
        job.spec.queueing,
        JobQueueing {
            queue: CQ,
            priority_class: 1
        }
    );
    let blade = forge(&mut w, BLADE, CQ, 3.0);
    let b = *w.enchantment(blade).unwrap();
    assert_eq!(b.tier, Tier::Legendary);
    for (k, amount) in [6, 5, 4].into_iter().enumerate() {
        let j = w.job(b.jobs[k].id).unwrap();
        assert_eq!(j.spec.mana.amount, amount);
        assert_eq!(j.spec.queueing.priority_class, 4, "legendary");
        assert_eq!(j.spec.run_seconds, f64::from(amount) * 3.0);
    }
    let created = w
        .events()
        .since(0)
        .1
        .find(|e| e.kind == EventKind::EnchantmentScheduled && e.object.owner == blade)
        .unwrap()
        .to_json();
    assert_eq!(created["kind"], "Enchantment");
    assert_eq!(created["name"], format!("enchantment-{blade}"));
    assert_eq!(
        created["message"],
        "God-slayer Elemental Blade (legendary: fire 6, frost 5, arcane 4)"
    );
    assert!(w
        .create_enchantment(EnchantmentSpec {
            item: Catalog::shared().items().len(),
            queue: CQ,
            cost_seconds: 1.0,
            terms: 0,
        })
        .is_none());
}

#[test]
fn an_admitted_enchantment_enchants_completes_and_its_deletion_takes_its_jobs() {
    let mut w = world(2);
    mana_pools(&mut w);
    forge_queue(&mut w);
    run(&mut w, 3.0);
    let id = forge(&mut w, TOKEN, CQ, 2.0);
    assert_eq!(phase(&w, id), EnchantmentPhase::Scheduled);
    run(&mut w, 1.0);
    assert_eq!(phase(&w, id), EnchantmentPhase::Enchanting);
    let jobs = w.enchantment(id).unwrap().jobs;
    for (k, j) in jobs.iter().enumerate() {
        let pool: Vec<u32> = w.pool_nodes(k as u32 + 1).collect();
        for p in w.job_pods(j.id) {
            assert!(
                p.node == NONE || pool.contains(&p.node),
                "{p:?} off its essence"
            );
        }
    }
    run(&mut w, 30.0);
    let e = *w.enchantment(id).unwrap();
    assert_eq!(e.phase, EnchantmentPhase::Completed);
    assert!(e.finished_at.is_some());
    assert_eq!(
        enchantment_trace(&w, id),
        ["EnchantmentScheduled", "Enchanting", "Forged"]
    );
    w.delete_enchantment(id);
    assert!(w.enchantment(id).is_none());
    for j in jobs {
        assert!(w.job(j.id).is_none(), "owned Jobs go with it");
    }
    assert_eq!(
        *enchantment_trace(&w, id).last().unwrap(),
        "EnchantmentDeleted"
    );
}

#[test]
fn without_a_queue_the_jobs_run_at_once_and_a_lost_job_fails_the_enchantment() {
    let mut w = world(3);
    mana_pools(&mut w);
    run(&mut w, 3.0);
    let id = forge(&mut w, "Rune-Scratched Pebble", NONE, 5.0);
    let jobs = w.enchantment(id).unwrap().jobs;
    assert!(!w.job(jobs[0].id).unwrap().suspended);
    run(&mut w, 0.5);
    assert_eq!(phase(&w, id), EnchantmentPhase::Enchanting);
    // Someone deletes the frost Job: the item cannot be forged; the others are deleted.
    w.delete_job(jobs[1].id);
    run(&mut w, 0.1);
    assert_eq!(phase(&w, id), EnchantmentPhase::Failed);
    assert!(w.job(jobs[0].id).is_none() && w.job(jobs[2].id).is_none());
    assert_eq!(
        enchantment_trace(&w, id),
        ["EnchantmentScheduled", "Enchanting", "EnchantmentFailed"]
    );
}

#[test]
fn draws_are_seeded_by_the_world_seed() {
    let draws = |seed| {
        let mut w = world(seed);
        (0..24)
            .map(|_| w.draw_forge_item(None).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(draws(7), draws(7));
    assert_ne!(draws(7), draws(8));
    let mut w = world(7);
    let i = w.draw_forge_item(Some(Tier::Legendary)).unwrap();
    assert_eq!(Catalog::shared().items()[i].tier, Tier::Legendary);
}

#[test]
fn the_legendary_blade_preempts_common_items_when_mana_is_short_and_they_finish_after_it() {
    let mut w = world(5);
    mana_pools(&mut w);
    forge_queue(&mut w);
    run(&mut w, 3.0);
    // Three Commons of 2 fire, 2 frost, 2 arcane take all 6 of every essence's quota.
    let commons: Vec<u32> = (0..3).map(|_| forge(&mut w, TOKEN, CQ, 5.0)).collect();
    run(&mut w, 6.0);
    for &c in &commons {
        assert_eq!(phase(&w, c), EnchantmentPhase::Enchanting);
    }
    let status = w.cluster_queue_status(CQ).unwrap();
    assert_eq!((status.admitted, status.usage[2]), (9, 1.0));
    // The Blade needs 6 fire, 5 frost, 4 arcane: nothing is free.
    let blade = forge(&mut w, BLADE, CQ, 5.0);
    run(&mut w, 1.0);
    // Every Common lost its fire Job (the Blade needs all 6 fire).
    for &c in &commons {
        assert_eq!(phase(&w, c), EnchantmentPhase::Requeued, "common {c}");
        let fire = w.enchantment(c).unwrap().jobs[0].id;
        let j = w.job(fire).unwrap();
        assert!(j.suspended && j.preemptions == 1);
        let preempted = w
            .events()
            .since(0)
            .1
            .find(|e| e.kind == EventKind::WorkloadPreempted && e.object == workload_name(fire))
            .expect("fire Job's Workload preempted");
        assert_eq!(preempted.to_json()["message"], "InClusterQueue");
    }
    assert!(w.cluster_queue_status(CQ).unwrap().preemptions >= 3 + 3 + 2);
    // The Blade is admitted once the victims are evicted, and forged.
    run(&mut w, 2.0);
    assert_eq!(phase(&w, blade), EnchantmentPhase::Enchanting);
    run(&mut w, 90.0);
    let b = *w.enchantment(blade).unwrap();
    assert_eq!(b.phase, EnchantmentPhase::Completed);
    for k in 0..3 {
        let j = w.job(b.jobs[k].id).unwrap();
        assert_eq!(j.condition, Some(JobCondition::Complete));
        assert_eq!(j.preemptions, 0, "nothing preempts a Legendary");
    }
    run(&mut w, 60.0);
    for &c in &commons {
        let e = *w.enchantment(c).unwrap();
        assert_eq!(e.phase, EnchantmentPhase::Completed, "common {c}");
        assert!(e.finished_at.unwrap() > b.finished_at.unwrap());
        assert_eq!(e.entered[EnchantmentPhase::Requeued as usize], 1);
        let t = enchantment_trace(&w, c);
        assert_eq!(
            t,
            [
                "EnchantmentScheduled",
                "Enchanting",
                "EnchantmentRequeued",
                "Enchanting",
                "Forged"
            ]
        );
    }
    let requeued = w
        .events()
        .since(0)
        .1
        .find(|e| e.kind == EventKind::EnchantmentRequeued)
        .unwrap()
        .to_json();
    assert!(requeued["message"]
        .as_str()
        .unwrap()
        .starts_with("Pilgrim's Triune Token (common"));
    assert_eq!(
        enchantment_trace(&w, blade),
        ["EnchantmentScheduled", "Enchanting", "Forged"]
    );
}

/// Checks the forge's invariants in `w`.
fn check_invariants(w: &World) {
    for (id, e) in w.enchantments() {
        let jobs: Vec<_> = e
            .jobs
            .iter()
            .filter(|j| j.id != NONE)
            .filter_map(|j| w.job(j.id).filter(|job| job.meta.uid == j.uid))
            .collect();
        match e.phase {
            EnchantmentPhase::Completed => assert!(
                jobs.iter()
                    .all(|j| j.condition == Some(JobCondition::Complete)),
                "enchantment {id} Completed with unfinished Jobs"
            ),
            EnchantmentPhase::Enchanting => {
                assert!(jobs.iter().all(|j| !j.suspended), "{id}: Enchanting")
            }
            EnchantmentPhase::Scheduled => assert!(
                jobs.iter().all(|j| !j.suspended || j.admissions == 0),
                "{id}: Scheduled with a preempted Job"
            ),
            _ => {}
        }
        for (k, j) in e.jobs.iter().enumerate().filter(|(_, j)| j.id != NONE) {
            for p in w.job_pods(j.id).filter(|p| p.node != NONE) {
                let node = w.node(p.node).unwrap();
                assert_eq!(
                    node.mana.essence,
                    essence_index(kuberack_core::forge::ESSENCES[k]),
                    "{id}: an essence pod off its nodes"
                );
            }
        }
    }
    for (_, node) in w.nodes() {
        assert!(node.requested_mana <= node.mana.amount, "{node:?}");
    }
    let usage = w.cluster_queue_status(CQ).unwrap().usage;
    assert!(usage[2] <= 1.0 + 1e-6, "mana over nominal quota: {usage:?}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Whatever is forged and when, Enchantments agree with their Jobs, essence pods stay on
    /// their nodes, no node or flavor is overdrawn, and every item is eventually forged.
    #[test]
    fn every_forged_item_completes_within_quota_and_on_its_essence(
        forges in proptest::collection::vec((0usize..5, 0.2f64..2.0, 0u32..300), 1..12),
        seed in 0u64..1000,
    ) {
        let mut w = world(seed);
        mana_pools(&mut w);
        forge_queue(&mut w);
        run(&mut w, 3.0);
        let mut ids = Vec::new();
        for (tier, cost, wait) in forges {
            let tier = [None, Some(Tier::Common), Some(Tier::Rare), Some(Tier::Epic),
                Some(Tier::Legendary)][tier];
            let item = w.draw_forge_item(tier).unwrap();
            ids.push(w.create_enchantment(EnchantmentSpec { item, queue: CQ, cost_seconds: cost, terms: 0 })
                .unwrap());
            for _ in 0..wait {
                w.step(0.01);
                check_invariants(&w);
            }
        }
        for _ in 0..60 {
            run(&mut w, 5.0);
            check_invariants(&w);
        }
        for id in ids {
            proptest::prop_assert_eq!(w.enchantment(id).unwrap().phase, EnchantmentPhase::Completed);
        }
    }
}
