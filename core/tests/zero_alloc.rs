//! process() of every module allocates nothing after warm-up, while the world churns:
//! replicas swept by an LFO, node pools resized, cables pulled and replugged.

mod counting;
mod rig;

use kuberack_core::forge::{Tier, ESSENCES};
use kuberack_core::kueue::PreemptionPolicy;
use kuberack_core::world::enchantment::EnchantmentSpec;
use kuberack_core::world::events::EventKind;
use kuberack_core::world::mana::Mana;
use kuberack_core::world::queueing::{ClusterQueueConfig, QueueFlavors};
use kuberack_core::world::{JobSpec, NodePoolSpec, RestartPolicy, World, WorldConfig, NONE};
use kuberack_protocol::MODULES;
use rig::Rig;

/// Steps the rig with the counter armed and returns how many allocations happened.
fn count_allocations(rig: &mut Rig, seconds: f32, mut churn: impl FnMut(&mut Rig, usize)) -> usize {
    let samples = (seconds * rig.sample_rate) as usize;
    counting::arm();
    for i in 0..samples {
        churn(rig, i);
        rig.step();
    }
    counting::disarm()
}

// One test function: the counter is process-wide, so nothing else may run meanwhile.
#[test]
fn process_allocates_nothing_after_warm_up() {
    let (mut rig, hub, node, dep) = Rig::basic();
    let pool2 = rig.add("Node");
    let dep2 = rig.add("Deployment");
    rig.connect(hub, "API", pool2, "API");
    rig.connect(hub, "API", dep2, "API");
    rig.param(hub, "WARP", 1.0); // 10x: lots of lifecycle in little time
    rig.param(dep2, "REPLICAS", 20.0);
    rig.param(dep2, "CPU", 100.0);
    // The pools in different zones, one of them coming and going: the scheduler's node
    // tree takes the zones in turn and reorders as they change.
    rig.param(pool2, "ZONE", 1.0);
    // Typed labels and taints on the second pool (one NoExecute, tolerated for 2 s, so its
    // pods are evicted and replaced all along), typed tolerations, node affinity and pod
    // affinity (required, preferred, anti, on NODE label keys) and topology spread (hard and
    // soft, minDomains, both policies, any key) on the second Deployment.
    rig.modules[pool2]
        .module
        .load(&serde_json::json!({
            "labels": "gpu=true, disk=ssd, cpu-gen=7",
            "taints": "dedicated=gpu:NoSchedule, soft=yes:PreferNoSchedule, drain=now:NoExecute"
        }))
        .unwrap();
    rig.modules[dep2]
        .module
        .load(&serde_json::json!({"scheduling": {
            "labels": "app=web",
            "tolerations": "dedicated=gpu:NoSchedule, soft=yes, drain:NoExecute for 2s",
            "nodeSelector": "gpu=true",
            "nodeAffinity": "disk in (ssd,nvme), cpu-gen>5 | gpu",
            "preferredNodeAffinity": "80: disk=ssd | 20: !spot",
            "podAffinity": "app=web on zone; !app=web, tier in (a,b) on hostname; \
                            30: app=urgent on kubernetes.io/hostname; 10: !* on cpu-gen",
            "topologySpread": "1 on zone minDomains=2; 2 on gpu nodeAffinityPolicy=Ignore \
                               nodeTaintsPolicy=Honor for app in (web,urgent); \
                               1 on hostname ScheduleAnyway; 3 on disk ScheduleAnyway for *"
        }}))
        .unwrap();
    // A hand-held pod, a Service over a Deployment and that pod, an Ingress in front of it,
    // and an etcd taking external writes; a lone pod and a lone etcd beside them.
    let pod = rig.add("Pod");
    let lone_pod = rig.add("Pod");
    // The hand-held pod with typed terms: tolerations, node and pod affinity, spread.
    rig.modules[pod]
        .module
        .load(&serde_json::json!({"scheduling": {
            "labels": "app=solo",
            "tolerations": "*",
            "nodeAffinity": "cpu-gen>1 | !gpu",
            "podAffinity": "!app=web on hostname; 50: app=urgent on zone",
            "topologySpread": "1 on zone for app in (solo,web)"
        }}))
        .unwrap();
    let svc = rig.add("Service");
    let ingress = rig.add("Ingress");
    let etcd = rig.add("Etcd");
    let lone_etcd = rig.add("Etcd");
    rig.connect(hub, "API", pod, "API");
    rig.connect(hub, "API", svc, "API");
    rig.connect(hub, "API", etcd, "API");
    rig.connect(ingress, "ROUTE1", svc, "REQUEST");
    // A SCHEDULER whose knobs move, and a high-priority Deployment with spread and
    // anti-affinity, so scoring strategies, constraints and preemption all run.
    let sched = rig.add("Scheduler");
    rig.connect(hub, "API", sched, "API");
    let urgent = rig.add("Deployment");
    rig.connect(hub, "API", urgent, "API");
    rig.modules[urgent]
        .module
        .load(&serde_json::json!({"scheduling": {
            "priorityClassName": "high",
            "topologySpreadMaxSkew": 1,
            "topologySpreadKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "antiAffinity": "preferred",
            "tolerations": "*",
            "nodeAffinity": "cpu-gen<9 | !gpu",
            "preferredNodeAffinity": "50: disk=hdd | 10: cpu-gen<3",
            "labels": "app=urgent",
            "podAffinity": "!app=web on hostname; 40: (!tier) on zone; 20: !app=urgent on disk",
            "topologySpread": "2 on zone ScheduleAnyway; 1 on hostname"
        }}))
        .unwrap();
    rig.param(urgent, "CPU", 1000.0);
    // An AUTOSCALER sizing the first pool, with short windows so it scales both ways.
    let auto = rig.add("Autoscaler");
    rig.connect(hub, "API", auto, "API");
    rig.connect(node, "POOL", auto, "POOL");
    rig.param(auto, "LAUNCH", 1.0);
    rig.param(auto, "INIT", 0.0);
    rig.param(auto, "UP_WINDOW", 0.0);
    rig.param(auto, "DOWN_WINDOW", 2.0);
    rig.param(auto, "TIMEOUT", 10.0);
    // A JOB submitting short Jobs, some of them faulty.
    let job = rig.add("Job");
    rig.connect(hub, "API", job, "API");
    rig.param(job, "DURATION", 1.0);
    rig.param(job, "BACKOFF", 1.0);
    // Kueue: two ClusterQueues in a cohort, a JOB queued in the first, preempting by priority.
    let cq1 = rig.add("ClusterQueue");
    let cq2 = rig.add("ClusterQueue");
    let qjob = rig.add("Job");
    for m in [cq1, cq2, qjob] {
        rig.connect(hub, "API", m, "API");
    }
    rig.connect(cq1, "COHORT", cq2, "COHORT");
    rig.connect(cq1, "QUEUE", qjob, "QUEUE");
    rig.param(cq1, "CPU", 0.2);
    rig.param(cq2, "CPU", 0.1);
    rig.param(cq1, "PREEMPTION", 1.0);
    rig.param(qjob, "CPU", 10.0);
    rig.param(qjob, "DURATION", 60.0);
    // A DEVICES on a third pool whose node count and wells move (wells rebuilt, claims
    // allocated anew or their pods evicted), and a JOB whose pods claim those wells.
    let pool3 = rig.add("Node");
    rig.connect(hub, "API", pool3, "API");
    let devices = rig.add("Devices");
    rig.connect(hub, "API", devices, "API");
    rig.connect(pool3, "POOL", devices, "POOL");
    let claimer = rig.add("Job");
    rig.connect(hub, "API", claimer, "API");
    rig.param(claimer, "DURATION", 1.0);
    rig.param(claimer, "PARALLELISM", 4.0);
    rig.modules[claimer]
        .module
        .load(&serde_json::json!({"resourceClaim": {
            "deviceClassName": "fire.manawell.io",
            "mana": 2,
            "accessMode": "ReadWriteShared"
        }}))
        .unwrap();
    // An ENCHANTMENT forging items of every tier for a queue that does not exist: its Jobs
    // wait suspended; pulling its API cable deletes them.
    let forge = rig.add("Enchantment");
    rig.modules[forge]
        .module
        .load(&serde_json::json!({"scheduling": {
            "labels": "forge=yes",
            "podAffinity": "10: !forge=yes on hostname",
            "topologySpread": "2 on zone ScheduleAnyway"
        }}))
        .unwrap();
    rig.connect(hub, "API", forge, "API");
    rig.drive(forge, "QUEUE", kuberack_protocol::tag::tag_to_volts(200));
    rig.drive(ingress, "PATH", 1.25); // /api: rule 1 by default
    rig.run(0.01);
    let selector = [rig.out(dep, "SELECTOR", 0), rig.out(pod, "REF", 0)];
    rig.drive_poly(svc, "SELECTOR", &selector);
    // Live sync on, the test standing in for the sync thread on this thread (so the counter
    // sees the hub's side only): desired changes drained, real events fed back.
    rig.modules[dep].module.set_rack_id(11);
    rig.modules[dep2].module.set_rack_id(12);
    rig.modules[node].module.set_rack_id(13);
    rig.modules[job].module.set_rack_id(14);
    rig.modules[qjob].module.set_rack_id(15);
    rig.modules[cq1].module.set_rack_id(16);
    rig.modules[forge].module.set_rack_id(17);
    rig.modules[node]
        .module
        .load(&serde_json::json!({"sync": {"cordon": true, "poolSelector": "disk=ssd, !spot"}}))
        .unwrap();
    let link = rig.modules[hub]
        .module
        .live()
        .expect("a hub has a sync link");
    let mut sync_end = link.take_sync_end().expect("the sync end");
    let mut handed_over = [0; 3];
    rig.run(5.0);
    let sr = rig.sample_rate;
    let n = count_allocations(&mut rig, 30.0, |r, i| {
        live_sync_churn(r, hub, &mut sync_end, &mut handed_over, i);
        let t = i as f32 / sr;
        r.drive(dep, "REPLICAS", 4.0 * (t * 1.3).sin());
        r.param(pool2, "COUNT", if (t as u32) % 6 < 3 { 2.0 } else { 4.0 });
        r.param(node, "CORDON", if (t as u32) % 8 == 5 { 1.0 } else { 0.0 });
        r.param(dep2, "CPU", if (t as u32) % 10 < 5 { 100.0 } else { 150.0 });
        r.param(sched, "STRATEGY", (t * 0.1).fract());
        r.param(
            sched,
            "PERCENT",
            if (t as u32) % 10 < 5 { 0.0 } else { 50.0 },
        );
        r.param(
            sched,
            "PREEMPTION",
            if (t as u32) % 12 < 8 { 1.0 } else { 0.0 },
        );
        r.param(
            urgent,
            "REPLICAS",
            if (t as u32) % 8 < 4 { 12.0 } else { 2.0 },
        );
        // Requests at 300 Hz; writes at 20 Hz; the pods' gates flip every 3 s.
        let square = |hz: f32| if (t * hz).fract() < 0.5 { 5.0 } else { 0.0 };
        r.drive(ingress, "REQUEST", square(300.0));
        r.drive(etcd, "WRITE", square(20.0));
        r.drive(lone_etcd, "WRITE", square(20.0));
        let gate = if (t as u32) % 6 < 3 { 10.0 } else { 0.0 };
        r.drive(pod, "GATE", gate);
        r.drive(pod, "FAULT", if (t as u32) % 5 == 2 { 10.0 } else { 0.0 });
        r.drive(
            lone_pod,
            "FAULT",
            if (t as u32) % 5 == 3 { 10.0 } else { 0.0 },
        );
        let down = if (t as u32) % 20 >= 16 { 10.0 } else { 0.0 };
        r.drive_poly(pool2, "DOWN", &[0.0, down]);
        r.drive(
            auto,
            "FAULT",
            if (t as u32) % 30 >= 26 { 10.0 } else { 0.0 },
        );
        r.param(auto, "MAX", if (t as u32) % 10 < 7 { 6.0 } else { 3.0 });
        r.drive(
            job,
            "SUBMIT",
            if (t * 0.5).fract() < 0.1 { 10.0 } else { 0.0 },
        );
        r.drive(job, "FAULT", if (t as u32) % 9 == 1 { 10.0 } else { 0.0 });
        r.drive(
            qjob,
            "SUBMIT",
            if (t * 0.5).fract() < 0.1 { 10.0 } else { 0.0 },
        );
        r.param(qjob, "PRIORITY", ((t as u32) % 4) as f32);
        r.drive(cq1, "QUOTA", 5.0 + 4.0 * (t * 0.4).sin());
        r.param(pool3, "COUNT", if (t as u32) % 8 < 4 { 1.0 } else { 2.0 });
        r.param(
            devices,
            "WELLS",
            if (t as u32) % 10 < 6 { 2.0 } else { 1.0 },
        );
        r.drive(
            claimer,
            "SUBMIT",
            if (t * 0.7).fract() < 0.1 { 10.0 } else { 0.0 },
        );
        r.drive(
            forge,
            "FORGE",
            if (t * 0.7).fract() < 0.1 { 10.0 } else { 0.0 },
        );
        r.param(forge, "TIER", ((t as u32) % 5) as f32);
        r.drive(lone_pod, "GATE", gate);
        r.param(svc, "MODE", if (t as u32) % 4 < 2 { 0.0 } else { 1.0 });
        r.param(
            dep2,
            "STRATEGY",
            if (t as u32) % 14 < 7 { 0.0 } else { 1.0 },
        );
        // Rollouts, rollbacks and crashes on the first Deployment.
        r.drive(
            dep,
            "ROLLOUT",
            if i % (3 * sr as usize) < 48 {
                10.0
            } else {
                0.0
            },
        );
        r.drive(
            dep,
            "ROLLBACK",
            if i % (7 * sr as usize) < 48 {
                10.0
            } else {
                0.0
            },
        );
        r.drive(dep, "FAULT", if (t as u32) % 9 == 4 { 10.0 } else { 0.0 });
        if i == (12.0 * sr) as usize {
            r.disconnect(dep2, "API");
            r.disconnect(svc, "API");
            r.disconnect(cq2, "API");
        }
        if i == (16.0 * sr) as usize {
            r.connect(hub, "API", dep2, "API");
            r.connect(hub, "API", svc, "API");
            r.connect(hub, "API", cq2, "API");
        }
        if i == (9.0 * sr) as usize || i == (21.0 * sr) as usize {
            r.disconnect(forge, "API");
        }
        if i == (10.0 * sr) as usize {
            r.connect(hub, "API", forge, "API");
        }
    });
    let world = rig.hub_world(hub);
    assert!(
        world.stats().pods_scheduled > 40,
        "churn too small: {:?}",
        world.stats()
    );
    assert!(
        world.stats().evictions > 0,
        "no pool resize happened: {:?}",
        world.stats()
    );
    let kinds = |name: &str| {
        world
            .events()
            .since(0)
            .1
            .filter(|e| e.kind.name() == name)
            .count()
    };
    assert!(kinds("EndpointSliceUpdated") > 4, "endpoints never churned");
    assert!(kinds("ExternalWrite") > 100, "no external writes");
    assert!(
        rig.out(svc, "COUNT", 0) > 0.0,
        "the Service has no endpoints"
    );
    assert!(
        (1..16)
            .filter_map(|tag| world.deployment(tag))
            .map(|d| d.revision())
            .max()
            > Some(3),
        "no rollouts happened"
    );
    let seen = |kind| world.events().since(0).1.filter(|e| e.kind == kind).count();
    assert!(seen(EventKind::ContainerDied) > 0, "no crash happened");
    assert!(seen(EventKind::ScalingReplicaSet) > 0);
    assert!(seen(EventKind::PodPreempted) > 0, "no preemption happened");
    let diagnosed = world
        .events()
        .since(0)
        .1
        .filter(|e| world.events().diagnosis(e.revision).is_some())
        .count();
    assert!(diagnosed > 0, "no FailedScheduling with its diagnosis");
    let zones: std::collections::BTreeSet<u8> = world.nodes().map(|(_, n)| n.zone).collect();
    assert!(zones.len() > 1, "the nodes sit in one zone: {zones:?}");
    assert!(
        seen(EventKind::TaintManagerEviction) > 0,
        "no pod outlived its tolerationSeconds"
    );
    assert!(
        seen(EventKind::NodeNotReady) > 0,
        "no kubelet went silent (events kept from revision {:?} to {})",
        world.events().since(0).1.next().map(|e| e.revision),
        world.revision()
    );
    assert!(
        seen(EventKind::NodeClaimInitialized) > 0,
        "no autoscaled node came up"
    );
    assert!(
        seen(EventKind::ScaleDown) > 0,
        "no autoscaled node was drained"
    );
    assert!(seen(EventKind::JobCompleted) > 0, "no Job completed");
    assert!(seen(EventKind::JobDeleted) > 0, "no Job reached its TTL");
    assert!(
        seen(EventKind::WorkloadAdmitted) > 0,
        "Kueue admitted nothing"
    );
    assert!(
        seen(EventKind::JobSuspended) > 0,
        "no queued Job was preempted"
    );
    let claims: u32 = (1..64).map(|tag| world.pool_claims_allocated(tag)).sum();
    assert!(claims > 4, "too few device claims allocated: {claims}");
    assert!(seen(EventKind::EnchantmentScheduled) > 4, "nothing forged");
    assert!(
        seen(EventKind::EnchantmentDeleted) > 4,
        "no forge was unplugged"
    );
    assert!(
        handed_over[0] > 20,
        "sync saw {handed_over:?} desired changes"
    );
    assert!(handed_over[1] > 2, "sync saw {handed_over:?} node cordons");
    assert!(handed_over[2] > 4, "sync saw {handed_over:?} Job creations");
    assert_eq!(n, 0, "process() allocated {n} times after warm-up");
    // Every model took part.
    let slugs: Vec<&str> = rig
        .modules
        .iter()
        .map(|m| m.module.descriptor().slug)
        .collect();
    for model in MODULES {
        assert!(slugs.contains(&model.slug), "{} not exercised", model.slug);
    }
    jobs_and_kubelets_allocate_nothing();
    the_forge_allocates_nothing();
}

