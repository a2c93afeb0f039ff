//! The scheduler inside the world: priority order, DefaultPreemption, NoExecute eviction and
//! topology spread under DoNotSchedule (property test).

use kuberack_core::world::constraints::*;
use kuberack_core::world::events::EventKind;
use kuberack_core::world::scheduler::SchedulerConfig;
use kuberack_core::world::{DeploymentSpec, NodePoolSpec, Pod, World, WorldConfig, NONE};
use proptest::prelude::*;

fn world(seed: u64) -> World {
    World::new(WorldConfig {
        seed,
        max_pods: 512,
        max_nodes: 64,
        event_capacity: 8192,
    })
}

fn pool(count: u32, cores: u32, zone: u8, taint: TaintEffect) -> NodePoolSpec {
    NodePoolSpec {
        count,
        cpu_m: cores * 1000,
        memory_mib: 16 * 1024,
        pods: 110,
        cordoned: false,
        zone,
        taint,
        terms: 0,
        mana: Default::default(),
    }
}

fn deploy(replicas: u32, cpu_m: u32, scheduling: SchedulingSpec) -> DeploymentSpec {
    DeploymentSpec {
        replicas,
        cpu_m,
        memory_mib: 128,
        scheduling,
        ..Default::default()
    }
}

fn run(w: &mut World, seconds: f64) {
    for _ in 0..(seconds / 0.01) as usize {
        w.step(0.01);
    }
}

fn priority(p: i32) -> SchedulingSpec {
    SchedulingSpec {
        priority: p,
        ..SchedulingSpec::default()
    }
}

fn events(w: &World, kind: EventKind) -> Vec<kuberack_core::world::events::Event> {
    w.events()
        .since(0)
        .1
        .filter(|e| e.kind == kind)
        .copied()
        .collect()
}

#[test]
fn preemption_deletes_the_documented_victim_and_nominates_the_node() {
    let mut w = world(5);
    w.apply_node_pool(1, pool(1, 2, 1, TaintEffect::None));
    w.apply_deployment(10, deploy(2, 1000, priority(100)));
    run(&mut w, 10.0);
    let low: Vec<Pod> = w.deployment_pods(10).copied().collect();
    assert!(low.iter().all(|p| p.ready));
    // One high-priority pod needing 1 core: removing both low pods fits it; reprieving the
    // more important one (equal priority: the earlier status.startTime, upstream's
    // GetPodStartTime) still fits, so the later-started one is the only victim.
    let later = low
        .iter()
        .max_by(|a, b| a.start_time.unwrap().total_cmp(&b.start_time.unwrap()))
        .unwrap();
    assert_ne!(low[0].start_time, low[1].start_time);
    w.apply_deployment(20, deploy(1, 1000, priority(10_000)));
    run(&mut w, 0.05);
    let preempted = events(&w, EventKind::PodPreempted);
    assert_eq!(preempted.len(), 1);
    assert_eq!(preempted[0].object, later.name());
    let high = *w.deployment_pods(20).next().unwrap();
    assert_eq!(preempted[0].value, high.meta.uid as i64);
    let nominated = events(&w, EventKind::PodNominated);
    assert_eq!(nominated.len(), 1);
    assert_eq!(nominated[0].object, high.name());
    let node = w.pool_node(1, 0).unwrap();
    assert_eq!(high.nominated_node, node);
    assert_eq!(
        nominated[0].to_json()["reason"],
        "Preempting",
        "{:?}",
        nominated[0]
    );
    assert_eq!(preempted[0].to_json()["reason"], "Preempted");
    // The victim terminates gracefully, then the preemptor binds to its nominated node.
    assert!(w.deployment_pods(10).any(|p| p.terminating));
    run(&mut w, 10.0);
    let high = *w.deployment_pods(20).next().unwrap();
    assert_eq!(high.node, node);
    assert!(high.ready);
    assert_eq!(w.stats().preemptions, 1);
    // The ReplicaSet replaced its victim; the replacement cannot preempt (lower priority).
    assert_eq!(events(&w, EventKind::PodPreempted).len(), 1);
}

#[test]
fn preemption_is_off_when_disabled_or_never() {
    for (enabled, never) in [(false, false), (true, true)] {
        let mut w = world(5);
        w.set_scheduler_config(SchedulerConfig {
            preemption: enabled,
            ..SchedulerConfig::default()
        });
        w.apply_node_pool(1, pool(1, 2, 1, TaintEffect::None));
        w.apply_deployment(10, deploy(2, 1000, priority(100)));
        run(&mut w, 10.0);
        let spec = SchedulingSpec {
            never_preempt: never,
            ..priority(10_000)
        };
        w.apply_deployment(20, deploy(1, 1000, spec));
        run(&mut w, 5.0);
        assert!(events(&w, EventKind::PodPreempted).is_empty());
        assert_eq!(w.deployment_pods(20).next().unwrap().node, NONE);
    }
}

