//! Device allocation and deallocation never touch the heap once a pool is built.

mod counting;

use kuberack_core::devices::*;
use kuberack_core::forge::{Essence, ESSENCES};

// One test function: the counter is process-wide, so nothing else may run meanwhile.
#[test]
fn allocate_and_deallocate_allocate_nothing() {
    let wells: Vec<Device> = (0..MAX_DEVICES)
        .map(|i| {
            const NAMES: [&str; 8] = ["w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7"];
            mana_well(NAMES[i], ESSENCES[i % 3], 20, 8).with_capacity(DeviceCapacity::block(
                "manawell.io/focus",
                4096,
                512,
            ))
        })
        .collect();
    let mut pool = DevicePool::new(&wells, 4);
    let mut node = NodeDevices::new(&wells);
    let mut granted = 0usize;
    let mut refused = 0usize;

    counting::arm();
    for round in 0..200u64 {
        let essence: Essence = ESSENCES[(round % 3) as usize];
        let claim = DeviceClaim::new(round, essence_class(essence))
            .with_count(1 + (round % 2) as usize)
            .with_access(AccessMode::ALL[(round % 4) as usize])
            .with_request(MANA_CAPACITY, round % 7)
            .with_request("manawell.io/focus", round * 37 % 2000)
            .with_match_attribute(ESSENCE_ATTRIBUTE);
        let n = (round % 5) as usize;
        match pool.allocate(n, &claim) {
            Ok(_) => granted += 1,
            Err(_) => refused += 1,
        }
        let pair = [claim, claim.with_count(1)];
        let _ = node.allocate_all(&pair[..1]);
        let _ = node.filter(&pair[1]);
        if round % 3 == 0 {
            pool.deallocate(n, round.saturating_sub(6));
            node.deallocate(round.saturating_sub(4));
        }
        if round % 50 == 49 {
            pool.set_node_count(2 + (round / 50) as usize % 3);
        }
    }
    let n = counting::disarm();
    assert_eq!(n, 0, "allocate/deallocate touched the heap {n} times");
    // The loop exercised both outcomes.
    assert!(
        granted > 20 && refused > 20,
        "granted {granted}, refused {refused}"
    );
}
