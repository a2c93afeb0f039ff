//! The Job controller through the World API: completions, parallelism, backoffLimit,
//! activeDeadlineSeconds, restartPolicy OnFailure and Never, as upstream pkg/controller/job.

mod world;

use kuberack_core::world::events::EventKind;
use kuberack_core::world::{
    JobCondition, JobFailureReason, JobSpec, RestartPolicy, World, MAX_JOBS,
};
use world::{events, pool, run, run_checked};

fn cluster(seed: u64) -> World {
    let mut w = world::world(seed);
    w.apply_node_pool(1, pool(4, 16));
    run(&mut w, 3.0);
    w
}

#[test]
fn completions_run_at_most_parallelism_pods_at_once() {
    let mut w = cluster(1);
    let id = w
        .create_job(JobSpec {
            completions: 5,
            parallelism: 2,
            run_seconds: 5.0,
            ..JobSpec::default()
        })
        .unwrap();
    let mut most = 0;
    run_checked(&mut w, 60.0, 0.01, |w| {
        let active = w.job_pods(id).filter(|p| p.is_active()).count();
        most = most.max(active);
        if let Some(job) = w.job(id) {
            assert_eq!(job.active as usize, active);
        }
    });
    assert_eq!(most, 2);
    let job = w.job(id).unwrap();
    assert_eq!(job.condition, Some(JobCondition::Complete));
    assert_eq!((job.succeeded, job.failed, job.active), (5, 0, 0));
    assert_eq!(events(&w, EventKind::PodSucceeded).len(), 5);
    let completed = events(&w, EventKind::JobCompleted);
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0].to_json()["reason"], "Completed");
    // Three waves of 5 s work: the Job takes at least 15 s.
    assert!(completed[0].time - job.start_time >= 15.0);
}

#[test]
fn never_fails_the_job_after_backoff_limit_plus_one_failed_pods() {
    let mut w = cluster(2);
    let id = w
        .create_job(JobSpec {
            backoff_limit: 2,
            restart_policy: RestartPolicy::Never,
            fault: true,
            ..JobSpec::default()
        })
        .unwrap();
    run(&mut w, 200.0);
    let job = w.job(id).unwrap();
    assert_eq!(
        job.condition,
        Some(JobCondition::Failed(JobFailureReason::BackoffLimitExceeded))
    );
    // FAULT from the start: each pod's container fails to start (2/4/8 s retries) and the
    // pod fails. failed > backoffLimit: three pods, each a new pod, no restarts.
    assert_eq!(job.failed, 3);
    let created: Vec<f64> = events(&w, EventKind::PodCreated)
        .iter()
        .map(|e| e.time)
        .collect();
    assert_eq!(created.len(), 3);
    assert!(events(&w, EventKind::BackOff).is_empty());
    // Re-created after the controller's backoff: 10 s, then 20 s after the failures.
    let failed: Vec<f64> = events(&w, EventKind::PodFailed)
        .iter()
        .map(|e| e.time)
        .collect();
    assert!(
        (created[1] - failed[0] - 10.0).abs() < 0.02,
        "{created:?} {failed:?}"
    );
    assert!(
        (created[2] - failed[1] - 20.0).abs() < 0.02,
        "{created:?} {failed:?}"
    );
    assert_eq!(
        events(&w, EventKind::JobBackoffLimitExceeded)[0].to_json()["reason"],
        "BackoffLimitExceeded"
    );
}

