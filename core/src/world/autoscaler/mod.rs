//! Node autoscaling after Karpenter's NodeClaim model: an AUTOSCALER manages one pool. When
//! pods that could run on the pool's nodes are unschedulable, it plans with
//! first-fit-decreasing over the free capacity of existing nodes and of claims still coming
//! up, and launches a NodeClaim for each node's worth of pods that fits nowhere, within
//! minNodes..maxNodes and the pool's cpu and memory limits. Each claim goes Launched ->
//! Registered (its node joins) -> Initialized (the node is Ready; the claim is Ready). When
//! nothing is unschedulable, a node whose pods all fit on the others is, after the
//! scale-down window, cordoned, drained and deleted, one node at a time.

mod claims;
mod plan;

use super::objects::{NodePoolSpec, MAX_POOL_NODES, NONE};
use super::World;

pub use plan::{first_fit_decreasing, Bin, Request};

/// How often an autoscaler looks at the pending pods and its nodes, simulated seconds
/// (Karpenter batches pending pods for about a second).
pub const AUTOSCALER_INTERVAL: f64 = 1.0;
/// Most pending pods one plan considers.
pub const MAX_PLAN_PODS: usize = 1024;

/// An AUTOSCALER module's settings (a Karpenter NodePool's limits and disruption budget).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoscalerSpec {
    /// Nodes kept even when idle.
    pub min_nodes: u32,
    /// Most nodes (at most [`MAX_POOL_NODES`]).
    pub max_nodes: u32,
    /// spec.limits.cpu over the pool's nodes, millicores (0 = no limit).
    pub cpu_limit_m: u64,
    /// spec.limits.memory over the pool's nodes, MiB (0 = no limit).
    pub memory_limit_mib: u64,
    /// Seconds from launch until the node registers (instance boot and kubelet join).
    pub launch_latency: f64,
    /// Seconds from registration until the claim is initialized (startup taints removed).
    pub init_latency: f64,
    /// A launched claim whose node has not registered after this many seconds is deleted
    /// (Karpenter's registration TTL).
    pub registration_timeout: f64,
    /// Launches of one claim before the autoscaler gives up on it.
    pub max_launch_attempts: u32,
    /// Pods must stay unschedulable this long before a scale-up.
    pub scale_up_window: f64,
    /// A node must stay unneeded this long before a scale-down.
    pub scale_down_window: f64,
    /// Launches fail (the cloud has no capacity): no instance ever registers.
    pub launch_fails: bool,
}

impl Default for AutoscalerSpec {
    fn default() -> Self {
        AutoscalerSpec {
            min_nodes: 1,
            max_nodes: MAX_POOL_NODES as u32,
            cpu_limit_m: 0,
            memory_limit_mib: 0,
            launch_latency: 20.0,
            init_latency: 5.0,
            registration_timeout: 120.0,
            max_launch_attempts: 3,
            scale_up_window: 2.0,
            scale_down_window: 60.0,
            launch_fails: false,
        }
    }
}

/// Where a NodeClaim is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimPhase {
    /// The instance is requested; no node yet.
    Launched,
    /// The node joined the cluster; not yet Ready.
    Registered,
    /// The node is Ready and its startup work done: the claim is Ready.
    Initialized,
    /// The node is cordoned and drained for removal.
    Draining,
}

/// One NodeClaim.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeClaim {
    /// The claim's number within its pool; its node is named `node-<pool>-<id>`.
    pub id: u32,
    /// Where it is.
    pub phase: ClaimPhase,
    /// When it entered this phase.
    pub since: f64,
    /// Launches so far (1 for the first).
    pub attempts: u32,
    /// Its node (slab index), or `NONE` before registration.
    pub node: u32,
    /// Since when its node has been unneeded (negative: needed).
    pub unneeded_since: f64,
}

