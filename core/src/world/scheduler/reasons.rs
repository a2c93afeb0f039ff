//! Why filters reject nodes: each plugin's reasons in upstream's words, and the per-reason
//! node counts of a failed attempt ([`super::diagnosis`] turns them into the message).

use crate::world::mana::EssenceIndex;

/// The words of one reason in a FailedScheduling message, as upstream's plugins write them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// NodeResourcesFit: the node's pod count is at allocatable.
    TooManyPods,
    /// NodeResourcesFit: cpu.
    InsufficientCpu,
    /// NodeResourcesFit: memory.
    InsufficientMemory,
    /// NodeResourcesFit: `manawell.io/fire`.
    InsufficientFire,
    /// NodeResourcesFit: `manawell.io/frost`.
    InsufficientFrost,
    /// NodeResourcesFit: `manawell.io/arcane`.
    InsufficientArcane,
    /// NodeUnschedulable.
    Unschedulable,
    /// TaintToleration (upstream names no taint).
    UntoleratedTaint,
    /// NodeAffinity.
    NodeAffinity,
    /// PodTopologySpread: the node lacks the topology key.
    SpreadMissingLabel,
    /// PodTopologySpread: maxSkew.
    SpreadSkew,
    /// InterPodAffinity: an existing pod's anti-affinity.
    ExistingAntiAffinity,
    /// InterPodAffinity: the pod's own anti-affinity.
    AntiAffinity,
    /// InterPodAffinity: the pod's required affinity.
    AffinityRulesNotMatch,
    /// DynamicResources.
    CannotAllocateClaims,
    /// DefaultPreemption: no lower-priority pod on the node.
    NoPreemptionVictims,
    /// DefaultPreemption: the node was not a candidate (UnschedulableAndUnresolvable).
    PreemptionNotHelpful,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 17] = [
        Reason::TooManyPods,
        Reason::InsufficientCpu,
        Reason::InsufficientMemory,
        Reason::InsufficientFire,
        Reason::InsufficientFrost,
        Reason::InsufficientArcane,
        Reason::Unschedulable,
        Reason::UntoleratedTaint,
        Reason::NodeAffinity,
        Reason::SpreadMissingLabel,
        Reason::SpreadSkew,
        Reason::ExistingAntiAffinity,
        Reason::AntiAffinity,
        Reason::AffinityRulesNotMatch,
        Reason::CannotAllocateClaims,
        Reason::NoPreemptionVictims,
        Reason::PreemptionNotHelpful,
    ];

    /// The reason as upstream's status words it.
    pub const fn message(self) -> &'static str {
        match self {
            Reason::TooManyPods => "Too many pods",
            Reason::InsufficientCpu => "Insufficient cpu",
            Reason::InsufficientMemory => "Insufficient memory",
            Reason::InsufficientFire => "Insufficient manawell.io/fire",
            Reason::InsufficientFrost => "Insufficient manawell.io/frost",
            Reason::InsufficientArcane => "Insufficient manawell.io/arcane",
            Reason::Unschedulable => "node(s) were unschedulable",
            Reason::UntoleratedTaint => "node(s) had untolerated taint(s)",
            Reason::NodeAffinity => "node(s) didn't match Pod's node affinity/selector",
            Reason::SpreadMissingLabel => {
                "node(s) didn't match pod topology spread constraints (missing required label)"
            }
            Reason::SpreadSkew => "node(s) didn't match pod topology spread constraints",
            Reason::ExistingAntiAffinity => {
                "node(s) didn't satisfy existing pods anti-affinity rules"
            }
            Reason::AntiAffinity => "node(s) didn't match pod anti-affinity rules",
            Reason::AffinityRulesNotMatch => "node(s) didn't match pod affinity rules",
            Reason::CannotAllocateClaims => "cannot allocate all claims",
            Reason::NoPreemptionVictims => "No preemption victims found for incoming pod",
            Reason::PreemptionNotHelpful => "Preemption is not helpful for scheduling",
        }
    }

    fn insufficient_mana(essence: EssenceIndex) -> Reason {
        match essence {
            1 => Reason::InsufficientFire,
            2 => Reason::InsufficientFrost,
            _ => Reason::InsufficientArcane,
        }
    }
}

/// NodeResourcesFit's verdict on one node: every insufficient resource, and whether the pod
/// asks for more than the node's allocatable of any (UnschedulableAndUnresolvable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shortfall(u8);

impl Shortfall {
    const PODS: u8 = 1;
    const CPU: u8 = 2;
    const MEMORY: u8 = 4;
    const MANA: u8 = 8;
    const ESSENCE_SHIFT: u8 = 4;
    const UNRESOLVABLE: u8 = 0x40;

    /// The pod count is at allocatable.
    pub fn pods(self) -> Shortfall {
        Shortfall(self.0 | Self::PODS)
    }

    /// Too little cpu; `unresolvable` when the request exceeds allocatable itself.
    pub fn cpu(self, unresolvable: bool) -> Shortfall {
        Shortfall(self.0 | Self::CPU).unresolvable_if(unresolvable)
    }

    /// Too little memory.
    pub fn memory(self, unresolvable: bool) -> Shortfall {
        Shortfall(self.0 | Self::MEMORY).unresolvable_if(unresolvable)
    }

