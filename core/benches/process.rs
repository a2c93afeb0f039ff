//! Per-sample cost of every module's process(), and of the hub stepping large worlds under
//! churn. Each benchmark iteration processes BLOCK samples; divide by BLOCK for per-sample.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kuberack_core::{create_module, Module, PortBuffers, Registry};
use kuberack_protocol::{tag::tag_to_volts, MAX_CHANNELS};

const BLOCK: usize = 1024;
const SAMPLE_RATE: f32 = 48_000.0;

/// A module with its own buffers.
struct Bench {
    module: Box<dyn Module>,
    bufs: PortBuffers,
}

impl Bench {
    fn new(slug: &str, registry: &Arc<Registry>) -> Bench {
        let mut module = create_module(slug, registry).unwrap();
        module.set_sample_rate(SAMPLE_RATE);
        let bufs = PortBuffers::new(module.descriptor());
        Bench { module, bufs }
    }

    fn param(&mut self, id: &str, v: f32) {
        let i = self.module.descriptor().param_index(id).unwrap();
        self.bufs.params[i] = v;
    }

    /// Patches the hub's API reference into this member's API input.
    fn join(&mut self, hub_tag: u32) {
        let i = self.module.descriptor().input_index("API").unwrap();
        self.bufs.inputs[i * MAX_CHANNELS] = tag_to_volts(hub_tag);
        self.bufs.input_channels[i] = 1;
    }

    /// Drives an input from outside (one channel).
    fn drive(&mut self, id: &str, volts: f32) {
        let i = self.module.descriptor().input_index(id).unwrap();
        self.bufs.inputs[i * MAX_CHANNELS] = volts;
        self.bufs.input_channels[i] = 1;
    }

    /// An output's channel 0.
    fn output(&self, id: &str) -> f32 {
        let o = self.module.descriptor().output_index(id).unwrap();
        self.bufs.outputs[o * MAX_CHANNELS]
    }

    /// Squares on the request inputs: a request every 48 samples, a write every 480.
    fn process_with_requests(&mut self, i: usize) {
        let high = |period: usize| if i % period < period / 2 { 10.0 } else { 0.0 };
        match self.module.descriptor().slug {
            "Service" | "Ingress" => self.drive("REQUEST", high(48)),
            "Etcd" => self.drive("WRITE", high(480)),
            _ => {}
        }
        self.process();
    }

    fn process(&mut self) {
        self.module.process(&mut self.bufs.io());
    }
}

/// A hub with `pools` NODE pools of `per_pool` nodes and `deployments` Deployments of
/// `replicas` pods each, converged.
struct Cluster {
    registry: Arc<Registry>,
    hub_tag: u32,
    hub: Bench,
    members: Vec<Bench>,
    deployments: std::ops::Range<usize>,
}

impl Cluster {
    fn new(pools: usize, per_pool: u32, deployments: usize, replicas: f32) -> Cluster {
        let registry = Registry::new();
        let mut hub = Bench::new("Cluster", &registry);
        let tag = hub
            .module
            .as_any()
            .downcast_ref::<kuberack_core::modules::ClusterModule>()
            .unwrap()
            .tag();
        let mut members = Vec::new();
        for _ in 0..pools {
            let mut n = Bench::new("Node", &registry);
            n.param("COUNT", per_pool as f32);
            n.param("CPU", 8.0);
            n.param("MEMORY", 32.0);
            n.join(tag);
            members.push(n);
        }
        for _ in 0..deployments {
            let mut d = Bench::new("Deployment", &registry);
            d.param("REPLICAS", replicas.min(32.0));
            d.param("CPU", 20.0);
            d.param("MEMORY", 8.0);
            d.join(tag);
            // Beyond the knob's 32, the CV adds the rest (1 V per replica).
            let cv = d.module.descriptor().input_index("REPLICAS").unwrap();
            d.bufs.inputs[cv * MAX_CHANNELS] = (replicas - 32.0).max(0.0);
            d.bufs.input_channels[cv] = 1;
            members.push(d);
        }
        hub.param("WARP", 1.0); // 10x: converge quickly
        let mut c = Cluster {
            registry,
            hub_tag: tag,
            hub,
            deployments: pools..pools + deployments,
            members,
        };
        for m in &mut c.members {
            m.process();
        }
        for _ in 0..(SAMPLE_RATE as usize * 6) {
            c.hub.process();
        }
        c.hub.param("WARP", 0.0); // measure at real time
        c
    }

