//! Writing to disk without ever overwriting: everything is staged in a temporary folder
//! beside the destination and moved into place only when complete.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, Result, bail};

/// Set by Ctrl-C, SIGTERM or SIGHUP once staging has begun.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// From here on a Ctrl-C no longer ends the process at once: it is noted, and staging stops
/// at the next file and removes what it wrote. Killed mid-way, the process would leave its
/// hidden staging folder behind. Once the crate is in place, the signal changes nothing.
fn defer_interrupts() {
    // A process has one handler; `new` installs it once, and nothing else in `new` needs one.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

fn stop_if_interrupted() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        bail!("interrupted: nothing was written");
    }
    Ok(())
}

/// Stages the crate with `fill` and moves it to `dest`. On any failure nothing is left behind.
pub fn write_atomically(
    parent: &Path,
    dest: &Path,
    init: bool,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    defer_interrupts();
    let staging = tempfile::Builder::new()
        .prefix(".mcp-secure-new-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot create a staging folder in {}", parent.display()))?;
    fill(staging.path())?;
    stop_if_interrupted()?;
    if init {
        return move_children(staging.path(), dest);
    }
    if std::fs::symlink_metadata(dest).is_ok() {
        bail!(
            "destination {} appeared while rendering: nothing was written",
            dest.display()
        );
    }
    std::fs::rename(staging.path(), dest)
        .with_context(|| format!("cannot move the new crate into {}", dest.display()))?;
    // The folder now lives at `dest`; stop the guard from deleting it.
    let _ = staging.keep();
    Ok(())
}

/// Moves each top-level entry into an existing empty folder, undoing the moves on failure.
fn move_children(staging: &Path, dest: &Path) -> Result<()> {
    let mut moved: Vec<PathBuf> = Vec::new();
    let entries =
        std::fs::read_dir(staging).with_context(|| format!("cannot read {}", staging.display()))?;
    for entry in entries {
        let entry = entry?;
        let target = dest.join(entry.file_name());
        if let Err(err) = stop_if_interrupted() {
            undo_moves(&moved, staging);
            return Err(err);
        }
        let result = if std::fs::symlink_metadata(&target).is_ok() {
            Err(anyhow::anyhow!(
                "{} appeared while rendering",
                target.display()
            ))
        } else {
            std::fs::rename(entry.path(), &target)
                .with_context(|| format!("cannot move into {}", target.display()))
        };
        if let Err(err) = result {
            undo_moves(&moved, staging);
            return Err(err.context("nothing was written"));
        }
        moved.push(target);
    }
    Ok(())
}

/// Moves entries back into the staging folder, whose guard then removes them.
fn undo_moves(moved: &[PathBuf], staging: &Path) {
    for done in moved.iter().rev() {
        let _ = std::fs::rename(done, staging.join(done.file_name().unwrap_or_default()));
    }
}

/// Writes one file of the staged tree; refuses paths that would leave the staging folder.
pub fn write_file(root: &Path, rel: &Path, bytes: &[u8]) -> Result<()> {
    stop_if_interrupted()?;
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        bail!(
            "template file path {} leaves the crate folder: fix the template",
            rel.display()
        );
    }
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    if bytes.starts_with(b"#!") {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// Replaces an existing file through a temporary sibling, so a crash never leaves it half-written.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("file has no parent folder")?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write beside {}", path.display()))?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

pub fn git_init(dir: &Path) -> Result<()> {
    let status = std::process::Command::new("git")
        .args(["init", "--quiet"])
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .status()
        .context("cannot run git: install it, or pass --vcs none")?;
    if !status.success() {
        bail!("git init failed: pass --vcs none to skip version control");
    }
    Ok(())
}
