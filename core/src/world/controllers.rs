//! Controllers: node pools reconciled to their spec, the ReplicaSet controller keeping
//! `replicas` active pods per ReplicaSet, and the pod bookkeeping owners share.

use std::cmp::Ordering;

use super::constraints::SchedulingSpec;
use super::device_specs::PodClaim;
use super::events::EventKind;
use super::mana::Mana;
use super::objects::*;
use super::timers::TimerAction;
use super::workloads::ReplicaSet;
use super::World;

/// Most pods the ReplicaSet controller creates or deletes in one sync (upstream burstReplicas).
const BURST_REPLICAS: u32 = 500;

/// Simulated seconds between the ReplicaSet controller's scale-downs: the events that arrive
/// meanwhile (pods becoming Ready, the Deployment controller lowering replicas) coalesce into
/// one sync, as a real controller's workqueue merges the events arriving while it syncs.
pub const SCALE_DOWN_PERIOD: f64 = 0.05;

/// A scale-down candidate with the keys the ReplicaSet controller ranks by.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rank {
    index: u32,
    assigned: bool,
    phase: u8,
    ready: bool,
    related_on_node: u32,
    ready_since: f64,
    restarts: u32,
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
        // 7. More container restarts first.
        .then(b.restarts.cmp(&a.restarts))
        // 8. Newer before older.
        .then(b.created.total_cmp(&a.created))
        .then(b.uid.cmp(&a.uid))
}

/// An owner's counts when one of its active pods stops counting.
fn lose_active(active: &mut u32, ready: &mut u32, was_ready: bool) {
    *active = active.saturating_sub(1);
    if was_ready {
        *ready = ready.saturating_sub(1);
    }
}

pub(super) fn insert_sorted(tags: &mut Vec<u32>, tag: u32) {
    if let Err(at) = tags.binary_search(&tag) {
        if tags.len() < tags.capacity() {
            tags.insert(at, tag);
        }
    }
}

pub(super) fn remove_sorted(tags: &mut Vec<u32>, tag: u32) {
    if let Ok(at) = tags.binary_search(&tag) {
        tags.remove(at);
    }
}

impl World {
    /// Creates or updates the pool a NODE module stands for. Nodes follow on the next step.
    pub fn apply_node_pool(&mut self, tag: u32, spec: NodePoolSpec) {
        // A DEVICES declaration sets the pool's mana.
        let spec = NodePoolSpec {
            count: spec.count.min(MAX_POOL_SIZE as u32),
            mana: self.declared_mana(tag).unwrap_or(spec.mana),
            ..spec
        };
        let Some(entry) = self.pools.get_mut(tag as usize) else {
            return;
        };
        match entry {
            Some(pool) => {
                pool.dirty |= pool.spec != spec;
                pool.spec = spec;
            }
            None => {
                *entry = Some(NodePool {
                    spec,
                    first: NONE,
                    last: NONE,
                    len: 0,
                    generation: 0,
                    kubelets_down: (0, 0),
                    dirty: true,
                });
                insert_sorted(&mut self.pool_tags, tag);
            }
        }
    }

    /// Deletes a pool: its nodes are removed and their pods evicted.
    pub fn delete_node_pool(&mut self, tag: u32) {
        let Some(pool) = self.pools.get(tag as usize).copied().flatten() else {
            return;
        };
        let mut cur = pool.first;
        while cur != NONE {
            let next = self.next_pool_node(cur);
            self.delete_node(cur);
            cur = next;
        }
        self.pools[tag as usize] = None;
        remove_sorted(&mut self.pool_tags, tag);
        self.delete_autoscaler(tag);
        self.delete_pool_devices(tag);
    }

    pub(super) fn reconcile_pools(&mut self) {
        for i in 0..self.pool_tags.len() {
            let tag = self.pool_tags[i];
            self.reconcile_pool(tag);
        }
    }

