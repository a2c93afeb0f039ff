//! The Kueue objects KubeRack writes when discovery finds Kueue: a ClusterQueue and its
//! LocalQueue per CLUSTERQUEUE, the ResourceFlavors they name and the forge's
//! WorkloadPriorityClasses, as server-side-apply bodies in the API version the server
//! prefers (v1beta2 where served, else v1beta1), with that version's field names.

use crate::labels::managed_labels;
use crate::manifest::queue_name;
use kube::api::ApiResource;
use kuberack_core::forge::{Essence, ESSENCES};
use kuberack_core::live::{DesiredObject, DesiredQueue};
use kuberack_core::world::mana::LABEL_ENERGY;
use kuberack_core::world::queueing::{DEFAULT_FLAVOR, WORKLOAD_PRIORITY_CLASSES};
use serde_json::{json, Value};

/// The API group KubeRack writes.
pub const GROUP: &str = "kueue.x-k8s.io";

/// A version of [`GROUP`] KubeRack writes. The fields it writes differ only in the
/// ClusterQueue's cohort: `spec.cohort` in v1beta1, `spec.cohortName` in v1beta2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KueueVersion {
    /// Kueue up to v0.14 (and served, not stored, by later releases).
    V1beta1,
    /// Current Kueue's storage version.
    V1beta2,
}

impl KueueVersion {
    /// The version's name, as in `apiVersion`.
    pub fn name(self) -> &'static str {
        match self {
            KueueVersion::V1beta1 => "v1beta1",
            KueueVersion::V1beta2 => "v1beta2",
        }
    }

    /// `kueue.x-k8s.io/<version>`.
    pub fn api_version(self) -> String {
        format!("{GROUP}/{}", self.name())
    }

    /// The version to write among those the server serves: v1beta2 where served, else
    /// v1beta1, else none (Kueue not found).
    pub fn preferred<'a>(served: impl IntoIterator<Item = &'a str>) -> Option<KueueVersion> {
        let served: Vec<&str> = served.into_iter().collect();
        [KueueVersion::V1beta2, KueueVersion::V1beta1]
            .into_iter()
            .find(|v| served.contains(&v.name()))
    }

    /// The ClusterQueue field naming its cohort.
    pub fn cohort_field(self) -> &'static str {
        match self {
            KueueVersion::V1beta1 => "cohort",
            KueueVersion::V1beta2 => "cohortName",
        }
    }
}

/// A Kueue kind: its ApiResource for kube's dynamic API, and whether it is namespaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KueueKind {
    /// ResourceFlavor (cluster-scoped).
    ResourceFlavor,
    /// ClusterQueue (cluster-scoped).
    ClusterQueue,
    /// LocalQueue (namespaced).
    LocalQueue,
    /// WorkloadPriorityClass (cluster-scoped).
    WorkloadPriorityClass,
    /// Workload (namespaced; only read).
    Workload,
}

impl KueueKind {
    /// Every kind KubeRack writes, in the order toggle-off deletes them.
    pub const WRITTEN: [KueueKind; 4] = [
        KueueKind::LocalQueue,
        KueueKind::ClusterQueue,
        KueueKind::ResourceFlavor,
        KueueKind::WorkloadPriorityClass,
    ];

    /// The kind's name.
    pub fn kind(self) -> &'static str {
        match self {
            KueueKind::ResourceFlavor => "ResourceFlavor",
            KueueKind::ClusterQueue => "ClusterQueue",
            KueueKind::LocalQueue => "LocalQueue",
            KueueKind::WorkloadPriorityClass => "WorkloadPriorityClass",
            KueueKind::Workload => "Workload",
        }
    }

    /// The resource (plural) name.
    pub fn plural(self) -> &'static str {
        match self {
            KueueKind::ResourceFlavor => "resourceflavors",
            KueueKind::ClusterQueue => "clusterqueues",
            KueueKind::LocalQueue => "localqueues",
            KueueKind::WorkloadPriorityClass => "workloadpriorityclasses",
            KueueKind::Workload => "workloads",
        }
    }

    /// Whether objects of the kind live in a namespace.
    pub fn namespaced(self) -> bool {
        matches!(self, KueueKind::LocalQueue | KueueKind::Workload)
    }

    /// For kube's dynamic API, in `version`.
    pub fn api_resource(self, version: KueueVersion) -> ApiResource {
        ApiResource {
            group: GROUP.to_owned(),
            version: version.name().to_owned(),
            api_version: version.api_version(),
            kind: self.kind().to_owned(),
            plural: self.plural().to_owned(),
        }
    }

    /// `<plural>.kueue.x-k8s.io`, for error messages.
    pub fn resource(self) -> String {
        format!("{}.{GROUP}", self.plural())
    }
}

