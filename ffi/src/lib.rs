//! KubeRack's C ABI: the surface the Rack plugin's C++ shim links against.
//!
//! Every exported function is prefixed `kr_`, accepts NULL safely, returns a status code
//! ([`KrStatus`]) where it can fail, and contains panics: nothing unwinds across the ABI.
//! A module that panics is faulted: from then on it outputs silence, and
//! [`kr_module_is_faulted`] / [`kr_module_last_error`] say so.
//!
//! The header `include/kuberack.h` is generated from this crate by cbindgen; the test
//! `tests/header.rs` fails when it is stale and says how to regenerate it.

#![warn(missing_docs)]

mod access;
mod export;
mod global;
mod guard;
mod json;
mod models;
mod module;
mod process;
mod status;
mod status_line;
mod sync;
mod view;

pub use export::kr_export_manifests;
pub use json::{kr_module_load_json, kr_module_save_json, kr_string_free};
pub use models::{
    kr_model_check_setting, kr_model_count, kr_model_find, kr_model_info, kr_model_input,
    kr_model_light, kr_model_output, kr_model_param, KrLightInfo, KrModelInfo, KrParamInfo,
    KrPortInfo,
};
pub use module::{
    kr_module_create, kr_module_free, kr_module_is_faulted, kr_module_last_error, kr_module_reset,
    kr_module_set_id, kr_module_set_sample_rate, kr_module_set_seed, KrModule,
};
pub use process::{kr_module_process, KrProcessArgs, KR_LIGHTS_WRITTEN};
pub use status::KrStatus;
pub use sync::{
    kr_sync_configure, kr_sync_poll, kr_sync_settings, kr_sync_status, KrSyncStatus,
    KR_SYNC_CONNECTING, KR_SYNC_DEGRADED, KR_SYNC_ERROR, KR_SYNC_ERROR_LEN, KR_SYNC_OFF,
    KR_SYNC_SYNCED,
};
pub use view::{
    kr_cluster_view, KrClusterView, KR_POD_BOUND, KR_POD_CREATING, KR_POD_FAILED, KR_POD_READY,
    KR_POD_RUNNING, KR_POD_TERMINATING, KR_POD_UNSCHEDULED, KR_VIEW_MAX_NODES, KR_VIEW_MAX_PODS,
};

/// Version of this C ABI. A host built against another version must not use the library.
pub const KR_ABI_VERSION: u32 = 2;

/// Most channels a port carries (Rack's polyphony); voltages are laid out this many floats
/// per port.
pub const KR_MAX_CHANNELS: u32 = 16;

const _: () = assert!(KR_MAX_CHANNELS as usize == kuberack_protocol::MAX_CHANNELS);

/// The ABI version this library implements: `KR_ABI_VERSION`.
#[no_mangle]
pub extern "C" fn kr_abi_version() -> u32 {
    KR_ABI_VERSION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_its_abi_version() {
        assert_eq!(kr_abi_version(), 2);
    }
}
