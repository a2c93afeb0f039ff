//! Device claims on a node's devices: access modes, capacity arithmetic, constraints,
//! unsatisfiable claims and deallocation, after the k8srm prototype and DRA.

use kuberack_core::devices::*;
use kuberack_core::forge::Essence;

const SLOTS: &str = "example.com/slots";
const MEMORY: &str = "example.com/memory";

fn gpu(name: &'static str, model: &'static str, numa: i64) -> Device {
    Device::new(
        name,
        "gpu.example.com",
        &[
            Attribute {
                name: "example.com/model",
                value: AttributeValue::Str(model),
            },
            Attribute {
                name: "example.com/numa",
                value: AttributeValue::Int(numa),
            },
        ],
    )
    .with_capacity(DeviceCapacity::counter(SLOTS, 4))
    .with_capacity(DeviceCapacity::block(MEMORY, 10_000, 1024))
}

fn gpu_class() -> DeviceClass {
    DeviceClass::new("gpu.example.com", Some("gpu.example.com"), &[])
}

fn claim(uid: u64) -> DeviceClaim {
    DeviceClaim::new(uid, gpu_class())
}

fn chosen(r: &AllocationResult) -> Vec<usize> {
    r.devices().iter().map(|(i, _)| *i).collect()
}

#[test]
fn exclusive_claims_get_a_device_each_and_then_none_is_left() {
    let mut node = NodeDevices::new(&[gpu("gpu-0", "a100", 0), gpu("gpu-1", "a100", 0)]);
    assert_eq!(chosen(&node.allocate(&claim(1)).unwrap()), [0]);
    assert_eq!(chosen(&node.allocate(&claim(2)).unwrap()), [1]);
    assert_eq!(
        node.allocate(&claim(3)),
        Err(Unsatisfiable::AccessModeConflict)
    );
    // Even a reader cannot join a ReadWriteExclusive holder.
    let reader = claim(4).with_access(AccessMode::ReadOnlyShared);
    assert_eq!(
        node.allocate(&reader),
        Err(Unsatisfiable::AccessModeConflict)
    );
}

#[test]
fn shared_modes_follow_k8srm_compatibility() {
    use AccessMode::*;
    let one = || NodeDevices::new(&[gpu("gpu-0", "a100", 0)]);
    // (holder, newcomer, admitted)
    let table = [
        (ReadOnlyShared, ReadOnlyShared, true),
        (ReadOnlyShared, ReadWriteShared, true),
        (ReadOnlyShared, WriteExclusive, true),
        (ReadOnlyShared, ReadWriteExclusive, false),
        (ReadWriteShared, ReadWriteShared, true),
        (ReadWriteShared, WriteExclusive, false),
        (WriteExclusive, ReadOnlyShared, true),
        (WriteExclusive, ReadWriteShared, false),
        (WriteExclusive, WriteExclusive, false),
        (ReadWriteExclusive, ReadOnlyShared, false),
    ];
    for (holder, newcomer, admitted) in table {
        let mut node = one();
        node.allocate(&claim(1).with_access(holder)).unwrap();
        let got = node.allocate(&claim(2).with_access(newcomer));
        assert_eq!(got.is_ok(), admitted, "{holder:?} then {newcomer:?}");
    }
}

#[test]
fn many_readers_share_one_device_until_its_counter_runs_out() {
    let mut node = NodeDevices::new(&[gpu("gpu-0", "a100", 0)]);
    let reader = |uid| {
        claim(uid)
            .with_access(AccessMode::ReadWriteShared)
            .with_request(SLOTS, 1)
    };
    for uid in 1..=4 {
        assert_eq!(chosen(&node.allocate(&reader(uid)).unwrap()), [0]);
    }
    assert_eq!(node.devices()[0].allocations().len(), 4);
    assert_eq!(
        node.allocate(&reader(5)),
        Err(Unsatisfiable::InsufficientCapacity)
    );
}

#[test]
fn a_device_that_disallows_sharing_upgrades_the_mode_to_exclusive() {
    let d = gpu("gpu-0", "a100", 0).with_access(AccessPolicy::EXCLUSIVE);
    let mut node = NodeDevices::new(&[d]);
    let r = node
        .allocate(&claim(1).with_access(AccessMode::ReadOnlyShared))
        .unwrap();
    assert_eq!(r.devices()[0].1.mode, AccessMode::ReadWriteExclusive);
    assert_eq!(
        node.allocate(&claim(2).with_access(AccessMode::ReadOnlyShared)),
        Err(Unsatisfiable::AccessModeConflict)
    );
}

