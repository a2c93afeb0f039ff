//! Kueue inside the world: queued Jobs start suspended, run when admitted, are suspended
//! again when preempted, land on their flavor's nodes, and release quota when they end.

mod world;

use kuberack_core::forge::Essence;
use kuberack_core::kueue::PreemptionPolicy;
use kuberack_core::world::constraints::SchedulingSpec;
use kuberack_core::world::events::EventKind;
use kuberack_core::world::mana::{essence_index, Mana};
use kuberack_core::world::queueing::*;
use kuberack_core::world::{workload_name, Job, JobCondition, JobSpec, World, NONE};
use world::{essence_queue, mana_pool, run, world};

const CQ: u32 = 40;

fn queued(queue: u32, cpu_m: u32, parallelism: u32, priority: i32) -> JobSpec {
    JobSpec {
        completions: parallelism,
        parallelism,
        cpu_m,
        run_seconds: 20.0,
        scheduling: SchedulingSpec {
            priority,
            ..SchedulingSpec::default()
        },
        queueing: JobQueueing {
            queue,
            priority_class: 0,
        },
        ..JobSpec::default()
    }
}

fn trace(w: &World, job: u32) -> Vec<&'static str> {
    let names = [Job::name(job), workload_name(job)];
    w.events()
        .since(0)
        .1
        .filter(|e| names.contains(&e.object))
        .map(|e| e.kind.name())
        .collect()
}

fn cpu_queue(cpu_m: u32, within: PreemptionPolicy) -> ClusterQueueConfig {
    ClusterQueueConfig {
        cpu_m,
        memory_mib: 64 * 1024,
        within_cluster_queue: within,
        ..ClusterQueueConfig::default()
    }
}

#[test]
fn a_queued_job_waits_suspended_until_admitted_then_runs_and_finishes_its_workload() {
    let mut w = world(9);
    w.apply_node_pool(1, mana_pool(2, Mana::NONE));
    run(&mut w, 3.0);
    // The Job names a queue that does not exist yet: it stays suspended, without pods.
    let job = w.create_job(queued(CQ, 1000, 2, 0)).unwrap();
    run(&mut w, 2.0);
    assert!(w.job(job).unwrap().suspended);
    assert_eq!(w.job_pods(job).count(), 0);
    w.apply_cluster_queue(CQ, cpu_queue(4000, PreemptionPolicy::Never));
    run(&mut w, 1.0);
    let j = *w.job(job).unwrap();
    assert!(!j.suspended);
    assert!(j.admitted_at.is_some());
    let status = w.cluster_queue_status(CQ).unwrap();
    assert_eq!(
        (status.admitted, status.pending, status.admissions),
        (1, 0, 1)
    );
    assert!((status.usage[0] - 0.5).abs() < 1e-6, "{status:?}");
    run(&mut w, 40.0);
    assert_eq!(w.job(job).unwrap().condition, Some(JobCondition::Complete));
    let status = w.cluster_queue_status(CQ).unwrap();
    assert_eq!((status.admitted, status.usage[0]), (0, 0.0));
    let t = trace(&w, job);
    let order = [
        "JobCreated",
        "CreatedWorkload",
        "QuotaReserved",
        "Admitted",
        "Resumed",
        "Completed",
        "Finished",
    ];
    let mut at = 0;
    for want in order {
        at += t[at..]
            .iter()
            .position(|k| *k == want)
            .unwrap_or_else(|| panic!("{want} missing after {at} in {t:?}"));
    }
}

#[test]
fn quota_holds_back_a_second_job_until_the_first_releases_it() {
    let mut w = world(9);
    w.apply_node_pool(1, mana_pool(2, Mana::NONE));
    w.apply_cluster_queue(CQ, cpu_queue(2000, PreemptionPolicy::Never));
    run(&mut w, 3.0);
    let a = w.create_job(queued(CQ, 1000, 2, 0)).unwrap();
    run(&mut w, 0.5);
    let b = w.create_job(queued(CQ, 1000, 1, 0)).unwrap();
    run(&mut w, 5.0);
    assert!(!w.job(a).unwrap().suspended);
    assert!(w.job(b).unwrap().suspended);
    assert_eq!(w.cluster_queue_status(CQ).unwrap().pending, 1);
    let pending = w
        .events()
        .since(0)
        .1
        .find(|e| e.kind == EventKind::WorkloadPending && e.object == workload_name(b))
        .expect("b pending");
    assert_eq!(pending.to_json()["message"], "WaitingForQuota");
    run(&mut w, 40.0);
    assert!(w.job(a).unwrap().condition.is_some());
    assert!(w.job(b).unwrap().admitted_at.unwrap() >= 20.0);
}

