//! Live-cluster sync of a CLUSTER hub, for the host's UI thread: following the SYNC switch
//! (start and stop the sync thread), the status for the lights' tooltip and the display, and
//! the context menu's settings. None of these is for the audio thread, and none touches the
//! module's audio-path state: they use the hub's link to its sync thread.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use kuberack_core::live::{SyncSettings, SyncState};

use crate::guard;
use crate::module::{with_handle, KrModule};
use crate::status::KrStatus;

/// Sync is off.
pub const KR_SYNC_OFF: u32 = 0;
/// Connecting or reconnecting to the API server.
pub const KR_SYNC_CONNECTING: u32 = 1;
/// Connected, writing the desired state and watching.
pub const KR_SYNC_SYNCED: u32 = 2;
/// Connected, but some writes or watches fail.
pub const KR_SYNC_DEGRADED: u32 = 3;
/// Cannot work; retried with backoff.
pub const KR_SYNC_ERROR: u32 = 4;

const _: () = assert!(
    KR_SYNC_OFF == SyncState::Off as u32
        && KR_SYNC_CONNECTING == SyncState::Connecting as u32
        && KR_SYNC_SYNCED == SyncState::Synced as u32
        && KR_SYNC_DEGRADED == SyncState::Degraded as u32
        && KR_SYNC_ERROR == SyncState::Error as u32
);

/// Bytes of `KrSyncStatus::last_error`, its NUL included.
pub const KR_SYNC_ERROR_LEN: usize = 256;

/// A hub's live-sync status.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KrSyncStatus {
    /// `KR_SYNC_*`.
    pub state: u32,
    /// 1 while the SYNC switch is on or its gate is high.
    pub wanted: u8,
    /// 1 when discovery found the Kueue API group.
    pub kueue: u8,
    /// Writes the API server accepted.
    pub writes: u64,
    /// Writes the label guard refused (objects KubeRack does not manage).
    pub refused: u64,
    /// Real-cluster events dropped because the hub's queue was full.
    pub dropped_events: u64,
    /// 1 once the sync thread has listed the real cluster (the `real_*` fields are valid).
    pub real_known: u8,
    /// Real nodes.
    pub real_nodes: u32,
    /// Real nodes whose Ready condition is True.
    pub real_ready_nodes: u32,
    /// CPU requested by the bound pods in the sync namespace over the real nodes'
    /// allocatable CPU, 0..1.
    pub real_cpu_utilisation: f32,
    /// The last error, NUL-terminated (truncated at a character boundary), empty if none.
    pub last_error: [c_char; KR_SYNC_ERROR_LEN],
}

