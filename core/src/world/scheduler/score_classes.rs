//! Score classes: besides its own requested resources, a feasible node's normalised scores
//! depend only on its PreferNoSchedule taint, its zone and the app's pods on it. Feasible
//! nodes that share those fall into one class, whose raw scores, normalisation and weighted
//! sum are computed once per cycle instead of once per node. Class keys live in an
//! open-addressing table sized at construction that outlives cycles (the node cache keeps
//! each node's class slot); a cycle counts its feasible nodes per class and forgets the
//! previous cycle's counts in O(1) by a stamp, so it allocates nothing.

use super::NodeScores;

/// What a class's scores depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ClassKey {
    /// An intolerable PreferNoSchedule taint.
    pub taint: bool,
    /// The zone label (0: none).
    pub zone: u8,
    /// The app's pods on the node.
    pub all: u32,
    /// Those with preferred anti-affinity.
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
    /// The table generation the key belongs to.
    generation: u32,
    /// The cycle the count and scores belong to.
    cycle: u32,
    /// The key.
    pub key: ClassKey,
    /// Feasible nodes in the class this cycle.
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

/// The class table.
pub(super) struct ScoreClasses {
    slots: Vec<Class>,
    shift: u32,
    generation: u32,
    keys: usize,
    cycle: u32,
    used: Vec<u32>,
}

impl ScoreClasses {
    /// Room for the keys of at least twice `max_nodes` nodes (the table stays at most half
    /// full), so a cycle evaluating every node always finds room after one with `max_nodes`
    /// keys.
    pub fn with_capacity(max_nodes: usize) -> ScoreClasses {
        let size = (4 * max_nodes).max(16).next_power_of_two();
        ScoreClasses {
            slots: vec![Class::default(); size],
            shift: 64 - size.trailing_zeros(),
            generation: 1,
            keys: 0,
            cycle: 1,
            used: Vec::with_capacity(size),
        }
    }

    /// Most keys the table holds (at least twice the `max_nodes` given at construction).
    pub fn capacity(&self) -> usize {
        self.slots.len() / 2
    }

    /// Whether `more` keys still fit.
    pub fn has_room(&self, more: usize) -> bool {
        self.keys + more <= self.capacity()
    }

    /// Forgets every key (slots handed out before are no longer valid).
    pub fn clear_keys(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Wrapped: reset, so no slot carries a generation that looks current.
            self.slots.iter_mut().for_each(|c| c.generation = 0);
            self.generation = 1;
        }
        self.keys = 0;
    }

    /// The slot of `key`, entered into the table if new. At most
    /// [`ScoreClasses::capacity`] keys between [`ScoreClasses::clear_keys`] calls.
    #[inline]
    pub fn slot(&mut self, key: ClassKey) -> u32 {
        let mask = self.slots.len() - 1;
        let mut i = key.hash(self.shift);
        loop {
            let c = &mut self.slots[i];
            if c.generation != self.generation {
                *c = Class {
                    generation: self.generation,
                    key,
                    ..Class::default()
                };
                self.keys += 1;
                return i as u32;
            }
            if c.key == key {
                return i as u32;
            }
            i = (i + 1) & mask;
        }
    }

    /// Starts a cycle: every class counts 0 nodes.
    pub fn begin_cycle(&mut self) {
        self.cycle = self.cycle.wrapping_add(1);
        if self.cycle == 0 {
            self.slots.iter_mut().for_each(|c| c.cycle = 0);
            self.cycle = 1;
        }
        self.used.clear();
    }

    /// Counts one more feasible node in the class at `slot`.
    #[inline]
    pub fn count(&mut self, slot: u32) {
        let c = &mut self.slots[slot as usize];
        if c.cycle != self.cycle {
            c.cycle = self.cycle;
            c.count = 0;
            c.spread_ignored = false;
            c.ipa = 0;
            c.spread = 0;
            self.used.push(slot);
        }
        c.count += 1;
    }

    /// The class in a slot.
    #[inline]
    pub fn get(&self, slot: u32) -> &Class {
        &self.slots[slot as usize]
    }

    /// Every class counted this cycle, in the order first counted.
    pub fn iter(&self) -> impl Iterator<Item = &Class> + '_ {
        self.used.iter().map(|&i| &self.slots[i as usize])
    }

    /// Every class counted this cycle, mutably.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut Class)) {
        for &i in &self.used {
            f(&mut self.slots[i as usize]);
        }
    }
}
