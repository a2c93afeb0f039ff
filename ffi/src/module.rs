//! Module handles: creation, destruction, sample rate, reset, seed and fault reporting.

use std::ffi::c_char;
use std::ptr;
use std::sync::{Arc, Mutex, OnceLock};

use kuberack_core::live::LiveLink;
use kuberack_core::status::StatusLine;
use kuberack_core::view::ViewCell;
use kuberack_core::Module;
use kuberack_protocol::ModuleDescriptor;
use kuberack_sync::Supervisor;

use crate::access::Exclusive;
use crate::status::KrStatus;
use crate::{global, guard, models};

/// Sample rate a module runs at until the host sets one (Rack's default engine rate).
const DEFAULT_SAMPLE_RATE: f32 = 44_100.0;

/// An instance of a KubeRack module, opaque to C. Create it with `kr_module_create`, free it
/// with `kr_module_free`.
pub struct KrModule {
    /// The model's descriptor; process() counts are checked against it.
    descriptor: &'static ModuleDescriptor,
    /// Set once, when the module panics; from then on it is silent.
    fault: OnceLock<Box<str>>,
    /// The Rust module and its scratch buffers, one thread at a time.
    state: Exclusive<State>,
    /// A hub's display snapshot, readable without touching `state`.
    view: Option<Arc<ViewCell>>,
    /// The module's status line, readable without touching `state`.
    status: Option<Arc<StatusLine>>,
    /// A hub's live-sync link and the supervisor of its sync thread, used off the audio
    /// path only (the audio path reaches the link through the module, wait-free).
    sync: Option<(Arc<LiveLink>, Mutex<Supervisor>)>,
}

// The ABI lets any thread call into a module, so a handle must be shareable.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<KrModule>();
};

/// Everything a call may mutate.
pub(crate) struct State {
    /// The core's module.
    pub(crate) module: Box<dyn Module>,
    /// Why the last load failed, for `kr_module_last_error` (cleared by a good load).
    pub(crate) error: Option<String>,
}

impl KrModule {
    /// Wraps a core module.
    pub(crate) fn new(module: Box<dyn Module>) -> KrModule {
        let descriptor = module.descriptor();
        let sync = module
            .live()
            .map(|link| (Arc::clone(&link), Mutex::new(Supervisor::new(link))));
        KrModule {
            descriptor,
            view: module.view(),
            status: module.status(),
            sync,
            fault: OnceLock::new(),
            state: Exclusive::new(State {
                error: None,
                module,
            }),
        }
    }

    /// The text of the module's status line (empty without one).
    pub(crate) fn status_text(&self) -> &'static std::ffi::CStr {
        self.status.as_deref().map_or(c"", StatusLine::text)
    }

    /// A hub's display snapshot (`None` for members).
    pub(crate) fn view(&self) -> Option<&ViewCell> {
        self.view.as_deref()
    }

    /// A hub's live-sync link and supervisor (`None` for members).
    pub(crate) fn sync(&self) -> Option<&(Arc<LiveLink>, Mutex<Supervisor>)> {
        self.sync.as_ref()
    }

    /// The model's descriptor.
    pub(crate) fn descriptor(&self) -> &'static ModuleDescriptor {
        self.descriptor
    }

    /// The module's mutable state.
    pub(crate) fn state(&self) -> &Exclusive<State> {
        &self.state
    }

    /// Whether the module has panicked.
    pub(crate) fn is_faulted(&self) -> bool {
        self.fault.get().is_some()
    }

    /// Marks the module faulted; the first fault's message is kept.
    pub(crate) fn fault(&self, during: &str, message: &str) {
        let _ = self
            .fault
            .set(format!("panicked in {during}: {message}").into_boxed_str());
    }

    /// Runs an off-audio-path operation: `KR_ERR_FAULTED` on a faulted module; a panic
    /// faults the module and yields `KR_ERR_PANIC`.
    pub(crate) fn run(&self, during: &str, f: impl FnOnce(&mut State) -> KrStatus) -> KrStatus {
        if self.is_faulted() {
            return KrStatus::KR_ERR_FAULTED;
        }
        let mut state = self.state.access();
        match guard::contain(|| f(&mut state)) {
            Ok(status) => status,
            Err(message) => {
                self.fault(during, &message);
                KrStatus::KR_ERR_PANIC
            }
        }
    }

    /// The fault message, else the last load error, else nothing; passed to `f`.
    fn with_message<T>(&self, f: impl FnOnce(&str) -> T) -> T {
        if let Some(fault) = self.fault.get() {
            return f(fault);
        }
        let state = self.state.access();
        f(state.error.as_deref().unwrap_or(""))
    }
}