    /// Too little of an essence's mana.
    pub fn mana(self, essence: EssenceIndex, unresolvable: bool) -> Shortfall {
        Shortfall(self.0 | Self::MANA | (essence.min(3) << Self::ESSENCE_SHIFT))
            .unresolvable_if(unresolvable)
    }

    fn unresolvable_if(self, yes: bool) -> Shortfall {
        Shortfall(self.0 | if yes { Self::UNRESOLVABLE } else { 0 })
    }

    /// No resource is short.
    pub fn is_empty(self) -> bool {
        self.0 & (Self::PODS | Self::CPU | Self::MEMORY | Self::MANA) == 0
    }

    /// Whether the pod asks for more than allocatable of a resource.
    pub const fn unresolvable(self) -> bool {
        self.0 & Self::UNRESOLVABLE != 0
    }

    /// The reasons, in upstream's order (pods, cpu, memory, extended resources).
    pub fn for_each(self, mut f: impl FnMut(Reason)) {
        if self.0 & Self::PODS != 0 {
            f(Reason::TooManyPods);
        }
        if self.0 & Self::CPU != 0 {
            f(Reason::InsufficientCpu);
        }
        if self.0 & Self::MEMORY != 0 {
            f(Reason::InsufficientMemory);
        }
        if self.0 & Self::MANA != 0 {
            f(Reason::insufficient_mana(
                (self.0 >> Self::ESSENCE_SHIFT) & 3,
            ));
        }
    }
}

/// Why a node was filtered out: the first failing plugin's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterReason {
    /// NodeResourcesFit: every insufficient resource.
    Insufficient(Shortfall),
    /// NodeUnschedulable: the node is cordoned.
    Unschedulable,
    /// TaintToleration: node.kubernetes.io/not-ready:NoSchedule.
    NotReady,
    /// TaintToleration: the untolerated `kuberack.io/dedicated` taint.
    UntoleratedTaint,
    /// TaintToleration: an untolerated `energy=<essence>` taint.
    UntoleratedEnergy,
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
    /// InterPodAffinity: no pod in the node's domain matches the pod's required affinity
    /// (UnschedulableAndUnresolvable).
    AffinityRulesNotMatch,
    /// DynamicResources: the node's devices cannot allocate the pod's claim.
    CannotAllocateClaims,
}

impl FilterReason {
    /// Status UnschedulableAndUnresolvable: preemption cannot help on such a node. (Upstream's
    /// DynamicResources says Unschedulable; here preemption's dry run frees no devices, so
    /// trying it would only evict for nothing.)
    pub const fn unresolvable(self) -> bool {
        match self {
            FilterReason::Insufficient(s) => s.unresolvable(),
            FilterReason::Unschedulable
            | FilterReason::NotReady
            | FilterReason::UntoleratedTaint
            | FilterReason::UntoleratedEnergy
            | FilterReason::NodeAffinity
            | FilterReason::SpreadMissingLabel
            | FilterReason::AffinityRulesNotMatch
            | FilterReason::CannotAllocateClaims => true,
            FilterReason::SpreadSkew
            | FilterReason::ExistingAntiAffinity
            | FilterReason::AntiAffinity => false,
        }
    }

    /// The status's reasons (several only for NodeResourcesFit).
    pub fn for_each_reason(self, mut f: impl FnMut(Reason)) {
        match self {
            FilterReason::Insufficient(s) => s.for_each(f),
            FilterReason::Unschedulable => f(Reason::Unschedulable),
            FilterReason::NotReady
            | FilterReason::UntoleratedTaint
            | FilterReason::UntoleratedEnergy => f(Reason::UntoleratedTaint),
            FilterReason::NodeAffinity => f(Reason::NodeAffinity),
            FilterReason::SpreadMissingLabel => f(Reason::SpreadMissingLabel),
            FilterReason::SpreadSkew => f(Reason::SpreadSkew),
            FilterReason::ExistingAntiAffinity => f(Reason::ExistingAntiAffinity),
            FilterReason::AntiAffinity => f(Reason::AntiAffinity),
            FilterReason::AffinityRulesNotMatch => f(Reason::AffinityRulesNotMatch),
            FilterReason::CannotAllocateClaims => f(Reason::CannotAllocateClaims),
        }
    }
}

/// Nodes per reason (a node with several reasons counts under each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReasonCounts([u16; Reason::ALL.len()]);

impl ReasonCounts {
    /// Counts one node filtered out for `reason`.
    pub fn add(&mut self, reason: FilterReason) {
        reason.for_each_reason(|r| self.add_reason(r, 1));
    }

    /// Counts `n` nodes under one reason.
    pub fn add_reason(&mut self, reason: Reason, n: u64) {
        let c = &mut self.0[reason as usize];
        *c = c.saturating_add(n.min(u64::from(u16::MAX)) as u16);
    }

    /// Nodes counted under this reason.
    pub fn get(&self, reason: Reason) -> u64 {
        u64::from(self.0[reason as usize])
    }

    /// Nodes counted under any of this filter status's reasons (its first).
    pub fn get_filter(&self, reason: FilterReason) -> u64 {
        let mut n = None;
        reason.for_each_reason(|r| {
            n.get_or_insert(self.get(r));
        });
        n.unwrap_or(0)
    }

    /// Nodes counted in all.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|&c| u64::from(c)).sum()
    }
}
