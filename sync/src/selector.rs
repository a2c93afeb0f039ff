//! Label queries over real objects' labels, in the one-line node affinity form
//! (`k=v, !k, k in (a,b), k notin (a,b), k!=v, k>5` with `|` between ORed terms; PROTOCOL.md,
//! "Labels, taints, tolerations and node affinity"), which for one term is also Kubernetes'
//! label selector syntax. Used by the mirror to map real nodes to a NODE by its pool selector
//! and by the import to scope what it reads.

use std::collections::BTreeMap;

use kuberack_core::world::terms::api::{NodeSelectorTerm, Requirement, SelectorOperator};
use kuberack_core::world::terms::parse;

/// A parsed query: any term may hold, each of its requirements must.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelQuery {
    terms: Vec<NodeSelectorTerm<String>>,
}

impl LabelQuery {
    /// Parses `text`; blank text is the empty query, which matches nothing.
    pub fn parse(text: &str) -> Result<LabelQuery, String> {
        Ok(LabelQuery {
            terms: parse::required_terms(text)?,
        })
    }

    /// The query of already parsed terms.
    pub fn of(terms: Vec<NodeSelectorTerm<String>>) -> LabelQuery {
        LabelQuery { terms }
    }

    /// Whether the query has no term.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether labels `labels` satisfy one of the terms.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.terms
            .iter()
            .any(|t| t.requirements.iter().all(|r| holds(r, labels)))
    }
}

fn holds(r: &Requirement<String>, labels: &BTreeMap<String, String>) -> bool {
    let value = labels.get(&r.key);
    let number = || value.and_then(|v| v.parse::<i64>().ok());
    match r.operator {
        SelectorOperator::In => value.is_some_and(|v| r.values.contains(v)),
        SelectorOperator::NotIn => value.is_none_or(|v| !r.values.contains(v)),
        SelectorOperator::Exists => value.is_some(),
        SelectorOperator::DoesNotExist => value.is_none(),
        SelectorOperator::Gt => matches!((number(), r.number), (Some(v), Some(n)) if v > n),
        SelectorOperator::Lt => matches!((number(), r.number), (Some(v), Some(n)) if v < n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_operator_matches_as_kubernetes_does() {
        let node = labels(&[("karpenter.sh/nodepool", "gp"), ("cpu-gen", "7")]);
        let q = |t: &str| LabelQuery::parse(t).unwrap().matches(&node);
        assert!(q("karpenter.sh/nodepool=gp"));
        assert!(!q("karpenter.sh/nodepool=batch"));
        assert!(q("karpenter.sh/nodepool in (batch,gp)"));
        assert!(!q("karpenter.sh/nodepool notin (gp)"));
        assert!(q("disk notin (ssd)"), "a missing label is NotIn");
        assert!(q("disk!=ssd"));
        assert!(q("!disk, karpenter.sh/nodepool"));
        assert!(!q("disk"));
        assert!(q("cpu-gen>5") && !q("cpu-gen<5") && !q("karpenter.sh/nodepool>1"));
        assert!(q("disk=ssd | cpu-gen>6"), "terms are ORed");
        assert!(!LabelQuery::default().matches(&node), "no term: nothing");
        assert!(LabelQuery::parse("a in ()").is_err());
    }
}
