//! The FailedScheduling message upstream builds (FitError.Error in
//! pkg/scheduler/framework/types.go): the per-reason node counts sorted as strings, then the
//! PostFilter plugins' words (DynamicResources, DefaultPreemption).

use std::fmt::Write as _;

use super::reasons::{Reason, ReasonCounts};
use crate::world::names::ObjectName;

impl ReasonCounts {
    /// Appends "<n> <reason>" for every reason counted, sorted as strings, joined by ", "
    /// (upstream's sortReasonsHistogram). No allocation beyond `out`'s growth.
    pub(super) fn write_sorted(&self, out: &mut String) {
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
    use crate::world::scheduler::reasons::{FilterReason, Shortfall};

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
