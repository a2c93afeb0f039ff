//! The etcd-like revision log: a bounded ring of the last writes to the world.

use serde_json::{json, Value};

use super::autoscaler::ScaleUpBlock;
use super::names::{ObjectKind, ObjectName};
use super::scheduler::Diagnosis;

/// What happened in one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A node joined the cluster.
    NodeAdded,
    /// An autoscaler asked for nodes (value: NodeClaims created).
    TriggeredScaleUp,
    /// An autoscaler could not add the nodes pending pods need (value: [`ScaleUpBlock`]).
    NotTriggerScaleUp,
    /// A NodeClaim's instance was requested from the cloud provider (value: attempt).
    NodeClaimLaunched,
    /// A NodeClaim's node joined the cluster.
    NodeClaimRegistered,
    /// A NodeClaim's node is Ready and its startup work done (the claim is Ready).
    NodeClaimInitialized,
    /// A NodeClaim's node never registered within the registration timeout.
    NodeClaimRegistrationTimeout,
    /// An autoscaler began removing an unneeded node: cordon and drain (value: pods
    /// evicted).
    ScaleDown,
    /// A node's Ready condition became True.
    NodeReady,
    /// A node was cordoned (spec.unschedulable = true).
    NodeCordoned,
    /// A node was uncordoned.
    NodeUncordoned,
    /// A node's allocatable resources changed.
    NodeUpdated,
    /// A node was deleted.
    NodeDeleted,
    /// The node lifecycle controller marked a silent node NotReady.
    NodeNotReady,
    /// A Deployment was created.
    DeploymentCreated,
    /// A Deployment's spec.replicas changed.
    DeploymentScaled,
    /// A Deployment was deleted.
    DeploymentDeleted,
    /// A Deployment's pod template changed (a rollout begins).
    DeploymentUpdated,
    /// A Deployment's template went back to a previous revision (`kubectl rollout undo`).
    DeploymentRollback,
    /// The Deployment controller scaled one of its ReplicaSets.
    ScalingReplicaSet,
    /// A ReplicaSet was created for a Deployment.
    ReplicaSetCreated,
    /// An old ReplicaSet beyond the revision history limit was deleted.
    ReplicaSetDeleted,
    /// A Job was created.
    JobCreated,
    /// A Job reached its completions.
    JobCompleted,
    /// A Job failed: more failures than its backoffLimit.
    JobBackoffLimitExceeded,
    /// A Job failed: active longer than its activeDeadlineSeconds.
    JobDeadlineExceeded,
    /// A Job was deleted.
    JobDeleted,
    /// Kueue suspended a Job (its Workload was evicted): its pods are deleted.
    JobSuspended,
    /// Kueue admitted a Job's Workload and unsuspended it.
    JobResumed,
    /// A CLUSTERQUEUE's ClusterQueue was created.
    ClusterQueueCreated,
    /// A ClusterQueue's spec changed.
    ClusterQueueUpdated,
    /// A ClusterQueue was deleted (Terminating while workloads are admitted).
    ClusterQueueDeleted,
    /// Kueue created a queued Job's Workload.
    WorkloadCreated,
    /// A Workload's QuotaReserved became False with a new reason (the message).
    WorkloadPending,
    /// Quota was reserved for a Workload.
    QuotaReserved,
    /// A Workload was admitted.
    WorkloadAdmitted,
    /// A Workload was preempted (the message: InClusterQueue, InCohortReclamation, ...).
    WorkloadPreempted,
    /// A Workload was evicted (the message: Preempted, PodsReadyTimeout).
    WorkloadEvicted,
    /// A Workload is back in its queue.
    WorkloadRequeued,
    /// A Workload finished (Succeeded or Failed).
    WorkloadFinished,
    /// A Workload was deleted.
    WorkloadDeleted,
    /// The forge created an Enchantment (phase Scheduled): its Jobs wait for admission.
    EnchantmentScheduled,
    /// Every Job of an Enchantment is admitted (phase Enchanting).
    EnchantmentEnchanting,
    /// A Job of an Enchantment was preempted and waits again (phase Requeued).
    EnchantmentRequeued,
    /// Every Job of an Enchantment completed: the item is forged (phase Completed).
    EnchantmentCompleted,
    /// A Job of an Enchantment failed or vanished (phase Failed).
    EnchantmentFailed,
    /// An Enchantment was deleted, with its Jobs.
    EnchantmentDeleted,
    /// A pod was created.
    PodCreated,
    /// The scheduler bound a pod to a node.
    PodScheduled,
    /// A scheduling attempt found no feasible node.
    PodFailedScheduling,
    /// The kubelet began creating the pod's containers.
    PodContainerCreating,
    /// The pod's containers started (phase Running).
    PodRunning,
    /// The pod's Ready condition became True.
    PodReady,
    /// A container start failed (value: failures so far).
    FailedStart,
    /// The container exited (value: its exit code).
    ContainerDied,
    /// The kubelet waits before restarting the container (value: the delay, seconds).
    BackOff,
    /// The pod reached phase Succeeded.
    PodSucceeded,
    /// The pod reached phase Failed.
    PodFailed,
    /// The pod got a deletionTimestamp and is terminating gracefully.
    PodTerminating,
    /// The pod was evicted because its node went away.
    PodEvicted,
    /// The pod object was removed.
    PodDeleted,
    /// A Service was created.
    ServiceCreated,
    /// A Service's selector changed.
    ServiceUpdated,
    /// A Service was deleted.
    ServiceDeleted,
    /// The EndpointSlice controller rewrote a Service's endpoints (value: Ready endpoints).
    EndpointsUpdated,
    /// A client outside the control plane wrote a key.
    ExternalWrite,
    /// The API server compacted etcd's history (value: the compacted revision).
    Compaction,
    /// The pod was chosen as a preemption victim (reason Preempted; value: the preemptor's uid).
    PodPreempted,
    /// Preemption nominated a node for the pod (status.nominatedNodeName).
    PodNominated,
    /// The taint manager deleted the pod for an untolerated NoExecute taint.
    TaintManagerEviction,
}

