//! The Deployment controller: ReplicaSets by pod-template-hash, RollingUpdate and Recreate
//! rollouts, rollback and the revision history (upstream pkg/controller/deployment).

use super::events::EventKind;
use super::objects::*;
use super::workloads::*;
use super::World;

/// maxSurge and maxUnavailable resolved against spec.replicas (upstream `ResolveFenceposts`):
/// surge rounds up, unavailable rounds down, and both 0 means one unavailable.
pub fn resolve_fenceposts(strategy: DeploymentStrategy, replicas: u32) -> (u32, u32) {
    match strategy {
        DeploymentStrategy::Recreate => (0, 0),
        DeploymentStrategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } => {
            let surge = max_surge.scaled(replicas, true);
            let unavailable = max_unavailable.scaled(replicas, false);
            if surge == 0 && unavailable == 0 {
                (0, 1)
            } else {
                (surge, unavailable)
            }
        }
    }
}

impl World {
    /// Creates or updates the Deployment a DEPLOYMENT module stands for. A change of the pod
    /// template (requests, image) starts a rollout; a change of replicas scales.
    pub fn apply_deployment(&mut self, tag: u32, spec: DeploymentSpec) {
        if tag as usize >= self.deployments.len() {
            return;
        }
        let Some(d) = self.deployments[tag as usize] else {
            self.create_deployment(tag, spec);
            return;
        };
        if d.spec == spec {
            return;
        }
        let name = Deployment::name(tag);
        let mut rv = d.meta.resource_version;
        if d.spec.replicas != spec.replicas {
            let replicas = i64::from(spec.replicas);
            rv = self.write(EventKind::DeploymentScaled, name, None, replicas);
        }
        let template_changed = d.spec.template() != spec.template();
        if template_changed {
            rv = self.write(
                EventKind::DeploymentUpdated,
                name,
                None,
                i64::from(spec.image),
            );
        }
        if let Some(d) = self.deployments[tag as usize].as_mut() {
            d.spec = spec;
            d.meta.resource_version = rv;
            if template_changed {
                d.template = spec.template();
            }
        }
        if spec.fault && !d.spec.fault {
            self.crash_containers(d.first_pod);
        }
    }

    fn create_deployment(&mut self, tag: u32, spec: DeploymentSpec) {
        let meta = self.new_meta();
        let empty = ReplicaSet {
            hash: 0,
            revision: 0,
            template: PodTemplate::default(),
            replicas: 0,
            active: 0,
            ready: 0,
            pods: 0,
            created: 0.0,
        };
        self.deployments[tag as usize] = Some(Deployment {
            meta,
            spec,
            template: spec.template(),
            replica_sets: [empty; MAX_REPLICA_SETS],
            rs_len: 0,
            active: 0,
            ready: 0,
            created_total: 0,
            ready_total: 0,
            deleted_total: 0,
            first_pod: NONE,
            last_pod: NONE,
        });
        super::controllers::insert_sorted(&mut self.deployment_tags, tag);
        self.touch_app(tag);
        let replicas = i64::from(spec.replicas);
        self.write(
            EventKind::DeploymentCreated,
            Deployment::name(tag),
            None,
            replicas,
        );
    }

    /// `kubectl rollout undo`: the Deployment's template goes back to the template of the
    /// previous revision, whose ReplicaSet then becomes the new one. Returns false when there
    /// is no previous revision.
    pub fn rollback_deployment(&mut self, tag: u32) -> bool {
        let Some(d) = self.deployment(tag).copied() else {
            return false;
        };
        let current = d.revision();
        let previous = d
            .replica_sets()
            .iter()
            .filter(|rs| rs.revision < current || current == 0)
            .max_by_key(|rs| rs.revision)
            .copied();
        let Some(previous) = previous else {
            return false;
        };
        if previous.hash == d.template.hash() {
            return false;
        }
        let rv = self.write(
            EventKind::DeploymentRollback,
            Deployment::name(tag),
            None,
            i64::from(previous.revision),
        );
        if let Some(d) = self.deployments[tag as usize].as_mut() {
            d.template = previous.template;
            d.meta.resource_version = rv;
        }
        true
    }

    /// Deletes a Deployment; its ReplicaSets go with it and their pods terminate gracefully
    /// (background cascading deletion).
    pub fn delete_deployment(&mut self, tag: u32) {
        let Some(d) = self.deployments.get(tag as usize).copied().flatten() else {
            return;
        };
        self.write(EventKind::DeploymentDeleted, Deployment::name(tag), None, 0);
        self.orphan_and_terminate(d.first_pod);
        self.deployments[tag as usize] = None;
        self.touch_app(tag);
        super::controllers::remove_sorted(&mut self.deployment_tags, tag);
    }

