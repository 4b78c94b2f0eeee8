//! A file's `use` declarations as a table, so a call is matched by the path it resolves to
//! (`use tokio::fs as tfs; tfs::write(..)` is `tokio::fs::write`), never by its token text.

use std::collections::BTreeMap;

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
    /// Every `use` of the file, inline modules included (one table per file: a name imported in
    /// one inline module and used in another is rare enough to accept).
    pub fn of_file(file: &syn::File) -> Self {
        let mut out = Imports::default();
        out.items(&file.items);
        out
    }

    fn items(&mut self, items: &[syn::Item]) {
        for item in items {
            match item {
                syn::Item::Use(u) => self.tree(&u.tree, &mut Vec::new()),
                syn::Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        self.items(inner);
                    }
                }
                _ => {}
            }
        }
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
        let (first, rest) = match path.split_once("::") {
            Some((f, r)) => (f, Some(r)),
            None => (path, None),
        };
        let base = match self.names.get(first) {
            Some(full) => full.clone(),
            None if ROOTS.contains(&first) || (rest.is_some() && is_crate_name(first)) => {
                first.to_string()
            }
            None if rest.is_none() && self.globs.len() == 1 => join_str(&self.globs[0], first),
            None => return None,
        };
        Some(match rest {
            Some(r) => format!("{base}::{r}"),
            None => base,
        })
    }
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
}