#[test]
fn counter_quantity_and_block_arithmetic() {
    let counter = DeviceCapacity::counter(SLOTS, 4);
    assert_eq!(counter.charge(3), Some(3));
    let quantity = DeviceCapacity::quantity("manawell.io/mana", 10);
    assert_eq!(quantity.charge(7), Some(7));
    // 10,000 units in blocks of 1024: 9 whole blocks can be handed out.
    let block = DeviceCapacity::block(MEMORY, 10_000, 1024);
    assert_eq!(block.allocatable(), 9 * 1024);
    assert_eq!(block.charge(1), Some(1024));
    assert_eq!(block.charge(1024), Some(1024));
    assert_eq!(block.charge(1025), Some(2048));
    assert_eq!(block.charge(0), Some(0));
    assert_eq!(DeviceCapacity::block(MEMORY, 10, 0).charge(3), Some(3));
}

#[test]
fn block_requests_round_up_to_whole_blocks_on_the_device() {
    let shared = |uid, amount| {
        claim(uid)
            .with_access(AccessMode::ReadWriteShared)
            .with_request(MEMORY, amount)
    };
    let mut node = NodeDevices::new(&[gpu("gpu-0", "a100", 0)]);
    let r = node.allocate(&shared(1, 1500)).unwrap();
    let mem = node.devices()[0].capacity_index(MEMORY).unwrap();
    assert_eq!(r.devices()[0].1.charged[mem], 2048);
    assert_eq!(
        node.devices()[0]
            .capacity_named(MEMORY)
            .unwrap()
            .available(),
        7 * 1024
    );
    // 7 blocks remain: 7 * 1024 fits exactly, one unit more needs an 8th block.
    assert_eq!(
        node.filter(&shared(2, 7 * 1024 + 1)),
        Err(Unsatisfiable::InsufficientCapacity)
    );
    node.allocate(&shared(2, 7 * 1024)).unwrap();
    assert_eq!(
        node.devices()[0]
            .capacity_named(MEMORY)
            .unwrap()
            .available(),
        0
    );
}

#[test]
fn a_claim_takes_the_first_devices_that_fit_in_order() {
    let mut node = NodeDevices::new(&[
        gpu("gpu-0", "a100", 0),
        gpu("gpu-1", "a100", 0),
        gpu("gpu-2", "a100", 1),
    ]);
    node.allocate(&claim(1)).unwrap();
    let r = node.allocate(&claim(2).with_count(2)).unwrap();
    assert_eq!(chosen(&r), [1, 2]);
}

#[test]
fn class_and_claim_selectors_restrict_devices() {
    let mut node = NodeDevices::new(&[
        gpu("gpu-0", "a100", 0),
        gpu("gpu-1", "h100", 0),
        mana_well("well-0", Essence::Fire, 10, 2),
    ]);
    let h100 = Attribute {
        name: "example.com/model",
        value: AttributeValue::Str("h100"),
    };
    assert_eq!(
        chosen(&node.allocate(&claim(1).with_selector(h100)).unwrap()),
        [1]
    );
    let fire = DeviceClaim::new(2, essence_class(Essence::Fire)).with_request(MANA_CAPACITY, 4);
    assert_eq!(chosen(&node.allocate(&fire).unwrap()), [2]);
    let frost = DeviceClaim::new(3, essence_class(Essence::Frost));
    assert_eq!(node.filter(&frost), Err(Unsatisfiable::ClassSelectors));
    let other = DeviceClaim::new(4, DeviceClass::new("x", Some("other.io"), &[]));
    assert_eq!(node.filter(&other), Err(Unsatisfiable::DriverMismatch));
    let v100 = Attribute {
        name: "example.com/model",
        value: AttributeValue::Str("v100"),
    };
    assert_eq!(
        node.filter(&claim(5).with_selector(v100)),
        Err(Unsatisfiable::ClaimSelectors)
    );
}

