//! The mirror's view of the real cluster: the facts of every watched pod, node and Workload,
//! the events their changes are, and the summary the hub shows. One state machine for the
//! live watchers and for a replayed trace, so both are heard alike; while a recorder is
//! attached, every change it takes is written to the trace.

use crate::labels::MODULE_KEY;
use crate::mirror::{module_of, node_transitions, pod_transitions, NodeFacts, PodFacts};
use crate::selector::LabelQuery;
use crate::trace::format::{TraceKind, Verb};
use crate::trace::prune;
use crate::trace::recorder::Recorder;
use crate::workloads::{workload_transitions, WorkloadFacts};
use k8s_openapi::api::core::v1::{Node, Pod};
use kuberack_core::live::{Change, MirrorKind, ObjectKind, Observed, RealSummary, Status, SyncEnd};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Observed events one object's change can make at most (a pod seen first already
/// terminating after being preempted: created, scheduled, running, ready, preempted,
/// terminating).
pub const MAX_EVENTS_PER_CHANGE: usize = 8;

/// A watched object as the watcher (or a trace) hands it over.
#[derive(Clone, Copy, Debug)]
pub enum Seen<'a> {
    /// A Pod.
    Pod(&'a Pod),
    /// A Node.
    Node(&'a Node),
    /// A Kueue Workload, as JSON.
    Workload(&'a Value),
}

impl Seen<'_> {
    fn kind(&self) -> TraceKind {
        match self {
            Seen::Pod(_) => TraceKind::Pod,
            Seen::Node(_) => TraceKind::Node,
            Seen::Workload(_) => TraceKind::Workload,
        }
    }

    /// The object's name and its fields the mirror reads.
    fn pruned(&self) -> (String, Value) {
        let (name, pruned) = match self {
            Seen::Pod(p) => (
                p.metadata.name.clone(),
                prune::pod(&serde_json::to_value(p).unwrap_or_default()),
            ),
            Seen::Node(n) => (
                n.metadata.name.clone(),
                prune::node(&serde_json::to_value(n).unwrap_or_default()),
            ),
            Seen::Workload(w) => (
                w["metadata"]["name"].as_str().map(str::to_owned),
                prune::workload(w),
            ),
        };
        (name.unwrap_or_default(), pruned)
    }
}

/// Each NODE's pool selector, by module id, as the hub's desired changes give them: how
/// the mirror maps real nodes without a `kuberack.io/module` label to NODE pools.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolSelectors(BTreeMap<u64, LabelQuery>);

impl PoolSelectors {
    /// Follows one desired change (a NODE applied or removed); true when a selector changed.
    pub fn follow(&mut self, change: &Change) -> bool {
        let (module, id) = match change {
            Change::Apply(obj) if obj.key.kind == ObjectKind::Node => {
                (obj.key.module, obj.pool_selector)
            }
            Change::Remove(key) if key.kind == ObjectKind::Node => (key.module, 0),
            _ => return false,
        };
        let required = match id {
            0 => Vec::new(),
            id => kuberack_core::world::terms::table::pod_terms_text(id).required,
        };
        let new = (!required.is_empty()).then(|| LabelQuery::of(required));
        let before = match &new {
            None => self.0.remove(&module),
            Some(query) => self.0.insert(module, query.clone()),
        };
        before != new
    }
}

/// What the mirror knows of the real cluster in one sync session (or one replay).
#[derive(Default)]
pub struct MirrorState {
    pods: HashMap<String, PodFacts>,
    nodes: HashMap<String, NodeFacts>,
    workloads: HashMap<String, WorkloadFacts>,
    /// Every object's last state, reduced to what the mirror reads.
    objects: BTreeMap<(TraceKind, String), Value>,
    /// The kinds whose first list is complete.
    listed: BTreeSet<TraceKind>,
    /// The kinds being relisted, with the names seen so far.
    relisting: HashMap<TraceKind, HashSet<String>>,
    recorder: Option<Recorder>,
}

impl MirrorState {
    /// Knows nothing yet.
    pub fn new() -> MirrorState {
        MirrorState::default()
    }

    /// The real pods by name.
    pub fn pods(&self) -> &HashMap<String, PodFacts> {
        &self.pods
    }

    /// The real nodes by name.
    pub fn nodes(&self) -> &HashMap<String, NodeFacts> {
        &self.nodes
    }

    /// The Workloads by name.
    pub fn workloads(&self) -> &HashMap<String, WorkloadFacts> {
        &self.workloads
    }

    /// Whether the first list of `kind` is complete.
    pub fn is_listed(&self, kind: TraceKind) -> bool {
        self.listed.contains(&kind)
    }

    /// Starts recording to `recorder`: a `Session started` line, then everything known now
    /// as `added` and the kinds listed as `listed`, so the trace stands on its own.
    pub fn attach(&mut self, recorder: Recorder) {
        self.recorder = Some(recorder);
        self.record(TraceKind::Session, Verb::Started, "", None);
        let objects = std::mem::take(&mut self.objects);
        for ((kind, name), object) in &objects {
            self.record(*kind, Verb::Added, name, Some(object));
        }
        self.objects = objects;
        for kind in self.listed.clone() {
            self.record(kind, Verb::Listed, "", None);
        }
    }

    /// Stops recording; the recorder, if one was attached.
    pub fn detach(&mut self) -> Option<Recorder> {
        self.recorder.take()
    }

    /// Whether a recorder is attached.
    pub fn is_recording(&self) -> bool {
        self.recorder.is_some()
    }

    /// An object added or changed: the events of its change go to `end`. Changes to
    /// fields the mirror does not read are nothing.
    pub fn apply(&mut self, end: &mut SyncEnd, seen: Seen<'_>) {
        let kind = seen.kind();
        let (name, pruned) = seen.pruned();
        if let Some(names) = self.relisting.get_mut(&kind) {
            names.insert(name.clone());
        }
        let key = (kind, name);
        let verb = match self.objects.get(&key) {
            Some(last) if *last == pruned => return,
            Some(_) => Verb::Modified,
            None => Verb::Added,
        };
        let name = &key.1;
        match seen {
            Seen::Pod(pod) => {
                let facts = PodFacts::of(pod);
                let module = module_label(pod.metadata.labels.as_ref());
                emit_pod(end, name, module, self.pods.get(name), Some(&facts));
                self.pods.insert(name.clone(), facts);
            }
            Seen::Node(node) => {
                let facts = NodeFacts::of(node);
                emit_node(end, name, self.nodes.get(name), Some(&facts));
                self.nodes.insert(name.clone(), facts);
            }
            Seen::Workload(wl) => {
                let facts = WorkloadFacts::of(wl);
                // The first list only learns what is there: Workloads admitted before sync
                // started (or while it reconnected) fire nothing.
                if self.is_listed(TraceKind::Workload) {
                    emit_workload(end, name, self.workloads.get(name), Some(&facts));
                }
                self.workloads.insert(name.clone(), facts);
            }
        }
        self.record(kind, verb, name, Some(&pruned));
        self.objects.insert(key, pruned);
    }

    /// The object `name` of `kind` deleted: its deletion's event goes to `end`.
    pub fn delete(&mut self, end: &mut SyncEnd, kind: TraceKind, name: &str) {
        let Some(last) = self.objects.remove(&(kind, name.to_owned())) else {
            return;
        };
        match kind {
            TraceKind::Pod => {
                let module = last["metadata"]["labels"][MODULE_KEY]
                    .as_str()
                    .and_then(module_of)
                    .unwrap_or(0);
                let old = self.pods.remove(name);
                emit_pod(end, name, module, old.as_ref(), None);
            }
            TraceKind::Node => {
                let old = self.nodes.remove(name);
                emit_node(end, name, old.as_ref(), None);
            }
            TraceKind::Workload => {
                let old = self.workloads.remove(name);
                emit_workload(end, name, old.as_ref(), None);
            }
            TraceKind::Session => {}
        }
        self.record(kind, Verb::Deleted, name, Some(&last));
    }

    /// A (re)list of `kind` begins: what it does not name by its end is deleted.
    pub fn relist_begin(&mut self, kind: TraceKind) {
        self.relisting.insert(kind, HashSet::new());
    }

    /// The list of `kind` is complete: objects a relist did not name are deleted, and the
    /// kind is listed.
    pub fn relist_done(&mut self, end: &mut SyncEnd, kind: TraceKind) {
        if let Some(seen) = self.relisting.remove(&kind) {
            let gone: Vec<String> = self
                .objects
                .keys()
                .filter(|(k, name)| *k == kind && !seen.contains(name))
                .map(|(_, name)| name.clone())
                .collect();
            for name in gone {
                self.delete(end, kind, &name);
            }
        }
        self.listed.insert(kind);
        self.record(kind, Verb::Listed, "", None);
    }

    /// Publishes the real nodes' count, the CPU requested on them, the pools and the
    /// summary channels to `status`, once pods and nodes have both been listed.
    pub fn publish(&self, status: &Status, pool_selectors: &PoolSelectors) {
        if !(self.is_listed(TraceKind::Pod) && self.is_listed(TraceKind::Node)) {
            return;
        }
        let mut real = RealSummary {
            nodes: self.nodes.len().min(u32::MAX as usize) as u32,
            ..RealSummary::default()
        };
        for node in self.nodes.values() {
            real.ready_nodes += u32::from(node.ready);
            real.cpu_allocatable_m = real
                .cpu_allocatable_m
                .saturating_add(node.cpu_allocatable_m);
        }
        for pod in self.pods.values() {
            real.cpu_requested_m = real.cpu_requested_m.saturating_add(pod.cpu_requested_m);
        }
        status.set_real_pools(&crate::summary::real_pools(
            &self.nodes,
            &self.pods,
            &pool_selectors.0,
        ));
        status.set_real_channels(&crate::summary::cluster_channels(&self.nodes, &self.pods));
        status.set_real(Some(real));
    }

    fn record(&mut self, kind: TraceKind, verb: Verb, name: &str, object: Option<&Value>) {
        if let Some(recorder) = &mut self.recorder {
            if !recorder.write(kind, verb, name, object) {
                self.recorder = None;
            }
        }
    }
}

fn emit_pod(
    end: &mut SyncEnd,
    name: &str,
    module: u64,
    old: Option<&PodFacts>,
    new: Option<&PodFacts>,
) {
    pod_transitions(old, new, |kind| {
        end.push_observed(Observed::of(kind, module).named(name))
    });
}

fn emit_node(end: &mut SyncEnd, name: &str, old: Option<&NodeFacts>, new: Option<&NodeFacts>) {
    node_transitions(old, new, |kind| {
        end.push_observed(Observed::of(kind, 0).named(name))
    });
}

fn emit_workload(
    end: &mut SyncEnd,
    name: &str,
    old: Option<&WorkloadFacts>,
    new: Option<&WorkloadFacts>,
) {
    let Some(facts) = new.or(old) else { return };
    let (module, queue) = (facts.module, facts.queue);
    workload_transitions(old, new, |kind| {
        end.push_observed(Observed {
            queue,
            ..Observed::of(MirrorKind::World(kind), module).named(name)
        })
    });
}

/// The Rack module id in an object's `kuberack.io/module` label (0: none).
pub fn module_label(labels: Option<&BTreeMap<String, String>>) -> u64 {
    labels
        .and_then(|l| l.get(MODULE_KEY))
        .and_then(|tag| module_of(tag))
        .unwrap_or(0)
}
