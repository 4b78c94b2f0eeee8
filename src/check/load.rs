//! Builds the [`Context`] from disk: packages from `cargo metadata --no-deps --offline`
//! (which never builds and never runs build scripts), every Rust source of their targets,
//! and the config-like data files beside them. A file that cannot be used becomes a note.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result, anyhow, bail};
use cargo_metadata::{Metadata, MetadataCommand, TargetKind};
use rayon::prelude::*;
use serde_json::Value;

use crate::check::config::ToolTable;
use crate::check::model::{Context, DataFile, Note, Package};

/// Files above this size are skipped with a note: no real source or config file is that big.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// What the loader found: the context and the manifest the user pointed at.
pub struct Project {
    pub ctx: Context,
    /// Absolute path of the manifest checked (where attestations are recorded).
    pub manifest: PathBuf,
}

pub struct Options<'a> {
    pub manifest_path: Option<&'a Path>,
    pub packages: &'a [String],
    pub include_ignored: bool,
}

pub fn load(opts: &Options<'_>) -> Result<Project> {
    let manifest = find_manifest(opts.manifest_path)?;
    let metadata = read_metadata(&manifest)?;
    let root = metadata.workspace_root.clone().into_std_path_buf();
    let selected = select(&metadata, &manifest, opts.packages)?;
    validate_tables(&metadata, &selected, &root)?;

    let mut ctx = Context {
        root: root.clone(),
        ..Default::default()
    };
    let walk_notes = Arc::new(Mutex::new(Vec::new()));
    let mut rust_files = BTreeSet::new();
    let mut data_files = BTreeSet::new();
    let walker = Walker {
        root: &root,
        canonical_root: root.canonicalize().unwrap_or_else(|_| root.clone()),
        notes: walk_notes.clone(),
    };
    for pkg in &selected {
        let dir = pkg
            .manifest_path
            .parent()
            .map(|d| d.as_std_path().to_path_buf())
            .unwrap_or_else(|| root.clone());
        ctx.packages
            .push(package(&metadata, pkg, &root, &dir, &mut ctx.notes));
        let (dirs, examples) = target_dirs(pkg);
        if examples && !dirs.is_empty() {
            ctx.notes.push(Note {
                path: relative(pkg.manifest_path.as_std_path(), &root),
                message: format!("package `{}` has no library or binary target; its examples were checked instead", pkg.name),
            });
        }
        for src_dir in dirs {
            let skip_top = if src_dir == dir {
                &["tests", "benches", "examples"][..]
            } else {
                &[][..]
            };
            // Sources compile whether git ignores them or not (generated code), so all are read.
            rust_files.extend(walker.walk(&src_dir, true, skip_top, is_rust));
        }
        data_files.extend(walker.walk(&dir, opts.include_ignored, &[], is_data));
    }
    // A virtual workspace root has no package of its own, but its `.env` or config files matter.
    if !selected.iter().any(|p| {
        p.manifest_path
            .parent()
            .is_some_and(|d| d.as_std_path() == root)
    }) {
        data_files.extend(walker.walk_top(&root, opts.include_ignored, is_data));
    }
    ctx.notes.extend(
        walk_notes
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default(),
    );

    let rust: Vec<PathBuf> = rust_files.into_iter().collect();
    let data: Vec<PathBuf> = data_files.into_iter().collect();
    // Reading and vetting files runs in parallel. Parsing stays on this thread: syn trees hold
    // proc-macro2 spans whose line information lives in a thread-local source map.
    let read_rust: Vec<Result<String, Note>> =
        rust.par_iter().map(|p| read_text(p, &root)).collect();
    let read_data: Vec<Result<String, Note>> =
        data.par_iter().map(|p| read_text(p, &root)).collect();
    for (path, read) in rust.iter().zip(read_rust) {
        match read {
            Ok(text) => ctx.add_source(relative(path, &root), text),
            Err(note) => ctx.notes.push(note),
        }
    }
    for (path, read) in data.iter().zip(read_data) {
        match read {
            Ok(text) => ctx.data_files.push(DataFile {
                path: relative(path, &root),
                text,
            }),
            Err(note) => ctx.notes.push(note),
        }
    }
    ctx.notes.sort();
    ctx.notes.dedup();
    Ok(Project { ctx, manifest })
}

