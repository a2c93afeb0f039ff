//! Per-device capacities after the k8srm prototype: counters, quantities and blocks, and
//! the arithmetic that charges a request against them.

/// How a capacity is drawn down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapacityKind {
    /// A count of identical units (e.g. slots); a request takes that many.
    Counter,
    /// An amount in the capacity's unit (e.g. mana); a request takes exactly its amount.
    Quantity,
    /// An amount handed out in whole blocks of `size` units: a request rounds up to whole
    /// blocks, and only whole blocks of the capacity can be handed out.
    Block {
        /// Units per block (at least 1).
        size: u64,
    },
}

/// One named capacity of a device, with what is allocated from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceCapacity {
    /// Qualified name, e.g. `manawell.io/mana`.
    pub name: &'static str,
    /// How it is drawn down.
    pub kind: CapacityKind,
    /// What the device has in all.
    pub capacity: u64,
    /// What claims hold now.
    pub allocated: u64,
}

impl DeviceCapacity {
    /// A counter of `capacity` units.
    pub fn counter(name: &'static str, capacity: u64) -> DeviceCapacity {
        Self::new(name, CapacityKind::Counter, capacity)
    }

    /// A quantity of `capacity` units.
    pub fn quantity(name: &'static str, capacity: u64) -> DeviceCapacity {
        Self::new(name, CapacityKind::Quantity, capacity)
    }

    /// `capacity` units handed out in blocks of `size` (0 is taken as 1).
    pub fn block(name: &'static str, capacity: u64, size: u64) -> DeviceCapacity {
        Self::new(name, CapacityKind::Block { size: size.max(1) }, capacity)
    }

    fn new(name: &'static str, kind: CapacityKind, capacity: u64) -> DeviceCapacity {
        DeviceCapacity {
            name,
            kind,
            capacity,
            allocated: 0,
        }
    }

    /// What can be handed out in all: the capacity, rounded down to whole blocks.
    pub fn allocatable(&self) -> u64 {
        match self.kind {
            CapacityKind::Block { size } => self.capacity / size * size,
            CapacityKind::Counter | CapacityKind::Quantity => self.capacity,
        }
    }

    /// What is still free to hand out.
    pub fn available(&self) -> u64 {
        self.allocatable().saturating_sub(self.allocated)
    }

    /// What a request for `amount` takes: the amount, rounded up to whole blocks for a
    /// block capacity (None when that overflows).
    pub fn charge(&self, amount: u64) -> Option<u64> {
        match self.kind {
            CapacityKind::Block { size } => amount.div_ceil(size).checked_mul(size),
            CapacityKind::Counter | CapacityKind::Quantity => Some(amount),
        }
    }
}