    /// The pool controller: nodes created, removed or updated to the spec. A pool its COUNT
    /// governs is reconciled only when it is dirty (its spec changed, or it still lacks
    /// nodes); an autoscaled one every step (its draining nodes change without its spec).
    fn reconcile_pool(&mut self, tag: u32) {
        let Some(pool) = self.pools[tag as usize] else {
            return;
        };
        let spec = pool.spec;
        let autoscaled = self.autoscaled(tag);
        if !pool.dirty && !autoscaled {
            return;
        }
        if let Some(p) = self.pools[tag as usize].as_mut() {
            p.dirty = false;
        }
        if autoscaled {
            // The autoscaler adds and removes the nodes; a node it drains stays cordoned.
            let mut cur = pool.first;
            while cur != NONE {
                let next = self.next_pool_node(cur);
                let cordoned = spec.cordoned || self.draining(tag, cur);
                self.update_node(cur, &NodePoolSpec { cordoned, ..spec });
                cur = next;
            }
            return;
        }
        let mut len = pool.len;
        while len < spec.count {
            if self
                .create_node(tag, self.free_ordinal(tag), &spec)
                .is_none()
            {
                break;
            }
            len += 1;
        }
        while len > spec.count {
            len -= 1;
            let Some(last) = self.pools[tag as usize].map(|p| p.last) else {
                break;
            };
            self.delete_node(last);
        }
        let mut cur = self.pools[tag as usize].map_or(NONE, |p| p.first);
        while cur != NONE {
            let next = self.next_pool_node(cur);
            self.update_node(cur, &spec);
            cur = next;
        }
        if len != spec.count {
            // The world is full: try again on the next step.
            if let Some(p) = self.pools[tag as usize].as_mut() {
                p.dirty = true;
            }
        }
    }

