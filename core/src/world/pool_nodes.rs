//! A pool's nodes as an intrusive list through `Node::pool_prev` / `Node::pool_next`, so a
//! pool of up to [`MAX_POOL_SIZE`] nodes needs no per-pool array and adding or removing a
//! node costs the same at any size.

use super::objects::{pool_channel, MAX_POOL_NODES, MAX_POOL_SIZE, NONE};
use super::World;

impl World {
    /// Node indices of pool `tag`, in the pool's order (ascending ordinals for a pool its
    /// COUNT governs).
    pub fn pool_nodes(&self, tag: u32) -> impl Iterator<Item = u32> + '_ {
        let mut cur = self.pool(tag).map_or(NONE, |p| p.first);
        std::iter::from_fn(move || {
            let node = self.nodes.get(cur)?;
            let index = cur;
            cur = node.pool_next;
            Some(index)
        })
    }

    /// The `n`th node of pool `tag` (walks the list: for tests and small pools).
    pub fn pool_node(&self, tag: u32, n: usize) -> Option<u32> {
        self.pool_nodes(tag).nth(n)
    }

    /// The node after `node` in its pool (`NONE` at the end), for walks that change the world.
    pub(super) fn next_pool_node(&self, node: u32) -> u32 {
        self.nodes.get(node).map_or(NONE, |n| n.pool_next)
    }

    /// Appends node `node` to pool `tag`'s list.
    pub(super) fn link_pool_node(&mut self, tag: u32, node: u32) {
        let Some(last) = self.pools[tag as usize].map(|p| p.last) else {
            return;
        };
        if let Some(n) = self.nodes.get_mut(node) {
            n.pool_prev = last;
            n.pool_next = NONE;
        }
        if let Some(prev) = self.nodes.get_mut(last) {
            prev.pool_next = node;
        }
        if let Some(p) = self.pools[tag as usize].as_mut() {
            if p.first == NONE {
                p.first = node;
            }
            p.last = node;
            p.len += 1;
            p.generation = p.generation.wrapping_add(1);
        }
    }

    /// Takes node `node` out of pool `tag`'s list (the node itself stays).
    pub(super) fn unlink_pool_node(&mut self, tag: u32, node: u32) {
        let Some((prev, next)) = self.nodes.get(node).map(|n| (n.pool_prev, n.pool_next)) else {
            return;
        };
        let Some(p) = self.pools[tag as usize].as_mut() else {
            return;
        };
        if p.first != node && prev == NONE {
            return;
        }
        if p.first == node {
            p.first = next;
        }
        if p.last == node {
            p.last = prev;
        }
        p.len = p.len.saturating_sub(1);
        p.generation = p.generation.wrapping_add(1);
        if let Some(n) = self.nodes.get_mut(prev) {
            n.pool_next = next;
        }
        if let Some(n) = self.nodes.get_mut(next) {
            n.pool_prev = prev;
        }
        if let Some(n) = self.nodes.get_mut(node) {
            n.pool_prev = NONE;
            n.pool_next = NONE;
        }
    }

    /// The lowest ordinal no node of pool `tag` has (autoscaled nodes leave gaps). One walk
    /// when the ordinals are 0..len, as in a pool its COUNT governs.
    pub(super) fn free_ordinal(&self, tag: u32) -> u32 {
        let (mut len, mut highest) = (0u32, None::<u32>);
        for index in self.pool_nodes(tag) {
            let ordinal = self.nodes.get(index).map_or(0, |n| n.ordinal);
            highest = Some(highest.map_or(ordinal, |h| h.max(ordinal)));
            len += 1;
        }
        match highest {
            None => 0,
            Some(h) if h + 1 == len => len,
            Some(h) => {
                let taken = |o: u32| {
                    self.pool_nodes(tag)
                        .any(|i| self.nodes.get(i).is_some_and(|n| n.ordinal == o))
                };
                (0..=h.min(MAX_POOL_SIZE as u32 * 2))
                    .find(|&o| !taken(o))
                    .unwrap_or(h + 1)
            }
        }
    }
}

/// What a NODE module shows of its pool: 16 channels, each one node (pools of up to 16) or
/// the mean of a contiguous 1/16th slice of the pool ([`pool_channel`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PoolSummary {
    /// Nodes that exist.
    pub nodes: u32,
    /// Channels in use: one per node, at most 16.
    pub channels: u32,
    /// Nodes whose Ready condition is True.
    pub ready_nodes: u32,
    /// Nodes cordoned (spec.unschedulable).
    pub cordoned_nodes: u32,
    /// Per channel: the mean CPU utilisation (requested over allocatable) of its nodes.
    pub utilisation: [f32; MAX_POOL_NODES],
    /// Per channel: nodes of its slice.
    pub slice_nodes: [u32; MAX_POOL_NODES],
    /// Per channel: nodes of its slice that are Ready.
    pub slice_ready: [u32; MAX_POOL_NODES],
    /// Pods bound to the pool, the first 16 in node order then binding order.
    pub pod_channels: u32,
    /// Bit n: the nth of those pods is Ready.
    pub pod_ready_mask: u32,
}

