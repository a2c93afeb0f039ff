//! The rack's desired state as fixed-size values, and the allocation-free diff the hub runs
//! each control tick to find what changed since it last told the sync thread.

/// The Kubernetes kind a desired object becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// An apps/v1 Deployment.
    Deployment,
    /// The real nodes a NODE module cordons: those labelled with its `kuberack.io/module`
    /// tag (and KubeRack's managed-by label). KubeRack never creates or deletes nodes.
    Node,
    /// A batch/v1 Job of one JOB submission (key index = the submission's count), or, with
    /// index 0, all the Jobs of one JOB module (its removal deletes them).
    Job,
    /// A batch/v1 Job forging one essence of one ENCHANTMENT forge (key index = the forge's
    /// count x 4 + the essence, 1..=3), or, with index 0, all the forge Jobs of one
    /// ENCHANTMENT module.
    Enchantment,
    /// A CLUSTERQUEUE's Kueue ClusterQueue and its LocalQueue (written only where Kueue is
    /// found), with the ResourceFlavors they name.
    ClusterQueue,
}

impl ObjectKind {
    /// The lowercase kind, used in object names and module tags.
    pub fn lower(self) -> &'static str {
        match self {
            ObjectKind::Deployment => "deployment",
            ObjectKind::Node => "node",
            ObjectKind::Job => "job",
            ObjectKind::Enchantment => "enchantment",
            ObjectKind::ClusterQueue => "clusterqueue",
        }
    }
}

/// The index of the forge Job of essence `essence` (0..3 in [`crate::forge::ESSENCES`]) of
/// an ENCHANTMENT's forge `forge` (its count, from 1).
pub fn forge_job_index(forge: u32, essence: usize) -> u32 {
    forge.wrapping_mul(4).wrapping_add(essence as u32 % 3 + 1)
}

/// Which object: a kind, the Rack module id it comes from and, for objects a module makes
/// many of (Jobs), which one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// The Kubernetes kind.
    pub kind: ObjectKind,
    /// The Rack module id (stable across saves of a patch).
    pub module: u64,
    /// Which of the module's objects (a Job's submission count); 0 for the one object of a
    /// module, or for all of them.
    pub index: u32,
}

impl ObjectKey {
    /// The one object of `kind` of Rack module `module`.
    pub fn of(kind: ObjectKind, module: u64) -> ObjectKey {
        ObjectKey {
            kind,
            module,
            index: 0,
        }
    }

    /// The module's `kuberack.io/module` tag: `<kind>-<module id>`, a valid DNS-1123 label
    /// of at most 31 characters.
    pub fn tag(&self) -> String {
        format!("{}-{}", self.kind.lower(), self.module)
    }

    /// The object's name: the module's tag, then `-<index>` when the index is not 0
    /// (`job-<module id>-<submission>`, at most 42 characters); a forge Job's is
    /// `enchantment-<module id>-<forge count>-<essence>` (at most 57).
    pub fn name(&self) -> String {
        match (self.kind, self.index) {
            (_, 0) => self.tag(),
            (ObjectKind::Enchantment, n) => {
                let essence = crate::forge::ESSENCES[(n % 4).clamp(1, 3) as usize - 1];
                format!("{}-{}-{}", self.tag(), n / 4, essence.name())
            }
            (_, n) => format!("{}-{n}", self.tag()),
        }
    }

    /// Whether this is one Job (of a JOB submission or an ENCHANTMENT forge), created once.
    pub fn is_one_job(&self) -> bool {
        matches!(self.kind, ObjectKind::Job | ObjectKind::Enchantment) && self.index != 0
    }
}

/// What a Job asks for besides its pods' requests (which are the object's `cpu_millis` and
/// `memory_mib`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DesiredJob {
    /// spec.parallelism.
    pub parallelism: u32,
    /// spec.completions.
    pub completions: u32,
    /// How long each pod runs, milliseconds.
    pub duration_ms: u32,
    /// spec.backoffLimit.
    pub backoff_limit: u32,
    /// spec.activeDeadlineSeconds (0: none).
    pub deadline_s: u32,
    /// restartPolicy OnFailure (else Never).
    pub on_failure: bool,
    /// The pods exit with an error after running (the FAULT gate was high at submission).
    pub fails: bool,
    /// The Rack module id of the CLUSTERQUEUE whose LocalQueue the Job names (0: none).
    pub queue: u64,
    /// The WorkloadPriorityClass, 1..=4 in the forge's tiers (0: none).
    pub priority_class: u8,
}

