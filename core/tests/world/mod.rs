//! Helpers for tests that drive a world directly.

#![allow(dead_code)]

use kuberack_core::kueue::PreemptionPolicy;
use kuberack_core::world::constraints::TaintEffect;
use kuberack_core::world::events::{Event, EventKind};
use kuberack_core::world::mana::Mana;
use kuberack_core::world::queueing::{ClusterQueueConfig, QueueFlavors};
use kuberack_core::world::scheduler::NO_DEVICE_SLOT;
use kuberack_core::world::{Node, NodePoolSpec, ObjectMeta, World, WorldConfig, NONE};

/// A world with room for a few hundred pods.
pub fn world(seed: u64) -> World {
    World::new(WorldConfig {
        seed,
        max_pods: 1024,
        max_nodes: 64,
        event_capacity: 1 << 16,
    })
}

/// A pool of `count` nodes with `cores` cores each and plenty of memory.
pub fn pool(count: u32, cores: u32) -> NodePoolSpec {
    NodePoolSpec {
        count,
        cpu_m: cores * 1000,
        memory_mib: 64 * 1024,
        pods: 110,
        cordoned: false,
        ..Default::default()
    }
}

/// A pool of `count` nodes of 8 cores advertising `mana` each (with its `energy` label and
/// taint).
pub fn mana_pool(count: u32, mana: Mana) -> NodePoolSpec {
    NodePoolSpec {
        mana,
        ..pool(count, 8)
    }
}

/// A ClusterQueue of the fire, frost and arcane flavors (BestEffortFIFO) with `mana` of each
/// essence, plenty of cpu and memory, and `within` as withinClusterQueue.
pub fn essence_queue(mana: u32, within: PreemptionPolicy) -> ClusterQueueConfig {
    ClusterQueueConfig {
        flavors: QueueFlavors::AllEssences,
        cpu_m: 64_000,
        memory_mib: 256 * 1024,
        mana,
        within_cluster_queue: within,
        ..ClusterQueueConfig::default()
    }
}

/// Steps `seconds` in steps of `dt`, calling `check` after each.
pub fn run_checked(w: &mut World, seconds: f64, dt: f64, mut check: impl FnMut(&World)) {
    let steps = (seconds / dt).round() as usize;
    for _ in 0..steps {
        w.step(dt);
        check(w);
    }
}

/// Steps `seconds` in 10 ms steps.
pub fn run(w: &mut World, seconds: f64) {
    run_checked(w, seconds, 0.01, |_| {});
}

/// Every event of a kind still in the ring (compacted history included), oldest first.
pub fn events(w: &World, kind: EventKind) -> Vec<Event> {
    w.events()
        .history()
        .filter(|e| e.kind == kind)
        .copied()
        .collect()
}

/// The messages of every FailedScheduling event still in the ring, oldest first.
pub fn failed_scheduling_messages(w: &World) -> Vec<String> {
    events(w, EventKind::PodFailedScheduling)
        .iter()
        .map(|e| {
            w.events().to_json(e)["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// A bare, ready, empty node for a scheduler framework test: slab index `i`, 8 GiB of memory,
/// 110 pods, with its zone, dedicated taint and NODE terms id.
pub fn node(i: u32, cpu_m: u32, zone: u8, taint: TaintEffect, terms: u16) -> Node {
    Node {
        meta: ObjectMeta {
            uid: u64::from(i) + 1,
            resource_version: 1,
            creation_time: 0.0,
        },
        pool: 1,
        ordinal: i,
        allocatable_cpu_m: cpu_m,
        allocatable_memory_mib: 8192,
        allocatable_pods: 110,
        requested_cpu_m: 0,
        requested_memory_mib: 0,
        mana: Default::default(),
        requested_mana: 0,
        pod_count: 0,
        ready: true,
        kubelet_silent: false,
        last_heartbeat: 0.0,
        unschedulable: false,
        zone,
        taint,
        terms,
        device_slot: NO_DEVICE_SLOT,
        first_pod: NONE,
        last_pod: NONE,
        pool_prev: NONE,
        pool_next: NONE,
    }
}
