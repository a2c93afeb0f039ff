//! Exclusive access to a module's Rust state without blocking the audio thread.
//!
//! Rack saves a patch (`dataToJson`) while the engine keeps calling `process()`, so two
//! threads may reach the same module at once. The audio path only *tries* to get in and
//! skips the sample if another thread is inside; off-path callers (save, load, reset, ...)
//! wait until the audio path is out, which takes no longer than one `process()` call.
//!
//! Where the kernel offers an asymmetric memory barrier (Linux `membarrier`, private
//! expedited), the audio path pays no read-modify-write: it marks itself inside with a
//! plain store, and checks the off-path flag after a compiler-only fence; an off-path
//! caller raises its flag, then makes every running thread of the process execute a full
//! barrier (the syscall) before it looks at the audio mark, so of two racing sides at least
//! one sees the other (Dekker's protocol with the fences split unevenly, as liburcu and
//! folly's asymmetric fences do). Elsewhere both sides take the one flag by
//! compare-and-swap. Either way, calls on the audio path must not overlap each other (Rack
//! processes a module on one engine thread at a time).

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{compiler_fence, AtomicBool, Ordering};

use crate::barrier;

/// How the audio path gets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A plain store and load, the off-path side paying a process-wide barrier.
    Asymmetric,
    /// One compare-and-swap on a flag both sides share.
    CompareAndSwap,
}

/// A value that one thread at a time may use.
pub(crate) struct Exclusive<T> {
    /// Held by an off-path caller (and, with [`Entry::CompareAndSwap`], by the audio path).
    busy: AtomicBool,
    /// The audio path is inside ([`Entry::Asymmetric`] only).
    audio: AtomicBool,
    entry: Entry,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached through an `Access`, and the protocol above guarantees
// at most one `Access` exists at a time (given that audio-path calls do not overlap), so `T`
// is used by one thread at a time (as with a mutex, `T: Send` suffices).
unsafe impl<T: Send> Sync for Exclusive<T> {}

/// Proof of exclusive access; lets the other side in when dropped (also on unwind).
pub(crate) struct Access<'a, T> {
    owner: &'a Exclusive<T>,
    /// Taken by the asymmetric audio path (released by clearing the audio mark).
    audio: bool,
}

impl<T> Exclusive<T> {
    /// Wraps a value; the audio path enters asymmetrically where the kernel allows it.
    pub(crate) fn new(value: T) -> Self {
        let entry = if barrier::asymmetric() {
            Entry::Asymmetric
        } else {
            Entry::CompareAndSwap
        };
        Self::with_entry(value, entry)
    }

    /// Wraps a value, with the audio path entering as `entry` says (an asymmetric entry
    /// needs [`barrier::asymmetric`] to hold).
    pub(crate) fn with_entry(value: T, entry: Entry) -> Self {
        debug_assert!(entry == Entry::CompareAndSwap || barrier::asymmetric());
        Exclusive {
            busy: AtomicBool::new(false),
            audio: AtomicBool::new(false),
            entry,
            value: UnsafeCell::new(value),
        }
    }

    /// Gets in if no off-path caller is inside; never waits. For the audio path only: its
    /// calls must not overlap each other.
    #[inline]
    pub(crate) fn try_access(&self) -> Option<Access<'_, T>> {
        match self.entry {
            Entry::Asymmetric => {
                self.audio.store(true, Ordering::Relaxed);
                // The off-path side's barrier orders this store before the load below on
                // the hardware; the compiler must not reorder them either.
                compiler_fence(Ordering::SeqCst);
                if self.busy.load(Ordering::Acquire) {
                    self.audio.store(false, Ordering::Release);
                    return None;
                }
                Some(Access {
                    owner: self,
                    audio: true,
                })
            }
            Entry::CompareAndSwap => self.take_flag().map(|_| Access {
                owner: self,
                audio: false,
            }),
        }
    }

    fn take_flag(&self) -> Option<()> {
        self.busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| ())
    }

    /// Gets in, spinning and yielding while another thread is inside. Off the audio path
    /// only (it may make a system call).
    pub(crate) fn access(&self) -> Access<'_, T> {
        let mut spins = 0_u32;
        let mut wait = || {
            if spins < 64 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        };
        while self.take_flag().is_none() {
            wait();
        }
        // From here the flag is ours: release it on the way out, even if the barrier fails.
        let access = Access {
            owner: self,
            audio: false,
        };
        if self.entry == Entry::Asymmetric {
            barrier::heavy();
            while self.audio.load(Ordering::Acquire) {
                wait();
            }
        }
        access
    }
}

