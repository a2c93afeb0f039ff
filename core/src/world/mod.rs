//! The simulated cluster: API objects, the revision log, controllers, the scheduler and the
//! kubelets, stepped in simulated time. Every container is sized at construction, so stepping
//! never allocates.

mod app_counts;
pub mod autoscaler;
mod bare_pods;
pub mod constraints;
mod controllers;
mod deployment;
mod device_specs;
mod dynamic_resources;
pub mod enchantment;
mod etcd;
pub mod events;
mod job;
mod job_queueing;
mod kubelet;
pub mod mana;
pub mod names;
mod node_lifecycle;
pub mod objects;
mod pool_nodes;
pub mod queueing;
pub mod scale;
pub mod scheduler;
mod services;
mod slab;
mod taint_eviction;
pub mod terms;
mod timers;
pub mod workloads;

use kuberack_protocol::tag::MAX_TAG;

use crate::rng::Rng;
pub use bare_pods::{BarePod, BarePodSpec, BarePodStatus};
pub use deployment::resolve_fenceposts;
pub use device_specs::{PodClaim, PoolDevicesSpec, WELL_CHANNELS};
pub use dynamic_resources::MAX_DEVICE_POOLS;
pub use etcd::COMPACTION_INTERVAL;
use events::{Event, EventKind, EventLog};
pub use job_queueing::{kueue_reason, workload_name, KUEUE_REASONS};
pub use kubelet::{
    crash_loop_backoff, CONTAINER_START_MEDIAN, CRASH_AFTER_MEDIAN, CRASH_LOOP_BACKOFF_INITIAL,
    CRASH_LOOP_BACKOFF_MAX, CRASH_LOOP_BACKOFF_RESET, READINESS_MEDIAN, SHUTDOWN_MEDIAN,
    START_RETRY_DELAYS,
};
use names::ObjectName;
pub use node_lifecycle::NODE_MONITOR_GRACE_PERIOD;
pub use objects::*;
pub use pool_nodes::PoolSummary;
use scheduler::{
    AppPods, CandidateNode, Framework, NodeInfos, NodeTopology, Reservation, SchedulerConfig,
    SchedulingQueue,
};
pub use services::{Service, ServiceSpec, MAX_ENDPOINTS, MAX_SELECTED};
use slab::Slab;
use timers::{TimerAction, Timers};
pub use workloads::*;

/// Sizes and seed of a world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorldConfig {
    /// Seed of every random draw (latencies, tie-breaks).
    pub seed: u64,
    /// Most pods that can exist at once.
    pub max_pods: usize,
    /// Most nodes that can exist at once.
    pub max_nodes: usize,
    /// Events kept in the revision log.
    pub event_capacity: usize,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            seed: 1,
            max_pods: 4096,
            max_nodes: 1024,
            event_capacity: 8192,
        }
    }
}

/// Running totals for summaries and CVs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WorldStats {
    /// Successful bindings.
    pub pods_scheduled: u64,
    /// Scheduling attempts that found no feasible node.
    pub failed_attempts: u64,
    /// Pods created.
    pub pods_created: u64,
    /// Pods removed.
    pub pods_deleted: u64,
    /// Pods evicted (node removed or shrunk).
    pub evictions: u64,
    /// Preemptions: scheduling attempts that deleted victims and nominated a node.
    pub preemptions: u64,
    /// Pods the taint manager deleted for an untolerated NoExecute taint.
    pub taint_evictions: u64,
    /// Pods that could not be created because the world is full.
    pub pods_refused: u64,
    /// Highest cluster CPU utilisation seen (requested over allocatable).
    pub peak_cpu_utilisation: f32,
}

