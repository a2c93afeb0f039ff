//! Workload (pod sets, conditions, admission), LocalQueue and WorkloadPriorityClass.

use super::flavor::{Label, Toleration, MAX_LABELS};
use super::resources::{FlavorQuantities, Quantities, ResourceName, NUM_RESOURCES};
use super::MAX_FLAVORS;

/// The most pod sets in one workload.
pub const MAX_POD_SETS: usize = 4;
/// No flavor assigned (a resource the pod set does not request).
pub const NO_FLAVOR: u8 = u8::MAX;

/// A WorkloadPriorityClass: a name and a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkloadPriorityClass {
    /// metadata.name.
    pub name: &'static str,
    /// value: higher is more important.
    pub value: i32,
}

/// A LocalQueue: the namespaced queue workloads are submitted to, pointing at a ClusterQueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalQueue {
    /// spec.clusterQueue, as a ClusterQueue index.
    pub cluster_queue: usize,
}

/// A pod set: `count` identical pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodSet {
    /// Number of pods.
    pub count: u32,
    /// Requests of one pod.
    pub requests: Quantities,
    /// The pod template's nodeSelector.
    pub node_selector: [Option<Label>; MAX_LABELS],
    /// The pod template's tolerations.
    pub tolerations: [Option<Toleration>; MAX_LABELS],
}

impl PodSet {
    /// `count` pods requesting the given (resource, amount) pairs each.
    pub fn new(count: u32, requests: &[(ResourceName, i64)]) -> PodSet {
        let mut q = [0; NUM_RESOURCES];
        for &(r, v) in requests {
            q[r.index()] = v;
        }
        PodSet {
            count,
            requests: q,
            node_selector: [None; MAX_LABELS],
            tolerations: [None; MAX_LABELS],
        }
    }

    /// The total request of resource `r` (count x per-pod request; `pods` counts pods).
    pub fn total(&self, r: ResourceName) -> i64 {
        if r == ResourceName::Pods {
            i64::from(self.count)
        } else {
            i64::from(self.count).saturating_mul(self.requests[r.index()].max(0))
        }
    }
}

/// A workload's spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkloadSpec {
    /// spec.queueName, as a LocalQueue index.
    pub queue: usize,
    /// spec.priorityClassName, as a WorkloadPriorityClass index.
    pub priority_class: Option<usize>,
    /// The pod template's priority (its PriorityClass value): the workload's priority when
    /// no WorkloadPriorityClass is named, as upstream falls back to the pods' class.
    pub pod_priority: i32,
    /// spec.podSets.
    pub pod_sets: [Option<PodSet>; MAX_POD_SETS],
}

impl WorkloadSpec {
    /// A workload of one pod set in `queue`.
    pub fn single(queue: usize, pod_set: PodSet) -> WorkloadSpec {
        let mut pod_sets = [None; MAX_POD_SETS];
        pod_sets[0] = Some(pod_set);
        WorkloadSpec {
            queue,
            priority_class: None,
            pod_priority: 0,
            pod_sets,
        }
    }

    /// The spec with a priority class.
    pub fn with_priority_class(mut self, class: usize) -> WorkloadSpec {
        self.priority_class = Some(class);
        self
    }
}

/// A status condition (`metav1.Condition` without message).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    /// True or False.
    pub status: bool,
    /// The reason, as upstream words it (e.g. `QuotaReserved`, `Preempted`, `InClusterQueue`).
    pub reason: &'static str,
    /// When the status last changed, simulated seconds.
    pub last_transition_time: f64,
}

/// The conditions Kueue sets on a workload.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WorkloadConditions {
    /// QuotaReserved.
    pub quota_reserved: Option<Condition>,
    /// Admitted.
    pub admitted: Option<Condition>,
    /// Evicted.
    pub evicted: Option<Condition>,
    /// Preempted.
    pub preempted: Option<Condition>,
    /// Requeued.
    pub requeued: Option<Condition>,
    /// Finished.
    pub finished: Option<Condition>,
}

/// Sets a condition; returns whether its status or reason changed.
pub(crate) fn set_condition(
    slot: &mut Option<Condition>,
    status: bool,
    reason: &'static str,
    now: f64,
) -> bool {
    match slot {
        Some(c) if c.status == status && c.reason == reason => false,
        Some(c) if c.status == status => {
            c.reason = reason;
            true
        }
        _ => {
            *slot = Some(Condition {
                status,
                reason,
                last_transition_time: now,
            });
            true
        }
    }
}

/// status.requeueState.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RequeueState {
    /// count: backoff requeues so far.
    pub count: u32,
    /// requeueAt: the workload waits until then, simulated seconds.
    pub requeue_at: Option<f64>,
}

/// status.admission: the ClusterQueue and the flavor of each resource of each pod set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// The ClusterQueue index.
    pub cluster_queue: usize,
    /// podSetAssignments[].flavors: flavor index per resource, `NO_FLAVOR` if not requested.
    pub flavors: [[u8; NUM_RESOURCES]; MAX_POD_SETS],
}

