//! The config-like data files beside the sources (TOML, JSON, YAML, `.env*`): found by walking
//! each package's folder, as no module tree names them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::relative;
use crate::check::model::Note;

pub fn is_data(path: &Path) -> bool {
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

pub struct Walker<'a> {
    pub root: &'a Path,
    pub canonical_root: PathBuf,
    pub notes: Arc<Mutex<Vec<Note>>>,
}

impl Walker<'_> {
    /// Files under `dir` accepted by `keep`. `target/`, `.git/` and nested packages are skipped;
    /// git-ignored paths too unless `include_ignored`. Symbolic links are followed only inside
    /// the project; loops and unreadable entries become notes.
    pub fn walk(&self, dir: &Path, include_ignored: bool, keep: fn(&Path) -> bool) -> Vec<PathBuf> {
        self.walk_with(dir, include_ignored, None, keep)
    }

    pub fn walk_top(
        &self,
        dir: &Path,
        include_ignored: bool,
        keep: fn(&Path) -> bool,
    ) -> Vec<PathBuf> {
        self.walk_with(dir, include_ignored, Some(1), keep)
    }

    fn walk_with(
        &self,
        dir: &Path,
        include_ignored: bool,
        depth: Option<usize>,
        keep: fn(&Path) -> bool,
    ) -> Vec<PathBuf> {
        let top = dir.to_path_buf();
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
                if is_dir
                    && path != top
                    && (name == "target" || name == ".git" || path.join("Cargo.toml").is_file())
                {
                    return false;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
