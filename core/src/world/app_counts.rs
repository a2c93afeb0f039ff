//! The scheduler's per-app counts (pods of one Deployment per node and zone) kept current
//! from the pod changes themselves, as upstream's cache is kept from informer events: a bind,
//! an unbind or a pod starting to terminate updates the counts in place when they are of that
//! app, and only marks them stale otherwise. The counts of the last few apps scheduled stay
//! in a small cache, kept current the same way, so pods of several Deployments taking turns
//! in activeQ do not rebuild them at every turn. The scheduler rebuilds counts from the
//! app's pod list only when no current copy exists.

use super::objects::{OwnerKind, Pod, NONE};
use super::scheduler::AppPods;
use super::World;

/// Apps whose counts are kept besides the current one's.
pub(super) const APP_CACHE: usize = 8;

/// Counts for recently scheduled apps, each for up to the world's node capacity.
pub(super) struct AppCache {
    entries: Vec<AppPods>,
    /// The entry the next rebuild takes (round robin).
    next: usize,
}

impl AppCache {
    /// Room for [`APP_CACHE`] apps on `max_nodes` nodes.
    pub(super) fn new(max_nodes: usize) -> AppCache {
        AppCache {
            entries: (0..APP_CACHE)
                .map(|_| AppPods::with_capacity(max_nodes))
                .collect(),
            next: 0,
        }
    }
}

impl World {
    /// Marks owner `id`'s pods as changed for the scheduler's per-app counts.
    pub(super) fn touch_app(&mut self, id: u32) {
        if let Some(v) = self.app_versions.get_mut(id as usize) {
            *v = v.wrapping_add(1);
        }
    }

    /// What the scheduler's counts for app `id` are valid at: its pods' and the zones'
    /// versions.
    pub(super) fn app_stamp(&self, id: u32) -> u64 {
        let app = self.app_versions.get(id as usize).copied().unwrap_or(0);
        (u64::from(self.zone_version) << 32) | u64::from(app)
    }

    /// A pod at `index` on `node` (terminating or not) is counted (`add`) or no longer
    /// counted: the counts follow in place when they are current and of its Deployment
    /// (the pod in its list), else they only go stale.
    pub(super) fn app_pod_changed(
        &mut self,
        index: u32,
        pod: &Pod,
        node: u32,
        terminating: bool,
        add: bool,
    ) {
        let before = self.app_stamp(pod.owner);
        self.touch_app(pod.owner);
        let first = self.deployment(pod.owner).map_or(NONE, |d| d.first_pod);
        let listed =
            pod.owner_kind == OwnerKind::Deployment && (first == index || pod.owner_prev != NONE);
        let Some(zone) = self.nodes.get(node).map(|n| n.zone) else {
            return;
        };
        let after = self.app_stamp(pod.owner);
        let anti = pod.scheduling.anti_affinity;
        let copies = std::iter::once(&mut self.app_pods).chain(&mut self.app_cache.entries);
        for counts in copies.filter(|c| c.app() == pod.owner && c.revision == before) {
            if listed {
                counts.update(node, zone, terminating, anti, add);
                counts.revision = after;
            }
        }
    }

    /// Before a rebuild of app `app`'s counts: a current copy in the cache is swapped in
    /// (true: nothing to rebuild); else the current counts, of another app, go into the
    /// cache in place of its oldest entry, whose storage the rebuild reuses.
    pub(in crate::world) fn swap_in_cached_app_pods(&mut self, app: u32) -> bool {
        let stamp = self.app_stamp(app);
        let cache = &mut self.app_cache;
        if let Some(i) = cache
            .entries
            .iter()
            .position(|c| c.app() == app && c.revision == stamp)
        {
            std::mem::swap(&mut self.app_pods, &mut cache.entries[i]);
            return true;
        }
        if self.app_pods.app() != app && !cache.entries.is_empty() {
            let victim = cache.next % cache.entries.len();
            cache.next = (victim + 1) % cache.entries.len();
            std::mem::swap(&mut self.app_pods, &mut cache.entries[victim]);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::super::constraints::{AntiAffinity, SchedulingSpec};
    use super::super::scheduler::AppCount;
    use super::super::*;

    /// The counts as they stand, per node and zone.
    fn snapshot(w: &World) -> (Vec<AppCount>, Vec<(AppCount, u32)>) {
        let nodes = (0..w.config.max_nodes as u32)
            .map(|n| w.app_pods.node(n))
            .collect();
        let zones = (0..=constraints::ZONES as u8)
            .map(|z| (w.app_pods.zone(z), w.app_pods.live_nodes(z)))
            .collect();
        (nodes, zones)
    }

    #[test]
    fn counts_kept_in_place_equal_counts_rebuilt_from_the_pod_list() {
        let mut w = World::new(WorldConfig {
            seed: 3,
            max_pods: 1024,
            max_nodes: 64,
            event_capacity: 4096,
        });
        for (tag, zone) in [(1, 1), (2, 2), (3, 3)] {
            let spec = NodePoolSpec {
                count: 8,
                cpu_m: 8000,
                memory_mib: 32 * 1024,
                pods: 110,
                zone,
                ..NodePoolSpec::default()
            };
            w.apply_node_pool(tag, spec);
        }
        let spread = SchedulingSpec {
            anti_affinity: AntiAffinity::Preferred,
            ..SchedulingSpec::default()
        };
        for (tag, replicas) in [(10, 60), (11, 40)] {
            let spec = DeploymentSpec {
                scheduling: spread,
                ..DeploymentSpec::new(replicas, 200, 256)
            };
            w.apply_deployment(tag, spec);
        }
        let mut compared = 0;
        for step in 0..3000 {
            match step {
                500 => w.apply_deployment(10, DeploymentSpec::new(60, 250, 256)),
                900 => w.delete_node_pool(2),
                1300 => w.apply_deployment(11, DeploymentSpec::new(10, 200, 256)),
                1700 => w.apply_node_pool(
                    2,
                    NodePoolSpec {
                        count: 4,
                        cpu_m: 8000,
                        memory_mib: 32 * 1024,
                        pods: 110,
                        zone: 4,
                        ..NodePoolSpec::default()
                    },
                ),
                2100 => w.delete_deployment(11),
                _ => {}
            }
            w.step(0.01);
            let app = w.app_pods.app();
            if app == 0 || w.app_pods.revision != w.app_stamp(app) {
                continue;
            }
            let kept = snapshot(&w);
            w.app_pods.revision = u64::MAX;
            w.refresh_app_pods(app);
            assert_eq!(kept, snapshot(&w), "step {step}, app {app}");
            compared += 1;
        }
        assert!(compared > 100, "only {compared} steps had current counts");
    }
}