#[test]
fn match_attribute_keeps_a_claims_devices_on_one_numa_node() {
    let mut node = NodeDevices::new(&[
        gpu("gpu-0", "a100", 0),
        gpu("gpu-1", "a100", 1),
        gpu("gpu-2", "a100", 0),
        gpu("gpu-3", "a100", 1),
    ]);
    let pair = |uid| {
        claim(uid)
            .with_count(2)
            .with_match_attribute("example.com/numa")
    };
    assert_eq!(chosen(&node.allocate(&pair(1)).unwrap()), [0, 2]);
    node.deallocate(1);
    // With gpu-0 taken, the first agreeing pair is numa 1.
    node.allocate(&claim(9)).unwrap();
    assert_eq!(chosen(&node.allocate(&pair(2)).unwrap()), [1, 3]);
    // gpu-2 is free but has no numa-0 partner left.
    assert_eq!(node.filter(&pair(3)), Err(Unsatisfiable::NotEnoughDevices));
    node.deallocate(2);
    node.allocate(&claim(10)).unwrap(); // takes gpu-1
    assert_eq!(node.filter(&pair(3)), Err(Unsatisfiable::MatchAttribute));
    // An attribute no device has never matches.
    node.deallocate(9);
    node.deallocate(10);
    let absent = claim(4)
        .with_count(2)
        .with_match_attribute("example.com/pcie");
    assert_eq!(node.filter(&absent), Err(Unsatisfiable::MatchAttribute));
}

#[test]
fn an_unsatisfiable_claim_reports_the_filters_message_and_its_reason() {
    let mut node = NodeDevices::new(&[mana_well("well-0", Essence::Arcane, 6, 4)]);
    let greedy = DeviceClaim::new(1, essence_class(Essence::Arcane))
        .with_access(AccessMode::ReadWriteShared)
        .with_request(MANA_CAPACITY, 7);
    let why = node.allocate(&greedy).unwrap_err();
    assert_eq!(why, Unsatisfiable::InsufficientCapacity);
    assert_eq!(
        why.to_string(),
        "cannot allocate all claims: insufficient capacity on selected devices"
    );
    let missing = DeviceClaim::new(2, essence_class(Essence::Arcane)).with_request(SLOTS, 1);
    assert_eq!(node.filter(&missing), Err(Unsatisfiable::MissingCapacity));
    assert_eq!(
        NodeDevices::new(&[]).filter(&missing),
        Err(Unsatisfiable::NoDevices)
    );
    assert_eq!(
        node.filter(&missing.with_count(3)),
        Err(Unsatisfiable::MissingCapacity)
    );
    // Nothing was taken by the failures.
    assert!(!node.devices()[0].is_allocated());
}

#[test]
fn a_claim_is_allocated_once_per_node() {
    let mut node = NodeDevices::new(&[gpu("gpu-0", "a100", 0), gpu("gpu-1", "a100", 0)]);
    node.allocate(&claim(1)).unwrap();
    assert_eq!(
        node.allocate(&claim(1)),
        Err(Unsatisfiable::AlreadyAllocated)
    );
}

#[test]
fn deallocation_restores_capacity_and_access() {
    let mut node = NodeDevices::new(&[gpu("gpu-0", "a100", 0)]);
    let before = *node.devices()[0].capacity_named(MEMORY).unwrap();
    let big = claim(1)
        .with_access(AccessMode::ReadWriteShared)
        .with_request(MEMORY, 5000)
        .with_request(SLOTS, 3);
    node.allocate(&big).unwrap();
    assert_eq!(
        node.devices()[0].capacity_named(MEMORY).unwrap().allocated,
        5 * 1024
    );
    assert_eq!(
        node.devices()[0].capacity_named(SLOTS).unwrap().allocated,
        3
    );
    assert_eq!(node.deallocate(1), 1);
    assert_eq!(*node.devices()[0].capacity_named(MEMORY).unwrap(), before);
    assert_eq!(
        node.devices()[0].capacity_named(SLOTS).unwrap().allocated,
        0
    );
    assert_eq!(node.deallocate(1), 0);
    node.allocate(&claim(2)).unwrap();
    assert_eq!(node.deallocate(2), 1);
    node.allocate(&claim(3)).unwrap();
}

#[test]
fn a_pods_claims_are_allocated_all_or_none() {
    let mut node = NodeDevices::new(&[gpu("gpu-0", "a100", 0), gpu("gpu-1", "a100", 0)]);
    let claims = [claim(1), claim(2).with_count(2)];
    let failure = node.allocate_all(&claims).unwrap_err();
    assert_eq!(failure.index, 1);
    assert_eq!(failure.reason, Unsatisfiable::NotEnoughDevices);
    assert!(node.devices().iter().all(|d| !d.is_allocated()));
    node.allocate_all(&[claim(1), claim(2)]).unwrap();
    assert!(node.devices().iter().all(Device::is_allocated));
}

