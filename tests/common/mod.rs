//! Helpers shared by the integration tests.
//!
//! Generated servers are built in one shared target folder (`target/tmp/servers-target`)
//! so that rmcp and its dependencies compile once for the whole suite.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static LOCK: Mutex<()> = Mutex::new(());

/// The product binary.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-mcp-secure"));
    cmd.env_remove("CARGO_TERM_COLOR").env("NO_COLOR", "1");
    cmd
}

pub fn tmp_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// A Python fixture server of the probe tests, by stem (`tests/fixtures/probe/<name>.py`).
pub fn probe_fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/probe")
        .join(format!("{name}.py"))
        .display()
        .to_string()
}

/// A scratch folder of one test file's own (`label`), created if missing.
pub fn scratch(label: &str) -> PathBuf {
    let dir = tmp_root().join(label);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The target folder shared by every generated server build.
pub fn servers_target() -> PathBuf {
    tmp_root().join("servers-target")
}

/// Generates `template` with `kits` into `target/tmp/generated/<name>` (fresh for each test
/// process) and returns the project folder. Serialised across threads and processes.
pub fn generated(template: &str, kits: &str) -> PathBuf {
    generated_over(template, kits, "stdio")
}

/// [`generated`] with a transport: `stdio` (the template's default) or `http`.
pub fn generated_over(template: &str, kits: &str, transport: &str) -> PathBuf {
    let name = match transport {
        "stdio" => format!("{template}-{}", kits.replace(',', "-")),
        other => format!("{template}-{other}-{}", kits.replace(',', "-")),
    };
    let root = tmp_root().join("generated");
    std::fs::create_dir_all(&root).unwrap();
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let lock = File::create(root.join(".lock")).unwrap();
    lock.lock().unwrap();
    let dir = root.join(&name);
    let stamp = dir.join(".generated-by-pid");
    let fresh =
        std::fs::read_to_string(&stamp).is_ok_and(|pid| pid == std::process::id().to_string());
    if !fresh {
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        new_project(
            &dir,
            &[
                "--template",
                template,
                "--kits",
                kits,
                "--transport",
                transport,
            ],
        );
        std::fs::write(&stamp, std::process::id().to_string()).unwrap();
    }
    lock.unlock().unwrap();
    dir
}

/// Runs `new` into `dir` without prompts, git or a workspace, with `args` besides, and
/// asserts success.
pub fn new_project(dir: &Path, args: &[&str]) {
    let out = bin()
        .args(["mcp-secure", "new"])
        .arg(dir)
        .args(["--yes", "--vcs", "none", "--no-workspace"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "new failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `cargo <args>` in `dir` with the shared target folder and asserts success.
pub fn cargo(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", servers_target())
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo {args:?} failed in {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Builds a generated project and returns its binary.
pub fn built_server(template: &str, kits: &str) -> PathBuf {
    let dir = generated(template, kits);
    cargo(&dir, &["build", "--locked", "--quiet"]);
    let name = format!("{template}-{}", kits.replace(',', "-"));
    servers_target().join("debug").join(name)
}
