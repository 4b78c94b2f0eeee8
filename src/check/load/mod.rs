//! Builds the [`Context`] from disk: packages from `cargo metadata --no-deps --offline`
//! (which never builds and never runs build scripts), the Rust sources the module trees of
//! their targets reach, and the config-like data files beside them. A source that cannot be
//! used is a gap (reported as a finding); a data file that cannot be used is a note.

mod read;
mod sources;
mod walk;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result, anyhow, bail};
use cargo_metadata::{Metadata, MetadataCommand};
use rayon::prelude::*;
use serde_json::Value;

use crate::check::config::ToolTable;
use crate::check::model::{Context, DataFile, Note, Package};
use walk::{Walker, is_data};

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
    let mut roots = Vec::new();
    for pkg in &selected {
        let dir = package_dir(pkg, &root);
        ctx.packages
            .push(package(&metadata, pkg, &root, &dir, &mut ctx.notes));
        let (found, examples) = sources::roots(pkg, &root);
        if examples && !found.is_empty() {
            ctx.notes.push(Note {
                path: relative(pkg.manifest_path.as_std_path(), &root),
                message: format!("package `{}` has no library or binary target; its examples were checked instead", pkg.name),
            });
        }
        roots.extend(found);
    }
    sources::load_sources(&mut ctx, &roots);
    load_data(&mut ctx, &selected, opts.include_ignored);
    ctx.notes.sort();
    ctx.notes.dedup();
    Ok(Project { ctx, manifest })
}

fn package_dir(pkg: &cargo_metadata::Package, root: &Path) -> PathBuf {
    pkg.manifest_path
        .parent()
        .map(|d| d.as_std_path().to_path_buf())
        .unwrap_or_else(|| root.to_path_buf())
}

/// The config-like files of each package's folder (and of a virtual workspace root), read in
/// parallel.
fn load_data(ctx: &mut Context, selected: &[&cargo_metadata::Package], include_ignored: bool) {
    let root = ctx.root.clone();
    let walk_notes = Arc::new(Mutex::new(Vec::new()));
    let walker = Walker {
        root: &root,
        canonical_root: root.canonicalize().unwrap_or_else(|_| root.clone()),
        notes: walk_notes.clone(),
    };
    let mut data_files = BTreeSet::new();
    for pkg in selected {
        data_files.extend(walker.walk(&package_dir(pkg, &root), include_ignored, is_data));
    }
    // A virtual workspace root has no package of its own, but its `.env` or config files matter.
    if !selected.iter().any(|p| {
        p.manifest_path
            .parent()
            .is_some_and(|d| d.as_std_path() == root)
    }) {
        data_files.extend(walker.walk_top(&root, include_ignored, is_data));
    }
    ctx.notes.extend(
        walk_notes
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default(),
    );
    let data: Vec<PathBuf> = data_files.into_iter().collect();
    let read: Vec<Result<String, Note>> =
        data.par_iter().map(|p| read::read_text(p, &root)).collect();
    for (path, read) in data.iter().zip(read) {
        match read {
            Ok(text) => ctx.data_files.push(DataFile {
                path: relative(path, &root),
                text,
            }),
            Err(note) => ctx.notes.push(note),
        }
    }
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
}
