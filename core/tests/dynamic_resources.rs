//! Devices in the world: a pool's DEVICES declaration (mana as an extended resource, mana
//! wells for dynamic resource allocation), the DynamicResources filter, allocation at bind
//! and release when the pod goes.

mod world;

use kuberack_core::devices::{AccessMode, Unsatisfiable, CHANNELS_CAPACITY, MANA_CAPACITY};
use kuberack_core::forge::Essence;
use kuberack_core::world::autoscaler::AutoscalerSpec;
use kuberack_core::world::constraints::SchedulingSpec;
use kuberack_core::world::events::EventKind;
use kuberack_core::world::mana::{essence_index, Mana};
use kuberack_core::world::{JobSpec, PodClaim, PoolDevicesSpec, World, MAX_DEVICE_POOLS, NONE};
use world::{pool, run, world};

fn fire(mana: u32, wells: u32) -> PoolDevicesSpec {
    PoolDevicesSpec {
        essence: essence_index(Essence::Fire),
        mana,
        wells,
    }
}

fn claim(count: u8, mana: u32, access: AccessMode) -> PodClaim {
    PodClaim {
        essence: essence_index(Essence::Fire),
        count,
        mana,
        access,
    }
}

/// A Job of `pods` long-running pods, each with its own `claim`, tolerating the fire taint.
fn claiming_job(claim: PodClaim, pods: u32) -> JobSpec {
    JobSpec {
        completions: pods,
        parallelism: pods,
        claim,
        run_seconds: 600.0,
        scheduling: SchedulingSpec {
            tolerates_energy: claim.essence,
            ..SchedulingSpec::default()
        },
        ..JobSpec::default()
    }
}

/// FailedScheduling for a pod whose claim no device can satisfy: DynamicResources' PostFilter
/// has nothing to deallocate, and preemption cannot help.
const CANNOT_ALLOCATE: &str = "0/1 nodes are available: 1 cannot allocate all claims. \
     still not schedulable, preemption: 0/1 nodes are available: \
     1 Preemption is not helpful for scheduling.";