/// One module's desired object. `Copy` and fixed-size, so it crosses the queue to the sync
/// thread without allocating on the audio side. Fields that do not apply to the key's kind
/// are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DesiredObject {
    /// Which object.
    pub key: ObjectKey,
    /// Deployment: spec.replicas.
    pub replicas: u32,
    /// Deployment: the pod template's CPU request in millicores.
    pub cpu_millis: u32,
    /// Deployment: the pod template's memory request in MiB.
    pub memory_mib: u32,
    /// Node: spec.unschedulable (cordoned).
    pub cordoned: bool,
    /// Node: the cordon is driven (the NODE's "Sync cordon").
    pub sync_cordon: bool,
    /// Node: the typed labels and taints applied to the real nodes (an id in the interned
    /// node table; `None`: none applied, those applied before taken off).
    pub node_terms: Option<u16>,
    /// Node: the NODE's pool selector (the required node affinity of an id in the interned
    /// pod terms table; 0 = none), which maps real nodes to it in the mirror.
    pub pool_selector: u16,
    /// Job: the rest of its spec.
    pub job: DesiredJob,
    /// ClusterQueue: the rest of its spec.
    pub queue: DesiredQueue,
    /// Deployment and Job: the pod template's labels, tolerations, nodeSelector and node
    /// affinity, the module's shortcuts included (an id in the interned table; 0 = none).
    pub pod_terms: u16,
}

impl DesiredObject {
    /// The Deployment of DEPLOYMENT module `module`.
    pub fn deployment(module: u64, replicas: u32, cpu_millis: u32, memory_mib: u32) -> Self {
        DesiredObject {
            key: ObjectKey::of(ObjectKind::Deployment, module),
            replicas,
            cpu_millis,
            memory_mib,
            cordoned: false,
            sync_cordon: false,
            node_terms: None,
            pool_selector: 0,
            job: DesiredJob::default(),
            queue: DesiredQueue::default(),
            pod_terms: 0,
        }
    }

    /// The same object with this pod template terms id.
    pub fn with_pod_terms(self, pod_terms: u16) -> Self {
        DesiredObject { pod_terms, ..self }
    }

    /// The ClusterQueue (and LocalQueue) of CLUSTERQUEUE module `module`, with `cpu_millis`
    /// and `memory_mib` of nominal quota per flavor.
    pub fn cluster_queue(
        module: u64,
        cpu_millis: u32,
        memory_mib: u32,
        queue: DesiredQueue,
    ) -> Self {
        DesiredObject {
            key: ObjectKey::of(ObjectKind::ClusterQueue, module),
            cpu_millis,
            memory_mib,
            queue,
            ..DesiredObject::node(module, false)
        }
    }

    /// The cordon of the real nodes of NODE module `module`.
    pub fn node(module: u64, cordoned: bool) -> Self {
        DesiredObject {
            key: ObjectKey::of(ObjectKind::Node, module),
            replicas: 0,
            cpu_millis: 0,
            memory_mib: 0,
            cordoned,
            sync_cordon: true,
            node_terms: None,
            pool_selector: 0,
            job: DesiredJob::default(),
            queue: DesiredQueue::default(),
            pod_terms: 0,
        }
    }

    /// NODE module `module` mapping the real nodes its pool selector (an interned id)
    /// selects, without writing them.
    pub fn node_pool(module: u64, pool_selector: u16) -> Self {
        DesiredObject {
            pool_selector,
            ..DesiredObject::node_sync(module, None, None)
        }
    }

    /// The real nodes of NODE module `module`: cordoned when `cordon` is `Some`, given the
    /// typed labels and taints `terms` (or, `None`, without those applied before).
    pub fn node_sync(module: u64, cordon: Option<bool>, terms: Option<u16>) -> Self {
        DesiredObject {
            sync_cordon: cordon.is_some(),
            node_terms: terms,
            ..DesiredObject::node(module, cordon.unwrap_or(false))
        }
    }

