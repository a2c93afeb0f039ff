//! The JOB module through a hub: submissions become Jobs run by the Job controller, and their
//! starts, ends, failures, running pods and waits come back as triggers, gates and CVs.

mod rig;

use kuberack_core::world::JobCondition;
use rig::Rig;

/// A hub with one pool of 4 cores, no Deployment pods, and a JOB of 2 x 4 pods of 2 s.
fn setup() -> (Rig, usize, usize) {
    let (mut rig, hub, _node, dep) = Rig::basic();
    rig.param(dep, "REPLICAS", 0.0);
    let job = rig.add("Job");
    rig.connect(hub, "API", job, "API");
    rig.param(job, "PARALLELISM", 2.0);
    rig.param(job, "COMPLETIONS", 4.0);
    rig.param(job, "DURATION", 2.0);
    rig.param(job, "CPU", 50.0);
    rig.run(3.0);
    (rig, hub, job)
}

#[test]
fn a_submitted_job_starts_runs_its_completions_and_finishes() {
    let (mut rig, hub, job) = setup();
    rig.trigger(job, "SUBMIT");
    rig.run(0.1);
    assert_eq!(
        rig.light(job, "WAITING"),
        1.0,
        "created, no pod running yet"
    );
    let mut most_running = 0.0f32;
    let (mut started, mut finished) = (0, 0);
    let (mut started_high, mut finished_high) = (false, false);
    let mut running_when_finished = true;
    rig.run_with(20.0, |r| {
        most_running = most_running.max(r.out(job, "ACTIVE", 0));
        let s = r.out(job, "STARTED", 0) > 5.0;
        started += usize::from(s && !started_high);
        started_high = s;
        let f = r.out(job, "FINISHED", 0) > 5.0;
        if f && !finished_high {
            finished += 1;
            running_when_finished = r.out(job, "RUNNING", 0) > 5.0;
        }
        finished_high = f;
    });
    assert_eq!((started, finished), (1, 1));
    assert!(!running_when_finished, "no pod runs once it completed");
    assert_eq!(
        most_running, 1.0,
        "parallelism 2: two active pods at most (0.5 V each)"
    );
    assert_eq!(rig.light(job, "COMPLETE"), 1.0);
    assert_eq!(rig.out(job, "RUNNING", 0), 0.0);
    let wait = rig.out(job, "WAIT", 0);
    assert!(wait > 0.0 && wait < 1.0, "a few seconds' wait: {wait} V");
    let world = rig.hub_world(hub);
    let (id, j) = world.jobs().next().expect("kept until its TTL");
    assert_eq!(j.condition, Some(JobCondition::Complete));
    assert_eq!(j.succeeded, 4);
    assert_eq!(world.job_pods(id).count(), 0);
    // ttlSecondsAfterFinished: 30 s after it ended, the Job is gone.
    rig.run(31.0);
    assert_eq!(rig.hub_world(hub).jobs().count(), 0);
}

#[test]
fn a_fault_beyond_the_backoff_limit_fails_the_job() {
    let (mut rig, _hub, job) = setup();
    rig.param(job, "BACKOFF", 0.0);
    rig.drive(job, "FAULT", 10.0);
    rig.trigger(job, "SUBMIT");
    let failed = rig.edges(job, "FAILED", 20.0);
    assert_eq!(failed, 1);
    assert_eq!(rig.light(job, "FAILED"), 1.0);
    assert_eq!(rig.light(job, "COMPLETE"), 0.0);
}

#[test]
fn an_active_deadline_ends_a_long_job() {
    let (mut rig, hub, job) = setup();
    rig.param(job, "DURATION", 60.0);
    rig.param(job, "DEADLINE", 5.0);
    rig.trigger(job, "SUBMIT");
    assert_eq!(rig.edges(job, "FAILED", 15.0), 1);
    let (_, j) = rig.hub_world(hub).jobs().next().unwrap();
    assert!(matches!(j.condition, Some(JobCondition::Failed(_))));
}

#[test]
fn at_most_eight_jobs_per_module_and_their_pods_carry_the_priority() {
    let (mut rig, hub, job) = setup();
    rig.param(job, "DURATION", 60.0);
    rig.param(job, "PRIORITY", 3.0);
    for _ in 0..10 {
        rig.trigger(job, "SUBMIT");
    }
    rig.run(2.0);
    let world = rig.hub_world(hub);
    assert_eq!(world.jobs().count(), 8);
    let (id, _) = world.jobs().next().unwrap();
    assert!(world.job_pods(id).all(|p| p.scheduling.priority == 10_000));
    // Unplugged: its Jobs are deleted.
    rig.disconnect(job, "API");
    rig.run(1.0);
    assert_eq!(rig.hub_world(hub).jobs().count(), 0);
}

/// A JOB's typed tolerations and node affinity place its pods on the NODE whose typed taint
/// they tolerate; without the toleration they wait.
#[test]
fn a_jobs_typed_toleration_and_selector_place_its_pods_on_the_tainted_pool() {
    let (mut rig, hub, _node, dep) = Rig::basic();
    rig.param(dep, "REPLICAS", 0.0);
    let gpu = rig.add("Node");
    rig.connect(hub, "API", gpu, "API");
    rig.modules[gpu]
        .module
        .load(&serde_json::json!({"labels": "gpu=true", "taints": "dedicated=gpu:NoSchedule"}))
        .unwrap();
    let job = rig.add("Job");
    let plain = rig.add("Job");
    for j in [job, plain] {
        rig.connect(hub, "API", j, "API");
        rig.param(j, "PARALLELISM", 2.0);
        rig.param(j, "DURATION", 20.0);
        rig.param(j, "CPU", 50.0);
    }
    rig.modules[job]
        .module
        .load(&serde_json::json!({"scheduling": {
            "tolerations": "dedicated=gpu:NoSchedule",
            "nodeAffinity": "gpu in (true)"
        }}))
        .unwrap();
    rig.modules[plain]
        .module
        .load(&serde_json::json!({"scheduling": {"nodeSelector": "gpu=true"}}))
        .unwrap();
    rig.run(3.0);
    rig.trigger(job, "SUBMIT");
    rig.trigger(plain, "SUBMIT");
    rig.run(5.0);
    let world = rig.hub_world(hub);
    let gpu_nodes: Vec<u32> = world
        .nodes()
        .filter(|(_, n)| n.terms != 0)
        .map(|(i, _)| i)
        .collect();
    assert!(!gpu_nodes.is_empty());
    let mut placed = 0;
    let mut pending = 0;
    for (_, p) in world.pods() {
        match world.node(p.node) {
            Some(_) => {
                assert!(gpu_nodes.contains(&p.node), "a pod off the gpu pool");
                placed += 1;
            }
            None => pending += 1,
        }
    }
    assert_eq!(
        (placed, pending),
        (2, 2),
        "the tolerating Job's pods run, the other's wait"
    );
}
