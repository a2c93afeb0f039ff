//! The per-sample call: host buffers in, the module's outputs and lights out.
//!
//! Real-time: no allocation, no lock, no syscall on the way through. The buffers are
//! borrowed in place as slices after their pointers and counts are checked. Params and
//! inputs are sanitised where the module reads them ([`ProcessIo`]'s accessors); outputs
//! only when the module wrote them, and only the channels it uses. `written` tells the host
//! which outputs and lights to copy out: a member between control ticks writes nothing.

use kuberack_core::rack::sanitize;
use kuberack_core::ProcessIo;
use kuberack_protocol::{ModuleDescriptor, MAX_CHANNELS};

use crate::guard;
use crate::module::{with_handle, KrModule, State};
use crate::status::KrStatus;

/// One sample's buffers. Voltages are `KR_MAX_CHANNELS` floats per port; each count must
/// equal the model's count from `kr_model_info`. A pointer may be NULL only when its count
/// is 0. No buffer may overlap another.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KrProcessArgs {
    /// `num_params` raw param values, in descriptor order.
    pub params: *const f32,
    /// Number of params.
    pub num_params: u32,
    /// `num_inputs * KR_MAX_CHANNELS` input voltages.
    pub inputs: *const f32,
    /// `num_inputs` channel counts (0 = unpatched; above 16 reads as 16).
    pub input_channels: *const u8,
    /// Number of inputs.
    pub num_inputs: u32,
    /// `num_outputs * KR_MAX_CHANNELS` output voltages, written by the module.
    pub outputs: *mut f32,
    /// `num_outputs` channel counts, written by the module (at most 16).
    pub output_channels: *mut u8,
    /// Number of outputs.
    pub num_outputs: u32,
    /// `num_lights` brightnesses 0..1, written by the module.
    pub lights: *mut f32,
    /// Number of lights.
    pub num_lights: u32,
    /// Set by the call: bit `i` when output `i` was written (voltages or channel count),
    /// bit 31 (`KR_LIGHTS_WRITTEN`) when the lights were. Outputs and lights not marked
    /// were left as they were: the host keeps its ports' values.
    pub written: u32,
}

/// The bit of [`KrProcessArgs::written`] that marks the lights.
pub const KR_LIGHTS_WRITTEN: u32 = 0x8000_0000;

const _: () = assert!(KR_LIGHTS_WRITTEN == ProcessIo::LIGHTS_WRITTEN);

/// The host's buffers as slices.
struct Buffers<'a> {
    params: &'a [f32],
    inputs: &'a [f32],
    input_channels: &'a [u8],
    outputs: &'a mut [f32],
    output_channels: &'a mut [u8],
    lights: &'a mut [f32],
}

/// `len` elements at `p`: an empty slice for `len` 0, else `KR_ERR_NULL` for NULL and
/// `KR_ERR_INVALID` for a misaligned pointer.
///
/// # Safety
/// A non-null `p` is valid for reading `len` elements for `'a`, and nothing writes them.
unsafe fn slice<'a, T>(p: *const T, len: usize) -> Result<&'a [T], KrStatus> {
    if len == 0 {
        Ok(&[])
    } else if p.is_null() {
        Err(KrStatus::KR_ERR_NULL)
    } else if !p.is_aligned() {
        Err(KrStatus::KR_ERR_INVALID)
    } else {
        // SAFETY: non-null, aligned, and valid for `len` reads by the caller's contract.
        Ok(unsafe { std::slice::from_raw_parts(p, len) })
    }
}

/// Like [`slice`], mutable.
///
/// # Safety
/// A non-null `p` is valid for reading and writing `len` elements for `'a`, and no other
/// reference reaches them.
unsafe fn slice_mut<'a, T>(p: *mut T, len: usize) -> Result<&'a mut [T], KrStatus> {
    if len == 0 {
        Ok(&mut [])
    } else if p.is_null() {
        Err(KrStatus::KR_ERR_NULL)
    } else if !p.is_aligned() {
        Err(KrStatus::KR_ERR_INVALID)
    } else {
        // SAFETY: non-null, aligned, valid and unaliased by the caller's contract.
        Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
    }
}