#[test]
fn lower_priority_preemption_suspends_the_victim_and_requeues_it() {
    let mut w = world(9);
    w.apply_node_pool(1, mana_pool(2, Mana::NONE));
    w.apply_cluster_queue(CQ, cpu_queue(2000, PreemptionPolicy::LowerPriority));
    run(&mut w, 3.0);
    let low = w.create_job(queued(CQ, 1000, 2, 100)).unwrap();
    run(&mut w, 8.0);
    assert!(w.job_pods(low).all(|p| p.node != NONE));
    let high = w.create_job(queued(CQ, 1000, 2, 10_000)).unwrap();
    run(&mut w, 0.5);
    let l = *w.job(low).unwrap();
    assert!(l.suspended);
    assert_eq!(l.preemptions, 1);
    assert!(w.job_pods(low).all(|p| p.terminating));
    assert!(!w.job(high).unwrap().suspended);
    let t = trace(&w, low);
    for want in [
        "Preempted",
        "EvictedDueToPreempted",
        "Suspended",
        "Requeued",
    ] {
        assert!(t.contains(&want), "{want} in {t:?}");
    }
    let status = w.cluster_queue_status(CQ).unwrap();
    assert_eq!(status.preemptions, 1);
    // The preemptor completes; the victim is admitted again and completes too.
    run(&mut w, 80.0);
    assert_eq!(w.job(high).unwrap().condition, Some(JobCondition::Complete));
    assert_eq!(w.job(low).unwrap().condition, Some(JobCondition::Complete));
    assert_eq!(w.job(low).unwrap().admissions, 2);
}

#[test]
fn admitted_pods_land_on_their_flavor_and_mana_quota_is_respected() {
    let mut w = world(9);
    w.apply_node_pool(1, mana_pool(2, Mana::of(Essence::Fire, 8)));
    w.apply_node_pool(2, mana_pool(2, Mana::of(Essence::Frost, 8)));
    w.apply_node_pool(3, mana_pool(1, Mana::NONE));
    w.apply_cluster_queue(CQ, essence_queue(6, PreemptionPolicy::Never));
    run(&mut w, 3.0);
    let essence_job = |e: Essence, amount: u32| {
        let i = essence_index(e);
        JobSpec {
            mana: Mana::of(e, amount),
            scheduling: SchedulingSpec {
                node_selector_energy: i,
                tolerates_energy: i,
                ..SchedulingSpec::default()
            },
            ..queued(CQ, 100, 1, 0)
        }
    };
    let fire = w.create_job(essence_job(Essence::Fire, 4)).unwrap();
    let frost = w.create_job(essence_job(Essence::Frost, 5)).unwrap();
    // 4 + 4 > 6: the second fire Job waits for quota although the nodes have 16 fire.
    let fire2 = w.create_job(essence_job(Essence::Fire, 4)).unwrap();
    run(&mut w, 8.0);
    assert!(w.job(fire2).unwrap().suspended);
    for (job, pool) in [(fire, 1), (frost, 2)] {
        let nodes: Vec<u32> = w.pool_nodes(pool).collect();
        for p in w.job_pods(job) {
            assert!(nodes.contains(&p.node), "job {job} off its flavor: {p:?}");
        }
    }
    let admitted = w.kueue().workload(w.job(frost).unwrap().workload).unwrap();
    let flavor = w
        .kueue()
        .pod_set_flavor(w.job(frost).unwrap().workload, 0)
        .unwrap();
    assert!(admitted.is_admitted());
    assert_eq!(flavor.name, "frost");
    run(&mut w, 40.0);
    assert!(!w.job(fire2).unwrap().suspended);
}