/// The world: one simulated Kubernetes cluster.
pub struct World {
    config: WorldConfig,
    time: f64,
    rng: Rng,
    next_uid: u64,
    events: EventLog,
    stats: WorldStats,
    nodes: Slab<Node>,
    pods: Slab<Pod>,
    /// Pools by owner tag.
    pools: Vec<Option<NodePool>>,
    /// Autoscalers, by the tag of the pool they manage.
    autoscalers: Vec<Option<autoscaler::Autoscaler>>,
    /// Scratch for autoscaler plans: pod requests.
    plan_requests: Vec<autoscaler::Request>,
    /// Scratch for autoscaler plans: node room.
    plan_bins: Vec<autoscaler::Bin>,
    /// Deployments by owner tag.
    deployments: Vec<Option<Deployment>>,
    /// Tags of existing Deployments, ascending (reconcile order).
    deployment_tags: Vec<u32>,
    /// Jobs by id.
    jobs: Vec<Option<Job>>,
    /// Ids of existing Jobs, ascending.
    job_ids: Vec<u32>,
    /// Tags of existing pools, ascending.
    pool_tags: Vec<u32>,
    /// Bare pods by POD module tag.
    bare_pods: Vec<Option<BarePod>>,
    /// Services by SERVICE module tag.
    services: Vec<Option<Service>>,
    /// Tags of existing Services, ascending.
    service_tags: Vec<u32>,
    /// Kueue: ClusterQueues, Workloads, admission.
    queueing: queueing::Queueing,
    /// The forge's Enchantments.
    forge: enchantment::Forge,
    compactor: etcd::Compactor,
    queue: SchedulingQueue,
    framework: Framework,
    app_pods: AppPods,
    /// Counts of recently scheduled apps besides `app_pods`.
    app_cache: app_counts::AppCache,
    topology: NodeTopology,
    /// The scheduler's node snapshot, taken per scheduling round.
    node_infos: NodeInfos,
    reservations: Vec<Reservation>,
    preemption_candidates: Vec<CandidateNode>,
    potential: Vec<scheduler::Potential>,
    victims: Vec<u32>,
    timers: Timers,
    /// Scratch for ranking scale-down victims.
    ranking: Vec<controllers::Rank>,
    /// Scratch for ranking: related active pods per node index, valid where stamped with
    /// `related_stamp`.
    related_per_node: Vec<(u32, u32)>,
    related_stamp: u32,
    /// Per owner id: bumped whenever one of its pods is bound, unbound, starts terminating or
    /// leaves its list (the scheduler's per-app counts are valid while it stays).
    app_versions: Vec<u32>,
    /// Bumped whenever a node's zone changes.
    zone_version: u32,
    /// When the ReplicaSet controller next scales down, and whether it did this step.
    next_scale_down: f64,
    scaled_down: bool,
    /// Bumped whenever a node is added or removed or its zone changes; the scheduler's node
    /// order is rebuilt when it moved since `topology_version`.
    node_set_version: u32,
    topology_version: Option<u32>,
    /// Devices of the pools that declare them.
    device_tables: dynamic_resources::DeviceTables,
    /// Cluster-wide sums over nodes.
    allocatable_cpu_m: u64,
    requested_cpu_m: u64,
    pending: u32,
}

impl World {
    /// A world with nothing in it.
    pub fn new(config: WorldConfig) -> World {
        let slots = MAX_TAG as usize + 1;
        let mut framework = Framework::with_capacity(config.max_nodes);
        framework.record_scores(false);
        World {
            config,
            time: 0.0,
            rng: Rng::new(config.seed),
            next_uid: 1,
            events: EventLog::with_capacity(config.event_capacity),
            stats: WorldStats::default(),
            nodes: Slab::tracking(config.max_nodes),
            pods: Slab::with_capacity(config.max_pods),
            pools: vec![None; slots],
            autoscalers: vec![None; slots],
            plan_requests: Vec::with_capacity(autoscaler::MAX_PLAN_PODS),
            plan_bins: Vec::with_capacity(2 * MAX_POOL_NODES),
            deployments: vec![None; slots],
            deployment_tags: Vec::with_capacity(slots),
            jobs: vec![None; MAX_JOBS],
            job_ids: Vec::with_capacity(MAX_JOBS),
            pool_tags: Vec::with_capacity(slots),
            bare_pods: vec![None; slots],
            services: vec![None; slots],
            service_tags: Vec::with_capacity(slots),
            queueing: queueing::Queueing::new(MAX_JOBS),
            forge: enchantment::Forge::new(config.seed),
            compactor: etcd::Compactor::new(),
            queue: SchedulingQueue::with_capacity(config.max_pods),
            framework,
            app_pods: AppPods::with_capacity(config.max_nodes),
            app_cache: app_counts::AppCache::new(config.max_nodes),
            topology: NodeTopology::with_capacity(config.max_nodes),
            node_infos: NodeInfos::with_capacity(config.max_nodes),
            reservations: Vec::with_capacity(config.max_pods),
            preemption_candidates: Vec::with_capacity(config.max_nodes),
            potential: Vec::with_capacity(config.max_pods),
            victims: Vec::with_capacity(config.max_pods),
            timers: Timers::with_capacity(config.max_pods * 2 + config.max_nodes),
            ranking: Vec::with_capacity(config.max_pods),
            related_per_node: vec![(0, 0); config.max_nodes],
            related_stamp: 0,
            app_versions: vec![0; slots.max(MAX_JOBS)],
            zone_version: 0,
            next_scale_down: 0.0,
            scaled_down: false,
            node_set_version: 0,
            topology_version: None,
            device_tables: dynamic_resources::DeviceTables::new(),
            allocatable_cpu_m: 0,
            requested_cpu_m: 0,
            pending: 0,
        }
    }