fn object(
    version: KueueVersion,
    kind: KueueKind,
    name: &str,
    namespace: Option<&str>,
    module: &str,
) -> Value {
    let mut metadata = json!({ "name": name, "labels": managed_labels(module) });
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": version.api_version(),
        "kind": kind.kind(),
        "metadata": metadata,
    })
}

/// The essence of a flavors word's index (1..=3), if it names one.
fn essence(index: u8) -> Option<Essence> {
    ESSENCES.get(usize::from(index).checked_sub(1)?).copied()
}

/// The ResourceFlavors a CLUSTERQUEUE's quota is given in: `default-flavor`, one essence's,
/// or the three essences'.
pub fn flavors(queue: &DesiredQueue) -> Vec<Option<Essence>> {
    match queue.flavors {
        4 => ESSENCES.iter().copied().map(Some).collect(),
        i => vec![essence(i)],
    }
}

/// A flavor's name: `default-flavor` or the essence's name.
pub fn flavor_name(flavor: Option<Essence>) -> &'static str {
    flavor.map_or(DEFAULT_FLAVOR, Essence::name)
}

/// The ResourceFlavor of an essence (its nodes labelled and tainted `energy=<essence>`,
/// NoSchedule), or `default-flavor` (any node).
pub fn resource_flavor(version: KueueVersion, flavor: Option<Essence>) -> Value {
    let name = flavor_name(flavor);
    let mut rf = object(version, KueueKind::ResourceFlavor, name, None, "cluster");
    rf["spec"] = match flavor {
        Some(e) => json!({
            "nodeLabels": { LABEL_ENERGY: e.name() },
            "nodeTaints": [{ "key": LABEL_ENERGY, "value": e.name(), "effect": "NoSchedule" }],
        }),
        None => json!({}),
    };
    rf
}

/// The forge's WorkloadPriorityClasses, one per tier.
pub fn workload_priority_classes(version: KueueVersion) -> Vec<Value> {
    WORKLOAD_PRIORITY_CLASSES
        .iter()
        .map(|&(name, value)| {
            let kind = KueueKind::WorkloadPriorityClass;
            let mut c = object(version, kind, name, None, "cluster");
            c["value"] = json!(value);
            c["description"] = json!(format!("KubeRack forge tier {name}"));
            c
        })
        .collect()
}

fn preemption_within(word: u8) -> &'static str {
    match word {
        1 => "LowerPriority",
        2 => "LowerOrNewerEqualPriority",
        _ => "Never",
    }
}

fn preemption_reclaim(word: u8) -> &'static str {
    match word {
        1 => "LowerPriority",
        2 => "Any",
        _ => "Never",
    }
}

/// `pct` percent of `quota`, rounded down.
fn percent(quota: u32, pct: u32) -> u64 {
    u64::from(quota) * u64::from(pct) / 100
}

/// The ClusterQueue of a CLUSTERQUEUE: one resource group covering cpu, memory and the
/// mana of its essence flavors, its quota per flavor (mana only in its own essence's
/// flavor), borrowing and lending limits as percentages of each nominal quota (only in a
/// cohort, as Kueue requires), its queueing strategy and preemption policies; every
/// namespace may use it.
pub fn cluster_queue(version: KueueVersion, obj: &DesiredObject) -> Value {
    let q = &obj.queue;
    let flavors = flavors(q);
    let mut covered = vec!["cpu".to_owned(), "memory".to_owned()];
    covered.extend(
        flavors
            .iter()
            .flatten()
            .map(|e| e.resource_name().to_owned()),
    );
    let in_cohort = q.cohort != 0;
    let quota = |name: &str, nominal: u32, unit: &str| {
        let mut r = json!({ "name": name, "nominalQuota": format!("{nominal}{unit}") });
        if let (true, Some(pct)) = (in_cohort, q.borrow_pct) {
            r["borrowingLimit"] = json!(format!("{}{unit}", percent(nominal, pct)));
        }
        if let (true, Some(pct)) = (in_cohort, q.lend_pct) {
            r["lendingLimit"] = json!(format!("{}{unit}", percent(nominal, pct)));
        }
        r
    };
    let flavor_quotas: Vec<Value> = flavors
        .iter()
        .map(|&flavor| {
            let mut resources = vec![
                quota("cpu", obj.cpu_millis, "m"),
                quota("memory", obj.memory_mib, "Mi"),
            ];
            for e in flavors.iter().flatten() {
                let mana = if Some(*e) == flavor { q.mana } else { 0 };
                resources.push(quota(e.resource_name(), mana, ""));
            }
            json!({ "name": flavor_name(flavor), "resources": resources })
        })
        .collect();
    let name = queue_name(obj.key.module);
    let mut cq = object(
        version,
        KueueKind::ClusterQueue,
        &name,
        None,
        &obj.key.tag(),
    );
    cq["spec"] = json!({
        "namespaceSelector": {},
        "queueingStrategy": if q.strict_fifo { "StrictFIFO" } else { "BestEffortFIFO" },
        "resourceGroups": [{ "coveredResources": covered, "flavors": flavor_quotas }],
        "preemption": {
            "withinClusterQueue": preemption_within(q.within),
            "reclaimWithinCohort": preemption_reclaim(q.reclaim),
        },
    });
    if in_cohort {
        cq["spec"][version.cohort_field()] = json!(queue_name(q.cohort));
    }
    if q.weight_milli != 1000 {
        cq["spec"]["fairSharing"] = json!({ "weight": weight_quantity(q.weight_milli) });
    }
    cq
}

