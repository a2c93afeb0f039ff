//! Property tests of the world's invariants under random operations.

use kuberack_core::world::{DeploymentSpec, NodePoolSpec, World, WorldConfig, NONE};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Pool {
        tag: u32,
        count: u32,
        cores: u32,
        gib: u32,
        cordoned: bool,
    },
    DeletePool {
        tag: u32,
    },
    Deploy {
        tag: u32,
        replicas: u32,
        cpu_m: u32,
        memory_mib: u32,
    },
    DeleteDeployment {
        tag: u32,
    },
    Step {
        seconds: f64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            1u32..4,
            0u32..5,
            1u32..9,
            1u32..17,
            prop::bool::weighted(0.15)
        )
            .prop_map(|(tag, count, cores, gib, cordoned)| {
                Op::Pool {
                    tag,
                    count,
                    cores,
                    gib,
                    cordoned,
                }
            }),
        (1u32..4).prop_map(|tag| Op::DeletePool { tag }),
        (10u32..13, 0u32..20, 50u32..3000, 64u32..4096).prop_map(
            |(tag, replicas, cpu_m, memory_mib)| Op::Deploy {
                tag,
                replicas,
                cpu_m,
                memory_mib
            }
        ),
        (10u32..13).prop_map(|tag| Op::DeleteDeployment { tag }),
        (0.0f64..5.0).prop_map(|seconds| Op::Step { seconds }),
    ]
}

fn apply(w: &mut World, op: &Op) {
    match *op {
        Op::Pool {
            tag,
            count,
            cores,
            gib,
            cordoned,
        } => w.apply_node_pool(
            tag,
            NodePoolSpec {
                count,
                cpu_m: cores * 1000,
                memory_mib: gib * 1024,
                pods: 110,
                cordoned,
                ..Default::default()
            },
        ),
        Op::DeletePool { tag } => w.delete_node_pool(tag),
        Op::Deploy {
            tag,
            replicas,
            cpu_m,
            memory_mib,
        } => w.apply_deployment(tag, DeploymentSpec::new(replicas, cpu_m, memory_mib)),
        Op::DeleteDeployment { tag } => w.delete_deployment(tag),
        Op::Step { seconds } => {
            let mut t = 0.0;
            while t < seconds {
                w.step(0.05);
                t += 0.05;
            }
        }
    }
}

/// Every bookkeeping number agrees with the objects, and no node is over-committed.
fn check_invariants(w: &World) {
    for (index, node) in w.nodes() {
        let pods: Vec<_> = w.node_pods(index).collect();
        let cpu: u32 = pods.iter().map(|p| p.cpu_m).sum();
        let mem: u32 = pods.iter().map(|p| p.memory_mib).sum();
        assert_eq!(cpu, node.requested_cpu_m, "node cpu bookkeeping");
        assert_eq!(mem, node.requested_memory_mib, "node memory bookkeeping");
        assert_eq!(pods.len() as u32, node.pod_count);
        assert!(
            node.requested_cpu_m <= node.allocatable_cpu_m,
            "cpu over-committed: {node:?}"
        );
        assert!(
            node.requested_memory_mib <= node.allocatable_memory_mib,
            "memory over-committed"
        );
        assert!(node.pod_count <= node.allocatable_pods);
        assert!(pods.iter().all(|p| p.node == index));
    }
    let pending = w
        .pods()
        .filter(|(_, p)| p.node == NONE && p.is_active())
        .count();
    assert_eq!(pending as u32, w.pending_pods());
    for tag in 10..13 {
        if let Some(d) = w.deployment(tag) {
            let active = w.deployment_pods(tag).filter(|p| p.is_active()).count() as u32;
            let ready = w
                .deployment_pods(tag)
                .filter(|p| p.is_active() && p.ready)
                .count() as u32;
            assert_eq!(active, d.active, "active bookkeeping of {tag}");
            assert_eq!(ready, d.ready, "ready bookkeeping of {tag}");
            for rs in d.replica_sets() {
                let mine = || {
                    w.deployment_pods(tag)
                        .filter(|p| p.template_hash == rs.hash)
                };
                let active = mine().filter(|p| p.is_active()).count() as u32;
                let ready = mine().filter(|p| p.is_active() && p.ready).count() as u32;
                assert_eq!(
                    active, rs.active,
                    "active bookkeeping of {tag} rs {}",
                    rs.hash
                );
                assert_eq!(ready, rs.ready, "ready bookkeeping of {tag} rs {}", rs.hash);
                assert_eq!(
                    mine().count() as u32,
                    rs.pods,
                    "pods of {tag} rs {}",
                    rs.hash
                );
            }
        }
    }
}

