//! Kueue in the world: ClusterQueues (one LocalQueue each, same index) made from CLUSTERQUEUE
//! modules, ResourceFlavors for the default flavor and the three essences, the forge's
//! WorkloadPriorityClasses, and the Job integration: a Job with a queue is created suspended
//! with a Workload; admission unsuspends it and pins its pods to the assigned flavor's nodes;
//! eviction suspends it again (its pods are deleted) until it is admitted anew.

use super::events::EventKind;
use super::mana::{essence_index, EssenceIndex};
use super::names::{ObjectKind, ObjectName};
use super::objects::NONE;
use super::World;
use crate::forge::{Essence, ESSENCES};
use crate::kueue::*;

/// ClusterQueues (and LocalQueues) a world holds at most.
pub const MAX_CLUSTER_QUEUES: usize = 16;
/// The WorkloadPriorityClasses of the forge, by tier (index 1..=4 in [`JobQueueing`]).
pub const WORKLOAD_PRIORITY_CLASSES: [(&str, i32); 4] =
    [("common", 1), ("rare", 2), ("epic", 3), ("legendary", 4)];
/// The ResourceFlavor every ClusterQueue may use: no node labels.
pub const DEFAULT_FLAVOR: &str = "default-flavor";

/// Which ResourceFlavors a CLUSTERQUEUE gives quota in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueFlavors {
    /// `default-flavor`: cpu and memory on any node.
    #[default]
    Default,
    /// One essence's flavor: cpu, memory and `manawell.io/<essence>` on nodes labelled
    /// `energy=<essence>` (1..=3).
    Essence(EssenceIndex),
    /// The three essence flavors, each with the same cpu and memory quota and mana of its own
    /// essence.
    AllEssences,
}

/// What a CLUSTERQUEUE module asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterQueueConfig {
    /// The flavors of its one resource group.
    pub flavors: QueueFlavors,
    /// nominalQuota of cpu per flavor, millicores.
    pub cpu_m: u32,
    /// nominalQuota of memory per flavor, MiB.
    pub memory_mib: u32,
    /// nominalQuota of the flavor's mana.
    pub mana: u32,
    /// borrowingLimit as a percentage of each nominal quota (`None`: unlimited).
    pub borrowing_limit_pct: Option<u32>,
    /// lendingLimit as a percentage of each nominal quota (`None`: unlimited).
    pub lending_limit_pct: Option<u32>,
    /// queueingStrategy.
    pub strategy: QueueingStrategy,
    /// preemption.withinClusterQueue.
    pub within_cluster_queue: PreemptionPolicy,
    /// preemption.reclaimWithinCohort.
    pub reclaim_within_cohort: PreemptionPolicy,
    /// fairSharing.weight, thousandths.
    pub fair_sharing_weight_milli: u32,
    /// The tag of the first ClusterQueue of the cohort chain (`None`: no cohort).
    pub cohort_root: Option<u32>,
}

impl Default for ClusterQueueConfig {
    fn default() -> Self {
        ClusterQueueConfig {
            flavors: QueueFlavors::Default,
            cpu_m: 1000,
            memory_mib: 1024,
            mana: 0,
            borrowing_limit_pct: None,
            lending_limit_pct: None,
            strategy: QueueingStrategy::BestEffortFIFO,
            within_cluster_queue: PreemptionPolicy::Never,
            reclaim_within_cohort: PreemptionPolicy::Never,
            fair_sharing_weight_milli: 1000,
            cohort_root: None,
        }
    }
}

/// How a Job is queued: `metadata.labels` `kueue.x-k8s.io/queue-name` and
/// `kueue.x-k8s.io/priority-class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobQueueing {
    /// The tag of the CLUSTERQUEUE whose LocalQueue the Job names (`NONE`: not queued).
    pub queue: u32,
    /// WorkloadPriorityClass, 1..=4 in [`WORKLOAD_PRIORITY_CLASSES`] (0: none).
    pub priority_class: u8,
}

impl JobQueueing {
    /// Not queued: the Job runs at once.
    pub const NONE: JobQueueing = JobQueueing {
        queue: NONE,
        priority_class: 0,
    };

    /// Whether the Job names a queue.
    pub fn is_queued(&self) -> bool {
        self.queue != NONE
    }
}

