//! Controllers: node pools reconciled to their spec, and the Deployment/ReplicaSet
//! controller keeping `replicas` active pods.

use std::cmp::Ordering;

use super::events::EventKind;
use super::names::{ObjectKind, ObjectName};
use super::objects::*;
use super::timers::TimerAction;
use super::World;

/// Most pods the ReplicaSet controller creates or deletes in one sync (upstream burstReplicas).
const BURST_REPLICAS: u32 = 500;

/// A scale-down candidate with the keys the ReplicaSet controller ranks by.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rank {
    index: u32,
    assigned: bool,
    phase: u8,
    ready: bool,
    related_on_node: u32,
    ready_since: f64,
    created: f64,
    uid: u64,
}

/// Deletion order of upstream `ActivePodsWithRanks`: the pod that sorts first goes first.
fn deletion_order(a: &Rank, b: &Rank) -> Ordering {
    // 1. Unassigned before assigned.
    a.assigned
        .cmp(&b.assigned)
        // 2. Pending before Running.
        .then(a.phase.cmp(&b.phase))
        // 3. Not ready before ready.
        .then(a.ready.cmp(&b.ready))
        // 5. Doubled up (more related pods on the same node) first.
        .then(b.related_on_node.cmp(&a.related_on_node))
        // 6. Ready for a shorter time first (later ready_since first).
        .then_with(|| {
            if a.ready && b.ready {
                b.ready_since.total_cmp(&a.ready_since)
            } else {
                Ordering::Equal
            }
        })
        // 8. Newer before older.
        .then(b.created.total_cmp(&a.created))
        .then(b.uid.cmp(&a.uid))
}

fn insert_sorted(tags: &mut Vec<u32>, tag: u32) {
    if let Err(at) = tags.binary_search(&tag) {
        if tags.len() < tags.capacity() {
            tags.insert(at, tag);
        }
    }
}

fn remove_sorted(tags: &mut Vec<u32>, tag: u32) {
    if let Ok(at) = tags.binary_search(&tag) {
        tags.remove(at);
    }
}

impl World {
    /// Creates or updates the pool a NODE module stands for. Nodes follow on the next step.
    pub fn apply_node_pool(&mut self, tag: u32, spec: NodePoolSpec) {
        let Some(entry) = self.pools.get_mut(tag as usize) else {
            return;
        };
        let spec = NodePoolSpec {
            count: spec.count.min(MAX_POOL_NODES as u32),
            ..spec
        };
        match entry {
            Some(pool) => pool.spec = spec,
            None => {
                *entry = Some(NodePool {
                    spec,
                    nodes: [NONE; MAX_POOL_NODES],
                    len: 0,
                });
                insert_sorted(&mut self.pool_tags, tag);
            }
        }
    }

    /// Deletes a pool: its nodes are removed and their pods evicted.
    pub fn delete_node_pool(&mut self, tag: u32) {
        let Some(pool) = self.pools.get_mut(tag as usize).and_then(Option::take) else {
            return;
        };
        for &node in &pool.nodes[..pool.len as usize] {
            self.delete_node(node);
        }
        remove_sorted(&mut self.pool_tags, tag);
    }

