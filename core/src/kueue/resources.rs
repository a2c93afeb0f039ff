//! Resource names as a small fixed set of indices, and quantities per resource and per
//! (flavor, resource) pair, so that quota arithmetic never allocates.

use super::MAX_FLAVORS;

/// A resource a ClusterQueue can give quota for (`corev1.ResourceName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceName {
    /// `cpu`, in millicores.
    Cpu,
    /// `memory`, in MiB.
    Memory,
    /// `pods`: counted only when a ClusterQueue covers it, one per pod.
    Pods,
    /// `manawell.io/fire`, an extended resource (units).
    Fire,
    /// `manawell.io/frost`, an extended resource (units).
    Frost,
    /// `manawell.io/arcane`, an extended resource (units).
    Arcane,
}

/// How many resource names there are.
pub const NUM_RESOURCES: usize = 6;

impl ResourceName {
    /// Every resource, in index order.
    pub const ALL: [ResourceName; NUM_RESOURCES] = [
        ResourceName::Cpu,
        ResourceName::Memory,
        ResourceName::Pods,
        ResourceName::Fire,
        ResourceName::Frost,
        ResourceName::Arcane,
    ];

    /// The resource's index in quantity arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The Kubernetes name, e.g. `manawell.io/fire`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResourceName::Cpu => "cpu",
            ResourceName::Memory => "memory",
            ResourceName::Pods => "pods",
            ResourceName::Fire => "manawell.io/fire",
            ResourceName::Frost => "manawell.io/frost",
            ResourceName::Arcane => "manawell.io/arcane",
        }
    }

    /// The bit of this resource in a [`ResourceSet`].
    pub const fn bit(self) -> ResourceSet {
        ResourceSet(1 << self as u8)
    }
}

/// A set of resource names (a `coveredResources` list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResourceSet(pub u8);

impl ResourceSet {
    /// The empty set.
    pub const EMPTY: ResourceSet = ResourceSet(0);

    /// A set of the given resources.
    pub fn of(names: &[ResourceName]) -> ResourceSet {
        ResourceSet(names.iter().fold(0, |bits, r| bits | r.bit().0))
    }

    /// Whether `r` is in the set.
    pub const fn contains(self, r: ResourceName) -> bool {
        self.0 & r.bit().0 != 0
    }

    /// Whether the two sets share a resource.
    pub const fn intersects(self, other: ResourceSet) -> bool {
        self.0 & other.0 != 0
    }

    /// The members, in index order.
    pub fn iter(self) -> impl Iterator<Item = ResourceName> {
        ResourceName::ALL
            .into_iter()
            .filter(move |r| self.contains(*r))
    }
}

/// A quantity of every resource (requests of one pod, or of a pod set).
pub type Quantities = [i64; NUM_RESOURCES];

/// A quantity per (flavor, resource) pair: usage, quota, a workload's assigned requests.
pub type FlavorQuantities = [[i64; NUM_RESOURCES]; MAX_FLAVORS];

/// The zero [`FlavorQuantities`].
pub const ZERO_FLAVOR_QUANTITIES: FlavorQuantities = [[0; NUM_RESOURCES]; MAX_FLAVORS];

/// A set of (flavor, resource) pairs, one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlavorResourceSet(pub u128);

impl FlavorResourceSet {
    const fn bit(flavor: usize, r: ResourceName) -> u128 {
        1 << (flavor * NUM_RESOURCES + r as usize)
    }

    /// Adds a pair.
    pub fn insert(&mut self, flavor: usize, r: ResourceName) {
        self.0 |= Self::bit(flavor, r);
    }

    /// Whether the pair is in the set.
    pub const fn contains(self, flavor: usize, r: ResourceName) -> bool {
        self.0 & Self::bit(flavor, r) != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The pairs, flavor-major.
    pub fn iter(self) -> impl Iterator<Item = (usize, ResourceName)> {
        (0..MAX_FLAVORS)
            .flat_map(|f| ResourceName::ALL.into_iter().map(move |r| (f, r)))
            .filter(move |&(f, r)| self.contains(f, r))
    }
}

// 16 flavors x 6 resources must fit the bit set.
const _: () = assert!(MAX_FLAVORS * NUM_RESOURCES <= 128);
