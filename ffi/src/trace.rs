//! Cluster traces from the hub's context menu: recording the live cluster to a file while
//! sync runs, and replaying a recorded trace into the hub instead of a live cluster. For
//! the host's UI thread only (they open files and start or join threads), never the audio
//! thread.

use std::ffi::{c_char, CStr};
use std::path::PathBuf;

use kuberack_sync::trace::Trace;
use kuberack_sync::Supervisor;

use crate::guard;
use crate::module::{with_handle, KrModule};
use crate::status::KrStatus;

/// No trace is replayed.
pub const KR_REPLAY_NONE: i32 = 0;
/// A trace is being replayed.
pub const KR_REPLAY_PLAYING: i32 = 1;
/// Every line of the trace has been replayed (the hub keeps what it heard).
pub const KR_REPLAY_FINISHED: i32 = 2;

/// A NUL-terminated path, `None` when NULL or empty (or not UTF-8 on this platform).
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
unsafe fn path_of(path: *const c_char) -> Option<PathBuf> {
    if path.is_null() {
        return None;
    }
    // SAFETY: non-null and NUL-terminated by the caller's contract.
    let text = unsafe { CStr::from_ptr(path) }.to_str().ok()?;
    (!text.is_empty()).then(|| PathBuf::from(text))
}

/// Records the real cluster the hub's sync mirrors to the file `path` (JSON lines, see
/// PROTOCOL.md "Cluster traces"), from now while sync runs; NULL or "" stops recording.
/// Only the fields the mirror reads are recorded, never a credential. `KR_ERR_INVALID`
/// when `m` is not a CLUSTER. Whether the file could be written shows in
/// `kr_sync_recording`.
///
/// # Safety
/// `m` is NULL or a live handle; `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn kr_sync_record(m: *const KrModule, path: *const c_char) -> i32 {
    let body = |module: &KrModule| {
        let Some((_, supervisor)) = module.sync() else {
            return KrStatus::KR_ERR_INVALID;
        };
        // SAFETY: forwarded caller contract.
        let path = unsafe { path_of(path) };
        let supervisor = supervisor.lock().unwrap_or_else(|e| e.into_inner());
        supervisor.record_to(path);
        KrStatus::KR_OK
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

/// 1 while recording is asked for (by `kr_sync_record`) and the trace is being written or
/// waits for sync to run, 0 when it is not asked for or stopped on an error (the error is
/// printed to the log); a negative `KrStatus` on bad handles.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_sync_recording(m: *const KrModule) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        query(m, |supervisor| {
            let control = supervisor.recording();
            let failed = !control.last_error().is_empty() && !control.is_recording();
            i32::from(supervisor.recording_wanted() && !failed)
        })
    }
}

