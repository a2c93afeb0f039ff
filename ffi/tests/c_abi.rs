//! Builds `tests/c_abi/test_abi.c` with the system C compiler against `include/kuberack.h`,
//! links it with this crate's staticlib and runs it; then does the same with a small C++
//! program, to prove the header and the library work from C++ too.
//!
//! `cargo test` builds the staticlib because the crate type includes it. When no C (or
//! C++) compiler is installed the test says so in one line and passes.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

/// Libraries the Rust standard library needs when linked statically into a C program.
const SYSTEM_LIBS: [&str; 3] = ["-lpthread", "-ldl", "-lm"];

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Says why a part was skipped on stderr, past the test harness's capture.
fn skip(why: &str) {
    let _ = writeln!(std::io::stderr(), "\nC ABI test skipped: {why}");
}

/// The compiler named by `var` (CC, CXX), else `default`, if it runs.
fn compiler(var: &str, default: &str) -> Option<OsString> {
    let name = std::env::var_os(var).unwrap_or_else(|| default.into());
    let works = Command::new(&name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    works.then_some(name)
}

/// The staticlib cargo built for this test run: the newest `libkuberack_ffi*.a` in the
/// profile directory or its `deps/` (cargo test leaves its copy, with a hash in its name,
/// in `deps/`).
fn staticlib() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let deps = exe.parent().expect("test executables live in deps/");
    let profile = deps.parent().expect("deps/ lives in the profile directory");
    let mut found: Vec<(SystemTime, PathBuf)> = Vec::new();
    for dir in [profile, deps] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("libkuberack_ffi") && name.ends_with(".a") {
                let modified = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                found.push((modified, entry.path()));
            }
        }
    }
    found.sort();
    found
        .pop()
        .map(|(_, path)| path)
        .unwrap_or_else(|| panic!("no libkuberack_ffi*.a under {}", profile.display()))
}

fn show(what: &str, output: &Output) -> String {
    format!(
        "{what}: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Compiles `source` with `compiler` and `flags`, links the staticlib, returns the program.
fn build(compiler: &OsString, flags: &[&str], source: &Path, program: &Path) -> PathBuf {
    let output = Command::new(compiler)
        .args(flags)
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg(source)
        .arg(staticlib())
        .args(SYSTEM_LIBS)
        .arg("-o")
        .arg(program)
        .output()
        .expect("the compiler runs");
    assert!(output.status.success(), "{}", show("compiling", &output));
    program.to_path_buf()
}

#[test]
fn c_program_passes_against_the_staticlib() {
    let Some(cc) = compiler("CC", "cc") else {
        skip("no C compiler (set CC or install cc) to build tests/c_abi/test_abi.c");
        return;
    };
    let source = crate_dir().join("../tests/c_abi/test_abi.c");
    let program = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test_abi");
    let flags = [
        "-std=c11",
        "-O1",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic",
    ];
    let program = build(&cc, &flags, &source, &program);

    let output = Command::new(&program).output().expect("test_abi runs");
    let report = show("test_abi", &output);
    println!("{report}");
    assert!(output.status.success(), "{report}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let (passed, rest) = last.split_once(" passed, ").unwrap_or(("", ""));
    assert!(
        passed.parse::<u32>().is_ok_and(|n| n > 0) && rest == "0 failed",
        "last line is not `N passed, 0 failed`: {last:?}\n{report}"
    );
}

#[test]
fn cpp_program_includes_the_header_and_links() {
    let Some(cxx) = compiler("CXX", "c++") else {
        skip("no C++ compiler (set CXX or install c++) to check kuberack.h from C++");
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let source = dir.join("header_check.cpp");
    std::fs::write(
        &source,
        r#"#include "kuberack.h"
#include <cstring>

static_assert(KR_ABI_VERSION == 2, "ABI version");
static_assert(KR_MAX_CHANNELS == 16, "channels");

int main() {
  KrStatus ok = KR_OK;
  KrModelInfo info;
  if (kr_abi_version() != KR_ABI_VERSION) return 1;
  if (kr_model_info(0, &info) != ok) return 2;
  if (kr_model_info(0, nullptr) != KR_ERR_NULL) return 3;
  KrModule *m = kr_module_create(static_cast<uint32_t>(kr_model_find(info.slug)));
  if (m == nullptr) return 4;
  char *json = kr_module_save_json(m);
  if (json == nullptr || std::strlen(json) == 0) return 5;
  kr_string_free(json);
  kr_module_free(m);
  return 0;
}
"#,
    )
    .expect("the test's temporary directory is writable");
    let flags = ["-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic"];
    let program = build(&cxx, &flags, &source, &dir.join("header_check"));
    let output = Command::new(&program).output().expect("header_check runs");
    assert!(output.status.success(), "{}", show("header_check", &output));
}
