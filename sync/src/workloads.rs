//! What the rack hears of Kueue: the facts of a real Workload that matter, and the world
//! events its changes are, as the simulated Kueue fires them.

use kuberack_core::world::events::EventKind;
use serde_json::Value;

/// The parts of a Workload the mirror compares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkloadFacts {
    /// Condition QuotaReserved is True.
    pub quota_reserved: bool,
    /// Condition Admitted is True.
    pub admitted: bool,
    /// Condition Evicted is True.
    pub evicted: bool,
    /// Condition Preempted is True.
    pub preempted: bool,
    /// Condition Requeued is True.
    pub requeued: bool,
    /// Condition Finished is True.
    pub finished: bool,
    /// The Rack module id of the JOB or ENCHANTMENT whose Job owns it (0: not KubeRack's).
    pub module: u64,
    /// The Rack module id of the CLUSTERQUEUE its LocalQueue or admission names (0: none).
    pub queue: u64,
}

fn condition(wl: &Value, ty: &str) -> bool {
    wl["status"]["conditions"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == ty && c["status"] == "True"))
}

/// The module id in a KubeRack Job's name: `job-<id>-<submission>` or
/// `enchantment-<id>-<forge>-<essence>`.
pub fn job_module(name: &str) -> Option<u64> {
    let mut parts = name.split('-');
    match parts.next()? {
        "job" | "enchantment" => parts.next()?.parse().ok(),
        _ => None,
    }
}

/// The module id in a KubeRack queue name, `clusterqueue-<id>`.
pub fn queue_module(name: &str) -> Option<u64> {
    name.strip_prefix("clusterqueue-")?.parse().ok()
}

impl WorkloadFacts {
    /// Reads a Workload (kueue.x-k8s.io/v1beta1, as JSON).
    pub fn of(wl: &Value) -> WorkloadFacts {
        let module = wl["metadata"]["ownerReferences"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["kind"] == "Job")
            .find_map(|o| job_module(o["name"].as_str()?))
            .unwrap_or(0);
        let queue = wl["status"]["admission"]["clusterQueue"]
            .as_str()
            .or(wl["spec"]["queueName"].as_str())
            .and_then(queue_module)
            .unwrap_or(0);
        WorkloadFacts {
            quota_reserved: condition(wl, "QuotaReserved"),
            admitted: condition(wl, "Admitted"),
            evicted: condition(wl, "Evicted"),
            preempted: condition(wl, "Preempted"),
            requeued: condition(wl, "Requeued"),
            finished: condition(wl, "Finished"),
            module,
            queue,
        }
    }
}

/// Calls `emit` with each world event between two states of one Workload (`None`: absent).
/// A condition counts when it turns True; Requeued only after an eviction, as Kueue sets it
/// then.
pub fn workload_transitions(
    old: Option<&WorkloadFacts>,
    new: Option<&WorkloadFacts>,
    mut emit: impl FnMut(EventKind),
) {
    let Some(new) = new else {
        if old.is_some() {
            emit(EventKind::WorkloadDeleted);
        }
        return;
    };
    let none = WorkloadFacts::default();
    let old = old.unwrap_or_else(|| {
        emit(EventKind::WorkloadCreated);
        &none
    });
    let turned = |was: bool, is: bool| is && !was;
    if turned(old.quota_reserved, new.quota_reserved) {
        emit(EventKind::QuotaReserved);
    }
    if turned(old.admitted, new.admitted) {
        emit(EventKind::WorkloadAdmitted);
    }
    if turned(old.preempted, new.preempted) {
        emit(EventKind::WorkloadPreempted);
    }
    if turned(old.evicted, new.evicted) {
        emit(EventKind::WorkloadEvicted);
    }
    if turned(old.requeued, new.requeued) && (new.evicted || old.evicted) {
        emit(EventKind::WorkloadRequeued);
    }
    if turned(old.finished, new.finished) {
        emit(EventKind::WorkloadFinished);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use EventKind::*;

    fn workload(conditions: &[&str], admitted_to: Option<&str>) -> Value {
        let conditions: Vec<Value> = conditions
            .iter()
            .map(|t| json!({"type": t, "status": "True", "reason": "Test"}))
            .collect();
        let mut wl = json!({
            "apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "Workload",
            "metadata": {"name": "job-job-4-2-3f2a1", "ownerReferences": [
                {"apiVersion": "batch/v1", "kind": "Job", "name": "job-4-2", "uid": "u"}]},
            "spec": {"queueName": "clusterqueue-9"},
            "status": {"conditions": conditions},
        });
        if let Some(cq) = admitted_to {
            wl["status"]["admission"] = json!({"clusterQueue": cq});
        }
        wl
    }

    fn events(old: Option<&WorkloadFacts>, new: Option<&WorkloadFacts>) -> Vec<EventKind> {
        let mut v = Vec::new();
        workload_transitions(old, new, |k| v.push(k));
        v
    }

    #[test]
    fn facts_name_the_owning_module_and_the_queue() {
        let f = WorkloadFacts::of(&workload(&["QuotaReserved"], None));
        assert_eq!((f.module, f.queue), (4, 9));
        assert!(f.quota_reserved && !f.admitted);
        // The admission's ClusterQueue wins over the LocalQueue's name.
        let f = WorkloadFacts::of(&workload(&[], Some("clusterqueue-11")));
        assert_eq!(f.queue, 11);
        assert_eq!(job_module("enchantment-6-3-frost"), Some(6));
        assert_eq!(job_module("web-6"), None);
        assert_eq!(queue_module("team-queue"), None);
        // A condition that is False does not count.
        let mut wl = workload(&["Admitted"], None);
        wl["status"]["conditions"][0]["status"] = json!("False");
        assert!(!WorkloadFacts::of(&wl).admitted);
    }

    #[test]
    fn a_workload_life_is_created_reserved_admitted_preempted_requeued_finished_deleted() {
        let at = |c: &[&str]| WorkloadFacts::of(&workload(c, Some("clusterqueue-9")));
        let pending = at(&[]);
        assert_eq!(events(None, Some(&pending)), [WorkloadCreated]);
        let admitted = at(&["QuotaReserved", "Admitted"]);
        assert_eq!(
            events(Some(&pending), Some(&admitted)),
            [QuotaReserved, WorkloadAdmitted]
        );
        let preempted = at(&["Evicted", "Preempted"]);
        assert_eq!(
            events(Some(&admitted), Some(&preempted)),
            [WorkloadPreempted, WorkloadEvicted]
        );
        let requeued = at(&["Evicted", "Preempted", "Requeued"]);
        assert_eq!(
            events(Some(&preempted), Some(&requeued)),
            [WorkloadRequeued]
        );
        let finished = at(&["QuotaReserved", "Admitted", "Finished"]);
        assert_eq!(
            events(Some(&requeued), Some(&finished)),
            [QuotaReserved, WorkloadAdmitted, WorkloadFinished]
        );
        assert!(events(Some(&finished), Some(&finished)).is_empty());
        assert_eq!(events(Some(&finished), None), [WorkloadDeleted]);
        assert!(events(None, None).is_empty());
    }
}
