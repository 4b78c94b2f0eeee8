//! A file's `use` declarations as a table, so a call is matched by the path it resolves to
//! (`use tokio::fs as tfs; tfs::write(..)` is `tokio::fs::write`, `Cmd` after
//! `use … Command as Cmd`), never by its token text; and the tables of every file, by path.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

use crate::check::model::SourceFile;

/// Names a file brings into scope, and the glob imports it opens.
#[derive(Debug, Default, Clone)]
pub struct Imports {
    /// Local name (`fs`, `File`, `Cmd`) to the full path it stands for.
    names: BTreeMap<String, String>,
    /// `use std::fs::*;` gives `std::fs`.
    globs: Vec<String>,
}

/// Crate roots a path may start with without an import.
const ROOTS: &[&str] = &["std", "core", "alloc", "crate", "self", "super", "Self"];

impl Imports {
    /// Every `use` of the file at any depth, inline modules and function bodies included (one
    /// table per file: a name imported in one scope and used in another is rare enough to
    /// accept).
    pub fn of_file(file: &syn::File) -> Self {
        struct Uses(Imports);
        impl<'ast> Visit<'ast> for Uses {
            fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
                self.0.tree(&u.tree, &mut Vec::new());
            }
        }
        let mut uses = Uses(Imports::default());
        uses.visit_file(file);
        uses.0
    }

    fn tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.tree(&p.tree, prefix);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                let full = if name == "self" {
                    prefix.join("::")
                } else {
                    join(prefix, &name)
                };
                let local = if name == "self" {
                    prefix.last().cloned().unwrap_or_default()
                } else {
                    name
                };
                self.names.insert(local, full);
            }
            syn::UseTree::Rename(r) => {
                let name = r.ident.to_string();
                let full = if name == "self" {
                    prefix.join("::")
                } else {
                    join(prefix, &name)
                };
                self.names.insert(r.rename.to_string(), full);
            }
            syn::UseTree::Glob(_) => self.globs.push(prefix.join("::")),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.tree(t, prefix);
                }
            }
        }
    }

    /// The full path `path` (`fs::write`, `::std::fs::write`) stands for in this file, or
    /// `None` when its first segment is neither imported nor a crate root. A single name
    /// found in no import resolves through a glob only when exactly one glob exists.
    pub fn resolve(&self, path: &str) -> Option<String> {
        let path = path.trim_start_matches("::");
        if let Some(full) = self.imported(path) {
            return Some(full);
        }
        let (first, rest) = match path.split_once("::") {
            Some((f, r)) => (f, Some(r)),
            None => (path, None),
        };
        if ROOTS.contains(&first) || (rest.is_some() && is_crate_name(first)) {
            return Some(path.to_string());
        }
        (rest.is_none() && self.globs.len() == 1).then(|| join_str(&self.globs[0], first))
    }
}

impl Imports {
    /// `path` through an import of its first segment (`Cmd::new` after `use … Command as
    /// Cmd`), or `None` when that segment is not imported.
    fn imported(&self, path: &str) -> Option<String> {
        let (first, rest) = match path.split_once("::") {
            Some((f, r)) => (f, Some(r)),
            None => (path, None),
        };
        let full = self.names.get(first)?;
        Some(match rest {
            Some(r) => format!("{full}::{r}"),
            None => full.clone(),
        })
    }

    /// `path` with its first segment replaced by what it was imported as, or as written when
    /// it was not imported.
    pub fn expand(&self, path: &str) -> String {
        let path = path.trim_start_matches("::");
        self.imported(path).unwrap_or_else(|| path.to_string())
    }

    /// Every full path `path` may name: through an import of its first segment; else through
    /// each glob import, and as written.
    pub fn candidates(&self, path: &str) -> Vec<String> {
        let path = path.trim_start_matches("::");
        if let Some(full) = self.imported(path) {
            return vec![full];
        }
        let mut out: Vec<String> = self.globs.iter().map(|g| join_str(g, path)).collect();
        out.push(path.to_string());
        out
    }
}

/// The `use` tables of every shipped file, by path.
#[derive(Debug, Default)]
pub struct ImportTable {
    files: HashMap<PathBuf, Imports>,
}

