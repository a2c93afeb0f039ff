//! A NodeClaim's life: launched, registered (its node joins the pool), initialized (the node
//! is Ready), and, on a scale-down, drained and deleted with its node. A claim whose node
//! never registers is relaunched up to its attempts, then given up.

use super::plan::pool_name;
use super::{ClaimPhase, NodeClaim, ScaleUpBlock};
use crate::world::events::EventKind;
use crate::world::names::{ObjectKind, ObjectName};
use crate::world::objects::*;
use crate::world::World;

fn claim_name(tag: u32, id: u32) -> ObjectName {
    ObjectName {
        kind: ObjectKind::NodeClaim,
        owner: tag,
        revision: 0,
        id: u64::from(id),
    }
}

impl World {
    /// Launches a new claim in a free slot; false when every slot is taken.
    pub(super) fn launch_claim(&mut self, tag: u32, attempts: u32) -> bool {
        let now = self.time;
        let Some(a) = self.autoscalers[tag as usize].as_mut() else {
            return false;
        };
        let Some(slot) = a.claims.iter().position(Option::is_none) else {
            return false;
        };
        let id = a.next_id;
        a.next_id += 1;
        a.claims[slot] = Some(NodeClaim {
            id,
            phase: ClaimPhase::Launched,
            since: now,
            attempts,
            node: NONE,
            unneeded_since: -1.0,
        });
        self.write(
            EventKind::NodeClaimLaunched,
            claim_name(tag, id),
            None,
            i64::from(attempts),
        );
        true
    }

    /// Launches claims until the pool has minNodes (no window applies).
    pub(super) fn keep_min_nodes(&mut self, tag: u32) {
        let Some(a) = self.autoscalers[tag as usize] else {
            return;
        };
        let missing = a.spec.min_nodes.saturating_sub(a.active());
        let mut launched = 0;
        for _ in 0..missing {
            launched += u32::from(self.launch_claim(tag, 1));
        }
        if launched > 0 {
            self.write(
                EventKind::TriggeredScaleUp,
                pool_name(tag),
                None,
                i64::from(launched),
            );
            if let Some(a) = self.autoscalers[tag as usize].as_mut() {
                a.scale_ups += 1;
            }
        }
    }

    /// Moves each claim of pool `tag` on by the clock and its node.
    pub(super) fn progress_claims(&mut self, tag: u32, spec: &NodePoolSpec) {
        for i in 0..MAX_POOL_NODES {
            let Some(a) = self.autoscalers[tag as usize] else {
                return;
            };
            let Some(c) = a.claims[i] else { continue };
            let now = self.time;
            let node = self.nodes.get(c.node).copied();
            match c.phase {
                ClaimPhase::Launched => {
                    if !a.spec.launch_fails && now - c.since >= a.spec.launch_latency {
                        self.register_claim(tag, i, spec);
                    } else if now - c.since >= a.spec.registration_timeout {
                        self.registration_timed_out(tag, i);
                    }
                }
                _ if node.is_none() => self.forget_claim(tag, i),
                ClaimPhase::Registered => {
                    let ready = node.is_some_and(|n| n.ready);
                    if ready && now - c.since >= a.spec.init_latency {
                        self.set_claim_phase(tag, i, ClaimPhase::Initialized);
                        self.write(
                            EventKind::NodeClaimInitialized,
                            claim_name(tag, c.id),
                            None,
                            0,
                        );
                    }
                }
                ClaimPhase::Initialized => {}
                ClaimPhase::Draining => {
                    if node.is_some_and(|n| n.first_pod == NONE) {
                        self.delete_node(c.node);
                        self.forget_claim(tag, i);
                        if let Some(a) = self.autoscalers[tag as usize].as_mut() {
                            a.scale_downs += 1;
                        }
                    }
                }
            }
        }
    }

    fn set_claim_phase(&mut self, tag: u32, i: usize, phase: ClaimPhase) {
        let now = self.time;
        if let Some(Some(c)) = self.autoscalers[tag as usize]
            .as_mut()
            .map(|a| &mut a.claims[i])
        {
            c.phase = phase;
            c.since = now;
        }
    }

