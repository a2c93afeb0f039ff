//! Why filters reject nodes, and the FailedScheduling message built from it.

use crate::world::mana::EssenceIndex;

/// Why a node was filtered out, in the order failure messages list the reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterReason {
    /// NodeResourcesFit: insufficient cpu.
    InsufficientCpu,
    /// NodeResourcesFit: insufficient memory.
    InsufficientMemory,
    /// NodeResourcesFit: insufficient `manawell.io/fire`.
    InsufficientFire,
    /// NodeResourcesFit: insufficient `manawell.io/frost`.
    InsufficientFrost,
    /// NodeResourcesFit: insufficient `manawell.io/arcane`.
    InsufficientArcane,
    /// NodeResourcesFit: too many pods.
    TooManyPods,
    /// NodeUnschedulable: the node is cordoned.
    Unschedulable,
    /// TaintToleration: node.kubernetes.io/not-ready:NoSchedule.
    NotReady,
    /// TaintToleration: the untolerated `kuberack.io/dedicated` taint.
    UntoleratedTaint,
    /// TaintToleration: the untolerated taint `energy=fire`.
    UntoleratedFire,
    /// TaintToleration: the untolerated taint `energy=frost`.
    UntoleratedFrost,
    /// TaintToleration: the untolerated taint `energy=arcane`.
    UntoleratedArcane,
    /// NodeAffinity: the node selector does not match.
    NodeAffinity,
    /// PodTopologySpread: the node lacks the topology key.
    SpreadMissingLabel,
    /// PodTopologySpread: placing the pod here would exceed maxSkew.
    SpreadSkew,
    /// InterPodAffinity: an existing pod's required anti-affinity forbids it.
    ExistingAntiAffinity,
    /// InterPodAffinity: the pod's required anti-affinity forbids it.
    AntiAffinity,
}

impl FilterReason {
    /// Every reason, in the order failure messages list them.
    pub const ALL: [FilterReason; 17] = [
        FilterReason::InsufficientCpu,
        FilterReason::InsufficientMemory,
        FilterReason::InsufficientFire,
        FilterReason::InsufficientFrost,
        FilterReason::InsufficientArcane,
        FilterReason::TooManyPods,
        FilterReason::Unschedulable,
        FilterReason::NotReady,
        FilterReason::UntoleratedTaint,
        FilterReason::UntoleratedFire,
        FilterReason::UntoleratedFrost,
        FilterReason::UntoleratedArcane,
        FilterReason::NodeAffinity,
        FilterReason::SpreadMissingLabel,
        FilterReason::SpreadSkew,
        FilterReason::ExistingAntiAffinity,
        FilterReason::AntiAffinity,
    ];

