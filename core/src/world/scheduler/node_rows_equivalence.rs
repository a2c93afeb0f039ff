//! The node cache never changes a decision: two frameworks place the same pods (runs of one
//! template, as a Deployment's replicas come), one reading the snapshot's change log (rows
//! reused across cycles), the other a source without a log (every row evaluated anew each
//! cycle), while pods of several templates come and go and nodes are cordoned, tainted,
//! relabelled, added and removed; their decisions, scores and failure lists must agree.

use super::*;
use crate::rng::Rng;
use crate::world::constraints::*;
use crate::world::objects::{Node, ObjectMeta, NONE};
use crate::world::slab::Slab;
use proptest::prelude::*;

const MAX_NODES: usize = 160;

/// The snapshot without its change log.
struct Uncached<'a>(&'a NodeInfos);

impl NodeSource for Uncached<'_> {
    fn node(&self, index: u32) -> Option<NodeInfo> {
        self.0.node(index)
    }
}

#[derive(Debug, Clone)]
enum Op {
    Schedule(usize, usize),
    Remove(usize),
    Terminate(usize),
    Cordon(usize),
    Taint(usize, u8),
    Ready(usize),
    Zone(usize, u8),
    AddNode(u8),
    RemoveNode(usize),
    Config(u8, u32),
    Reserve(usize, usize),
    Unreserve,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => (0..4usize, 1..12usize).prop_map(|(t, n)| Op::Schedule(t, n)),
        2 => any::<usize>().prop_map(Op::Remove),
        2 => any::<usize>().prop_map(Op::Terminate),
        1 => any::<usize>().prop_map(Op::Cordon),
        1 => (any::<usize>(), 0..4u8).prop_map(|(n, t)| Op::Taint(n, t)),
        1 => any::<usize>().prop_map(Op::Ready),
        1 => (any::<usize>(), 0..=ZONES as u8).prop_map(|(n, z)| Op::Zone(n, z)),
        1 => (0..=ZONES as u8).prop_map(Op::AddNode),
        1 => any::<usize>().prop_map(Op::RemoveNode),
        1 => (0..=4u8, prop_oneof![Just(0u32), 1..=100u32]).prop_map(|(k, p)| Op::Config(k, p)),
        1 => (any::<usize>(), 0..4usize).prop_map(|(n, t)| Op::Reserve(n, t)),
        1 => Just(Op::Unreserve),
    ]
}

/// Pod templates: (cpu, memory, scheduling spec).
fn template(t: usize) -> (u32, u32, SchedulingSpec) {
    let spread = |max_skew, key, when| {
        Some(SpreadConstraint {
            max_skew,
            key,
            when,
        })
    };
    match t {
        0 => (
            500,
            512,
            SchedulingSpec {
                preferred_zone: 2,
                spread: spread(1, TopologyKey::Hostname, WhenUnsatisfiable::ScheduleAnyway),
                anti_affinity: AntiAffinity::Preferred,
                ..SchedulingSpec::default()
            },
        ),
        1 => (
            1000,
            1024,
            SchedulingSpec {
                priority: 100,
                tolerates_dedicated: true,
                anti_affinity: AntiAffinity::Required,
                anti_affinity_key: TopologyKey::Zone,
                ..SchedulingSpec::default()
            },
        ),
        2 => (
            300,
            256,
            SchedulingSpec {
                node_selector_zone: 1,
                spread: spread(1, TopologyKey::Hostname, WhenUnsatisfiable::DoNotSchedule),
                ..SchedulingSpec::default()
            },
        ),
        _ => (
            2000,
            4096,
            SchedulingSpec {
                priority: 1000,
                default_spread: true,
                anti_affinity: AntiAffinity::Preferred,
                anti_affinity_key: TopologyKey::Zone,
                ..SchedulingSpec::default()
            },
        ),
    }
}

