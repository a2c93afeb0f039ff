//! Services, bare pods and etcd in the world: Endpoints list only Ready, non-terminating
//! pods; a bare pod has no controller; the API server compacts etcd every five minutes.

use std::collections::BTreeSet;

use kuberack_core::world::events::EventKind;
use kuberack_core::world::*;

const POOL: u32 = 1;
const WEB: u32 = 2;
const SVC: u32 = 3;
const POD: u32 = 4;

fn world() -> World {
    let mut w = World::new(WorldConfig {
        seed: 11,
        max_pods: 256,
        max_nodes: 16,
        event_capacity: 8192,
    });
    w.apply_node_pool(
        POOL,
        NodePoolSpec {
            count: 2,
            cpu_m: 4000,
            memory_mib: 16 * 1024,
            pods: 110,
            cordoned: false,
            ..Default::default()
        },
    );
    w
}

fn web(replicas: u32) -> DeploymentSpec {
    DeploymentSpec::new(replicas, 250, 128)
}

fn selecting(tags: &[u32]) -> ServiceSpec {
    let mut spec = ServiceSpec::default();
    spec.selector[..tags.len()].copy_from_slice(tags);
    spec
}

fn endpoint_uids(w: &World, tag: u32) -> BTreeSet<u64> {
    let s = w.service(tag).unwrap();
    s.endpoints()
        .iter()
        .map(|&i| w.pod(i).unwrap().meta.uid)
        .collect()
}

/// What EndpointSlice semantics demand: the selected pods that are Ready and not terminating.
fn serving_uids(w: &World, tag: u32) -> BTreeSet<u64> {
    w.deployment_pods(tag)
        .filter(|p| p.ready && !p.terminating)
        .map(|p| p.meta.uid)
        .collect()
}

fn count(w: &World, kind: EventKind) -> usize {
    w.events().since(0).1.filter(|e| e.kind == kind).count()
}

#[test]
fn endpoints_are_the_ready_pods_and_never_not_ready_or_terminating_ones() {
    let mut w = world();
    w.apply_deployment(WEB, web(4));
    w.apply_service(SVC, selecting(&[WEB]));
    let mut saw_running_not_ready = false;
    let mut saw_terminating = false;
    for step in 0..3000 {
        if step == 1500 {
            w.apply_deployment(WEB, web(1));
        }
        w.step(0.01);
        assert_eq!(endpoint_uids(&w, SVC), serving_uids(&w, WEB), "step {step}");
        for p in w.deployment_pods(WEB) {
            saw_running_not_ready |= p.state == PodState::Running && !p.ready;
            saw_terminating |= p.terminating;
        }
        if step == 1499 {
            assert_eq!(w.service(SVC).unwrap().len, 4);
        }
        if step == 1500 {
            // Scale-down: the three victims are terminating at once, still listed as pods,
            // but no longer endpoints.
            assert_eq!(w.deployment_pods(WEB).filter(|p| p.terminating).count(), 3);
            assert_eq!(w.service(SVC).unwrap().len, 1);
        }
    }
    assert!(saw_running_not_ready && saw_terminating);
    // One EndpointSlice write per change, and every change is one write.
    let s = w.service(SVC).unwrap();
    assert_eq!(count(&w, EventKind::EndpointsUpdated), s.updates as usize);
    assert_eq!(s.updates, 5, "0 -> 1 -> 2 -> 3 -> 4 -> 1");
    assert_eq!(count(&w, EventKind::ServiceCreated), 1);
}