#[test]
fn higher_priority_pods_are_scheduled_first() {
    let mut w = world(9);
    w.apply_node_pool(1, pool(1, 1, 1, TaintEffect::None));
    w.set_scheduler_config(SchedulerConfig {
        preemption: false,
        ..SchedulerConfig::default()
    });
    // Both created in the same step before the node is Ready; only one fits.
    w.apply_deployment(10, deploy(1, 800, priority(1)));
    w.apply_deployment(20, deploy(1, 800, priority(50)));
    run(&mut w, 5.0);
    assert!(w.deployment_pods(20).next().unwrap().node != NONE);
    assert_eq!(w.deployment_pods(10).next().unwrap().node, NONE);
}

#[test]
fn a_no_execute_taint_evicts_pods_that_do_not_tolerate_it() {
    let mut w = world(3);
    w.apply_node_pool(1, pool(2, 8, 1, TaintEffect::None));
    w.apply_deployment(10, deploy(3, 200, SchedulingSpec::default()));
    let tolerant = SchedulingSpec {
        tolerates_dedicated: true,
        ..SchedulingSpec::default()
    };
    w.apply_deployment(20, deploy(3, 200, tolerant));
    run(&mut w, 10.0);
    w.apply_node_pool(1, pool(2, 8, 1, TaintEffect::NoExecute));
    w.step(0.01);
    let evicted = events(&w, EventKind::TaintManagerEviction);
    assert_eq!(evicted.len(), 3);
    assert!(evicted.iter().all(|e| e.object.owner == 10));
    run(&mut w, 40.0);
    // The tolerant pods stay; the others' replacements cannot be scheduled anywhere.
    assert_eq!(w.deployment_pods(20).filter(|p| p.ready).count(), 3);
    assert!(w.deployment_pods(10).all(|p| p.node == NONE));
    assert_eq!(w.stats().taint_evictions, 3);
    // PreferNoSchedule and NoSchedule leave running pods alone.
    w.apply_node_pool(1, pool(2, 8, 1, TaintEffect::None));
    run(&mut w, 20.0);
    assert_eq!(w.deployment_pods(10).filter(|p| p.ready).count(), 3);
    w.apply_node_pool(1, pool(2, 8, 1, TaintEffect::NoSchedule));
    run(&mut w, 5.0);
    assert_eq!(w.deployment_pods(10).filter(|p| p.ready).count(), 3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Under DoNotSchedule the app's pods per zone never differ by more than maxSkew.
    #[test]
    fn topology_spread_never_exceeds_max_skew(
        zones in prop::collection::vec((1u8..=4, 1u32..4, 1u32..5), 1..5),
        replicas in 1u32..40,
        max_skew in 1u32..3,
        cpu_m in 100u32..1500,
        seed in 0u64..1000,
    ) {
        let mut w = world(seed);
        for (i, &(zone, count, cores)) in zones.iter().enumerate() {
            w.apply_node_pool(i as u32 + 1, pool(count, cores, zone, TaintEffect::None));
        }
        let spec = SchedulingSpec {
            spread: Some(SpreadConstraint {
                max_skew,
                key: TopologyKey::Zone,
                when: WhenUnsatisfiable::DoNotSchedule,
            }),
            ..SchedulingSpec::default()
        };
        w.apply_deployment(10, deploy(replicas, cpu_m, spec));
        for _ in 0..60 {
            w.step(0.1);
            let mut per_zone = [0u32; ZONES + 1];
            let mut has_nodes = [false; ZONES + 1];
            for (_, n) in w.nodes() {
                has_nodes[n.zone as usize] = true;
            }
            for p in w.deployment_pods(10) {
                if let Some(n) = w.node(p.node) {
                    per_zone[n.zone as usize] += 1;
                }
            }
            let counts = (1..=ZONES).filter(|&z| has_nodes[z]).map(|z| per_zone[z]);
            let (min, max) = counts.fold((u32::MAX, 0), |(a, b), c| (a.min(c), b.max(c)));
            prop_assert!(max - min.min(max) <= max_skew, "{per_zone:?}");
        }
    }
}

#[test]
fn victims_carry_the_preemption_condition_and_the_preemptor_binds_once_they_are_gone() {
    let mut w = world(5);
    w.apply_node_pool(1, pool(1, 2, 1, TaintEffect::None));
    w.apply_deployment(10, deploy(2, 1000, priority(100)));
    run(&mut w, 10.0);
    // Needing both cores, the high-priority pod preempts both low-priority pods.
    w.apply_deployment(20, deploy(1, 2000, priority(10_000)));
    run(&mut w, 0.05);
    assert_eq!(events(&w, EventKind::PodPreempted).len(), 2);
    let victims: Vec<Pod> = w
        .deployment_pods(10)
        .filter(|p| p.terminating)
        .copied()
        .collect();
    assert_eq!(victims.len(), 2);
    // The DisruptionTarget condition with reason PreemptionByScheduler: these, and only
    // these, keep their preemptor from preempting again while they terminate.
    assert!(victims.iter().all(|p| p.preempted));
    assert!(w
        .deployment_pods(10)
        .filter(|p| !p.terminating)
        .all(|p| !p.preempted));
    run(&mut w, 30.0);
    assert_eq!(events(&w, EventKind::PodPreempted).len(), 2);
    let high = *w.deployment_pods(20).next().unwrap();
    assert_eq!(high.node, w.pool_node(1, 0).unwrap());
}
