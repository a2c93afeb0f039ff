//! `kuberack-panels [--check] [--preview DIR] [ROOT]`: writes every module's panels
//! (`res/<Slug>.svg`, `res/<Slug>-dark.svg`) and `plugin/plugin.json` under ROOT (default:
//! the current directory), generated from the module descriptors.
//!
//! It also refreshes the generated module tables inside `protocol/PROTOCOL.md`.
//!
//! `--check` writes nothing and fails when a file on disk differs from what would be
//! written. `--preview DIR` also writes panels with widget stand-ins into DIR, for review.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kuberack_protocol::doc;
use kuberack_protocol::panel::{generated_files, preview::preview_svg, GeneratedFile, THEMES};
use kuberack_protocol::MODULES;

struct Args {
    root: PathBuf,
    check: bool,
    preview: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        root: PathBuf::from("."),
        check: false,
        preview: None,
    };
    let mut it = std::env::args().skip(1);
    let mut root_seen = false;
    while let Some(a) = it.next() {
        match a.as_str() {
            "--check" => args.check = true,
            "--preview" => {
                args.preview = Some(it.next().ok_or("--preview needs a directory")?.into());
            }
            "-h" | "--help" => {
                return Err("usage: kuberack-panels [--check] [--preview DIR] [ROOT]".into());
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s if !root_seen => {
                args.root = PathBuf::from(s);
                root_seen = true;
            }
            s => return Err(format!("unexpected argument {s}")),
        }
    }
    Ok(args)
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, contents).map_err(|e| format!("{}: {e}", path.display()))
}

fn run(args: &Args) -> Result<bool, String> {
    let mut files = generated_files().map_err(|e| e.to_string())?;
    let protocol_path = args.root.join(doc::PROTOCOL_PATH);
    let protocol = std::fs::read_to_string(&protocol_path)
        .map_err(|e| format!("{}: {e}", protocol_path.display()))?;
    let spliced = doc::splice_tables(&protocol).ok_or_else(|| {
        format!(
            "{}: the module-table markers are missing",
            doc::PROTOCOL_PATH
        )
    })?;
    files.push(GeneratedFile {
        path: doc::PROTOCOL_PATH.to_string(),
        contents: spliced,
    });
    let mut fresh = true;
    for f in &files {
        let path = args.root.join(&f.path);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(f.contents.as_str()) {
            continue;
        }
        if args.check {
            eprintln!("stale: {}", f.path);
            fresh = false;
        } else {
            write(&path, &f.contents)?;
            println!("wrote {}", f.path);
        }
    }
    if let Some(dir) = &args.preview {
        for m in MODULES {
            for theme in THEMES {
                let svg = preview_svg(m, theme).map_err(|e| e.to_string())?;
                let path = dir.join(format!("{}{}-preview.svg", m.slug, theme.suffix()));
                write(&path, &svg)?;
            }
        }
    }
    Ok(fresh)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("kuberack-panels: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("kuberack-panels: {e}");
            ExitCode::FAILURE
        }
    }
}