    /// The reason as upstream's status message words it.
    pub const fn message(self) -> &'static str {
        match self {
            FilterReason::Unschedulable => "node(s) were unschedulable",
            FilterReason::NotReady => {
                "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"
            }
            FilterReason::UntoleratedTaint => {
                "node(s) had untolerated taint {kuberack.io/dedicated: }"
            }
            FilterReason::UntoleratedFire => "node(s) had untolerated taint {energy: fire}",
            FilterReason::UntoleratedFrost => "node(s) had untolerated taint {energy: frost}",
            FilterReason::UntoleratedArcane => "node(s) had untolerated taint {energy: arcane}",
            FilterReason::TooManyPods => "Too many pods",
            FilterReason::InsufficientCpu => "Insufficient cpu",
            FilterReason::InsufficientMemory => "Insufficient memory",
            FilterReason::InsufficientFire => "Insufficient manawell.io/fire",
            FilterReason::InsufficientFrost => "Insufficient manawell.io/frost",
            FilterReason::InsufficientArcane => "Insufficient manawell.io/arcane",
            FilterReason::NodeAffinity => "node(s) didn't match Pod's node affinity/selector",
            FilterReason::SpreadMissingLabel => {
                "node(s) didn't match pod topology spread constraints (missing required label)"
            }
            FilterReason::SpreadSkew => "node(s) didn't match pod topology spread constraints",
            FilterReason::ExistingAntiAffinity => {
                "node(s) didn't satisfy existing pods anti-affinity rules"
            }
            FilterReason::AntiAffinity => "node(s) didn't match pod anti-affinity rules",
        }
    }

    /// Status UnschedulableAndUnresolvable: preemption cannot help on such a node.
    pub const fn unresolvable(self) -> bool {
        matches!(
            self,
            FilterReason::Unschedulable
                | FilterReason::NotReady
                | FilterReason::UntoleratedTaint
                | FilterReason::UntoleratedFire
                | FilterReason::UntoleratedFrost
                | FilterReason::UntoleratedArcane
                | FilterReason::NodeAffinity
                | FilterReason::SpreadMissingLabel
        )
    }

    const fn index(self) -> usize {
        self as usize
    }

    /// NodeResourcesFit's reason for too little of this essence's mana.
    pub fn insufficient_mana(essence: EssenceIndex) -> FilterReason {
        match essence {
            1 => FilterReason::InsufficientFire,
            2 => FilterReason::InsufficientFrost,
            _ => FilterReason::InsufficientArcane,
        }
    }

    /// TaintToleration's reason for an untolerated `energy` taint of this essence.
    pub fn untolerated_energy(essence: EssenceIndex) -> FilterReason {
        match essence {
            1 => FilterReason::UntoleratedFire,
            2 => FilterReason::UntoleratedFrost,
            _ => FilterReason::UntoleratedArcane,
        }
    }
}

/// Per-reason node counts of one scheduling attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReasonCounts([u16; FilterReason::ALL.len()]);

impl ReasonCounts {
    /// Counts one node filtered out for `reason`.
    pub fn add(&mut self, reason: FilterReason) {
        let c = &mut self.0[reason.index()];
        *c = c.saturating_add(1);
    }

    /// Nodes filtered out for this reason.
    pub fn get(&self, reason: FilterReason) -> u64 {
        u64::from(self.0[reason.index()])
    }

    /// Packs the first four reasons present (in message order) into an event's detail word.
    pub fn pack(&self) -> FailureCounts {
        let mut word = 0u64;
        let mut slot = 0;
        for reason in FilterReason::ALL {
            let n = self.get(reason).min(MAX_PACKED_COUNT);
            if n == 0 || slot == PACKED_REASONS {
                continue;
            }
            word |= ((reason.index() as u64 + 1) << 11 | n) << (slot * SLOT_BITS);
            slot += 1;
        }
        FailureCounts(word)
    }
}

const PACKED_REASONS: usize = 4;
const SLOT_BITS: usize = 16;
const MAX_PACKED_COUNT: u64 = 0x7ff;

/// Per-reason node counts of a failed attempt, packed into an event's detail word: up to four
/// reasons (a 5-bit reason and an 11-bit count each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailureCounts(pub u64);

impl FailureCounts {
    /// Nodes filtered out for this reason.
    pub fn get(self, reason: FilterReason) -> u64 {
        (0..PACKED_REASONS)
            .map(|slot| (self.0 >> (slot * SLOT_BITS)) & 0xffff)
            .find(|entry| entry >> 11 == reason.index() as u64 + 1)
            .map_or(0, |entry| entry & MAX_PACKED_COUNT)
    }
}

/// The message upstream writes on a FailedScheduling event.
pub fn failure_message(nodes: u64, reasons: FailureCounts) -> String {
    let mut msg = format!("0/{nodes} nodes are available");
    let mut first = true;
    for reason in FilterReason::ALL {
        let n = reasons.get(reason);
        if n > 0 {
            msg.push_str(if first { ": " } else { ", " });
            msg.push_str(&format!("{n} {}", reason.message()));
            first = false;
        }
    }
    msg.push('.');
    msg
}
