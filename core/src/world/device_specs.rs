//! What devices a pool declares and what a pod claims: a DEVICES module's declaration
//! (mana per node, mana wells per node) and a pod template's resource claim on the wells.

use super::mana::{essence, essence_from_word, EssenceIndex, Mana};
use crate::devices::{
    essence_class, mana_well, AccessMode, Device, DeviceClaim, CHANNELS_CAPACITY, MANA_CAPACITY,
    MAX_DEVICES,
};

/// Pods one mana well serves at once (its `manawell.io/channels` counter).
pub const WELL_CHANNELS: u64 = 4;

const WELL_NAMES: [&str; MAX_DEVICES] = [
    "well-0", "well-1", "well-2", "well-3", "well-4", "well-5", "well-6", "well-7",
];

/// What a DEVICES module declares for a node pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolDevicesSpec {
    /// The pool's essence (1 fire, 2 frost, 3 arcane; anything else: none, so no mana and
    /// no wells).
    pub essence: EssenceIndex,
    /// `manawell.io/<essence>` every node advertises, units.
    pub mana: u32,
    /// Mana wells every node publishes (at most MAX_DEVICES); the node's mana is shared
    /// out among them, the first ones taking the remainder.
    pub wells: u32,
}

impl PoolDevicesSpec {
    /// The spec with out-of-range fields brought in range.
    pub(super) fn clamped(self) -> PoolDevicesSpec {
        let essence = essence_from_word(u32::from(self.essence));
        let some = essence != 0;
        PoolDevicesSpec {
            essence,
            mana: if some { self.mana } else { 0 },
            wells: if some {
                self.wells.min(MAX_DEVICES as u32)
            } else {
                0
            },
        }
    }

    /// The extended resource every node advertises.
    pub fn mana(&self) -> Mana {
        Mana {
            essence: self.essence,
            amount: self.mana,
        }
    }

    /// Well `i`'s mana.
    pub fn well_mana(&self, i: usize) -> u32 {
        let wells = self.wells.max(1);
        self.mana / wells + u32::from((i as u32) < self.mana % wells)
    }

    /// How many wells each node publishes (none without an essence).
    pub(super) fn well_count(&self) -> usize {
        if essence(self.essence).is_none() {
            return 0;
        }
        (self.wells as usize).min(MAX_DEVICES)
    }

    /// Well `i` (below [`PoolDevicesSpec::well_count`]).
    pub(super) fn well(&self, i: usize) -> Device {
        let e = essence(self.essence).unwrap_or(crate::forge::Essence::Fire);
        mana_well(
            WELL_NAMES[i % MAX_DEVICES],
            e,
            u64::from(self.well_mana(i)),
            WELL_CHANNELS,
        )
    }
}

/// A pod's resource claim, as its template asks (a resourceClaimTemplate: each pod gets
/// its own claim, whose uid is the pod's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodClaim {
    /// The DeviceClass: `<essence>.manawell.io` (0: no claim).
    pub essence: EssenceIndex,
    /// Wells asked for (count; 0: no claim).
    pub count: u8,
    /// `manawell.io/mana` asked of each well (0: none). Each well also gives one of its
    /// `manawell.io/channels`.
    pub mana: u32,
    /// How the claim shares its wells.
    pub access: AccessMode,
}

impl PodClaim {
    /// No claim.
    pub const NONE: PodClaim = PodClaim {
        essence: 0,
        count: 0,
        mana: 0,
        access: AccessMode::ReadWriteExclusive,
    };

    /// Whether the pod has a claim.
    pub fn is_some(&self) -> bool {
        essence(self.essence).is_some() && self.count > 0
    }

    /// The DeviceClaim for pod `uid`.
    pub fn device_claim(&self, uid: u64) -> Option<DeviceClaim> {
        let e = essence(self.essence).filter(|_| self.count > 0)?;
        let claim = DeviceClaim::new(uid, essence_class(e))
            .with_count(usize::from(self.count))
            .with_access(self.access)
            .with_request(CHANNELS_CAPACITY, 1);
        Some(if self.mana > 0 {
            claim.with_request(MANA_CAPACITY, u64::from(self.mana))
        } else {
            claim
        })
    }
}

impl Default for PodClaim {
    fn default() -> Self {
        PodClaim::NONE
    }
}