    pub(super) fn reconcile_deployments(&mut self) {
        self.scaled_down = false;
        for i in 0..self.deployment_tags.len() {
            let tag = self.deployment_tags[i];
            self.sync_deployment(tag);
            let rs_len = self.deployments[tag as usize].map_or(0, |d| d.rs_len);
            for rs in 0..rs_len as usize {
                self.reconcile_replica_set(tag, rs);
            }
        }
        if self.scaled_down {
            self.next_scale_down = self.time + super::controllers::SCALE_DOWN_PERIOD;
        }
    }

    fn sync_deployment(&mut self, tag: u32) {
        let Some(d) = self.deployments[tag as usize] else {
            return;
        };
        let done = match d.spec.strategy {
            DeploymentStrategy::Recreate => self.rollout_recreate(tag),
            DeploymentStrategy::RollingUpdate { .. } => self.rollout_rolling(tag),
        };
        if done {
            self.cleanup_deployment(tag);
        }
    }

    /// Index of the new ReplicaSet, creating it (or re-adopting an old one with the same
    /// template, whose revision is bumped) when `create` is set.
    fn new_replica_set(&mut self, tag: u32, create: bool) -> Option<usize> {
        let d = self.deployments[tag as usize]?;
        let hash = d.template.hash();
        let max_old = d
            .replica_sets()
            .iter()
            .filter(|rs| rs.hash != hash)
            .map(|rs| rs.revision)
            .max()
            .unwrap_or(0);
        if let Some(i) = d.replica_sets().iter().position(|rs| rs.hash == hash) {
            if d.replica_sets[i].revision <= max_old {
                // Rollback: the old ReplicaSet becomes the newest revision.
                if let Some(d) = self.deployments[tag as usize].as_mut() {
                    d.replica_sets[i].revision = max_old + 1;
                }
            }
            return Some(i);
        }
        if !create {
            return None;
        }
        if d.rs_len as usize == MAX_REPLICA_SETS {
            // Room first: drop the oldest revision without pods.
            self.delete_oldest_unused(tag)?;
        }
        let rs = ReplicaSet {
            hash,
            revision: max_old + 1,
            template: d.template,
            replicas: 0,
            active: 0,
            ready: 0,
            pods: 0,
            created: self.time,
        };
        let d = self.deployments[tag as usize].as_mut()?;
        let i = d.rs_len as usize;
        d.replica_sets[i] = rs;
        d.rs_len += 1;
        self.write(
            EventKind::ReplicaSetCreated,
            rs.name(tag),
            None,
            i64::from(rs.revision),
        );
        Some(i)
    }

    /// Sets a ReplicaSet's spec.replicas, recording ScalingReplicaSet as upstream does.
    fn scale_replica_set(&mut self, tag: u32, i: usize, replicas: u32) {
        let Some(d) = self.deployments[tag as usize].as_mut() else {
            return;
        };
        let rs = &mut d.replica_sets[i];
        if rs.replicas == replicas {
            return;
        }
        let from = rs.replicas;
        rs.replicas = replicas;
        let hash = rs.hash;
        self.write_detail(
            EventKind::ScalingReplicaSet,
            Deployment::name(tag),
            None,
            i64::from(replicas),
            (u64::from(hash) << 32) | u64::from(from),
        );
    }

