//! What one scheduling cycle knows besides the nodes: the pod, its app's pods per topology
//! domain (upstream's PreFilter/PreScore state, kept incrementally), node order and zones,
//! and the resources nominated pods have reserved.

use super::change_log::{unique_stamp, ChangeLog};
use super::dynamic_resources::ClaimFit;
use crate::world::constraints::{AntiAffinity, SchedulingSpec, ZONES};
use crate::world::mana::Mana;
use crate::world::objects::Node;

/// The pod being scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PodInfo {
    /// CPU request, millicores.
    pub cpu_m: u32,
    /// Memory request, MiB.
    pub memory_mib: u32,
    /// Extended-resource request.
    pub mana: Mana,
    /// Its app (the owning Deployment's tag): the label its selectors match.
    pub app: u32,
    /// Priority, tolerations, selectors and constraints.
    pub scheduling: SchedulingSpec,
    /// Slab index of the pod (reservations of the pod itself are not counted against it).
    pub index: u32,
    /// Where its resource claim can be allocated (DynamicResources' PreFilter).
    pub claims: ClaimFit,
}

/// Pods of the app in one topology domain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppCount {
    /// Not terminating (what PodTopologySpread's filter counts).
    pub live: u32,
    /// All, terminating ones included (what scoring and InterPodAffinity count).
    pub all: u32,
    /// Those with required anti-affinity to the app.
    pub required: u32,
    /// Those with preferred anti-affinity to the app.
    pub preferred: u32,
}

impl AppCount {
    fn apply(&mut self, terminating: bool, anti: AntiAffinity, add: bool) {
        let step = |v: &mut u32| *v = if add { *v + 1 } else { v.saturating_sub(1) };
        step(&mut self.all);
        if !terminating {
            step(&mut self.live);
        }
        match anti {
            AntiAffinity::Required => step(&mut self.required),
            AntiAffinity::Preferred => step(&mut self.preferred),
            AntiAffinity::None => {}
        }
    }
}

/// The app's bound pods per node and per zone (index 0: nodes without a zone label). Nodes
/// whose counts change go into a change log.
pub struct AppPods {
    app: u32,
    per_node: Vec<AppCount>,
    changes: ChangeLog,
    touched: Vec<u32>,
    per_zone: [AppCount; ZONES + 1],
    /// Nodes per zone with at least one live pod of the app.
    live_nodes: [u32; ZONES + 1],
    /// The world's stamp of the app's pods these counts are valid at.
    pub revision: u64,
}

impl AppPods {
    /// Counts for clusters of up to `max_nodes` nodes (indexed by node slab index).
    pub fn with_capacity(max_nodes: usize) -> AppPods {
        AppPods {
            app: 0,
            per_node: vec![AppCount::default(); max_nodes],
            changes: ChangeLog::with_capacity(max_nodes),
            touched: Vec::with_capacity(max_nodes),
            per_zone: [AppCount::default(); ZONES + 1],
            live_nodes: [0; ZONES + 1],
            revision: u64::MAX,
        }
    }

    /// Forgets every count and starts counting for `app`.
    pub fn clear(&mut self, app: u32) {
        for &n in &self.touched {
            self.per_node[n as usize] = AppCount::default();
        }
        self.touched.clear();
        self.changes.reset();
        self.per_zone = [AppCount::default(); ZONES + 1];
        self.live_nodes = [0; ZONES + 1];
        self.app = app;
        self.revision = u64::MAX;
    }

    /// The app counted.
    pub fn app(&self) -> u32 {
        self.app
    }

    /// Adds (or with `add` false removes) one pod of the app bound to `node` in `zone`.
    pub fn update(
        &mut self,
        node: u32,
        zone: u8,
        terminating: bool,
        anti: AntiAffinity,
        add: bool,
    ) {
        let Some(count) = self.per_node.get_mut(node as usize) else {
            return;
        };
        if *count == AppCount::default() && self.touched.len() < self.touched.capacity() {
            self.touched.push(node);
        }
        let was_live = count.live > 0;
        count.apply(terminating, anti, add);
        self.changes.record(node);
        let is_live = count.live > 0;
        let z = usize::from(zone).min(ZONES);
        self.per_zone[z].apply(terminating, anti, add);
        match (was_live, is_live) {
            (false, true) => self.live_nodes[z] += 1,
            (true, false) => self.live_nodes[z] = self.live_nodes[z].saturating_sub(1),
            _ => {}
        }
    }

    /// The app's pods on a node.
    #[inline]
    pub fn node(&self, node: u32) -> AppCount {
        self.per_node
            .get(node as usize)
            .copied()
            .unwrap_or_default()
    }

    /// The app's pods in a zone (0: on nodes without a zone label).
    #[inline]
    pub fn zone(&self, zone: u8) -> AppCount {
        self.per_zone[usize::from(zone).min(ZONES)]
    }