    fn forget_claim(&mut self, tag: u32, i: usize) {
        if let Some(a) = self.autoscalers[tag as usize].as_mut() {
            a.claims[i] = None;
        }
    }

    /// The claim's node joins the pool, NotReady until its kubelet reports.
    fn register_claim(&mut self, tag: u32, i: usize, spec: &NodePoolSpec) {
        let Some(c) = self.autoscalers[tag as usize].and_then(|a| a.claims[i]) else {
            return;
        };
        let Some(node) = self.add_pool_node(tag, c.id, spec) else {
            return;
        };
        self.set_claim_phase(tag, i, ClaimPhase::Registered);
        if let Some(Some(claim)) = self.autoscalers[tag as usize]
            .as_mut()
            .map(|a| &mut a.claims[i])
        {
            claim.node = node;
        }
        self.write(
            EventKind::NodeClaimRegistered,
            claim_name(tag, c.id),
            None,
            0,
        );
    }

    /// Karpenter's liveness check: relaunch, or give up after the last attempt.
    fn registration_timed_out(&mut self, tag: u32, i: usize) {
        let Some(a) = self.autoscalers[tag as usize] else {
            return;
        };
        let Some(c) = a.claims[i] else { return };
        let name = claim_name(tag, c.id);
        self.write(
            EventKind::NodeClaimRegistrationTimeout,
            name,
            None,
            i64::from(c.attempts),
        );
        if c.attempts < a.spec.max_launch_attempts {
            self.set_claim_phase(tag, i, ClaimPhase::Launched);
            if let Some(Some(claim)) = self.autoscalers[tag as usize]
                .as_mut()
                .map(|a| &mut a.claims[i])
            {
                claim.attempts += 1;
            }
            self.write(
                EventKind::NodeClaimLaunched,
                name,
                None,
                i64::from(c.attempts + 1),
            );
            return;
        }
        self.forget_claim(tag, i);
        let now = self.time;
        let was = a.blocked;
        if let Some(a) = self.autoscalers[tag as usize].as_mut() {
            a.blocked = ScaleUpBlock::LaunchFailed;
            a.blocked_until = now + a.spec.registration_timeout;
        }
        if was != ScaleUpBlock::LaunchFailed {
            self.write(
                EventKind::NotTriggerScaleUp,
                pool_name(tag),
                None,
                ScaleUpBlock::LaunchFailed as i64,
            );
        }
    }

    /// Cordons the claim's node and evicts its pods gracefully; the node goes once empty.
    pub(super) fn begin_drain(&mut self, tag: u32, i: usize) {
        let Some(c) = self.autoscalers[tag as usize].and_then(|a| a.claims[i]) else {
            return;
        };
        let Some(node) = self.nodes.get(c.node).copied() else {
            return;
        };
        self.set_claim_phase(tag, i, ClaimPhase::Draining);
        if !node.unschedulable {
            let rv = self.write(EventKind::NodeCordoned, node.name(), None, 0);
            if let Some(n) = self.nodes.get_mut(c.node) {
                n.unschedulable = true;
                n.meta.resource_version = rv;
            }
        }
        let mut evicted = 0;
        let mut cur = node.first_pod;
        while let Some(p) = self.pods.get(cur).copied() {
            let next = p.node_next;
            if !p.terminating {
                self.begin_termination(cur);
                evicted += 1;
            }
            cur = next;
        }
        self.write(EventKind::ScaleDown, node.name(), None, evicted);
    }

    /// Appends a new node with ordinal `ordinal` to the pool.
    fn add_pool_node(&mut self, tag: u32, ordinal: u32, spec: &NodePoolSpec) -> Option<u32> {
        let len = self.pools[tag as usize]?.len as usize;
        if len >= MAX_POOL_NODES {
            return None;
        }
        self.create_node(tag, ordinal, spec)
    }
}
