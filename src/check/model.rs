//! What the checks see: the project as parsed data. Building it never runs project code.
//! Every rule is a pure function `fn(&Context) -> Vec<Finding>`.

use std::path::{Path, PathBuf};

use crate::finding::Location;

/// The project under check.
#[derive(Debug, Default)]
pub struct Context {
    /// The project (workspace) root; every path below is relative to it.
    pub root: PathBuf,
    pub packages: Vec<Package>,
    /// Every Rust source of the selected packages' targets (and their modules).
    pub sources: Vec<SourceFile>,
    /// Config-like files: TOML, JSON, YAML, `.env*` (git-ignored ones skipped unless asked).
    pub data_files: Vec<DataFile>,
    /// Files that could not be read or parsed, with the reason (shown as notes, never a panic).
    pub notes: Vec<Note>,
    /// Indices into `sources` of the files that ship, computed once per run (every rule asks).
    pub shipped: std::cell::OnceCell<Vec<usize>>,
}

#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    /// Path of its Cargo.toml, relative to the root.
    pub manifest_path: PathBuf,
    pub manifest_text: String,
    /// True when the package has a binary target.
    pub is_binary: bool,
    /// True when a Cargo.lock exists at the package or workspace root.
    pub has_lockfile: bool,
    /// `[package.metadata.mcp-secure]` as JSON (null when absent).
    pub metadata: serde_json::Value,
}

#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the root.
    pub path: PathBuf,
    pub text: String,
    pub ast: syn::File,
}

#[derive(Debug, Clone)]
pub struct DataFile {
    pub path: PathBuf,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    pub path: PathBuf,
    pub message: String,
}

impl Context {
    /// A context of one binary package named `p` at `/p` with these sources, for unit tests.
    #[cfg(test)]
    pub fn of_sources(files: Vec<(PathBuf, String)>) -> Self {
        Self::of_sources_at(Path::new("/p"), files)
    }

    /// The same package at `root`, for tests that need real files beside the sources.
    #[cfg(test)]
    pub fn of_sources_at(root: &Path, files: Vec<(PathBuf, String)>) -> Self {
        let package = Package {
            name: "p".into(),
            manifest_path: "Cargo.toml".into(),
            manifest_text: String::new(),
            is_binary: true,
            has_lockfile: true,
            metadata: serde_json::Value::Null,
        };
        Self::from_files(root, package, files)
    }

    /// Builds a context from in-memory files; used by the loader and by rule unit tests.
    /// `.rs` files are parsed with syn; unparsable ones become notes.
    #[cfg(test)]
    pub fn from_files(root: &Path, package: Package, files: Vec<(PathBuf, String)>) -> Self {
        let mut ctx = Context {
            root: root.to_path_buf(),
            packages: vec![package.clone()],
            ..Default::default()
        };
        for (path, text) in files {
            if path.extension().is_some_and(|e| e == "rs") {
                ctx.add_source(path, text);
            } else {
                ctx.data_files.push(DataFile { path, text });
            }
        }
        ctx
    }

    /// Parses one Rust file into the context, or records why it could not.
    pub fn add_source(&mut self, path: PathBuf, text: String) {
        self.shipped = std::cell::OnceCell::new();
        match syn::parse_file(&text) {
            Ok(ast) => self.sources.push(SourceFile { path, text, ast }),
            Err(err) => {
                let at = err.span().start();
                self.notes.push(Note {
                    path,
                    message: format!(
                        "cannot parse Rust at line {}, column {}: {err}; the file was skipped",
                        at.line,
                        at.column + 1
                    ),
                })
            }
        }
    }
}

/// The location of a syn span in a file (1-based line and column).
pub fn location(file: &Path, span: proc_macro2::Span) -> Location {
    let start = span.start();
    let end = span.end();
    Location {
        file: file.to_path_buf(),
        line: start.line,
        column: start.column + 1,
        end_line: end.line,
        end_column: end.column + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::spanned::Spanned;

    fn pkg() -> Package {
        Package {
            name: "demo".into(),
            manifest_path: "Cargo.toml".into(),
            manifest_text: String::new(),
            is_binary: true,
            has_lockfile: true,
            metadata: serde_json::Value::Null,
        }
    }

    #[test]
    fn parses_sources_and_notes_broken_ones() {
        let ctx = Context::from_files(
            Path::new("/p"),
            pkg(),
            vec![
                ("src/main.rs".into(), "fn main() {}\n".into()),
                ("src/bad.rs".into(), "fn (".into()),
                ("config.toml".into(), "a = 1".into()),
            ],
        );
        assert_eq!(ctx.sources.len(), 1);
        assert_eq!(ctx.data_files.len(), 1);
        assert_eq!(ctx.notes.len(), 1);
        assert!(
            ctx.notes[0].message.contains("line 1"),
            "{}",
            ctx.notes[0].message
        );
    }

    #[test]
    fn spans_map_to_one_based_locations() {
        let file = syn::parse_file("\nfn main() {\n    let x = 1;\n}\n").unwrap();
        let loc = location(Path::new("src/main.rs"), file.items[0].span());
        assert_eq!((loc.line, loc.column), (2, 1));
    }
}
