//! Kueue's objects as CLUSTERQUEUEs chained into their cohorts, and a JOB for each
//! LocalQueue (from its first Job) cabled to its ClusterQueue's CLUSTERQUEUE; Jobs outside
//! any queue as JOBs of their own. ResourceFlavors and WorkloadPriorityClasses the rack
//! does not have are noted.

use std::collections::BTreeMap;

use kuberack_core::forge::ESSENCES;
use kuberack_core::world::queueing::{DEFAULT_FLAVOR, WORKLOAD_PRIORITY_CLASSES};
use kuberack_protocol::modules::cluster_queue::{
    input as cq_input, output as cq_output, param as cq_param, DESCRIPTOR as CQ,
};
use kuberack_protocol::modules::job::{input as job_input, param as job_param, DESCRIPTOR as JOB};
use serde_json::{json, Value};

use super::apps::{pod_terms, request_knob, requests};
use super::patch::{PatchBuilder, Row};
use super::pools::in_range;
use super::{object_name, Notes};
use crate::manifest::QUEUE_NAME_KEY;
use crate::summary::{cpu_millis, memory_bytes};

/// The FLAVOR switch position of a ClusterQueue's flavor names, if the rack has it.
fn flavor_switch(names: &[&str]) -> Option<f64> {
    let essences: Vec<&str> = ESSENCES.iter().map(|e| e.name()).collect();
    match names {
        [n] if *n == DEFAULT_FLAVOR => Some(0.0),
        [n] => essences.iter().position(|e| e == n).map(|i| i as f64 + 1.0),
        _ if names == essences.as_slice() => Some(4.0),
        _ => None,
    }
}

/// A quota of `resource` in a flavor's resources: (nominal, borrowingLimit, lendingLimit),
/// in millicores for cpu, else in the resource's units (bytes for memory).
fn quota(resources: &Value, resource: &str) -> Option<(u64, Option<u64>, Option<u64>)> {
    let r = resources
        .as_array()?
        .iter()
        .find(|r| r["name"].as_str() == Some(resource))?;
    let read = |v: &Value| {
        let q = v
            .as_str()
            .map(str::to_owned)
            .or_else(|| v.as_f64().map(|n| n.to_string()))?;
        if resource == "cpu" {
            cpu_millis(&q)
        } else {
            memory_bytes(&q)
        }
    };
    Some((
        read(&r["nominalQuota"])?,
        read(&r["borrowingLimit"]),
        read(&r["lendingLimit"]),
    ))
}

/// A limit as a percent of `nominal` (`none`: the knob's no-limit position).
fn limit_percent(limit: Option<u64>, nominal: u64, none: f64) -> f64 {
    match limit {
        Some(l) if nominal > 0 => (l as f64 * 100.0 / nominal as f64).round().min(none - 1.0),
        Some(_) => 0.0,
        None => none,
    }
}

/// The switch position of a preemption policy among `names`.
fn policy(v: &Value, names: &[&str]) -> f64 {
    v.as_str()
        .and_then(|s| names.iter().position(|n| *n == s))
        .map_or(0.0, |i| i as f64)
}