    pub(super) fn create_node(
        &mut self,
        pool: u32,
        ordinal: u32,
        spec: &NodePoolSpec,
    ) -> Option<u32> {
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
            mana: spec.mana,
            requested_mana: 0,
            pod_count: 0,
            ready: false,
            kubelet_silent: false,
            last_heartbeat: 0.0,
            unschedulable: spec.cordoned,
            zone: spec.zone,
            taint: spec.taint,
            terms: spec.terms,
            device_slot: super::scheduler::NO_DEVICE_SLOT,
            first_pod: NONE,
            last_pod: NONE,
            pool_prev: NONE,
            pool_next: NONE,
        };
        let index = self.nodes.insert(node)?;
        self.node_set_version = self.node_set_version.wrapping_add(1);
        self.link_pool_node(pool, index);
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
            || node.allocatable_pods != spec.pods
            || node.mana.amount != spec.mana.amount;
        if resized {
            let grew = spec.cpu_m >= node.allocatable_cpu_m
                || spec.memory_mib >= node.allocatable_memory_mib
                || spec.pods >= node.allocatable_pods
                || spec.mana.amount >= node.mana.amount;
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
                n.mana.amount = spec.mana.amount;
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
                || node.requested_mana > node.mana.amount
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

    pub(super) fn delete_node(&mut self, index: u32) {
        let Some(node) = self.nodes.get(index).copied() else {
            return;
        };
        self.unlink_pool_node(node.pool, index);
        // The pod garbage collector removes pods bound to a node that no longer exists.
        while let Some(first) = self.nodes.get(index).map(|n| n.first_pod) {
            if first == NONE {
                break;
            }
            self.evict_pod(first);
        }
        self.allocatable_cpu_m -= u64::from(node.allocatable_cpu_m);
        self.nodes.remove(index);
        self.node_set_version = self.node_set_version.wrapping_add(1);
        self.write(EventKind::NodeDeleted, node.name(), None, 0);
    }

    /// The ReplicaSet controller for one ReplicaSet of a Deployment: keeps `replicas` active
    /// pods with its template.
    pub(super) fn reconcile_replica_set(&mut self, tag: u32, rs: usize) {
        let Some(d) = self.deployments[tag as usize] else {
            return;
        };
        let set = d.replica_sets[rs];
        if set.active < set.replicas {
            let n = (set.replicas - set.active).min(BURST_REPLICAS);
            for _ in 0..n {
                let owner = PodOwner {
                    kind: OwnerKind::Deployment,
                    id: tag,
                    template_hash: set.hash,
                    restart_policy: RestartPolicy::Always,
                    cpu_m: set.template.cpu_m,
                    memory_mib: set.template.memory_mib,
                    mana: Mana::NONE,
                    claim: PodClaim::NONE,
                    // Owned by a ReplicaSet: the system default spread constraints apply.
                    scheduling: SchedulingSpec {
                        default_spread: true,
                        ..set.template.scheduling
                    },
                };
                if !self.create_pod(owner) {
                    break;
                }
            }
        } else if set.active > set.replicas && self.time >= self.next_scale_down - 1e-9 {
            let n = (set.active - set.replicas).min(BURST_REPLICAS) as usize;
            self.scale_down(tag, set.hash, n);
            self.scaled_down = true;
        }
    }

    /// Terminates `n` active pods of the ReplicaSet with this hash, ranked as upstream.
    fn scale_down(&mut self, tag: u32, hash: u32, n: usize) {
        let Some(d) = self.deployments[tag as usize] else {
            return;
        };
        self.ranking.clear();
        // One walk of the Deployment's list: related pods (every active pod of it) counted
        // per node, and the ReplicaSet's own active pods ranked, with their node for now.
        let stamp = self.next_related_stamp();
        let mut cur = d.first_pod;
        while let Some(pod) = self.pods.get(cur) {
            if !pod.is_active() {
                cur = pod.owner_next;
                continue;
            }
            if let Some(e) = self.related_per_node.get_mut(pod.node as usize) {
                *e = (stamp, if e.0 == stamp { e.1 + 1 } else { 1 });
            }
            if pod.template_hash == hash && self.ranking.len() < self.ranking.capacity() {
                self.ranking.push(Rank {
                    index: cur,
                    assigned: pod.node != NONE,
                    phase: if pod.state == PodState::Running { 2 } else { 0 },
                    ready: pod.ready,
                    related_on_node: pod.node,
                    ready_since: pod.ready_since,
                    restarts: pod.restarts,
                    created: pod.meta.creation_time,
                    uid: pod.meta.uid,
                });
            }
            cur = pod.owner_next;
        }
        for rank in &mut self.ranking {
            rank.related_on_node = match self.related_per_node.get(rank.related_on_node as usize) {
                Some(&(s, n)) if s == stamp => n,
                _ => 0,
            };
        }
        // The n first in deletion order, in that order (a total order: uids differ).
        let n = n.min(self.ranking.len());
        if n > 0 && n < self.ranking.len() {
            self.ranking.select_nth_unstable_by(n - 1, deletion_order);
        }
        self.ranking[..n].sort_unstable_by(deletion_order);
        for i in 0..n {
            let victim = self.ranking[i].index;
            self.begin_termination(victim);
        }
    }

    /// A new stamp for `related_per_node` (entries with an older one count 0).
    fn next_related_stamp(&mut self) -> u32 {
        self.related_stamp = self.related_stamp.wrapping_add(1);
        if self.related_stamp == 0 {
            self.related_per_node.fill((0, 0));
            self.related_stamp = 1;
        }
        self.related_stamp
    }

    /// Creates one pod for an owner; false when the world is full.
    pub(super) fn create_pod(&mut self, owner: PodOwner) -> bool {
        let Some((_, last)) = self.owner_list(owner.kind, owner.id) else {
            return false;
        };
        if self.pods.is_full() {
            self.stats.pods_refused += 1;
            return false;
        }
        let meta = self.new_meta();
        let pod = owner.new_pod(meta, last);
        let Some(index) = self.pods.insert(pod) else {
            return false;
        };
        if let Some(prev) = self.pods.get_mut(last) {
            prev.owner_next = index;
        }
        match owner.kind {
            OwnerKind::Deployment => {
                if let Some(d) = self.deployments[owner.id as usize].as_mut() {
                    if d.first_pod == NONE {
                        d.first_pod = index;
                    }
                    d.last_pod = index;
                    d.active += 1;
                    d.created_total = d.created_total.wrapping_add(1);
                    let sets = &mut d.replica_sets[..d.rs_len as usize];
                    if let Some(rs) = sets.iter_mut().find(|rs| rs.hash == owner.template_hash) {
                        rs.active += 1;
                        rs.pods += 1;
                    }
                }
            }
            OwnerKind::Job => {
                if let Some(j) = self.jobs[owner.id as usize].as_mut() {
                    if j.first_pod == NONE {
                        j.first_pod = index;
                    }
                    j.last_pod = index;
                    j.active += 1;
                }
            }
            // Bare pods are created by `apply_pod`, never here.
            OwnerKind::Bare => {}
        }
        self.stats.pods_created += 1;
        self.pending += 1;
        self.write(EventKind::PodCreated, pod.name(), None, 0);
        self.enqueue_active(index);
        true
    }

    /// Head and tail of an owner's pod list, if the owner exists.
    fn owner_list(&self, kind: OwnerKind, id: u32) -> Option<(u32, u32)> {
        match kind {
            OwnerKind::Deployment => {
                let d = self.deployments.get(id as usize)?.as_ref()?;
                Some((d.first_pod, d.last_pod))
            }
            OwnerKind::Job => {
                let j = self.jobs.get(id as usize)?.as_ref()?;
                Some((j.first_pod, j.last_pod))
            }
            OwnerKind::Bare => None,
        }
    }

    fn set_owner_list(&mut self, kind: OwnerKind, id: u32, first: u32, last: u32) {
        match kind {
            OwnerKind::Deployment => {
                if let Some(d) = self.deployments[id as usize].as_mut() {
                    d.first_pod = first;
                    d.last_pod = last;
                }
            }
            OwnerKind::Job => {
                if let Some(j) = self.jobs[id as usize].as_mut() {
                    j.first_pod = first;
                    j.last_pod = last;
                }
            }
            OwnerKind::Bare => {}
        }
    }

    /// Unlinks a pod from its owner's list, if it is still in one.
    pub(super) fn unlink_owner(&mut self, index: u32) {
        let Some(pod) = self.pods.get(index).copied() else {
            return;
        };
        let Some((mut first, mut last)) = self.owner_list(pod.owner_kind, pod.owner) else {
            return;
        };
        let linked = first == index || pod.owner_prev != NONE;
        if !linked {
            return;
        }
        if pod.node != NONE {
            self.touch_app(pod.owner);
        }
        if first == index {
            first = pod.owner_next;
        }
        if last == index {
            last = pod.owner_prev;
        }
        self.set_owner_list(pod.owner_kind, pod.owner, first, last);
        if let Some(prev) = self.pods.get_mut(pod.owner_prev) {
            prev.owner_next = pod.owner_next;
        }
        if let Some(next) = self.pods.get_mut(pod.owner_next) {
            next.owner_prev = pod.owner_prev;
        }
        if let Some(rs) = self.replica_set_of(&pod) {
            rs.pods = rs.pods.saturating_sub(1);
        }
    }

    /// The ReplicaSet a Deployment's pod belongs to.
    fn replica_set_of(&mut self, pod: &Pod) -> Option<&mut ReplicaSet> {
        if pod.owner_kind != OwnerKind::Deployment {
            return None;
        }
        let d = self.deployments.get_mut(pod.owner as usize)?.as_mut()?;
        let len = d.rs_len as usize;
        d.replica_sets[..len]
            .iter_mut()
            .find(|rs| rs.hash == pod.template_hash)
    }

    /// Adjusts the owner's counts when an active pod stops counting.
    pub(super) fn owner_lost_active(&mut self, pod: &Pod) {
        if let Some(rs) = self.replica_set_of(pod) {
            lose_active(&mut rs.active, &mut rs.ready, pod.ready);
        }
        match pod.owner_kind {
            OwnerKind::Deployment => {
                if let Some(d) = self
                    .deployments
                    .get_mut(pod.owner as usize)
                    .and_then(Option::as_mut)
                {
                    lose_active(&mut d.active, &mut d.ready, pod.ready);
                    d.deleted_total = d.deleted_total.wrapping_add(1);
                }
            }
            OwnerKind::Job => {
                if let Some(j) = self
                    .jobs
                    .get_mut(pod.owner as usize)
                    .and_then(Option::as_mut)
                {
                    lose_active(&mut j.active, &mut j.ready, pod.ready);
                }
            }
            OwnerKind::Bare => {}
        }
    }

    /// Adjusts the owner's ready counts when an active pod's Ready condition changes.
    pub(super) fn owner_ready_changed(&mut self, pod: &Pod, ready: bool) {
        if !pod.is_active() || pod.ready == ready {
            return;
        }
        let add = |n: &mut u32| {
            if ready {
                *n += 1;
            } else {
                *n = n.saturating_sub(1);
            }
        };
        if let Some(rs) = self.replica_set_of(pod) {
            add(&mut rs.ready);
        }
        match pod.owner_kind {
            OwnerKind::Deployment => {
                if let Some(d) = self
                    .deployments
                    .get_mut(pod.owner as usize)
                    .and_then(Option::as_mut)
                {
                    add(&mut d.ready);
                    if ready {
                        d.ready_total = d.ready_total.wrapping_add(1);
                    }
                }
            }
            OwnerKind::Job => {
                if let Some(j) = self
                    .jobs
                    .get_mut(pod.owner as usize)
                    .and_then(Option::as_mut)
                {
                    add(&mut j.ready);
                }
            }
            OwnerKind::Bare => {}
        }
    }

    /// Terminates every active pod of a list and orphans them all (the owner goes away).
    pub(super) fn orphan_and_terminate(&mut self, first: u32) {
        let mut cur = first;
        while let Some(pod) = self.pods.get(cur).copied() {
            if pod.is_active() {
                self.begin_termination(cur);
            }
            if let Some(p) = self.pods.get_mut(cur) {
                p.owner_prev = NONE;
                p.owner_next = NONE;
            }
            cur = pod.owner_next;
        }
    }
}

/// What a controller stamps into a pod it creates.
#[derive(Debug, Clone, Copy)]
pub(super) struct PodOwner {
    pub kind: OwnerKind,
    pub id: u32,
    pub template_hash: u32,
    pub restart_policy: RestartPolicy,
    pub cpu_m: u32,
    pub memory_mib: u32,
    pub mana: Mana,
    pub claim: PodClaim,
    pub scheduling: SchedulingSpec,
}

impl PodOwner {
    /// A new, unscheduled pod of this owner, appended after `owner_prev` in its list.
    pub(super) fn new_pod(&self, meta: ObjectMeta, owner_prev: u32) -> Pod {
        Pod {
            meta,
            owner_kind: self.kind,
            owner: self.id,
            template_hash: self.template_hash,
            restart_policy: self.restart_policy,
            cpu_m: self.cpu_m,
            memory_mib: self.memory_mib,
            mana: self.mana,
            claim: self.claim,
            state: PodState::Unscheduled,
            start_time: None,
            ready: false,
            ready_since: 0.0,
            container: ContainerState::Waiting,
            restarts: 0,
            crash_backoff: 0.0,
            container_started: 0.0,
            start_failures: 0,
            terminating: false,
            preempted: false,
            toleration_armed: false,
            toleration_seq: 0,
            node: NONE,
            attempts: 0,
            queue: QueueState::None,
            scheduling: self.scheduling,
            nominated_node: NONE,
            backoff_until: 0.0,
            queued_at: 0.0,
            timer_seq: 0,
            owner_prev,
            owner_next: NONE,
            node_prev: NONE,
            node_next: NONE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rank(index: u32, restarts: u32, created: f64) -> Rank {
        Rank {
            index,
            assigned: true,
            phase: 2,
            ready: true,
            related_on_node: 1,
            ready_since: 5.0,
            restarts,
            created,
            uid: u64::from(index),
        }
    }

    #[test]
    fn more_restarts_go_first_before_the_age_rule() {
        // Pod 0 is newer (rule 8 would pick it), pod 1 restarted more (rule 7 picks it).
        let mut ranks = [rank(0, 0, 2.0), rank(1, 3, 1.0)];
        ranks.sort_unstable_by(deletion_order);
        assert_eq!(ranks[0].index, 1);
        // Equal restarts: newer first.
        let mut ranks = [rank(0, 1, 1.0), rank(1, 1, 2.0)];
        ranks.sort_unstable_by(deletion_order);
        assert_eq!(ranks[0].index, 1);
    }
}
