//! What the filters and scores read of a node, in 44 bytes: the scheduler's snapshot of the
//! node list (upstream's Snapshot of NodeInfos), kept compact so a cycle over a thousand nodes
//! stays within the CPU's caches.

use super::change_log::ChangeLog;
use super::framework::NodeSource;
use crate::world::constraints::TaintEffect;
use crate::world::mana::Mana;
use crate::world::objects::Node;
use crate::world::slab::Slab;

/// A node as the scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeInfo {
    /// Allocatable CPU in millicores.
    pub allocatable_cpu_m: u32,
    /// Allocatable memory in MiB.
    pub allocatable_memory_mib: u32,
    /// Allocatable pod count.
    pub allocatable_pods: u32,
    /// CPU requested by pods bound here, millicores.
    pub requested_cpu_m: u32,
    /// Memory requested by pods bound here, MiB.
    pub requested_memory_mib: u32,
    /// Allocatable mana, and the node's `energy` label and taint.
    pub mana: Mana,
    /// Mana requested by pods bound here.
    pub requested_mana: u32,
    /// Pods bound here.
    pub pod_count: u32,
    /// The Ready condition.
    pub ready: bool,
    /// spec.unschedulable (cordoned).
    pub unschedulable: bool,
    /// Label `topology.kubernetes.io/zone` (0 = unlabelled).
    pub zone: u8,
    /// The `kuberack.io/dedicated` taint's effect.
    pub taint: TaintEffect,
    /// Its NODE's own labels and taints (an interned id; 0 = none).
    pub terms: u16,
    /// Where its devices are in the world's device tables (`NO_DEVICE_SLOT`: none).
    pub device_slot: u8,
}

impl From<&Node> for NodeInfo {
    #[inline]
    fn from(n: &Node) -> NodeInfo {
        NodeInfo {
            allocatable_cpu_m: n.allocatable_cpu_m,
            allocatable_memory_mib: n.allocatable_memory_mib,
            allocatable_pods: n.allocatable_pods,
            requested_cpu_m: n.requested_cpu_m,
            requested_memory_mib: n.requested_memory_mib,
            mana: n.mana,
            requested_mana: n.requested_mana,
            pod_count: n.pod_count,
            ready: n.ready,
            unschedulable: n.unschedulable,
            zone: n.zone,
            taint: n.taint,
            terms: n.terms,
            device_slot: n.device_slot,
        }
    }
}

/// The snapshot: one [`NodeInfo`] per node slab index. The world takes it at the start of a
/// scheduling round and updates it for every node a cycle binds to; every node whose info
/// differs from the previous snapshot goes into the change log.
pub struct NodeInfos {
    infos: Vec<Option<NodeInfo>>,
    changes: ChangeLog,
}

impl NodeInfos {
    /// Room for `max_nodes` nodes.
    pub fn with_capacity(max_nodes: usize) -> NodeInfos {
        NodeInfos {
            infos: vec![None; max_nodes],
            changes: ChangeLog::with_capacity(max_nodes),
        }
    }

    /// Takes every node anew.
    pub fn rebuild(&mut self, nodes: &Slab<Node>) {
        for i in 0..self.infos.len() as u32 {
            self.update(i, nodes);
        }
    }

    /// Takes anew the nodes written since the last call (the slab tracks them).
    pub fn sync(&mut self, nodes: &mut Slab<Node>) {
        for k in 0..nodes.changed().len() {
            let index = nodes.changed()[k];
            self.update(index, nodes);
        }
        nodes.clear_changed();
    }

    /// Takes one node anew.
    #[inline]
    pub fn update(&mut self, index: u32, nodes: &Slab<Node>) {
        if let Some(info) = self.infos.get_mut(index as usize) {
            let new = nodes.get(index).map(NodeInfo::from);
            if *info != new {
                *info = new;
                self.changes.record(index);
            }
        }
    }
}

impl NodeSource for NodeInfos {
    #[inline]
    fn node(&self, index: u32) -> Option<NodeInfo> {
        self.infos.get(index as usize).copied().flatten()
    }

    fn changes(&self) -> Option<&ChangeLog> {
        Some(&self.changes)
    }
}

impl NodeSource for [Node] {
    #[inline]
    fn node(&self, index: u32) -> Option<NodeInfo> {
        self.get(index as usize).map(NodeInfo::from)
    }
}

impl NodeSource for Slab<Node> {
    #[inline]
    fn node(&self, index: u32) -> Option<NodeInfo> {
        self.get(index).map(NodeInfo::from)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_node_info_stays_44_bytes() {
        assert_eq!(std::mem::size_of::<super::NodeInfo>(), 44);
    }
}