#[derive(Debug, Clone, Copy)]
struct Placed {
    node: u32,
    app: u32,
    terminating: bool,
    anti: AntiAffinity,
    cpu_m: u32,
    memory_mib: u32,
}

struct Sim {
    nodes: Slab<Node>,
    infos: NodeInfos,
    topo: NodeTopology,
    app: AppPods,
    placed: Vec<Placed>,
    reservations: Vec<Reservation>,
    cached: (Framework, Rng),
    uncached: (Framework, Rng),
}

fn node(zone: u8) -> Node {
    Node {
        meta: ObjectMeta {
            uid: 1,
            resource_version: 1,
            creation_time: 0.0,
        },
        pool: 1,
        ordinal: 0,
        allocatable_cpu_m: 4000,
        allocatable_memory_mib: 8192,
        allocatable_pods: 6,
        requested_cpu_m: 0,
        requested_memory_mib: 0,
        mana: Default::default(),
        requested_mana: 0,
        device_slot: super::NO_DEVICE_SLOT,
        pod_count: 0,
        ready: true,
        kubelet_silent: false,
        last_heartbeat: 0.0,
        unschedulable: false,
        zone,
        taint: TaintEffect::None,
        terms: 0,
        first_pod: NONE,
        last_pod: NONE,
        pool_prev: NONE,
        pool_next: NONE,
    }
}

impl Sim {
    fn new(zones: &[u8]) -> Sim {
        let mut nodes = Slab::with_capacity(MAX_NODES);
        for &z in zones {
            nodes.insert(node(z));
        }
        let mut sim = Sim {
            nodes,
            infos: NodeInfos::with_capacity(MAX_NODES),
            topo: NodeTopology::with_capacity(MAX_NODES),
            app: AppPods::with_capacity(MAX_NODES),
            placed: Vec::new(),
            reservations: Vec::new(),
            cached: (Framework::with_capacity(MAX_NODES), Rng::new(5)),
            uncached: (Framework::with_capacity(MAX_NODES), Rng::new(5)),
        };
        sim.refresh_topology();
        sim
    }

    fn refresh_topology(&mut self) {
        self.topo.rebuild(self.nodes.iter());
        self.infos.rebuild(&self.nodes);
    }

    fn node_index(&self, pick: usize) -> Option<u32> {
        (!self.topo.order.is_empty()).then(|| self.topo.order[pick % self.topo.order.len()])
    }

    /// Counts the app's pods anew (what the world does after other writes).
    fn recount(&mut self, app: u32) {
        self.app.clear(app);
        for p in &self.placed {
            if p.app == app {
                let zone = self.nodes.get(p.node).map_or(0, |n| n.zone);
                self.app.update(p.node, zone, p.terminating, p.anti, true);
            }
        }
    }

    fn unplace(&mut self, i: usize) {
        let p = self.placed.swap_remove(i);
        if let Some(n) = self.nodes.get_mut(p.node) {
            n.requested_cpu_m -= p.cpu_m;
            n.requested_memory_mib -= p.memory_mib;
            n.pod_count -= 1;
            let zone = n.zone;
            if self.app.app() == p.app {
                self.app.update(p.node, zone, p.terminating, p.anti, false);
            }
        }
        self.infos.update(p.node, &self.nodes);
    }