/// Pods of one size that fit on the nodes, packed per node.
fn capacity(w: &World, cpu_m: u32, memory_mib: u32) -> u32 {
    w.nodes()
        .filter(|(_, n)| !n.unschedulable)
        .map(|(_, n)| {
            (n.allocatable_cpu_m / cpu_m)
                .min(n.allocatable_memory_mib / memory_mib)
                .min(n.allocatable_pods)
        })
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn bookkeeping_holds_and_no_node_is_over_committed(seed in 0u64..1000, ops in prop::collection::vec(op(), 1..40)) {
        let mut w = World::new(WorldConfig { seed, max_pods: 256, max_nodes: 32, event_capacity: 1024 });
        for op in &ops {
            apply(&mut w, op);
            w.step(0.01);
            check_invariants(&w);
        }
    }

    #[test]
    fn a_deployment_converges_to_replicas_or_to_what_fits(
        seed in 0u64..1000,
        ops in prop::collection::vec(op(), 0..20),
        nodes in 1u32..5,
        cores in 1u32..9,
        replicas in 0u32..30,
        cpu_m in 100u32..2500,
    ) {
        let mut w = World::new(WorldConfig { seed, max_pods: 256, max_nodes: 32, event_capacity: 1024 });
        for op in &ops {
            apply(&mut w, op);
        }
        // Then a settled, known cluster: only our pool and our Deployment.
        for tag in 1..4 { w.delete_node_pool(tag); }
        for tag in 10..13 { w.delete_deployment(tag); }
        w.apply_node_pool(1, NodePoolSpec { count: nodes, cpu_m: cores * 1000, memory_mib: 64 * 1024, pods: 110, cordoned: false, ..Default::default() });
        w.apply_deployment(10, DeploymentSpec::new(replicas, cpu_m, 128));
        apply(&mut w, &Op::Step { seconds: 120.0 });
        check_invariants(&w);
        let fits = capacity(&w, cpu_m, 128);
        let d = w.deployment(10).unwrap();
        prop_assert_eq!(d.active, replicas);
        prop_assert_eq!(d.ready, replicas.min(fits), "replicas {} fits {}", replicas, fits);
        prop_assert_eq!(w.pending_pods(), replicas.saturating_sub(fits));
    }

    #[test]
    fn unplugging_a_pool_reschedules_its_pods_where_they_fit(
        seed in 0u64..1000,
        replicas in 1u32..16,
        cpu_m in 100u32..1500,
    ) {
        let mut w = World::new(WorldConfig { seed, max_pods: 256, max_nodes: 32, event_capacity: 1024 });
        let spec = NodePoolSpec { count: 2, cpu_m: 4000, memory_mib: 16 * 1024, pods: 110, cordoned: false, ..Default::default() };
        w.apply_node_pool(1, spec);
        w.apply_node_pool(2, spec);
        w.apply_deployment(10, DeploymentSpec::new(replicas, cpu_m, 128));
        apply(&mut w, &Op::Step { seconds: 30.0 });
        let on_pool_1: usize = w.pool_nodes(1).take(2).map(|n| w.node_pods(n).count()).sum();
        w.delete_node_pool(1);
        prop_assert_eq!(w.stats().evictions as usize, on_pool_1);
        apply(&mut w, &Op::Step { seconds: 60.0 });
        check_invariants(&w);
        let fits = capacity(&w, cpu_m, 128);
        prop_assert_eq!(w.deployment(10).unwrap().ready, replicas.min(fits));
        for (index, _) in w.nodes() {
            prop_assert_eq!(w.node(index).unwrap().pool, 2);
        }
    }
}