/// What a CLUSTERQUEUE module shows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClusterQueueStatus {
    /// status.pendingWorkloads.
    pub pending: u32,
    /// status.admittedWorkloads.
    pub admitted: u32,
    /// Usage over nominal quota of cpu, memory and mana (summed over flavors), 0..2.
    pub usage: [f32; 3],
    /// Using more than its nominal quota somewhere (borrowing from the cohort).
    pub borrowing: bool,
    /// Deleted, waiting for its admitted workloads (Terminating).
    pub terminating: bool,
    /// Workloads admitted so far.
    pub admissions: u64,
    /// Workloads of this queue preempted so far.
    pub preemptions: u64,
    /// status.fairSharing.weightedShare (`i64::MAX` for a borrowing queue of weight 0).
    pub weighted_share: i64,
}

/// Kueue and the world's bookkeeping around it.
pub(super) struct Queueing {
    pub kueue: Kueue,
    /// Module tag of each ClusterQueue index (`NONE`: free).
    tags: [u32; MAX_CLUSTER_QUEUES],
    /// Tag of the first ClusterQueue of each cohort chain, by cohort index (`NONE`: free).
    cohort_roots: [u32; MAX_CLUSTER_QUEUES],
    /// Quota each queue was given, for usage fractions.
    nominal: [[i64; 3]; MAX_CLUSTER_QUEUES],
    pub admissions: [u64; MAX_CLUSTER_QUEUES],
    pub preemptions: [u64; MAX_CLUSTER_QUEUES],
    /// The Job of each Workload id (`NONE`: none).
    pub job_of_workload: Vec<u32>,
    /// The last Kueue event handled.
    seen: u64,
}

impl Queueing {
    pub fn new(max_workloads: usize) -> Queueing {
        let mut kueue = Kueue::new(KueueConfig {
            max_cluster_queues: MAX_CLUSTER_QUEUES,
            max_local_queues: MAX_CLUSTER_QUEUES,
            max_workloads,
            event_capacity: 1024,
            ..KueueConfig::default()
        });
        kueue.set_resource_flavor(0, ResourceFlavor::named(DEFAULT_FLAVOR));
        for e in ESSENCES {
            let taint = Taint {
                key: super::mana::LABEL_ENERGY,
                value: e.name(),
                effect: crate::kueue::TaintEffect::NoSchedule,
            };
            let flavor = ResourceFlavor::named(e.name())
                .with_label(super::mana::LABEL_ENERGY, e.name())
                .with_taint(taint);
            kueue.set_resource_flavor(usize::from(essence_index(e)), flavor);
        }
        for (i, (name, value)) in WORKLOAD_PRIORITY_CLASSES.into_iter().enumerate() {
            kueue.set_priority_class(i, WorkloadPriorityClass { name, value });
        }
        Queueing {
            kueue,
            tags: [NONE; MAX_CLUSTER_QUEUES],
            cohort_roots: [NONE; MAX_CLUSTER_QUEUES],
            nominal: [[0; 3]; MAX_CLUSTER_QUEUES],
            admissions: [0; MAX_CLUSTER_QUEUES],
            preemptions: [0; MAX_CLUSTER_QUEUES],
            job_of_workload: vec![NONE; max_workloads],
            seen: 0,
        }
    }

    /// The index of the ClusterQueue of module `tag`.
    pub fn index(&self, tag: u32) -> Option<usize> {
        self.tags.iter().position(|&t| t == tag && tag != NONE)
    }

    /// The index for `tag`, taking a free one if it has none.
    fn index_or_claim(&mut self, tag: u32) -> Option<usize> {
        if let Some(i) = self.index(tag) {
            return Some(i);
        }
        let i = self.tags.iter().position(|&t| t == NONE)?;
        self.tags[i] = tag;
        Some(i)
    }

    /// The cohort index of the chain whose first ClusterQueue is `root`.
    fn cohort(&mut self, root: u32) -> Option<usize> {
        if let Some(c) = self.cohort_roots.iter().position(|&t| t == root) {
            return Some(c);
        }
        let c = self.cohort_roots.iter().position(|&t| t == NONE)?;
        self.cohort_roots[c] = root;
        Some(c)
    }
}