fn failure_messages(w: &World) -> Vec<String> {
    w.events()
        .since(0)
        .1
        .filter(|e| e.kind == EventKind::PodFailedScheduling)
        .map(|e| {
            w.events().to_json(e)["message"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn bound(w: &World, job: u32) -> usize {
    w.job_pods(job).filter(|p| p.node != NONE).count()
}

#[test]
fn a_declaration_sets_the_pools_mana_label_and_taint_and_publishes_wells() {
    let mut w = world(5);
    w.apply_node_pool(1, pool(2, 8));
    assert!(w.apply_pool_devices(1, fire(8, 3)));
    run(&mut w, 3.0);
    for (_, n) in w.nodes() {
        assert_eq!(n.mana, Mana::of(Essence::Fire, 8));
    }
    // The NODE module's spec (no mana) applied again does not undo the declaration.
    w.apply_node_pool(1, pool(2, 8));
    run(&mut w, 0.1);
    assert!(w.nodes().all(|(_, n)| n.mana == Mana::of(Essence::Fire, 8)));
    let devices = w.pool_devices(1).unwrap();
    assert_eq!(devices.node_count(), 2);
    assert_eq!(devices.devices().len(), 3);
    // 8 shared out over three wells: 3, 3, 2.
    assert_eq!(devices.capacity(MANA_CAPACITY), 16);
    // Withdrawn: no mana, no wells.
    w.delete_pool_devices(1);
    w.apply_node_pool(1, pool(2, 8));
    run(&mut w, 0.1);
    assert!(w.nodes().all(|(_, n)| n.mana == Mana::NONE));
    assert!(w.pool_devices(1).is_none());
}

#[test]
fn a_claim_is_allocated_at_bind_and_released_when_the_pod_is_deleted() {
    let mut w = world(5);
    w.apply_node_pool(1, pool(1, 8));
    w.apply_pool_devices(1, fire(8, 2));
    run(&mut w, 3.0);
    let job = w
        .create_job(claiming_job(claim(1, 3, AccessMode::ReadWriteShared), 1))
        .unwrap();
    run(&mut w, 3.0);
    assert_eq!(bound(&w, job), 1);
    let devices = w.pool_devices(1).unwrap();
    assert_eq!(devices.allocated(MANA_CAPACITY), 3);
    assert_eq!(devices.allocated(CHANNELS_CAPACITY), 1);
    assert_eq!(devices.devices_in_use(), 1);
    assert_eq!(devices.available(MANA_CAPACITY), 5);
    w.delete_job(job);
    run(&mut w, 40.0);
    assert_eq!(w.pod_count(), 0);
    let devices = w.pool_devices(1).unwrap();
    assert_eq!(devices.allocated(MANA_CAPACITY), 0);
    assert_eq!(devices.devices_in_use(), 0);
}

#[test]
fn a_finished_pod_releases_its_wells_for_the_next() {
    let mut w = world(5);
    w.apply_node_pool(1, pool(1, 8));
    w.apply_pool_devices(1, fire(4, 1));
    run(&mut w, 3.0);
    // Two completions, one exclusive well: the pods run one after the other.
    let spec = JobSpec {
        parallelism: 2,
        completions: 2,
        run_seconds: 5.0,
        ..claiming_job(claim(1, 0, AccessMode::ReadWriteExclusive), 2)
    };
    let job = w.create_job(spec).unwrap();
    run(&mut w, 3.0);
    assert_eq!(bound(&w, job), 1);
    run(&mut w, 60.0);
    assert_eq!(w.job(job).unwrap().succeeded, 2);
    assert_eq!(w.pool_devices(1).unwrap().devices_in_use(), 0);
}

#[test]
fn exclusive_claims_take_a_well_each_and_shared_claims_share_it() {
    let mut w = world(5);
    w.apply_node_pool(1, pool(1, 8));
    w.apply_pool_devices(1, fire(8, 1));
    run(&mut w, 3.0);
    let exclusive = w
        .create_job(claiming_job(claim(1, 1, AccessMode::ReadWriteExclusive), 2))
        .unwrap();
    run(&mut w, 5.0);
    assert_eq!(bound(&w, exclusive), 1);
    let waiting = w
        .pods()
        .find(|(_, p)| p.node == NONE)
        .map(|(i, _)| i)
        .unwrap();
    assert_eq!(
        w.claim_unsatisfiable(waiting),
        Some(Unsatisfiable::AccessModeConflict)
    );
    assert!(failure_messages(&w).iter().any(|m| m == CANNOT_ALLOCATE));
    w.delete_job(exclusive);
    run(&mut w, 40.0);
    // Shared: pods of 2 mana on one well of 8 mana and 4 channels: four fit, the fifth
    // finds both used up.
    let shared = w
        .create_job(claiming_job(claim(1, 2, AccessMode::ReadWriteShared), 5))
        .unwrap();
    run(&mut w, 20.0);
    assert_eq!(bound(&w, shared), 4);
    let devices = w.pool_devices(1).unwrap();
    assert_eq!(devices.allocated(MANA_CAPACITY), 8);
    assert_eq!(
        devices.devices()[0].allocations().len(),
        0,
        "template untouched"
    );
    let node = devices.node(0).unwrap();
    assert_eq!(node.devices()[0].allocations().len(), 4);
}

#[test]
fn a_claim_no_device_satisfies_stays_unschedulable_and_scales_nothing_up() {
    let mut w = world(5);
    w.apply_node_pool(1, pool(1, 8));
    w.apply_pool_devices(1, fire(8, 2));
    w.apply_autoscaler(
        1,
        AutoscalerSpec {
            min_nodes: 1,
            max_nodes: 4,
            scale_up_window: 0.0,
            ..AutoscalerSpec::default()
        },
    );
    // minNodes: the autoscaler launches the pool's node.
    run(&mut w, 60.0);
    assert_eq!(w.node_count(), 1);
    let ups = w.autoscaler(1).unwrap().scale_ups;
    // Three wells asked, two per node: no node, present or future, can allocate it.
    let job = w
        .create_job(claiming_job(claim(3, 0, AccessMode::ReadOnlyShared), 1))
        .unwrap();
    run(&mut w, 120.0);
    assert_eq!(bound(&w, job), 0);
    let (index, _) = w.pods().next().unwrap();
    assert_eq!(
        w.claim_unsatisfiable(index),
        Some(Unsatisfiable::NotEnoughDevices)
    );
    let msgs = failure_messages(&w);
    assert!(!msgs.is_empty());
    assert!(msgs.iter().all(|m| m == CANNOT_ALLOCATE));
    let a = w.autoscaler(1).unwrap();
    assert_eq!((a.scale_ups, a.pending_pods), (ups, 0));
    assert_eq!(w.node_count(), 1);
}

#[test]
fn pods_waiting_for_used_up_wells_scale_the_pool_up_and_hold_their_node() {
    let mut w = world(5);
    w.apply_node_pool(1, pool(1, 8));
    w.apply_pool_devices(1, fire(4, 1));
    w.apply_autoscaler(
        1,
        AutoscalerSpec {
            min_nodes: 1,
            max_nodes: 4,
            scale_up_window: 0.0,
            scale_down_window: 5.0,
            ..AutoscalerSpec::default()
        },
    );
    // minNodes: the autoscaler launches the pool's node.
    run(&mut w, 60.0);
    assert_eq!(w.node_count(), 1);
    let ups = w.autoscaler(1).unwrap().scale_ups;
    let first = w
        .create_job(claiming_job(claim(1, 4, AccessMode::ReadWriteExclusive), 1))
        .unwrap();
    run(&mut w, 5.0);
    assert_eq!(bound(&w, first), 1);
    // The only well is taken, though cpu, memory and mana have room: the plan sees that the
    // pod's claim fits no existing node's wells and adds a node for it.
    let second = w
        .create_job(claiming_job(claim(1, 4, AccessMode::ReadWriteExclusive), 1))
        .unwrap();
    run(&mut w, 60.0);
    assert_eq!(w.autoscaler(1).unwrap().scale_ups, ups + 1);
    assert_eq!(w.node_count(), 2);
    assert_eq!(bound(&w, second), 1);
    // Each node's pod would fit the other node's cpu, but not its wells: neither node is
    // drained while the claims run.
    run(&mut w, 60.0);
    assert_eq!(w.node_count(), 2);
    assert_eq!(w.autoscaler(1).unwrap().scale_downs, 0);
    // Done: the pool shrinks back to minNodes.
    w.delete_job(first);
    w.delete_job(second);
    run(&mut w, 120.0);
    assert_eq!(w.node_count(), 1);
}

#[test]
fn fewer_wells_evict_the_pods_whose_claims_no_longer_fit() {
    let mut w = world(5);
    w.apply_node_pool(1, pool(1, 8));
    w.apply_pool_devices(1, fire(8, 2));
    run(&mut w, 3.0);
    let job = w
        .create_job(claiming_job(claim(1, 0, AccessMode::ReadWriteExclusive), 2))
        .unwrap();
    run(&mut w, 5.0);
    assert_eq!(bound(&w, job), 2);
    w.apply_pool_devices(1, fire(8, 1));
    run(&mut w, 0.1);
    assert_eq!(w.stats().evictions, 1);
    assert_eq!(w.pool_devices(1).unwrap().devices_in_use(), 1);
    // The same declaration again changes nothing.
    w.apply_pool_devices(1, fire(8, 1));
    run(&mut w, 0.1);
    assert_eq!(w.stats().evictions, 1);
}

#[test]
fn declarations_beyond_the_tables_are_refused_and_bad_specs_are_clamped() {
    let mut w = world(5);
    for tag in 1..=MAX_DEVICE_POOLS as u32 + 1 {
        w.apply_node_pool(tag, pool(1, 8));
    }
    for tag in 1..=MAX_DEVICE_POOLS as u32 {
        assert!(w.apply_pool_devices(tag, fire(8, 1)));
    }
    assert!(!w.apply_pool_devices(MAX_DEVICE_POOLS as u32 + 1, fire(8, 1)));
    assert!(!w.apply_pool_devices(0, fire(8, 1)));
    w.delete_pool_devices(1);
    let odd = PoolDevicesSpec {
        essence: 9,
        mana: u32::MAX,
        wells: u32::MAX,
    };
    assert!(w.apply_pool_devices(2, odd));
    assert_eq!(w.pool_devices_spec(2), Some(PoolDevicesSpec::default()));
    assert!(w.apply_pool_devices(3, fire(u32::MAX, u32::MAX)));
    assert_eq!(w.pool_devices(3).unwrap().devices().len(), 8);
    run(&mut w, 2.0);
}

/// Rebuilding a pool's wells runs on the audio path: it must fit a small thread stack
/// (macOS gives worker threads 512 KB; a node's device table is tens of KB).
#[test]
fn redeclaring_wells_fits_a_small_stack() {
    let mut w = world(5);
    w.apply_node_pool(1, pool(4, 8));
    run(&mut w, 3.0);
    let w = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || {
            for wells in [1, 8, 3, 8] {
                assert!(w.apply_pool_devices(1, fire(16, wells)));
                w.step(0.01);
            }
            w
        })
        .unwrap()
        .join()
        .expect("the rebuild overflowed a 128 KB stack");
    assert!(w.node_count() > 0);
}