/// The manifest given, or the nearest Cargo.toml from the current folder up, as cargo does.
fn find_manifest(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = given {
        let path = if path.is_dir() {
            path.join("Cargo.toml")
        } else {
            path.to_path_buf()
        };
        if !path.is_file() {
            bail!(
                "manifest `{}` does not exist; pass --manifest-path the path of a project's Cargo.toml",
                path.display()
            );
        }
        return std::path::absolute(&path)
            .with_context(|| format!("cannot resolve `{}`", path.display()));
    }
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    cwd.ancestors()
        .map(|d| d.join("Cargo.toml"))
        .find(|m| m.is_file())
        .ok_or_else(|| anyhow!("no Cargo.toml in `{}` or any parent folder; run inside a Rust project or pass --manifest-path", cwd.display()))
}

/// `cargo metadata --no-deps --offline`, which never builds and never runs build scripts.
/// It runs `$CARGO` when set (cargo sets it for `cargo mcp-secure`), else `cargo`, from the
/// file system root: a folder no project can put a `rust-toolchain.toml` or `.cargo/config`
/// in, so neither rustup nor cargo picks up the project's (or a parent folder's) choices.
fn read_metadata(manifest: &Path) -> Result<Metadata> {
    let cargo = std::env::var_os("CARGO")
        .filter(|c| !c.is_empty())
        .map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    MetadataCommand::new()
        .cargo_path(cargo)
        .current_dir(neutral_dir())
        .manifest_path(manifest)
        .no_deps()
        .other_options(vec!["--offline".to_string()])
        .exec()
        .map_err(|err| metadata_error(manifest, err))
}

/// The folder `cargo metadata` runs in: the root of the file system.
fn neutral_dir() -> &'static Path {
    Path::new("/")
}

fn metadata_error(manifest: &Path, err: cargo_metadata::Error) -> anyhow::Error {
    let detail = match err {
        cargo_metadata::Error::CargoMetadata { stderr } => {
            // A backtrace (RUST_BACKTRACE set) tells the user nothing about their manifest.
            let stderr = stderr.split("Stack backtrace:").next().unwrap_or_default();
            stderr
                .trim()
                .trim_start_matches("error: ")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        }
        other => other.to_string(),
    };
    anyhow!(
        "cannot read the project at `{}`: {detail}; fix the manifest or pass --manifest-path",
        manifest.display()
    )
}

/// The packages to check: `-p` names, else every member when the manifest is the workspace
/// root, else the package of the manifest given.
fn select<'m>(
    metadata: &'m Metadata,
    manifest: &Path,
    names: &[String],
) -> Result<Vec<&'m cargo_metadata::Package>> {
    let members = metadata.workspace_packages();
    if !names.is_empty() {
        let mut out = Vec::new();
        for name in names {
            let Some(pkg) = members.iter().find(|p| p.name.as_str() == name) else {
                let known: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
                bail!(
                    "package `{name}` is not a member of the workspace; members: {}",
                    known.join(", ")
                );
            };
            out.push(*pkg);
        }
        return Ok(out);
    }
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let manifest = canonical(manifest);
    if manifest
        == canonical(
            &metadata
                .workspace_root
                .join("Cargo.toml")
                .into_std_path_buf(),
        )
    {
        return Ok(members);
    }
    Ok(members
        .into_iter()
        .filter(|p| canonical(p.manifest_path.as_std_path()) == manifest)
        .collect())
}

fn package(
    metadata: &Metadata,
    pkg: &cargo_metadata::Package,
    root: &Path,
    dir: &Path,
    notes: &mut Vec<Note>,
) -> Package {
    let manifest = pkg.manifest_path.as_std_path();
    let manifest_text = std::fs::read_to_string(manifest).unwrap_or_else(|err| {
        notes.push(Note {
            path: relative(manifest, root),
            message: format!("cannot read the manifest: {err}"),
        });
        String::new()
    });
    Package {
        name: pkg.name.to_string(),
        manifest_path: relative(manifest, root),
        manifest_text,
        is_binary: pkg.targets.iter().any(|t| t.is_bin()),
        has_lockfile: dir.join("Cargo.lock").is_file() || root.join("Cargo.lock").is_file(),
        metadata: merge(
            metadata.workspace_metadata.get("mcp-secure"),
            pkg.metadata.get("mcp-secure"),
        ),
    }
}