    /// The configuration the world was built with.
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// Simulated seconds since the world began.
    pub fn time(&self) -> f64 {
        self.time
    }

    /// The revision log.
    pub fn events(&self) -> &EventLog {
        &self.events
    }

    /// The current revision (etcd's header revision).
    pub fn revision(&self) -> u64 {
        self.events.newest_revision()
    }

    /// Running totals.
    pub fn stats(&self) -> &WorldStats {
        &self.stats
    }

    /// Pods not yet bound (and not terminating).
    pub fn pending_pods(&self) -> u32 {
        self.pending
    }

    /// Pods waiting as unschedulable.
    pub fn unschedulable_pods(&self) -> usize {
        self.queue.unschedulable_len()
    }

    /// The scheduler's configuration.
    pub fn scheduler_config(&self) -> SchedulerConfig {
        self.framework.config
    }

    /// Whether scheduling cycles keep their feasible nodes' scores for
    /// [`World::scheduler_candidates`] (off by default: only inspection reads them).
    pub fn record_scheduler_scores(&mut self, on: bool) {
        self.framework.record_scores(on);
    }

    /// The feasible nodes and weighted scores of the last scheduling cycle that scored
    /// (empty unless recording).
    pub fn scheduler_candidates(&self) -> &[scheduler::Candidate] {
        self.framework.candidates()
    }

    /// Sets the scheduler's configuration (a SCHEDULER module's params, or the defaults).
    pub fn set_scheduler_config(&mut self, config: SchedulerConfig) {
        self.framework.config = config;
    }

    /// CPU requested by bound pods over allocatable CPU of all nodes, 0..1.
    pub fn cpu_utilisation(&self) -> f32 {
        if self.allocatable_cpu_m == 0 {
            0.0
        } else {
            (self.requested_cpu_m as f64 / self.allocatable_cpu_m as f64).min(1.0) as f32
        }
    }

    /// Pods that exist (terminating ones included).
    pub fn pod_count(&self) -> usize {
        self.pods.len()
    }

    /// Nodes that exist.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Every node, in slab order.
    pub fn nodes(&self) -> impl Iterator<Item = (u32, &Node)> {
        self.nodes.iter()
    }

    /// Every pod, in slab order.
    pub fn pods(&self) -> impl Iterator<Item = (u32, &Pod)> {
        self.pods.iter()
    }

    /// A node by index.
    pub fn node(&self, index: u32) -> Option<&Node> {
        self.nodes.get(index)
    }

    /// A pod by index.
    pub fn pod(&self, index: u32) -> Option<&Pod> {
        self.pods.get(index)
    }

    /// The pool a NODE module with this tag stands for.
    pub fn pool(&self, tag: u32) -> Option<&NodePool> {
        self.pools.get(tag as usize)?.as_ref()
    }

    /// The Deployment a DEPLOYMENT module with this tag stands for.
    pub fn deployment(&self, tag: u32) -> Option<&Deployment> {
        self.deployments.get(tag as usize)?.as_ref()
    }

    /// A Job by id.
    pub fn job(&self, id: u32) -> Option<&Job> {
        self.jobs.get(id as usize)?.as_ref()
    }