    fn schedule(&mut self, t: usize) {
        let app = t as u32 + 1;
        if self.app.app() != app {
            self.recount(app);
        }
        let (cpu_m, memory_mib, scheduling) = template(t);
        let pod = PodInfo {
            cpu_m,
            memory_mib,
            mana: Default::default(),
            claims: Default::default(),
            app,
            scheduling,
            index: 1000 + self.placed.len() as u32,
        };
        let (fw, rng) = &mut self.cached;
        let a = fw.find_node(
            &self.infos,
            &self.topo,
            &pod,
            &self.app,
            &self.reservations,
            rng,
        );
        let (fw, rng) = &mut self.uncached;
        let b = fw.find_node(
            &Uncached(&self.infos),
            &self.topo,
            &pod,
            &self.app,
            &self.reservations,
            rng,
        );
        assert_eq!(a, b);
        assert_eq!(self.cached.0.candidates(), self.uncached.0.candidates());
        assert_eq!(self.cached.0.failed_nodes(), self.uncached.0.failed_nodes());
        if let Decision::Bind(index) = a {
            let n = self.nodes.get_mut(index).unwrap();
            n.requested_cpu_m += cpu_m;
            n.requested_memory_mib += memory_mib;
            n.pod_count += 1;
            let zone = n.zone;
            self.infos.update(index, &self.nodes);
            self.app
                .update(index, zone, false, scheduling.anti_affinity, true);
            self.placed.push(Placed {
                node: index,
                app,
                terminating: false,
                anti: scheduling.anti_affinity,
                cpu_m,
                memory_mib,
            });
        }
    }

    fn change_node(&mut self, pick: usize, f: impl FnOnce(&mut Node)) {
        if let Some(i) = self.node_index(pick) {
            f(self.nodes.get_mut(i).unwrap());
            self.infos.update(i, &self.nodes);
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Schedule(t, n) => (0..n).for_each(|_| self.schedule(t)),
            Op::Remove(i) if !self.placed.is_empty() => self.unplace(i % self.placed.len()),
            Op::Terminate(i) if !self.placed.is_empty() => {
                let len = self.placed.len();
                let p = &mut self.placed[i % len];
                if !p.terminating && self.app.app() == p.app {
                    // The pod keeps its node's resources; only the app's counts change.
                    let zone = self.nodes.get(p.node).map_or(0, |n| n.zone);
                    self.app.update(p.node, zone, false, p.anti, false);
                    self.app.update(p.node, zone, true, p.anti, true);
                }
                p.terminating = true;
            }
            Op::Cordon(n) => self.change_node(n, |n| n.unschedulable = !n.unschedulable),
            Op::Taint(n, t) => self.change_node(n, |n| {
                n.taint = [
                    TaintEffect::None,
                    TaintEffect::NoSchedule,
                    TaintEffect::PreferNoSchedule,
                    TaintEffect::NoExecute,
                ][usize::from(t)]
            }),
            Op::Ready(n) => self.change_node(n, |n| n.ready = !n.ready),
            Op::Zone(n, z) => {
                self.change_node(n, |n| n.zone = z);
                self.recount(self.app.app());
            }
            Op::AddNode(z) => {
                self.nodes.insert(node(z));
                self.refresh_topology();
            }
            Op::RemoveNode(n) => {
                if let Some(i) = self.node_index(n) {
                    while let Some(k) = self.placed.iter().position(|p| p.node == i) {
                        self.unplace(k);
                    }
                    self.nodes.remove(i);
                    self.refresh_topology();
                }
            }
            Op::Config(knob, percentage) => {
                let config = SchedulerConfig {
                    strategy: ScoringStrategy::from_knob(f32::from(knob) / 4.0),
                    preemption: false,
                    percentage_of_nodes_to_score: percentage,
                };
                self.cached.0.config = config;
                self.uncached.0.config = config;
            }
            Op::Reserve(n, t) => {
                if let Some(node) = self.node_index(n) {
                    let (cpu_m, memory_mib, spec) = template(t);
                    self.reservations.push(Reservation {
                        node,
                        pod: 5000 + self.reservations.len() as u32,
                        priority: spec.priority,
                        cpu_m,
                        memory_mib,
                        mana: 0,
                    });
                }
            }
            Op::Unreserve => self.reservations.clear(),
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn cached_rows_decide_as_rows_evaluated_anew(
        zones in prop::collection::vec(0..=ZONES as u8, 100..150),
        ops in prop::collection::vec(op(), 1..300),
    ) {
        let mut sim = Sim::new(&zones);
        for op in &ops {
            sim.apply(op);
        }
    }
}
