//! The whole import against a real cluster: `kuberack import` of the live API, the patch
//! loaded by the player, SYNC turned on (the import leaves the hub mirror-only): every real
//! node shows on the NODE of its pool (a per-node light each), through the pool selectors
//! alone, and nothing is written. Skipped (one line) without KUBERACK_TEST_KUBECONFIG.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kuberack_cli::patch::load_patch_file;
use kuberack_cli::play::{render, Sinks};
use kuberack_cli::{load, LoadOptions};
use kuberack_protocol::modules::{cluster, node};
use kuberack_sync::import::{fetch::fetch, import, ImportOptions};
use kuberack_sync::{ClusterSource, Supervisor};

const ADMIN_ENV: &str = "KUBERACK_TEST_KUBECONFIG";

#[test]
fn an_imported_cluster_plays_and_its_nodes_show_on_their_pools_mirror_only() {
    let Some(admin) = std::env::var_os(ADMIN_ENV).map(PathBuf::from) else {
        println!("real-cluster import test skipped: {ADMIN_ENV} is not set (set it to the kubeconfig of a disposable cluster to run it)");
        return;
    };
    let options = ImportOptions::default();
    let items = fetch(Some(admin.clone()), &options).expect("the cluster lists");
    let real_nodes = items.iter().filter(|o| o["kind"] == "Node").count();
    let imported = import(&items, &options).unwrap();
    let path = common::scratch("import_live").join("cluster.patch.json");
    std::fs::write(&path, serde_json::to_vec(&imported.patch).unwrap()).unwrap();
    let patch = load_patch_file(&path).unwrap();
    let loaded = load(
        &patch,
        LoadOptions {
            sample_rate: 48_000.0,
            seed: None,
        },
    )
    .unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let mut engine = loaded.engine;
    let hub = engine
        .modules_mut()
        .iter_mut()
        .find(|m| m.module().live().is_some())
        .unwrap();
    let link = hub.module().live().unwrap();
    assert!(
        link.settings().mirror_only,
        "an import mirrors, never writes"
    );
    let hub_id = hub.id();
    let mut sync = Supervisor::new(link).with_source(ClusterSource::Kubeconfig {
        path: Some(admin),
        context: None,
    });
    // The NODEs' simulated pools grow to 16 nodes (8 lit node lights); once the real pools
    // show, each lights one per real node of its pool, as many as the import counted.
    let mut counts = Vec::new();
    for m in engine.modules_mut() {
        if m.descriptor().slug == "Node" {
            counts.push(m.params()[node::param::COUNT] as usize);
            m.set_param(node::param::COUNT, 16.0);
        }
    }
    assert!(
        counts.iter().all(|&c| c < node::light::NODE_COUNT),
        "pools of fewer than 8 nodes: {counts:?}"
    );
    let shown = |engine: &kuberack_cli::Engine| -> Vec<(usize, usize)> {
        engine
            .modules()
            .iter()
            .filter(|m| m.descriptor().slug == "Node")
            .zip(&counts)
            .map(|(m, &count)| {
                let lights = &m.lights()[node::light::NODE_FIRST..][..node::light::NODE_COUNT];
                (lights.iter().filter(|&&b| b > 0.0).count(), count)
            })
            .collect()
    };
    let step = |engine: &mut kuberack_cli::Engine, frames: u64| {
        let sinks = Sinks {
            taps: &[],
            wav: None,
            events: None,
            live: true,
            replay: None,
        };
        render(engine, frames, sinks, &mut |_| {}).unwrap();
    };
    step(&mut engine, 48_000);
    let simulated = shown(&engine);
    assert!(
        simulated
            .iter()
            .all(|&(lit, _)| lit == node::light::NODE_COUNT),
        "before sync, the 16 simulated nodes: {simulated:?}"
    );
    engine
        .module_mut(hub_id)
        .unwrap()
        .set_param(cluster::param::SYNC, 1.0);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut pools = shown(&engine);
    while Instant::now() < deadline {
        sync.poll();
        step(&mut engine, 4800);
        pools = shown(&engine);
        let total: usize = pools.iter().map(|p| p.0).sum();
        if total == real_nodes && pools.iter().all(|(shown, count)| shown == count) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    sync.shutdown();
    let status = sync.status();
    assert_eq!(
        pools.iter().map(|p| p.0).sum::<usize>(),
        real_nodes,
        "every real node on a NODE: {pools:?} ({})",
        status.last_error()
    );
    assert!(
        pools.iter().all(|(shown, count)| shown == count),
        "{pools:?}"
    );
    assert_eq!(status.writes(), 0, "mirror-only");
}