/// Adds the CLUSTERQUEUE of a ClusterQueue; returns its module id.
fn add_cluster_queue(b: &mut PatchBuilder, cq: &Value, notes: &mut Notes) -> i64 {
    let name = object_name(cq);
    let what = format!("ClusterQueue {name}");
    let spec = &cq["spec"];
    let groups = spec["resourceGroups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let flavors: Vec<&Value> = groups
        .iter()
        .flat_map(|g| g["flavors"].as_array().into_iter().flatten())
        .collect();
    let names: Vec<&str> = flavors.iter().filter_map(|f| f["name"].as_str()).collect();
    let switch = flavor_switch(&names).unwrap_or_else(|| {
        notes.push(&what, format!("flavors {}: the rack has default-flavor, one essence or all three; simulated as default-flavor with the first one's quota", names.join(", ")));
        0.0
    });
    let resources = flavors
        .first()
        .map_or(Value::Null, |f| f["resources"].clone());
    for g in &groups {
        for r in g["coveredResources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if r != "cpu" && r != "memory" && !r.starts_with("manawell.io/") {
                notes.push(
                    &what,
                    format!("resource {r}: the rack queues cpu, memory and mana only; left out"),
                );
            }
        }
    }
    if flavors
        .iter()
        .any(|f| f["resources"] != resources && switch != 4.0)
    {
        notes.push(
            &what,
            "its flavors' quotas differ; every flavor gets the first one's".to_string(),
        );
    }
    let (cpu_m, borrow, lend) = quota(&resources, "cpu").unwrap_or((0, None, None));
    let memory = quota(&resources, "memory").map_or(0, |q| q.0);
    let mana = ESSENCES
        .iter()
        .filter_map(|e| quota(&resources, e.resource_name()))
        .map(|q| q.0)
        .max()
        .unwrap_or(0);
    let knob = |index, v: f64, unit: &str, notes: &mut Notes| {
        let (c, clamped) = in_range(&CQ, index, v);
        if clamped {
            notes.push(
                &what,
                format!("nominalQuota {v}{unit} written as {c}{unit}"),
            );
        }
        c
    };
    let params = [
        (
            cq_param::CPU,
            knob(cq_param::CPU, cpu_m as f64 / 1000.0, " cores", notes),
        ),
        (
            cq_param::MEMORY,
            knob(
                cq_param::MEMORY,
                memory as f64 / f64::from(1u32 << 30),
                " GiB",
                notes,
            ),
        ),
        (cq_param::MANA, knob(cq_param::MANA, mana as f64, "", notes)),
        (cq_param::BORROW, limit_percent(borrow, cpu_m, 200.0)),
        (cq_param::LEND, limit_percent(lend, cpu_m, 100.0)),
        (cq_param::FLAVOR, switch),
        (
            cq_param::STRATEGY,
            if spec["queueingStrategy"].as_str() == Some("StrictFIFO") {
                1.0
            } else {
                0.0
            },
        ),
        (
            cq_param::PREEMPTION,
            policy(
                &spec["preemption"]["withinClusterQueue"],
                &["Never", "LowerPriority", "LowerOrNewerEqualPriority"],
            ),
        ),
        (
            cq_param::RECLAIM,
            policy(
                &spec["preemption"]["reclaimWithinCohort"],
                &["Never", "LowerPriority", "Any"],
            ),
        ),
    ];
    // Fields the rack does not have, where they hold more than Kueue's defaults.
    let defaults = [
        ("admissionChecks", json!([])),
        ("admissionChecksStrategy", json!({})),
        ("stopPolicy", json!("None")),
        (
            "flavorFungibility",
            json!({"whenCanBorrow": "MayStopSearch", "whenCanPreempt": "TryNextFlavor"}),
        ),
        (
            "flavorFungibility",
            json!({"whenCanBorrow": "Borrow", "whenCanPreempt": "TryNextFlavor"}),
        ),
    ];
    for (field, _) in &defaults {
        let v = &spec[*field];
        if !v.is_null() && !defaults.iter().any(|(f, d)| f == field && d == v) {
            notes.push(&what, format!("{field} {v}: not in the rack; left out"));
        }
    }
    let borrow = &spec["preemption"]["borrowWithinCohort"];
    if !borrow.is_null() && borrow["policy"].as_str() != Some("Never") {
        notes.push(
            &what,
            format!("preemption.borrowWithinCohort {borrow}: not in the rack; left out"),
        );
    }
    if spec["namespaceSelector"]
        .as_object()
        .is_some_and(|m| !m.is_empty())
    {
        notes.push(
            &what,
            "namespaceSelector: the rack's queue takes every namespace".to_string(),
        );
    }
    let weight = &spec["fairSharing"]["weight"];
    let weight = weight
        .as_str()
        .and_then(cpu_millis)
        .or_else(|| weight.as_f64().map(|w| (w * 1000.0) as u64));
    let data = weight.map_or(
        json!({}),
        |w| json!({"fairSharing": {"weight": w as f64 / 1000.0}}),
    );
    b.add(
        &CQ,
        &format!("ClusterQueue/{name}"),
        Row::Queues,
        &params,
        data,
    )
}