/// Why a scale-up did not add every node the pending pods need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum ScaleUpBlock {
    /// Nothing blocks.
    #[default]
    None = 0,
    /// maxNodes reached.
    MaxNodes = 1,
    /// The cpu limit reached.
    CpuLimit = 2,
    /// The memory limit reached.
    MemoryLimit = 3,
    /// A claim failed to register after every launch attempt.
    LaunchFailed = 4,
}

impl ScaleUpBlock {
    /// Decodes an event value.
    pub fn from_i64(v: i64) -> ScaleUpBlock {
        match v {
            1 => ScaleUpBlock::MaxNodes,
            2 => ScaleUpBlock::CpuLimit,
            3 => ScaleUpBlock::MemoryLimit,
            4 => ScaleUpBlock::LaunchFailed,
            _ => ScaleUpBlock::None,
        }
    }

    /// What a user reads.
    pub fn message(self) -> &'static str {
        SCALE_UP_BLOCK_MESSAGES[self as usize]
            .to_str()
            .unwrap_or("")
    }
}

/// [`ScaleUpBlock::message`] of each block, by its number, NUL-terminated for the panel.
pub static SCALE_UP_BLOCK_MESSAGES: [&std::ffi::CStr; 5] = [
    c"",
    c"max nodes reached",
    c"cpu resource limit reached",
    c"memory resource limit reached",
    c"launch failed: the node never registered",
];

impl ScaleUpBlock {
    /// Its number in [`SCALE_UP_BLOCK_MESSAGES`].
    pub fn code(self) -> u32 {
        self as u32
    }
}

/// An autoscaler's state.
#[derive(Debug, Clone, Copy)]
pub struct Autoscaler {
    /// The settings.
    pub spec: AutoscalerSpec,
    /// The claims, in no order; `None` slots are free.
    pub claims: [Option<NodeClaim>; MAX_POOL_NODES],
    /// Number of the next claim.
    pub next_id: u32,
    /// Pending pods that target the pool, at the last look.
    pub pending_pods: u32,
    /// Since when pods have been unschedulable (negative: none are).
    pub unschedulable_since: f64,
    /// Why the last scale-up fell short.
    pub blocked: ScaleUpBlock,
    /// Until when a launch failure blocks new launches.
    pub blocked_until: f64,
    /// Scale-ups so far (claims launched by a plan, not for minNodes).
    pub scale_ups: u32,
    /// Nodes removed so far.
    pub scale_downs: u32,
    /// When the autoscaler looks next.
    pub next_look: f64,
}

impl Autoscaler {
    fn new(spec: AutoscalerSpec, now: f64) -> Autoscaler {
        Autoscaler {
            spec,
            claims: [None; MAX_POOL_NODES],
            next_id: 0,
            pending_pods: 0,
            unschedulable_since: -1.0,
            blocked: ScaleUpBlock::None,
            blocked_until: 0.0,
            scale_ups: 0,
            scale_downs: 0,
            next_look: now,
        }
    }

    /// Claims in a phase.
    pub fn count(&self, phase: ClaimPhase) -> u32 {
        self.claims
            .iter()
            .flatten()
            .filter(|c| c.phase == phase)
            .count() as u32
    }

    /// Claims that are or will be nodes (every phase but Draining).
    pub fn active(&self) -> u32 {
        self.claims
            .iter()
            .flatten()
            .filter(|c| c.phase != ClaimPhase::Draining)
            .count() as u32
    }

    /// The claim whose node is `node`, if any.
    pub(super) fn claim_of(&self, node: u32) -> Option<usize> {
        self.claims
            .iter()
            .position(|c| c.is_some_and(|c| c.node == node && node != NONE))
    }
}

