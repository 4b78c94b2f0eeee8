//! The baseline for `scripts/bench-check.sh`: read and parse every `.rs` file under a folder
//! with syn, the way `check` does (same syn features, one thread), and nothing else.
//!
//! `cargo run --release --example parse_only -- <folder>`

use std::path::{Path, PathBuf};

// The same allocator as `check`, so the baseline measures the same parse.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && entry.file_name() != "target" {
            collect(&path, out);
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn main() -> std::process::ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: parse_only <folder>");
        return std::process::ExitCode::from(2);
    };
    let mut files = Vec::new();
    collect(Path::new(&dir), &mut files);
    let (mut parsed, mut failed) = (0, 0);
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        match syn::parse_file(&text) {
            Ok(_) => parsed += 1,
            Err(_) => failed += 1,
        }
    }
    eprintln!("{parsed} files parsed, {failed} failed");
    std::process::ExitCode::SUCCESS
}