/// Refuses a `[*.metadata.mcp-secure]` table with an unknown key, naming the file it is in.
fn validate_tables(
    metadata: &Metadata,
    selected: &[&cargo_metadata::Package],
    root: &Path,
) -> Result<()> {
    ToolTable::from_metadata(
        metadata.workspace_metadata.get("mcp-secure"),
        "workspace",
        &relative(&root.join("Cargo.toml"), root),
    )?;
    for pkg in selected {
        ToolTable::from_metadata(
            pkg.metadata.get("mcp-secure"),
            "package",
            &relative(pkg.manifest_path.as_std_path(), root),
        )?;
    }
    Ok(())
}

/// Workspace settings apply to every package; a package's own tables add to and override them.
fn merge(workspace: Option<&Value>, package: Option<&Value>) -> Value {
    let mut out = workspace.cloned().unwrap_or(Value::Null);
    let Some(package) = package else { return out };
    match (&mut out, package) {
        (Value::Object(base), Value::Object(own)) => {
            for (key, value) in own {
                match (base.get_mut(key), value) {
                    (Some(Value::Object(b)), Value::Object(o)) => b.extend(o.clone()),
                    _ => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        _ => out = package.clone(),
    }
    out
}

/// Folders holding the sources of the targets that ship: libraries and binaries, not tests,
/// benches, examples or build scripts. A package with neither (a crate of examples, as in SDK
/// repositories) is checked through its examples, which are then its product.
fn target_dirs(pkg: &cargo_metadata::Package) -> (BTreeSet<PathBuf>, bool) {
    let shipped = |k: &TargetKind| {
        !matches!(
            k,
            TargetKind::Test | TargetKind::Bench | TargetKind::Example | TargetKind::CustomBuild
        )
    };
    let dirs_of = |keep: &dyn Fn(&TargetKind) -> bool| -> BTreeSet<PathBuf> {
        pkg.targets
            .iter()
            .filter(|t| t.kind.iter().any(keep))
            .filter_map(|t| t.src_path.parent().map(|d| d.as_std_path().to_path_buf()))
            .collect()
    };
    let mut dirs = dirs_of(&shipped);
    let examples = dirs.is_empty();
    if examples {
        dirs = dirs_of(&|k| *k == TargetKind::Example);
    }
    // `src/bin` is already inside `src`: keep only the outermost folders.
    let outer = dirs
        .iter()
        .filter(|d| !dirs.iter().any(|o| o != *d && d.starts_with(o)))
        .cloned()
        .collect();
    (outer, examples)
}

fn is_rust(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "rs")
}

fn is_data(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.starts_with(".env")
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "toml" | "json" | "yaml" | "yml"))
}

struct Walker<'a> {
    root: &'a Path,
    canonical_root: PathBuf,
    notes: Arc<Mutex<Vec<Note>>>,
}

impl Walker<'_> {
    /// Files under `dir` accepted by `keep`. `target/`, `.git/` and nested packages are skipped;
    /// git-ignored paths too unless `include_ignored`. Symbolic links are followed only inside
    /// the project; loops and unreadable entries become notes.
    fn walk(
        &self,
        dir: &Path,
        include_ignored: bool,
        skip_top: &[&str],
        keep: fn(&Path) -> bool,
    ) -> Vec<PathBuf> {
        self.walk_with(dir, include_ignored, skip_top, None, keep)
    }

    fn walk_top(&self, dir: &Path, include_ignored: bool, keep: fn(&Path) -> bool) -> Vec<PathBuf> {
        self.walk_with(dir, include_ignored, &[], Some(1), keep)
    }

    fn walk_with(
        &self,
        dir: &Path,
        include_ignored: bool,
        skip_top: &[&str],
        depth: Option<usize>,
        keep: fn(&Path) -> bool,
    ) -> Vec<PathBuf> {
        let top = dir.to_path_buf();
        let skip_top: Vec<String> = skip_top.iter().map(|s| s.to_string()).collect();
        let (root, canonical_root, notes) = (
            self.root.to_path_buf(),
            self.canonical_root.clone(),
            self.notes.clone(),
        );
        let mut builder = ignore::WalkBuilder::new(dir);
        builder
            .standard_filters(false)
            .follow_links(true)
            .max_depth(depth)
            .git_ignore(!include_ignored)
            .git_exclude(!include_ignored)
            .require_git(false)
            .parents(!include_ignored)
            .sort_by_file_name(|a, b| a.cmp(b))
            .filter_entry(move |entry| {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy();
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                if is_dir && path != top {
                    if name == "target" || name == ".git" || path.join("Cargo.toml").is_file() {
                        return false;
                    }
                    if path.parent() == Some(top.as_path()) && skip_top.iter().any(|s| *s == name) {
                        return false;
                    }
                }
                if entry.path_is_symlink() {
                    let inside = path
                        .canonicalize()
                        .is_ok_and(|real| real.starts_with(&canonical_root));
                    if !inside {
                        if let Ok(mut n) = notes.lock() {
                            n.push(Note {
                                path: relative(path, &root),
                                message:
                                    "symbolic link leads outside the project or nowhere; skipped"
                                        .into(),
                            });
                        }
                        return false;
                    }
                }
                true
            });
        let mut out = Vec::new();
        for entry in builder.build() {
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) && keep(e.path()) => {
                    out.push(e.into_path())
                }
                Ok(_) => {}
                Err(err) => self.note_walk_error(&err),
            }
        }
        out
    }

    fn note_walk_error(&self, err: &ignore::Error) {
        let (path, message) = describe_walk_error(err, self.root);
        if let Ok(mut n) = self.notes.lock() {
            n.push(Note { path, message });
        }
    }
}

