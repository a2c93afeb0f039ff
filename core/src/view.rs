//! A lock-free snapshot of a hub's world for displays on another thread.
//!
//! The hub (audio thread) publishes with a sequence lock over atomics: it never waits and
//! never allocates. A reader (UI thread) retries while a publish is in progress and gives up
//! after a bounded number of tries, keeping what it had.
//!
//! Each read also asks for the next snapshot: a hub captures one only when a reader asked
//! since its last publish (at most about 60 a second), so a hub that no display shows
//! (headless, or a player) spends nothing on it.

use std::sync::atomic::{fence, AtomicBool, AtomicU32, Ordering};

use crate::world::{PodState, World};

/// Most nodes a view shows.
pub const VIEW_MAX_NODES: usize = 32;
/// Most pods a view shows per node.
pub const VIEW_MAX_PODS: usize = 32;

/// What a display shows of a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum PodView {
    /// Not bound to a node.
    #[default]
    Unscheduled = 0,
    /// Bound, not yet picked up by the kubelet.
    Bound = 1,
    /// ContainerCreating.
    Creating = 2,
    /// Running, not Ready.
    Running = 3,
    /// Ready.
    Ready = 4,
    /// Terminating gracefully.
    Terminating = 5,
    /// Failed.
    Failed = 6,
}

/// A snapshot of the world for a display.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterView {
    /// etcd revision.
    pub revision: u64,
    /// Simulated seconds.
    pub time_s: f64,
    /// Cluster CPU utilisation 0..1.
    pub cpu_utilisation: f32,
    /// Pods not yet bound.
    pub pending: u32,
    /// Nodes shown (at most [`VIEW_MAX_NODES`]).
    pub num_nodes: u32,
    /// Tag of each node's pool.
    pub node_pool: [u32; VIEW_MAX_NODES],
    /// Ready condition per node.
    pub node_ready: [bool; VIEW_MAX_NODES],
    /// Cordoned per node.
    pub node_cordoned: [bool; VIEW_MAX_NODES],
    /// CPU requested over allocatable per node.
    pub node_cpu_utilisation: [f32; VIEW_MAX_NODES],
    /// Pods bound per node (may exceed [`VIEW_MAX_PODS`]).
    pub node_num_pods: [u32; VIEW_MAX_NODES],
    /// State of the first pods of each node.
    pub pod_state: [[PodView; VIEW_MAX_PODS]; VIEW_MAX_NODES],
}

impl Default for ClusterView {
    fn default() -> Self {
        ClusterView {
            revision: 0,
            time_s: 0.0,
            cpu_utilisation: 0.0,
            pending: 0,
            num_nodes: 0,
            node_pool: [0; VIEW_MAX_NODES],
            node_ready: [false; VIEW_MAX_NODES],
            node_cordoned: [false; VIEW_MAX_NODES],
            node_cpu_utilisation: [0.0; VIEW_MAX_NODES],
            node_num_pods: [0; VIEW_MAX_NODES],
            pod_state: [[PodView::Unscheduled; VIEW_MAX_PODS]; VIEW_MAX_NODES],
        }
    }
}

impl ClusterView {
    /// Fills the view from a world, nodes in slab order. Up to [`VIEW_MAX_NODES`] nodes a
    /// column each; a larger cluster in [`VIEW_MAX_NODES`] columns of consecutive nodes
    /// (PROTOCOL.md, CLUSTER display): the column is Ready when all its nodes are, cordoned
    /// when all are, its utilisation their mean, its pods their sum, its blocks their first
    /// pods.
    pub fn capture(&mut self, world: &World) {
        self.revision = world.revision();
        self.time_s = world.time();
        self.cpu_utilisation = world.cpu_utilisation();
        self.pending = world.pending_pods();
        let per_column = world.node_count().div_ceil(VIEW_MAX_NODES).max(1);
        let mut n = 0;
        let mut in_column = 0;
        let mut blocks = 0;
        for (index, node) in world.nodes() {
            if in_column == per_column {
                self.node_cpu_utilisation[n] /= in_column as f32;
                (n, in_column, blocks) = (n + 1, 0, 0);
            }
            if n == VIEW_MAX_NODES {
                break;
            }
            if in_column == 0 {
                self.node_pool[n] = node.pool;
                self.node_ready[n] = true;
                self.node_cordoned[n] = true;
                self.node_cpu_utilisation[n] = 0.0;
                self.node_num_pods[n] = 0;
            }
            self.node_ready[n] &= node.ready;
            self.node_cordoned[n] &= node.unschedulable;
            self.node_cpu_utilisation[n] += node.cpu_utilisation();
            self.node_num_pods[n] += node.pod_count;
            if blocks < VIEW_MAX_PODS {
                for (slot, pod) in self.pod_state[n][blocks..]
                    .iter_mut()
                    .zip(world.node_pods(index))
                {
                    *slot = pod_view(pod.state, pod.ready, pod.terminating);
                    blocks += 1;
                }
            }
            in_column += 1;
        }
        if in_column > 0 && n < VIEW_MAX_NODES {
            self.node_cpu_utilisation[n] /= in_column as f32;
            n += 1;
        }
        self.num_nodes = n as u32;
    }
}