    /// Every Job with its id, by id.
    pub fn jobs(&self) -> impl Iterator<Item = (u32, &Job)> + '_ {
        self.job_ids
            .iter()
            .filter_map(|&id| self.job(id).map(|j| (id, j)))
    }

    /// Pods of a Job, oldest first.
    pub fn job_pods(&self, id: u32) -> impl Iterator<Item = &Pod> + '_ {
        let first = self.job(id).map_or(NONE, |j| j.first_pod);
        self.list(first, |p| p.owner_next)
    }

    /// Pods of a Deployment, oldest first.
    pub fn deployment_pods(&self, tag: u32) -> impl Iterator<Item = &Pod> + '_ {
        let first = self.deployment(tag).map_or(NONE, |d| d.first_pod);
        self.list(first, |p| p.owner_next)
    }

    /// Pods bound to a node, in binding order.
    pub fn node_pods(&self, node: u32) -> impl Iterator<Item = &Pod> + '_ {
        let first = self.nodes.get(node).map_or(NONE, |n| n.first_pod);
        self.list(first, |p| p.node_next)
    }

    fn list(&self, first: u32, next: fn(&Pod) -> u32) -> impl Iterator<Item = &Pod> + '_ {
        let mut cur = first;
        std::iter::from_fn(move || {
            let pod = self.pods.get(cur)?;
            cur = next(pod);
            Some(pod)
        })
    }

    /// Advances simulated time by `dt` seconds: controllers reconcile, the scheduler places
    /// pods, kubelets run their timers.
    pub fn step(&mut self, dt: f64) {
        let dt = if dt.is_finite() {
            dt.clamp(0.0, 3600.0)
        } else {
            0.0
        };
        let end = self.time + dt;
        // Fire due timers in time order, so a long step plays out every transition in turn.
        while let Some(timer) = self.timers.pop_due(end) {
            self.time = self.time.max(timer.due());
            self.fire(timer);
        }
        self.time = end;
        self.reconcile_pools();
        self.reconcile_autoscalers();
        self.sync_device_nodes();
        self.reconcile_deployments();
        self.reconcile_queueing();
        self.reconcile_jobs();
        self.reconcile_enchantments();
        self.schedule_pending();
        self.reconcile_services();
        self.compact_if_due();
        let util = self.cpu_utilisation();
        if util > self.stats.peak_cpu_utilisation {
            self.stats.peak_cpu_utilisation = util;
        }
    }

    fn fire(&mut self, timer: timers::Timer) {
        match timer.action {
            TimerAction::NodeReady => self.node_became_ready(timer.target, timer.uid),
            TimerAction::NodeHeartbeat => self.check_heartbeat(timer.target, timer.uid),
            TimerAction::BackoffDone => self.queue_backoff_done(timer.target, timer.uid),
            TimerAction::TolerationExpired => {
                self.toleration_expired(timer.target, timer.uid, timer.target_seq)
            }
            _ => self.kubelet_timer(timer),
        }
    }

    /// Records a write: the next revision, and the event for it. Returns the revision.
    fn write(
        &mut self,
        kind: EventKind,
        object: ObjectName,
        node: Option<ObjectName>,
        value: i64,
    ) -> u64 {
        self.write_detail(kind, object, node, value, 0)
    }

    /// [`World::write`] with a packed detail word.
    fn write_detail(
        &mut self,
        kind: EventKind,
        object: ObjectName,
        node: Option<ObjectName>,
        value: i64,
        detail: u64,
    ) -> u64 {
        let revision = self.events.newest_revision() + 1;
        self.events.push(Event {
            revision,
            time: self.time,
            kind,
            object,
            node,
            value,
            detail,
        });
        revision
    }

    /// Writes a FailedScheduling event for a pod with the attempt's diagnosis.
    fn write_failed_scheduling(&mut self, pod: ObjectName, diagnosis: scheduler::Diagnosis) -> u64 {
        let revision = self.events.newest_revision() + 1;
        self.events.push_diagnosed(
            Event {
                revision,
                time: self.time,
                kind: EventKind::PodFailedScheduling,
                object: pod,
                node: None,
                value: i64::from(diagnosis.nodes),
                detail: 0,
            },
            diagnosis,
        );
        revision
    }

    fn new_meta(&mut self) -> ObjectMeta {
        let uid = self.next_uid;
        self.next_uid += 1;
        ObjectMeta {
            uid,
            resource_version: self.events.newest_revision() + 1,
            creation_time: self.time,
        }
    }

    fn schedule_timer(&mut self, delay: f64, target: u32, uid: u64, seq: u32, action: TimerAction) {
        let pods = &self.pods;
        let nodes = &self.nodes;
        let due = self.time + delay;
        self.timers
            .schedule(due, target, uid, seq, action, |t| match t.action {
                TimerAction::NodeReady | TimerAction::NodeHeartbeat => {
                    nodes.get(t.target).is_some_and(|n| n.meta.uid == t.uid)
                }
                TimerAction::BackoffDone | TimerAction::TolerationExpired => {
                    pods.get(t.target).is_some_and(|p| p.meta.uid == t.uid)
                }
                _ => pods
                    .get(t.target)
                    .is_some_and(|p| p.meta.uid == t.uid && p.timer_seq == t.target_seq),
            });
    }
}

#[cfg(test)]
mod tests;
