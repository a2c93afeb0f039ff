//! Score classes: besides its own requested resources, a feasible node's normalised scores
//! depend only on its PreferNoSchedule taint, its zone and the app's pods on it. Feasible
//! nodes that share those fall into one class, whose raw scores, normalisation and weighted
//! sum are computed once per cycle instead of once per node. Classes live in an open-addressing
//! table sized at construction and invalidated per cycle by a stamp, so a cycle allocates
//! nothing and forgets the previous one in O(1).

use super::NodeScores;

/// What a class's scores depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ClassKey {
    /// An intolerable PreferNoSchedule taint.
    pub taint: bool,
    /// The zone label (0: none).
    pub zone: u8,
    /// The app's pods on the node (0 unless a hostname-keyed plugin scores).
    pub all: u32,
    /// Those with preferred anti-affinity (0 unless a hostname-keyed plugin scores).
    pub preferred: u32,
}

impl ClassKey {
    #[inline]
    fn hash(&self, shift: u32) -> usize {
        let packed = (u64::from(self.all) << 32 | u64::from(self.preferred))
            ^ (u64::from(self.zone) << 1 | u64::from(self.taint)).rotate_right(9);
        (packed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> shift) as usize
    }
}

/// One class and what the cycle computed for it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Class {
    stamp: u32,
    /// The key.
    pub key: ClassKey,
    /// Feasible nodes in the class.
    pub count: u32,
    /// PodTopologySpread ignores these nodes (a missing topology key).
    pub spread_ignored: bool,
    /// Raw InterPodAffinity score.
    pub ipa: i64,
    /// Raw PodTopologySpread score.
    pub spread: i64,
    /// Weighted, normalised scores (NodeResourcesFit and BalancedAllocation left 0).
    pub scores: NodeScores,
    /// Their sum.
    pub total: i64,
}

/// The classes of one cycle.
pub(super) struct ScoreClasses {
    slots: Vec<Class>,
    shift: u32,
    stamp: u32,
    used: Vec<u32>,
    last: Option<(ClassKey, u32)>,
}

impl ScoreClasses {
    /// Room for the classes of up to `max_nodes` feasible nodes (the table stays at most half
    /// full).
    pub fn with_capacity(max_nodes: usize) -> ScoreClasses {
        let size = (2 * max_nodes).max(16).next_power_of_two();
        ScoreClasses {
            slots: vec![Class::default(); size],
            shift: 64 - size.trailing_zeros(),
            stamp: 0,
            used: Vec::with_capacity(size),
            last: None,
        }
    }

    /// Most classes one cycle may hold (at least the `max_nodes` given at construction).
    pub fn capacity(&self) -> usize {
        self.slots.len() / 2
    }

    /// Forgets every class.
    pub fn clear(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            // Stamps wrapped: reset, so no slot carries a stamp that looks current.
            self.slots.iter_mut().for_each(|c| c.stamp = 0);
            self.stamp = 1;
        }
        self.used.clear();
        self.last = None;
    }

    /// Counts one more node of the class `key`; returns the class's slot. At most
    /// [`ScoreClasses::capacity`] classes per cycle.
    #[inline]
    pub fn add(&mut self, key: ClassKey) -> u32 {
        if let Some((last, slot)) = self.last {
            if last == key {
                self.slots[slot as usize].count += 1;
                return slot;
            }
        }
        let mask = self.slots.len() - 1;
        let mut i = key.hash(self.shift);
        loop {
            let c = &mut self.slots[i];
            if c.stamp != self.stamp {
                *c = Class {
                    stamp: self.stamp,
                    key,
                    count: 1,
                    ..Class::default()
                };
                self.used.push(i as u32);
                break;
            }
            if c.key == key {
                c.count += 1;
                break;
            }
            i = (i + 1) & mask;
        }
        self.last = Some((key, i as u32));
        i as u32
    }

    /// The class in a slot.
    #[inline]
    pub fn get(&self, slot: u32) -> &Class {
        &self.slots[slot as usize]
    }

    /// Every class of the cycle, in the order first seen.
    pub fn iter(&self) -> impl Iterator<Item = &Class> + '_ {
        self.used.iter().map(|&i| &self.slots[i as usize])
    }

    /// Every class of the cycle, mutably.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut Class)) {
        for &i in &self.used {
            f(&mut self.slots[i as usize]);
        }
    }
}