/// Runs `f` on the handle `m`, containing panics; `KR_ERR_NULL` when `m` is NULL.
///
/// # Safety
/// `m` is NULL or a live handle from `kr_module_create`.
pub(crate) unsafe fn with_handle(m: *const KrModule, f: impl FnOnce(&KrModule) -> KrStatus) -> i32 {
    guard::status(|| {
        // SAFETY: NULL or live, by the caller's contract.
        match unsafe { m.as_ref() } {
            Some(module) => f(module),
            None => KrStatus::KR_ERR_NULL,
        }
    })
}

/// Creates an instance of model `model`, joined to this process's shared registry. Returns
/// NULL for an unknown model, when every registry slot is taken, or on a contained panic.
/// The module runs at 44100 Hz until `kr_module_set_sample_rate`. Not for the audio thread.
#[no_mangle]
pub extern "C" fn kr_module_create(model: u32) -> *mut KrModule {
    guard::or(ptr::null_mut(), || {
        let Some(descriptor) = models::descriptor(model) else {
            return ptr::null_mut();
        };
        let Ok(mut module) = kuberack_core::create_module(descriptor.slug, global::registry())
        else {
            return ptr::null_mut();
        };
        module.set_sample_rate(DEFAULT_SAMPLE_RATE);
        Box::into_raw(Box::new(KrModule::new(module)))
    })
}

/// Destroys a module (what it stood for leaves its cluster). NULL is ignored. Not for the
/// audio thread.
///
/// # Safety
/// `m` is NULL or a live handle from `kr_module_create`, not used by any thread afterwards.
#[no_mangle]
pub unsafe extern "C" fn kr_module_free(m: *mut KrModule) {
    if m.is_null() {
        return;
    }
    // SAFETY: a live handle from `Box::into_raw`, given up by the caller.
    let owned = unsafe { Box::from_raw(m) };
    guard::or((), move || drop(owned));
}

/// Sets the sample rate in Hz: `KR_ERR_INVALID` unless it is a positive finite number,
/// `KR_ERR_FAULTED` on a faulted module.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_module_set_sample_rate(m: *mut KrModule, sample_rate: f32) -> i32 {
    let body = |module: &KrModule| {
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return KrStatus::KR_ERR_INVALID;
        }
        module.run("set_sample_rate", |s| {
            s.module.set_sample_rate(sample_rate);
            KrStatus::KR_OK
        })
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

