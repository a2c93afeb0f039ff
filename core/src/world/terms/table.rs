//! The interned tables of node and pod terms: a module parses its text where its settings
//! change and interns the result here, getting a small id it publishes through its slot like
//! any other word. Entries are append-only and never change once published (a `OnceLock`
//! each, in a table sized at compile time), so the audio thread reads an entry with one
//! atomic load, without a lock, an allocation or a wait, and nothing needs reclaiming: equal
//! terms share one entry, and the table holds at most [`MAX_TERMS`] distinct ones a process.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, OnceLock};

use super::api::*;
use super::symbols::{intern, name, Sym};

/// Most distinct node terms, and most distinct pod terms, one process interns.
pub const MAX_TERMS: usize = 1024;

/// A node label with its value read as an integer (for Gt and Lt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeLabel {
    /// The key.
    pub key: Sym,
    /// The value.
    pub value: Sym,
    /// The value as an integer, if it is one.
    pub number: Option<i64>,
}

/// A NODE module's labels and taints, interned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NodeEntry {
    /// metadata.labels.
    pub labels: Vec<NodeLabel>,
    /// spec.taints.
    pub taints: Vec<Taint<Sym>>,
}

/// A pod template's labels, tolerations and node affinity, interned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PodEntry {
    /// The terms.
    pub terms: PodTerms<Sym>,
    /// FNV-1a of the terms as text: what the pod-template-hash adds for them, the same in
    /// every process whatever ids the strings got.
    pub hash: u32,
}

/// An append-only table of interned values; id 0 is the empty value.
pub struct InternTable<T: 'static> {
    entries: [OnceLock<T>; MAX_TERMS],
    index: Mutex<Option<HashMap<T, u16>>>,
    empty: T,
}

impl<T: Clone + Eq + Hash + Send + Sync + 'static> InternTable<T> {
    const fn new(empty: T) -> Self {
        InternTable {
            entries: [const { OnceLock::new() }; MAX_TERMS],
            index: Mutex::new(None),
            empty,
        }
    }

    /// The id of `value`, published on first use (not on the audio path).
    fn intern(&self, value: T) -> Result<u16, String> {
        if value == self.empty {
            return Ok(0);
        }
        let mut guard = self.index.lock().unwrap_or_else(|e| e.into_inner());
        let index = guard.get_or_insert_with(HashMap::new);
        if let Some(&id) = index.get(&value) {
            return Ok(id);
        }
        let id = index.len() + 1;
        if id >= MAX_TERMS {
            return Err(format!(
                "more than {} distinct label and taint sets in this session; reuse one",
                MAX_TERMS - 1
            ));
        }
        // Published before the id is handed out: a reader that has the id sees the entry.
        let _ = self.entries[id].set(value.clone());
        index.insert(value, id as u16);
        Ok(id as u16)
    }

    /// The entry of `id` (the empty value for 0 or an id never handed out). Wait-free.
    #[inline]
    fn get(&self, id: u16) -> &T {
        self.entries
            .get(usize::from(id))
            .and_then(OnceLock::get)
            .unwrap_or(&self.empty)
    }
}

static NODES: InternTable<NodeEntry> = InternTable::new(NodeEntry {
    labels: Vec::new(),
    taints: Vec::new(),
});
static PODS: InternTable<PodEntry> = InternTable::new(PodEntry {
    terms: PodTerms {
        labels: Vec::new(),
        tolerations: Vec::new(),
        node_selector: Vec::new(),
        required: Vec::new(),
        preferred: Vec::new(),
        pod_affinity: Vec::new(),
        spread: Vec::new(),
    },
    hash: 0,
});

fn label(l: &Label<String>) -> Label<Sym> {
    Label {
        key: intern(&l.key),
        value: intern(&l.value),
    }
}

fn requirement(r: &Requirement<String>) -> Requirement<Sym> {
    Requirement {
        key: intern(&r.key),
        operator: r.operator,
        values: r.values.iter().map(|v| intern(v)).collect(),
        number: r.number,
    }
}