fn pod_view(state: PodState, ready: bool, terminating: bool) -> PodView {
    match state {
        _ if terminating => PodView::Terminating,
        PodState::Unscheduled => PodView::Unscheduled,
        PodState::Bound => PodView::Bound,
        PodState::ContainerCreating => PodView::Creating,
        PodState::Running if ready => PodView::Ready,
        PodState::Running => PodView::Running,
        PodState::Succeeded | PodState::Failed => PodView::Failed,
    }
}

const HEADER_WORDS: usize = 6;
const NODE_WORDS: usize = 5;
const POD_WORDS: usize = VIEW_MAX_PODS / 4;
const WORDS: usize = HEADER_WORDS + VIEW_MAX_NODES * (NODE_WORDS + POD_WORDS);

/// The published view: a sequence counter and the view as atomic words.
pub struct ViewCell {
    seq: AtomicU32,
    words: [AtomicU32; WORDS],
    /// A reader asked for a new snapshot since the last publish.
    requested: AtomicBool,
}

impl Default for ViewCell {
    fn default() -> Self {
        ViewCell {
            seq: AtomicU32::new(0),
            words: std::array::from_fn(|_| AtomicU32::new(0)),
            requested: AtomicBool::new(false),
        }
    }
}

impl ViewCell {
    /// Whether a reader asked for a snapshot since the last publish; clears the request.
    /// Wait-free; for the writer (a plain load while nobody asked).
    pub fn take_request(&self) -> bool {
        self.requested.load(Ordering::Relaxed) && self.requested.swap(false, Ordering::Relaxed)
    }

    /// Asks the writer for a new snapshot without reading one.
    pub fn request(&self) {
        self.requested.store(true, Ordering::Relaxed);
    }