    /// JOB (or with `kind` Enchantment, ENCHANTMENT) module `module` as a member: nothing is
    /// written for it, and its removal deletes all its Jobs.
    pub fn job_owner_of(kind: ObjectKind, module: u64) -> Self {
        DesiredObject {
            key: ObjectKey::of(kind, module),
            ..DesiredObject::node(module, false)
        }
    }

    /// JOB module `module` as a member (see [`DesiredObject::job_owner_of`]).
    pub fn job_owner(module: u64) -> Self {
        DesiredObject::job_owner_of(ObjectKind::Job, module)
    }

    /// The Job forging essence `essence` (0..3) of forge `forge` (its count, from 1) of
    /// ENCHANTMENT module `module`.
    pub fn forge_job(
        module: u64,
        forge: u32,
        essence: usize,
        cpu_millis: u32,
        memory_mib: u32,
        job: DesiredJob,
    ) -> Self {
        let mut obj = DesiredObject::job(module, 0, cpu_millis, memory_mib, job);
        obj.key.kind = ObjectKind::Enchantment;
        obj.key.index = forge_job_index(forge, essence);
        obj
    }

    /// The Job of submission `submission` (from 1) of JOB module `module`, whose pods each
    /// request `cpu_millis` and `memory_mib`.
    pub fn job(
        module: u64,
        submission: u32,
        cpu_millis: u32,
        memory_mib: u32,
        job: DesiredJob,
    ) -> Self {
        DesiredObject {
            key: ObjectKey {
                kind: ObjectKind::Job,
                module,
                index: submission,
            },
            replicas: 0,
            cpu_millis,
            memory_mib,
            cordoned: false,
            sync_cordon: false,
            node_terms: None,
            pool_selector: 0,
            job,
            queue: DesiredQueue::default(),
            pod_terms: 0,
        }
    }
}

/// What a CLUSTERQUEUE asks for besides its cpu and memory quota (which are the object's
/// `cpu_millis` and `memory_mib`, per flavor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DesiredQueue {
    /// Its flavors: 0 default-flavor, 1..=3 one essence, 4 all three.
    pub flavors: u8,
    /// nominalQuota of each essence flavor's mana.
    pub mana: u32,
    /// borrowingLimit, percent of each nominal quota (`None`: no limit).
    pub borrow_pct: Option<u32>,
    /// lendingLimit, percent of each nominal quota (`None`: no limit).
    pub lend_pct: Option<u32>,
    /// queueingStrategy StrictFIFO (else BestEffortFIFO).
    pub strict_fifo: bool,
    /// preemption.withinClusterQueue: 0 Never, 1 LowerPriority, 2 LowerOrNewerEqualPriority.
    pub within: u8,
    /// preemption.reclaimWithinCohort: 0 Never, 1 LowerPriority, 2 Any.
    pub reclaim: u8,
    /// The Rack module id of the first CLUSTERQUEUE of its cohort chain (0: no cohort).
    pub cohort: u64,
    /// fairSharing.weight, thousandths.
    pub weight_milli: u32,
}

impl Default for DesiredQueue {
    /// default-flavor, no mana, no limits, BestEffortFIFO, no preemption, no cohort, weight 1.
    fn default() -> Self {
        DesiredQueue {
            flavors: 0,
            mana: 0,
            borrow_pct: None,
            lend_pct: None,
            strict_fifo: false,
            within: 0,
            reclaim: 0,
            cohort: 0,
            weight_milli: 1000,
        }
    }
}

/// A change in the desired state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Create the object or bring it to these values.
    Apply(DesiredObject),
    /// The module is gone: the object is no longer desired.
    Remove(ObjectKey),
}

