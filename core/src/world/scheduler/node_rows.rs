//! The per-node cache of one scheduling signature: for every node in scheduling order, the
//! filters' verdict, NodeResourcesFit and BalancedAllocation scores and score class. Pods of
//! one Deployment share a template, so their verdicts and node-local scores on a node are the
//! same until that node, the app's pods on it, or what the filters read beyond the node
//! changes; a batch of like pods therefore evaluates each node once, and a cycle only walks
//! bitsets of valid and feasible nodes from the round-robin start.
//!
//! A row is valid while its inputs are unchanged: the signature (the pod's requests,
//! scheduling spec and app, the scoring strategy, the PreFilter state, the app's counts per
//! zone when a filter reads them) and the node order; the node snapshot's and the app
//! counts' change logs name the nodes whose rows become invalid. Nominated pods' reservations
//! depend on the pod's priority: while any exist, rows last one cycle. Rows are evaluated
//! lazily, a 64-node word at a time, as the walk reaches them.

use super::change_log::{ChangeLog, LogPosition};
use super::cycle::{AppCount, AppPods, NodeTopology, PodInfo};
use super::framework::CycleState;
use super::node_resources_fit::ScoringStrategy;
use super::reasons::FilterReason;
use super::score_classes::{ClassKey, Marker, ScoreClasses};
use crate::world::constraints::{TopologyKey, ZONES};

/// What the filters decided about a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Passes every filter.
    Feasible,
    /// Fails a filter.
    Failed(FilterReason),
    /// The node source has no node at that index.
    Missing,
}

/// One node's cached evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Row {
    /// Node slab index.
    pub node: u32,
    /// The score class id (feasible nodes only).
    pub class: u32,
    /// NodeResourcesFit's score (feasible nodes only).
    pub fit: u8,
    /// BalancedAllocation's score (feasible nodes only).
    pub balanced: u8,
    /// The verdict.
    pub verdict: Verdict,
}

impl Default for Row {
    fn default() -> Row {
        Row {
            node: 0,
            class: 0,
            fit: 0,
            balanced: 0,
            verdict: Verdict::Missing,
        }
    }
}

/// A node evaluated afresh, before its class key has a slot.
pub(super) enum Evaluation {
    /// Feasible, with its node-local scores.
    Feasible {
        /// NodeResourcesFit.
        fit: u8,
        /// BalancedAllocation.
        balanced: u8,
        /// Its score class.
        key: ClassKey,
    },
    /// Failed a filter.
    Failed(FilterReason),
    /// Not in the node source.
    Missing,
}

/// Everything a row depends on besides its own node and the app's pods on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Signature {
    state: CycleState,
    strategy: ScoringStrategy,
    zones: [AppCount; ZONES + 1],
    reserved: bool,
}

impl Signature {
    /// The signature of a cycle for `state`'s pod.
    pub fn new(
        state: &CycleState,
        strategy: ScoringStrategy,
        app: &AppPods,
        reserved: bool,
    ) -> Signature {
        let pod = PodInfo {
            // Only reservations read the pod's own index; while any exist rows last one cycle.
            index: 0,
            ..state.pod
        };
        let zone_keyed = state.pod.scheduling.anti_affinity_key == TopologyKey::Zone
            || state
                .hard_spread
                .is_some_and(|h| h.constraint.key == TopologyKey::Zone);
        let mut zones = [AppCount::default(); ZONES + 1];
        if zone_keyed {
            for (z, count) in zones.iter_mut().enumerate() {
                *count = app.zone(z as u8);
            }
        }
        Signature {
            state: CycleState { pod, ..*state },
            strategy,
            zones,
            reserved,
        }
    }
}

const NO_POSITION: u32 = u32::MAX;

/// What the last walk covered.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start: usize,
    processed: usize,
    found: usize,
    all: usize,
}

/// The word holding position `pos`, the mask of the positions a walk takes from it (up to
/// the end of the order, at most `remaining`), and how many those are.
#[inline]
fn word(pos: usize, all: usize, remaining: usize) -> (usize, u64, usize) {
    let (w, b) = (pos / 64, pos % 64);
    let span = (64 - b).min(all - pos).min(remaining);
    let mask = if span == 64 {
        u64::MAX
    } else {
        ((1u64 << span) - 1) << b
    };
    (w, mask, span)
}