/// A weight in thousandths as a Kubernetes quantity: `2`, `500m`.
fn weight_quantity(milli: u32) -> String {
    if milli.is_multiple_of(1000) {
        format!("{}", milli / 1000)
    } else {
        format!("{milli}m")
    }
}

/// The LocalQueue in `namespace` through which KubeRack's Jobs reach a CLUSTERQUEUE's
/// ClusterQueue (both named `clusterqueue-<module id>`).
pub fn local_queue(version: KueueVersion, namespace: &str, obj: &DesiredObject) -> Value {
    let name = queue_name(obj.key.module);
    let mut lq = object(
        version,
        KueueKind::LocalQueue,
        &name,
        Some(namespace),
        &obj.key.tag(),
    );
    lq["spec"] = json!({ "clusterQueue": name });
    lq
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::{MANAGED_BY_KEY, MODULE_KEY};

    const V1: KueueVersion = KueueVersion::V1beta1;

    fn queue(flavors: u8, cohort: u64) -> DesiredObject {
        let q = DesiredQueue {
            flavors,
            mana: 6,
            borrow_pct: Some(50),
            lend_pct: None,
            strict_fifo: true,
            within: 1,
            reclaim: 2,
            cohort,
            weight_milli: 1000,
        };
        DesiredObject::cluster_queue(7, 4000, 2048, q)
    }

    #[test]
    fn a_weight_other_than_one_is_written_as_a_quantity() {
        assert!(cluster_queue(V1, &queue(0, 3))["spec"]
            .get("fairSharing")
            .is_none());
        for (milli, quantity) in [(0, "0"), (500, "500m"), (2000, "2"), (1500, "1500m")] {
            let mut obj = queue(0, 3);
            obj.queue.weight_milli = milli;
            let cq = cluster_queue(V1, &obj);
            assert_eq!(cq["spec"]["fairSharing"], json!({ "weight": quantity }));
        }
    }

    #[test]
    fn a_default_queue_covers_cpu_and_memory_of_the_default_flavor() {
        let cq = cluster_queue(V1, &queue(0, 0));
        assert_eq!(cq["apiVersion"], "kueue.x-k8s.io/v1beta1");
        assert_eq!(cq["kind"], "ClusterQueue");
        assert_eq!(cq["metadata"]["name"], "clusterqueue-7");
        assert!(cq["metadata"].get("namespace").is_none(), "cluster-scoped");
        assert_eq!(cq["metadata"]["labels"][MANAGED_BY_KEY], "kuberack");
        assert_eq!(cq["metadata"]["labels"][MODULE_KEY], "clusterqueue-7");
        let spec = &cq["spec"];
        assert_eq!(spec["namespaceSelector"], json!({}));
        assert_eq!(spec["queueingStrategy"], "StrictFIFO");
        assert_eq!(spec["preemption"]["withinClusterQueue"], "LowerPriority");
        assert_eq!(spec["preemption"]["reclaimWithinCohort"], "Any");
        assert!(spec.get("cohort").is_none());
        let group = &spec["resourceGroups"][0];
        assert_eq!(group["coveredResources"], json!(["cpu", "memory"]));
        let flavor = &group["flavors"][0];
        assert_eq!(flavor["name"], "default-flavor");
        assert_eq!(
            flavor["resources"],
            json!([{"name": "cpu", "nominalQuota": "4000m"},
                   {"name": "memory", "nominalQuota": "2048Mi"}]),
            "Kueue refuses limits outside a cohort"
        );
    }

    #[test]
    fn three_essence_flavors_share_one_group_and_limits_apply_in_a_cohort() {
        let cq = cluster_queue(V1, &queue(4, 3));
        assert_eq!(cq["spec"]["cohort"], "clusterqueue-3");
        let group = &cq["spec"]["resourceGroups"][0];
        let covered = group["coveredResources"].as_array().unwrap();
        assert_eq!(covered.len(), 5);
        let flavors = group["flavors"].as_array().unwrap();
        assert_eq!(flavors.len(), 3);
        for (flavor, e) in flavors.iter().zip(ESSENCES) {
            assert_eq!(flavor["name"], e.name());
            let resources = flavor["resources"].as_array().unwrap();
            // Every flavor lists the covered resources, in order.
            let names: Vec<&Value> = resources.iter().map(|r| &r["name"]).collect();
            assert_eq!(names, covered.iter().collect::<Vec<_>>());
            assert_eq!(resources[0]["borrowingLimit"], "2000m");
            assert!(resources[0].get("lendingLimit").is_none());
            for r in &resources[2..] {
                let own = r["name"] == e.resource_name();
                assert_eq!(r["nominalQuota"], if own { "6" } else { "0" });
            }
        }
    }

    #[test]
    fn essence_flavors_pin_and_taint_their_nodes() {
        let fire = resource_flavor(V1, Some(Essence::Fire));
        assert_eq!(fire["metadata"]["name"], "fire");
        assert_eq!(fire["spec"]["nodeLabels"][LABEL_ENERGY], "fire");
        assert_eq!(
            fire["spec"]["nodeTaints"],
            json!([{"key": "energy", "value": "fire", "effect": "NoSchedule"}])
        );
        let default = resource_flavor(V1, None);
        assert_eq!(default["metadata"]["name"], "default-flavor");
        assert_eq!(default["spec"], json!({}));
        assert_eq!(flavors(&queue(2, 0).queue), vec![Some(ESSENCES[1])]);
    }

    #[test]
    fn the_local_queue_points_at_its_cluster_queue_and_tiers_have_values() {
        let lq = local_queue(V1, "team", &queue(0, 0));
        assert_eq!(lq["metadata"]["namespace"], "team");
        assert_eq!(lq["spec"]["clusterQueue"], "clusterqueue-7");
        let classes = workload_priority_classes(V1);
        assert_eq!(classes.len(), 4);
        assert_eq!(classes[3]["metadata"]["name"], "legendary");
        assert_eq!(classes[3]["value"], 4);
        assert!(classes[3].get("spec").is_none(), "value is top-level");
    }

    #[test]
    fn v1beta2_names_the_cohort_cohort_name_and_is_preferred_where_served() {
        let v2 = KueueVersion::V1beta2;
        let cq = cluster_queue(v2, &queue(4, 3));
        assert_eq!(cq["apiVersion"], "kueue.x-k8s.io/v1beta2");
        assert_eq!(cq["spec"]["cohortName"], "clusterqueue-3");
        assert!(cq["spec"].get("cohort").is_none());
        // Every other field is the same in both versions.
        let mut v1 = cluster_queue(V1, &queue(4, 3));
        let cohort = v1["spec"].as_object_mut().unwrap().remove("cohort");
        let mut v2_spec = cq["spec"].clone();
        v2_spec.as_object_mut().unwrap().remove("cohortName");
        assert_eq!(cohort, Some(json!("clusterqueue-3")));
        assert_eq!(v1["spec"], v2_spec);
        assert_eq!(
            local_queue(v2, "team", &queue(0, 0))["apiVersion"],
            "kueue.x-k8s.io/v1beta2"
        );
        assert_eq!(KueueVersion::preferred(["v1beta1", "v1beta2"]), Some(v2));
        assert_eq!(KueueVersion::preferred(["v1beta1"]), Some(V1));
        assert_eq!(KueueVersion::preferred(["v1alpha1"]), None);
        assert_eq!(
            KueueKind::Workload.api_resource(v2).api_version,
            "kueue.x-k8s.io/v1beta2"
        );
    }

    #[test]
    fn kinds_name_their_resources() {
        assert_eq!(
            KueueKind::ClusterQueue.resource(),
            "clusterqueues.kueue.x-k8s.io"
        );
        assert!(KueueKind::LocalQueue.namespaced());
        assert!(!KueueKind::ResourceFlavor.namespaced());
        assert_eq!(
            KueueKind::WorkloadPriorityClass.api_resource(V1).plural,
            "workloadpriorityclasses"
        );
    }
}
