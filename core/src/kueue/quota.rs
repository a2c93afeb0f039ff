//! Quota arithmetic of a ClusterQueue in a one-level cohort, as Kueue's resource nodes do it
//! (`pkg/cache/scheduler/resource_node.go`): the part of the nominal quota kept from lending
//! (nominal - lendingLimit) stays local; the rest is pooled in the cohort, whose usage is what
//! its members use beyond their local part; borrowingLimit caps what a queue takes from it.

use super::cluster_queue::ClusterQueueSpec;
use super::resources::{
    FlavorQuantities, FlavorResourceSet, ResourceName, NUM_RESOURCES, ZERO_FLAVOR_QUANTITIES,
};
use super::{Kueue, MAX_FLAVORS, MAX_QUANTITY};

/// Quota limits and usage of one ClusterQueue, dense per (flavor, resource).
#[derive(Debug, Clone)]
pub(crate) struct ClusterQueueQuota {
    /// nominalQuota (0 where not listed).
    pub nominal: FlavorQuantities,
    /// borrowingLimit, `i64::MAX` where unlimited.
    pub borrowing_limit: FlavorQuantities,
    /// nominal - lendingLimit where a lendingLimit is set, else 0: never lent.
    pub local: FlavorQuantities,
    /// The pairs the queue lists.
    pub listed: FlavorResourceSet,
    /// Quota reserved by its admitted workloads and by a preemptor's reservation.
    pub usage: FlavorQuantities,
    /// The part of `usage` a preemptor holds while its victims leave: nothing is admitted
    /// on it, so it does not make the queue a borrower others may reclaim from.
    pub reserved: FlavorQuantities,
}

impl ClusterQueueQuota {
    pub fn new(spec: &ClusterQueueSpec) -> ClusterQueueQuota {
        let mut q = ClusterQueueQuota {
            nominal: ZERO_FLAVOR_QUANTITIES,
            borrowing_limit: ZERO_FLAVOR_QUANTITIES,
            local: ZERO_FLAVOR_QUANTITIES,
            listed: FlavorResourceSet::default(),
            usage: ZERO_FLAVOR_QUANTITIES,
            reserved: ZERO_FLAVOR_QUANTITIES,
        };
        q.set_spec(spec);
        q
    }

    /// Takes the quotas of `spec`, keeping the usage.
    pub fn set_spec(&mut self, spec: &ClusterQueueSpec) {
        self.nominal = ZERO_FLAVOR_QUANTITIES;
        self.borrowing_limit = [[i64::MAX; NUM_RESOURCES]; MAX_FLAVORS];
        self.local = ZERO_FLAVOR_QUANTITIES;
        self.listed = FlavorResourceSet::default();
        for group in spec.resource_groups.iter().flatten() {
            for fq in group.flavors.iter().flatten() {
                if fq.flavor >= MAX_FLAVORS {
                    continue;
                }
                for r in group.covered_resources.iter() {
                    let q = fq.resources[r.index()];
                    let nominal = q.nominal_quota.clamp(0, MAX_QUANTITY);
                    let (f, i) = (fq.flavor, r.index());
                    self.nominal[f][i] = nominal;
                    if let Some(b) = q.borrowing_limit {
                        self.borrowing_limit[f][i] = b.clamp(0, MAX_QUANTITY);
                    }
                    if let Some(l) = q.lending_limit {
                        self.local[f][i] = (nominal - l.clamp(0, MAX_QUANTITY)).max(0);
                    }
                    self.listed.insert(f, r);
                }
            }
        }
        if spec.cohort.is_none() {
            // Without a cohort nothing is lent or borrowed.
            self.local = self.nominal;
            self.borrowing_limit = ZERO_FLAVOR_QUANTITIES;
        }
    }

    /// What the queue puts in the cohort's pool of (f, r).
    fn lendable(&self, f: usize, r: usize) -> i64 {
        self.nominal[f][r] - self.local[f][r]
    }

    /// Its usage counted in the cohort's pool.
    fn used_in_cohort(&self, f: usize, r: usize) -> i64 {
        (self.usage[f][r] - self.local[f][r]).max(0)
    }

    /// What its admitted workloads use of (f, r).
    fn admitted_usage(&self, f: usize, r: usize) -> i64 {
        self.usage[f][r] - self.reserved[f][r]
    }

    /// Its admitted workloads use more than nominal quota of some pair.
    pub fn borrowing_any(&self) -> bool {
        (0..MAX_FLAVORS)
            .any(|f| (0..NUM_RESOURCES).any(|r| self.admitted_usage(f, r) > self.nominal[f][r]))
    }

