//! Status codes returned by every fallible `kr_` function.

/// Result of a `kr_` call. Functions return it as an `int32_t`; zero is success and every
/// error is negative.
#[allow(non_camel_case_types)]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KrStatus {
    /// Success.
    KR_OK = 0,
    /// A required pointer (handle, output struct, string, buffer) was NULL.
    KR_ERR_NULL = -1,
    /// An index is out of range, or a count does not match the model's descriptor.
    KR_ERR_RANGE = -2,
    /// A value is not acceptable (e.g. a sample rate that is not a positive finite number).
    KR_ERR_INVALID = -3,
    /// The module panicked earlier and is silent for good.
    KR_ERR_FAULTED = -4,
    /// Saved state was not valid JSON or did not fit the module; the module keeps defaults.
    KR_ERR_JSON = -5,
    /// A panic was contained inside this call.
    KR_ERR_PANIC = -6,
}

impl KrStatus {
    /// The code as the ABI returns it.
    pub const fn code(self) -> i32 {
        self as i32
    }
}

impl From<KrStatus> for i32 {
    fn from(status: KrStatus) -> i32 {
        status.code()
    }
}

#[cfg(test)]
mod tests {
    use super::KrStatus::*;

    #[test]
    fn codes_match_the_agreed_abi() {
        let expected = [
            (KR_OK, 0),
            (KR_ERR_NULL, -1),
            (KR_ERR_RANGE, -2),
            (KR_ERR_INVALID, -3),
            (KR_ERR_FAULTED, -4),
            (KR_ERR_JSON, -5),
            (KR_ERR_PANIC, -6),
        ];
        for (status, code) in expected {
            assert_eq!(status.code(), code, "{status:?}");
            assert_eq!(i32::from(status), code);
        }
    }
}