fn term(t: &NodeSelectorTerm<String>) -> NodeSelectorTerm<Sym> {
    NodeSelectorTerm {
        requirements: t.requirements.iter().map(requirement).collect(),
    }
}

fn selector(s: &LabelSelector<String>) -> LabelSelector<Sym> {
    LabelSelector {
        match_labels: s.match_labels.iter().map(label).collect(),
        expressions: s.expressions.iter().map(requirement).collect(),
    }
}

fn pod_affinity_term(t: &PodAffinityTerm<String>) -> PodAffinityTerm<Sym> {
    PodAffinityTerm {
        anti: t.anti,
        weight: t.weight,
        selector: selector(&t.selector),
        topology_key: intern(&t.topology_key),
    }
}

/// A spread constraint, its selector the pod's own labels when it has none.
fn spread_constraint(
    c: &TopologySpreadConstraint<String>,
    labels: &[Label<String>],
) -> TopologySpreadConstraint<Sym> {
    let own = || LabelSelector {
        match_labels: labels.iter().map(label).collect(),
        expressions: Vec::new(),
    };
    TopologySpreadConstraint {
        max_skew: c.max_skew,
        topology_key: intern(&c.topology_key),
        when: c.when,
        min_domains: c.min_domains,
        node_affinity_policy: c.node_affinity_policy,
        node_taints_policy: c.node_taints_policy,
        selector: Some(c.selector.as_ref().map_or_else(own, selector)),
    }
}

/// Whether any pod terms interned so far have a pod affinity or anti-affinity term (so the
/// scheduler looks at other pods' terms at all).
static ANY_POD_AFFINITY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether any pod terms of this process have a pod affinity or anti-affinity term. Wait-free.
#[inline]
pub fn any_pod_affinity() -> bool {
    ANY_POD_AFFINITY.load(std::sync::atomic::Ordering::Acquire)
}

/// Interns a NODE's labels and taints (not on the audio path).
pub fn intern_node(terms: &NodeTerms<String>) -> Result<u16, String> {
    NODES.intern(NodeEntry {
        labels: terms
            .labels
            .iter()
            .map(|l| NodeLabel {
                key: intern(&l.key),
                value: intern(&l.value),
                number: l.value.parse().ok(),
            })
            .collect(),
        taints: terms
            .taints
            .iter()
            .map(|t| Taint {
                key: intern(&t.key),
                value: intern(&t.value),
                effect: t.effect,
            })
            .collect(),
    })
}

/// The terms as the pod-template-hash reads them: the node terms as they were written before
/// pod affinity existed (so a template without it keeps its hash and its pods' names), then
/// the pod affinity terms when there are any.
fn template_text(terms: &PodTerms<String>) -> String {
    #[derive(Debug)]
    #[allow(dead_code)] // Read through Debug only.
    struct PodTerms<'a> {
        labels: &'a [Label<String>],
        tolerations: &'a [Toleration<String>],
        node_selector: &'a [Label<String>],
        required: &'a [NodeSelectorTerm<String>],
        preferred: &'a [PreferredTerm<String>],
    }
    let mut text = format!(
        "{:?}",
        PodTerms {
            labels: &terms.labels,
            tolerations: &terms.tolerations,
            node_selector: &terms.node_selector,
            required: &terms.required,
            preferred: &terms.preferred,
        }
    );
    if !terms.pod_affinity.is_empty() {
        text.push_str(&format!("{:?}", terms.pod_affinity));
    }
    if !terms.spread.is_empty() {
        text.push_str(&format!("{:?}", terms.spread));
    }
    text
}