/// A Job's container duration: N of `sleep N` (or `sh -c "sleep N; ..."`).
fn sleep_seconds(job: &Value) -> Option<f64> {
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    let words: Vec<&str> = ["command", "args"]
        .iter()
        .flat_map(|k| c[*k].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .flat_map(|s| s.split(|ch: char| ch.is_whitespace() || ch == ';'))
        .collect();
    let at = words.iter().position(|w| *w == "sleep")?;
    words.get(at + 1)?.trim_end_matches('s').parse().ok()
}

/// Adds a JOB for `job` (standing for `object`, e.g. its LocalQueue); returns its module id.
fn add_job(b: &mut PatchBuilder, object: &str, job: Option<&Value>, notes: &mut Notes) -> i64 {
    let Some(job) = job else {
        return b.add(&JOB, object, Row::Jobs, &[], Value::Null);
    };
    let what = format!("Job {}", object_name(job));
    let spec = &job["spec"];
    let template = &spec["template"];
    let (cpu_m, memory) = requests(&template["spec"]);
    let knob = |index, key: &str, default: f64, notes: &mut Notes| {
        let v = spec[key].as_f64().unwrap_or(default);
        let (c, clamped) = in_range(&JOB, index, v);
        if clamped {
            notes.push(&what, format!("{key} {v} written as {c}"));
        }
        c
    };
    let duration = sleep_seconds(job).unwrap_or_else(|| {
        notes.push(
            &what,
            "its containers do not run `sleep N`: the JOB's pods run 10 s".to_string(),
        );
        10.0
    });
    let priority = template["spec"]["priorityClassName"]
        .as_str()
        .unwrap_or_default();
    let priority = ["", "low", "medium", "high"].iter().position(|p| *p == priority).unwrap_or_else(|| {
        notes.push(&what, format!("priorityClassName {priority}: the JOB has none, low, medium and high; left out"));
        0
    });
    let params = [
        (
            job_param::PARALLELISM,
            knob(job_param::PARALLELISM, "parallelism", 1.0, notes),
        ),
        (
            job_param::COMPLETIONS,
            knob(job_param::COMPLETIONS, "completions", 1.0, notes),
        ),
        (
            job_param::DURATION,
            in_range(&JOB, job_param::DURATION, duration).0,
        ),
        (
            job_param::CPU,
            request_knob(&JOB, job_param::CPU, cpu_m, 10, "cpu (m)", &what, notes),
        ),
        (
            job_param::MEMORY,
            request_knob(
                &JOB,
                job_param::MEMORY,
                memory >> 20,
                16,
                "memory (MiB)",
                &what,
                notes,
            ),
        ),
        (
            job_param::BACKOFF,
            knob(job_param::BACKOFF, "backoffLimit", 6.0, notes),
        ),
        (
            job_param::DEADLINE,
            knob(job_param::DEADLINE, "activeDeadlineSeconds", 0.0, notes),
        ),
        (
            job_param::RESTART,
            if template["spec"]["restartPolicy"].as_str() == Some("OnFailure") {
                1.0
            } else {
                0.0
            },
        ),
        (job_param::PRIORITY, priority as f64),
    ];
    let data = json!({"scheduling": pod_terms(template, &what, notes)});
    b.add(&JOB, object, Row::Jobs, &params, data)
}

/// The Kueue and batch objects an import reads.
#[derive(Default)]
pub struct QueueObjects<'a> {
    /// ClusterQueues.
    pub cluster_queues: Vec<&'a Value>,
    /// LocalQueues.
    pub local_queues: Vec<&'a Value>,
    /// batch/v1 Jobs.
    pub jobs: Vec<&'a Value>,
    /// ResourceFlavors.
    pub flavors: Vec<&'a Value>,
    /// WorkloadPriorityClasses.
    pub priority_classes: Vec<&'a Value>,
}