/// SYNC flips by switch and by gate; the stand-in drains the desired queue now and then (so
/// it also runs full), counting all changes and node cordons, feeds real pod events back and
/// updates the real cluster's summary.
fn live_sync_churn(
    r: &mut Rig,
    hub: usize,
    end: &mut kuberack_core::live::SyncEnd,
    handed_over: &mut [usize; 3],
    i: usize,
) {
    use kuberack_core::live::{Change, MirrorKind, ObjectKind, Observed, RealSummary};
    let s = i / r.sample_rate as usize;
    r.param(hub, "SYNC", if s % 10 < 6 { 1.0 } else { 0.0 });
    r.drive(hub, "SYNC", if s % 10 == 8 { 10.0 } else { 0.0 });
    if i.is_multiple_of(4096) && !s.is_multiple_of(3) {
        while let Some(change) = end.pop_desired() {
            handed_over[0] += 1;
            if matches!(change, Change::Apply(o) if o.key.kind == ObjectKind::Node) {
                handed_over[1] += 1;
            }
            if matches!(change, Change::Apply(o) if o.key.is_one_job()) {
                handed_over[2] += 1;
            }
        }
    }
    if i.is_multiple_of(3000) {
        end.status.set_real(Some(RealSummary {
            nodes: 3,
            ready_nodes: 3,
            cpu_allocatable_m: 12_000,
            cpu_requested_m: (i as u64 / 3000) % 12_000,
        }));
        // NODE 13's real pool: the hub shows it over the simulated one.
        let mut utilisation = [0.0; kuberack_core::live::REAL_POOL_NODES];
        utilisation[0] = (i % 7) as f32 / 7.0;
        end.status.set_real_pools(&[kuberack_core::live::RealPool {
            module: 13,
            nodes: 1 + (i as u32 / 3000) % 3,
            ready: 1,
            cordoned: 0,
            utilisation,
        }]);
    }
    if i.is_multiple_of(1000) {
        end.push_observed(Observed::of(MirrorKind::World(EventKind::PodScheduled), 11));
        // A real Workload of the queued JOB admitted to its queue, then preempted.
        let kind = if i.is_multiple_of(2000) {
            EventKind::WorkloadAdmitted
        } else {
            EventKind::WorkloadPreempted
        };
        end.push_observed(Observed {
            queue: 16,
            ..Observed::of(MirrorKind::World(kind), 15).named("job-15-1-workload")
        });
    }
}