    /// The nodes whose counts changed.
    pub fn changes(&self) -> &ChangeLog {
        &self.changes
    }

    /// Nodes of a zone holding at least one live pod of the app.
    pub fn live_nodes(&self, zone: u8) -> u32 {
        self.live_nodes[usize::from(zone).min(ZONES)]
    }
}

/// Nodes in scheduling order and nodes per zone. The order is upstream's node tree
/// (pkg/scheduler/backend/cache/node_tree.go) as the snapshot lists it: zones in the order
/// they appeared (a zone that empties and comes back goes last; nodes without a zone label form
/// a zone of their own), each zone's nodes in the order they were added, and the list taking
/// one node of each zone in turn.
pub struct NodeTopology {
    /// Node slab indices.
    pub order: Vec<u32>,
    /// Nodes per zone (index 0: without a zone label).
    pub nodes_per_zone: [u32; ZONES + 1],
    /// Zones present, in the order they appeared.
    zone_order: [u8; ZONES + 1],
    zones: usize,
    /// Scratch: (zone rank, uid, slab index) of every node.
    sorted: Vec<(u8, u64, u32)>,
    stamp: u64,
}

impl NodeTopology {
    /// Room for `max_nodes` nodes.
    pub fn with_capacity(max_nodes: usize) -> NodeTopology {
        NodeTopology {
            order: Vec::with_capacity(max_nodes),
            nodes_per_zone: [0; ZONES + 1],
            zone_order: [0; ZONES + 1],
            zones: 0,
            sorted: Vec::with_capacity(max_nodes),
            stamp: unique_stamp(),
        }
    }

    /// Rebuilds from every node (nodes are added in the order of their uids).
    pub fn rebuild<'a>(&mut self, nodes: impl Iterator<Item = (u32, &'a Node)>) {
        self.sorted.clear();
        self.nodes_per_zone = [0; ZONES + 1];
        let mut first_uid = [u64::MAX; ZONES + 1];
        for (i, node) in nodes {
            if self.sorted.len() == self.sorted.capacity() {
                break;
            }
            let z = usize::from(node.zone).min(ZONES);
            self.nodes_per_zone[z] += 1;
            first_uid[z] = first_uid[z].min(node.meta.uid);
            self.sorted.push((z as u8, node.meta.uid, i));
        }
        self.update_zone_order(&first_uid);
        let mut rank = [0u8; ZONES + 1];
        for (r, &z) in self.zone_order[..self.zones].iter().enumerate() {
            rank[usize::from(z)] = r as u8;
        }
        for e in &mut self.sorted {
            e.0 = rank[usize::from(e.0)];
        }
        self.sorted.sort_unstable();
        // Where each zone's run starts in `sorted`, then one node of each zone in turn.
        let mut next = [0usize; ZONES + 1];
        let mut end = [0usize; ZONES + 1];
        let mut at = 0;
        for r in 0..self.zones {
            next[r] = at;
            at += self.nodes_per_zone[usize::from(self.zone_order[r])] as usize;
            end[r] = at;
        }
        let (old_len, mut same) = (self.order.len(), true);
        let mut len = 0;
        while len < self.sorted.len() {
            for r in 0..self.zones {
                if next[r] < end[r] {
                    let i = self.sorted[next[r]].2;
                    next[r] += 1;
                    if len < old_len {
                        same &= self.order[len] == i;
                        self.order[len] = i;
                    } else {
                        self.order.push(i);
                    }
                    len += 1;
                }
            }
        }
        self.order.truncate(len);
        if !same || len != old_len {
            self.stamp = unique_stamp();
        }
    }

    /// Drops zones that have no node any more and appends new ones (by their first node).
    fn update_zone_order(&mut self, first_uid: &[u64; ZONES + 1]) {
        let mut kept = 0;
        for r in 0..self.zones {
            let z = self.zone_order[r];
            if self.nodes_per_zone[usize::from(z)] > 0 {
                self.zone_order[kept] = z;
                kept += 1;
            }
        }
        self.zones = kept;
        loop {
            let new = (0..=ZONES)
                .filter(|&z| self.nodes_per_zone[z] > 0)
                .filter(|&z| !self.zone_order[..self.zones].contains(&(z as u8)))
                .min_by_key(|&z| first_uid[z]);
            let Some(z) = new else {
                return;
            };
            self.zone_order[self.zones] = z as u8;
            self.zones += 1;
        }
    }

    /// Changes whenever the order does; never repeats.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }
}

/// Resources a nominated pod holds on its nominated node for pods of lower or equal priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    /// Node slab index.
    pub node: u32,
    /// The nominated pod's slab index.
    pub pod: u32,
    /// Its priority.
    pub priority: i32,
    /// CPU, millicores.
    pub cpu_m: u32,
    /// Memory, MiB.
    pub memory_mib: u32,
    /// Mana.
    pub mana: u32,
}