impl Buffers<'_> {
    /// Checks the counts against the descriptor (`KR_ERR_RANGE`), then borrows the buffers.
    ///
    /// # Safety
    /// The pointers in `args` satisfy [`KrProcessArgs`]'s contract.
    unsafe fn new(args: &KrProcessArgs, d: &ModuleDescriptor) -> Result<Self, KrStatus> {
        let counts = [
            (args.num_params, d.params.len()),
            (args.num_inputs, d.inputs.len()),
            (args.num_outputs, d.outputs.len()),
            (args.num_lights, d.lights.len()),
        ];
        if counts.iter().any(|&(given, want)| given as usize != want) {
            return Err(KrStatus::KR_ERR_RANGE);
        }
        let ports = |n: u32| n as usize * MAX_CHANNELS;
        // SAFETY: the lengths are the ones the contract promises for each pointer.
        unsafe {
            Ok(Buffers {
                params: slice(args.params, args.num_params as usize)?,
                inputs: slice(args.inputs, ports(args.num_inputs))?,
                input_channels: slice(args.input_channels, args.num_inputs as usize)?,
                outputs: slice_mut(args.outputs, ports(args.num_outputs))?,
                output_channels: slice_mut(args.output_channels, args.num_outputs as usize)?,
                lights: slice_mut(args.lights, args.num_lights as usize)?,
            })
        }
    }

    /// Zero volts, zero channels, dark lights.
    fn silence(&mut self) {
        self.outputs.fill(0.0);
        self.output_channels.fill(0);
        self.lights.fill(0.0);
    }
}

/// Whatever a module wrote, the host gets finite voltages within +-12 V, brightnesses
/// within 0..1 and at most 16 channels: checked on the outputs it marked written, over the
/// channels it uses.
fn sanitize_outputs(io: &mut ProcessIo<'_>) {
    if io.written == 0 {
        return;
    }
    for (i, c) in io.output_channels.iter_mut().enumerate() {
        if io.written & ProcessIo::output_bit(i) == 0 {
            continue;
        }
        *c = (*c).min(MAX_CHANNELS as u8);
        let used = usize::from(*c).max(1);
        if let Some(port) = io
            .outputs
            .get_mut(i * MAX_CHANNELS..i * MAX_CHANNELS + used)
        {
            for v in port {
                *v = sanitize(*v);
            }
        }
    }
    if io.written & ProcessIo::LIGHTS_WRITTEN != 0 {
        for l in io.lights.iter_mut() {
            *l = if l.is_nan() { 0.0 } else { l.clamp(0.0, 1.0) };
        }
    }
}

