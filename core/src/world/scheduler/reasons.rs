//! Why filters reject nodes, and the FailedScheduling message upstream builds from it
//! (FitError.Error in pkg/scheduler/framework/types.go): the per-reason node counts, sorted
//! as strings, then the PostFilter plugins' words (DynamicResources, DefaultPreemption).

use std::fmt::Write as _;

use crate::world::mana::EssenceIndex;
use crate::world::names::ObjectName;

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
    /// DynamicResources.
    CannotAllocateClaims,
    /// DefaultPreemption: no lower-priority pod on the node.
    NoPreemptionVictims,
    /// DefaultPreemption: the node was not a candidate (UnschedulableAndUnresolvable).
    PreemptionNotHelpful,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 16] = [
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

    /// Appends "<n> <reason>" for every reason counted, sorted as strings, joined by ", "
    /// (upstream's sortReasonsHistogram). No allocation beyond `out`'s growth.
    fn write_sorted(&self, out: &mut String) {
        let mut done = [false; Reason::ALL.len()];
        let mut first = true;
        loop {
            let mut best: Option<(usize, &str, u64)> = None;
            for (i, r) in Reason::ALL.iter().enumerate() {
                let n = self.get(*r);
                if n == 0 || done[i] {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((_, text, count)) => histogram_less(n, r.message(), count, text),
                };
                if better {
                    best = Some((i, r.message(), n));
                }
            }
            let Some((i, text, n)) = best else {
                return;
            };
            done[i] = true;
            if !first {
                out.push_str(", ");
            }
            first = false;
            let _ = write!(out, "{n} {text}");
        }
    }
}

/// Whether "<a> <a_text>" sorts before "<b> <b_text>" as Go's sort.Strings orders them.
fn histogram_less(a: u64, a_text: &str, b: u64, b_text: &str) -> bool {
    let mut x = [0u8; 24];
    let mut y = [0u8; 24];
    let xa = digits(a, &mut x);
    let yb = digits(b, &mut y);
    xa.iter()
        .chain(b" ")
        .chain(a_text.as_bytes())
        .lt(yb.iter().chain(b" ").chain(b_text.as_bytes()))
}

fn digits(mut n: u64, buf: &mut [u8; 24]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// What DefaultPreemption said after a failed scheduling attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PreemptionOutcome {
    /// The profile has no DefaultPreemption.
    #[default]
    Disabled,
    /// A node was nominated (PostFilter succeeded: no PostFilter words at all).
    Nominated,
    /// preemptionPolicy: Never.
    NeverPolicy,
    /// A victim of an earlier preemption is still terminating on the nominated node.
    TerminatingOnNominated,
    /// No candidate: the dry run's reasons on the nodes it tried (the others are "not
    /// helpful").
    NoCandidate {
        /// Per-reason counts of the nodes tried.
        reasons: ReasonCounts,
        /// Nodes tried.
        tried: u32,
    },
    /// Every node that fit after removing pods needed no victim (upstream's error).
    NoVictimNeeded(ObjectName),
}

/// Everything a FailedScheduling message says (upstream's FitError with its Diagnosis).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Diagnosis {
    /// Nodes in the snapshot.
    pub nodes: u32,
    /// Per-reason counts of the nodes filtered out.
    pub reasons: ReasonCounts,
    /// The pod has resource claims (DynamicResources' PostFilter words differ).
    pub has_claims: bool,
    /// DefaultPreemption's outcome.
    pub preemption: PreemptionOutcome,
}

impl Diagnosis {
    /// The message upstream writes on the FailedScheduling event: the filters' reasons, then
    /// the PostFilter plugins' words as they are (v1.34 adds no period after them).
    pub fn message(&self) -> String {
        let mut msg = String::with_capacity(160);
        if self.nodes == 0 {
            msg.push_str("no nodes available to schedule pods");
            return msg;
        }
        write_fit_error(&mut msg, self.nodes, &self.reasons);
        if let PreemptionOutcome::NoVictimNeeded(node) = self.preemption {
            // An error status ends the PostFilter plugins with DefaultPreemption's words only.
            let _ = write!(
                msg,
                " preemption: expected at least one victim pod on node \"{node}\""
            );
            return msg;
        }
        if self.preemption == PreemptionOutcome::Nominated {
            return msg;
        }
        msg.push(' ');
        msg.push_str(if self.has_claims {
            "still not schedulable"
        } else {
            "no new claims to deallocate"
        });
        match self.preemption {
            PreemptionOutcome::NeverPolicy => {
                msg.push_str(", preemption: not eligible due to preemptionPolicy=Never.")
            }
            PreemptionOutcome::TerminatingOnNominated => msg.push_str(
                ", preemption: not eligible due to a terminating pod on the nominated node.",
            ),
            PreemptionOutcome::NoCandidate { reasons, tried } => {
                msg.push_str(", preemption: ");
                let mut all = reasons;
                let untried = u64::from(self.nodes.saturating_sub(tried));
                all.add_reason(Reason::PreemptionNotHelpful, untried);
                write_fit_error(&mut msg, self.nodes, &all);
            }
            _ => {}
        }
        msg
    }
}

/// "0/N nodes are available: <sorted reasons>." (FitError.Error without PostFilter words).
fn write_fit_error(out: &mut String, nodes: u32, reasons: &ReasonCounts) {
    let _ = write!(out, "0/{nodes} nodes are available:");
    if reasons.total() > 0 {
        out.push(' ');
        reasons.write_sorted(out);
        out.push('.');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_sort_as_strings_and_every_insufficient_resource_counts() {
        let mut r = ReasonCounts::default();
        r.add(FilterReason::Unschedulable);
        r.add(FilterReason::Insufficient(
            Shortfall::default().cpu(false).memory(true),
        ));
        for _ in 0..10 {
            r.add(FilterReason::NodeAffinity);
        }
        r.add(FilterReason::NotReady);
        r.add(FilterReason::UntoleratedTaint);
        let d = Diagnosis {
            nodes: 14,
            reasons: r,
            ..Diagnosis::default()
        };
        assert_eq!(
            d.message(),
            "0/14 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, \
             1 node(s) were unschedulable, 10 node(s) didn't match Pod's node \
             affinity/selector, 2 node(s) had untolerated taint(s). no new claims to deallocate"
        );
    }

    #[test]
    fn preemption_words_follow_the_dynamic_resources_words() {
        let mut r = ReasonCounts::default();
        r.add(FilterReason::Insufficient(Shortfall::default().cpu(false)));
        let mut tried = ReasonCounts::default();
        tried.add_reason(Reason::NoPreemptionVictims, 1);
        let mut d = Diagnosis {
            nodes: 4,
            reasons: r,
            has_claims: false,
            preemption: PreemptionOutcome::NoCandidate {
                reasons: tried,
                tried: 1,
            },
        };
        assert_eq!(
            d.message(),
            "0/4 nodes are available: 1 Insufficient cpu. no new claims to deallocate, \
             preemption: 0/4 nodes are available: 1 No preemption victims found for incoming \
             pod, 3 Preemption is not helpful for scheduling."
        );
        d.preemption = PreemptionOutcome::NeverPolicy;
        assert!(d
            .message()
            .ends_with("preemption: not eligible due to preemptionPolicy=Never."));
        d.preemption = PreemptionOutcome::Nominated;
        assert_eq!(d.message(), "0/4 nodes are available: 1 Insufficient cpu.");
        d.nodes = 0;
        assert_eq!(d.message(), "no nodes available to schedule pods");
    }
}
