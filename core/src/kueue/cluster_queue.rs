//! ClusterQueue: resource groups of flavors with quotas, the cohort it belongs to, and its
//! queueing, flavor-fungibility and preemption policies (v1beta2 names).

use super::resources::{ResourceName, ResourceSet, NUM_RESOURCES};

/// The most resource groups in one ClusterQueue.
pub const MAX_RESOURCE_GROUPS: usize = 4;
/// The most flavors in one resource group.
pub const MAX_GROUP_FLAVORS: usize = 8;

/// Quota of one resource in one flavor (`resources[]` of a FlavorQuotas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResourceQuota {
    /// nominalQuota.
    pub nominal_quota: i64,
    /// borrowingLimit; `None` = unlimited.
    pub borrowing_limit: Option<i64>,
    /// lendingLimit; `None` = all of the nominal quota may be lent.
    pub lending_limit: Option<i64>,
}

impl ResourceQuota {
    /// A nominal quota with no limits.
    pub const fn nominal(nominal_quota: i64) -> ResourceQuota {
        ResourceQuota {
            nominal_quota,
            borrowing_limit: None,
            lending_limit: None,
        }
    }
}

/// One flavor of a resource group with its quotas (`FlavorQuotas`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlavorQuotas {
    /// Index of the ResourceFlavor.
    pub flavor: usize,
    /// Quota per resource (only the group's covered resources count).
    pub resources: [ResourceQuota; NUM_RESOURCES],
}

/// A resource group: covered resources and the flavors that provide them, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceGroup {
    /// coveredResources.
    pub covered_resources: ResourceSet,
    /// flavors, tried in this order.
    pub flavors: [Option<FlavorQuotas>; MAX_GROUP_FLAVORS],
}

impl ResourceGroup {
    /// A group covering `resources`, with no flavors yet.
    pub fn covering(resources: &[ResourceName]) -> ResourceGroup {
        ResourceGroup {
            covered_resources: ResourceSet::of(resources),
            flavors: [None; MAX_GROUP_FLAVORS],
        }
    }

    /// The group with one more flavor and its quotas, given as (resource, quota) pairs.
    pub fn with_flavor(mut self, flavor: usize, quotas: &[(ResourceName, ResourceQuota)]) -> Self {
        let mut resources = [ResourceQuota::default(); NUM_RESOURCES];
        for &(r, q) in quotas {
            resources[r.index()] = q;
        }
        super::flavor::push(&mut self.flavors, FlavorQuotas { flavor, resources });
        self
    }
}

/// spec.queueingStrategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueingStrategy {
    /// The head blocks the queue until it is admitted.
    StrictFIFO,
    /// A head that cannot be admitted steps aside until quota is released.
    BestEffortFIFO,
}

/// flavorFungibility.whenCanBorrow / whenCanPreempt (v1beta1 called MayStopSearch
/// `Borrow` and `Preempt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlavorFungibilityPolicy {
    /// Stop at the first flavor that fits or needs only borrowing (or preemption).
    MayStopSearch,
    /// Try the next flavor first.
    TryNextFlavor,
}

/// spec.flavorFungibility (preference: the default, BorrowingOverPreemption).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlavorFungibility {
    /// whenCanBorrow (default MayStopSearch).
    pub when_can_borrow: FlavorFungibilityPolicy,
    /// whenCanPreempt (default TryNextFlavor).
    pub when_can_preempt: FlavorFungibilityPolicy,
}

impl Default for FlavorFungibility {
    fn default() -> Self {
        FlavorFungibility {
            when_can_borrow: FlavorFungibilityPolicy::MayStopSearch,
            when_can_preempt: FlavorFungibilityPolicy::TryNextFlavor,
        }
    }
}

/// A PreemptionPolicy value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreemptionPolicy {
    /// Never preempt.
    Never,
    /// Preempt workloads of lower priority.
    LowerPriority,
    /// Preempt lower priority, or equal priority and newer (withinClusterQueue only).
    LowerOrNewerEqualPriority,
    /// Preempt any workload (reclaimWithinCohort only).
    Any,
}

/// borrowWithinCohort.policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BorrowWithinCohortPolicy {
    /// A borrowing workload never preempts in the cohort.
    Never,
    /// A borrowing workload may preempt lower-priority workloads in the cohort.
    LowerPriority,
}

/// spec.preemption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterQueuePreemption {
    /// reclaimWithinCohort: Never, LowerPriority or Any.
    pub reclaim_within_cohort: PreemptionPolicy,
    /// borrowWithinCohort.policy.
    pub borrow_within_cohort: BorrowWithinCohortPolicy,
    /// borrowWithinCohort.maxPriorityThreshold.
    pub max_priority_threshold: Option<i32>,
    /// withinClusterQueue: Never, LowerPriority or LowerOrNewerEqualPriority.
    pub within_cluster_queue: PreemptionPolicy,
}

impl Default for ClusterQueuePreemption {
    fn default() -> Self {
        ClusterQueuePreemption {
            reclaim_within_cohort: PreemptionPolicy::Never,
            borrow_within_cohort: BorrowWithinCohortPolicy::Never,
            max_priority_threshold: None,
            within_cluster_queue: PreemptionPolicy::Never,
        }
    }
}

/// A ClusterQueue's spec.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterQueueSpec {
    /// resourceGroups.
    pub resource_groups: [Option<ResourceGroup>; MAX_RESOURCE_GROUPS],
    /// cohortName, as a cohort index; `None` = no cohort.
    pub cohort: Option<usize>,
    /// queueingStrategy.
    pub queueing_strategy: QueueingStrategy,
    /// flavorFungibility.
    pub flavor_fungibility: FlavorFungibility,
    /// preemption.
    pub preemption: ClusterQueuePreemption,
    /// fairSharing.weight (default 1).
    pub fair_sharing_weight: f64,
}

impl Default for ClusterQueueSpec {
    fn default() -> Self {
        ClusterQueueSpec {
            resource_groups: [None; MAX_RESOURCE_GROUPS],
            cohort: None,
            queueing_strategy: QueueingStrategy::BestEffortFIFO,
            flavor_fungibility: FlavorFungibility::default(),
            preemption: ClusterQueuePreemption::default(),
            fair_sharing_weight: 1.0,
        }
    }
}

impl ClusterQueueSpec {
    /// The spec with one more resource group.
    pub fn with_group(mut self, group: ResourceGroup) -> Self {
        super::flavor::push(&mut self.resource_groups, group);
        self
    }

    /// The resource group covering `r`, if any.
    pub fn group_for(&self, r: ResourceName) -> Option<&ResourceGroup> {
        self.resource_groups
            .iter()
            .flatten()
            .find(|g| g.covered_resources.contains(r))
    }

    /// The quota of `r` in `flavor`, if the queue lists that pair.
    pub fn quota_for(&self, flavor: usize, r: ResourceName) -> Option<ResourceQuota> {
        let group = self.group_for(r)?;
        group
            .flavors
            .iter()
            .flatten()
            .find(|fq| fq.flavor == flavor)
            .map(|fq| fq.resources[r.index()])
    }
}
