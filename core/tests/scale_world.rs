//! The world at Kubernetes' scale limits (5,000 nodes, 150,000 pods): it gets there, and
//! then steps with churn (a rollout, nodes removed and added back) without allocating.

mod counting;

use kuberack_core::world::scale::*;
use kuberack_core::world::{NodePoolSpec, World};

// One test function: the counter is process-wide, so nothing else may run meanwhile.
#[test]
fn the_scale_world_reaches_150000_ready_pods_and_churns_without_allocating() {
    let mut w = World::new(scale_world_config(5));
    let took = build_scale_world(&mut w, 0.1, 600.0);
    let total = SCALE_POOLS * SCALE_POOL_NODES;
    assert_eq!(w.node_count(), total as usize);
    let pods = SCALE_DEPLOYMENTS * SCALE_REPLICAS;
    assert_eq!(w.pod_count(), pods as usize, "after {took} simulated s");
    let ready: u32 = (0..SCALE_DEPLOYMENTS)
        .map(|i| w.deployment(scale_deployment_tag(i)).unwrap().ready)
        .sum();
    assert_eq!(ready, pods);
    // No node over its pod capacity, every pod's requests within its node's allocatable.
    for (_, n) in w.nodes() {
        assert!(n.pod_count <= n.allocatable_pods);
        assert!(n.requested_cpu_m <= n.allocatable_cpu_m);
    }

    let before = *w.stats();
    counting::arm();
    for second in 0..2u32 {
        w.apply_deployment(
            scale_deployment_tag(second),
            scale_deployment_spec(second + 1),
        );
        let shrunk = NodePoolSpec {
            count: SCALE_POOL_NODES - 10 * (1 - second),
            ..scale_pool_spec(0)
        };
        w.apply_node_pool(scale_pool_tag(0), shrunk);
        for _ in 0..1500 {
            w.step(1.0 / 1500.0);
        }
    }
    let allocations = counting::disarm();
    assert_eq!(
        allocations, 0,
        "heap operations while the scale world churned"
    );
    let after = w.stats();
    assert!(
        after.evictions - before.evictions > 0,
        "removing nodes evicted pods"
    );
    assert!(
        after.pods_created - before.pods_created > 1000,
        "the rollouts created pods"
    );
}