/// Adds the CLUSTERQUEUEs (cabled to `hub`, chained by cohort) and JOBs.
pub fn add_queues(b: &mut PatchBuilder, hub: i64, objects: &QueueObjects, notes: &mut Notes) {
    let mut queue_ids: BTreeMap<String, i64> = BTreeMap::new();
    let mut cohorts: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for cq in &objects.cluster_queues {
        let id = add_cluster_queue(b, cq, notes);
        b.cable(
            hub,
            kuberack_protocol::modules::cluster::output::API,
            id,
            cq_input::API,
        );
        let spec = &cq["spec"];
        if let Some(cohort) = spec["cohortName"].as_str().or(spec["cohort"].as_str()) {
            cohorts.entry(cohort.to_owned()).or_default().push(id);
        }
        queue_ids.insert(object_name(cq), id);
    }
    for (cohort, members) in &cohorts {
        notes.push(
            &format!("cohort {cohort}"),
            format!("the rack chains its {} ClusterQueues by COHORT cables; synced, the cohort is named after the first one's CLUSTERQUEUE", members.len()),
        );
        for pair in members.windows(2) {
            b.cable(pair[0], cq_output::COHORT, pair[1], cq_input::COHORT);
        }
    }
    let mut queued: Vec<&Value> = Vec::new();
    for lq in &objects.local_queues {
        let ns = lq["metadata"]["namespace"].as_str().unwrap_or_default();
        let name = lq["metadata"]["name"].as_str().unwrap_or_default();
        let jobs: Vec<&Value> = objects
            .jobs
            .iter()
            .copied()
            .filter(|j| {
                j["metadata"]["namespace"].as_str() == Some(ns)
                    && j["metadata"]["labels"][QUEUE_NAME_KEY].as_str() == Some(name)
            })
            .collect();
        queued.extend(&jobs);
        if jobs.len() > 1 {
            notes.push(
                &format!("LocalQueue {ns}/{name}"),
                format!(
                    "{} Jobs; its JOB submits Jobs like {} on each SUBMIT",
                    jobs.len(),
                    object_name(jobs[0])
                ),
            );
        }
        let id = add_job(
            b,
            &format!("LocalQueue/{ns}/{name}"),
            jobs.first().copied(),
            notes,
        );
        b.cable(
            hub,
            kuberack_protocol::modules::cluster::output::API,
            id,
            job_input::API,
        );
        let cq = lq["spec"]["clusterQueue"].as_str().unwrap_or_default();
        match queue_ids.get(cq) {
            Some(&q) => b.cable(q, cq_output::QUEUE, id, job_input::QUEUE),
            None => notes.push(
                &format!("LocalQueue {ns}/{name}"),
                format!("its ClusterQueue {cq} is not imported; its JOB is not queued"),
            ),
        }
    }
    for job in objects
        .jobs
        .iter()
        .filter(|j| !queued.iter().any(|q| std::ptr::eq(*q, **j)))
    {
        if let Some(q) = job["metadata"]["labels"][QUEUE_NAME_KEY].as_str() {
            notes.push(
                &format!("Job {}", object_name(job)),
                format!("its LocalQueue {q} is not imported; a JOB of its own, not queued"),
            );
        }
        let id = add_job(b, &format!("Job/{}", object_name(job)), Some(job), notes);
        b.cable(
            hub,
            kuberack_protocol::modules::cluster::output::API,
            id,
            job_input::API,
        );
    }
    for rf in &objects.flavors {
        let name = object_name(rf);
        if name != DEFAULT_FLAVOR && !ESSENCES.iter().any(|e| e.name() == name) {
            notes.push(&format!("ResourceFlavor {name}"), "the rack has default-flavor and the three essences; its node labels and taints are not kept".to_string());
        }
    }
    for pc in &objects.priority_classes {
        let name = object_name(pc);
        let value = pc["value"].as_i64();
        if !WORKLOAD_PRIORITY_CLASSES
            .iter()
            .any(|&(n, v)| n == name && Some(i64::from(v)) == value)
        {
            notes.push(
                &format!("WorkloadPriorityClass {name}"),
                "the rack has the forge's tiers common, rare, epic and legendary only; left out"
                    .to_string(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavors_limits_and_durations_map_to_the_knobs() {
        assert_eq!(flavor_switch(&["default-flavor"]), Some(0.0));
        assert_eq!(flavor_switch(&["frost"]), Some(2.0));
        assert_eq!(flavor_switch(&["fire", "frost", "arcane"]), Some(4.0));
        assert_eq!(flavor_switch(&["spot", "on-demand"]), None);
        assert_eq!(limit_percent(Some(8000), 16000, 200.0), 50.0);
        assert_eq!(limit_percent(None, 16000, 200.0), 200.0);
        assert_eq!(
            limit_percent(Some(64000), 16000, 200.0),
            199.0,
            "a limit past the knob stays a limit"
        );
        let job = json!({"spec": {"template": {"spec": {"containers": [{"command": ["sh", "-c", "sleep 20; exit 1"]}]}}}});
        assert_eq!(sleep_seconds(&job), Some(20.0));
        let res = json!([{"name": "cpu", "nominalQuota": "16", "borrowingLimit": "4"}, {"name": "memory", "nominalQuota": "64Gi"}]);
        assert_eq!(quota(&res, "cpu"), Some((16000, Some(4000), None)));
        assert_eq!(quota(&res, "memory").unwrap().0, 64 << 30);
    }
}