/// The resource of an essence's mana.
pub fn mana_resource(essence: Essence) -> ResourceName {
    match essence {
        Essence::Fire => ResourceName::Fire,
        Essence::Frost => ResourceName::Frost,
        Essence::Arcane => ResourceName::Arcane,
    }
}

fn limit(pct: Option<u32>, nominal: i64) -> Option<i64> {
    pct.map(|p| nominal * i64::from(p.min(1000)) / 100)
}

fn quota(nominal: i64, c: &ClusterQueueConfig) -> ResourceQuota {
    ResourceQuota {
        nominal_quota: nominal,
        borrowing_limit: limit(c.borrowing_limit_pct, nominal),
        lending_limit: limit(c.lending_limit_pct, nominal),
    }
}

/// The Kueue spec of a CLUSTERQUEUE (the cohort is resolved by the caller).
fn cluster_queue_spec(c: &ClusterQueueConfig, cohort: Option<usize>) -> ClusterQueueSpec {
    let cpu = quota(i64::from(c.cpu_m), c);
    let memory = quota(i64::from(c.memory_mib), c);
    let mana = quota(i64::from(c.mana), c);
    let none = quota(0, c);
    let essence_quotas = |e: Essence| {
        let mut q = [
            (ResourceName::Cpu, cpu),
            (ResourceName::Memory, memory),
            (ResourceName::Fire, none),
            (ResourceName::Frost, none),
            (ResourceName::Arcane, none),
        ];
        q[2 + e as usize].1 = mana;
        q
    };
    let group = match c.flavors {
        QueueFlavors::Default => {
            ResourceGroup::covering(&[ResourceName::Cpu, ResourceName::Memory]).with_flavor(
                0,
                &[(ResourceName::Cpu, cpu), (ResourceName::Memory, memory)],
            )
        }
        QueueFlavors::Essence(i) => {
            let e = super::mana::essence(i).unwrap_or(Essence::Fire);
            let r = mana_resource(e);
            ResourceGroup::covering(&[ResourceName::Cpu, ResourceName::Memory, r]).with_flavor(
                usize::from(essence_index(e)),
                &[
                    (ResourceName::Cpu, cpu),
                    (ResourceName::Memory, memory),
                    (r, mana),
                ],
            )
        }
        QueueFlavors::AllEssences => {
            let mut g = ResourceGroup::covering(&[
                ResourceName::Cpu,
                ResourceName::Memory,
                ResourceName::Fire,
                ResourceName::Frost,
                ResourceName::Arcane,
            ]);
            for e in ESSENCES {
                g = g.with_flavor(usize::from(essence_index(e)), &essence_quotas(e));
            }
            g
        }
    };
    ClusterQueueSpec {
        cohort,
        queueing_strategy: c.strategy,
        preemption: ClusterQueuePreemption {
            within_cluster_queue: c.within_cluster_queue,
            reclaim_within_cohort: c.reclaim_within_cohort,
            ..ClusterQueuePreemption::default()
        },
        fair_sharing_weight: f64::from(c.fair_sharing_weight_milli) / 1000.0,
        ..ClusterQueueSpec::default()
    }
    .with_group(group)
}

/// Nominal cpu, memory and mana summed over a config's flavors.
fn nominal_totals(c: &ClusterQueueConfig) -> [i64; 3] {
    let flavors = match c.flavors {
        QueueFlavors::AllEssences => 3,
        _ => 1,
    };
    let mana = if c.flavors == QueueFlavors::Default {
        0
    } else {
        i64::from(c.mana)
    };
    [
        i64::from(c.cpu_m) * flavors,
        i64::from(c.memory_mib) * flavors,
        mana * flavors,
    ]
}

/// The ClusterQueue's name.
pub fn cluster_queue_name(tag: u32) -> ObjectName {
    ObjectName {
        kind: ObjectKind::ClusterQueue,
        owner: tag,
        revision: 0,
        id: 0,
    }
}