#[test]
fn two_queues_in_a_cohort_borrow_and_a_deleted_queue_terminates() {
    let mut w = world(9);
    w.apply_node_pool(1, mana_pool(4, Mana::NONE));
    let other = CQ + 1;
    let member = |cpu_m| ClusterQueueConfig {
        cohort_root: Some(CQ),
        ..cpu_queue(cpu_m, PreemptionPolicy::Never)
    };
    w.apply_cluster_queue(CQ, member(2000));
    w.apply_cluster_queue(other, member(2000));
    run(&mut w, 3.0);
    // 3 cores in CQ: 1 borrowed from the idle other queue.
    let job = w.create_job(queued(CQ, 1000, 3, 0)).unwrap();
    run(&mut w, 1.0);
    assert!(!w.job(job).unwrap().suspended);
    assert!(w.cluster_queue_status(CQ).unwrap().borrowing);
    w.delete_cluster_queue(CQ);
    assert!(w.cluster_queue_status(CQ).unwrap().terminating);
    run(&mut w, 40.0);
    assert!(
        w.cluster_queue_status(CQ).is_none(),
        "gone once its Job ended"
    );
    let kinds: Vec<_> = w
        .events()
        .since(0)
        .1
        .filter(|e| e.object == cluster_queue_name(CQ))
        .map(|e| e.kind.name())
        .collect();
    assert_eq!(kinds, ["ClusterQueueCreated", "ClusterQueueDeleted"]);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Random essence Jobs through one ClusterQueue of three flavors: every pod of an
        /// admitted workload runs on its flavor's nodes, the queue's mana quota per flavor
        /// holds, and no node's mana is over-committed.
        #[test]
        fn admitted_pods_stay_on_their_flavor_within_quota(
            mana_quota in 2u32..12,
            jobs in proptest::collection::vec((0usize..3, 1u32..6, 1u32..3, 0i32..3), 1..12),
        ) {
            let mut w = world(9);
            for (i, e) in [Essence::Fire, Essence::Frost, Essence::Arcane].into_iter().enumerate() {
                w.apply_node_pool(i as u32 + 1, mana_pool(2, Mana::of(e, 8)));
            }
            w.apply_cluster_queue(CQ, essence_queue(mana_quota, PreemptionPolicy::LowerPriority));
            run(&mut w, 3.0);
            let essences = [Essence::Fire, Essence::Frost, Essence::Arcane];
            for &(e, amount, parallelism, priority) in &jobs {
                let i = essence_index(essences[e]);
                let spec = JobSpec {
                    mana: Mana::of(essences[e], amount),
                    scheduling: SchedulingSpec {
                        node_selector_energy: i,
                        tolerates_energy: i,
                        priority: priority * 100,
                        ..SchedulingSpec::default()
                    },
                    ..queued(CQ, 100, parallelism, priority * 100)
                };
                w.create_job(spec);
                for _ in 0..50 {
                    w.step(0.02);
                    check(&w, mana_quota);
                }
            }
            for _ in 0..2000 {
                w.step(0.05);
                check(&w, mana_quota);
            }
            let admissible = jobs.iter().any(|&(_, a, p, _)| a * p <= mana_quota);
            let completed = w.jobs().any(|(_, j)| j.condition == Some(JobCondition::Complete));
            prop_assert!(completed || !admissible, "nothing ran");
        }
    }

    fn check(w: &World, mana_quota: u32) {
        let mut used = [0u32; 4];
        for (id, job) in w.jobs() {
            let Some(wl) = w.kueue().workload(job.workload) else {
                continue;
            };
            if !wl.is_admitted() || wl.is_finished() {
                continue;
            }
            let flavor = w.kueue().pod_set_flavor(job.workload, 0).unwrap();
            let e = usize::from(job.spec.mana.essence);
            assert_eq!(
                Some(flavor.name),
                ["", "fire", "frost", "arcane"].get(e).copied()
            );
            used[e] += job.spec.mana.amount * job.spec.parallelism;
            for p in w.job_pods(id).filter(|p| p.node != NONE && !p.terminating) {
                let node = w.node(p.node).unwrap();
                assert_eq!(
                    node.mana.essence, job.spec.mana.essence,
                    "pod off its flavor"
                );
            }
        }
        for u in &used[1..] {
            assert!(
                *u <= mana_quota,
                "mana quota exceeded: {used:?} > {mana_quota}"
            );
        }
        for (_, node) in w.nodes() {
            assert!(node.requested_mana <= node.mana.amount, "{node:?}");
        }
    }
}
