//! Deleting a ClusterQueue: the `kueue.x-k8s.io/resource-in-use` finalizer keeps it while
//! workloads are admitted (Terminating, admitting nothing more); its cohort loses its quota
//! once it goes; workloads left pending return when a queue of that index is created again.

mod kueue_support;

use kueue_support::*;

#[test]
fn an_idle_queue_goes_at_once_and_its_pending_workloads_wait_for_a_new_one() {
    let mut k = kueue(&[cpu_queue(cpus(2, None, None), None)], false);
    let a = submit(&mut k, 0.0, job(0, 2, None));
    k.step(0.0);
    assert!(k.workload(a).unwrap().is_admitted());
    k.finish_workload(a, true);
    let b = submit(&mut k, 1.0, job(0, 4, None));
    k.step(1.0);
    assert_eq!(k.pending_workloads(0), 1);
    assert!(k.delete_cluster_queue(0));
    assert!(k.cluster_queue(0).is_none());
    assert!(!k.delete_cluster_queue(0), "already gone");
    k.step(2.0);
    assert!(!k.workload(b).unwrap().is_admitted());
    // A new queue big enough takes the workload back and admits it.
    k.set_cluster_queue(0, cpu_queue(cpus(4, None, None), None));
    assert_eq!(k.pending_workloads(0), 1);
    k.step(3.0);
    assert!(k.workload(b).unwrap().is_admitted());
}

#[test]
fn a_queue_with_admitted_workloads_terminates_until_they_finish() {
    let mut k = kueue(&[cpu_queue(cpus(4, None, None), None)], false);
    let a = submit(&mut k, 0.0, job(0, 2, None));
    k.step(0.0);
    assert!(k.delete_cluster_queue(0));
    assert!(k.is_terminating(0));
    // Room for 2 more CPUs, but a terminating queue admits nothing.
    let b = submit(&mut k, 1.0, job(0, 1, None));
    k.step(2.0);
    assert!(!k.workload(b).unwrap().is_admitted());
    assert_eq!(k.admitted_workloads(0), 1);
    k.finish_workload(a, true);
    assert!(k.cluster_queue(0).is_none(), "the finalizer lets go");
    assert!(!k.is_terminating(0));
}

#[test]
fn updating_a_terminating_queue_revives_it() {
    let mut k = kueue(&[cpu_queue(cpus(4, None, None), None)], false);
    submit(&mut k, 0.0, job(0, 2, None));
    k.step(0.0);
    k.delete_cluster_queue(0);
    k.set_cluster_queue(0, cpu_queue(cpus(4, None, None), None));
    assert!(!k.is_terminating(0));
    let b = submit(&mut k, 1.0, job(0, 2, None));
    k.step(1.0);
    assert!(k.workload(b).unwrap().is_admitted());
}

#[test]
fn the_cohort_loses_a_deleted_members_quota() {
    let mut k = kueue(
        &[
            cpu_queue(cpus(2, None, None), Some(0)),
            cpu_queue(cpus(6, None, None), Some(0)),
        ],
        false,
    );
    // Queue 0 borrows queue 1's idle quota: 8 CPUs in all.
    let big = submit(&mut k, 0.0, job(0, 8, None));
    k.step(0.0);
    assert!(k.workload(big).unwrap().is_admitted());
    k.finish_workload(big, true);
    k.delete_cluster_queue(1);
    let again = submit(&mut k, 1.0, job(0, 8, None));
    k.step(1.0);
    assert!(!k.workload(again).unwrap().is_admitted());
    let small = submit(&mut k, 2.0, job(0, 2, None));
    k.step(2.0);
    assert!(k.workload(small).unwrap().is_admitted());
}
