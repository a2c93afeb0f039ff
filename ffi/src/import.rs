//! "Import from cluster..." from the hub's context menu: `kuberack import` of the cluster of a
//! kubeconfig context, run on a background thread of its own (listing a cluster takes
//! network round trips; neither the UI nor the audio thread waits for it), writing a patch
//! file Rack opens (its JSON, which Rack reads as it reads an uncompressed patch). The host
//! starts it with [`kr_import_start`] and polls [`kr_import_poll`] from its UI thread.

use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::Mutex;

use kuberack_sync::import::{fetch::fetch, import, ImportOptions};

use crate::guard;

/// The import in flight: whether one runs, and the outcome of the last one not yet taken.
struct State {
    running: bool,
    outcome: Option<String>,
}

static STATE: Mutex<State> = Mutex::new(State {
    running: false,
    outcome: None,
});

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// An optional argument: NULL or empty is `None`.
fn optional(p: *const c_char) -> Result<Option<String>, String> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null and NUL-terminated by the caller's contract, alive for the call.
    let s = unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| "an argument is not UTF-8".to_owned())?;
    Ok((!s.is_empty()).then(|| s.to_owned()))
}

/// Lists the cluster, builds the patch and writes it; the report or why it failed.
fn run(kubeconfig: Option<PathBuf>, options: &ImportOptions, path: &Path) -> String {
    let write = || -> Result<String, String> {
        let items =
            fetch(kubeconfig, options).map_err(|e| format!("cannot list the cluster: {e}"))?;
        let imported = import(&items, options)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let json = serde_json::to_vec_pretty(&imported.patch).map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(imported.report(path))
    };
    match guard::contain(write) {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => format!("import failed: {e}"),
        Err(panic) => format!("import failed: {panic}"),
    }
}

fn start(
    kubeconfig: *const c_char,
    context: *const c_char,
    namespace: *const c_char,
    selector: *const c_char,
    path: *const c_char,
) -> Result<(), i32> {
    let arg = |p| optional(p).map_err(|_| -1);
    let path = arg(path)?.ok_or(-1)?;
    let options = ImportOptions {
        namespace: arg(namespace)?,
        selector: arg(selector)?,
        group_by: None,
        context: arg(context)?,
    };
    let kubeconfig = arg(kubeconfig)?.map(PathBuf::from);
    {
        let mut s = state();
        if s.running {
            return Err(-2);
        }
        s.running = true;
    }
    let spawned = std::thread::Builder::new()
        .name("kuberack-import".to_owned())
        .spawn(move || {
            let report = run(kubeconfig, &options, Path::new(&path));
            let mut s = state();
            s.outcome = Some(report);
            s.running = false;
        });
    if spawned.is_err() {
        state().running = false;
        return Err(-3);
    }
    Ok(())
}

/// Starts importing the cluster of `kubeconfig` (NULL or empty: KUBECONFIG, else
/// ~/.kube/config) and `context` (NULL or empty: its current one), Deployments, Jobs and
/// LocalQueues of `namespace` only (NULL or empty: every namespace) matching `selector`
/// (NULL or empty: all), into the patch file `path`, on a thread of its own. Returns 0 when
/// started, -1 for a missing path or an argument that is not UTF-8, -2 while an import
/// runs, -3 when no thread could be started. Not for the audio thread.
///
/// # Safety
/// Each argument is NULL or a NUL-terminated string alive for the call.
#[no_mangle]
pub unsafe extern "C" fn kr_import_start(
    kubeconfig: *const c_char,
    context: *const c_char,
    namespace: *const c_char,
    selector: *const c_char,
    path: *const c_char,
) -> i32 {
    guard::contain(|| start(kubeconfig, context, namespace, selector, path))
        .unwrap_or(Err(-3))
        .err()
        .unwrap_or(0)
}

/// The outcome of the last import, once: what was written and, one line each, what the
/// patch could not represent, or `import failed: <why>`; NULL while it runs or when there is
/// nothing new. Release the text with `kr_string_free`.
#[no_mangle]
pub extern "C" fn kr_import_poll() -> *mut c_char {
    guard::or(ptr::null_mut(), || match state().outcome.take() {
        Some(text) => {
            CString::new(text.replace('\0', " ")).map_or(ptr::null_mut(), CString::into_raw)
        }
        None => ptr::null_mut(),
    })
}

/// 1 while an import runs, else 0.
#[no_mangle]
pub extern "C" fn kr_import_running() -> i32 {
    guard::or(0, || i32::from(state().running))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::kr_string_free;

    fn poll() -> Option<String> {
        let p = kr_import_poll();
        if p.is_null() {
            return None;
        }
        // SAFETY: a string from kr_import_poll, released once.
        unsafe {
            let text = CStr::from_ptr(p).to_str().unwrap().to_owned();
            kr_string_free(p);
            Some(text)
        }
    }

    #[test]
    fn an_import_runs_in_the_background_and_says_why_it_failed() {
        let missing = CString::new("/nonexistent/kubeconfig").unwrap();
        let out = std::env::temp_dir().join(format!("kuberack-import-{}.vcv", std::process::id()));
        let out = CString::new(out.to_str().unwrap()).unwrap();
        // SAFETY: valid C strings or NULL for each call.
        unsafe {
            assert_eq!(
                kr_import_start(
                    ptr::null(),
                    ptr::null(),
                    ptr::null(),
                    ptr::null(),
                    ptr::null()
                ),
                -1
            );
            assert_eq!(
                kr_import_start(
                    missing.as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    ptr::null(),
                    out.as_ptr()
                ),
                0
            );
        }
        let mut outcome = None;
        for _ in 0..500 {
            outcome = poll();
            if outcome.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let outcome = outcome.expect("the import ends");
        assert!(
            outcome.starts_with("import failed: cannot list the cluster: kubeconfig"),
            "{outcome}"
        );
        assert_eq!(kr_import_running(), 0);
        assert_eq!(poll(), None, "an outcome is taken once");
    }
}