    /// Upstream `rolloutRolling`: scale the new ReplicaSet up within maxSurge, else scale old
    /// ones down within maxUnavailable. True when the rollout is complete.
    fn rollout_rolling(&mut self, tag: u32) -> bool {
        let Some(new) = self.new_replica_set(tag, true) else {
            return false;
        };
        let Some(d) = self.deployments[tag as usize] else {
            return false;
        };
        let replicas = d.spec.replicas;
        let (surge, unavailable) = resolve_fenceposts(d.spec.strategy, replicas);
        let sets = d.replica_sets();
        // A ReplicaSet's pods above its replicas await the ReplicaSet controller's coalesced
        // scale-down (at most SCALE_DOWN_PERIOD): the rollout waits for it to land, as
        // upstream's next Deployment sync sees the deletes already made, so the Deployment
        // never holds more than replicas + maxSurge pods nor fewer than minAvailable Ready.
        if sets.iter().any(|rs| rs.active > rs.replicas) {
            return false;
        }
        let all: u32 = sets.iter().map(|rs| rs.replicas).sum();
        let new_rs = sets[new];
        // reconcileNewReplicaSet.
        if new_rs.replicas > replicas {
            self.scale_replica_set(tag, new, replicas);
            return false;
        }
        if new_rs.replicas < replicas {
            let max_total = replicas + surge;
            if all < max_total {
                let up = (max_total - all).min(replicas - new_rs.replicas);
                self.scale_replica_set(tag, new, new_rs.replicas + up);
                return false;
            }
        }
        // reconcileOldReplicaSets.
        let old_replicas = all - new_rs.replicas;
        if old_replicas == 0 {
            return new_rs.ready == replicas && new_rs.active == replicas;
        }
        let min_available = i64::from(replicas - unavailable.min(replicas));
        let new_unavailable = i64::from(new_rs.replicas.saturating_sub(new_rs.ready));
        let max_scaled_down = i64::from(all) - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return false;
        }
        // cleanupUnhealthyReplicas: old pods that are not available go first.
        let mut order = [0usize; MAX_REPLICA_SETS];
        let olds = old_by_creation(sets, new, &mut order);
        let mut cleaned = 0i64;
        for &i in &order[..olds] {
            if cleaned >= max_scaled_down {
                break;
            }
            let rs = self.deployments[tag as usize].map(|d| d.replica_sets[i]);
            let Some(rs) = rs else { break };
            let unhealthy = i64::from(rs.replicas.saturating_sub(rs.ready));
            if rs.replicas == 0 || unhealthy == 0 {
                continue;
            }
            let down = (max_scaled_down - cleaned).min(unhealthy);
            self.scale_replica_set(tag, i, rs.replicas - down as u32);
            cleaned += down;
        }
        // scaleDownOldReplicaSetsForRollingUpdate: then available ones, above minAvailable.
        let Some(d) = self.deployments[tag as usize] else {
            return false;
        };
        let available: i64 = d.replica_sets().iter().map(|rs| i64::from(rs.ready)).sum();
        if available <= min_available {
            return false;
        }
        let total = available - min_available;
        let mut done = 0i64;
        for &i in &order[..olds] {
            if done >= total {
                break;
            }
            let rs = self.deployments[tag as usize].map(|d| d.replica_sets[i]);
            let Some(rs) = rs else { break };
            if rs.replicas == 0 {
                continue;
            }
            let down = i64::from(rs.replicas).min(total - done);
            self.scale_replica_set(tag, i, rs.replicas - down as u32);
            done += down;
        }
        false
    }

    /// Upstream `rolloutRecreate`: scale every old ReplicaSet to 0, wait until none of their
    /// pods exist, then create and scale up the new one. True when complete.
    fn rollout_recreate(&mut self, tag: u32) -> bool {
        let Some(d) = self.deployments[tag as usize] else {
            return false;
        };
        let hash = d.template.hash();
        let mut scaled = false;
        for i in 0..d.rs_len as usize {
            let rs = d.replica_sets[i];
            if rs.hash != hash && rs.replicas > 0 {
                self.scale_replica_set(tag, i, 0);
                scaled = true;
            }
        }
        let old_pods = d
            .replica_sets()
            .iter()
            .any(|rs| rs.hash != hash && rs.pods > 0);
        if scaled || old_pods {
            return false;
        }
        let Some(new) = self.new_replica_set(tag, true) else {
            return false;
        };
        self.scale_replica_set(tag, new, d.spec.replicas);
        let rs = self.deployments[tag as usize].map(|d| d.replica_sets[new]);
        rs.is_some_and(|rs| rs.ready == d.spec.replicas && rs.active == d.spec.replicas)
    }

    /// Upstream `cleanupDeployment`: old ReplicaSets without replicas and pods beyond
    /// revisionHistoryLimit are deleted, oldest revision first.
    fn cleanup_deployment(&mut self, tag: u32) {
        let Some(d) = self.deployments[tag as usize] else {
            return;
        };
        let hash = d.template.hash();
        let cleanable = d
            .replica_sets()
            .iter()
            .filter(|rs| rs.hash != hash && rs.replicas == 0 && rs.pods == 0)
            .count() as u32;
        for _ in d.spec.revision_history_limit..cleanable {
            if self.delete_oldest_unused(tag).is_none() {
                break;
            }
        }
    }

    /// Deletes the old ReplicaSet with the lowest revision that has no replicas and no pods.
    fn delete_oldest_unused(&mut self, tag: u32) -> Option<()> {
        let d = self.deployments[tag as usize].as_mut()?;
        let hash = d.template.hash();
        let len = d.rs_len as usize;
        let i = (0..len)
            .filter(|&i| {
                let rs = &d.replica_sets[i];
                rs.hash != hash && rs.replicas == 0 && rs.pods == 0
            })
            .min_by_key(|&i| d.replica_sets[i].revision)?;
        let rs = d.replica_sets[i];
        d.replica_sets.copy_within(i + 1..len, i);
        d.rs_len -= 1;
        self.write(
            EventKind::ReplicaSetDeleted,
            rs.name(tag),
            None,
            i64::from(rs.revision),
        );
        Some(())
    }
}

/// Indices of the old ReplicaSets (all but `new`), oldest first; returns how many.
fn old_by_creation(
    sets: &[ReplicaSet],
    new: usize,
    order: &mut [usize; MAX_REPLICA_SETS],
) -> usize {
    let mut n = 0;
    for i in (0..sets.len()).filter(|&i| i != new) {
        order[n] = i;
        n += 1;
    }
    order[..n].sort_unstable_by(|&a, &b| sets[a].created.total_cmp(&sets[b].created));
    n
}