    /// Publishes a view. Single writer; never waits.
    pub fn publish(&self, v: &ClusterView) {
        let s = self.seq.load(Ordering::Relaxed);
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        let w = &self.words;
        let put = |i: usize, x: u32| w[i].store(x, Ordering::Relaxed);
        put(0, v.revision as u32);
        put(1, (v.revision >> 32) as u32);
        let t = v.time_s.to_bits();
        put(2, t as u32);
        put(3, (t >> 32) as u32);
        put(4, v.cpu_utilisation.to_bits());
        put(5, v.pending);
        for n in 0..VIEW_MAX_NODES {
            let base = HEADER_WORDS + n * (NODE_WORDS + POD_WORDS);
            let shown = n < v.num_nodes as usize;
            put(base, if shown { v.node_pool[n] } else { 0 });
            put(
                base + 1,
                u32::from(v.node_ready[n])
                    | u32::from(v.node_cordoned[n]) << 1
                    | u32::from(shown) << 2,
            );
            put(base + 2, v.node_cpu_utilisation[n].to_bits());
            put(base + 3, v.node_num_pods[n]);
            put(base + 4, 0);
            for p in 0..POD_WORDS {
                let states = &v.pod_state[n][p * 4..p * 4 + 4];
                let packed = states
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (k, s)| acc | (*s as u32) << (8 * k));
                put(base + NODE_WORDS + p, packed);
            }
        }
        self.seq.store(s.wrapping_add(2), Ordering::Release);
    }

    /// Reads the latest complete view into `out`; false if the writer kept it busy. Asks
    /// the writer for the next one either way.
    pub fn read(&self, out: &mut ClusterView) -> bool {
        self.request();
        for _ in 0..64 {
            let before = self.seq.load(Ordering::Acquire);
            if before % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let mut v = ClusterView::default();
            let w = &self.words;
            let get = |i: usize| w[i].load(Ordering::Relaxed);
            v.revision = u64::from(get(0)) | u64::from(get(1)) << 32;
            v.time_s = f64::from_bits(u64::from(get(2)) | u64::from(get(3)) << 32);
            v.cpu_utilisation = f32::from_bits(get(4));
            v.pending = get(5);
            for n in 0..VIEW_MAX_NODES {
                let base = HEADER_WORDS + n * (NODE_WORDS + POD_WORDS);
                let flags = get(base + 1);
                if flags & 4 == 0 {
                    break;
                }
                v.num_nodes = n as u32 + 1;
                v.node_pool[n] = get(base);
                v.node_ready[n] = flags & 1 != 0;
                v.node_cordoned[n] = flags & 2 != 0;
                v.node_cpu_utilisation[n] = f32::from_bits(get(base + 2));
                v.node_num_pods[n] = get(base + 3);
                for p in 0..POD_WORDS {
                    let packed = get(base + NODE_WORDS + p);
                    for k in 0..4 {
                        v.pod_state[n][p * 4 + k] = match (packed >> (8 * k)) & 0xff {
                            1 => PodView::Bound,
                            2 => PodView::Creating,
                            3 => PodView::Running,
                            4 => PodView::Ready,
                            5 => PodView::Terminating,
                            6 => PodView::Failed,
                            _ => PodView::Unscheduled,
                        };
                    }
                }
            }
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) == before {
                *out = v;
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{DeploymentSpec, NodePoolSpec, WorldConfig};

    #[test]
    fn a_published_view_reads_back_whole() {
        let mut w = World::new(WorldConfig::default());
        w.apply_node_pool(
            2,
            NodePoolSpec {
                count: 3,
                cpu_m: 2000,
                memory_mib: 4096,
                pods: 110,
                cordoned: false,
                ..Default::default()
            },
        );
        w.apply_deployment(5, DeploymentSpec::new(7, 500, 128));
        for _ in 0..1000 {
            w.step(0.01);
        }
        let mut view = ClusterView::default();
        view.capture(&w);
        assert_eq!(view.num_nodes, 3);
        assert_eq!(view.node_num_pods[..3].iter().sum::<u32>(), 7);
        let cell = ViewCell::default();
        cell.publish(&view);
        let mut back = ClusterView::default();
        assert!(cell.read(&mut back));
        assert_eq!(back, view);
        let ready = back
            .pod_state
            .iter()
            .flatten()
            .filter(|s| **s == PodView::Ready)
            .count();
        assert_eq!(ready, 7);
    }

    #[test]
    fn a_large_cluster_shows_as_columns_of_consecutive_nodes() {
        let mut w = World::new(WorldConfig::default());
        for (tag, cordoned) in [(1, false), (2, false), (3, false), (4, true)] {
            let spec = NodePoolSpec {
                count: 25,
                cpu_m: 2000,
                memory_mib: 4096,
                pods: 110,
                cordoned,
                ..Default::default()
            };
            w.apply_node_pool(tag, spec);
        }
        w.apply_deployment(5, DeploymentSpec::new(150, 500, 128));
        for _ in 0..1000 {
            w.step(0.01);
        }
        let mut view = ClusterView::default();
        view.capture(&w);
        // 100 nodes, 4 a column.
        assert_eq!(view.num_nodes, 25);
        let bound: u32 = w.nodes().map(|(_, n)| n.pod_count).sum();
        assert_eq!(bound, 150);
        assert_eq!(view.node_num_pods.iter().sum::<u32>(), bound);
        assert!(view.node_ready[..25].iter().all(|&r| r));
        // The last pool's nodes are cordoned: so are its columns, and only they.
        let cordoned = view.node_cordoned[..25].iter().filter(|&&c| c).count();
        assert!((6..=7).contains(&cordoned), "{cordoned} cordoned columns");
        for c in 0..25 {
            let shown = view.node_num_pods[c].min(VIEW_MAX_PODS as u32) as usize;
            let states = &view.pod_state[c][..shown];
            assert!(states.iter().all(|s| *s == PodView::Ready), "column {c}");
            assert!((0.0..=1.0).contains(&view.node_cpu_utilisation[c]));
        }
    }

    #[test]
    fn a_read_asks_for_the_next_snapshot_once() {
        let cell = ViewCell::default();
        assert!(!cell.take_request(), "nobody asked yet");
        let mut v = ClusterView::default();
        assert!(cell.read(&mut v));
        assert!(cell.take_request());
        assert!(!cell.take_request(), "one request, one snapshot");
        cell.request();
        cell.request();
        assert!(cell.take_request());
        assert!(!cell.take_request());
    }

    #[test]
    fn concurrent_reads_never_see_a_torn_view() {
        let cell = std::sync::Arc::new(ViewCell::default());
        let writer = {
            let cell = cell.clone();
            std::thread::spawn(move || {
                let mut v = ClusterView::default();
                for i in 0..20_000u32 {
                    v.revision = u64::from(i);
                    v.pending = i;
                    v.num_nodes = 1;
                    v.node_num_pods[0] = i;
                    cell.publish(&v);
                }
            })
        };
        let mut v = ClusterView::default();
        for _ in 0..20_000 {
            if cell.read(&mut v) {
                assert_eq!(v.revision, u64::from(v.pending));
                assert_eq!(v.pending, v.node_num_pods[0]);
            }
        }
        writer.join().unwrap();
    }
}