    /// Creates or updates the Deployment a DEPLOYMENT module stands for.
    pub fn apply_deployment(&mut self, tag: u32, spec: DeploymentSpec) {
        if tag as usize >= self.deployments.len() {
            return;
        }
        match self.deployments[tag as usize] {
            Some(ref mut d) => {
                let scaled = d.spec.replicas != spec.replicas;
                d.spec = spec;
                if scaled {
                    let name = Deployment::name(tag);
                    let rv = self.write(
                        EventKind::DeploymentScaled,
                        name,
                        None,
                        i64::from(spec.replicas),
                    );
                    if let Some(d) = self.deployments[tag as usize].as_mut() {
                        d.meta.resource_version = rv;
                    }
                }
            }
            None => {
                let meta = self.new_meta();
                self.deployments[tag as usize] = Some(Deployment {
                    meta,
                    spec,
                    template_revision: 1,
                    active: 0,
                    ready: 0,
                    created_total: 0,
                    ready_total: 0,
                    deleted_total: 0,
                    first_pod: NONE,
                    last_pod: NONE,
                });
                insert_sorted(&mut self.deployment_tags, tag);
                self.write(
                    EventKind::DeploymentCreated,
                    Deployment::name(tag),
                    None,
                    i64::from(spec.replicas),
                );
                let rs = ObjectName {
                    kind: ObjectKind::ReplicaSet,
                    owner: tag,
                    revision: 1,
                    id: 0,
                };
                self.write(
                    EventKind::ReplicaSetCreated,
                    rs,
                    None,
                    i64::from(spec.replicas),
                );
            }
        }
    }

    /// Deletes a Deployment; its pods terminate gracefully (background cascading deletion).
    pub fn delete_deployment(&mut self, tag: u32) {
        let Some(d) = self.deployments.get(tag as usize).copied().flatten() else {
            return;
        };
        self.write(EventKind::DeploymentDeleted, Deployment::name(tag), None, 0);
        let mut cur = d.first_pod;
        while let Some(pod) = self.pods.get(cur).copied() {
            if pod.is_active() {
                self.begin_termination(cur);
            }
            // Orphan it: the owner record goes away now.
            if let Some(p) = self.pods.get_mut(cur) {
                p.owner_prev = NONE;
                p.owner_next = NONE;
            }
            cur = pod.owner_next;
        }
        self.deployments[tag as usize] = None;
        remove_sorted(&mut self.deployment_tags, tag);
    }

    pub(super) fn reconcile_pools(&mut self) {
        for i in 0..self.pool_tags.len() {
            let tag = self.pool_tags[i];
            self.reconcile_pool(tag);
        }
    }

    fn reconcile_pool(&mut self, tag: u32) {
        let Some(pool) = self.pools[tag as usize] else {
            return;
        };
        let spec = pool.spec;
        let mut len = pool.len;
        while len < spec.count {
            let Some(node) = self.create_node(tag, len, &spec) else {
                break;
            };
            if let Some(p) = self.pools[tag as usize].as_mut() {
                p.nodes[len as usize] = node;
                p.len = len + 1;
            }
            len += 1;
        }
        while len > spec.count {
            len -= 1;
            self.delete_node(pool.nodes[len as usize]);
            if let Some(p) = self.pools[tag as usize].as_mut() {
                p.nodes[len as usize] = NONE;
                p.len = len;
            }
        }
        for ordinal in 0..len as usize {
            let node = pool.nodes[ordinal];
            self.update_node(node, &spec);
        }
    }

    fn create_node(&mut self, pool: u32, ordinal: u32, spec: &NodePoolSpec) -> Option<u32> {
        if self.nodes.is_full() {
            return None;
        }
        let meta = self.new_meta();
        let node = Node {
            meta,
            pool,
            ordinal,
            allocatable_cpu_m: spec.cpu_m,
            allocatable_memory_mib: spec.memory_mib,
            allocatable_pods: spec.pods,
            requested_cpu_m: 0,
            requested_memory_mib: 0,
            pod_count: 0,
            ready: false,
            unschedulable: spec.cordoned,
            zone: spec.zone,
            taint: spec.taint,
            first_pod: NONE,
            last_pod: NONE,
        };
        let index = self.nodes.insert(node)?;
        self.allocatable_cpu_m += u64::from(spec.cpu_m);
        self.write(EventKind::NodeAdded, node.name(), None, 0);
        let delay = self.rng.lognormal(0.8, 0.3);
        self.schedule_timer(delay, index, meta.uid, 0, TimerAction::NodeReady);
        Some(index)
    }

