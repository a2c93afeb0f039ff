//! The SCHEDULER and AUTOSCALER modules through the hub: what their knobs change in the
//! world, and what their outputs and lights show.

mod rig;

use rig::Rig;

/// Nodes of the world holding at least one pod.
fn nodes_in_use(rig: &Rig, hub: usize) -> usize {
    let w = rig.hub_world(hub);
    w.nodes()
        .filter(|(i, _)| w.node_pods(*i).next().is_some())
        .count()
}

#[test]
fn a_scheduler_joins_its_hub_and_its_strategy_spreads_or_bin_packs() {
    // Four bare pods of a quarter node each (cpu and memory alike, so BalancedAllocation is
    // indifferent; bare pods get no default topology spread). LeastAllocated spreads them
    // over the four nodes, MostAllocated packs them onto one.
    for (strategy, expected_nodes) in [(0.0, 4), (1.0, 1)] {
        let (mut rig, hub, node, dep) = Rig::basic();
        rig.param(node, "COUNT", 4.0);
        rig.param(dep, "REPLICAS", 0.0);
        let sched = rig.add("Scheduler");
        rig.connect(hub, "API", sched, "API");
        rig.param(sched, "STRATEGY", strategy);
        let pods: Vec<usize> = (0..4).map(|_| rig.add("Pod")).collect();
        for &pod in &pods {
            rig.connect(hub, "API", pod, "API");
            rig.param(pod, "CPU", 100.0); // 1000m of 4 cores
            rig.param(pod, "MEMORY", 256.0); // 4 GiB of 16
        }
        rig.run(5.0);
        assert_eq!(rig.light(sched, "ACTIVE"), 1.0, "the SCHEDULER is in force");
        let mut binds = 0;
        let mut high = false;
        for &pod in &pods {
            rig.drive(pod, "GATE", 10.0);
            rig.run_with(2.0, |r| {
                let v = r.out(sched, "BIND", 0) > 5.0;
                binds += usize::from(v && !high);
                high = v;
            });
        }
        assert_eq!(binds, 4, "a BIND trigger per pod bound");
        assert_eq!(
            nodes_in_use(&rig, hub),
            expected_nodes,
            "strategy {strategy}"
        );
    }
}

#[test]
fn the_lowest_tagged_scheduler_configures_the_hub() {
    let (mut rig, hub, _node, _dep) = Rig::basic();
    let first = rig.add("Scheduler");
    let second = rig.add("Scheduler");
    rig.connect(hub, "API", first, "API");
    rig.connect(hub, "API", second, "API");
    rig.param(second, "PREEMPTION", 0.0);
    rig.run(2.0);
    assert_eq!(rig.light(first, "ACTIVE"), 1.0);
    assert_eq!(rig.light(second, "ACTIVE"), 0.0);
    assert!(rig.hub_world(hub).scheduler_config().preemption);
    rig.disconnect(first, "API");
    rig.run(1.0);
    assert_eq!(rig.light(second, "ACTIVE"), 1.0);
    assert!(!rig.hub_world(hub).scheduler_config().preemption);
}

/// A hub, a pool of 4-core nodes under an AUTOSCALER (fast latencies), and a Deployment of
/// 1-core pods.
fn autoscaled() -> (Rig, usize, usize, usize, usize) {
    let (mut rig, hub, node, dep) = Rig::basic();
    rig.param(node, "COUNT", 1.0);
    rig.param(node, "CPU", 4.0);
    rig.param(dep, "CPU", 100.0); // 1000m
    rig.param(dep, "REPLICAS", 1.0);
    let auto = rig.add("Autoscaler");
    rig.connect(hub, "API", auto, "API");
    rig.connect(node, "POOL", auto, "POOL");
    rig.param(auto, "LAUNCH", 2.0);
    rig.param(auto, "INIT", 1.0);
    rig.param(auto, "UP_WINDOW", 1.0);
    rig.param(auto, "DOWN_WINDOW", 10.0);
    rig.run(5.0);
    (rig, hub, node, dep, auto)
}

#[test]
fn an_autoscaler_grows_its_pool_for_pending_pods_and_shrinks_it_when_idle() {
    let (mut rig, hub, _node, dep, auto) = autoscaled();
    assert_eq!(rig.out(auto, "NODES", 0), 0.625, "the pool's node, adopted");
    rig.param(dep, "REPLICAS", 10.0);
    let mut ups = 0;
    let mut high = false;
    let mut saw_launched = false;
    rig.run_with(20.0, |r| {
        let v = r.out(auto, "SCALE_UP", 0) > 5.0;
        ups += usize::from(v && !high);
        high = v;
        saw_launched |= r.light(auto, "LAUNCHED") > 0.5;
    });
    assert_eq!(ups, 1, "one scale-up");
    assert!(
        saw_launched,
        "the LAUNCHED light showed the claims coming up"
    );
    assert_eq!(rig.out(auto, "NODES", 0), 3.0 * 0.625);
    assert_eq!(rig.light(auto, "READY"), 1.0);
    assert_eq!(rig.out(auto, "PENDING", 0), 0.0);
    assert_eq!(rig.out(dep, "READY", 0), 10.0 / 12.0);
    assert_eq!(rig.hub_world(hub).pool(2).unwrap().len, 3);
    // Idle: drained and removed one at a time, down to minNodes (1).
    rig.param(dep, "REPLICAS", 1.0);
    let mut downs = 0;
    let mut high = false;
    rig.run_with(60.0, |r| {
        let v = r.out(auto, "SCALE_DOWN", 0) > 5.0;
        downs += usize::from(v && !high);
        high = v;
    });
    assert_eq!(downs, 2);
    assert_eq!(rig.out(auto, "NODES", 0), 0.625);
}

#[test]
fn limits_and_failed_launches_block_with_a_reason_light() {
    let (mut rig, _hub, _node, dep, auto) = autoscaled();
    rig.param(auto, "MAX", 2.0);
    rig.param(dep, "REPLICAS", 12.0);
    rig.run(20.0);
    assert_eq!(rig.out(auto, "BLOCKED", 0), 10.0);
    assert_eq!(rig.light(auto, "MAX_NODES"), 1.0);
    assert_eq!(rig.light(auto, "LIMIT"), 0.0);
    assert!(rig.out(auto, "PENDING", 0) > 0.0);
    // More room, but the cloud has no capacity: every attempt times out.
    rig.param(auto, "MAX", 8.0);
    rig.param(auto, "TIMEOUT", 10.0);
    rig.param(auto, "ATTEMPTS", 2.0);
    rig.drive(auto, "FAULT", 10.0);
    rig.run(30.0);
    assert_eq!(rig.light(auto, "LAUNCH_FAILED"), 1.0);
    assert_eq!(rig.out(auto, "BLOCKED", 0), 10.0);
}

#[test]
fn without_its_pool_cable_the_pool_follows_its_count_again() {
    let (mut rig, hub, node, dep, auto) = autoscaled();
    rig.param(dep, "REPLICAS", 8.0);
    rig.run(20.0);
    assert_eq!(rig.hub_world(hub).pool(2).unwrap().len, 2);
    rig.disconnect(auto, "POOL");
    rig.param(node, "COUNT", 3.0);
    rig.run(5.0);
    assert_eq!(rig.out(auto, "NODES", 0), 0.0);
    assert!(rig.hub_world(hub).autoscaler(2).is_none());
    assert_eq!(rig.hub_world(hub).pool(2).unwrap().len, 3, "COUNT governs");
    assert_eq!(rig.out(dep, "READY", 0), 8.0 / 12.0);
}