/// The Job controller, container restarts and silent kubelets, stepped through the World API.
fn jobs_and_kubelets_allocate_nothing() {
    let mut w = World::new(WorldConfig::default());
    w.apply_node_pool(
        1,
        NodePoolSpec {
            count: 4,
            cpu_m: 8000,
            memory_mib: 32768,
            pods: 110,
            cordoned: false,
            ..Default::default()
        },
    );
    for _ in 0..100 {
        w.step(0.05);
    }
    counting::arm();
    for i in 0..20_000u32 {
        if i % 500 == 0 {
            let policy = if i % 1000 == 0 {
                RestartPolicy::Never
            } else {
                RestartPolicy::OnFailure
            };
            let id = w.create_job(JobSpec {
                completions: 4,
                parallelism: 2,
                backoff_limit: 3,
                active_deadline_seconds: Some(60.0),
                restart_policy: policy,
                run_seconds: 3.0,
                ..JobSpec::default()
            });
            if let Some(id) = id {
                w.set_job_fault(id, i % 1500 == 0);
                if id > 8 {
                    w.delete_job(id - 8);
                }
            }
        }
        if i % 3000 == 100 {
            w.stop_kubelet(0);
        }
        if i % 3000 == 900 {
            w.start_kubelet(0);
        }
        w.step(0.05);
    }
    let n = counting::disarm();
    assert!(w.stats().pods_created > 40, "{:?}", w.stats());
    let seen = |kind| w.events().since(0).1.filter(|e| e.kind == kind).count();
    assert!(seen(EventKind::JobCompleted) > 0);
    assert!(seen(EventKind::NodeNotReady) > 0);
    assert_eq!(n, 0, "World::step allocated {n} times with Jobs");
}

