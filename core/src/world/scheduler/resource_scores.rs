//! A per-node cache of NodeResourcesFit and BalancedAllocation scores. A node's scores change
//! only when its requests or allocatable change, or with the pod's requests or the scoring
//! strategy; a batch of like pods therefore reuses them. Entries are 20 bytes, so the cache of
//! a 1,000-node cluster stays small enough to remain in the CPU's caches.

use super::node_info::NodeInfo;
use super::{balanced_allocation, ScoringStrategy};

/// One node's scores and what they were computed from.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    requested_cpu_m: u32,
    requested_memory_mib: u32,
    allocatable_cpu_m: u32,
    allocatable_memory_mib: u32,
    /// The cache generation (0: never valid).
    generation: u16,
    fit: u8,
    balanced: u8,
}

/// The cache, indexed by node slab index.
pub(super) struct ResourceScores {
    entries: Vec<Entry>,
    generation: u16,
    strategy: ScoringStrategy,
    pod: (u32, u32),
}

impl ResourceScores {
    /// Room for `max_nodes` nodes.
    pub fn with_capacity(max_nodes: usize) -> ResourceScores {
        ResourceScores {
            entries: vec![Entry::default(); max_nodes],
            generation: 1,
            strategy: ScoringStrategy::LeastAllocated,
            pod: (0, 0),
        }
    }

    /// Starts a cycle for a pod requesting `cpu_m` and `memory_mib` under `strategy`:
    /// every entry computed for other requests or another strategy becomes stale.
    pub fn begin(&mut self, strategy: ScoringStrategy, cpu_m: u32, memory_mib: u32) {
        if strategy == self.strategy && (cpu_m, memory_mib) == self.pod {
            return;
        }
        self.strategy = strategy;
        self.pod = (cpu_m, memory_mib);
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.entries.iter_mut().for_each(|e| e.generation = 0);
            self.generation = 1;
        }
    }

    /// NodeResourcesFit and BalancedAllocation of the node at `index`.
    #[inline]
    pub fn get(&mut self, index: u32, node: &NodeInfo) -> (i32, i32) {
        let key = Entry {
            requested_cpu_m: node.requested_cpu_m,
            requested_memory_mib: node.requested_memory_mib,
            allocatable_cpu_m: node.allocatable_cpu_m,
            allocatable_memory_mib: node.allocatable_memory_mib,
            generation: self.generation,
            fit: 0,
            balanced: 0,
        };
        let Some(entry) = self.entries.get_mut(index as usize) else {
            return compute(&self.strategy, &key, self.pod);
        };
        let same = entry.generation == key.generation
            && entry.requested_cpu_m == key.requested_cpu_m
            && entry.requested_memory_mib == key.requested_memory_mib
            && entry.allocatable_cpu_m == key.allocatable_cpu_m
            && entry.allocatable_memory_mib == key.allocatable_memory_mib;
        if !same {
            let (fit, balanced) = compute(&self.strategy, &key, self.pod);
            // Both scores lie in 0..=100.
            *entry = Entry {
                fit: fit as u8,
                balanced: balanced as u8,
                ..key
            };
        }
        (i32::from(entry.fit), i32::from(entry.balanced))
    }
}

fn compute(strategy: &ScoringStrategy, node: &Entry, pod: (u32, u32)) -> (i32, i32) {
    let cpu_req = i64::from(node.requested_cpu_m) + i64::from(pod.0);
    let mem_req = i64::from(node.requested_memory_mib) + i64::from(pod.1);
    let cpu_cap = i64::from(node.allocatable_cpu_m);
    let mem_cap = i64::from(node.allocatable_memory_mib);
    (
        strategy.score(cpu_req, cpu_cap, mem_req, mem_cap) as i32,
        balanced_allocation::score(cpu_req, cpu_cap, mem_req, mem_cap) as i32,
    )
}
