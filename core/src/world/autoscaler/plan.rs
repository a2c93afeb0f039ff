//! The autoscaler's decisions: which pending pods target the pool, how many nodes they need
//! (first-fit-decreasing over what exists and what is coming), and which idle node to remove.

use super::{ClaimPhase, ScaleUpBlock, MAX_PLAN_PODS};
use crate::world::constraints::SchedulingSpec;
use crate::world::events::EventKind;
use crate::world::names::{ObjectKind, ObjectName};
use crate::world::objects::*;
use crate::world::scheduler::{
    node_affinity_filter, taint_toleration_filter, ClaimFit, NodeInfo, NO_DEVICE_SLOT,
};
use crate::world::World;

/// A pod's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// CPU, millicores.
    pub cpu_m: u32,
    /// Memory, MiB.
    pub memory_mib: u32,
    /// Mana of the pool's essence.
    pub mana: u32,
    /// Where its resource claim fits now (unclaimed: anywhere).
    pub claims: ClaimFit,
}

/// Room on one node, existing or planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bin {
    /// Free CPU, millicores.
    pub cpu_m: u32,
    /// Free memory, MiB.
    pub memory_mib: u32,
    /// Free pod slots.
    pub pods: u32,
    /// Free mana of the pool's essence.
    pub mana: u32,
    /// An existing node's device slot: a claiming request goes there only if its claim fits
    /// the node's wells now. A planned node (`NO_DEVICE_SLOT`) has fresh wells.
    pub device_slot: u8,
}

impl Bin {
    fn take(&mut self, r: Request) -> bool {
        let slot = u32::from(self.device_slot);
        let wells_taken = r.claims.claimed
            && self.device_slot != NO_DEVICE_SLOT
            && (slot >= 128 || r.claims.slots >> slot & 1 == 0);
        if wells_taken
            || r.cpu_m > self.cpu_m
            || r.memory_mib > self.memory_mib
            || r.mana > self.mana
            || self.pods == 0
        {
            return false;
        }
        self.cpu_m -= r.cpu_m;
        self.memory_mib -= r.memory_mib;
        self.mana -= r.mana;
        self.pods -= 1;
        true
    }
}

/// First-fit-decreasing: sorts `requests` largest first (cpu, then memory, then mana) and places each
/// in the first bin with room, opening new bins of `shape` (at most `max_new`, and only as
/// `bins` has spare capacity: nothing is allocated). Returns the bins opened and the
/// requests left unplaced.
pub fn first_fit_decreasing(
    requests: &mut [Request],
    bins: &mut Vec<Bin>,
    shape: Bin,
    max_new: u32,
) -> (u32, u32) {
    requests.sort_unstable_by(|a, b| {
        (b.cpu_m, b.memory_mib, b.mana).cmp(&(a.cpu_m, a.memory_mib, a.mana))
    });
    let mut opened = 0;
    let mut unplaced = 0;
    for &r in requests.iter() {
        if bins.iter_mut().any(|b| b.take(r)) {
            continue;
        }
        let mut fresh = shape;
        if opened < max_new && bins.len() < bins.capacity() && fresh.take(r) {
            bins.push(fresh);
            opened += 1;
        } else {
            unplaced += 1;
        }
    }
    (opened, unplaced)
}

/// A node of the pool's shape, as the autoscaler imagines a new one.
fn template_node(tag: u32, spec: &NodePoolSpec) -> Node {
    Node {
        meta: ObjectMeta {
            uid: 0,
            resource_version: 0,
            creation_time: 0.0,
        },
        pool: tag,
        ordinal: 0,
        allocatable_cpu_m: spec.cpu_m,
        allocatable_memory_mib: spec.memory_mib,
        allocatable_pods: spec.pods,
        requested_cpu_m: 0,
        requested_memory_mib: 0,
        mana: spec.mana,
        requested_mana: 0,
        pod_count: 0,
        ready: true,
        kubelet_silent: false,
        last_heartbeat: 0.0,
        unschedulable: false,
        zone: spec.zone,
        taint: spec.taint,
        terms: spec.terms,
        device_slot: NO_DEVICE_SLOT,
        first_pod: NONE,
        last_pod: NONE,
        pool_prev: NONE,
        pool_next: NONE,
    }
}