impl EventKind {
    /// The name written in event traces.
    pub const fn name(self) -> &'static str {
        match self {
            EventKind::NodeAdded => "NodeAdded",
            EventKind::TriggeredScaleUp => "TriggeredScaleUp",
            EventKind::NotTriggerScaleUp => "NotTriggerScaleUp",
            EventKind::NodeClaimLaunched => "Launched",
            EventKind::NodeClaimRegistered => "Registered",
            EventKind::NodeClaimInitialized => "Initialized",
            EventKind::NodeClaimRegistrationTimeout => "RegistrationTimeout",
            EventKind::ScaleDown => "ScaleDown",
            EventKind::NodeReady => "NodeReady",
            EventKind::NodeCordoned => "NodeCordoned",
            EventKind::NodeUncordoned => "NodeUncordoned",
            EventKind::NodeUpdated => "NodeUpdated",
            EventKind::NodeDeleted => "NodeDeleted",
            EventKind::NodeNotReady => "NodeNotReady",
            EventKind::DeploymentCreated => "DeploymentCreated",
            EventKind::DeploymentScaled => "DeploymentScaled",
            EventKind::DeploymentDeleted => "DeploymentDeleted",
            EventKind::DeploymentUpdated => "DeploymentUpdated",
            EventKind::DeploymentRollback => "DeploymentRollback",
            EventKind::ScalingReplicaSet => "ScalingReplicaSet",
            EventKind::ReplicaSetCreated => "ReplicaSetCreated",
            EventKind::ReplicaSetDeleted => "ReplicaSetDeleted",
            EventKind::JobCreated => "JobCreated",
            EventKind::JobCompleted => "Completed",
            EventKind::JobBackoffLimitExceeded => "BackoffLimitExceeded",
            EventKind::JobDeadlineExceeded => "DeadlineExceeded",
            EventKind::JobDeleted => "JobDeleted",
            EventKind::JobSuspended => "Suspended",
            EventKind::JobResumed => "Resumed",
            EventKind::ClusterQueueCreated => "ClusterQueueCreated",
            EventKind::ClusterQueueUpdated => "ClusterQueueUpdated",
            EventKind::ClusterQueueDeleted => "ClusterQueueDeleted",
            EventKind::WorkloadCreated => "CreatedWorkload",
            EventKind::WorkloadPending => "Pending",
            EventKind::QuotaReserved => "QuotaReserved",
            EventKind::WorkloadAdmitted => "Admitted",
            EventKind::WorkloadPreempted => "Preempted",
            EventKind::WorkloadEvicted => "EvictedDueToPreempted",
            EventKind::WorkloadRequeued => "Requeued",
            EventKind::WorkloadFinished => "Finished",
            EventKind::WorkloadDeleted => "WorkloadDeleted",
            EventKind::EnchantmentScheduled => "EnchantmentScheduled",
            EventKind::EnchantmentEnchanting => "Enchanting",
            EventKind::EnchantmentRequeued => "EnchantmentRequeued",
            EventKind::EnchantmentCompleted => "Forged",
            EventKind::EnchantmentFailed => "EnchantmentFailed",
            EventKind::EnchantmentDeleted => "EnchantmentDeleted",
            EventKind::PodCreated => "PodCreated",
            EventKind::PodScheduled => "Scheduled",
            EventKind::PodFailedScheduling => "FailedScheduling",
            EventKind::PodContainerCreating => "ContainerCreating",
            EventKind::PodRunning => "Started",
            EventKind::PodReady => "Ready",
            EventKind::FailedStart => "Failed",
            EventKind::ContainerDied => "ContainerDied",
            EventKind::BackOff => "BackOff",
            EventKind::PodSucceeded => "PodSucceeded",
            EventKind::PodFailed => "PodFailed",
            EventKind::PodTerminating => "Killing",
            EventKind::PodEvicted => "Evicted",
            EventKind::PodDeleted => "PodDeleted",
            EventKind::ServiceCreated => "ServiceCreated",
            EventKind::ServiceUpdated => "ServiceUpdated",
            EventKind::ServiceDeleted => "ServiceDeleted",
            EventKind::EndpointsUpdated => "EndpointSliceUpdated",
            EventKind::ExternalWrite => "ExternalWrite",
            EventKind::Compaction => "Compaction",
            EventKind::PodPreempted => "Preempted",
            EventKind::PodNominated => "Preempting",
            EventKind::TaintManagerEviction => "TaintManagerEviction",
        }
    }
}

