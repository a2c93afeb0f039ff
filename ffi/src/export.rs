//! "Export manifests" from the hub's context menu: the patch's desired objects and its
//! topology written as kubectl-appliable YAML, exactly as `kuberack export` writes them.
//! For the host's UI thread, never the audio thread.

use std::ffi::{c_char, CStr, CString};
use std::path::Path;
use std::ptr;

use kuberack_sync::export::{export_yaml, write_export, ExportPatch};

use crate::guard;

fn text_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str, String> {
    if p.is_null() {
        return Err(format!("no {what} given"));
    }
    // SAFETY: non-null and NUL-terminated by the caller's contract, alive for the call.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| format!("the {what} is not UTF-8"))
}

fn export(
    patch_json: *const c_char,
    namespace: *const c_char,
    dir: *const c_char,
) -> Result<(), String> {
    let patch = text_arg(patch_json, "patch")?;
    let namespace = text_arg(namespace, "namespace")?;
    let dir = text_arg(dir, "directory")?;
    if !kuberack_core::live::settings::is_dns_label(namespace) {
        return Err(format!("namespace {namespace:?} is not a DNS-1123 label"));
    }
    if dir.is_empty() {
        return Err("no directory given".to_owned());
    }
    let root: serde_json::Value =
        serde_json::from_str(patch).map_err(|e| format!("the patch is not JSON: {e}"))?;
    let patch = ExportPatch::from_rack_json(&root)?;
    let yaml = export_yaml(&patch, namespace)?;
    write_export(Path::new(dir), &yaml).map_err(|e| e.to_string())?;
    Ok(())
}

/// Writes the desired objects of a patch (Rack's patch JSON, as `PatchManager::toJson`
/// gives it) in `namespace`, and its topology ConfigMap, to `dir/kuberack.yaml`, creating
/// `dir`. Returns NULL on success, else a NUL-terminated sentence saying what went wrong
/// (release it with `kr_string_free`). Never panics across the ABI; not for the audio
/// thread (it reads and writes files).
///
/// # Safety
/// Each argument is NULL or a NUL-terminated string alive for the call.
#[no_mangle]
pub unsafe extern "C" fn kr_export_manifests(
    patch_json: *const c_char,
    namespace: *const c_char,
    dir: *const c_char,
) -> *mut c_char {
    let outcome = guard::contain(|| export(patch_json, namespace, dir))
        .unwrap_or_else(|panic| Err(format!("the export failed: {panic}")));
    match outcome {
        Ok(()) => ptr::null_mut(),
        Err(text) => {
            CString::new(text.replace('\0', " ")).map_or(ptr::null_mut(), CString::into_raw)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::kr_string_free;

    fn call(patch: Option<&str>, ns: &str, dir: &str) -> Option<String> {
        let patch = patch.map(|p| CString::new(p).unwrap());
        let (ns, dir) = (CString::new(ns).unwrap(), CString::new(dir).unwrap());
        let p = patch.as_ref().map_or(ptr::null(), |p| p.as_ptr());
        // SAFETY: valid C strings for the call; the result is released below.
        unsafe {
            let err = kr_export_manifests(p, ns.as_ptr(), dir.as_ptr());
            if err.is_null() {
                return None;
            }
            let text = CStr::from_ptr(err).to_str().unwrap().to_owned();
            kr_string_free(err);
            Some(text)
        }
    }

    #[test]
    fn a_patch_is_exported_to_the_chosen_directory_and_errors_are_sentences() {
        let dir = std::env::temp_dir().join(format!("kuberack-ffi-export-{}", std::process::id()));
        let patch = r#"{"modules": [
            {"id": 1, "plugin": "KubeRack", "model": "Cluster", "params": []},
            {"id": 2, "plugin": "KubeRack", "model": "Deployment", "params": []}],
            "cables": [{"outputModuleId": 1, "outputId": 5, "inputModuleId": 2, "inputId": 0}]}"#;
        assert_eq!(call(Some(patch), "team", dir.to_str().unwrap()), None);
        let yaml = std::fs::read_to_string(dir.join("kuberack.yaml")).unwrap();
        assert!(
            yaml.contains("kind: ConfigMap") && yaml.contains("namespace: team"),
            "{yaml}"
        );
        let _ = std::fs::remove_dir_all(&dir);

        assert_eq!(call(None, "team", "/tmp").unwrap(), "no patch given");
        assert!(call(Some("{"), "team", "/tmp")
            .unwrap()
            .starts_with("the patch is not JSON"));
        assert!(call(Some("{}"), "team", "/tmp")
            .unwrap()
            .contains("modules"));
        assert!(call(Some(patch), "Not-A-Label", "/tmp")
            .unwrap()
            .contains("DNS-1123"));
        assert_eq!(call(Some(patch), "team", "").unwrap(), "no directory given");
    }
}