fn targets(node: &Node, pod: &Pod) -> bool {
    let spec: &SchedulingSpec = &pod.scheduling;
    let info = NodeInfo::from(node);
    pod.cpu_m <= node.allocatable_cpu_m
        && pod.memory_mib <= node.allocatable_memory_mib
        && pod.mana.amount <= node.mana.allocatable_of(pod.mana.essence)
        && taint_toleration_filter(&info, spec).is_ok()
        && node_affinity_filter(&info, spec).is_ok()
}

fn free(node: &Node) -> Bin {
    Bin {
        cpu_m: node.allocatable_cpu_m.saturating_sub(node.requested_cpu_m),
        memory_mib: node
            .allocatable_memory_mib
            .saturating_sub(node.requested_memory_mib),
        pods: node.allocatable_pods.saturating_sub(node.pod_count),
        mana: node.mana.amount.saturating_sub(node.requested_mana),
        device_slot: node.device_slot,
    }
}

impl World {
    /// Gathers the requests of pods that failed to schedule and would fit a node of the
    /// pool (its shape, taint and zone); returns how many there are.
    pub(super) fn collect_pending(&mut self, tag: u32, spec: &NodePoolSpec) -> u32 {
        let template = template_node(tag, spec);
        self.plan_requests.clear();
        let mut pending = 0;
        for (_, pod) in self.pods.iter() {
            let waiting = matches!(pod.queue, QueueState::Unschedulable | QueueState::Backoff)
                && pod.attempts > 0
                && pod.node == NONE
                && !pod.terminating;
            if waiting && targets(&template, pod) && self.claim_fits_fresh_node(tag, pod) {
                pending += 1;
                if self.plan_requests.len() < MAX_PLAN_PODS {
                    self.plan_requests.push(Request {
                        cpu_m: pod.cpu_m,
                        memory_mib: pod.memory_mib,
                        mana: pod.mana.amount,
                        claims: self.claim_fit(pod),
                    });
                }
            }
        }
        let now = self.time;
        if let Some(a) = self.autoscalers[tag as usize].as_mut() {
            a.pending_pods = pending;
            if pending == 0 {
                a.unschedulable_since = -1.0;
                if a.blocked != ScaleUpBlock::LaunchFailed {
                    a.blocked = ScaleUpBlock::None;
                }
            } else if a.unschedulable_since < 0.0 {
                a.unschedulable_since = now;
            }
        }
        pending
    }

    /// Adds claims for the pending pods that fit nowhere, within the limits.
    pub(super) fn scale_up_pool(&mut self, tag: u32, spec: &NodePoolSpec) {
        let Some(a) = self.autoscalers[tag as usize] else {
            return;
        };
        let now = self.time;
        if now - a.unschedulable_since < a.spec.scale_up_window || now < a.blocked_until {
            return;
        }
        let shape = Bin {
            cpu_m: spec.cpu_m,
            memory_mib: spec.memory_mib,
            pods: spec.pods,
            mana: spec.mana.amount,
            device_slot: NO_DEVICE_SLOT,
        };
        self.plan_bins.clear();
        for c in a.claims.iter().flatten() {
            match c.phase {
                ClaimPhase::Launched => self.plan_bins.push(shape),
                ClaimPhase::Registered | ClaimPhase::Initialized => {
                    if let Some(n) = self.nodes.get(c.node).filter(|n| !n.unschedulable) {
                        self.plan_bins.push(free(n));
                    }
                }
                ClaimPhase::Draining => {}
            }
        }
        let active = a.active();
        let by_nodes = a.spec.max_nodes.saturating_sub(active);
        let by_limit = |limit: u64, per_node: u32| -> u32 {
            if limit == 0 {
                return u32::MAX;
            }
            let nodes = limit / u64::from(per_node.max(1));
            (nodes.min(u64::from(u32::MAX)) as u32).saturating_sub(active)
        };
        let by_cpu = by_limit(a.spec.cpu_limit_m, spec.cpu_m);
        let by_memory = by_limit(a.spec.memory_limit_mib, spec.memory_mib);
        let allowed = by_nodes.min(by_cpu).min(by_memory);
        let (opened, unplaced) =
            first_fit_decreasing(&mut self.plan_requests, &mut self.plan_bins, shape, allowed);
        let blocked = if unplaced == 0 {
            ScaleUpBlock::None
        } else if by_nodes == allowed {
            ScaleUpBlock::MaxNodes
        } else if by_cpu == allowed {
            ScaleUpBlock::CpuLimit
        } else {
            ScaleUpBlock::MemoryLimit
        };
        for _ in 0..opened {
            self.launch_claim(tag, 1);
        }
        if opened > 0 {
            self.write(
                EventKind::TriggeredScaleUp,
                pool_name(tag),
                None,
                i64::from(opened),
            );
        }
        let was = a.blocked;
        if let Some(a) = self.autoscalers[tag as usize].as_mut() {
            a.blocked = blocked;
            a.scale_ups += u32::from(opened > 0);
        }
        if blocked != ScaleUpBlock::None && blocked != was {
            self.write(
                EventKind::NotTriggerScaleUp,
                pool_name(tag),
                None,
                blocked as i64,
            );
        }
    }

