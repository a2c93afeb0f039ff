//! Score classes: besides its own requested resources, a feasible node's normalised scores
//! depend only on its intolerable PreferNoSchedule taints, the weights of the preferred node
//! affinity terms it matches, its zone and the app's pods on it. Feasible
//! nodes that share those fall into one class, whose raw scores, normalisation and weighted
//! sum are computed once per cycle instead of once per node. Class keys live in an
//! open-addressing table sized at construction that outlives cycles and hands out dense
//! class ids (the node cache keeps each node's id); a cycle marks the ids of its feasible
//! nodes with a stamp, so it forgets the previous cycle in O(1) and allocates nothing.

use super::NodeScores;

/// What a class's scores depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ClassKey {
    /// Intolerable PreferNoSchedule taints.
    pub taint: u8,
    /// NodeAffinity's raw score: the weights of the preferred terms matched.
    pub affinity: u16,
    /// The zone label (0: none).
    pub zone: u8,
    /// The app's pods on the node.
    pub all: u32,
    /// Those with preferred anti-affinity.
    pub preferred: u32,
    /// The typed pod affinity terms' raw score.
    pub pod_affinity: i64,
    /// The node's slab index while typed ScheduleAnyway constraints score node by node
    /// (`u32::MAX` otherwise).
    pub node: u32,
}

impl ClassKey {
    #[inline]
    fn hash(&self, shift: u32) -> usize {
        let packed = (u64::from(self.all) << 32 | u64::from(self.preferred))
            ^ (u64::from(self.affinity) << 16 | u64::from(self.zone) << 8 | u64::from(self.taint))
                .rotate_right(9)
            ^ (self.pod_affinity as u64).rotate_left(23)
            ^ u64::from(self.node).rotate_left(41);
        (packed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> shift) as usize
    }
}

/// One class and what the current cycle computed for it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Class {
    /// The key.
    pub key: ClassKey,
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

/// A key in the hash table.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    /// The table generation the key belongs to (0: never).
    generation: u32,
    key: ClassKey,
    /// The key's class id.
    id: u32,
}

/// The key table (ids handed out densely, in the order keys were first seen) and the
/// classes the current cycle counted.
pub(super) struct ScoreClasses {
    entries: Vec<Entry>,
    shift: u32,
    generation: u32,
    /// Per id: the class.
    classes: Vec<Class>,
    /// Ids handed out since the keys were last cleared.
    ids: usize,
    /// Per id: the cycle that last saw a feasible node of the class.
    marks: Vec<u32>,
    cycle: u32,
    /// Per id: the weighted score sum, set by [`ScoreClasses::publish_totals`].
    totals: Vec<i64>,
    /// Ids seen this cycle, in the order first seen.
    used: Vec<u32>,
}

impl ScoreClasses {
    /// Room for the keys of at least twice `max_nodes` nodes (the hash table stays at most
    /// half full), so a cycle evaluating every node always finds room after one with
    /// `max_nodes` keys.
    pub fn with_capacity(max_nodes: usize) -> ScoreClasses {
        let size = (4 * max_nodes).max(16).next_power_of_two();
        ScoreClasses {
            entries: vec![Entry::default(); size],
            shift: 64 - size.trailing_zeros(),
            generation: 1,
            classes: vec![Class::default(); size / 2],
            ids: 0,
            marks: vec![0; size / 2],
            cycle: 1,
            totals: vec![0; size / 2],
            used: Vec::with_capacity(size / 2),
        }
    }

    /// Most keys the table holds (at least twice the `max_nodes` given at construction).
    pub fn capacity(&self) -> usize {
        self.classes.len()
    }

    /// Whether `more` keys still fit.
    pub fn has_room(&self, more: usize) -> bool {
        self.ids + more <= self.capacity()
    }

    /// Forgets every key (ids handed out before are no longer valid); call between cycles.
    pub fn clear_keys(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Wrapped: reset, so no entry carries a generation that looks current.
            self.entries.iter_mut().for_each(|e| e.generation = 0);
            self.generation = 1;
        }
        self.ids = 0;
    }

    /// The class id of `key`, handed out if the key is new. At most
    /// [`ScoreClasses::capacity`] keys between [`ScoreClasses::clear_keys`] calls.
    #[inline]
    pub fn id(&mut self, key: ClassKey) -> u32 {
        let mask = self.entries.len() - 1;
        let mut i = key.hash(self.shift);
        loop {
            let e = &mut self.entries[i];
            if e.generation != self.generation {
                let id = self.ids as u32;
                *e = Entry {
                    generation: self.generation,
                    key,
                    id,
                };
                self.classes[self.ids] = Class {
                    key,
                    ..Class::default()
                };
                self.ids += 1;
                return id;
            }
            if e.key == key {
                return e.id;
            }
            i = (i + 1) & mask;
        }
    }

    /// Starts a cycle without classes; returns what marks the classes its feasible nodes
    /// fall in.
    pub fn begin_cycle(&mut self) -> Marker<'_> {
        self.cycle = self.cycle.wrapping_add(1);
        if self.cycle == 0 {
            self.marks.fill(0);
            self.cycle = 1;
        }
        self.used.clear();
        Marker {
            marks: &mut self.marks,
            cycle: self.cycle,
            used: &mut self.used,
        }
    }

    /// Every class seen this cycle, in the order first seen.
    pub fn iter(&self) -> impl Iterator<Item = &Class> + '_ {
        self.used.iter().map(|&id| &self.classes[id as usize])
    }

    /// Every class seen this cycle, mutably.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&mut Class)) {
        for &id in &self.used {
            f(&mut self.classes[id as usize]);
        }
    }

    /// Makes every seen class's total readable through [`ScoreClasses::totals`].
    pub fn publish_totals(&mut self) {
        for &id in &self.used {
            self.totals[id as usize] = self.classes[id as usize].total;
        }
    }

    /// The class `id`.
    #[inline]
    pub fn get(&self, id: u32) -> &Class {
        &self.classes[id as usize]
    }

    /// Per class id, the weighted score sum of the classes seen this cycle.
    #[inline]
    pub fn totals(&self) -> &[i64] {
        &self.totals
    }
}

/// Marks the classes a cycle's feasible nodes fall in.
pub(super) struct Marker<'a> {
    marks: &'a mut [u32],
    cycle: u32,
    used: &'a mut Vec<u32>,
}

impl Marker<'_> {
    /// Marks the class `id` as holding a feasible node this cycle.
    #[inline]
    pub fn mark(&mut self, id: u32) {
        if let Some(m) = self.marks.get_mut(id as usize) {
            if *m != self.cycle {
                *m = self.cycle;
                // At most one entry per id, within the capacity of one per id.
                self.used.push(id);
            }
        }
    }
}
