//! Drift: whether an object KubeRack owns still holds what the sync last wrote. Someone
//! else's change (`kubectl scale`, an edited ClusterQueue) or a deletion is drift, and the
//! sync writes its desired state again.

use serde_json::Value;

/// Whether `live` holds every field `desired` sets, with the same value: objects field by
/// field (fields `desired` does not set are the server's), lists item by item and of the
/// same length, anything else equal.
pub fn holds(live: &Value, desired: &Value) -> bool {
    match (live, desired) {
        (Value::Object(live), Value::Object(desired)) => desired
            .iter()
            .all(|(k, d)| live.get(k).is_some_and(|l| holds(l, d))),
        (Value::Array(live), Value::Array(desired)) => {
            live.len() == desired.len() && live.iter().zip(desired).all(|(l, d)| holds(l, d))
        }
        (live, desired) => live == desired,
    }
}

/// Whether a Kueue object has drifted from the body the sync applied: deleted (`None`), or
/// its spec, value or description (a WorkloadPriorityClass's) no longer what was written.
pub fn kueue_drifted(live: Option<&Value>, applied: &Value) -> bool {
    let Some(live) = live else { return true };
    ["spec", "value", "description"].iter().any(|field| {
        applied
            .get(field)
            .is_some_and(|d| !live.get(field).is_some_and(|l| holds(l, d)))
    })
}

/// Whether a Deployment has drifted from the replicas the sync applied: deleted (`None`), or
/// scaled by someone else.
pub fn deployment_drifted(live: Option<&Value>, replicas: u32) -> bool {
    let Some(live) = live else { return true };
    live["spec"]["replicas"].as_u64() != Some(u64::from(replicas))
}

/// Whether a Job that was deleted had finished (Complete or Failed): its TTL removed it,
/// which is no drift.
pub fn job_finished(job: &Value) -> bool {
    job["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| (c["type"] == "Complete" || c["type"] == "Failed") && c["status"] == "True")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_the_server_adds_are_no_drift_but_changed_or_missing_fields_are() {
        let applied = json!({"spec": {"cohortName": "a", "resourceGroups": [{"flavors": [
            {"name": "f", "resources": [{"name": "cpu", "nominalQuota": "4000m"}]}]}]}});
        let mut live = applied.clone();
        live["spec"]["stopPolicy"] = json!("None");
        live["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0]["x"] = json!(1);
        live["status"] = json!({"pendingWorkloads": 3});
        assert!(!kueue_drifted(Some(&live), &applied));
        let mut edited = live.clone();
        edited["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0]["nominalQuota"] =
            json!("1");
        assert!(kueue_drifted(Some(&edited), &applied));
        let mut dropped = live.clone();
        dropped["spec"]
            .as_object_mut()
            .unwrap()
            .remove("cohortName");
        assert!(
            kueue_drifted(Some(&dropped), &applied),
            "a dropped field is drift"
        );
        let mut longer = live;
        let flavors = &mut longer["spec"]["resourceGroups"][0]["flavors"];
        flavors.as_array_mut().unwrap().push(json!({"name": "g"}));
        assert!(kueue_drifted(Some(&longer), &applied));
        assert!(kueue_drifted(None, &applied), "deleted");
        let class = json!({"value": 4, "description": "tier"});
        assert!(kueue_drifted(
            Some(&json!({"value": 5, "description": "tier"})),
            &class
        ));
        assert!(!kueue_drifted(Some(&class), &class));
    }

    #[test]
    fn a_scaled_or_deleted_deployment_has_drifted() {
        let live = json!({"spec": {"replicas": 3}, "status": {"replicas": 1}});
        assert!(!deployment_drifted(Some(&live), 3));
        assert!(deployment_drifted(Some(&live), 5));
        assert!(deployment_drifted(None, 3));
    }

    #[test]
    fn only_a_finished_job_is_removed_by_its_ttl() {
        let done = json!({"status": {"conditions": [{"type": "Complete", "status": "True"}]}});
        let suspended =
            json!({"status": {"conditions": [{"type": "Suspended", "status": "True"}]}});
        assert!(job_finished(&done));
        assert!(!job_finished(&suspended));
        assert!(!job_finished(&json!({})));
    }
}