/// Replays the cluster trace at `path` into the hub instead of a live cluster, from the
/// hub's simulated time now (WARP and CLOCK pace it). Bad lines are skipped and counted
/// (one line in the log per kind). `KR_ERR_JSON` when the file is no cluster trace or cannot
/// be read, `KR_ERR_INVALID` when `m` is not a CLUSTER or live sync is running (turn SYNC
/// off first), `KR_ERR_NULL` when `path` is NULL or empty.
///
/// # Safety
/// `m` is NULL or a live handle; `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn kr_replay_start(m: *const KrModule, path: *const c_char) -> i32 {
    let body = |module: &KrModule| {
        let Some((_, supervisor)) = module.sync() else {
            return KrStatus::KR_ERR_INVALID;
        };
        // SAFETY: forwarded caller contract.
        let Some(path) = (unsafe { path_of(path) }) else {
            return KrStatus::KR_ERR_NULL;
        };
        let trace = match Trace::open(&path) {
            Ok(trace) => trace,
            Err(e) => {
                eprintln!("kuberack: {e}");
                return KrStatus::KR_ERR_JSON;
            }
        };
        for w in trace.warnings(&path.display().to_string()) {
            eprintln!("kuberack: warning: {w}");
        }
        let mut supervisor = supervisor.lock().unwrap_or_else(|e| e.into_inner());
        match supervisor.start_replay(trace) {
            Ok(()) => KrStatus::KR_OK,
            Err(e) => {
                eprintln!("kuberack: {e}");
                KrStatus::KR_ERR_INVALID
            }
        }
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

/// Stops replaying (waits at most a few milliseconds for the replay thread).
/// `KR_ERR_INVALID` when `m` is not a CLUSTER.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_replay_stop(m: *const KrModule) -> i32 {
    let body = |module: &KrModule| {
        let Some((_, supervisor)) = module.sync() else {
            return KrStatus::KR_ERR_INVALID;
        };
        supervisor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stop_replay();
        KrStatus::KR_OK
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

/// `KR_REPLAY_NONE`, `KR_REPLAY_PLAYING` or `KR_REPLAY_FINISHED`; a negative `KrStatus` on
/// bad handles or when `m` is not a CLUSTER.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_replay_state(m: *const KrModule) -> i32 {
    // SAFETY: forwarded caller contract.
    unsafe {
        query(m, |supervisor| match supervisor.replaying() {
            None => KR_REPLAY_NONE,
            Some(false) => KR_REPLAY_PLAYING,
            Some(true) => KR_REPLAY_FINISHED,
        })
    }
}

/// Asks the hub's supervisor `f` (0 or more), or a negative `KrStatus`: NULL handle, not a
/// CLUSTER, a contained panic.
///
/// # Safety
/// `m` is NULL or a live handle.
unsafe fn query(m: *const KrModule, f: impl FnOnce(&Supervisor) -> i32) -> i32 {
    guard::or(KrStatus::KR_ERR_PANIC.code(), || {
        // SAFETY: NULL or live, by the caller's contract.
        let Some(module) = (unsafe { m.as_ref() }) else {
            return KrStatus::KR_ERR_NULL.code();
        };
        let Some((_, supervisor)) = module.sync() else {
            return KrStatus::KR_ERR_INVALID.code();
        };
        f(&supervisor.lock().unwrap_or_else(|e| e.into_inner()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::{kr_module_create, kr_module_free};
    use std::ffi::CString;

    #[test]
    fn null_handles_members_and_bad_files_get_clear_codes() {
        let hub = kr_module_create(0);
        let node = kr_module_create(1);
        let missing = c"/nonexistent/trace.jsonl";
        let not_a_trace = CString::new(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
        // SAFETY: NULL or live handles, NULL or valid strings.
        unsafe {
            let null = std::ptr::null();
            assert_eq!(
                kr_replay_start(null, missing.as_ptr()),
                KrStatus::KR_ERR_NULL.code()
            );
            assert_eq!(kr_replay_state(null), KrStatus::KR_ERR_NULL.code());
            assert_eq!(kr_sync_recording(null), KrStatus::KR_ERR_NULL.code());
            assert_eq!(kr_replay_state(node), KrStatus::KR_ERR_INVALID.code());
            assert_eq!(
                kr_sync_record(node, std::ptr::null()),
                KrStatus::KR_ERR_INVALID.code()
            );
            assert_eq!(
                kr_replay_start(hub, std::ptr::null()),
                KrStatus::KR_ERR_NULL.code()
            );
            assert_eq!(
                kr_replay_start(hub, missing.as_ptr()),
                KrStatus::KR_ERR_JSON.code()
            );
            assert_eq!(
                kr_replay_start(hub, not_a_trace.as_ptr()),
                KrStatus::KR_ERR_JSON.code()
            );
            assert_eq!(kr_replay_state(hub), KR_REPLAY_NONE);
            // Recording is asked for (it waits for sync), then stopped.
            let file = c"/tmp/kuberack-ffi-record-test.jsonl";
            assert_eq!(kr_sync_record(hub, file.as_ptr()), 0);
            assert_eq!(kr_sync_recording(hub), 1);
            assert_eq!(kr_sync_record(hub, c"".as_ptr()), 0);
            assert_eq!(kr_sync_recording(hub), 0);
            kr_module_free(hub);
            kr_module_free(node);
        }
    }
}
