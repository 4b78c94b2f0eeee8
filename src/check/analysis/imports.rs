//! The `use` table of each file, so a call is matched by the path it resolves to:
//! `use tokio::process::Command as Cmd;` makes `Cmd::new` read `tokio::process::Command::new`.

use std::collections::BTreeMap;

/// Local name → the full path it was imported as, for one file. Glob imports are not listed:
/// a name they bring in stays as written.
#[derive(Debug, Default, Clone)]
pub struct Imports {
    names: BTreeMap<String, String>,
}

impl Imports {
    /// Every `use` of a file, at any depth (modules and function bodies included): a name
    /// imported in one scope is rarely rebound to another path in the same file.
    pub fn of(file: &syn::File) -> Self {
        let mut v = Uses::default();
        syn::visit::Visit::visit_file(&mut v, file);
        Imports { names: v.names }
    }

    /// `path` (`Cmd::new`) with its first segment replaced by what it was imported as.
    pub fn resolve(&self, path: &str) -> String {
        let (first, rest) = match path.split_once("::") {
            Some((f, r)) => (f, Some(r)),
            None => (path, None),
        };
        let Some(full) = self.names.get(first) else {
            return path.to_string();
        };
        match rest {
            Some(r) => format!("{full}::{r}"),
            None => full.clone(),
        }
    }
}

#[derive(Default)]
struct Uses {
    names: BTreeMap<String, String>,
}

impl Uses {
    fn tree(&mut self, prefix: &str, tree: &syn::UseTree) {
        let join = |name: &str| {
            if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}::{name}")
            }
        };
        match tree {
            syn::UseTree::Path(p) => self.tree(&join(&p.ident.to_string()), &p.tree),
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    if let Some(last) = prefix.rsplit("::").next() {
                        self.names.insert(last.to_string(), prefix.to_string());
                    }
                } else {
                    self.names.insert(name.clone(), join(&name));
                }
            }
            syn::UseTree::Rename(r) => {
                let target = if r.ident == "self" {
                    prefix.to_string()
                } else {
                    join(&r.ident.to_string())
                };
                if r.rename != "_" {
                    self.names.insert(r.rename.to_string(), target);
                }
            }
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.tree(prefix, t)),
            syn::UseTree::Glob(_) => {}
        }
    }
}

impl<'ast> syn::visit::Visit<'ast> for Uses {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.tree("", &u.tree);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_groups_and_self_resolve() {
        let file: syn::File = syn::parse_str(
            "use tokio::process::Command as Cmd; use std::{fs, process::{self, Stdio}}; use clap::Command;",
        )
        .unwrap();
        let i = Imports::of(&file);
        assert_eq!(i.resolve("Cmd::new"), "tokio::process::Command::new");
        assert_eq!(
            i.resolve("process::Command::new"),
            "std::process::Command::new"
        );
        assert_eq!(i.resolve("fs::read"), "std::fs::read");
        assert_eq!(i.resolve("Command::new"), "clap::Command::new");
        assert_eq!(i.resolve("other::f"), "other::f");
        assert!(is_process_new(&i.resolve("Cmd::new")));
        assert!(!is_process_new(&i.resolve("Command::new")));
        assert!(is_process_new("Command::new"));
    }
}
