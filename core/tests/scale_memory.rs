//! Memory of the world at Kubernetes' scale limits: every container is sized when the world
//! is made, so its heap is what `World::new` allocates, and stepping it adds none. A global
//! allocator counts the live bytes and their peak; the figure is printed and held under
//! 1 GiB.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use kuberack_core::world::scale::*;
use kuberack_core::world::World;

struct Measuring;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Measuring {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        grew(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Measuring = Measuring;

const GIB: usize = 1 << 30;

#[test]
fn the_scale_world_takes_under_1_gib() {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut w = World::new(scale_world_config(5));
    let made = LIVE.load(Ordering::Relaxed) - base;
    build_scale_world(&mut w, 0.1, 600.0);
    assert_eq!(w.pod_count(), (SCALE_DEPLOYMENTS * SCALE_REPLICAS) as usize);
    let peak = PEAK.load(Ordering::Relaxed) - base;
    let live = LIVE.load(Ordering::Relaxed) - base;
    println!(
        "scale world (5,000 nodes, 150,000 pods): {} MiB made, {} MiB live, {} MiB peak",
        made >> 20,
        live >> 20,
        peak >> 20
    );
    assert!(peak < GIB, "peak {peak} bytes");
    assert!(
        made > 0 && live >= made / 2,
        "the world's containers are counted"
    );
}
