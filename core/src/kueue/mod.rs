//! Kueue's semantics: ResourceFlavors, ClusterQueues with resource groups in cohorts,
//! LocalQueues, Workloads with their conditions, WorkloadPriorityClasses, and the admission
//! cycle with flavor assignment, classical preemption and fair sharing, after
//! kubernetes-sigs/kueue (v1beta2 API, `pkg/scheduler`, `pkg/cache`).
//!
//! Independent of the node scheduler: an admitted workload gets a flavor per resource of each
//! pod set ([`Kueue::pod_set_flavor`] gives the node labels and taints its pods must land on).
//! Every container is sized at construction; [`Kueue::schedule`] never allocates and is
//! deterministic.

mod cluster_queue;
mod deletion;
mod events;
mod fair_preemption;
mod fair_sharing;
mod flavor;
mod flavor_assigner;
mod preemption;
mod queue;
mod quota;
mod resources;
mod scheduler;
mod workload;

pub use cluster_queue::*;
pub use events::{KueueEvent, KueueEventReason};
pub use flavor::*;
pub use flavor_assigner::FlavorAssignmentMode;
pub use resources::*;
pub use scheduler::CycleStats;
pub use workload::*;

use events::EventRing;
use preemption::Candidate;
use quota::{ClusterQueueQuota, CohortQuota};
use scheduler::Entry;

/// The most ResourceFlavors.
pub const MAX_FLAVORS: usize = 16;
/// The most cohorts.
pub const MAX_COHORTS: usize = 64;
/// The most WorkloadPriorityClasses.
pub const MAX_PRIORITY_CLASSES: usize = 16;
/// The largest quantity of a resource a quota, limit or per-pod request may state (larger
/// ones are clamped, so sums over every workload never overflow).
pub const MAX_QUANTITY: i64 = 1 << 30;
/// The most pods one pod set may ask for.
pub const MAX_POD_SET_COUNT: u32 = 1 << 16;
/// Index meaning "none" in intrusive lists.
const NIL: u32 = u32::MAX;

/// Sizes and settings of a Kueue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KueueConfig {
    /// Most ClusterQueues.
    pub max_cluster_queues: usize,
    /// Most LocalQueues.
    pub max_local_queues: usize,
    /// Most workloads existing at once.
    pub max_workloads: usize,
    /// Kueue events kept.
    pub event_capacity: usize,
    /// fairSharing.enable: admission ordered by DominantResourceShare within cohorts.
    pub fair_sharing: bool,
    /// waitForPodsReady.requeuingStrategy.backoffBaseSeconds.
    pub backoff_base_seconds: f64,
    /// waitForPodsReady.requeuingStrategy.backoffMaxSeconds.
    pub backoff_max_seconds: f64,
    /// Scheduling cycles one [`Kueue::step`] runs at most.
    pub max_cycles_per_step: usize,
}

impl Default for KueueConfig {
    fn default() -> Self {
        KueueConfig {
            max_cluster_queues: 64,
            max_local_queues: 256,
            max_workloads: 16384,
            event_capacity: 4096,
            fair_sharing: false,
            backoff_base_seconds: 60.0,
            backoff_max_seconds: 3600.0,
            max_cycles_per_step: 64,
        }
    }
}

/// A ClusterQueue's state: its spec, quotas and usage, its queue and its admitted workloads.
pub(crate) struct ClusterQueue {
    pub spec: ClusterQueueSpec,
    pub quota: ClusterQueueQuota,
    /// Pending workloads ordered as a binary heap (queue order).
    pub heap: Vec<u32>,
    /// Inadmissible workloads (intrusive list).
    pub inadmissible: u32,
    /// Admitted workloads, newest reservation first (intrusive list).
    pub admitted_head: u32,
    pub admitted_count: u32,
    pub inadmissible_count: u32,
    /// Scheduling cycle of the last pop, and of the last request to requeue inadmissibles.
    pub pop_cycle: u64,
    pub queue_inadmissible_cycle: u64,
    /// Deleted while workloads are admitted: admits nothing more, and goes when they finish
    /// (the `kueue.x-k8s.io/resource-in-use` finalizer).
    pub terminating: bool,
}