    /// With nothing pending and nothing coming up, removes one node that has been unneeded
    /// (its pods fit on the others) for the scale-down window: or any node above maxNodes.
    pub(super) fn scale_down_pool(&mut self, tag: u32) {
        let Some(a) = self.autoscalers[tag as usize] else {
            return;
        };
        let busy = a
            .claims
            .iter()
            .flatten()
            .any(|c| c.phase != ClaimPhase::Initialized);
        let active = a.active();
        if busy {
            return;
        }
        let now = self.time;
        // (slot, pods on the node, claim id): fewest pods first, then the newest node.
        let mut best: Option<(usize, u32, u32)> = None;
        for (i, c) in a.claims.iter().enumerate() {
            let Some(c) = c else { continue };
            let removable = active > a.spec.max_nodes
                || (active > a.spec.min_nodes && self.node_unneeded(&a.claims, c.node));
            let since = match (removable, c.unneeded_since < 0.0) {
                (false, _) => -1.0,
                (true, true) => now,
                (true, false) => c.unneeded_since,
            };
            if let Some(Some(claim)) = self.autoscalers[tag as usize]
                .as_mut()
                .map(|a| &mut a.claims[i])
            {
                claim.unneeded_since = since;
            }
            let ripe =
                removable && (active > a.spec.max_nodes || now - since >= a.spec.scale_down_window);
            if !ripe {
                continue;
            }
            let pods = self.nodes.get(c.node).map_or(0, |n| n.pod_count);
            let better = best.is_none_or(|(_, p, id)| {
                (pods, std::cmp::Reverse(c.id)) < (p, std::cmp::Reverse(id))
            });
            if better {
                best = Some((i, pods, c.id));
            }
        }
        if let Some((i, _, _)) = best {
            self.begin_drain(tag, i);
        }
    }

    /// Whether every counted pod on `node` fits on the pool's other schedulable nodes (and
    /// none is a bare pod, which nothing would recreate).
    fn node_unneeded(&mut self, claims: &[Option<super::NodeClaim>], node: u32) -> bool {
        self.plan_requests.clear();
        let mut cur = self.nodes.get(node).map_or(NONE, |n| n.first_pod);
        while let Some(p) = self.pods.get(cur) {
            cur = p.node_next;
            if p.terminating || p.is_finished() {
                continue;
            }
            // A pod holding wells stays too: the plan does not move device claims.
            let stays = p.owner_kind == OwnerKind::Bare || p.claim.is_some();
            if stays || self.plan_requests.len() == MAX_PLAN_PODS {
                return false;
            }
            self.plan_requests.push(Request {
                cpu_m: p.cpu_m,
                memory_mib: p.memory_mib,
                mana: p.mana.amount,
                claims: ClaimFit::default(),
            });
        }
        self.plan_bins.clear();
        for c in claims.iter().flatten() {
            if c.node == node || c.phase != ClaimPhase::Initialized {
                continue;
            }
            if let Some(n) = self
                .nodes
                .get(c.node)
                .filter(|n| n.ready && !n.unschedulable)
            {
                self.plan_bins.push(free(n));
            }
        }
        let none = Bin {
            cpu_m: 0,
            memory_mib: 0,
            pods: 0,
            mana: 0,
            device_slot: NO_DEVICE_SLOT,
        };
        first_fit_decreasing(&mut self.plan_requests, &mut self.plan_bins, none, 0).1 == 0
    }
}