/// Returns the module's settings and state to their initial values (Rack's Initialize).
/// `KR_ERR_FAULTED` on a faulted module: a fault is permanent.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_module_reset(m: *mut KrModule) -> i32 {
    let body = |module: &KrModule| {
        module.run("reset", |s| {
            s.module.reset();
            s.error = None;
            KrStatus::KR_OK
        })
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

/// Overrides the module's random seed (meaningful for a hub; members ignore it).
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_module_set_seed(m: *mut KrModule, seed: u64) -> i32 {
    let body = |module: &KrModule| {
        module.run("set_seed", |s| {
            s.module.set_seed(seed);
            KrStatus::KR_OK
        })
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

/// Tells the module its host's id (Rack's `Module::id`, stable across saves of a patch),
/// which live sync names the module's real Kubernetes objects after. Not for the audio thread.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_module_set_id(m: *mut KrModule, id: i64) -> i32 {
    let body = |module: &KrModule| {
        module.run("set_id", |s| {
            s.module.set_rack_id(id as u64);
            KrStatus::KR_OK
        })
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

/// 1 when the module has panicked and is silent for good, 0 when healthy, `KR_ERR_NULL`
/// for a NULL handle. Safe to call from any thread at any time.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn kr_module_is_faulted(m: *const KrModule) -> i32 {
    guard::or(KrStatus::KR_ERR_PANIC.code(), || {
        // SAFETY: NULL or live, by the caller's contract.
        match unsafe { m.as_ref() } {
            Some(module) => i32::from(module.is_faulted()),
            None => KrStatus::KR_ERR_NULL.code(),
        }
    })
}

/// Copies the module's last error (the panic message when faulted, else why the last load
/// failed, else an empty string) into `buf` as a NUL-terminated string, truncated at a
/// UTF-8 character boundary to fit `len` bytes. Returns the message's full length in bytes
/// (like snprintf: truncation happened when it is >= `len`). `buf` may be NULL only when
/// `len` is 0, to ask for the length. `KR_ERR_NULL` for a NULL handle or a NULL `buf` with
/// `len` > 0. Not for the audio thread.
///
/// # Safety
/// `m` is NULL or a live handle; `buf` is NULL or valid for writing `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn kr_module_last_error(
    m: *const KrModule,
    buf: *mut c_char,
    len: usize,
) -> i32 {
    guard::or(KrStatus::KR_ERR_PANIC.code(), || {
        // SAFETY: NULL or live, by the caller's contract.
        let Some(module) = (unsafe { m.as_ref() }) else {
            return KrStatus::KR_ERR_NULL.code();
        };
        if buf.is_null() && len > 0 {
            return KrStatus::KR_ERR_NULL.code();
        }
        module.with_message(|message| {
            if len > 0 {
                let mut n = message.len().min(len - 1);
                while !message.is_char_boundary(n) {
                    n -= 1;
                }
                // SAFETY: `buf` is valid for `len` > n bytes; the source is a distinct Rust
                // string.
                unsafe {
                    ptr::copy_nonoverlapping(message.as_ptr().cast::<c_char>(), buf, n);
                    buf.add(n).write(0);
                }
            }
            i32::try_from(message.len()).unwrap_or(i32::MAX)
        })
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::any::Any;
    use std::ffi::CStr;

    use kuberack_core::{LoadError, ProcessIo};
    use kuberack_protocol::MODULES;

    /// Which entry point of [`Faulty`] panics.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub(crate) enum PanicIn {
        Process,
        Reset,
        Save,
        Load,
        SampleRate,
        Drop,
    }

    /// A test-only module that behaves like model 0 but panics where told.
    pub(crate) struct Faulty {
        pub(crate) panic_in: PanicIn,
        pub(crate) processed: u32,
    }

    impl Faulty {
        /// A handle around a module that panics in `panic_in` (after 3 good samples there).
        pub(crate) fn handle(panic_in: PanicIn) -> *mut KrModule {
            let module = Box::new(Faulty {
                panic_in,
                processed: 0,
            });
            Box::into_raw(Box::new(KrModule::new(module)))
        }

        fn maybe(&self, here: PanicIn) {
            if self.panic_in == here {
                panic!("test panic in {here:?}");
            }
        }
    }

    impl Drop for Faulty {
        fn drop(&mut self) {
            self.maybe(PanicIn::Drop);
        }
    }

    impl Module for Faulty {
        fn descriptor(&self) -> &'static ModuleDescriptor {
            MODULES[0]
        }
        fn set_sample_rate(&mut self, _sample_rate: f32) {
            self.maybe(PanicIn::SampleRate);
        }
        fn process(&mut self, io: &mut ProcessIo<'_>) {
            self.processed += 1;
            if self.processed > 3 {
                self.maybe(PanicIn::Process);
            }
            io.outputs.fill(1.0);
            io.output_channels.fill(1);
            io.lights.fill(0.5);
        }
        fn reset(&mut self) {
            self.maybe(PanicIn::Reset);
        }
        fn save(&self) -> serde_json::Value {
            self.maybe(PanicIn::Save);
            serde_json::json!({ "faulty": true })
        }
        fn load(&mut self, _state: &serde_json::Value) -> Result<(), LoadError> {
            self.maybe(PanicIn::Load);
            Ok(())
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    /// The module's last error as a Rust string.
    pub(crate) fn last_error(m: *const KrModule) -> String {
        let mut buf = [0 as c_char; 256];
        // SAFETY: `buf` is valid for its length; `m` is live.
        let n = unsafe { kr_module_last_error(m, buf.as_mut_ptr(), buf.len()) };
        assert!(n >= 0);
        // SAFETY: the call NUL-terminated `buf`.
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn every_model_can_be_created_and_matches_its_catalog_entry() {
        for (i, d) in MODULES.iter().enumerate() {
            let m = kr_module_create(i as u32);
            assert!(!m.is_null(), "model {i} ({})", d.slug);
            // SAFETY: `m` is live until freed below.
            unsafe {
                assert!(std::ptr::eq((*m).descriptor(), *d), "{}", d.slug);
                assert_eq!(kr_module_is_faulted(m), 0);
                assert_eq!(kr_module_set_sample_rate(m, 48_000.0), 0);
                assert_eq!(kr_module_set_seed(m, 42), 0);
                assert_eq!(kr_module_reset(m), 0);
                kr_module_free(m);
            }
        }
        assert!(kr_module_create(kuberack_protocol::MODULES.len() as u32).is_null());
        assert!(kr_module_create(u32::MAX).is_null());
    }

    #[test]
    fn null_handles_are_reported() {
        let null = ptr::null_mut::<KrModule>();
        let mut buf = [0 as c_char; 8];
        // SAFETY: every call accepts NULL handles.
        unsafe {
            kr_module_free(null);
            assert_eq!(kr_module_set_sample_rate(null, 48_000.0), -1);
            assert_eq!(kr_module_reset(null), -1);
            assert_eq!(kr_module_set_seed(null, 1), -1);
            assert_eq!(kr_module_is_faulted(null), -1);
            assert_eq!(kr_module_last_error(null, buf.as_mut_ptr(), buf.len()), -1);
        }
    }

    #[test]
    fn bad_sample_rates_are_invalid() {
        let m = kr_module_create(0);
        // SAFETY: `m` is live until freed.
        unsafe {
            for sr in [0.0, -1.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0] {
                assert_eq!(kr_module_set_sample_rate(m, sr), -3, "{sr}");
            }
            assert_eq!(kr_module_set_sample_rate(m, 1.0), 0);
            kr_module_free(m);
        }
    }

    #[test]
    fn last_error_truncates_like_snprintf() {
        let m = Faulty::handle(PanicIn::Reset);
        // SAFETY: `m` is live until freed; buffers are valid for their lengths.
        unsafe {
            assert_eq!(kr_module_last_error(m, ptr::null_mut(), 0), 0);
            assert_eq!(kr_module_reset(m), KrStatus::KR_ERR_PANIC.code());
            let full = last_error(m);
            assert_eq!(full, "panicked in reset: test panic in Reset");
            assert_eq!(
                kr_module_last_error(m, ptr::null_mut(), 0),
                full.len() as i32
            );
            assert_eq!(kr_module_last_error(m, ptr::null_mut(), 4), -1);
            let mut small = [0x55 as c_char; 5];
            assert_eq!(
                kr_module_last_error(m, small.as_mut_ptr(), 5),
                full.len() as i32
            );
            assert_eq!(CStr::from_ptr(small.as_ptr()).to_str().unwrap(), "pani");
            let mut one = [0x55 as c_char; 1];
            kr_module_last_error(m, one.as_mut_ptr(), 1);
            assert_eq!(one[0], 0);
            kr_module_free(m);
        }
    }

    #[test]
    fn a_panic_off_the_audio_path_faults_the_module_for_good() {
        // SAFETY (both closures): called below with a live handle.
        type Call = fn(*mut KrModule) -> i32;
        let calls: [(PanicIn, Call); 2] = [
            (PanicIn::Reset, |m| unsafe { kr_module_reset(m) }),
            (PanicIn::SampleRate, |m| unsafe {
                kr_module_set_sample_rate(m, 1.0)
            }),
        ];
        for (panic_in, call) in calls {
            let m = Faulty::handle(panic_in);
            // SAFETY: `m` is live until freed.
            unsafe {
                assert_eq!(kr_module_is_faulted(m), 0);
                assert_eq!(call(m), KrStatus::KR_ERR_PANIC.code());
                assert_eq!(kr_module_is_faulted(m), 1);
                assert_eq!(call(m), KrStatus::KR_ERR_FAULTED.code());
                assert_eq!(kr_module_set_seed(m, 3), KrStatus::KR_ERR_FAULTED.code());
                assert!(last_error(m).contains("test panic"), "{}", last_error(m));
                kr_module_free(m);
            }
        }
    }

    #[test]
    fn a_panic_while_freeing_is_contained() {
        let m = Faulty::handle(PanicIn::Drop);
        // SAFETY: `m` is live and not used afterwards.
        unsafe { kr_module_free(m) };
    }

    #[test]
    fn a_utf8_message_is_cut_at_a_character_boundary() {
        let m = Faulty::handle(PanicIn::Process);
        // SAFETY: `m` is live until freed; `buf` is valid for its length.
        unsafe {
            (*m).fault("x", "\u{e9}\u{e9}");
            // "panicked in x: " is 15 bytes; each é is 2 bytes.
            let mut buf = [0 as c_char; 17];
            assert_eq!(kr_module_last_error(m, buf.as_mut_ptr(), buf.len()), 19);
            let s = CStr::from_ptr(buf.as_ptr()).to_str().unwrap();
            assert_eq!(s, "panicked in x: ");
            kr_module_free(m);
        }
    }
}