/// Interns a pod template's terms (not on the audio path).
pub fn intern_pod(terms: &PodTerms<String>) -> Result<u16, String> {
    if terms.is_empty() {
        return Ok(0);
    }
    let hash = template_text(terms).bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let terms = PodTerms {
        labels: terms.labels.iter().map(label).collect(),
        tolerations: terms
            .tolerations
            .iter()
            .map(|t| Toleration {
                key: t.key.as_deref().map(intern),
                operator: t.operator,
                value: intern(&t.value),
                effect: t.effect,
                seconds: t.seconds,
            })
            .collect(),
        node_selector: terms.node_selector.iter().map(label).collect(),
        required: terms.required.iter().map(term).collect(),
        preferred: terms
            .preferred
            .iter()
            .map(|p| PreferredTerm {
                weight: p.weight,
                term: term(&p.term),
            })
            .collect(),
        pod_affinity: terms.pod_affinity.iter().map(pod_affinity_term).collect(),
        spread: terms
            .spread
            .iter()
            .map(|c| spread_constraint(c, &terms.labels))
            .collect(),
    };
    if !terms.pod_affinity.is_empty() {
        ANY_POD_AFFINITY.store(true, std::sync::atomic::Ordering::Release);
    }
    PODS.intern(PodEntry { terms, hash })
}

/// The node terms of an id. Wait-free.
#[inline]
pub fn node_entry(id: u16) -> &'static NodeEntry {
    NODES.get(id)
}

/// The pod terms of an id. Wait-free.
#[inline]
pub fn pod_entry(id: u16) -> &'static PodEntry {
    PODS.get(id)
}

/// The node terms of an id with their strings (not on the audio path: it allocates).
pub fn node_terms_text(id: u16) -> NodeTerms<String> {
    let e = node_entry(id);
    NodeTerms {
        labels: e
            .labels
            .iter()
            .map(|l| Label {
                key: name(l.key),
                value: name(l.value),
            })
            .collect(),
        taints: e
            .taints
            .iter()
            .map(|t| Taint {
                key: name(t.key),
                value: name(t.value),
                effect: t.effect,
            })
            .collect(),
    }
}

/// The pod terms of an id with their strings (not on the audio path: it allocates).
pub fn pod_terms_text(id: u16) -> PodTerms<String> {
    let t = &pod_entry(id).terms;
    let label = |l: &Label<Sym>| Label {
        key: name(l.key),
        value: name(l.value),
    };
    let requirement = |r: &Requirement<Sym>| Requirement {
        key: name(r.key),
        operator: r.operator,
        values: r.values.iter().map(|v| name(*v)).collect(),
        number: r.number,
    };
    let term = |t: &NodeSelectorTerm<Sym>| NodeSelectorTerm {
        requirements: t.requirements.iter().map(requirement).collect(),
    };
    let selector = |s: &LabelSelector<Sym>| LabelSelector {
        match_labels: s.match_labels.iter().map(label).collect(),
        expressions: s.expressions.iter().map(requirement).collect(),
    };
    PodTerms {
        labels: t.labels.iter().map(label).collect(),
        tolerations: t
            .tolerations
            .iter()
            .map(|o| Toleration {
                key: o.key.map(name),
                operator: o.operator,
                value: name(o.value),
                effect: o.effect,
                seconds: o.seconds,
            })
            .collect(),
        node_selector: t.node_selector.iter().map(label).collect(),
        required: t.required.iter().map(term).collect(),
        preferred: t
            .preferred
            .iter()
            .map(|p| PreferredTerm {
                weight: p.weight,
                term: term(&p.term),
            })
            .collect(),
        pod_affinity: t
            .pod_affinity
            .iter()
            .map(|p| PodAffinityTerm {
                anti: p.anti,
                weight: p.weight,
                selector: selector(&p.selector),
                topology_key: name(p.topology_key),
            })
            .collect(),
        spread: t
            .spread
            .iter()
            .map(|c| TopologySpreadConstraint {
                max_skew: c.max_skew,
                topology_key: name(c.topology_key),
                when: c.when,
                min_domains: c.min_domains,
                node_affinity_policy: c.node_affinity_policy,
                node_taints_policy: c.node_taints_policy,
                selector: c.selector.as_ref().map(selector),
            })
            .collect(),
    }
}