    fn update_node(&mut self, index: u32, spec: &NodePoolSpec) {
        let Some(node) = self.nodes.get(index).copied() else {
            return;
        };
        if node.unschedulable != spec.cordoned {
            let kind = if spec.cordoned {
                EventKind::NodeCordoned
            } else {
                EventKind::NodeUncordoned
            };
            let rv = self.write(kind, node.name(), None, 0);
            if let Some(n) = self.nodes.get_mut(index) {
                n.unschedulable = spec.cordoned;
                n.meta.resource_version = rv;
            }
            if !spec.cordoned {
                self.queue.cluster_changed();
            }
        }
        self.update_node_labels_and_taints(index, spec);
        let resized = node.allocatable_cpu_m != spec.cpu_m
            || node.allocatable_memory_mib != spec.memory_mib
            || node.allocatable_pods != spec.pods;
        if resized {
            let grew = spec.cpu_m >= node.allocatable_cpu_m
                || spec.memory_mib >= node.allocatable_memory_mib
                || spec.pods >= node.allocatable_pods;
            let rv = self.write(
                EventKind::NodeUpdated,
                node.name(),
                None,
                i64::from(spec.cpu_m),
            );
            self.allocatable_cpu_m =
                self.allocatable_cpu_m - u64::from(node.allocatable_cpu_m) + u64::from(spec.cpu_m);
            if let Some(n) = self.nodes.get_mut(index) {
                n.allocatable_cpu_m = spec.cpu_m;
                n.allocatable_memory_mib = spec.memory_mib;
                n.allocatable_pods = spec.pods;
                n.meta.resource_version = rv;
            }
            self.evict_until_fits(index);
            if grew {
                self.queue.cluster_changed();
            }
        }
    }

    /// The kubelet's admission on a shrunk node: evict the newest pods until requests fit.
    fn evict_until_fits(&mut self, index: u32) {
        loop {
            let Some(node) = self.nodes.get(index) else {
                return;
            };
            let over = node.requested_cpu_m > node.allocatable_cpu_m
                || node.requested_memory_mib > node.allocatable_memory_mib
                || node.pod_count > node.allocatable_pods;
            if !over {
                return;
            }
            let newest = node.last_pod;
            if newest == NONE {
                return;
            }
            self.evict_pod(newest);
        }
    }

    fn delete_node(&mut self, index: u32) {
        let Some(node) = self.nodes.get(index).copied() else {
            return;
        };
        // The pod garbage collector removes pods bound to a node that no longer exists.
        while let Some(first) = self.nodes.get(index).map(|n| n.first_pod) {
            if first == NONE {
                break;
            }
            self.evict_pod(first);
        }
        self.allocatable_cpu_m -= u64::from(node.allocatable_cpu_m);
        self.nodes.remove(index);
        self.write(EventKind::NodeDeleted, node.name(), None, 0);
    }

    pub(super) fn reconcile_deployments(&mut self) {
        for i in 0..self.deployment_tags.len() {
            let tag = self.deployment_tags[i];
            self.reconcile_replica_set(tag);
        }
    }

    fn reconcile_replica_set(&mut self, tag: u32) {
        let Some(d) = self.deployments[tag as usize] else {
            return;
        };
        if d.active < d.spec.replicas {
            let n = (d.spec.replicas - d.active).min(BURST_REPLICAS);
            for _ in 0..n {
                if !self.create_pod(tag) {
                    break;
                }
            }
        } else if d.active > d.spec.replicas {
            let n = (d.active - d.spec.replicas).min(BURST_REPLICAS) as usize;
            self.scale_down(tag, n);
        }
    }