/// The cache, indexed by position in the node order.
pub(super) struct NodeRows {
    rows: Vec<Row>,
    valid: Vec<u64>,
    feasible: Vec<u64>,
    /// Node slab index to position in the order.
    position: Vec<u32>,
    capacity: usize,
    /// Some node index has no room in `position`: changes cannot be told apart.
    untracked: bool,
    signature: Option<Signature>,
    topology: u64,
    nodes_read: Option<LogPosition>,
    app_read: LogPosition,
    /// The last walk: where it started, how many nodes it visited and found feasible, and
    /// the length of the order.
    window: Window,
}

impl NodeRows {
    /// Room for `max_nodes` nodes.
    pub fn with_capacity(max_nodes: usize) -> NodeRows {
        let words = max_nodes.div_ceil(64);
        NodeRows {
            // Whole words, so a word's rows are one 64-row block.
            rows: vec![Row::default(); words * 64],
            valid: vec![0; words],
            feasible: vec![0; words],
            position: vec![NO_POSITION; max_nodes],
            untracked: false,
            signature: None,
            topology: 0,
            nodes_read: None,
            app_read: LogPosition::default(),
            capacity: max_nodes,
            window: Window::default(),
        }
    }

    /// Most nodes the cache holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Invalidates the rows whose inputs changed since the last cycle (every row when the
    /// signature, the node order or the class table's room says so).
    pub fn sync(
        &mut self,
        signature: Signature,
        topo: &NodeTopology,
        nodes: Option<&ChangeLog>,
        app: &ChangeLog,
        classes: &mut ScoreClasses,
    ) {
        let mut all = self.signature != Some(signature) || signature.reserved;
        if self.topology != topo.stamp() {
            self.topology = topo.stamp();
            self.map_positions(&topo.order);
            all = true;
        }
        all |= self.untracked;
        let (valid, position) = (&mut self.valid, &self.position);
        let mut invalidate = |index: u32| {
            if let Some(&p) = position.get(index as usize) {
                if p != NO_POSITION {
                    valid[p as usize / 64] &= !(1 << (p % 64));
                }
            }
        };
        if !all {
            all = !self
                .nodes_read
                .zip(nodes)
                .is_some_and(|(read, log)| log.changed_since(read, &mut invalidate));
        }
        if !all {
            all = !app.changed_since(self.app_read, &mut invalidate);
        }
        if all || !classes.has_room(self.capacity()) {
            self.valid.fill(0);
            classes.clear_keys();
        }
        self.signature = Some(signature);
        self.nodes_read = nodes.map(ChangeLog::position);
        self.app_read = app.position();
    }

    fn map_positions(&mut self, order: &[u32]) {
        self.position.fill(NO_POSITION);
        self.untracked = false;
        for (p, &index) in order.iter().take(self.capacity()).enumerate() {
            match self.position.get_mut(index as usize) {
                Some(slot) => *slot = p as u32,
                None => self.untracked = true,
            }
        }
    }

    /// Visits the nodes of `order` from `start`, round-robin, until `to_find` feasible nodes
    /// are found or every node was visited; evaluates invalid rows with `evaluate` on the way
    /// (their class keys get ids from `classes`) and marks the classes of the feasible ones
    /// with `marker`. Returns how many nodes were visited; [`NodeRows::found`] holds the
    /// feasible ones.
    pub fn walk(
        &mut self,
        order: &[u32],
        start: usize,
        to_find: usize,
        classes: &mut ScoreClasses,
        mut evaluate: impl FnMut(u32) -> Evaluation,
    ) -> usize {
        let all = order.len().min(self.capacity());
        let to_find = to_find.min(all);
        // Valid rows first, so the marks below see every class id the walk hands out.
        let mut pos = start;
        let mut processed = 0;
        let mut feasible = 0;
        while processed < all && feasible < to_find {
            let (w, mask, span) = word(pos, all, all - processed);
            let stale = mask & !self.valid[w];
            if stale != 0 {
                self.evaluate_word(order, w, stale, classes, &mut evaluate);
            }
            feasible += (self.feasible[w] & mask).count_ones() as usize;
            processed += span;
            pos = if pos + span == all { 0 } else { pos + span };
        }
        let mut marker = classes.begin_cycle();
        self.collect(start, all, to_find, &mut marker)
    }