impl ImportTable {
    pub fn new<'a>(files: impl IntoIterator<Item = &'a SourceFile>) -> Self {
        let files = files
            .into_iter()
            .map(|f| (f.path.clone(), Imports::of_file(&f.ast)))
            .collect();
        ImportTable { files }
    }

    /// The table of the file at `path` (empty for a file that does not ship).
    pub fn of(&self, path: &Path) -> &Imports {
        static EMPTY: std::sync::OnceLock<Imports> = std::sync::OnceLock::new();
        self.files
            .get(path)
            .unwrap_or_else(|| EMPTY.get_or_init(Imports::default))
    }

    /// The full paths `path`, as written in `file`, may name (see [`Imports::candidates`]).
    pub fn resolve(&self, file: &Path, path: &str) -> Vec<String> {
        self.of(file).candidates(path)
    }
}

/// Is `path` (already resolved) the constructor of an OS process: `std::process::Command::new`,
/// `tokio::process::Command::new`, or a bare `Command::new` brought in by a glob. Other
/// `Command` types (`clap::Command`) are not.
pub fn is_process_new(path: &str) -> bool {
    let Some(ty) = path.strip_suffix("::new") else {
        return false;
    };
    if ty == "Command" {
        return true;
    }
    ty.ends_with("process::Command")
        || ty.ends_with("async_process::Command")
        || ty == "tokio::process::Command"
}

/// External crates check knows paths of (`tokio::fs::write` needs no `use`).
fn is_crate_name(first: &str) -> bool {
    matches!(
        first,
        "tokio" | "async_std" | "fs_err" | "cap_std" | "rusqlite" | "sqlx" | "smol"
    )
}

fn join(prefix: &[String], name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{}::{name}", prefix.join("::"))
    }
}

fn join_str(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}::{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imports(src: &str) -> Imports {
        Imports::of_file(&syn::parse_file(src).unwrap())
    }

    #[test]
    fn resolves_imports_aliases_groups_and_globs() {
        let i = imports(
            "use std::fs; use tokio::fs as tfs; use std::fs::{File, OpenOptions as Opts, self as sfs};\n\
             mod inner { use std::io::*; }",
        );
        assert_eq!(i.resolve("fs::write").as_deref(), Some("std::fs::write"));
        assert_eq!(
            i.resolve("tfs::rename").as_deref(),
            Some("tokio::fs::rename")
        );
        assert_eq!(
            i.resolve("File::create").as_deref(),
            Some("std::fs::File::create")
        );
        assert_eq!(
            i.resolve("Opts::new").as_deref(),
            Some("std::fs::OpenOptions::new")
        );
        assert_eq!(
            i.resolve("sfs::remove_file").as_deref(),
            Some("std::fs::remove_file")
        );
        assert_eq!(
            i.resolve("std::fs::write").as_deref(),
            Some("std::fs::write")
        );
        assert_eq!(
            i.resolve("::tokio::fs::write").as_deref(),
            Some("tokio::fs::write")
        );
        // One glob (`std::io::*`): a bare name resolves through it.
        assert_eq!(i.resolve("stdout").as_deref(), Some("std::io::stdout"));
        // Not imported: a local module or function of that name, unknown here.
        assert_eq!(i.resolve("store::write"), None);
    }

    #[test]
    fn candidates_follow_aliases_globs_and_uses_inside_functions() {
        let i = imports(
            "use tokio::process::Command as Cmd; use rmcp::transport::*;
             fn main() { use std::io::stdout; }",
        );
        assert_eq!(i.candidates("Cmd::new"), ["tokio::process::Command::new"]);
        assert_eq!(i.candidates("stdout"), ["std::io::stdout"]);
        assert_eq!(i.candidates("stdio"), ["rmcp::transport::stdio", "stdio"]);
    }

    #[test]
    fn expand_renames_groups_and_self() {
        let i = imports(
            "use tokio::process::Command as Cmd; use std::{fs, process::{self, Stdio}}; use clap::Command;",
        );
        assert_eq!(i.expand("Cmd::new"), "tokio::process::Command::new");
        assert_eq!(
            i.expand("process::Command::new"),
            "std::process::Command::new"
        );
        assert_eq!(i.expand("fs::read"), "std::fs::read");
        assert_eq!(i.expand("Command::new"), "clap::Command::new");
        assert_eq!(i.expand("other::f"), "other::f");
        assert!(is_process_new(&i.expand("Cmd::new")));
        assert!(!is_process_new(&i.expand("Command::new")));
        assert!(is_process_new("Command::new"));
    }
}
