//! Fair sharing (`pkg/cache/scheduler/fair_sharing.go`): a ClusterQueue's
//! DominantResourceShare is, over the resources it borrows, the largest share of what it
//! borrows beyond its nominal quota over what the cohort could lend it (x1000), divided by its
//! fairSharing.weight. Admission in a cohort goes to the lowest share first.

use std::cmp::Ordering;

use super::resources::{FlavorQuantities, ResourceName, NUM_RESOURCES};
use super::{Kueue, MAX_FLAVORS};

/// A DominantResourceShare.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Drs {
    weight: f64,
    ratio: f64,
}

impl Drs {
    /// No share (a placeholder until computed).
    pub const ZERO: Drs = Drs {
        weight: 1.0,
        ratio: 0.0,
    };

    /// The share divided by the weight (infinite for a borrowing queue of weight 0).
    pub fn weighted(self) -> f64 {
        if self.ratio == 0.0 {
            0.0
        } else if self.weight == 0.0 {
            f64::INFINITY
        } else {
            self.ratio / self.weight
        }
    }

    fn zero_weight_borrows(self) -> bool {
        self.weight == 0.0 && self.ratio != 0.0
    }

    /// `CompareDRS`.
    pub fn compare(self, other: Drs) -> Ordering {
        match (self.zero_weight_borrows(), other.zero_weight_borrows()) {
            (true, true) => self.ratio.total_cmp(&other.ratio),
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self.weighted().total_cmp(&other.weighted()),
        }
    }
}

impl Kueue {
    /// The DominantResourceShare of ClusterQueue `cq` were `extra` added to its usage.
    pub(crate) fn dominant_resource_share(&self, cq: usize, extra: &FlavorQuantities) -> Drs {
        let q = self.cq(cq);
        let mut drs = Drs {
            weight: q.spec.fair_sharing_weight,
            ratio: 0.0,
        };
        let Some(c) = q.spec.cohort else {
            return drs;
        };
        let mut borrowed = [0i64; NUM_RESOURCES];
        for (f, r) in q.quota.listed.iter() {
            let i = r.index();
            let b = extra[f][i] + q.quota.usage[f][i] - q.quota.nominal[f][i];
            if b > 0 {
                borrowed[i] += b;
            }
        }
        if borrowed.iter().all(|&b| b == 0) {
            return drs;
        }
        let listed = self.cohorts[c].listed;
        for r in ResourceName::ALL {
            let b = borrowed[r.index()];
            if b == 0 {
                continue;
            }
            let lendable: i64 = (0..MAX_FLAVORS)
                .filter(|&f| listed.contains(f, r))
                .map(|f| self.potential_available(cq, f, r))
                .sum();
            if lendable > 0 {
                drs.ratio = drs.ratio.max(b as f64 * 1000.0 / lendable as f64);
            }
        }
        drs
    }

    /// status.fairSharing.weightedShare of ClusterQueue `cq` (rounded up;
    /// `i64::MAX` for a borrowing queue of weight 0).
    pub fn weighted_share(&self, cq: usize) -> i64 {
        if self
            .cluster_queues
            .get(cq)
            .and_then(|c| c.as_ref())
            .is_none()
        {
            return 0;
        }
        let zero = [[0; NUM_RESOURCES]; MAX_FLAVORS];
        let w = self.dominant_resource_share(cq, &zero).weighted();
        if w.is_infinite() {
            i64::MAX
        } else {
            w.ceil() as i64
        }
    }
}
