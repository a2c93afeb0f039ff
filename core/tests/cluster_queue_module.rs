//! CLUSTERQUEUE through a hub: JOBs patched to its QUEUE wait for quota, are admitted and
//! preempted audibly; COHORT cables make a cohort whose queues borrow from each other.

mod rig;

use kuberack_core::world::queueing::cluster_queue_name;
use kuberack_core::world::JobCondition;
use rig::Rig;

/// A hub with one pool of 4 cores and no Deployment pods.
fn cluster() -> (Rig, usize, usize) {
    let (mut rig, hub, node, dep) = Rig::basic();
    rig.param(dep, "REPLICAS", 0.0);
    rig.param(node, "COUNT", 1.0);
    rig.param(node, "CPU", 4.0);
    (rig, hub, node)
}

fn queue(rig: &mut Rig, hub: usize, cores: f32) -> usize {
    let q = rig.add("ClusterQueue");
    rig.connect(hub, "API", q, "API");
    rig.param(q, "CPU", cores);
    q
}

/// A JOB of `parallelism` pods of 1 core for `seconds`, submitting to queue `q`.
fn job(rig: &mut Rig, hub: usize, q: usize, parallelism: f32, seconds: f32) -> usize {
    let j = rig.add("Job");
    rig.connect(hub, "API", j, "API");
    rig.connect(q, "QUEUE", j, "QUEUE");
    rig.param(j, "PARALLELISM", parallelism);
    rig.param(j, "COMPLETIONS", parallelism);
    rig.param(j, "DURATION", seconds);
    rig.param(j, "CPU", 100.0);
    j
}

#[test]
fn jobs_wait_for_quota_and_are_admitted_in_turn() {
    let (mut rig, hub, _) = cluster();
    let q = queue(&mut rig, hub, 2.0);
    let a = job(&mut rig, hub, q, 2.0, 5.0);
    let b = job(&mut rig, hub, q, 2.0, 5.0);
    rig.run(3.0);
    rig.trigger(a, "SUBMIT");
    rig.trigger(b, "SUBMIT");
    rig.run(0.5);
    // 2 cores of quota: a is admitted (1 V admitted, 5 V cpu usage), b pends.
    assert!((rig.out(q, "ADMITTED", 0) - 0.5).abs() < 1e-3);
    assert!((rig.out(q, "PENDING", 0) - 0.5).abs() < 1e-3);
    assert!((rig.out(q, "CPU", 0) - 5.0).abs() < 1e-2);
    assert_eq!(rig.light(q, "PENDING"), 1.0);
    assert_eq!(rig.light(b, "WAITING"), 1.0);
    let admits = rig.edges(q, "ADMIT", 20.0);
    assert_eq!(admits, 1, "b admitted once a finished");
    let world = rig.hub_world(hub);
    assert!(world
        .jobs()
        .all(|(_, j)| j.condition == Some(JobCondition::Complete) || !j.suspended));
    assert_eq!(rig.out(q, "PENDING", 0), 0.0);
}

#[test]
fn a_high_priority_job_preempts_and_both_outputs_fire() {
    let (mut rig, hub, _) = cluster();
    let q = queue(&mut rig, hub, 2.0);
    rig.param(q, "PREEMPTION", 1.0);
    let low = job(&mut rig, hub, q, 2.0, 30.0);
    let high = job(&mut rig, hub, q, 2.0, 5.0);
    rig.param(high, "PRIORITY", 3.0);
    rig.run(3.0);
    rig.trigger(low, "SUBMIT");
    rig.run(5.0);
    // The SUBMIT edge is held through the count, so no trigger is missed.
    rig.drive(high, "SUBMIT", 10.0);
    let mut q_preempts = 0;
    let mut low_preempted = 0;
    let mut high_admitted = 0;
    let (mut a, mut b, mut c) = (false, false, false);
    rig.run_with(2.0, |r| {
        let v = r.out(q, "PREEMPT", 0) > 5.0;
        q_preempts += usize::from(v && !a);
        a = v;
        let v = r.out(low, "PREEMPTED", 0) > 5.0;
        low_preempted += usize::from(v && !b);
        b = v;
        let v = r.out(high, "ADMITTED", 0) > 5.0;
        high_admitted += usize::from(v && !c);
        c = v;
    });
    assert_eq!((q_preempts, low_preempted, high_admitted), (1, 1, 1));
    let world = rig.hub_world(hub);
    let suspended = world.jobs().filter(|(_, j)| j.suspended).count();
    assert_eq!(suspended, 1, "the low Job waits suspended");
}

