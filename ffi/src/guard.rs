//! Panic containment: every exported function runs its body through [`contain`], so no
//! panic ever unwinds into the host.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::status::KrStatus;

/// Runs `f`; a panic becomes `Err` with the panic's message.
///
/// `AssertUnwindSafe` is sound here because whatever a panic may have left half-updated is
/// either discarded or, for a module, marked faulted and never processed again.
pub(crate) fn contain<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = panic_message(payload.as_ref());
        discard(payload);
        message
    })
}

/// Runs a body that yields a status; a panic becomes `KR_ERR_PANIC`.
pub(crate) fn status(f: impl FnOnce() -> KrStatus) -> i32 {
    contain(f).unwrap_or(KrStatus::KR_ERR_PANIC).code()
}

/// Runs `f`; a panic yields `fallback` instead.
pub(crate) fn or<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    contain(f).unwrap_or(fallback)
}

/// The text of a panic payload, without NUL bytes so it can become a C string.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    let text = if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        "panic with a payload that is not a string"
    };
    text.replace('\0', "")
}

/// Drops a panic payload; should its destructor panic in turn, that payload is leaked.
fn discard(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(contain(|| 7), Ok(7));
        assert_eq!(
            contain(|| -> u8 { panic!("boom {}", 42) }),
            Err("boom 42".to_owned())
        );
        assert_eq!(
            contain(|| -> u8 { panic!("static") }),
            Err("static".to_owned())
        );
        let odd = contain(|| std::panic::panic_any(5_u32));
        assert_eq!(
            odd,
            Err("panic with a payload that is not a string".to_owned())
        );
    }

    #[test]
    fn messages_lose_nul_bytes() {
        assert_eq!(contain(|| -> u8 { panic!("a\0b") }), Err("ab".to_owned()));
    }

    #[test]
    fn a_panicking_body_reports_kr_err_panic() {
        assert_eq!(status(|| KrStatus::KR_ERR_JSON), -5);
        assert_eq!(status(|| panic!("inside")), KrStatus::KR_ERR_PANIC.code());
        assert_eq!(or(-1, || -> i32 { panic!("inside") }), -1);
    }

    #[test]
    fn a_payload_whose_destructor_panics_is_contained() {
        struct Nasty;
        impl Drop for Nasty {
            fn drop(&mut self) {
                panic!("from drop");
            }
        }
        let r = contain(|| std::panic::panic_any(Nasty));
        assert_eq!(
            r,
            Err("panic with a payload that is not a string".to_owned())
        );
    }
}
