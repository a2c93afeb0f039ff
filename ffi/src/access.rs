//! Exclusive access to a module's Rust state without blocking the audio thread.
//!
//! Rack saves a patch (`dataToJson`) while the engine keeps calling `process()`, so two
//! threads may reach the same module at once. The audio path only *tries* to take the
//! flag (one compare-and-swap, wait-free) and skips the sample if another thread holds
//! it; off-path callers (save, load, reset, ...) spin until it is free, which takes no
//! longer than one `process()` call.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};

/// A value that one thread at a time may use.
pub(crate) struct Exclusive<T> {
    busy: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is only reached through an `Access`, and the `busy` flag guarantees at
// most one `Access` exists at a time, so `T` is used by one thread at a time (as with a
// mutex, `T: Send` suffices).
unsafe impl<T: Send> Sync for Exclusive<T> {}

/// Proof of exclusive access; releases the flag when dropped (also on unwind).
pub(crate) struct Access<'a, T> {
    owner: &'a Exclusive<T>,
}

impl<T> Exclusive<T> {
    /// Wraps a value.
    pub(crate) fn new(value: T) -> Self {
        Exclusive {
            busy: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the flag if it is free; never waits. For the audio path.
    pub(crate) fn try_access(&self) -> Option<Access<'_, T>> {
        self.busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| Access { owner: self })
    }

    /// Takes the flag, spinning and yielding while another thread holds it. Off the audio
    /// path only.
    pub(crate) fn access(&self) -> Access<'_, T> {
        let mut spins = 0_u32;
        loop {
            if let Some(access) = self.try_access() {
                return access;
            }
            if spins < 64 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

impl<T> Deref for Access<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this `Access` holds the flag, so no other reference to the value exists.
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
    fn drop(&mut self) {
        self.owner.busy.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn only_one_access_at_a_time() {
        let cell = Exclusive::new(1);
        let held = cell.try_access().expect("free");
        assert!(cell.try_access().is_none());
        drop(held);
        *cell.access() += 1;
        assert_eq!(*cell.access(), 2);
    }

    #[test]
    fn a_panic_releases_the_flag() {
        let cell = Exclusive::new(0);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _held = cell.access();
            panic!("while holding");
        }));
        assert!(r.is_err());
        assert!(cell.try_access().is_some());
    }

    #[test]
    fn threads_never_overlap() {
        let cell = Arc::new(Exclusive::new(0_u64));
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