#[test]
fn a_service_selects_several_workloads_and_a_deleted_one_leaves_its_endpoints() {
    let mut w = world();
    w.apply_deployment(WEB, web(2));
    w.apply_pod(
        POD,
        BarePodSpec {
            cpu_m: 100,
            memory_mib: 64,
            incarnation: 1,
            ..Default::default()
        },
    );
    // The same Deployment twice counts once.
    w.apply_service(SVC, selecting(&[WEB, POD, WEB]));
    for _ in 0..1000 {
        w.step(0.01);
    }
    assert_eq!(w.service(SVC).unwrap().len, 3);
    let bare = w.bare_pod(POD).unwrap().meta.uid;
    assert!(endpoint_uids(&w, SVC).contains(&bare));
    w.delete_deployment(WEB);
    w.step(0.01);
    assert_eq!(endpoint_uids(&w, SVC), BTreeSet::from([bare]));
    w.apply_service(SVC, selecting(&[]));
    w.step(0.01);
    assert_eq!(w.service(SVC).unwrap().len, 0);
    assert_eq!(count(&w, EventKind::ServiceUpdated), 1);
    w.delete_service(SVC);
    assert!(w.service(SVC).is_none());
    assert_eq!(count(&w, EventKind::ServiceDeleted), 1);
}

#[test]
fn a_bare_pod_lives_by_its_gate_and_nothing_recreates_it_after_eviction() {
    let mut w = world();
    let spec = BarePodSpec {
        cpu_m: 500,
        memory_mib: 64,
        incarnation: 1,
        ..Default::default()
    };
    assert_eq!(w.bare_pod_status(POD), BarePodStatus::None);
    let mut seen = Vec::new();
    for _ in 0..1000 {
        w.apply_pod(POD, spec);
        w.step(0.01);
        let s = w.bare_pod_status(POD);
        if seen.last() != Some(&s) {
            seen.push(s);
        }
    }
    assert_eq!(
        seen,
        [
            BarePodStatus::Pending,
            BarePodStatus::Running { ready: false },
            BarePodStatus::Running { ready: true }
        ]
    );
    let pod = *w.bare_pod(POD).unwrap();
    assert_eq!(pod.name().to_string(), format!("pod-{POD}"));
    assert_eq!(w.node(pod.node).unwrap().requested_cpu_m, 500);
    assert_eq!(
        count(&w, EventKind::PodCreated),
        1,
        "one pod per incarnation"
    );

    // Gate low: graceful deletion, then gone.
    w.delete_pod(POD);
    assert_eq!(w.bare_pod_status(POD), BarePodStatus::Terminating);
    for _ in 0..3000 {
        w.step(0.01);
    }
    assert_eq!(w.bare_pod_status(POD), BarePodStatus::None);

    // A new incarnation is a new pod; an eviction leaves it Failed, and it stays gone.
    let again = BarePodSpec {
        incarnation: 2,
        ..spec
    };
    for _ in 0..1000 {
        w.apply_pod(POD, again);
        w.step(0.01);
    }
    assert_eq!(
        w.bare_pod_status(POD),
        BarePodStatus::Running { ready: true }
    );
    w.delete_node_pool(POOL);
    for _ in 0..100 {
        w.apply_pod(POD, again);
        w.step(0.01);
    }
    assert_eq!(w.bare_pod_status(POD), BarePodStatus::Failed);
    assert_eq!(count(&w, EventKind::PodEvicted), 1);
    assert_eq!(count(&w, EventKind::PodCreated), 2);
}

#[test]
fn the_api_server_compacts_etcd_every_five_minutes_up_to_the_previous_compaction() {
    let mut w = world();
    w.apply_deployment(WEB, web(2));
    for _ in 0..10 {
        w.external_write(9);
    }
    assert_eq!(count(&w, EventKind::ExternalWrite), 10);
    let mut compactions = Vec::new();
    for _ in 0..(2 * COMPACTION_INTERVAL as usize + 10) {
        w.step(1.0);
        if w.compactions() as usize > compactions.len() {
            let e = *w.events().get(w.revision()).unwrap();
            assert_eq!(e.kind, EventKind::Compaction);
            compactions.push(e);
        }
        if (w.time() as usize).is_multiple_of(50) {
            w.external_write(9);
        }
    }
    assert_eq!(compactions.len(), 2);
    assert!((compactions[0].time - COMPACTION_INTERVAL).abs() <= 1.0);
    // The first compaction only records where it is; the second compacts to that revision.
    assert_eq!(compactions[0].value, 0);
    assert_eq!(compactions[1].value as u64, compactions[0].revision);
    assert_eq!(w.events().compacted_revision(), compactions[0].revision);
    assert_eq!(w.events().oldest_revision(), compactions[0].revision + 1);
    assert!(w.events().get(compactions[0].revision).is_none());
    assert!(w.events().get(compactions[1].revision).is_some());
}