    /// Its admitted workloads use no more than nominal quota of every pair of `frs`.
    pub fn within_nominal(&self, frs: FlavorResourceSet) -> bool {
        frs.iter()
            .all(|(f, r)| self.admitted_usage(f, r.index()) <= self.nominal[f][r.index()])
    }
}

/// A cohort's pool: the lendable quota of its members and their usage of it.
#[derive(Debug, Clone, Default)]
pub(crate) struct CohortQuota {
    /// Σ members' nominal - local.
    pub subtree: FlavorQuantities,
    /// Σ members' usage beyond their local part.
    pub usage: FlavorQuantities,
    /// Pairs some member lists (the resources fair sharing counts).
    pub listed: FlavorResourceSet,
    /// Number of member ClusterQueues.
    pub members: u32,
}

impl Kueue {
    /// Recomputes cohort `c` from its members.
    pub(crate) fn rebuild_cohort(&mut self, c: usize) {
        let mut pool = CohortQuota {
            subtree: ZERO_FLAVOR_QUANTITIES,
            usage: ZERO_FLAVOR_QUANTITIES,
            listed: FlavorResourceSet::default(),
            members: 0,
        };
        for cq in self.cluster_queues.iter().flatten() {
            if cq.spec.cohort != Some(c) {
                continue;
            }
            pool.members += 1;
            pool.listed.0 |= cq.quota.listed.0;
            for f in 0..MAX_FLAVORS {
                for r in 0..NUM_RESOURCES {
                    pool.subtree[f][r] += cq.quota.lendable(f, r);
                    pool.usage[f][r] += cq.quota.used_in_cohort(f, r);
                }
            }
        }
        self.cohorts[c] = pool;
    }

    /// Quota of (f, r) the queue can still take: its local part left plus what the cohort has
    /// left, within its borrowing limit (`available`).
    pub(crate) fn available(&self, cq: usize, f: usize, r: ResourceName) -> i64 {
        let q = &self.cq(cq).quota;
        let (i, usage) = (r.index(), q.usage[f][r.index()]);
        let Some(c) = self.cq(cq).spec.cohort else {
            return q.nominal[f][i] - usage;
        };
        let pool = &self.cohorts[c];
        let local_available = (q.local[f][i] - usage).max(0);
        let mut parent_available = pool.subtree[f][i] - pool.usage[f][i];
        let limit = q.borrowing_limit[f][i];
        if limit != i64::MAX {
            let stored = q.lendable(f, i);
            let used = q.used_in_cohort(f, i);
            parent_available = parent_available.min(stored - used + limit);
        }
        local_available + parent_available
    }

    /// The most of (f, r) the queue could ever hold (`potentialAvailable`).
    pub(crate) fn potential_available(&self, cq: usize, f: usize, r: ResourceName) -> i64 {
        let q = &self.cq(cq).quota;
        let i = r.index();
        let Some(c) = self.cq(cq).spec.cohort else {
            return q.nominal[f][i];
        };
        let avail = q.local[f][i] + self.cohorts[c].subtree[f][i];
        let limit = q.borrowing_limit[f][i];
        if limit == i64::MAX {
            avail
        } else {
            avail.min(q.nominal[f][i].saturating_add(limit))
        }
    }

    /// Whether using `val` more of (f, r) would take the queue over its nominal quota.
    pub(crate) fn borrowing_with(&self, cq: usize, f: usize, r: ResourceName, val: i64) -> bool {
        let q = &self.cq(cq).quota;
        q.usage[f][r.index()] + val > q.nominal[f][r.index()]
    }

    /// Adds `sign` x `usage` to the queue's usage of every pair, and the matching change to
    /// its cohort's pool.
    pub(crate) fn add_usage(&mut self, cq: usize, usage: &FlavorQuantities, sign: i64) {
        let cohort = self.cq(cq).spec.cohort;
        let q = &mut self.cq_mut(cq).quota;
        let mut pool_delta = ZERO_FLAVOR_QUANTITIES;
        for f in 0..MAX_FLAVORS {
            for r in 0..NUM_RESOURCES {
                let v = usage[f][r];
                if v == 0 {
                    continue;
                }
                let before = q.used_in_cohort(f, r);
                q.usage[f][r] += sign * v;
                pool_delta[f][r] = q.used_in_cohort(f, r) - before;
            }
        }
        if let Some(c) = cohort {
            let pool = &mut self.cohorts[c];
            for (row, delta) in pool.usage.iter_mut().zip(&pool_delta) {
                for (u, d) in row.iter_mut().zip(delta) {
                    *u += d;
                }
            }
        }
    }
}
