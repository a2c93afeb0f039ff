//! ResourceFlavor: the node labels and taints a flavor of quota stands for, and the check
//! whether a pod set may use a flavor (its node selector and tolerations).

/// The most labels, taints or tolerations one object carries.
pub const MAX_LABELS: usize = 4;

/// A node label, e.g. `energy=fire`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    /// The label key.
    pub key: &'static str,
    /// The label value.
    pub value: &'static str,
}

/// A taint's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaintEffect {
    /// Pods that do not tolerate it are not scheduled.
    NoSchedule,
    /// The scheduler tries to avoid the node.
    PreferNoSchedule,
    /// Pods that do not tolerate it are not scheduled and are evicted.
    NoExecute,
}

/// A node taint, e.g. `energy=fire:NoSchedule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taint {
    /// The taint key.
    pub key: &'static str,
    /// The taint value.
    pub value: &'static str,
    /// The taint effect.
    pub effect: TaintEffect,
}

/// A toleration's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TolerationOperator {
    /// Key and value must equal the taint's.
    Equal,
    /// Any value; an empty key tolerates every taint.
    Exists,
}

/// A pod's toleration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toleration {
    /// The key; empty with `Exists` matches every key.
    pub key: &'static str,
    /// Equal or Exists.
    pub operator: TolerationOperator,
    /// The value (for `Equal`).
    pub value: &'static str,
    /// The effect tolerated; `None` tolerates every effect.
    pub effect: Option<TaintEffect>,
}

impl Toleration {
    /// A toleration of exactly `taint` (operator Equal, same effect).
    pub const fn of(taint: Taint) -> Toleration {
        Toleration {
            key: taint.key,
            operator: TolerationOperator::Equal,
            value: taint.value,
            effect: Some(taint.effect),
        }
    }

    /// Whether this toleration tolerates `taint` (core/v1 `ToleratesTaint`).
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if self.effect.is_some_and(|e| e != taint.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.value == taint.value,
        }
    }
}

/// A ResourceFlavor: `spec.nodeLabels`, `spec.nodeTaints` and `spec.tolerations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceFlavor {
    /// The flavor's name.
    pub name: &'static str,
    /// Labels of the nodes that provide this flavor.
    pub node_labels: [Option<Label>; MAX_LABELS],
    /// Taints of those nodes.
    pub node_taints: [Option<Taint>; MAX_LABELS],
    /// Tolerations added to admitted pods of this flavor.
    pub tolerations: [Option<Toleration>; MAX_LABELS],
}

impl ResourceFlavor {
    /// A flavor with no labels or taints (matches every pod set).
    pub const fn named(name: &'static str) -> ResourceFlavor {
        ResourceFlavor {
            name,
            node_labels: [None; MAX_LABELS],
            node_taints: [None; MAX_LABELS],
            tolerations: [None; MAX_LABELS],
        }
    }

    /// The flavor with one more node label.
    pub fn with_label(mut self, key: &'static str, value: &'static str) -> ResourceFlavor {
        push(&mut self.node_labels, Label { key, value });
        self
    }

    /// The flavor with one more node taint.
    pub fn with_taint(mut self, taint: Taint) -> ResourceFlavor {
        push(&mut self.node_taints, taint);
        self
    }

    /// The value of the flavor's node label `key`.
    pub fn label(&self, key: &str) -> Option<&'static str> {
        self.node_labels
            .iter()
            .flatten()
            .find(|l| l.key == key)
            .map(|l| l.value)
    }

    /// Whether a pod set with this node selector and these tolerations may use the flavor, as
    /// the flavor assigner checks it: no NoSchedule/NoExecute taint of the flavor is left
    /// untolerated (by the pod set's tolerations or the flavor's own), and every selector term
    /// whose key the flavor labels matches the flavor's value (terms on other keys are
    /// ignored).
    pub fn matches(
        &self,
        node_selector: &[Option<Label>; MAX_LABELS],
        tolerations: &[Option<Toleration>; MAX_LABELS],
    ) -> bool {
        let untolerated = self.node_taints.iter().flatten().any(|taint| {
            taint.effect != TaintEffect::PreferNoSchedule
                && !tolerations
                    .iter()
                    .chain(self.tolerations.iter())
                    .flatten()
                    .any(|t| t.tolerates(taint))
        });
        if untolerated {
            return false;
        }
        node_selector
            .iter()
            .flatten()
            .all(|term| self.label(term.key).is_none_or(|v| v == term.value))
    }
}

/// Puts `item` in the first free slot (ignored when full).
pub(crate) fn push<T>(slots: &mut [Option<T>], item: T) {
    if let Some(slot) = slots.iter_mut().find(|s| s.is_none()) {
        *slot = Some(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRE: Taint = Taint {
        key: "energy",
        value: "fire",
        effect: TaintEffect::NoSchedule,
    };

    #[test]
    fn taints_and_selectors_decide_the_match() {
        let fire = ResourceFlavor::named("fire")
            .with_label("energy", "fire")
            .with_taint(FIRE);
        let mut selector = [None; MAX_LABELS];
        let mut tolerations = [None; MAX_LABELS];
        assert!(!fire.matches(&selector, &tolerations), "untolerated taint");
        tolerations[0] = Some(Toleration::of(FIRE));
        assert!(fire.matches(&selector, &tolerations));
        selector[0] = Some(Label {
            key: "energy",
            value: "frost",
        });
        assert!(
            !fire.matches(&selector, &tolerations),
            "selector on its key"
        );
        selector[0] = Some(Label {
            key: "zone",
            value: "a",
        });
        assert!(fire.matches(&selector, &tolerations), "other keys ignored");
        let exists_all = Toleration {
            key: "",
            operator: TolerationOperator::Exists,
            value: "",
            effect: None,
        };
        assert!(exists_all.tolerates(&FIRE));
    }
}
