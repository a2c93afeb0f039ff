//! process() allocates nothing with a NODE at 1,000 nodes and a DEPLOYMENT at 5,000 replicas
//! (poly outputs summarising 16 slices, the hub publishing a large pool, the display in
//! columns of nodes), while the pool shrinks and grows, its DOWN channels move and the
//! Deployment rolls out.

mod counting;
mod rig;

use rig::Rig;

// One test function: the counter is process-wide, so nothing else may run meanwhile.
#[test]
fn a_1000_node_pool_and_a_5000_replica_deployment_process_without_allocating() {
    let (mut rig, _hub, node, dep) = Rig::basic();
    rig.param(node, "COUNT", 1000.0);
    rig.param(node, "CPU", 32.0);
    rig.param(dep, "REPLICAS", 5000.0);
    rig.run(3.0);
    // The pool's 1,000 nodes on 16 channels, each slice carrying pods.
    assert_eq!(rig.channels(node, "UTIL"), 16);
    assert!(
        rig.out(dep, "READY", 0) >= 9.9,
        "the Deployment has 120 or more Ready pods"
    );
    for ch in 0..16 {
        assert!(rig.out(node, "UTIL", ch) > 0.0, "slice {ch} carries pods");
    }
    counting::arm();
    for i in 0..96_000usize {
        match i {
            0 => rig.param(node, "COUNT", 990.0),
            24_000 => rig.param(dep, "CPU", 30.0),
            48_000 => rig.param(node, "COUNT", 1000.0),
            _ => {}
        }
        rig.step();
    }
    let allocations = counting::disarm();
    assert_eq!(allocations, 0, "heap operations while a large pool churned");
}