    /// Adds a POD (gate high), a SERVICE over the first Deployment taking a request every
    /// 1 ms, an INGRESS routing those requests, an ETCD taking a write every 10 ms and a
    /// SCHEDULER (bin-packing) configuring the hub; runs until the pod and the endpoints are
    /// Ready.
    fn add_request_path(&mut self) {
        let mut pod = Bench::new("Pod", &self.registry);
        pod.join(self.hub_tag);
        pod.drive("GATE", 10.0);
        let mut svc = Bench::new("Service", &self.registry);
        svc.join(self.hub_tag);
        let selector = self.members[self.deployments.start].output("SELECTOR");
        svc.drive("SELECTOR", selector);
        let ingress = Bench::new("Ingress", &self.registry);
        let mut etcd = Bench::new("Etcd", &self.registry);
        etcd.join(self.hub_tag);
        let mut scheduler = Bench::new("Scheduler", &self.registry);
        scheduler.join(self.hub_tag);
        scheduler.param("STRATEGY", 1.0);
        let first = self.members.len();
        self.members.extend([pod, svc, ingress, etcd, scheduler]);
        for _ in 0..(SAMPLE_RATE as usize * 3) {
            for m in &mut self.members[first..] {
                m.process();
            }
            self.hub.process();
        }
    }

    fn pods(&self) -> usize {
        self.hub
            .module
            .as_any()
            .downcast_ref::<kuberack_core::modules::ClusterModule>()
            .unwrap()
            .world()
            .pod_count()
    }
}

fn members(c: &mut Criterion) {
    let mut group = c.benchmark_group("process per sample");
    group.throughput(Throughput::Elements(BLOCK as u64));
    let mut cluster = Cluster::new(2, 4, 2, 8.0);
    cluster.add_request_path();
    for slug in [
        "Node",
        "Deployment",
        "Pod",
        "Service",
        "Ingress",
        "Etcd",
        "Scheduler",
    ] {
        let index = cluster
            .members
            .iter()
            .position(|m| m.module.descriptor().slug == slug)
            .unwrap();
        group.bench_function(slug, |b| {
            b.iter(|| {
                for i in 0..BLOCK {
                    cluster.members[index].process_with_requests(i);
                }
                black_box(&cluster.members[index].bufs.outputs);
            })
        });
    }
    group.bench_function("Cluster (small world)", |b| {
        b.iter(|| {
            for _ in 0..BLOCK {
                cluster.hub.process();
            }
            black_box(&cluster.hub.bufs.outputs);
        })
    });
    group.finish();
}

/// The hub stepping a big world while Deployments scale up and down in turn.
fn hub_under_churn(
    c: &mut Criterion,
    name: &str,
    pools: usize,
    per_pool: u32,
    deployments: usize,
    replicas: f32,
) {
    let mut cluster = Cluster::new(pools, per_pool, deployments, replicas);
    let pods = cluster.pods();
    let mut group = c.benchmark_group("hub per sample under churn");
    group.throughput(Throughput::Elements(BLOCK as u64));
    group.sample_size(20);
    let mut turn = 0usize;
    group.bench_function(format!("{name} ({pods} pods)"), |b| {
        b.iter(|| {
            // Churn: one Deployment moves between replicas and replicas - 5 every block.
            let d = cluster.deployments.start + turn % cluster.deployments.len();
            let member = &mut cluster.members[d];
            let knob = member.module.descriptor().param_index("REPLICAS").unwrap();
            let low = (replicas - 5.0).min(32.0);
            member.bufs.params[knob] = if member.bufs.params[knob] == low {
                replicas.min(32.0)
            } else {
                low
            };
            member.process();
            turn += 1;
            for _ in 0..BLOCK {
                cluster.hub.process();
            }
            black_box(&cluster.hub.bufs.outputs);
        })
    });
    group.finish();
}

fn worlds(c: &mut Criterion) {
    hub_under_churn(c, "100 nodes", 10, 10, 25, 40.0);
    hub_under_churn(c, "1000 nodes", 63, 16, 250, 40.0);
}

criterion_group!(benches, members, worlds);
criterion_main!(benches);