impl World {
    /// The summary of pool `tag` (one walk over its nodes, and over their pods until 16).
    pub fn pool_summary(&self, tag: u32) -> Option<PoolSummary> {
        let pool = self.pool(tag)?;
        let len = pool.len as usize;
        let mut s = PoolSummary {
            nodes: pool.len,
            channels: pool.len.min(MAX_POOL_NODES as u32),
            ..PoolSummary::default()
        };
        for (position, index) in self.pool_nodes(tag).enumerate() {
            let Some(node) = self.nodes.get(index) else {
                continue;
            };
            let ch = pool_channel(position, len).min(MAX_POOL_NODES - 1);
            s.ready_nodes += u32::from(node.ready);
            s.cordoned_nodes += u32::from(node.unschedulable);
            s.utilisation[ch] += node.cpu_utilisation();
            s.slice_nodes[ch] += 1;
            s.slice_ready[ch] += u32::from(node.ready);
            if s.pod_channels < MAX_POOL_NODES as u32 {
                for pod in self.node_pods(index) {
                    if s.pod_channels >= MAX_POOL_NODES as u32 {
                        break;
                    }
                    s.pod_ready_mask |= u32::from(pod.ready) << s.pod_channels;
                    s.pod_channels += 1;
                }
            }
        }
        for (u, &n) in s.utilisation.iter_mut().zip(&s.slice_nodes) {
            if n > 0 {
                *u /= n as f32;
            }
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    fn big_world() -> World {
        World::new(WorldConfig {
            seed: 2,
            max_pods: 4096,
            max_nodes: 1100,
            event_capacity: 4096,
        })
    }

    fn pool(count: u32) -> NodePoolSpec {
        NodePoolSpec {
            count,
            cpu_m: 4000,
            memory_mib: 16 * 1024,
            pods: 110,
            ..NodePoolSpec::default()
        }
    }

    #[test]
    fn a_pool_of_1000_nodes_summarises_16_contiguous_slices() {
        let mut w = big_world();
        w.apply_node_pool(3, pool(1000));
        w.apply_deployment(9, DeploymentSpec::new(2000, 1000, 128));
        for _ in 0..600 {
            w.step(0.05);
        }
        let s = w.pool_summary(3).unwrap();
        assert_eq!((s.nodes, s.channels), (1000, 16));
        assert_eq!(s.slice_nodes.iter().sum::<u32>(), 1000);
        // 1000 / 16: slices of 62 or 63 nodes, in order.
        assert!(s.slice_nodes.iter().all(|&n| n == 62 || n == 63));
        assert_eq!(s.ready_nodes, 1000);
        assert_eq!(s.slice_ready, s.slice_nodes);
        // 2,000 pods of 1 core on 1,000 nodes of 4 cores: every slice half used on average.
        let mean: f32 = s.utilisation.iter().sum::<f32>() / 16.0;
        assert!((mean - 0.5).abs() < 0.01, "mean utilisation {mean}");
        let ordinals: Vec<u32> = w
            .pool_nodes(3)
            .map(|i| w.node(i).unwrap().ordinal)
            .collect();
        assert_eq!(ordinals, (0..1000).collect::<Vec<_>>());
        assert_eq!(s.pod_channels, 16);
        assert_eq!(s.pod_ready_mask, 0xffff);
    }

    #[test]
    fn a_down_channel_silences_its_slice_and_shrinking_takes_the_newest_nodes() {
        let mut w = big_world();
        w.apply_node_pool(3, pool(100));
        w.step(5.0);
        w.set_pool_kubelets_down(3, 1 << 15);
        // Channel 15 of 100 nodes: positions 94..=99 (p * 16 / 100 == 15).
        let silent: Vec<u32> = w
            .pool_nodes(3)
            .filter(|&i| w.node(i).unwrap().kubelet_silent)
            .map(|i| w.node(i).unwrap().ordinal)
            .collect();
        assert_eq!(silent, (94..100).collect::<Vec<_>>());
        w.set_pool_kubelets_down(3, 0);
        assert!(w.pool_nodes(3).all(|i| !w.node(i).unwrap().kubelet_silent));
        w.apply_node_pool(3, pool(90));
        w.step(0.1);
        assert_eq!(w.pool(3).unwrap().len, 90);
        let last = w.pool_nodes(3).last().unwrap();
        assert_eq!(w.node(last).unwrap().ordinal, 89);
        w.apply_node_pool(3, pool(5000));
        w.step(0.1);
        assert_eq!(
            w.pool(3).unwrap().len,
            1000,
            "COUNT is capped at 1,000 nodes"
        );
    }
}