#[test]
fn on_failure_restarts_in_place_and_counts_restarts_against_the_limit() {
    let mut w = cluster(3);
    let id = w
        .create_job(JobSpec {
            backoff_limit: 3,
            restart_policy: RestartPolicy::OnFailure,
            run_seconds: 1000.0,
            ..JobSpec::default()
        })
        .unwrap();
    run(&mut w, 10.0);
    // Running: now its container crashes, and again after each restart.
    w.set_job_fault(id, true);
    run(&mut w, 200.0);
    let job = w.job(id).unwrap();
    assert_eq!(
        job.condition,
        Some(JobCondition::Failed(JobFailureReason::BackoffLimitExceeded))
    );
    // One pod, restarted in place until its restarts reached the limit.
    assert_eq!(events(&w, EventKind::PodCreated).len(), 1);
    assert_eq!(job.failed, 0);
    let started: Vec<i64> = events(&w, EventKind::PodRunning)
        .iter()
        .map(|e| e.value)
        .collect();
    assert_eq!(started, [0, 1, 2, 3]);
}

#[test]
fn on_failure_recovers_when_the_fault_clears() {
    let mut w = cluster(4);
    let id = w
        .create_job(JobSpec {
            backoff_limit: 6,
            restart_policy: RestartPolicy::OnFailure,
            run_seconds: 3.0,
            ..JobSpec::default()
        })
        .unwrap();
    run(&mut w, 2.0);
    w.set_job_fault(id, true);
    run(&mut w, 15.0);
    assert!(w.job_pods(id).next().unwrap().restarts >= 1);
    w.set_job_fault(id, false);
    run(&mut w, 60.0);
    let job = w.job(id).unwrap();
    assert_eq!(job.condition, Some(JobCondition::Complete));
    assert_eq!(job.succeeded, 1);
}

#[test]
fn active_deadline_fails_the_job_and_stops_its_pods() {
    let mut w = cluster(5);
    let id = w
        .create_job(JobSpec {
            completions: 3,
            parallelism: 3,
            run_seconds: 100.0,
            active_deadline_seconds: Some(30.0),
            ..JobSpec::default()
        })
        .unwrap();
    let created = w.time();
    run(&mut w, 29.5);
    assert_eq!(w.job(id).unwrap().condition, None);
    assert_eq!(w.job(id).unwrap().active, 3);
    run(&mut w, 1.0);
    let job = w.job(id).unwrap();
    assert_eq!(
        job.condition,
        Some(JobCondition::Failed(JobFailureReason::DeadlineExceeded))
    );
    let at = events(&w, EventKind::JobDeadlineExceeded)[0].time - created;
    assert!((at - 30.0).abs() < 0.011, "{at}");
    assert_eq!(job.active, 0);
    run(&mut w, 31.0);
    assert_eq!(w.job_pods(id).count(), 0, "pods terminated");
}

#[test]
fn a_finished_job_creates_nothing_more_and_delete_removes_it() {
    let mut w = cluster(6);
    let id = w
        .create_job(JobSpec {
            run_seconds: 1.0,
            ..JobSpec::default()
        })
        .unwrap();
    run(&mut w, 20.0);
    assert_eq!(w.job(id).unwrap().condition, Some(JobCondition::Complete));
    let created = events(&w, EventKind::PodCreated).len();
    run(&mut w, 20.0);
    assert_eq!(events(&w, EventKind::PodCreated).len(), created);
    w.delete_job(id);
    assert!(w.job(id).is_none());
    assert_eq!(events(&w, EventKind::JobDeleted).len(), 1);
    w.delete_job(id);
}

#[test]
fn deleting_a_running_job_terminates_its_pods() {
    let mut w = cluster(7);
    let id = w
        .create_job(JobSpec {
            parallelism: 2,
            completions: 2,
            run_seconds: 100.0,
            ..JobSpec::default()
        })
        .unwrap();
    run(&mut w, 10.0);
    w.delete_job(id);
    run(&mut w, 31.0);
    assert_eq!(w.pod_count(), 0);
    assert_eq!(events(&w, EventKind::PodTerminating).len(), 2);
}

#[test]
fn the_world_holds_a_bounded_number_of_jobs() {
    let mut w = cluster(8);
    let spec = JobSpec {
        parallelism: 0,
        ..JobSpec::default()
    };
    for _ in 0..MAX_JOBS {
        assert!(w.create_job(spec).is_some());
    }
    assert!(w.create_job(spec).is_none());
}