/// Kueue: the API objects and the admission scheduler.
pub struct Kueue {
    config: KueueConfig,
    time: f64,
    cycle: u64,
    next_uid: u64,
    flavors: [Option<ResourceFlavor>; MAX_FLAVORS],
    priority_classes: [Option<WorkloadPriorityClass>; MAX_PRIORITY_CLASSES],
    cluster_queues: Vec<Option<ClusterQueue>>,
    cohorts: Vec<CohortQuota>,
    local_queues: Vec<Option<LocalQueue>>,
    /// Heaps for ClusterQueues yet to be created (sized at construction).
    spare_heaps: Vec<Vec<u32>>,
    workloads: Vec<Option<Workload>>,
    free: Vec<u32>,
    workload_count: usize,
    /// Workloads waiting out a requeue backoff (intrusive list).
    backoff: u32,
    events: EventRing,
    // Scratch, sized at construction.
    entries: Vec<Entry>,
    candidates: Vec<Candidate>,
    targets: Vec<Candidate>,
    /// Fair-sharing preemption: candidates refused by the first strategy (indices).
    retry: Vec<u32>,
    /// Fair-sharing preemption: queues with nothing more to give.
    pruned: Vec<bool>,
    /// Fair-sharing preemption: each queue's candidates not yet taken or refused.
    candidates_left: Vec<u32>,
    scratch_usage: FlavorQuantities,
    stats: CycleStats,
}

impl Kueue {
    /// An empty Kueue.
    pub fn new(config: KueueConfig) -> Kueue {
        let cap = config.max_workloads.min(u32::MAX as usize - 1);
        Kueue {
            config,
            time: 0.0,
            cycle: 0,
            next_uid: 1,
            flavors: [None; MAX_FLAVORS],
            priority_classes: [None; MAX_PRIORITY_CLASSES],
            cluster_queues: (0..config.max_cluster_queues).map(|_| None).collect(),
            cohorts: vec![CohortQuota::default(); MAX_COHORTS],
            local_queues: vec![None; config.max_local_queues],
            spare_heaps: (0..config.max_cluster_queues)
                .map(|_| Vec::with_capacity(cap))
                .collect(),
            workloads: vec![None; cap],
            free: (0..cap as u32).rev().collect(),
            workload_count: 0,
            backoff: NIL,
            events: EventRing::with_capacity(config.event_capacity),
            entries: Vec::with_capacity(config.max_cluster_queues),
            candidates: Vec::with_capacity(cap),
            targets: Vec::with_capacity(cap),
            retry: Vec::with_capacity(cap),
            pruned: vec![false; config.max_cluster_queues],
            candidates_left: vec![0; config.max_cluster_queues],
            scratch_usage: ZERO_FLAVOR_QUANTITIES,
            stats: CycleStats::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &KueueConfig {
        &self.config
    }

    /// Turns fair sharing on or off from the next scheduling cycle.
    pub fn set_fair_sharing(&mut self, enable: bool) {
        self.config.fair_sharing = enable;
    }

    /// Simulated time of the last step.
    pub fn time(&self) -> f64 {
        self.time
    }

    /// Sets (creates or replaces) ResourceFlavor `i`.
    pub fn set_resource_flavor(&mut self, i: usize, flavor: ResourceFlavor) {
        if let Some(slot) = self.flavors.get_mut(i) {
            *slot = Some(flavor);
        }
    }

    /// ResourceFlavor `i`.
    pub fn resource_flavor(&self, i: usize) -> Option<&ResourceFlavor> {
        self.flavors.get(i)?.as_ref()
    }

    /// Sets WorkloadPriorityClass `i` (workloads created later take its value).
    pub fn set_priority_class(&mut self, i: usize, class: WorkloadPriorityClass) {
        if let Some(slot) = self.priority_classes.get_mut(i) {
            *slot = Some(class);
        }
    }

    /// Creates ClusterQueue `i` or updates its spec. Usage is kept; quota changes requeue
    /// the inadmissible workloads of the queue and its cohort. Re-creating a deleted queue
    /// takes back the workloads still pending for it; updating a terminating one revives it.
    pub fn set_cluster_queue(&mut self, i: usize, mut spec: ClusterQueueSpec) {
        if i >= self.cluster_queues.len() {
            return;
        }
        spec.cohort = spec.cohort.filter(|&c| c < MAX_COHORTS);
        if !(spec.fair_sharing_weight >= 0.0 && spec.fair_sharing_weight.is_finite()) {
            spec.fair_sharing_weight = 1.0;
        }
        let old_cohort = self.cluster_queues[i]
            .as_ref()
            .and_then(|cq| cq.spec.cohort);
        match &mut self.cluster_queues[i] {
            Some(cq) => {
                cq.spec = spec;
                cq.quota.set_spec(&spec);
                cq.terminating = false;
            }
            slot => {
                let Some(heap) = self.spare_heaps.pop() else {
                    return;
                };
                *slot = Some(ClusterQueue {
                    spec,
                    quota: ClusterQueueQuota::new(&spec),
                    heap,
                    inadmissible: NIL,
                    admitted_head: NIL,
                    admitted_count: 0,
                    inadmissible_count: 0,
                    pop_cycle: 0,
                    queue_inadmissible_cycle: 0,
                    terminating: false,
                });
                self.adopt_orphans(i);
            }
        }
        for c in [old_cohort, spec.cohort].into_iter().flatten() {
            self.rebuild_cohort(c);
        }
        self.queue_inadmissible(i);
    }

    /// ClusterQueue `i`'s spec.
    pub fn cluster_queue(&self, i: usize) -> Option<&ClusterQueueSpec> {
        Some(&self.cluster_queues.get(i)?.as_ref()?.spec)
    }

    /// Sets LocalQueue `i`.
    pub fn set_local_queue(&mut self, i: usize, queue: LocalQueue) {
        if let Some(slot) = self.local_queues.get_mut(i) {
            *slot = Some(queue);
        }
    }

    /// Creates a workload; `None` when its LocalQueue or ClusterQueue does not exist or
    /// Kueue is full. It is queued at once.
    pub fn create_workload(&mut self, mut spec: WorkloadSpec) -> Option<u32> {
        for ps in spec.pod_sets.iter_mut().flatten() {
            ps.count = ps.count.min(MAX_POD_SET_COUNT);
            for q in ps.requests.iter_mut() {
                *q = (*q).clamp(0, MAX_QUANTITY);
            }
        }
        let lq = (*self.local_queues.get(spec.queue)?)?;
        self.cluster_queues.get(lq.cluster_queue)?.as_ref()?;
        let id = self.free.pop()?;
        let priority = spec
            .priority_class
            .and_then(|c| *self.priority_classes.get(c)?)
            .map_or(spec.pod_priority, |c| c.value);
        let uid = self.next_uid;
        self.next_uid += 1;
        self.workloads[id as usize] = Some(Workload {
            uid,
            creation_time: self.time,
            spec,
            priority,
            cluster_queue: lq.cluster_queue,
            conditions: WorkloadConditions::default(),
            admission: None,
            requeue_state: RequeueState::default(),
            queue_order_time: self.time,
            preemption_reservation: None,
            position: QueuePosition::None,
            list_prev: NIL,
            list_next: NIL,
            parked: false,
        });
        self.workload_count += 1;
        self.event(KueueEventReason::Created, id, "Created");
        self.push_active(id);
        Some(id)
    }

    /// Workload `id`.
    pub fn workload(&self, id: u32) -> Option<&Workload> {
        self.workloads.get(id as usize)?.as_ref()
    }

    /// Number of workloads.
    pub fn workload_count(&self) -> usize {
        self.workload_count
    }

    /// Ids of every workload, ascending.
    pub fn workload_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| w.is_some())
            .map(|(i, _)| i as u32)
    }

