//! The event trace with live sync: the real cluster's events the hub heard are in it, each
//! line naming its source and the lines in time order, while the simulation's own lines are
//! what they are without sync (plus their source). The test stands in for the sync thread
//! at the other end of the hub's queues.

mod common;

use kuberack_cli::patch::load_patch_file;
use kuberack_cli::play::{render, Sinks};
use kuberack_cli::{load, LoadOptions};
use kuberack_core::live::{MirrorKind, Observed};
use kuberack_core::world::events::EventKind;
use kuberack_protocol::modules::cluster::param;
use serde_json::Value;

const RATE: u32 = 48_000;

fn lines(trace: &[u8]) -> Vec<Value> {
    std::str::from_utf8(trace)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Renders the forge fixture for 1 s; with `live`, SYNC on and `heard` pushed as if the
/// cluster had sent them.
fn render_forge(live: bool, heard: &[Observed]) -> Vec<u8> {
    let path = common::crate_dir().join("tests/fixtures/forge-cluster.patch.json");
    let patch = load_patch_file(&path).unwrap();
    let options = LoadOptions {
        sample_rate: RATE as f32,
        seed: Some(7),
    };
    let mut engine = load(&patch, options).unwrap().engine;
    let mut end = None;
    if live {
        let hub = engine
            .modules_mut()
            .iter_mut()
            .find(|m| m.module().live().is_some())
            .unwrap();
        end = hub.module().live().unwrap().take_sync_end();
        hub.set_param(param::SYNC, 1.0);
    }
    if let Some(end) = end.as_mut() {
        for o in heard {
            end.push_observed(*o);
        }
    }
    let mut trace = Vec::new();
    let sinks = Sinks {
        taps: &[],
        wav: None,
        events: Some(&mut trace),
        live,
        replay: None,
    };
    render(&mut engine, u64::from(RATE), sinks, &mut |_| {}).unwrap();
    trace
}

#[test]
fn real_events_join_the_trace_with_their_source_in_time_order() {
    let pod =
        Observed::of(MirrorKind::World(EventKind::PodScheduled), 11).named("deployment-11-abc");
    let node = Observed::of(MirrorKind::World(EventKind::NodeReady), 0).named("fake-0");
    // Of modules not in the patch: no trigger fires, the simulation is untouched.
    let wl = Observed {
        queue: 909,
        ..Observed::of(MirrorKind::World(EventKind::WorkloadAdmitted), 915).named("job-915-1-x")
    };
    let simulated = lines(&render_forge(false, &[]));
    let live = lines(&render_forge(true, &[pod, node, wl]));
    assert!(
        simulated.iter().all(|l| l.get("source").is_none()),
        "no source without sync"
    );
    let cluster: Vec<&Value> = live.iter().filter(|l| l["source"] == "cluster").collect();
    assert_eq!(cluster.len(), 3, "{cluster:?}");
    assert_eq!(cluster[0]["name"], "deployment-11-abc");
    assert_eq!(cluster[0]["kind"], "Pod");
    assert_eq!(cluster[0]["owner"], 11);
    assert_eq!(cluster[0]["reason"], EventKind::PodScheduled.name());
    assert_eq!(cluster[1]["kind"], "Node");
    assert!(cluster[1].get("owner").is_none());
    assert_eq!(
        (cluster[2]["kind"].clone(), cluster[2]["queue"].clone()),
        ("Workload".into(), 909.into())
    );
    // The simulation's lines are the same as without sync, each marked simulated.
    let own: Vec<Value> = live
        .iter()
        .filter(|l| l["source"] == "simulated")
        .map(|l| {
            let mut l = l.clone();
            l.as_object_mut().unwrap().remove("source");
            l
        })
        .collect();
    assert_eq!(own, simulated);
    assert_eq!(own.len() + 3, live.len());
    let times: Vec<f64> = live.iter().map(|l| l["time"].as_f64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
}