/// Processes one sample. Checks, in order: NULL handle or `args` (`KR_ERR_NULL`), counts
/// different from the model's (`KR_ERR_RANGE`), NULL (`KR_ERR_NULL`) or misaligned
/// (`KR_ERR_INVALID`) buffers. A faulted module writes silence and returns
/// `KR_ERR_FAULTED`; a module that panics now is faulted, writes silence and returns
/// `KR_ERR_PANIC`; on both, `written` marks everything. Inputs may hold any float: NaN and
/// infinities are handled. Outputs come back finite within +-12 V, lights within 0..1, and
/// `written` says which of them changed (only those need copying out); input channels
/// beyond an input's count are never read. If another thread is inside a call on this
/// module (saving a patch, say), the sample is skipped, buffers untouched, `written` 0, and
/// `KR_OK` is returned. Never allocates, locks or blocks.
///
/// # Safety
/// `m` is NULL or a live handle; `args` is NULL or points to a `KrProcessArgs` whose
/// pointers are valid for the lengths it states and do not overlap.
#[no_mangle]
pub unsafe extern "C" fn kr_module_process(m: *mut KrModule, args: *mut KrProcessArgs) -> i32 {
    let body = |module: &KrModule| {
        // SAFETY: NULL or valid, by the caller's contract.
        let Some(args) = (unsafe { args.as_mut() }) else {
            return KrStatus::KR_ERR_NULL;
        };
        args.written = 0;
        let d = module.descriptor();
        // SAFETY: the caller's contract on the buffers.
        let mut bufs = match unsafe { Buffers::new(args, d) } {
            Ok(bufs) => bufs,
            Err(status) => return status,
        };
        if module.is_faulted() {
            bufs.silence();
            args.written = u32::MAX;
            return KrStatus::KR_ERR_FAULTED;
        }
        let Some(mut state) = module.state().try_access() else {
            return KrStatus::KR_OK;
        };
        let State { module: inner, .. } = &mut *state;
        let mut io = ProcessIo {
            params: bufs.params,
            inputs: bufs.inputs,
            input_channels: bufs.input_channels,
            outputs: bufs.outputs,
            output_channels: bufs.output_channels,
            lights: bufs.lights,
            written: 0,
        };
        let status = match guard::contain(|| inner.process(&mut io)) {
            Ok(()) => {
                sanitize_outputs(&mut io);
                KrStatus::KR_OK
            }
            Err(message) => {
                module.fault("process", &message);
                io.silence();
                KrStatus::KR_ERR_PANIC
            }
        };
        args.written = io.written;
        status
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::module::tests::{last_error, Faulty, PanicIn};
    use crate::module::{kr_module_create, kr_module_free, kr_module_is_faulted};
    use kuberack_core::rack::MAX_VOLTS;
    use std::ptr;

    /// Buffers sized for a descriptor, with `KrProcessArgs` pointing into them.
    pub(crate) struct Rig {
        pub(crate) params: Vec<f32>,
        pub(crate) inputs: Vec<f32>,
        pub(crate) input_channels: Vec<u8>,
        pub(crate) outputs: Vec<f32>,
        pub(crate) output_channels: Vec<u8>,
        pub(crate) lights: Vec<f32>,
    }

    impl Rig {
        pub(crate) fn new(d: &ModuleDescriptor) -> Rig {
            Rig {
                params: d.default_params(),
                inputs: vec![0.0; d.inputs.len() * MAX_CHANNELS],
                input_channels: vec![0; d.inputs.len()],
                outputs: vec![0.0; d.outputs.len() * MAX_CHANNELS],
                output_channels: vec![0; d.outputs.len()],
                lights: vec![0.0; d.lights.len()],
            }
        }

        pub(crate) fn args(&mut self) -> KrProcessArgs {
            KrProcessArgs {
                params: self.params.as_ptr(),
                num_params: self.params.len() as u32,
                inputs: self.inputs.as_ptr(),
                input_channels: self.input_channels.as_ptr(),
                num_inputs: self.input_channels.len() as u32,
                outputs: self.outputs.as_mut_ptr(),
                output_channels: self.output_channels.as_mut_ptr(),
                num_outputs: self.output_channels.len() as u32,
                lights: self.lights.as_mut_ptr(),
                num_lights: self.lights.len() as u32,
                written: 0,
            }
        }

        /// Processes one sample.
        pub(crate) fn run(&mut self, m: *mut KrModule) -> i32 {
            let mut args = self.args();
            // SAFETY: `args` points into this rig's buffers, sized as the descriptor says.
            unsafe { kr_module_process(m, &mut args) }
        }
    }

    #[test]
    fn null_handles_and_args_are_reported() {
        let m = kr_module_create(0);
        let mut rig = Rig::new(kuberack_protocol::MODULES[0]);
        let mut args = rig.args();
        // SAFETY: `m` is live until freed; NULLs are allowed.
        unsafe {
            assert_eq!(kr_module_process(ptr::null_mut(), &mut args), -1);
            assert_eq!(kr_module_process(m, ptr::null_mut()), -1);
            let mut no_outputs = args;
            no_outputs.outputs = ptr::null_mut();
            assert_eq!(kr_module_process(m, &mut no_outputs), -1);
            let mut no_params = args;
            no_params.params = ptr::null();
            assert_eq!(kr_module_process(m, &mut no_params), -1);
            let mut no_lights = args;
            no_lights.lights = ptr::null_mut();
            assert_eq!(kr_module_process(m, &mut no_lights), -1);
            assert_eq!(kr_module_process(m, &mut args), 0);
            kr_module_free(m);
        }
    }

    #[test]
    fn wrong_counts_are_out_of_range() {
        let m = kr_module_create(0);
        let mut rig = Rig::new(kuberack_protocol::MODULES[0]);
        let args = rig.args();
        // SAFETY: `m` is live until freed; counts below are never above the buffers' sizes
        // except where the call must reject them before reading.
        unsafe {
            let mut a = args;
            a.num_params += 1;
            assert_eq!(kr_module_process(m, &mut a), -2);
            let mut a = args;
            a.num_inputs = 0;
            assert_eq!(kr_module_process(m, &mut a), -2);
            let mut a = args;
            a.num_outputs -= 1;
            assert_eq!(kr_module_process(m, &mut a), -2);
            let mut a = args;
            a.num_lights = u32::MAX;
            assert_eq!(kr_module_process(m, &mut a), -2);
            kr_module_free(m);
        }
    }

    #[test]
    fn misaligned_buffers_are_invalid() {
        let m = kr_module_create(0);
        let mut rig = Rig::new(kuberack_protocol::MODULES[0]);
        let mut spare = vec![0.0_f32; rig.outputs.len() + 1];
        let mut args = rig.args();
        args.outputs = spare
            .as_mut_ptr()
            .cast::<u8>()
            .wrapping_add(1)
            .cast::<f32>();
        // SAFETY: the call rejects the misaligned pointer before using it.
        unsafe {
            assert_eq!(kr_module_process(m, &mut args), -3);
            kr_module_free(m);
        }
    }

    #[test]
    fn hostile_voltages_and_channel_counts_come_out_clean() {
        for (i, d) in kuberack_protocol::MODULES.iter().enumerate() {
            let m = kr_module_create(i as u32);
            let mut rig = Rig::new(d);
            let hostile = [
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                1e30,
                -1e30,
                f32::MIN_POSITIVE,
            ];
            for n in 0..4_000 {
                let v = hostile[n % hostile.len()];
                rig.params.fill(v);
                rig.inputs.fill(v);
                rig.input_channels.fill(if n % 2 == 0 { 255 } else { 17 });
                assert_eq!(rig.run(m), 0, "{} sample {n}", d.slug);
                assert!(rig
                    .outputs
                    .iter()
                    .all(|v| v.is_finite() && v.abs() <= MAX_VOLTS));
                assert!(rig.lights.iter().all(|l| (0.0..=1.0).contains(l)));
                assert!(rig
                    .output_channels
                    .iter()
                    .all(|&c| c as usize <= MAX_CHANNELS));
            }
            // SAFETY: `m` is live.
            unsafe {
                assert_eq!(kr_module_is_faulted(m), 0, "{}: {}", d.slug, last_error(m));
                kr_module_free(m);
            }
        }
    }

    #[test]
    fn a_panic_in_process_silences_the_module_for_good() {
        let m = Faulty::handle(PanicIn::Process);
        let mut rig = Rig::new(kuberack_protocol::MODULES[0]);
        for _ in 0..3 {
            assert_eq!(rig.run(m), 0);
        }
        assert!(rig.outputs.iter().all(|&v| v == 1.0));
        assert_eq!(rig.run(m), KrStatus::KR_ERR_PANIC.code());
        assert!(rig.outputs.iter().all(|&v| v == 0.0));
        assert!(rig.lights.iter().all(|&v| v == 0.0));
        assert!(rig.output_channels.iter().all(|&c| c == 0));
        // SAFETY: `m` is live until freed.
        unsafe {
            assert_eq!(kr_module_is_faulted(m), 1);
            assert_eq!(last_error(m), "panicked in process: test panic in Process");
            for _ in 0..10 {
                rig.outputs.fill(3.0);
                assert_eq!(rig.run(m), KrStatus::KR_ERR_FAULTED.code());
                assert!(rig.outputs.iter().all(|&v| v == 0.0));
            }
            kr_module_free(m);
        }
    }

    #[test]
    fn a_busy_module_skips_the_sample_without_waiting() {
        let m = kr_module_create(0);
        let mut rig = Rig::new(kuberack_protocol::MODULES[0]);
        rig.outputs.fill(7.0);
        // SAFETY: `m` is live until freed.
        unsafe {
            let held = (*m).state().access();
            assert_eq!(rig.run(m), 0);
            assert!(rig.outputs.iter().all(|&v| v == 7.0), "buffers untouched");
            drop(held);
            kr_module_free(m);
        }
    }

    #[test]
    fn saving_from_another_thread_while_processing_is_safe() {
        /// A handle that may cross threads: the ABI allows calls from any thread.
        struct Shared(*mut KrModule);
        // SAFETY: `KrModule` serialises access to its state itself.
        unsafe impl Send for Shared {}

        let m = kr_module_create(0);
        let shared = Shared(m);
        let saver = std::thread::spawn(move || {
            let shared = shared;
            let mut saved = 0;
            for _ in 0..200 {
                // SAFETY: the handle stays live until the thread is joined.
                let text = unsafe { crate::kr_module_save_json(shared.0) };
                assert!(!text.is_null());
                // SAFETY: a string from `kr_module_save_json`, released once.
                unsafe { crate::kr_string_free(text) };
                saved += 1;
            }
            saved
        });
        let mut rig = Rig::new(kuberack_protocol::MODULES[0]);
        while !saver.is_finished() {
            assert_eq!(rig.run(m), 0);
        }
        assert_eq!(saver.join().unwrap(), 200);
        // SAFETY: no other thread uses `m` any more.
        unsafe {
            assert_eq!(kr_module_is_faulted(m), 0);
            kr_module_free(m);
        }
    }

    #[test]
    fn written_marks_what_changed_and_a_member_holds_between_ticks() {
        let index = |slug: &str| {
            kuberack_protocol::MODULES
                .iter()
                .position(|d| d.slug == slug)
                .unwrap()
        };
        let deployment = index("Deployment");
        let m = kr_module_create(deployment as u32);
        let mut rig = Rig::new(kuberack_protocol::MODULES[deployment]);
        let mut written = Vec::new();
        for _ in 0..64 {
            let mut args = rig.args();
            // SAFETY: `args` points into the rig's buffers; `m` is live.
            assert_eq!(unsafe { kr_module_process(m, &mut args) }, 0);
            written.push(args.written);
        }
        let ticks: Vec<usize> = (0..64).filter(|&i| written[i] != 0).collect();
        assert_eq!(ticks, [0, 32], "evaluated once per control tick");
        assert_ne!(written[0] & KR_LIGHTS_WRITTEN, 0);
        let outputs = kuberack_protocol::MODULES[deployment].outputs.len();
        assert_eq!(written[0] & !KR_LIGHTS_WRITTEN, (1 << outputs) - 1);

        // A faulted module marks everything: the host must copy its silence out.
        let f = Faulty::handle(PanicIn::Process);
        let mut rig = Rig::new(kuberack_protocol::MODULES[0]);
        for _ in 0..3 {
            rig.run(f);
        }
        let mut args = rig.args();
        // SAFETY: as above.
        unsafe {
            assert_eq!(
                kr_module_process(f, &mut args),
                KrStatus::KR_ERR_PANIC.code()
            );
            assert_eq!(args.written, u32::MAX);
            kr_module_free(f);
            kr_module_free(m);
        }
    }
}