impl World {
    /// Creates or updates the ClusterQueue (and its LocalQueue) of CLUSTERQUEUE module `tag`.
    /// Ignored when [`MAX_CLUSTER_QUEUES`] exist already.
    pub fn apply_cluster_queue(&mut self, tag: u32, config: ClusterQueueConfig) {
        let q = &mut self.queueing;
        let existed = q.index(tag).is_some();
        let Some(i) = q.index_or_claim(tag) else {
            return;
        };
        let cohort = config.cohort_root.and_then(|root| q.cohort(root));
        let spec = cluster_queue_spec(&config, cohort);
        let changed = q.kueue.cluster_queue(i) != Some(&spec) || q.kueue.is_terminating(i);
        q.nominal[i] = nominal_totals(&config);
        if !changed {
            return;
        }
        q.kueue.set_cluster_queue(i, spec);
        q.kueue.set_local_queue(i, LocalQueue { cluster_queue: i });
        let kind = if existed {
            EventKind::ClusterQueueUpdated
        } else {
            EventKind::ClusterQueueCreated
        };
        self.write(kind, cluster_queue_name(tag), None, 0);
    }

    /// Deletes the ClusterQueue of module `tag` (Terminating while workloads are admitted).
    pub fn delete_cluster_queue(&mut self, tag: u32) {
        let Some(i) = self.queueing.index(tag) else {
            return;
        };
        if !self.queueing.kueue.delete_cluster_queue(i) {
            return;
        }
        for root in self.queueing.cohort_roots.iter_mut() {
            if *root == tag {
                *root = NONE;
            }
        }
        self.write(
            EventKind::ClusterQueueDeleted,
            cluster_queue_name(tag),
            None,
            0,
        );
        self.release_cluster_queue_index(i);
    }

    /// Frees a ClusterQueue index once Kueue has removed the queue and nothing names it.
    fn release_cluster_queue_index(&mut self, i: usize) {
        let q = &mut self.queueing;
        if q.kueue.cluster_queue(i).is_none() {
            q.tags[i] = NONE;
            q.admissions[i] = 0;
            q.preemptions[i] = 0;
        }
    }

    /// The status of module `tag`'s ClusterQueue.
    pub fn cluster_queue_status(&self, tag: u32) -> Option<ClusterQueueStatus> {
        let q = &self.queueing;
        let i = q.index(tag)?;
        let usage = q.kueue.usage(i)?;
        let mut used = [0i64; 3];
        for flavor in usage.iter() {
            used[0] += flavor[ResourceName::Cpu.index()];
            used[1] += flavor[ResourceName::Memory.index()];
            used[2] += flavor[ResourceName::Fire.index()]
                + flavor[ResourceName::Frost.index()]
                + flavor[ResourceName::Arcane.index()];
        }
        let frac = |u: i64, n: i64| {
            if n <= 0 {
                if u > 0 {
                    2.0
                } else {
                    0.0
                }
            } else {
                (u as f32 / n as f32).min(2.0)
            }
        };
        Some(ClusterQueueStatus {
            pending: q.kueue.pending_workloads(i),
            admitted: q.kueue.admitted_workloads(i),
            usage: [
                frac(used[0], q.nominal[i][0]),
                frac(used[1], q.nominal[i][1]),
                frac(used[2], q.nominal[i][2]),
            ],
            borrowing: q.kueue.is_borrowing(i),
            terminating: q.kueue.is_terminating(i),
            admissions: q.admissions[i],
            preemptions: q.preemptions[i],
            weighted_share: q.kueue.weighted_share(i),
        })
    }

    /// Turns Kueue's fair sharing on or off (`fairSharing.enable`); it takes effect at the
    /// next scheduling cycle.
    pub fn set_kueue_fair_sharing(&mut self, enable: bool) {
        self.queueing.kueue.set_fair_sharing(enable);
    }

    /// Kueue, for tests and traces.
    pub fn kueue(&self) -> &Kueue {
        &self.queueing.kueue
    }

    /// Runs Kueue's admission and applies what it decided to the Jobs.
    pub(super) fn reconcile_queueing(&mut self) {
        self.create_missing_workloads();
        self.queueing.kueue.step(self.time);
        let newest = self.queueing.kueue.newest_event();
        let mut seq = self.queueing.seen;
        while seq < newest {
            let Some(e) = self.queueing.kueue.events_since(seq).next().copied() else {
                break;
            };
            seq = e.seq;
            self.queueing.seen = seq;
            self.on_kueue_event(e);
        }
        for i in 0..MAX_CLUSTER_QUEUES {
            if self.queueing.tags[i] != NONE && self.queueing.kueue.cluster_queue(i).is_none() {
                self.release_cluster_queue_index(i);
            }
        }
    }
}