    /// The ResourceFlavor assigned to pod set `pod_set` of an admitted workload: its node
    /// labels are the pods' node selector, its taints what they must tolerate.
    pub fn pod_set_flavor(&self, id: u32, pod_set: usize) -> Option<&ResourceFlavor> {
        let f = self.workload(id)?.admission?.pod_set_flavor(pod_set)?;
        self.resource_flavor(f)
    }

    /// Deletes a workload; an admitted one releases its quota.
    pub fn delete_workload(&mut self, id: u32) -> bool {
        if self.workload(id).is_none() {
            return false;
        }
        self.unqueue(id);
        self.drop_reservation(id);
        self.release_quota(id);
        self.event(KueueEventReason::Deleted, id, "Deleted");
        self.workloads[id as usize] = None;
        self.free.push(id);
        self.workload_count -= 1;
        true
    }

    /// Marks an admitted workload Finished (reason Succeeded or Failed), releasing its quota.
    pub fn finish_workload(&mut self, id: u32, succeeded: bool) -> bool {
        let Some(wl) = self.workload(id) else {
            return false;
        };
        if wl.is_finished() {
            return false;
        }
        let reason = if succeeded { "Succeeded" } else { "Failed" };
        self.unqueue(id);
        self.drop_reservation(id);
        self.release_quota(id);
        let now = self.time;
        if let Some(wl) = self.workloads[id as usize].as_mut() {
            set_condition(&mut wl.conditions.finished, true, reason, now);
        }
        self.event(KueueEventReason::Finished, id, reason);
        true
    }