/// Calls `emit` for each slot whose desired object differs between `prev` and `next` (slots
/// past the shorter slice count as empty). Where `emit` returns false (the queue was full),
/// `prev` keeps its old value, so the next call offers the then-latest value again: overflow
/// is coalesced, never lost and never waited for. Allocates nothing.
pub fn diff_into(
    prev: &mut [Option<DesiredObject>],
    next: &[Option<DesiredObject>],
    mut emit: impl FnMut(Change) -> bool,
) {
    for (i, slot) in prev.iter_mut().enumerate() {
        let want = next.get(i).copied().flatten();
        if *slot == want {
            continue;
        }
        let change = match (*slot, want) {
            (_, Some(obj)) => Change::Apply(obj),
            (Some(old), None) => Change::Remove(old.key),
            (None, None) => continue,
        };
        if emit(change) {
            *slot = want;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(module: u64, replicas: u32) -> Option<DesiredObject> {
        Some(DesiredObject::deployment(module, replicas, 100, 128))
    }

    fn run(prev: &mut [Option<DesiredObject>], next: &[Option<DesiredObject>]) -> Vec<Change> {
        let mut out = Vec::new();
        diff_into(prev, next, |c| {
            out.push(c);
            true
        });
        out
    }

    #[test]
    fn unchanged_state_emits_nothing() {
        let mut prev = [dep(1, 3), None];
        assert!(run(&mut prev, &[dep(1, 3), None]).is_empty());
    }

    #[test]
    fn additions_changes_and_removals_are_emitted_once() {
        let mut prev = [None, dep(2, 1), dep(3, 1)];
        let next = [dep(1, 2), dep(2, 5), None];
        let changes = run(&mut prev, &next);
        assert_eq!(
            changes,
            vec![
                Change::Apply(dep(1, 2).unwrap()),
                Change::Apply(dep(2, 5).unwrap()),
                Change::Remove(dep(3, 1).unwrap().key),
            ]
        );
        assert_eq!(prev, next);
        assert!(run(&mut prev, &next).is_empty());
    }

    #[test]
    fn a_refused_change_is_offered_again_with_the_latest_value() {
        let mut prev = [dep(1, 1)];
        diff_into(&mut prev, &[dep(1, 2)], |_| false);
        assert_eq!(prev, [dep(1, 1)]);
        // Meanwhile the knob moved on: only the latest value goes out.
        assert_eq!(
            run(&mut prev, &[dep(1, 4)]),
            vec![Change::Apply(dep(1, 4).unwrap())]
        );
    }

    #[test]
    fn a_node_cordon_is_its_own_object() {
        let mut prev = [dep(1, 1), None];
        let next = [dep(1, 1), Some(DesiredObject::node(1, true))];
        let changes = run(&mut prev, &next);
        assert_eq!(changes, vec![Change::Apply(DesiredObject::node(1, true))]);
        assert_ne!(next[0].unwrap().key, next[1].unwrap().key);
        assert_eq!(next[1].unwrap().key.name(), "node-1");
    }

    #[test]
    fn jobs_are_named_after_their_module_and_submission() {
        let job = DesiredObject::job(42, 7, 100, 64, DesiredJob::default());
        assert_eq!(job.key.name(), "job-42-7");
        assert_eq!(job.key.tag(), "job-42");
        let owner = DesiredObject::job_owner(42);
        assert_eq!(owner.key.name(), "job-42");
        assert_ne!(owner.key, job.key);
        assert!(job.key.is_one_job() && !owner.key.is_one_job());
        let forge = ObjectKey {
            kind: ObjectKind::Enchantment,
            module: 5,
            index: forge_job_index(12, 2),
        };
        assert_eq!(forge.name(), "enchantment-5-12-arcane");
        assert_eq!(forge.tag(), "enchantment-5");
        assert!(forge.is_one_job());
        let names: Vec<String> = (0..3)
            .map(|e| {
                ObjectKey {
                    index: forge_job_index(1, e),
                    ..forge
                }
                .name()
            })
            .collect();
        assert_eq!(
            names,
            [
                "enchantment-5-1-fire",
                "enchantment-5-1-frost",
                "enchantment-5-1-arcane"
            ]
        );
    }

    #[test]
    fn names_are_dns_labels() {
        for kind in [
            ObjectKind::Deployment,
            ObjectKind::Node,
            ObjectKind::Job,
            ObjectKind::Enchantment,
            ObjectKind::ClusterQueue,
        ] {
            let name = ObjectKey {
                kind,
                module: u64::MAX,
                index: u32::MAX,
            }
            .name();
            assert!(name.len() <= 63);
            assert!(name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
    }
}
