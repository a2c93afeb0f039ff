//! Property tests of device allocation: whatever claims come and go, no capacity goes
//! over its allocatable amount, charges add up, claims sharing a device have compatible
//! access modes (an exclusive one is alone), the pool's totals are the sum of its nodes,
//! and releasing every claim restores every capacity.

use kuberack_core::devices::*;
use kuberack_core::world::MAX_POOL_NODES;
use proptest::prelude::*;

const SLOTS: &str = "example.com/slots";
const MEMORY: &str = "example.com/memory";
const MANA: &str = "example.com/mana";
const COLOUR: &str = "example.com/colour";
const COLOURS: [&str; 2] = ["red", "blue"];

fn device(i: usize, slots: u64, memory: u64, block: u64, mana: u64, exclusive: bool) -> Device {
    const NAMES: [&str; 4] = ["dev-0", "dev-1", "dev-2", "dev-3"];
    let policy = if exclusive {
        AccessPolicy::EXCLUSIVE
    } else {
        AccessPolicy::SHARED
    };
    Device::new(
        NAMES[i % 4],
        "example.com",
        &[Attribute {
            name: COLOUR,
            value: AttributeValue::Str(COLOURS[i % 2]),
        }],
    )
    .with_capacity(DeviceCapacity::counter(SLOTS, slots))
    .with_capacity(DeviceCapacity::block(MEMORY, memory, block))
    .with_capacity(DeviceCapacity::quantity(MANA, mana))
    .with_access(policy)
}

fn devices() -> impl Strategy<Value = Vec<Device>> {
    prop::collection::vec(
        (
            0u64..6,
            0u64..5000,
            1u64..1500,
            0u64..40,
            prop::bool::weighted(0.2),
        ),
        1..=4,
    )
    .prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(i, (s, m, b, q, x))| device(i, s, m, b, q, x))
            .collect()
    })
}

#[derive(Debug, Clone)]
enum Op {
    Allocate {
        node: usize,
        count: usize,
        mode: usize,
        slots: u64,
        memory: u64,
        mana: u64,
        matching: bool,
        colour: Option<usize>,
    },
    Deallocate {
        node: usize,
        pick: usize,
    },
    Resize(usize),
    Toggle(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..4, 1usize..4, 0usize..4, 0u64..3, 0u64..3000, 0u64..15, any::<bool>(),
              prop::option::of(0usize..2))
            .prop_map(|(node, count, mode, slots, memory, mana, matching, colour)| Op::Allocate {
                node, count, mode, slots, memory, mana, matching, colour,
            }),
        3 => (0usize..4, any::<usize>()).prop_map(|(node, pick)| Op::Deallocate { node, pick }),
        1 => (0usize..5).prop_map(Op::Resize),
        1 => (0usize..5).prop_map(Op::Toggle),
    ]
}

fn class() -> DeviceClass {
    DeviceClass::new("example.com", Some("example.com"), &[])
}

fn check_device(d: &Device) -> Result<(), TestCaseError> {
    for (c, cap) in d.capacities().enumerate() {
        prop_assert!(
            cap.allocated <= cap.allocatable(),
            "{} over-allocated",
            cap.name
        );
        let charged: u64 = d.allocations().iter().map(|a| a.charged[c]).sum();
        prop_assert_eq!(cap.allocated, charged);
        if let CapacityKind::Block { size } = cap.kind {
            prop_assert_eq!(cap.allocated % size, 0);
        }
    }
    let allocations = d.allocations();
    for (i, a) in allocations.iter().enumerate() {
        for b in &allocations[i + 1..] {
            prop_assert!(a.claim != b.claim);
            prop_assert!(
                a.mode.compatible_with(b.mode) && b.mode.compatible_with(a.mode),
                "{:?} shares {} with {:?}",
                a.mode,
                d.name,
                b.mode
            );
        }
        if a.mode == AccessMode::ReadWriteExclusive {
            prop_assert_eq!(allocations.len(), 1);
        }
    }
    Ok(())
}

fn check_pool(pool: &DevicePool) -> Result<(), TestCaseError> {
    let nodes = || (0..MAX_POOL_NODES).filter_map(|n| pool.node(n));
    prop_assert_eq!(nodes().count(), pool.node_count());
    let mut in_use = 0;
    for node in nodes() {
        for d in node.devices() {
            check_device(d)?;
            in_use += usize::from(d.is_allocated());
        }
    }
    prop_assert_eq!(pool.devices_in_use(), in_use);
    for name in [SLOTS, MEMORY, MANA] {
        let held: u64 = nodes()
            .flat_map(|n| n.devices())
            .filter_map(|d| d.capacity_named(name))
            .map(|c| c.allocated)
            .sum();
        prop_assert_eq!(pool.allocated(name), held);
        prop_assert!(pool.allocated(name) <= pool.capacity(name));
    }
    Ok(())
}

proptest! {
    #[test]
    fn allocation_never_overcommits_nor_breaks_exclusivity(
        devices in devices(),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut pool = DevicePool::new(&devices, 3);
        let mut live: Vec<(usize, u64)> = Vec::new();
        let mut next_uid = 1;
        for op in ops {
            match op {
                Op::Allocate { node, count, mode, slots, memory, mana, matching, colour } => {
                    let mut claim = DeviceClaim::new(next_uid, class())
                        .with_count(count)
                        .with_access(AccessMode::ALL[mode])
                        .with_request(SLOTS, slots)
                        .with_request(MEMORY, memory)
                        .with_request(MANA, mana);
                    if matching {
                        claim = claim.with_match_attribute(COLOUR);
                    }
                    if let Some(c) = colour {
                        claim = claim.with_selector(Attribute {
                            name: COLOUR,
                            value: AttributeValue::Str(COLOURS[c]),
                        });
                    }
                    next_uid += 1;
                    let filtered = pool.filter(node, &claim);
                    let allocated = pool.allocate(node, &claim);
                    prop_assert_eq!(filtered, allocated);
                    if let Ok(r) = allocated {
                        prop_assert_eq!(r.devices().len(), count);
                        let nd = pool.node(node).unwrap().devices();
                        for w in r.devices().windows(2) {
                            prop_assert!(w[0].0 < w[1].0);
                            if matching {
                                prop_assert_eq!(
                                    nd[w[0].0].attributes.get(COLOUR),
                                    nd[w[1].0].attributes.get(COLOUR)
                                );
                            }
                        }
                        live.push((node, claim.uid));
                    }
                }
                Op::Deallocate { node, pick } => {
                    if live.is_empty() {
                        prop_assert_eq!(pool.deallocate(node, 12345), 0);
                    } else {
                        let (n, uid) = live.remove(pick % live.len());
                        let held = pool.node(n).is_some_and(|nd| nd.holds(uid));
                        prop_assert_eq!(pool.deallocate(n, uid) > 0, held);
                    }
                }
                Op::Resize(count) => {
                    pool.set_node_count(count);
                    live.retain(|&(n, _)| n < count);
                }
                Op::Toggle(node) => {
                    let present = pool.node(node).is_none();
                    pool.set_node_present(node, present);
                    live.retain(|&(n, _)| n != node || present);
                }
            }
            check_pool(&pool)?;
        }
        for (n, uid) in live {
            pool.deallocate(n, uid);
        }
        prop_assert_eq!(pool.devices_in_use(), 0);
        for name in [SLOTS, MEMORY, MANA] {
            prop_assert_eq!(pool.allocated(name), 0);
            prop_assert_eq!(pool.available(name), pool.capacity(name));
        }
    }
}
