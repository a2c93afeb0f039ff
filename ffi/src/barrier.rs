//! The process-wide memory barrier that lets the audio path enter a module without a
//! read-modify-write ([`crate::access`]): Linux's `membarrier` system call, private
//! expedited (every running thread of this process executes a full memory barrier before
//! the call returns; a thread not running passes one when it is scheduled again).
//! Elsewhere, or where the kernel refuses it, there is none and the audio path uses a
//! compare-and-swap.

use std::sync::OnceLock;

/// Whether [`heavy`] is available here. The first call registers the process with the
/// kernel (a system call: off the audio path, when the first module is created).
pub(crate) fn asymmetric() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(imp::register)
}

/// Makes every running thread of the process execute a full memory barrier. Only after
/// [`asymmetric`] returned true; a system call, off the audio path only. Panics if the
/// kernel refuses (it does not once registered; the caller's panic guard contains it).
pub(crate) fn heavy() {
    if !imp::barrier() {
        panic!("membarrier failed after registration");
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use libc::{c_int, c_long, c_uint};

    // The commands of linux/membarrier.h.
    const MEMBARRIER_CMD_QUERY: c_int = 0;
    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: c_int = 1 << 3;
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: c_int = 1 << 4;

    fn membarrier(cmd: c_int) -> c_long {
        // SAFETY: membarrier(cmd, flags = 0, cpu_id = 0) reads and writes no memory of ours.
        unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as c_uint, 0 as c_int) }
    }

    pub(super) fn register() -> bool {
        let wanted = c_long::from(
            MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
        );
        let supported = membarrier(MEMBARRIER_CMD_QUERY);
        supported >= 0
            && supported & wanted == wanted
            && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0
    }

    pub(super) fn barrier() -> bool {
        membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub(super) fn register() -> bool {
        false
    }

    pub(super) fn barrier() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_barrier_works_wherever_it_is_offered() {
        if asymmetric() {
            for _ in 0..100 {
                heavy();
            }
        } else {
            println!("no membarrier here: modules use the compare-and-swap entry");
        }
        assert_eq!(asymmetric(), asymmetric(), "decided once");
    }
}
