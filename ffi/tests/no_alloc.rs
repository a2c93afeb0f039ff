//! Proves `kr_module_process` allocates nothing after warm-up: a counting global allocator
//! watches the thread that drives a CLUSTER, a NODE and a DEPLOYMENT patched together, and
//! the hostile inputs and error paths of the ABI, through the same calls the plugin makes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::CString;
use std::sync::atomic::{AtomicUsize, Ordering};

use kuberack_ffi::*;
use kuberack_protocol::{ModuleDescriptor, MAX_CHANNELS, MODULES};

/// Counts allocations made by a thread while it is armed.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    if ARMED.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call unchanged to the system allocator; counting has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract is forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract is forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: the caller's contract is forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        // SAFETY: the caller's contract is forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (and frees) `f` makes on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    ARMED.with(|a| a.set(true));
    f();
    ARMED.with(|a| a.set(false));
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

/// A module with host-side buffers, as the plugin keeps them.
struct Rig {
    m: *mut KrModule,
    params: Vec<f32>,
    inputs: Vec<f32>,
    input_channels: Vec<u8>,
    outputs: Vec<f32>,
    output_channels: Vec<u8>,
    lights: Vec<f32>,
}

impl Rig {
    fn new(slug: &str) -> (Rig, &'static ModuleDescriptor) {
        let c = CString::new(slug).unwrap();
        // SAFETY: a valid C string.
        let model = unsafe { kr_model_find(c.as_ptr()) };
        let d = MODULES[usize::try_from(model).expect("model exists")];
        let m = kr_module_create(model as u32);
        assert!(!m.is_null());
        // SAFETY: `m` is live.
        assert_eq!(unsafe { kr_module_set_sample_rate(m, 48_000.0) }, 0);
        let rig = Rig {
            m,
            params: d.default_params(),
            inputs: vec![0.0; d.inputs.len() * MAX_CHANNELS],
            input_channels: vec![0; d.inputs.len()],
            outputs: vec![0.0; d.outputs.len() * MAX_CHANNELS],
            output_channels: vec![0; d.outputs.len()],
            lights: vec![0.0; d.lights.len()],
        };
        (rig, d)
    }

    fn args(&mut self) -> KrProcessArgs {
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

    fn process(&mut self) -> i32 {
        let mut args = self.args();
        // SAFETY: `args` points into this rig's buffers, sized as the descriptor says.
        unsafe { kr_module_process(self.m, &mut args) }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        // SAFETY: `m` is live and not used afterwards.
        unsafe { kr_module_free(self.m) };
    }
}

/// The patch: CLUSTER's API output into NODE's and DEPLOYMENT's API inputs.
struct Patch {
    cluster: Rig,
    node: Rig,
    deployment: Rig,
    api_out: usize,
    node_api: usize,
    deployment_api: usize,
}

impl Patch {
    fn new() -> Patch {
        let (cluster, c) = Rig::new("Cluster");
        let (node, n) = Rig::new("Node");
        let (deployment, d) = Rig::new("Deployment");
        Patch {
            cluster,
            node,
            deployment,
            api_out: c.output_index("API").unwrap(),
            node_api: n.input_index("API").unwrap(),
            deployment_api: d.input_index("API").unwrap(),
        }
    }

