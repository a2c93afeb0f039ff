//! Mana: the extended resources `manawell.io/<essence>` a node pool advertises the way a
//! device plugin does, with the node label `energy=<essence>` and the taint
//! `energy=<essence>:NoSchedule` that keep other pods away.

use crate::forge::{Essence, ESSENCES};

/// The node label (and taint key) naming a node's essence.
pub const LABEL_ENERGY: &str = "energy";

/// An essence as a small number: 0 = none, 1 = fire, 2 = frost, 3 = arcane (the order of
/// [`ESSENCES`]).
pub type EssenceIndex = u8;

/// The essence with this 1-based index (0 and out-of-range values are none).
pub fn essence(index: EssenceIndex) -> Option<Essence> {
    ESSENCES.get(usize::from(index).checked_sub(1)?).copied()
}

/// The 1-based index of an essence.
pub fn essence_index(essence: Essence) -> EssenceIndex {
    essence as u8 + 1
}

/// The essence index of a switch position or published word: out of range is none.
pub fn essence_from_word(word: u32) -> EssenceIndex {
    if (1..=ESSENCES.len() as u32).contains(&word) {
        word as u8
    } else {
        0
    }
}

/// An amount of one essence's extended resource: what a node advertises as allocatable, or
/// what a pod requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mana {
    /// Which `manawell.io/<essence>` (0 = none).
    pub essence: EssenceIndex,
    /// Units (extended resources are whole numbers).
    pub amount: u32,
}

impl Mana {
    /// No extended resource.
    pub const NONE: Mana = Mana {
        essence: 0,
        amount: 0,
    };

    /// `amount` units of `essence`.
    pub fn of(essence: Essence, amount: u32) -> Mana {
        Mana {
            essence: essence_index(essence),
            amount,
        }
    }

    /// Whether anything is asked or offered.
    pub fn is_some(&self) -> bool {
        self.essence != 0 && self.amount > 0
    }

    /// The resource name, `manawell.io/<essence>` (empty for none).
    pub fn resource_name(&self) -> &'static str {
        essence(self.essence).map_or("", Essence::resource_name)
    }

    /// What a node advertising `self` offers of `essence`: its amount if the essences match.
    pub fn allocatable_of(&self, essence: EssenceIndex) -> u32 {
        if essence != 0 && self.essence == essence {
            self.amount
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_round_trip_and_reject_out_of_range() {
        for e in ESSENCES {
            assert_eq!(essence(essence_index(e)), Some(e));
        }
        assert_eq!(essence(0), None);
        assert_eq!(essence(4), None);
        assert_eq!(essence_from_word(3), 3);
        assert_eq!(essence_from_word(4), 0);
        assert_eq!(essence_from_word(u32::MAX), 0);
    }

    #[test]
    fn a_node_offers_only_its_own_essence() {
        let fire = Mana::of(Essence::Fire, 8);
        assert_eq!(fire.allocatable_of(essence_index(Essence::Fire)), 8);
        assert_eq!(fire.allocatable_of(essence_index(Essence::Frost)), 0);
        assert_eq!(fire.allocatable_of(0), 0);
        assert_eq!(fire.resource_name(), "manawell.io/fire");
        assert!(!Mana::NONE.is_some());
    }
}