impl<T> Deref for Access<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this `Access` is the only one, so no other reference to the value exists.
        unsafe { &*self.owner.value.get() }
    }
}

impl<T> DerefMut for Access<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this the only borrow through this access.
        unsafe { &mut *self.owner.value.get() }
    }
}

impl<T> Drop for Access<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if self.audio {
            self.owner.audio.store(false, Ordering::Release);
        } else {
            self.owner.busy.store(false, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Both entries where this machine has the barrier; the compare-and-swap alone where not
    /// (said once).
    fn entries() -> Vec<Entry> {
        if barrier::asymmetric() {
            vec![Entry::Asymmetric, Entry::CompareAndSwap]
        } else {
            println!(
                "no asymmetric barrier here (membarrier): testing the compare-and-swap entry only"
            );
            vec![Entry::CompareAndSwap]
        }
    }

    #[test]
    fn only_one_access_at_a_time() {
        for entry in entries() {
            let cell = Exclusive::with_entry(1, entry);
            let held = cell.access();
            assert!(cell.try_access().is_none(), "{entry:?}");
            drop(held);
            let audio = cell.try_access().expect("free");
            drop(audio);
            *cell.access() += 1;
            assert_eq!(*cell.access(), 2);
        }
        let cell = Exclusive::with_entry(1, Entry::CompareAndSwap);
        let held = cell.try_access().expect("free");
        assert!(cell.try_access().is_none());
        drop(held);
    }

    #[test]
    fn a_panic_releases_the_flag() {
        for entry in entries() {
            let cell = Exclusive::with_entry(0, entry);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _held = cell.access();
                panic!("while holding");
            }));
            assert!(r.is_err());
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _held = cell.try_access().expect("free");
                panic!("while processing");
            }));
            assert!(r.is_err());
            assert!(cell.try_access().is_some());
            drop(cell.access());
        }
    }

    #[test]
    fn threads_never_overlap() {
        for entry in entries() {
            let cell = Arc::new(Exclusive::with_entry(0_u64, entry));
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    let cell = Arc::clone(&cell);
                    std::thread::spawn(move || {
                        for _ in 0..10_000 {
                            let mut v = cell.access();
                            let before = *v;
                            *v = before + 1;
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            assert_eq!(*cell.access(), 40_000);
        }
    }

    /// One audio thread trying every "sample" while off-path threads keep getting in: every
    /// update of the unsynchronised value survives, and nobody ever finds another inside.
    #[test]
    fn the_audio_path_and_off_path_callers_never_overlap() {
        for entry in entries() {
            let cell = Arc::new(Exclusive::with_entry((0_u64, false), entry));
            let stop = Arc::new(AtomicBool::new(false));
            let audio = {
                let (cell, stop) = (Arc::clone(&cell), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let (mut got, mut skipped) = (0_u64, 0_u64);
                    while !stop.load(Ordering::Relaxed) {
                        match cell.try_access() {
                            Some(mut v) => {
                                assert!(!v.1, "an off-path caller is inside");
                                v.1 = true;
                                v.0 += 1;
                                std::hint::black_box(&mut *v);
                                v.1 = false;
                                got += 1;
                            }
                            None => skipped += 1,
                        }
                    }
                    (got, skipped)
                })
            };
            let off_path: Vec<_> = (0..2)
                .map(|_| {
                    let cell = Arc::clone(&cell);
                    std::thread::spawn(move || {
                        for _ in 0..2_000 {
                            let mut v = cell.access();
                            assert!(!v.1, "the audio path is inside");
                            v.1 = true;
                            v.0 += 1;
                            std::hint::black_box(&mut *v);
                            v.1 = false;
                        }
                    })
                })
                .collect();
            for t in off_path {
                t.join().unwrap();
            }
            stop.store(true, Ordering::Relaxed);
            let (got, _skipped) = audio.join().unwrap();
            assert_eq!(cell.access().0, got + 4_000, "{entry:?}");
        }
    }
}
