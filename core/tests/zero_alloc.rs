//! process() of every module allocates nothing after warm-up, while the world churns:
//! replicas swept by an LFO, node pools resized, cables pulled and replugged.

mod rig;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use kuberack_protocol::MODULES;
use rig::Rig;

struct Counting;

static ARMED: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Steps the rig with the counter armed and returns how many allocations happened.
fn count_allocations(rig: &mut Rig, seconds: f32, mut churn: impl FnMut(&mut Rig, usize)) -> usize {
    let samples = (seconds * rig.sample_rate) as usize;
    ALLOCATIONS.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    for i in 0..samples {
        churn(rig, i);
        rig.step();
    }
    ARMED.store(false, Ordering::SeqCst);
    ALLOCATIONS.load(Ordering::SeqCst)
}

// One test function: the counter is process-wide, so nothing else may run meanwhile.
#[test]
fn process_allocates_nothing_after_warm_up() {
    let (mut rig, hub, node, dep) = Rig::basic();
    let pool2 = rig.add("Node");
    let dep2 = rig.add("Deployment");
    rig.connect(hub, "API", pool2, "API");
    rig.connect(hub, "API", dep2, "API");
    rig.param(hub, "WARP", 1.0); // 10x: lots of lifecycle in little time
    rig.param(dep2, "REPLICAS", 20.0);
    rig.param(dep2, "CPU", 100.0);
    rig.run(5.0);
    let sr = rig.sample_rate;
    let n = count_allocations(&mut rig, 30.0, |r, i| {
        let t = i as f32 / sr;
        r.drive(dep, "REPLICAS", 4.0 * (t * 1.3).sin());
        r.param(pool2, "COUNT", if (t as u32) % 6 < 3 { 2.0 } else { 4.0 });
        r.param(node, "CORDON", if (t as u32) % 8 == 5 { 1.0 } else { 0.0 });
        r.param(dep2, "CPU", if (t as u32) % 10 < 5 { 100.0 } else { 150.0 });
        if i == (12.0 * sr) as usize {
            r.disconnect(dep2, "API");
        }
        if i == (16.0 * sr) as usize {
            r.connect(hub, "API", dep2, "API");
        }
    });
    let world = rig.hub_world(hub);
    assert!(
        world.stats().pods_scheduled > 40,
        "churn too small: {:?}",
        world.stats()
    );
    assert!(
        world.stats().evictions > 0,
        "no pool resize happened: {:?}",
        world.stats()
    );
    assert_eq!(n, 0, "process() allocated {n} times after warm-up");
    // Every model took part.
    let slugs: Vec<&str> = rig
        .modules
        .iter()
        .map(|m| m.module.descriptor().slug)
        .collect();
    for model in MODULES {
        assert!(slugs.contains(&model.slug), "{} not exercised", model.slug);
    }
}