mod property {
    use super::*;
    use proptest::prelude::*;

    const DEPLOYMENTS: [u32; 2] = [10, 11];
    const BARE: u32 = 20;
    const SERVICE: u32 = 30;

    #[derive(Debug, Clone)]
    enum Op {
        Nodes(u32),
        Scale(usize, u32),
        Gate(bool),
        Select(u8),
        Step(f64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u32..4).prop_map(Op::Nodes),
            (0usize..2, 0u32..12).prop_map(|(d, r)| Op::Scale(d, r)),
            any::<bool>().prop_map(Op::Gate),
            (0u8..8).prop_map(Op::Select),
            (0.0f64..3.0).prop_map(Op::Step),
        ]
    }

    /// The selector a bit mask stands for: Deployment 10, Deployment 11, the bare pod.
    fn selector(mask: u8) -> Vec<u32> {
        [DEPLOYMENTS[0], DEPLOYMENTS[1], BARE]
            .into_iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, t)| t)
            .collect()
    }

    /// The selected serving pods in selector order, each workload's oldest first, at most
    /// `MAX_ENDPOINTS` (the one EndpointSlice's capacity here).
    fn expected(w: &World, mask: u8) -> BTreeSet<u64> {
        let mut uids: Vec<u64> = Vec::new();
        for tag in selector(mask) {
            let pods: Vec<&Pod> = if tag == BARE {
                w.bare_pod(BARE).into_iter().collect()
            } else {
                w.deployment_pods(tag).collect()
            };
            for p in pods {
                if p.ready && !p.terminating && !uids.contains(&p.meta.uid) {
                    uids.push(p.meta.uid);
                }
            }
        }
        uids.truncate(MAX_ENDPOINTS);
        uids.into_iter().collect()
    }

    proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn endpoints_are_always_exactly_the_ready_non_terminating_selected_pods(
                ops in prop::collection::vec(op(), 1..40)
            ) {
                let mut w = world();
                let mut mask = 0b111;
                let mut gate = true;
                let mut incarnation = 1;
                for d in DEPLOYMENTS {
                    w.apply_deployment(d, web(3));
                }
                w.apply_service(SERVICE, selecting(&selector(mask)));
                for op in &ops {
                    match *op {
                        Op::Nodes(n) => w.apply_node_pool(POOL, NodePoolSpec {
                            count: n,
                            cpu_m: 2000,
                            memory_mib: 8192,
                            pods: 110,
                            cordoned: false,
                        ..Default::default()
    }),
                        Op::Scale(d, r) => w.apply_deployment(DEPLOYMENTS[d], web(r)),
                        Op::Gate(g) => {
                            incarnation += u32::from(g && !gate);
                            gate = g;
                        }
                        Op::Select(m) => {
                            mask = m;
                            w.apply_service(SERVICE, selecting(&selector(mask)));
                        }
                        Op::Step(s) => {
                            for _ in 0..(s / 0.05) as usize {
                                if gate {
                                    w.apply_pod(BARE, BarePodSpec { cpu_m: 300, memory_mib: 64, incarnation, fault: false });
                                } else {
                                    w.delete_pod(BARE);
                                }
                                w.step(0.05);
                                prop_assert_eq!(endpoint_uids(&w, SERVICE), expected(&w, mask));
                            }
                        }
                    }
                }
                w.step(0.05);
                prop_assert_eq!(endpoint_uids(&w, SERVICE), expected(&w, mask));
                let s = w.service(SERVICE).unwrap();
                prop_assert_eq!(count(&w, EventKind::EndpointsUpdated), s.updates as usize);
            }
        }
}