#[test]
fn cohort_cables_let_a_queue_borrow_and_unplugging_deletes_it() {
    let (mut rig, hub, node) = cluster();
    rig.param(node, "CPU", 8.0);
    let q1 = queue(&mut rig, hub, 2.0);
    let q2 = queue(&mut rig, hub, 2.0);
    rig.connect(q1, "COHORT", q2, "COHORT");
    let j = job(&mut rig, hub, q1, 3.0, 30.0);
    rig.run(3.0);
    rig.trigger(j, "SUBMIT");
    rig.run(1.0);
    assert_eq!(rig.out(q1, "BORROW", 0), 10.0, "3 cores > 2 nominal");
    assert_eq!(rig.light(q1, "BORROWING"), 1.0);
    assert!((rig.out(q1, "CPU", 0) - 7.5).abs() < 1e-2);
    // Without the cable there is no cohort: nothing to borrow, but what runs keeps running.
    rig.disconnect(q2, "COHORT");
    rig.run(0.5);
    assert_eq!(rig.out(q1, "ADMITTED", 0), 0.5);
    // Unplugging the API deletes the queue: Terminating while its Job runs.
    rig.disconnect(q1, "API");
    rig.run(0.5);
    let world = rig.hub_world(hub);
    let t = q1 as u32 + 1;
    assert!(world.cluster_queue_status(t).is_none_or(|s| s.terminating));
    let deleted = world
        .events()
        .since(0)
        .1
        .any(|e| e.object == cluster_queue_name(t) && e.kind.name() == "ClusterQueueDeleted");
    assert!(deleted);
}

#[test]
fn bad_voltages_are_safe() {
    let (mut rig, hub, _) = cluster();
    let q = queue(&mut rig, hub, 2.0);
    let j = rig.add("Job");
    rig.connect(hub, "API", j, "API");
    rig.drive(q, "QUOTA", f32::NAN);
    rig.drive(j, "QUEUE", f32::INFINITY);
    rig.drive(q, "COHORT", f32::NAN);
    rig.run(1.0);
    rig.trigger(j, "SUBMIT");
    rig.run(1.0);
    // NaN quota CV clamps to no quota; an impossible queue reference means no queue.
    let world = rig.hub_world(hub);
    assert!(world.jobs().all(|(_, job)| !job.suspended));
    for out in ["PENDING", "ADMITTED", "CPU", "MEMORY", "MANA"] {
        assert!(rig.out(q, out, 0).is_finite(), "{out}");
    }
}

/// Loads saved settings into module `m`.
fn load(rig: &mut Rig, m: usize, json: serde_json::Value) -> Result<(), String> {
    rig.modules[m].module.load(&json).map_err(|e| e.0)
}

#[test]
fn the_share_output_counts_borrowing_over_the_weight() {
    let (mut rig, hub, node) = cluster();
    rig.param(node, "CPU", 8.0);
    let lender = queue(&mut rig, hub, 4.0);
    let a = queue(&mut rig, hub, 1.0);
    let b = queue(&mut rig, hub, 1.0);
    rig.connect(lender, "COHORT", a, "COHORT");
    rig.connect(a, "COHORT", b, "COHORT");
    load(
        &mut rig,
        b,
        serde_json::json!({ "fairSharing": { "weight": 2.0 } }),
    )
    .unwrap();
    let ja = job(&mut rig, hub, a, 3.0, 30.0);
    let jb = job(&mut rig, hub, b, 3.0, 30.0);
    rig.run(3.0);
    assert_eq!(rig.out(a, "SHARE", 0), 0.0, "nothing borrowed yet");
    rig.trigger(ja, "SUBMIT");
    rig.trigger(jb, "SUBMIT");
    rig.run(1.0);
    // Each borrows 2 of the 6 cores the cohort could lend it: 333 per mille; B's weight
    // halves its share.
    assert!(
        (rig.out(a, "SHARE", 0) - 3.34).abs() < 0.011,
        "{}",
        rig.out(a, "SHARE", 0)
    );
    assert!(
        (rig.out(b, "SHARE", 0) - 1.67).abs() < 0.011,
        "{}",
        rig.out(b, "SHARE", 0)
    );
    assert_eq!(rig.out(lender, "SHARE", 0), 0.0);
}

