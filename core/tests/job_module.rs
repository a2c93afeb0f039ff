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

/// Rising edges of an output over `seconds`.
fn edges(rig: &mut Rig, m: usize, output: &str, seconds: f32) -> usize {
    let mut n = 0;
    let mut high = false;
    rig.run_with(seconds, |r| {
        let v = r.out(m, output, 0) > 5.0;
        n += usize::from(v && !high);
        high = v;
    });
    n
}

fn submit(rig: &mut Rig, job: usize) {
    rig.drive(job, "SUBMIT", 10.0);
    rig.run(0.01);
    rig.drive(job, "SUBMIT", 0.0);
    rig.run(0.01);
}

#[test]
fn a_submitted_job_starts_runs_its_completions_and_finishes() {
    let (mut rig, hub, job) = setup();
    submit(&mut rig, job);
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
    submit(&mut rig, job);
    let failed = edges(&mut rig, job, "FAILED", 20.0);
    assert_eq!(failed, 1);
    assert_eq!(rig.light(job, "FAILED"), 1.0);
    assert_eq!(rig.light(job, "COMPLETE"), 0.0);
}

#[test]
fn an_active_deadline_ends_a_long_job() {
    let (mut rig, hub, job) = setup();
    rig.param(job, "DURATION", 60.0);
    rig.param(job, "DEADLINE", 5.0);
    submit(&mut rig, job);
    assert_eq!(edges(&mut rig, job, "FAILED", 15.0), 1);
    let (_, j) = rig.hub_world(hub).jobs().next().unwrap();
    assert!(matches!(j.condition, Some(JobCondition::Failed(_))));
}

#[test]
fn at_most_eight_jobs_per_module_and_their_pods_carry_the_priority() {
    let (mut rig, hub, job) = setup();
    rig.param(job, "DURATION", 60.0);
    rig.param(job, "PRIORITY", 3.0);
    for _ in 0..10 {
        submit(&mut rig, job);
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