fn describe_walk_error(err: &ignore::Error, root: &Path) -> (PathBuf, String) {
    match err {
        ignore::Error::WithPath { path, err } => {
            (relative(path, root), describe_walk_error(err, root).1)
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            describe_walk_error(err, root)
        }
        ignore::Error::Loop { ancestor, child } => (
            relative(child, root),
            format!(
                "symbolic link loop: it leads back to `{}`; skipped",
                relative(ancestor, root).display()
            ),
        ),
        ignore::Error::Io(io) => (PathBuf::new(), format!("cannot read: {io}; skipped")),
        other => (PathBuf::new(), format!("{other}; skipped")),
    }
}

/// Reads a text file, refusing huge, binary and non-UTF-8 files with a note.
fn read_text(path: &Path, root: &Path) -> Result<String, Note> {
    let note = |message: String| Note {
        path: relative(path, root),
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| note(format!("cannot read: {e}; skipped")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(note(format!(
            "file is {} KiB, above the 2 MiB limit; skipped",
            size / 1024
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| note(format!("cannot read: {e}; skipped")))?;
    if bytes.contains(&0) {
        return Err(note("binary file (it contains NUL bytes); skipped".into()));
    }
    String::from_utf8(bytes).map_err(|e| {
        note(format!(
            "not valid UTF-8 (invalid byte at offset {}); skipped",
            e.utf8_error().valid_up_to()
        ))
    })
}

pub fn relative(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn package_metadata_adds_to_workspace_metadata() {
        let ws = json!({ "allow": { "a": "ws reason" }, "severity": { "b": "warn" } });
        let pkg = json!({ "allow": { "c": "pkg reason" }, "severity": { "b": "fail" } });
        let merged = merge(Some(&ws), Some(&pkg));
        assert_eq!(
            merged["allow"],
            json!({ "a": "ws reason", "c": "pkg reason" })
        );
        assert_eq!(merged["severity"]["b"], "fail");
        assert_eq!(merge(None, None), Value::Null);
    }

    #[test]
    fn data_files_are_config_like() {
        for yes in [
            "Cargo.toml",
            "config/app.yaml",
            "x.yml",
            "a.json",
            ".env",
            ".env.local",
        ] {
            assert!(is_data(Path::new(yes)), "{yes}");
        }
        for no in ["src/main.rs", "README.md", "Cargo.lock", "environment"] {
            assert!(!is_data(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn refuses_binary_huge_and_non_utf8_files() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let ok = write("ok.toml", b"a = 1\n");
        assert_eq!(read_text(&ok, dir.path()).unwrap(), "a = 1\n");
        let bin = write("bin.json", b"{\0}");
        assert!(
            read_text(&bin, dir.path())
                .unwrap_err()
                .message
                .contains("binary")
        );
        let latin = write("l.toml", b"name = \"caf\xe9\"");
        assert!(
            read_text(&latin, dir.path())
                .unwrap_err()
                .message
                .contains("offset 11")
        );
        let big = write("big.json", &vec![b' '; MAX_FILE_BYTES as usize + 1]);
        assert!(
            read_text(&big, dir.path())
                .unwrap_err()
                .message
                .contains("2 MiB")
        );
    }
}