    /// Evicts an admitted workload whose pods did not become ready in time
    /// (waitForPodsReady): reason PodsReadyTimeout, requeued after a backoff of
    /// `backoffBaseSeconds * 2^(count-1)` (at most `backoffMaxSeconds`), ordered in its queue
    /// by the eviction time.
    pub fn evict_pods_ready_timeout(&mut self, id: u32) -> bool {
        if !self.workload(id).is_some_and(|w| w.has_quota_reservation()) {
            return false;
        }
        self.evict(id, "PodsReadyTimeout", None);
        let now = self.time;
        let (base, max) = (
            self.config.backoff_base_seconds,
            self.config.backoff_max_seconds,
        );
        if let Some(wl) = self.workloads[id as usize].as_mut() {
            wl.requeue_state.count += 1;
            let exp = wl.requeue_state.count.saturating_sub(1).min(62) as i32;
            let delay = (base * 2f64.powi(exp)).min(max);
            wl.requeue_state.requeue_at = Some(now + delay);
            wl.queue_order_time = now;
        }
        self.unqueue(id);
        self.push_backoff(id);
        true
    }

    /// Kueue events, oldest first, with sequence numbers above `after`.
    pub fn events_since(&self, after: u64) -> impl Iterator<Item = &KueueEvent> {
        self.events.since(after)
    }

    /// Sequence number of the newest event (0 before any).
    pub fn newest_event(&self) -> u64 {
        self.events.newest()
    }

    /// Usage of ClusterQueue `cq` per (flavor, resource) (flavorsReservation).
    pub fn usage(&self, cq: usize) -> Option<&FlavorQuantities> {
        Some(&self.cluster_queues.get(cq)?.as_ref()?.quota.usage)
    }

    /// Workloads waiting in ClusterQueue `cq` (status.pendingWorkloads).
    pub fn pending_workloads(&self, cq: usize) -> u32 {
        self.cluster_queues
            .get(cq)
            .and_then(|c| c.as_ref())
            .map_or(0, |c| c.heap.len() as u32 + c.inadmissible_count)
    }

    /// Workloads admitted in ClusterQueue `cq` (status.admittedWorkloads).
    pub fn admitted_workloads(&self, cq: usize) -> u32 {
        self.cluster_queues
            .get(cq)
            .and_then(|c| c.as_ref())
            .map_or(0, |c| c.admitted_count)
    }

    /// Ids of the workloads admitted in `cq`, newest reservation first.
    pub fn admitted_in(&self, cq: usize) -> impl Iterator<Item = u32> + '_ {
        let mut next = self
            .cluster_queues
            .get(cq)
            .and_then(|c| c.as_ref())
            .map_or(NIL, |c| c.admitted_head);
        std::iter::from_fn(move || {
            if next == NIL {
                return None;
            }
            let id = next;
            next = self.wl(id).list_next;
            Some(id)
        })
    }

    /// Whether ClusterQueue `cq` uses more than its nominal quota of any (flavor, resource).
    pub fn is_borrowing(&self, cq: usize) -> bool {
        self.cluster_queues
            .get(cq)
            .and_then(|c| c.as_ref())
            .is_some_and(|c| c.spec.cohort.is_some() && c.quota.borrowing_any())
    }

    /// The workload at `id`, which must exist.
    fn wl(&self, id: u32) -> &Workload {
        self.workloads[id as usize].as_ref().expect("live workload")
    }

    fn wl_mut(&mut self, id: u32) -> &mut Workload {
        self.workloads[id as usize].as_mut().expect("live workload")
    }

    fn cq(&self, i: usize) -> &ClusterQueue {
        self.cluster_queues[i].as_ref().expect("live cluster queue")
    }

    fn cq_mut(&mut self, i: usize) -> &mut ClusterQueue {
        self.cluster_queues[i].as_mut().expect("live cluster queue")
    }

    fn event(&mut self, reason: KueueEventReason, id: u32, detail: &'static str) {
        let (uid, cq) = self
            .workload(id)
            .map_or((0, 0), |w| (w.uid, w.cluster_queue));
        self.events.push(KueueEvent {
            seq: 0,
            time: self.time,
            reason,
            workload: id,
            uid,
            cluster_queue: cq as u32,
            detail,
            preemptor: 0,
        });
    }
}