impl World {
    /// Puts pool `tag` under an autoscaler with these settings (or updates them). The pool's
    /// existing nodes become its claims, Initialized; from now on the autoscaler, not the
    /// pool's count, decides how many nodes it has.
    pub fn apply_autoscaler(&mut self, tag: u32, spec: AutoscalerSpec) {
        let spec = AutoscalerSpec {
            max_nodes: spec.max_nodes.clamp(1, MAX_POOL_NODES as u32),
            min_nodes: spec.min_nodes.min(MAX_POOL_NODES as u32),
            ..spec
        };
        let Some(entry) = self.autoscalers.get_mut(tag as usize) else {
            return;
        };
        if let Some(a) = entry {
            a.spec = spec;
            return;
        }
        let mut a = Autoscaler::new(spec, self.time);
        // An autoscaled pool holds at most MAX_POOL_NODES: nodes beyond them are removed.
        while self
            .pool(tag)
            .is_some_and(|p| p.len as usize > MAX_POOL_NODES)
        {
            let Some(last) = self.pool(tag).map(|p| p.last) else {
                break;
            };
            self.delete_node(last);
        }
        if self.pool(tag).is_some() {
            let mut nodes = [NONE; MAX_POOL_NODES];
            for (slot, node) in nodes.iter_mut().zip(self.pool_nodes(tag)) {
                *slot = node;
            }
            for (i, node) in nodes.into_iter().enumerate().filter(|&(_, n)| n != NONE) {
                let id = self.nodes.get(node).map_or(0, |n| n.ordinal);
                a.claims[i] = Some(NodeClaim {
                    id,
                    phase: ClaimPhase::Initialized,
                    since: self.time,
                    attempts: 1,
                    node,
                    unneeded_since: -1.0,
                });
                a.next_id = a.next_id.max(id + 1);
            }
        }
        self.autoscalers[tag as usize] = Some(a);
    }

    /// Takes pool `tag` back from its autoscaler: its nodes stay, and the pool's count
    /// governs again. A node being drained is uncordoned.
    pub fn delete_autoscaler(&mut self, tag: u32) {
        if let Some(entry) = self.autoscalers.get_mut(tag as usize) {
            *entry = None;
        }
        if let Some(p) = self.pools.get_mut(tag as usize).and_then(Option::as_mut) {
            p.dirty = true;
        }
    }

    /// The autoscaler of pool `tag`, if it has one.
    pub fn autoscaler(&self, tag: u32) -> Option<&Autoscaler> {
        self.autoscalers.get(tag as usize)?.as_ref()
    }

    /// Whether pool `tag`'s nodes are the autoscaler's to add and remove.
    pub(super) fn autoscaled(&self, tag: u32) -> bool {
        self.autoscaler(tag).is_some()
    }

    /// Whether `node` is being drained by its pool's autoscaler (it stays cordoned).
    pub(super) fn draining(&self, pool: u32, node: u32) -> bool {
        self.autoscaler(pool).is_some_and(|a| {
            a.claim_of(node)
                .and_then(|i| a.claims[i])
                .is_some_and(|c| c.phase == ClaimPhase::Draining)
        })
    }

    /// Every autoscaler's step: claims move on, and every [`AUTOSCALER_INTERVAL`] it looks
    /// at pending pods and idle nodes.
    pub(super) fn reconcile_autoscalers(&mut self) {
        for i in 0..self.pool_tags.len() {
            let tag = self.pool_tags[i];
            let Some(pool) = self.pools[tag as usize] else {
                continue;
            };
            if self.autoscalers[tag as usize].is_none() {
                continue;
            }
            self.progress_claims(tag, &pool.spec);
            let due = self.autoscalers[tag as usize].is_some_and(|a| self.time >= a.next_look);
            if due {
                if let Some(a) = self.autoscalers[tag as usize].as_mut() {
                    a.next_look = self.time + AUTOSCALER_INTERVAL;
                }
                self.look(tag, &pool.spec);
            }
        }
    }

    /// One look: keep minNodes, scale up for pending pods, or scale an unneeded node down.
    fn look(&mut self, tag: u32, spec: &NodePoolSpec) {
        self.keep_min_nodes(tag);
        let pending = self.collect_pending(tag, spec);
        if pending > 0 {
            self.scale_up_pool(tag, spec);
        } else {
            self.scale_down_pool(tag);
        }
    }
}