    /// One sample of the whole patch (a member whose API input index is `usize::MAX` is
    /// unplugged); true when every call returned `KR_OK`.
    fn step(&mut self) -> bool {
        let mut ok = self.cluster.process() == 0;
        let v = self.cluster.outputs[self.api_out * MAX_CHANNELS];
        let channels = self.cluster.output_channels[self.api_out];
        for (rig, input) in [
            (&mut self.node, self.node_api),
            (&mut self.deployment, self.deployment_api),
        ] {
            if input != usize::MAX {
                rig.inputs[input * MAX_CHANNELS] = v;
                rig.input_channels[input] = channels;
            }
            ok &= rig.process() == 0;
        }
        ok
    }
}

/// A handle another thread may use: the ABI allows calls from any thread.
struct Shared(*mut KrModule);
// SAFETY: `KrModule` serialises access to its state itself.
unsafe impl Send for Shared {}

/// A display thread reading the hub's snapshot (returns how many showed nodes) and a thread
/// saving the DEPLOYMENT (returns how many saves), until `stop`.
fn ui_threads(
    patch: &Patch,
) -> (
    std::thread::JoinHandle<usize>,
    std::thread::JoinHandle<usize>,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (hub, deployment) = (Shared(patch.cluster.m), Shared(patch.deployment.m));
    let halt = std::sync::Arc::clone(&stop);
    let display = std::thread::spawn(move || {
        let hub = hub;
        let mut shown = 0;
        while !halt.load(Ordering::Relaxed) {
            let mut view = std::mem::MaybeUninit::<KrClusterView>::uninit();
            // SAFETY: the hub outlives this thread (joined before the patch drops).
            if unsafe { kr_cluster_view(hub.0, view.as_mut_ptr()) } == 0 {
                // SAFETY: KR_OK wrote the view.
                shown += usize::from(unsafe { view.assume_init() }.num_nodes > 0);
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        shown
    });
    let halt = std::sync::Arc::clone(&stop);
    let saver = std::thread::spawn(move || {
        let deployment = deployment;
        let mut saves = 0;
        while !halt.load(Ordering::Relaxed) {
            // SAFETY: as above; the text is released once.
            unsafe {
                let text = kr_module_save_json(deployment.0);
                assert!(!text.is_null());
                kr_string_free(text);
            }
            saves += 1;
            std::thread::sleep(std::time::Duration::from_millis(3));
        }
        saves
    });
    (display, saver, stop)
}

#[test]
fn process_allocates_nothing_after_warm_up() {
    assert_eq!(
        allocations_in(|| drop(vec![1_u8; 10])),
        2,
        "the counter counts"
    );
    let mut patch = Patch::new();
    // Warm-up: the cluster forms, pods are scheduled and become Ready.
    for _ in 0..(5 * 48_000) {
        assert!(patch.step());
    }
    let replicas = MODULES[2].param_index("REPLICAS").unwrap();
    let mut ok = true;
    let mut run = |patch: &mut Patch, seconds: usize| {
        for _ in 0..(seconds * 48_000) {
            ok &= patch.step();
        }
    };
    // Meanwhile, as in Rack, a display reads the hub's snapshot (each read asks the hub to
    // take the next one in process()) and the patch is saved, both from other threads.
    let (display, saver, stop) = ui_threads(&patch);
    let running = allocations_in(|| {
        // Steady state, a scale-up, a scale-down, the Deployment unplugged and replugged.
        run(&mut patch, 1);
        patch.deployment.params[replicas] = 8.0;
        run(&mut patch, 3);
        patch.deployment.params[replicas] = 1.0;
        run(&mut patch, 2);
        patch.deployment_api = usize::MAX;
        patch.deployment.input_channels.fill(0);
        run(&mut patch, 1);
        patch.deployment_api = MODULES[2].input_index("API").unwrap();
        run(&mut patch, 2);
    });
    stop.store(true, Ordering::Relaxed);
    let views = display.join().expect("the display thread");
    let saves = saver.join().expect("the saving thread");
    assert!(ok);
    assert_eq!(running, 0, "allocations in process() of a running patch");
    assert!(
        views > 0 && saves > 0,
        "{views} snapshots with nodes, {saves} saves"
    );

    // The ABI's own error paths allocate nothing either.
    let mut bad = patch.deployment.args();
    bad.num_params += 1;
    let mut hostile = Rig::new("Deployment").0;
    hostile.inputs.fill(f32::NAN);
    hostile.params.fill(f32::INFINITY);
    hostile.input_channels.fill(200);
    hostile.process();
    let errors = allocations_in(|| {
        // SAFETY: `bad` points into live buffers; NULLs are allowed.
        unsafe {
            assert_eq!(kr_module_process(patch.deployment.m, &mut bad), -2);
            assert_eq!(kr_module_process(std::ptr::null_mut(), &mut bad), -1);
            assert_eq!(
                kr_module_process(patch.deployment.m, std::ptr::null_mut()),
                -1
            );
        }
        for _ in 0..1_000 {
            assert_eq!(hostile.process(), 0);
        }
    });
    assert_eq!(errors, 0, "allocations on the ABI's error paths");
}

#[test]
fn process_allocates_nothing_while_a_trace_replays() {
    let mut patch = Patch::new();
    for _ in 0..48_000 {
        assert!(patch.step());
    }
    // WARP 100x: the bundled trace's half minute of cluster time in a fraction of a second.
    let warp = MODULES[0].param_index("WARP").unwrap();
    patch.cluster.params[warp] = 2.0;
    let trace = CString::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../patches/recorded/forge.trace.jsonl"
    ))
    .unwrap();
    // SAFETY: a live handle and a C string.
    assert_eq!(
        unsafe { kr_replay_start(patch.cluster.m, trace.as_ptr()) },
        0
    );
    let mut ok = true;
    let mut state = KR_REPLAY_PLAYING;
    let replaying = allocations_in(|| {
        for _ in 0..400 {
            for _ in 0..4_800 {
                ok &= patch.step();
            }
            // SAFETY: a live handle.
            state = unsafe { kr_replay_state(patch.cluster.m) };
            if state == KR_REPLAY_FINISHED {
                break;
            }
        }
    });
    assert!(ok);
    assert_eq!(state, KR_REPLAY_FINISHED, "the replay did not finish");
    assert_eq!(
        replaying, 0,
        "allocations in process() while a trace replays"
    );
    // The hub heard the recorded cluster: its four nodes, listed.
    // SAFETY: live handle, valid out pointer.
    let status = unsafe {
        let mut s = std::mem::zeroed::<KrSyncStatus>();
        assert_eq!(kr_sync_status(patch.cluster.m, &mut s), 0);
        s
    };
    assert_eq!((status.real_known, status.real_nodes), (1, 4));
    // SAFETY: a live handle.
    unsafe {
        assert_eq!(kr_replay_stop(patch.cluster.m), 0);
        assert_eq!(kr_replay_state(patch.cluster.m), KR_REPLAY_NONE);
    }
}