    fn scale_down(&mut self, tag: u32, n: usize) {
        let Some(d) = self.deployments[tag as usize] else {
            return;
        };
        self.ranking.clear();
        let mut cur = d.first_pod;
        while let Some(pod) = self.pods.get(cur) {
            if pod.is_active() && self.ranking.len() < self.ranking.capacity() {
                let related_on_node = if pod.node == NONE {
                    0
                } else {
                    self.node_pods(pod.node)
                        .filter(|p| p.owner == tag && p.is_active())
                        .count() as u32
                };
                self.ranking.push(Rank {
                    index: cur,
                    assigned: pod.node != NONE,
                    phase: if pod.state == PodState::Running { 2 } else { 0 },
                    ready: pod.ready,
                    related_on_node,
                    ready_since: pod.ready_since,
                    created: pod.meta.creation_time,
                    uid: pod.meta.uid,
                });
            }
            cur = pod.owner_next;
        }
        self.ranking.sort_unstable_by(deletion_order);
        for i in 0..n.min(self.ranking.len()) {
            let victim = self.ranking[i].index;
            self.begin_termination(victim);
        }
    }

    /// Creates one pod for a Deployment; false when the world is full.
    fn create_pod(&mut self, tag: u32) -> bool {
        let Some(d) = self.deployments[tag as usize] else {
            return false;
        };
        if self.pods.is_full() {
            self.stats.pods_refused += 1;
            return false;
        }
        let meta = self.new_meta();
        let pod = Pod {
            meta,
            owner: tag,
            template_revision: d.template_revision,
            cpu_m: d.spec.cpu_m,
            memory_mib: d.spec.memory_mib,
            state: PodState::Unscheduled,
            ready: false,
            ready_since: 0.0,
            terminating: false,
            node: NONE,
            attempts: 0,
            queue: QueueState::None,
            // Owned by a ReplicaSet: the system default spread constraints apply.
            scheduling: super::constraints::SchedulingSpec {
                default_spread: true,
                ..d.spec.scheduling
            },
            nominated_node: NONE,
            backoff_until: 0.0,
            queued_at: 0.0,
            timer_seq: 0,
            owner_prev: d.last_pod,
            owner_next: NONE,
            node_prev: NONE,
            node_next: NONE,
        };
        let Some(index) = self.pods.insert(pod) else {
            return false;
        };
        if let Some(prev) = self.pods.get_mut(d.last_pod) {
            prev.owner_next = index;
        }
        if let Some(d) = self.deployments[tag as usize].as_mut() {
            if d.first_pod == NONE {
                d.first_pod = index;
            }
            d.last_pod = index;
            d.active += 1;
            d.created_total = d.created_total.wrapping_add(1);
        }
        self.stats.pods_created += 1;
        self.pending += 1;
        self.write(EventKind::PodCreated, pod.name(), None, 0);
        self.enqueue_active(index);
        true
    }

    /// Unlinks a pod from its owner's list, if it is still in one.
    pub(super) fn unlink_owner(&mut self, index: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        let Some(d) = self
            .deployments
            .get_mut(pod.owner as usize)
            .and_then(Option::as_mut)
        else {
            return;
        };
        let linked = d.first_pod == index || pod.owner_prev != NONE;
        if !linked {
            return;
        }
        if d.first_pod == index {
            d.first_pod = pod.owner_next;
        }
        if d.last_pod == index {
            d.last_pod = pod.owner_prev;
        }
        if let Some(prev) = self.pods.get_mut(pod.owner_prev) {
            prev.owner_next = pod.owner_next;
        }
        if let Some(next) = self.pods.get_mut(pod.owner_next) {
            next.owner_prev = pod.owner_prev;
        }
    }

    /// Adjusts the owner's counts when an active pod stops counting.
    pub(super) fn owner_lost_active(&mut self, pod: &Pod) {
        if let Some(d) = self
            .deployments
            .get_mut(pod.owner as usize)
            .and_then(Option::as_mut)
        {
            d.active = d.active.saturating_sub(1);
            if pod.ready {
                d.ready = d.ready.saturating_sub(1);
            }
            d.deleted_total = d.deleted_total.wrapping_add(1);
        }
    }
}