#[test]
fn a_device_serves_at_most_max_allocations_claims() {
    let well = mana_well("well-0", Essence::Fire, 1000, 1000);
    let mut node = NodeDevices::new(&[well]);
    let sip = |uid| {
        DeviceClaim::new(uid, essence_class(Essence::Fire))
            .with_access(AccessMode::ReadOnlyShared)
            .with_request(MANA_CAPACITY, 1)
    };
    for uid in 0..MAX_ALLOCATIONS as u64 {
        node.allocate(&sip(uid)).unwrap();
    }
    assert_eq!(
        node.allocate(&sip(999)),
        Err(Unsatisfiable::AllocationsFull)
    );
}

#[test]
fn a_pool_draws_down_its_mana_across_nodes_and_gets_it_back() {
    let wells = [
        mana_well("well-0", Essence::Fire, 10, 4),
        mana_well("well-1", Essence::Fire, 10, 4),
    ];
    let mut pool = DevicePool::new(&wells, 3);
    assert_eq!(pool.capacity(MANA_CAPACITY), 60);
    assert_eq!(pool.available_devices(), 6);
    let cast = |uid, mana| {
        DeviceClaim::new(uid, essence_class(Essence::Fire))
            .with_access(AccessMode::ReadWriteShared)
            .with_request(MANA_CAPACITY, mana)
    };
    pool.allocate(0, &cast(1, 6)).unwrap();
    pool.allocate(0, &cast(2, 6)).unwrap(); // well-0 has 4 left: goes to well-1
    pool.allocate(2, &cast(3, 10)).unwrap();
    assert_eq!(pool.allocated(MANA_CAPACITY), 22);
    assert_eq!(pool.available(MANA_CAPACITY), 38);
    assert_eq!(pool.devices_in_use(), 3);
    assert_eq!(pool.available_devices(), 3);
    assert_eq!(pool.allocate(5, &cast(4, 1)), Err(Unsatisfiable::NoDevices));
    assert_eq!(pool.deallocate(0, 2), 1);
    assert_eq!(pool.available(MANA_CAPACITY), 44);
    // Removing node 2 takes its claims with it.
    pool.set_node_count(2);
    assert_eq!(pool.capacity(MANA_CAPACITY), 40);
    assert_eq!(pool.allocated(MANA_CAPACITY), 6);
    assert_eq!(pool.devices_in_use(), 1);
    pool.set_node_count(3);
    assert!(!pool.node(2).unwrap().holds(3));
    assert_eq!(pool.available(MANA_CAPACITY), 54);
}

#[test]
fn a_pool_tracks_nodes_by_ordinal_and_allocates_a_pods_claims_together() {
    let mut pool = DevicePool::new(&[mana_well("well-0", Essence::Frost, 8, 2)], 3);
    let cast = |uid, mana| {
        DeviceClaim::new(uid, essence_class(Essence::Frost))
            .with_access(AccessMode::ReadWriteShared)
            .with_request(MANA_CAPACITY, mana)
            .with_request(CHANNELS_CAPACITY, 1)
    };
    pool.allocate(1, &cast(1, 5)).unwrap();
    // An autoscaler removes node 1 and leaves a gap; node 2 keeps its ordinal.
    pool.set_node_present(1, false);
    assert_eq!(pool.node_count(), 2);
    assert!(pool.node(1).is_none());
    assert_eq!(pool.capacity(MANA_CAPACITY), 16);
    assert_eq!(pool.allocated(MANA_CAPACITY), 0);
    assert_eq!(pool.filter(1, &cast(2, 1)), Err(Unsatisfiable::NoDevices));
    // Node 2's pod needs 5 + 4 mana of an 8-mana well: neither claim stays.
    let failure = pool.allocate_all(2, &[cast(3, 5), cast(4, 4)]).unwrap_err();
    assert_eq!(failure.index, 1);
    assert_eq!(failure.reason, Unsatisfiable::InsufficientCapacity);
    assert_eq!(pool.allocated(MANA_CAPACITY), 0);
    pool.allocate_all(2, &[cast(3, 5), cast(4, 3)]).unwrap();
    assert_eq!(pool.allocated(MANA_CAPACITY), 8);
    assert_eq!(pool.devices_in_use(), 1);
    // A third claim on that well needs a third channel: the counter says no.
    assert_eq!(
        pool.filter(2, &cast(5, 0)),
        Err(Unsatisfiable::InsufficientCapacity)
    );
    pool.set_node_present(1, true);
    assert_eq!(pool.node_count(), 3);
    assert!(!pool.node(1).unwrap().holds(1));
}
