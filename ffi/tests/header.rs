//! Regenerates `include/kuberack.h` from the crate's source with cbindgen and fails when
//! the committed header differs. `KUBERACK_BLESS=1` rewrites the header instead.

use std::fs;
use std::path::Path;

const REGENERATE: &str = "KUBERACK_BLESS=1 cargo test -p kuberack-ffi --test header";

fn generate(crate_dir: &Path) -> String {
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml is readable and valid");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen understands ffi/src");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("cbindgen writes UTF-8")
}

#[test]
fn committed_header_is_what_cbindgen_generates() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = crate_dir.join("include/kuberack.h");
    let fresh = generate(crate_dir);
    let committed = fs::read_to_string(&path).unwrap_or_default();
    if std::env::var_os("KUBERACK_BLESS").is_some_and(|v| v == "1") {
        if fresh != committed {
            fs::write(&path, &fresh).expect("ffi/include/kuberack.h is writable");
            println!("rewrote {}", path.display());
        }
        return;
    }
    if fresh != committed {
        let line = fresh
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| fresh.lines().count().min(committed.lines().count()))
            + 1;
        panic!(
            "ffi/include/kuberack.h is stale (first difference at line {line}); \
             regenerate it with `{REGENERATE}` and commit the result"
        );
    }
}

#[test]
fn header_states_the_agreed_constants_and_surface() {
    let header = generate(Path::new(env!("CARGO_MANIFEST_DIR")));
    for needle in [
        "#ifndef KUBERACK_H",
        "#define KR_ABI_VERSION 2",
        "#define KR_MAX_CHANNELS 16",
        "KR_OK = 0",
        "KR_ERR_NULL = -1",
        "KR_ERR_RANGE = -2",
        "KR_ERR_INVALID = -3",
        "KR_ERR_FAULTED = -4",
        "KR_ERR_JSON = -5",
        "KR_ERR_PANIC = -6",
        "typedef struct KrModule KrModule;",
        "extern \"C\"",
        "uint32_t kr_abi_version(void);",
        "struct KrModule *kr_module_create(uint32_t model);",
        "int32_t kr_module_last_error(const struct KrModule *m, char *buf, size_t len);",
        "char *kr_module_save_json(const struct KrModule *m);",
        "int32_t kr_module_process(struct KrModule *m, struct KrProcessArgs *args);",
        "#define KR_LIGHTS_WRITTEN 2147483648",
    ] {
        assert!(
            header.contains(needle),
            "header lacks `{needle}`:\n{header}"
        );
    }
}