/// One write to the world, at one revision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// The cluster-wide revision this write produced (etcd's mod_revision).
    pub revision: u64,
    /// Simulated time of the write, in seconds.
    pub time: f64,
    /// What happened.
    pub kind: EventKind,
    /// The object written.
    pub object: ObjectName,
    /// The node involved, if any (the bind target, the evicting node).
    pub node: Option<ObjectName>,
    /// A number that goes with the event (replicas for scaling, nodes considered for a
    /// failed scheduling attempt).
    pub value: i64,
    /// Packed detail (a Workload's reason, a ScalingReplicaSet's old count; a failed
    /// scheduling attempt's diagnosis is kept beside the event by the [`EventLog`]).
    pub detail: u64,
}

impl Event {
    /// The event as one JSON object for a trace line (a FailedScheduling message comes from
    /// [`EventLog::to_json`], which holds the diagnosis).
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "revision": self.revision,
            "time": (self.time * 1e6).round() / 1e6,
            "reason": self.kind.name(),
            "kind": self.object.kind_name(),
            "name": self.object.to_string(),
        });
        if let Some(node) = self.node {
            v["node"] = json!(node.to_string());
        }
        if self.kind == EventKind::PodFailedScheduling {
            // The message needs the diagnosis the log keeps.
        } else if self.kind == EventKind::NotTriggerScaleUp {
            v["message"] = json!(ScaleUpBlock::from_i64(self.value).message());
        } else if self.object.kind == ObjectKind::Enchantment {
            v["message"] = json!(enchantment_message(self.object.revision as usize));
        } else if self.object.kind == ObjectKind::Workload && self.detail != 0 {
            v["message"] = json!(crate::world::kueue_reason(self.detail));
        } else if self.kind == EventKind::ScalingReplicaSet {
            v["message"] = json!(self.scaling_message());
            v["value"] = json!(self.value);
        } else if self.value != 0 {
            v["value"] = json!(self.value);
        }
        v
    }
}

impl Event {
    /// ScalingReplicaSet's message, as upstream words it.
    fn scaling_message(&self) -> String {
        let rs = ObjectName {
            kind: ObjectKind::ReplicaSet,
            owner: self.object.owner,
            revision: (self.detail >> 32) as u32,
            id: 0,
        };
        let from = self.detail & 0xffff_ffff;
        let to = self.value.max(0) as u64;
        let way = if to > from { "up" } else { "down" };
        format!("Scaled {way} replica set {rs} from {from} to {to}")
    }
}

