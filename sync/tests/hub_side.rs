//! The hub's side of the queues stays real-time safe whatever the sync thread does: with the
//! thread stalled on a server that never answers, or panicked, publishing desired state and
//! polling observed events allocate nothing and return in bounded time.

mod standin;

use kuberack_sync::{queues, spawn, ClusterSource, DesiredObject, HubEnd, SyncConfig};
use standin::{Faults, StandIn};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SLOTS: usize = 8;

/// No tick may wait for the sync thread, which is stalled for seconds. The bound is loose
/// only so that the shared test machine's scheduling cannot fail the test.
const BOUND: Duration = Duration::from_millis(250);

fn desired(step: u32) -> [Option<DesiredObject>; SLOTS] {
    std::array::from_fn(|i| {
        (!(i as u32 + step).is_multiple_of(3)).then_some(DesiredObject::deployment(
            i as u64 + 1,
            step % 11,
            100,
            64,
        ))
    })
}

/// Runs what the hub does per control tick for `ticks` ticks; returns the allocations made
/// and the slowest tick.
fn hub_ticks(hub: &mut HubEnd, ticks: u32) -> (u64, Duration) {
    let states: Vec<_> = (0..ticks).map(desired).collect();
    let mut slowest = Duration::ZERO;
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    for state in &states {
        let t = Instant::now();
        hub.publish(state);
        while hub.pop_observed().is_some() {}
        let _ = hub.status.state();
        slowest = slowest.max(t.elapsed());
    }
    COUNTING.with(|c| c.set(false));
    (ALLOCATIONS.load(Ordering::Relaxed) - before, slowest)
}

#[test]
fn a_stalled_sync_thread_costs_the_hub_nothing() {
    let api = StandIn::start();
    api.set_faults(Faults {
        stall: true,
        ..Faults::default()
    });
    let (mut hub, end) = queues(16, SLOTS);
    let thread = spawn(SyncConfig::new(ClusterSource::Url(api.url())), end).unwrap();
    // Far more changes than the queue holds, while the thread waits on the server.
    let (allocations, slowest) = hub_ticks(&mut hub, 5_000);
    assert_eq!(allocations, 0);
    assert!(slowest < BOUND, "a tick took {slowest:?}");
    let t = Instant::now();
    thread.status().request_stop();
    drop(api);
    thread.stop().unwrap();
    assert!(t.elapsed() < Duration::from_secs(15));
}

#[test]
fn a_panicked_sync_thread_costs_the_hub_nothing() {
    let (mut hub, end) = queues(16, SLOTS);
    let dead = std::thread::spawn(move || {
        let _end = end;
        panic!("sync thread failure for the test");
    });
    assert!(dead.join().is_err());
    let (allocations, slowest) = hub_ticks(&mut hub, 5_000);
    assert_eq!(allocations, 0);
    assert!(slowest < BOUND, "a tick took {slowest:?}");
}