/// The Karpenter NodePool an autoscaler stands for.
pub(super) fn pool_name(tag: u32) -> ObjectName {
    ObjectName {
        kind: ObjectKind::NodePool,
        owner: tag,
        revision: 0,
        id: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cpu_m: u32) -> Request {
        Request {
            cpu_m,
            memory_mib: 1,
            mana: 0,
            claims: ClaimFit::default(),
        }
    }

    const SHAPE: Bin = Bin {
        cpu_m: 4000,
        memory_mib: 1 << 20,
        pods: 110,
        mana: 0,
        device_slot: NO_DEVICE_SLOT,
    };

    #[test]
    fn ffd_fills_existing_room_first_then_opens_as_few_nodes_as_it_can() {
        let mut requests = [r(1000), r(3000), r(2000), r(2000), r(500)];
        let mut bins = Vec::with_capacity(8);
        bins.push(Bin {
            cpu_m: 1500,
            ..SHAPE
        });
        // Sorted: 3000, 2000, 2000, 1000, 500. 3000 opens node A (1000 left); 2000 opens B
        // (2000 left); 2000 fills B; 1000 fits the existing bin (500 left); 500 fits it.
        let (opened, unplaced) = first_fit_decreasing(&mut requests, &mut bins, SHAPE, 16);
        assert_eq!((opened, unplaced), (2, 0));
        assert_eq!(bins[0].cpu_m, 0);
        assert_eq!(bins[1].cpu_m, 1000);
        assert_eq!(bins[2].cpu_m, 0);
    }

    #[test]
    fn ffd_stops_opening_at_the_limit_and_counts_the_rest() {
        let mut requests = [r(3000); 5];
        let mut bins = Vec::with_capacity(8);
        let (opened, unplaced) = first_fit_decreasing(&mut requests, &mut bins, SHAPE, 2);
        assert_eq!((opened, unplaced), (2, 3));
    }

    #[test]
    fn ffd_respects_pod_slots_and_memory() {
        let mut requests = [
            Request {
                cpu_m: 1,
                memory_mib: 600,
                mana: 0,
                claims: ClaimFit::default(),
            },
            Request {
                cpu_m: 1,
                memory_mib: 600,
                mana: 0,
                claims: ClaimFit::default(),
            },
        ];
        let shape = Bin {
            cpu_m: 4000,
            memory_mib: 1000,
            pods: 110,
            mana: 0,
            device_slot: NO_DEVICE_SLOT,
        };
        let mut bins = Vec::with_capacity(4);
        assert_eq!(
            first_fit_decreasing(&mut requests, &mut bins, shape, 16),
            (2, 0)
        );
        let slots = Bin { pods: 1, ..SHAPE };
        let mut bins = Vec::with_capacity(4);
        assert_eq!(
            first_fit_decreasing(&mut [r(1), r(1), r(1)], &mut bins, slots, 16),
            (3, 0)
        );
    }

    #[test]
    fn ffd_puts_a_claim_only_where_its_wells_fit() {
        // The pod's claim fits device slot 3 only: not the existing node in slot 5, but
        // the one in slot 3, and any planned node.
        let claimed = Request {
            claims: ClaimFit {
                claimed: true,
                slots: 1 << 3,
            },
            ..r(100)
        };
        let mut bins = Vec::with_capacity(4);
        bins.push(Bin {
            device_slot: 5,
            ..SHAPE
        });
        assert_eq!(
            first_fit_decreasing(&mut [claimed], &mut bins, SHAPE, 16),
            (1, 0)
        );
        let mut bins = Vec::with_capacity(4);
        bins.push(Bin {
            device_slot: 5,
            ..SHAPE
        });
        bins.push(Bin {
            device_slot: 3,
            ..SHAPE
        });
        assert_eq!(
            first_fit_decreasing(&mut [claimed, r(100)], &mut bins, SHAPE, 16),
            (0, 0)
        );
        assert_eq!(bins[1].cpu_m, 3900);
        assert_eq!(bins[0].cpu_m, 3900);
    }

    #[test]
    fn ffd_counts_mana_like_any_other_resource() {
        let mana = |amount| Request {
            cpu_m: 1,
            memory_mib: 1,
            mana: amount,
            claims: ClaimFit::default(),
        };
        // Nodes of 8 mana: 6 + 5 + 4 + 3 need three nodes (6, 5+3, 4), not two.
        let mut requests = [mana(4), mana(6), mana(3), mana(5)];
        let shape = Bin { mana: 8, ..SHAPE };
        let mut bins = Vec::with_capacity(4);
        assert_eq!(
            first_fit_decreasing(&mut requests, &mut bins, shape, 16),
            (3, 0)
        );
        // A request bigger than a node's mana fits nowhere and opens nothing.
        let mut bins = Vec::with_capacity(4);
        assert_eq!(
            first_fit_decreasing(&mut [mana(9)], &mut bins, shape, 16),
            (0, 1)
        );
    }
}