/// Starts the hub's sync thread when its SYNC switch or gate turned on, asks it to stop when
/// they turned off. Never waits for the thread. Call it often from the UI thread (Rack: each
/// frame). `KR_ERR_INVALID` when `m` is not a CLUSTER.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_sync_poll(m: *const KrModule) -> i32 {
    let body = |module: &KrModule| {
        let Some((_, supervisor)) = module.sync() else {
            return KrStatus::KR_ERR_INVALID;
        };
        supervisor.lock().unwrap_or_else(|e| e.into_inner()).poll();
        KrStatus::KR_OK
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

/// Copies the hub's sync status into `out`. `KR_ERR_INVALID` when `m` is not a CLUSTER.
///
/// # Safety
/// `m` is NULL or a live handle; `out` is NULL or valid for writing one `KrSyncStatus`.
#[no_mangle]
pub unsafe extern "C" fn kr_sync_status(m: *const KrModule, out: *mut KrSyncStatus) -> i32 {
    let body = |module: &KrModule| {
        if out.is_null() {
            return KrStatus::KR_ERR_NULL;
        }
        let Some((link, _)) = module.sync() else {
            return KrStatus::KR_ERR_INVALID;
        };
        let s = &link.status;
        let mut status = KrSyncStatus {
            state: s.state() as u32,
            wanted: u8::from(s.wanted()),
            kueue: u8::from(s.kueue_found()),
            writes: s.writes(),
            refused: s.refused(),
            dropped_events: s.dropped_events(),
            real_known: 0,
            real_nodes: 0,
            real_ready_nodes: 0,
            real_cpu_utilisation: 0.0,
            last_error: [0; KR_SYNC_ERROR_LEN],
        };
        if let Some(real) = s.real() {
            status.real_known = 1;
            status.real_nodes = real.nodes;
            status.real_ready_nodes = real.ready_nodes;
            status.real_cpu_utilisation = real.cpu_utilisation();
        }
        let text = s.last_error();
        let mut n = text.len().min(KR_SYNC_ERROR_LEN - 1);
        while !text.is_char_boundary(n) {
            n -= 1;
        }
        for (dst, &b) in status.last_error.iter_mut().zip(&text.as_bytes()[..n]) {
            *dst = if b == 0 { b' ' as c_char } else { b as c_char };
        }
        // SAFETY: non-null and valid for one write, by the caller's contract.
        unsafe { out.write(status) };
        KrStatus::KR_OK
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

/// The hub's sync settings as a NUL-terminated JSON object (`namespace`, `context`,
/// `deleteOnStop`, `mirrorOnly`), to be released with `kr_string_free`; NULL when `m` is
/// NULL or not a CLUSTER.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_sync_settings(m: *const KrModule) -> *mut c_char {
    guard::or(ptr::null_mut(), || {
        // SAFETY: NULL or live, by the caller's contract.
        let Some((link, _)) = (unsafe { m.as_ref() }).and_then(KrModule::sync) else {
            return ptr::null_mut();
        };
        serde_json::to_string(&link.settings())
            .ok()
            .and_then(|text| CString::new(text).ok())
            .map_or(ptr::null_mut(), CString::into_raw)
    })
}

/// Changes the hub's sync settings from a JSON object of the fields to change (the others
/// keep their values); they apply from the next start of the sync thread and are saved with
/// the patch. `KR_ERR_JSON` when the text is not such an object or names an invalid namespace
/// (nothing changes then); `KR_ERR_INVALID` when `m` is not a CLUSTER.
///
/// # Safety
/// `m` is NULL or a live handle; `json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn kr_sync_configure(m: *const KrModule, json: *const c_char) -> i32 {
    let body = |module: &KrModule| {
        if json.is_null() {
            return KrStatus::KR_ERR_NULL;
        }
        let Some((link, _)) = module.sync() else {
            return KrStatus::KR_ERR_INVALID;
        };
        // SAFETY: non-null and NUL-terminated by the caller's contract.
        let bytes = unsafe { CStr::from_ptr(json) }.to_bytes();
        let Some(changes) = std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .filter(serde_json::Value::is_object)
        else {
            return KrStatus::KR_ERR_JSON;
        };
        let mut merged = serde_json::to_value(link.settings()).unwrap_or_default();
        if let (Some(into), Some(from)) = (merged.as_object_mut(), changes.as_object()) {
            for (k, v) in from {
                into.insert(k.clone(), v.clone());
            }
        }
        match serde_json::from_value::<SyncSettings>(merged).map(SyncSettings::sanitized) {
            Ok((settings, None)) => {
                link.set_settings(settings);
                KrStatus::KR_OK
            }
            _ => KrStatus::KR_ERR_JSON,
        }
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::kr_string_free;
    use crate::module::{kr_module_create, kr_module_free};
    use kuberack_core::live::RealSummary;
    use std::mem::MaybeUninit;

    fn settings(m: *const KrModule) -> serde_json::Value {
        // SAFETY: a live handle; the string is released below.
        unsafe {
            let text = kr_sync_settings(m);
            assert!(!text.is_null());
            let value = serde_json::from_str(CStr::from_ptr(text).to_str().unwrap()).unwrap();
            kr_string_free(text);
            value
        }
    }

    #[test]
    fn a_hub_is_configured_and_reports_off_until_sync_is_wanted() {
        let hub = kr_module_create(0);
        let node = kr_module_create(1);
        // SAFETY: live handles, valid strings and a writable status.
        unsafe {
            assert_eq!(settings(hub)["namespace"], "kuberack");
            let change = c"{\"namespace\": \"demo\", \"deleteOnStop\": true}";
            assert_eq!(kr_sync_configure(hub, change.as_ptr()), 0);
            let s = settings(hub);
            assert_eq!(
                (s["namespace"].as_str(), s["deleteOnStop"].as_bool()),
                (Some("demo"), Some(true))
            );
            assert_eq!(s["mirrorOnly"], false);
            // An invalid namespace changes nothing.
            let bad = c"{\"namespace\": \"Not A Label\"}";
            assert_eq!(
                kr_sync_configure(hub, bad.as_ptr()),
                KrStatus::KR_ERR_JSON.code()
            );
            assert_eq!(settings(hub)["namespace"], "demo");
            // Not wanted: polling starts nothing.
            assert_eq!(kr_sync_poll(hub), 0);
            let mut status = MaybeUninit::<KrSyncStatus>::uninit();
            assert_eq!(kr_sync_status(hub, status.as_mut_ptr()), 0);
            let status = status.assume_init();
            assert_eq!((status.state, status.wanted), (KR_SYNC_OFF, 0));
            assert_eq!(status.last_error[0], 0);
            assert_eq!(status.real_known, 0);
            // Once the sync thread has listed the real cluster, its summary is there.
            let (link, _) = (*hub).sync().unwrap();
            link.status.set_real(Some(RealSummary {
                nodes: 4,
                ready_nodes: 3,
                cpu_allocatable_m: 8000,
                cpu_requested_m: 2000,
            }));
            let mut real = MaybeUninit::<KrSyncStatus>::uninit();
            assert_eq!(kr_sync_status(hub, real.as_mut_ptr()), 0);
            let real = real.assume_init();
            assert_eq!(
                (real.real_known, real.real_nodes, real.real_ready_nodes),
                (1, 4, 3)
            );
            assert_eq!(real.real_cpu_utilisation, 0.25);
            // Members have no sync; NULL is refused.
            assert_eq!(kr_sync_poll(node), KrStatus::KR_ERR_INVALID.code());
            assert!(kr_sync_settings(node).is_null());
            assert_eq!(kr_sync_poll(ptr::null()), KrStatus::KR_ERR_NULL.code());
            assert_eq!(
                kr_sync_configure(hub, ptr::null()),
                KrStatus::KR_ERR_NULL.code()
            );
            assert_eq!(
                kr_sync_status(hub, ptr::null_mut()),
                KrStatus::KR_ERR_NULL.code()
            );
            kr_module_free(hub);
            kr_module_free(node);
        }
    }
}
