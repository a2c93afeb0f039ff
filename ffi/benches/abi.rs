//! The whole C ABI path as the Rack shim drives it: a hub and 16 members of one type, each
//! sample stepping the cables (Rack copies an output's channels into the inputs it feeds),
//! then every module as `KubeModule::process` does it: params and connected input channels
//! copied in, one `kr_module_process` call, the outputs and lights marked written copied
//! back into Rack-like ports. Each iteration runs BLOCK samples; divide by BLOCK for one
//! sample, and subtract the hub alone and divide by 16 for one member.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kuberack_ffi::{
    kr_module_create, kr_module_free, kr_module_process, kr_module_set_sample_rate, KrModule,
    KrProcessArgs, KR_LIGHTS_WRITTEN,
};
use kuberack_protocol::{ModuleDescriptor, MAX_CHANNELS, MODULES};

const BLOCK: usize = 1024;
const MEMBERS: usize = 16;

/// The part of Rack's `engine::Port` the shim touches: 16 voltages and a channel count.
#[derive(Clone, Copy, Default)]
struct Port {
    voltages: [f32; MAX_CHANNELS],
    channels: u8,
}

/// One module as the shim holds it: Rack's params, ports and lights, the shim's buffers
/// and the handle.
struct Shim {
    m: *mut KrModule,
    rack_params: Vec<f32>,
    rack_inputs: Vec<Port>,
    rack_outputs: Vec<Port>,
    rack_lights: Vec<f32>,
    params: Vec<f32>,
    inputs: Vec<f32>,
    input_channels: Vec<u8>,
    outputs: Vec<f32>,
    output_channels: Vec<u8>,
    lights: Vec<f32>,
}

impl Shim {
    fn new(slug: &str) -> Shim {
        let (index, d): (usize, &ModuleDescriptor) = MODULES
            .iter()
            .enumerate()
            .find(|(_, d)| d.slug == slug)
            .map(|(i, d)| (i, *d))
            .expect("a KubeRack model");
        let m = kr_module_create(index as u32);
        assert!(!m.is_null());
        // SAFETY: `m` is live.
        assert_eq!(unsafe { kr_module_set_sample_rate(m, 48_000.0) }, 0);
        Shim {
            m,
            rack_params: d.default_params(),
            rack_inputs: vec![Port::default(); d.inputs.len()],
            // Rack gives a cabled output one channel; these all count as cabled.
            rack_outputs: vec![
                Port {
                    channels: 1,
                    ..Port::default()
                };
                d.outputs.len()
            ],
            rack_lights: vec![0.0; d.lights.len()],
            params: vec![0.0; d.params.len()],
            inputs: vec![0.0; d.inputs.len() * MAX_CHANNELS],
            input_channels: vec![0; d.inputs.len()],
            outputs: vec![0.0; d.outputs.len() * MAX_CHANNELS],
            output_channels: vec![0; d.outputs.len()],
            lights: vec![0.0; d.lights.len()],
        }
    }

    /// One sample, as `KubeModule::process` does it.
    fn process(&mut self) {
        self.params.copy_from_slice(&self.rack_params);
        for (i, port) in self.rack_inputs.iter().enumerate() {
            let n = usize::from(port.channels);
            self.input_channels[i] = port.channels;
            self.inputs[i * MAX_CHANNELS..i * MAX_CHANNELS + n]
                .copy_from_slice(&port.voltages[..n]);
        }
        let mut args = KrProcessArgs {
            params: self.params.as_ptr(),
            num_params: self.params.len() as u32,
            inputs: self.inputs.as_ptr(),
            input_channels: self.input_channels.as_ptr(),
            num_inputs: self.input_channels.len() as u32,
            outputs: self.outputs.as_mut_ptr(),
            output_channels: self.output_channels.as_mut_ptr(),
            num_outputs: self.output_channels.len() as u32,
            lights: self.lights.as_mut_ptr(),
            num_lights: self.lights.len() as u32,
            written: 0,
        };
        // SAFETY: the buffers are sized from the descriptor and outlive the call.
        let status = unsafe { kr_module_process(self.m, &mut args) };
        assert_eq!(status, 0);
        let written = args.written;
        for (i, port) in self.rack_outputs.iter_mut().enumerate() {
            if written & (1 << i) == 0 {
                continue;
            }
            let n = usize::from(self.output_channels[i]).min(MAX_CHANNELS);
            port.channels = n.max(1) as u8;
            port.voltages[..n].copy_from_slice(&self.outputs[i * MAX_CHANNELS..][..n]);
        }
        if written & KR_LIGHTS_WRITTEN != 0 {
            self.rack_lights.copy_from_slice(&self.lights);
        }
    }
}

impl Drop for Shim {
    fn drop(&mut self) {
        // SAFETY: `m` is live and not used afterwards.
        unsafe { kr_module_free(self.m) };
    }
}

/// A hub and `n` members of `slug`, each member's API input cabled from the hub's API output.
struct Rack {
    hub: Shim,
    members: Vec<Shim>,
    hub_api: usize,
    member_api: usize,
}

impl Rack {
    fn new(slug: &str, n: usize) -> Rack {
        let hub = Shim::new("Cluster");
        let members: Vec<Shim> = (0..n).map(|_| Shim::new(slug)).collect();
        let hub_api = MODULES
            .iter()
            .find(|d| d.slug == "Cluster")
            .and_then(|d| d.output_index("API"))
            .expect("the hub's API output");
        let member_api = MODULES
            .iter()
            .find(|d| d.slug == slug)
            .and_then(|d| d.input_index("API"))
            .unwrap_or(0);
        // (A hub alone has no members; the index is then unused.)
        Rack {
            hub,
            members,
            hub_api,
            member_api,
        }
    }

    /// One engine frame: cables, then modules in order.
    fn step(&mut self) {
        let api = self.hub.rack_outputs[self.hub_api];
        for m in &mut self.members {
            m.rack_inputs[self.member_api] = api;
        }
        self.hub.process();
        for m in &mut self.members {
            m.process();
        }
    }
}

fn abi(c: &mut Criterion) {
    let mut group = c.benchmark_group("abi");
    group.throughput(Throughput::Elements(BLOCK as u64));
    let mut hub = Rack::new("Deployment", 0);
    for _ in 0..48_000 {
        hub.step();
    }
    group.bench_function("hub alone", |b| {
        b.iter(|| {
            for _ in 0..BLOCK {
                hub.step();
            }
            black_box(hub.hub.rack_outputs[0].voltages[0])
        })
    });
    drop(hub);
    let members: Vec<&str> = MODULES
        .iter()
        .filter(|d| d.slug != "Cluster" && d.input_index("API").is_some())
        .map(|d| d.slug)
        .collect();
    for slug in members {
        let mut rack = Rack::new(slug, MEMBERS);
        for _ in 0..48_000 {
            rack.step();
        }
        group.bench_function(format!("hub + {MEMBERS} {slug}"), |b| {
            b.iter(|| {
                for _ in 0..BLOCK {
                    rack.step();
                }
                black_box(rack.members[0].rack_outputs[0].voltages[0])
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
        .sample_size(30);
    targets = abi
}
criterion_main!(benches);
