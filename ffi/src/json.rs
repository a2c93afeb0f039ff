//! Saving and loading a module's own settings as JSON (Rack's dataToJson / dataFromJson).

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use crate::guard;
use crate::module::{with_handle, KrModule};
use crate::status::KrStatus;

/// The module's settings as a NUL-terminated JSON string, to be released with
/// `kr_string_free`; NULL for a NULL handle or when saving panicked (which faults the
/// module). A faulted module still saves what it has, so the patch loses nothing. Not for
/// the audio thread.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_module_save_json(m: *const KrModule) -> *mut c_char {
    guard::or(ptr::null_mut(), || {
        // SAFETY: NULL or live, by the caller's contract.
        let Some(module) = (unsafe { m.as_ref() }) else {
            return ptr::null_mut();
        };
        let saved = {
            let state = module.state().access();
            guard::contain(|| serde_json::to_string(&state.module.save()))
        };
        match saved {
            // serde_json escapes U+0000, so the text holds no NUL byte.
            Ok(Ok(text)) => CString::new(text).map_or(ptr::null_mut(), CString::into_raw),
            Ok(Err(_)) => ptr::null_mut(),
            Err(message) => {
                module.fault("save_json", &message);
                ptr::null_mut()
            }
        }
    })
}

/// Restores settings saved by `kr_module_save_json`. `KR_ERR_NULL` for a NULL handle or
/// string; `KR_ERR_FAULTED` on a faulted module; `KR_ERR_JSON` when the text is not UTF-8
/// JSON (the module is left as it was) or does not fit the module (it keeps defaults for what
/// it could not read); `kr_module_last_error` then says why. Not for the audio thread.
///
/// # Safety
/// `m` is NULL or a live handle; `json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn kr_module_load_json(m: *mut KrModule, json: *const c_char) -> i32 {
    let body = |module: &KrModule| {
        if json.is_null() {
            return KrStatus::KR_ERR_NULL;
        }
        // SAFETY: non-null and NUL-terminated by the caller's contract.
        let bytes = unsafe { CStr::from_ptr(json) }.to_bytes();
        module.run("load_json", |s| {
            let loaded = std::str::from_utf8(bytes)
                .map_err(|e| format!("saved state is not UTF-8: {e}"))
                .and_then(|text| {
                    serde_json::from_str::<serde_json::Value>(text)
                        .map_err(|e| format!("saved state is not JSON: {e}"))
                })
                .and_then(|value| {
                    s.module
                        .load(&value)
                        .map_err(|e| format!("saved state does not fit the module: {e}"))
                });
            match loaded {
                Ok(()) => {
                    s.error = None;
                    KrStatus::KR_OK
                }
                Err(why) => {
                    s.error = Some(why.replace('\0', ""));
                    KrStatus::KR_ERR_JSON
                }
            }
        })
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

/// Releases a string returned by `kr_module_save_json`. NULL is ignored.
///
/// # Safety
/// `s` is NULL or a string from `kr_module_save_json` not yet released.
#[no_mangle]
pub unsafe extern "C" fn kr_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    // SAFETY: made by `CString::into_raw` in `kr_module_save_json`, given back once.
    let owned = unsafe { CString::from_raw(s) };
    guard::or((), move || drop(owned));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::tests::{last_error, Faulty, PanicIn};
    use crate::module::{kr_module_create, kr_module_free, kr_module_is_faulted};

    /// Saves `m` to a Rust string.
    fn save(m: *const KrModule) -> Option<String> {
        // SAFETY: `m` is live; the string is released once.
        unsafe {
            let p = kr_module_save_json(m);
            if p.is_null() {
                return None;
            }
            let text = CStr::from_ptr(p).to_str().unwrap().to_owned();
            kr_string_free(p);
            Some(text)
        }
    }

    #[test]
    fn every_model_round_trips_its_settings() {
        for i in 0..crate::kr_model_count() {
            let a = kr_module_create(i);
            let b = kr_module_create(i);
            let text = save(a).expect("saves");
            let c_text = CString::new(text.clone()).unwrap();
            // SAFETY: both live until freed.
            unsafe {
                assert_eq!(
                    kr_module_load_json(b, c_text.as_ptr()),
                    0,
                    "{}",
                    last_error(b)
                );
                assert_eq!(save(b).as_deref(), Some(text.as_str()));
                kr_module_free(a);
                kr_module_free(b);
            }
        }
    }

    #[test]
    fn nulls_and_corrupt_text_are_reported_and_change_nothing() {
        let m = kr_module_create(0);
        let before = save(m).unwrap();
        // SAFETY: `m` is live until freed; strings are C strings.
        unsafe {
            assert!(kr_module_save_json(ptr::null()).is_null());
            assert_eq!(kr_module_load_json(ptr::null_mut(), c"{}".as_ptr()), -1);
            assert_eq!(kr_module_load_json(m, ptr::null()), -1);
            kr_string_free(ptr::null_mut());
            for corrupt in [c"", c"{", c"not json", c"[1, 2", c"{\"a\":}", c"\xff\xfe{}"] {
                assert_eq!(kr_module_load_json(m, corrupt.as_ptr()), -5, "{corrupt:?}");
                assert!(
                    last_error(m).starts_with("saved state is not"),
                    "{}",
                    last_error(m)
                );
                assert_eq!(kr_module_is_faulted(m), 0);
            }
            assert_eq!(save(m).unwrap(), before);
            let good = CString::new(before.clone()).unwrap();
            assert_eq!(kr_module_load_json(m, good.as_ptr()), 0);
            assert_eq!(last_error(m), "");
            kr_module_free(m);
        }
    }

    #[test]
    fn a_panic_while_saving_or_loading_faults_the_module() {
        let m = Faulty::handle(PanicIn::Save);
        assert!(save(m).is_none());
        // SAFETY: `m` is live until freed.
        unsafe {
            assert_eq!(kr_module_is_faulted(m), 1);
            assert_eq!(last_error(m), "panicked in save_json: test panic in Save");
            kr_module_free(m);
        }
        let m = Faulty::handle(PanicIn::Load);
        // SAFETY: `m` is live until freed.
        unsafe {
            assert_eq!(
                kr_module_load_json(m, c"{}".as_ptr()),
                KrStatus::KR_ERR_PANIC.code()
            );
            assert_eq!(
                kr_module_load_json(m, c"{}".as_ptr()),
                KrStatus::KR_ERR_FAULTED.code()
            );
            // A faulted module still saves its settings.
            assert_eq!(save(m).as_deref(), Some("{\"faulty\":true}"));
            kr_module_free(m);
        }
    }
}