/// The forge through the World API: seeded draws, Enchantments admitted by Kueue on mana
/// flavors, Legendary items preempting Common ones, completions and deletions.
fn the_forge_allocates_nothing() {
    let mut w = World::new(WorldConfig::default());
    for (tag, e) in (1..).zip(ESSENCES) {
        w.apply_node_pool(
            tag,
            NodePoolSpec {
                count: 2,
                cpu_m: 8000,
                memory_mib: 32768,
                pods: 110,
                mana: Mana::of(e, 6),
                ..Default::default()
            },
        );
    }
    let queue = 40;
    w.apply_cluster_queue(
        queue,
        ClusterQueueConfig {
            flavors: QueueFlavors::AllEssences,
            cpu_m: 16_000,
            memory_mib: 64 * 1024,
            mana: 8,
            within_cluster_queue: PreemptionPolicy::LowerPriority,
            ..ClusterQueueConfig::default()
        },
    );
    for _ in 0..100 {
        w.step(0.05);
    }
    let mut ids = [NONE; 16];
    counting::arm();
    for i in 0..20_000u32 {
        if i % 40 == 0 {
            let tier = [None, Some(Tier::Common), Some(Tier::Legendary)][(i / 40 % 3) as usize];
            let slot = (i / 40 % 16) as usize;
            if ids[slot] != NONE {
                w.delete_enchantment(ids[slot]);
            }
            let item = w.draw_forge_item(tier);
            ids[slot] = item
                .and_then(|item| {
                    w.create_enchantment(EnchantmentSpec {
                        item,
                        queue: if i % 200 == 0 { NONE } else { queue },
                        cost_seconds: 0.4,
                        terms: 0,
                    })
                })
                .unwrap_or(NONE);
        }
        w.step(0.05);
    }
    let n = counting::disarm();
    let seen = |kind| w.events().since(0).1.filter(|e| e.kind == kind).count();
    assert!(seen(EventKind::EnchantmentCompleted) > 0, "nothing forged");
    assert!(
        seen(EventKind::EnchantmentRequeued) > 0,
        "nothing preempted"
    );
    assert!(seen(EventKind::EnchantmentDeleted) > 0);
    assert_eq!(n, 0, "World::step allocated {n} times with the forge");
}
