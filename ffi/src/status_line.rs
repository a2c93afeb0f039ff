//! Status lines: where a model draws one, and the text a module shows now.

use std::ffi::c_char;

use crate::guard;
use crate::models;
use crate::module::{with_handle, KrModule};
use crate::status::KrStatus;

/// Where model `model` draws its status line, in mm from the panel's top-left corner.
/// `KR_ERR_NULL` for a NULL `x` or `y`, `KR_ERR_RANGE` for an unknown model or one without
/// a status line.
///
/// # Safety
/// `x` and `y` are NULL or valid for writing one float each.
#[no_mangle]
pub unsafe extern "C" fn kr_model_status_pos(model: u32, x: *mut f32, y: *mut f32) -> i32 {
    guard::status(|| {
        if x.is_null() || y.is_null() {
            return KrStatus::KR_ERR_NULL;
        }
        let Some(pos) = models::descriptor(model).and_then(|d| d.status) else {
            return KrStatus::KR_ERR_RANGE;
        };
        // SAFETY: non-null and valid for writes by the caller's contract.
        unsafe {
            x.write(pos.x_mm);
            y.write(pos.y_mm);
        }
        KrStatus::KR_OK
    })
}

/// The text module `m` shows on its status line now (empty when it has none), NUL-terminated
/// and valid for the whole process. Lock-free: for the UI thread while the audio thread
/// processes. NULL for a NULL handle.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_module_status(m: *const KrModule) -> *const c_char {
    let mut text = std::ptr::null();
    // SAFETY: forwarded caller contract.
    unsafe {
        with_handle(m, |module| {
            text = module.status_text().as_ptr();
            KrStatus::KR_OK
        })
    };
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::{kr_module_create, kr_module_free};
    use std::ffi::CStr;

    #[test]
    fn only_the_autoscaler_has_a_status_line_and_null_is_safe() {
        // SAFETY: a NUL-terminated string.
        let autoscaler = unsafe { crate::models::kr_model_find(c"Autoscaler".as_ptr()) } as u32;
        let (mut x, mut y) = (0.0f32, 0.0f32);
        // SAFETY: valid out-pointers and NULLs, as the contract allows.
        unsafe {
            assert_eq!(kr_model_status_pos(autoscaler, &mut x, &mut y), 0);
            assert!(x > 0.0 && y > 0.0);
            assert_eq!(kr_model_status_pos(0, &mut x, &mut y), -2);
            assert_eq!(kr_model_status_pos(9999, &mut x, &mut y), -2);
            assert_eq!(
                kr_model_status_pos(autoscaler, std::ptr::null_mut(), &mut y),
                -1
            );
            assert!(kr_module_status(std::ptr::null()).is_null());
            let m = kr_module_create(autoscaler);
            assert!(!m.is_null());
            assert_eq!(CStr::from_ptr(kr_module_status(m)), c"");
            kr_module_free(m);
            let hub = kr_module_create(0);
            assert_eq!(CStr::from_ptr(kr_module_status(hub)), c"");
            kr_module_free(hub);
        }
    }
}