/// An Enchantment event's message: the item, its tier and its essences.
fn enchantment_message(item: usize) -> String {
    match crate::forge::Catalog::shared().items().get(item) {
        Some(i) => format!(
            "{} ({}: fire {}, frost {}, arcane {})",
            i.name,
            i.tier.name(),
            i.essence[0],
            i.essence[1],
            i.essence[2]
        ),
        None => String::new(),
    }
}

/// A ring holding the last `capacity` events; allocation happens only at construction.
pub struct EventLog {
    ring: Vec<Event>,
    /// The diagnosis of each FailedScheduling event, in the event's ring slot.
    diagnoses: Vec<Diagnosis>,
    capacity: usize,
    /// Revision of the newest event (0 = none yet).
    newest: u64,
    /// History up to this revision is compacted away.
    compacted: u64,
}

impl EventLog {
    /// An empty log keeping the last `capacity` events.
    pub fn with_capacity(capacity: usize) -> EventLog {
        EventLog {
            ring: Vec::with_capacity(capacity),
            diagnoses: Vec::with_capacity(capacity),
            capacity: capacity.max(1),
            newest: 0,
            compacted: 0,
        }
    }

    /// Appends an event; its revision must be the next one.
    pub fn push(&mut self, event: Event) {
        self.push_diagnosed(event, Diagnosis::default());
    }

    /// Appends a FailedScheduling event with its diagnosis.
    pub fn push_diagnosed(&mut self, event: Event, diagnosis: Diagnosis) {
        debug_assert_eq!(event.revision, self.newest + 1);
        self.newest = event.revision;
        if self.ring.len() < self.capacity {
            self.ring.push(event);
            self.diagnoses.push(diagnosis);
        } else {
            let i = ((event.revision - 1) % self.capacity as u64) as usize;
            self.ring[i] = event;
            self.diagnoses[i] = diagnosis;
        }
    }

    /// The diagnosis of the FailedScheduling event at a revision, if still held.
    pub fn diagnosis(&self, revision: u64) -> Option<&Diagnosis> {
        let i = (revision.checked_sub(1)? % self.capacity as u64) as usize;
        let e = self.ring.get(i)?;
        if e.revision != revision || e.kind != EventKind::PodFailedScheduling {
            return None;
        }
        self.diagnoses.get(i)
    }

    /// An event held by this log as one JSON object for a trace line, with its message.
    pub fn to_json(&self, event: &Event) -> Value {
        let mut v = event.to_json();
        if let Some(d) = self.diagnosis(event.revision) {
            v["message"] = json!(d.message());
        }
        v
    }

    /// Revision of the newest event.
    pub fn newest_revision(&self) -> u64 {
        self.newest
    }

    /// Oldest revision still held (the ring's bound, or the compaction's).
    pub fn oldest_revision(&self) -> u64 {
        if self.newest == 0 {
            0
        } else {
            (self.newest + 1 - self.ring.len() as u64).max(self.compacted + 1)
        }
    }

    /// Drops the history up to and including `revision`, as etcd's compaction does.
    pub fn compact(&mut self, revision: u64) {
        self.compacted = self.compacted.max(revision.min(self.newest));
    }

    /// The revision history was compacted to (0 = never).
    pub fn compacted_revision(&self) -> u64 {
        self.compacted
    }

    /// The event at a revision, if still held.
    pub fn get(&self, revision: u64) -> Option<&Event> {
        if revision == 0 || revision > self.newest || revision < self.oldest_revision() {
            return None;
        }
        let i = ((revision - 1) % self.capacity as u64) as usize;
        self.ring.get(i)
    }

    /// Every event the ring still holds, compacted or not, oldest first: the full recent
    /// history for traces and tests (a watch uses [`EventLog::since`], which honours compaction).
    pub fn history(&self) -> impl Iterator<Item = &Event> + '_ {
        let first = (self.newest + 1)
            .saturating_sub(self.ring.len() as u64)
            .max(1);
        (first..=self.newest).filter_map(move |r| {
            let i = ((r - 1) % self.capacity as u64) as usize;
            self.ring.get(i)
        })
    }

    /// Events after `revision`, oldest first; also how many were already overwritten.
    pub fn since(&self, revision: u64) -> (u64, impl Iterator<Item = &Event> + '_) {
        let first = (revision + 1).max(self.oldest_revision().max(1));
        let lost = first.saturating_sub(revision + 1);
        (lost, (first..=self.newest).filter_map(move |r| self.get(r)))
    }
}
