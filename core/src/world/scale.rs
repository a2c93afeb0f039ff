//! A world at Kubernetes' own scale limits (5,000 nodes, 150,000 pods; upstream's
//! "Considerations for large clusters"), built the same way for the scale benchmark, the
//! zero-allocation and memory tests and the generated scale patch.

use super::workloads::{DeploymentSpec, DeploymentStrategy, IntOrPercent};
use super::{NodePoolSpec, World, WorldConfig};

/// Nodes per pool: one NODE module at its largest COUNT.
pub const SCALE_POOL_NODES: u32 = 1000;
/// Pools (NODE modules).
pub const SCALE_POOLS: u32 = 5;
/// Deployments (DEPLOYMENT modules).
pub const SCALE_DEPLOYMENTS: u32 = 30;
/// Replicas of each Deployment (its REPLICAS knob at most): 150,000 pods in all.
pub const SCALE_REPLICAS: u32 = 5_000;
/// Pod capacity of the world: the pods, and room for rollouts' surge and terminating pods.
pub const SCALE_MAX_PODS: usize = 163_840;
/// Node capacity of the world.
pub const SCALE_MAX_NODES: usize = 5_120;

/// Tag of the `i`th pool's NODE.
pub const fn scale_pool_tag(i: u32) -> u32 {
    1 + i
}

/// Tag of the `i`th Deployment's DEPLOYMENT.
pub const fn scale_deployment_tag(i: u32) -> u32 {
    100 + i
}

/// Node pool `i`: 1,000 nodes of 32 cores, 128 GiB and 110 pods, zones a..d in turn.
pub fn scale_pool_spec(i: u32) -> NodePoolSpec {
    NodePoolSpec {
        count: SCALE_POOL_NODES,
        cpu_m: 32_000,
        memory_mib: 128 * 1024,
        pods: 110,
        zone: (i % 4) as u8 + 1,
        ..NodePoolSpec::default()
    }
}

/// A Deployment of the scale world: 5,000 replicas of 500 m and 512 MiB with this image,
/// RollingUpdate 25 % / 25 %.
pub fn scale_deployment_spec(image: u32) -> DeploymentSpec {
    DeploymentSpec {
        replicas: SCALE_REPLICAS,
        cpu_m: 500,
        memory_mib: 512,
        image,
        strategy: DeploymentStrategy::RollingUpdate {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25),
        },
        ..DeploymentSpec::default()
    }
}

/// The empty world sized for the scale scenario.
pub fn scale_world_config(seed: u64) -> WorldConfig {
    WorldConfig {
        seed,
        max_pods: SCALE_MAX_PODS,
        max_nodes: SCALE_MAX_NODES,
        event_capacity: 8192,
    }
}

/// Applies the pools and Deployments, then steps `dt` at a time until every pod is Ready
/// (or `limit` simulated seconds pass). Returns the simulated seconds it took.
pub fn build_scale_world(w: &mut World, dt: f64, limit: f64) -> f64 {
    for i in 0..SCALE_POOLS {
        w.apply_node_pool(scale_pool_tag(i), scale_pool_spec(i));
    }
    for i in 0..SCALE_DEPLOYMENTS {
        w.apply_deployment(scale_deployment_tag(i), scale_deployment_spec(0));
    }
    let start = w.time();
    let total = SCALE_DEPLOYMENTS * SCALE_REPLICAS;
    while w.time() - start < limit {
        w.step(dt);
        let ready: u32 = (0..SCALE_DEPLOYMENTS)
            .filter_map(|i| w.deployment(scale_deployment_tag(i)))
            .map(|d| d.ready)
            .sum();
        if ready == total && w.pod_count() == total as usize {
            break;
        }
    }
    w.time() - start
}