impl Admission {
    /// The flavor assigned to pod set `pod_set` for resource `r`.
    pub fn flavor(&self, pod_set: usize, r: ResourceName) -> Option<usize> {
        let f = *self.flavors.get(pod_set)?.get(r.index())?;
        (f != NO_FLAVOR).then_some(f as usize)
    }

    /// The flavor of pod set `pod_set` that decides its nodes: the first resource's flavor.
    pub fn pod_set_flavor(&self, pod_set: usize) -> Option<usize> {
        ResourceName::ALL
            .into_iter()
            .find_map(|r| self.flavor(pod_set, r))
    }
}

/// Where a workload waits in its ClusterQueue's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueuePosition {
    /// Not queued (admitted, finished or deactivated).
    None,
    /// In the active heap, at this index.
    Active(u32),
    /// Among the inadmissible workloads, until quota is released.
    Inadmissible,
    /// Waiting out its requeue backoff.
    Backoff,
}

/// A workload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Workload {
    /// metadata.uid (never reused).
    pub uid: u64,
    /// metadata.creationTimestamp.
    pub creation_time: f64,
    /// The spec.
    pub spec: WorkloadSpec,
    /// spec.priority, resolved from the priority class at creation.
    pub priority: i32,
    /// The ClusterQueue its LocalQueue points to.
    pub cluster_queue: usize,
    /// The conditions.
    pub conditions: WorkloadConditions,
    /// status.admission while quota is reserved.
    pub admission: Option<Admission>,
    /// status.requeueState.
    pub requeue_state: RequeueState,
    /// The timestamp that orders it in the queue (creation, or the last PodsReady-timeout
    /// eviction).
    pub queue_order_time: f64,
    /// Flavors of the quota it holds after preempting, until it is evaluated again (the
    /// victims' quota, which upstream they keep until their pods are gone).
    pub(crate) preemption_reservation: Option<[[u8; NUM_RESOURCES]; MAX_POD_SETS]>,
    pub(crate) position: QueuePosition,
    pub(crate) list_prev: u32,
    /// Preempted during the current step: back in its queue at the next step, once its pods
    /// have stopped, so that its freed quota goes to its preemptor first.
    pub(crate) parked: bool,
    pub(crate) list_next: u32,
}

impl Workload {
    /// QuotaReserved is True.
    pub fn has_quota_reservation(&self) -> bool {
        self.conditions.quota_reserved.is_some_and(|c| c.status)
    }

    /// Admitted is True.
    pub fn is_admitted(&self) -> bool {
        self.conditions.admitted.is_some_and(|c| c.status)
    }

    /// Holds the quota freed by its preemptions until it is evaluated again.
    pub fn holds_preemption_reservation(&self) -> bool {
        self.preemption_reservation.is_some()
    }

    /// The quota its preemptions freed for it, per (flavor, resource), if it holds any.
    pub fn preemption_reservation(&self, out: &mut FlavorQuantities) -> bool {
        *out = [[0; NUM_RESOURCES]; MAX_FLAVORS];
        match &self.preemption_reservation {
            Some(flavors) => {
                add_assigned_usage(&self.spec, flavors, out);
                true
            }
            None => false,
        }
    }

    /// Finished is True.
    pub fn is_finished(&self) -> bool {
        self.conditions.finished.is_some_and(|c| c.status)
    }

    /// When quota was reserved (for victim ordering), if it is.
    pub fn quota_reserved_at(&self) -> Option<f64> {
        self.conditions
            .quota_reserved
            .filter(|c| c.status)
            .map(|c| c.last_transition_time)
    }

    /// The usage of its admission: every pod set's totals on its assigned flavors.
    pub fn usage(&self, out: &mut FlavorQuantities) {
        *out = [[0; NUM_RESOURCES]; MAX_FLAVORS];
        if let Some(adm) = &self.admission {
            add_assigned_usage(&self.spec, &adm.flavors, out);
        }
    }

    /// Queue order: a preemptor holding its reservation first (upstream keeps it sticky at
    /// the head), then higher priority, then the older queue timestamp, then the uid.
    pub(crate) fn queue_before(&self, other: &Workload) -> bool {
        let (a, b) = (
            self.preemption_reservation.is_some(),
            other.preemption_reservation.is_some(),
        );
        if a != b {
            return a;
        }
        if self.priority != other.priority {
            return self.priority > other.priority;
        }
        if self.queue_order_time != other.queue_order_time {
            return self.queue_order_time < other.queue_order_time;
        }
        self.uid < other.uid
    }
}

/// Adds the totals of `spec`'s pod sets on the flavors `flavors` to `out`.
pub(crate) fn add_assigned_usage(
    spec: &WorkloadSpec,
    flavors: &[[u8; NUM_RESOURCES]; MAX_POD_SETS],
    out: &mut FlavorQuantities,
) {
    for (ps, fl) in spec.pod_sets.iter().zip(flavors) {
        let Some(ps) = ps else { continue };
        for r in ResourceName::ALL {
            let f = fl[r.index()];
            if f != NO_FLAVOR {
                out[f as usize][r.index()] += ps.total(r);
            }
        }
    }
}