#[test]
fn the_weight_is_saved_and_bad_weights_fall_back_to_one() {
    let (mut rig, hub, _) = cluster();
    let q = queue(&mut rig, hub, 2.0);
    let default = serde_json::json!({ "fairSharing": { "weight": 1.0 } });
    assert_eq!(rig.modules[q].module.save(), default);
    load(
        &mut rig,
        q,
        serde_json::json!({ "fairSharing": { "weight": 0.5 } }),
    )
    .unwrap();
    let saved = rig.modules[q].module.save();
    assert_eq!(
        saved,
        serde_json::json!({ "fairSharing": { "weight": 0.5 } })
    );
    rig.run(0.1);
    let weight = |rig: &Rig| {
        let world = rig.hub_world(hub);
        let i = (0..16)
            .find(|&i| world.kueue().cluster_queue(i).is_some())
            .unwrap();
        world.kueue().cluster_queue(i).unwrap().fair_sharing_weight
    };
    assert_eq!(weight(&rig), 0.5);
    for bad in [
        serde_json::json!({ "fairSharing": { "weight": "heavy" } }),
        serde_json::json!({ "fairSharing": { "weight": -1.0 } }),
    ] {
        let err = load(&mut rig, q, bad).unwrap_err();
        assert!(err.contains("fairSharing.weight"), "{err}");
        assert_eq!(rig.modules[q].module.save(), default);
    }
    rig.run(0.1);
    assert_eq!(weight(&rig), 1.0);
    load(
        &mut rig,
        q,
        serde_json::json!({ "fairSharing": { "weight": 1e12 } }),
    )
    .unwrap();
    rig.run(0.1);
    assert_eq!(weight(&rig), 1000.0, "clamped");
}

#[test]
fn the_hub_turns_fair_sharing_on_without_starting_over() {
    let (mut rig, hub, _) = cluster();
    let q = queue(&mut rig, hub, 2.0);
    let j = job(&mut rig, hub, q, 1.0, 30.0);
    rig.run(3.0);
    rig.trigger(j, "SUBMIT");
    rig.run(0.5);
    let pods = rig.hub_world(hub).pods().count();
    assert!(!rig.hub_world(hub).kueue().config().fair_sharing);
    let mut settings = rig.modules[hub].module.save();
    assert_eq!(
        settings["kueue"],
        serde_json::json!({ "fairSharing": false })
    );
    settings["kueue"]["fairSharing"] = serde_json::json!(true);
    load(&mut rig, hub, settings.clone()).unwrap();
    let world = rig.hub_world(hub);
    assert!(world.kueue().config().fair_sharing);
    assert_eq!(world.pods().count(), pods, "the world goes on");
    assert_eq!(world.jobs().count(), 1);
    assert_eq!(rig.modules[hub].module.save(), settings);
    // A new seed starts a new world, which keeps the Kueue setting.
    settings["seed"] = serde_json::json!(5);
    load(&mut rig, hub, settings).unwrap();
    let world = rig.hub_world(hub);
    assert_eq!(world.jobs().count(), 0);
    assert!(world.kueue().config().fair_sharing);
    // A wrong type is refused with a clear error, and the defaults apply.
    let err = load(
        &mut rig,
        hub,
        serde_json::json!({ "kueue": { "fairSharing": "yes" } }),
    )
    .unwrap_err();
    assert!(err.contains("CLUSTER settings"), "{err}");
    assert!(!rig.hub_world(hub).kueue().config().fair_sharing);
}