    /// Marks the classes of the first `to_find` feasible rows from `start`; every row on
    /// the way is valid. Returns the nodes visited.
    fn collect(&mut self, start: usize, all: usize, to_find: usize, marker: &mut Marker) -> usize {
        let mut found = 0;
        let mut processed = 0;
        let mut pos = start;
        while processed < all && found < to_find {
            let (w, mask, span) = word(pos, all, all - processed);
            let mut bits = self.feasible[w] & mask;
            let mut end = pos + span;
            let need = to_find - found;
            if bits.count_ones() as usize >= need {
                // Keep the first `need` feasible nodes; the walk stops after the last.
                for _ in 1..need {
                    bits &= bits - 1;
                }
                let last = bits.trailing_zeros() as usize;
                end = w * 64 + last + 1;
                bits = self.feasible[w] & mask & (u64::MAX >> (63 - last));
            }
            found += bits.count_ones() as usize;
            let block = &self.rows[w * 64..w * 64 + 64];
            while bits != 0 {
                marker.mark(block[bits.trailing_zeros() as usize & 63].class);
                bits &= bits - 1;
            }
            processed += end - pos;
            pos = if end == all { 0 } else { end };
        }
        self.window = Window {
            start,
            processed,
            found,
            all,
        };
        processed
    }

    /// Evaluates the rows of word `w` whose bits are set in `stale`.
    fn evaluate_word(
        &mut self,
        order: &[u32],
        w: usize,
        mut stale: u64,
        classes: &mut ScoreClasses,
        evaluate: &mut impl FnMut(u32) -> Evaluation,
    ) {
        self.valid[w] |= stale;
        while stale != 0 {
            let p = w * 64 + stale.trailing_zeros() as usize;
            stale &= stale - 1;
            let node = order[p];
            let row = match evaluate(node) {
                Evaluation::Feasible { fit, balanced, key } => Row {
                    node,
                    class: classes.id(key),
                    fit,
                    balanced,
                    verdict: Verdict::Feasible,
                },
                Evaluation::Failed(reason) => Row {
                    node,
                    verdict: Verdict::Failed(reason),
                    ..Row::default()
                },
                Evaluation::Missing => Row::default(),
            };
            self.rows[p] = row;
            let bit = 1u64 << (p % 64);
            if row.verdict == Verdict::Feasible {
                self.feasible[w] |= bit;
            } else {
                self.feasible[w] &= !bit;
            }
        }
    }

    /// How many feasible nodes the last walk found.
    pub fn found(&self) -> usize {
        self.window.found
    }

    /// Calls `f` with the row of every feasible node the last walk found, in the order
    /// visited.
    #[inline]
    pub fn for_each_found(&self, mut f: impl FnMut(&Row)) {
        let Window {
            start,
            processed,
            all,
            ..
        } = self.window;
        let mut done = 0;
        let mut pos = start;
        while done < processed {
            let (w, mask, span) = word(pos, all, processed - done);
            let mut bits = self.feasible[w] & mask;
            let block = &self.rows[w * 64..w * 64 + 64];
            while bits != 0 {
                f(&block[bits.trailing_zeros() as usize & 63]);
                bits &= bits - 1;
            }
            done += span;
            pos = if pos + span == all { 0 } else { pos + span };
        }
    }

    /// Calls `f` with every node that failed a filter among the `processed` nodes visited
    /// from `start` by the last walk, in the order visited.
    pub fn for_each_failed(
        &self,
        order: &[u32],
        start: usize,
        processed: usize,
        mut f: impl FnMut(u32, FilterReason),
    ) {
        let all = order.len().min(self.capacity());
        for k in 0..processed.min(all) {
            let p = if start + k >= all {
                start + k - all
            } else {
                start + k
            };
            if let Verdict::Failed(reason) = self.rows[p].verdict {
                f(self.rows[p].node, reason);
            }
        }
    }
}
