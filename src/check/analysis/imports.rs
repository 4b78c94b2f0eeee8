//! The `use` declarations of each file, so a path written in code resolves to the path it
//! names (`stdio()` after `use rmcp::transport::stdio`, `Cmd` after `use … Command as Cmd`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

use crate::check::model::SourceFile;

/// The imports of one file: local name to full path, and the prefixes of glob imports.
#[derive(Debug, Default)]
pub struct FileImports {
    names: BTreeMap<String, String>,
    globs: Vec<String>,
}

/// Every file's imports, by path.
#[derive(Debug, Default)]
pub struct Imports {
    files: HashMap<PathBuf, FileImports>,
}

impl Imports {
    pub fn new<'a>(files: impl IntoIterator<Item = &'a SourceFile>) -> Self {
        let files = files
            .into_iter()
            .map(|f| (f.path.clone(), FileImports::of(&f.ast)))
            .collect();
        Imports { files }
    }

    /// The full paths `path` (as written in `file`) may name: through a `use` of its first
    /// segment, else through each glob import, else itself.
    pub fn resolve(&self, file: &Path, path: &str) -> Vec<String> {
        let path = path.trim_start_matches("::");
        let Some(imports) = self.files.get(file) else {
            return vec![path.to_string()];
        };
        imports.resolve(path)
    }
}

impl FileImports {
    pub fn of(ast: &syn::File) -> Self {
        let mut v = UseCollector(FileImports::default());
        v.visit_file(ast);
        v.0
    }

    pub fn resolve(&self, path: &str) -> Vec<String> {
        let (first, rest) = match path.split_once("::") {
            Some((f, r)) => (f, Some(r)),
            None => (path, None),
        };
        if let Some(full) = self.names.get(first) {
            return vec![match rest {
                Some(r) => format!("{full}::{r}"),
                None => full.clone(),
            }];
        }
        let mut out: Vec<String> = self.globs.iter().map(|g| format!("{g}::{path}")).collect();
        out.push(path.to_string());
        out
    }
}

/// Every `use` item of a file, at any depth (function bodies hold them too).
struct UseCollector(FileImports);

impl<'ast> Visit<'ast> for UseCollector {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        add_tree(&u.tree, String::new(), &mut self.0);
    }
}

fn join(prefix: &str, segment: &str) -> String {
    if prefix.is_empty() {
        segment.to_string()
    } else {
        format!("{prefix}::{segment}")
    }
}

fn add_tree(tree: &syn::UseTree, prefix: String, out: &mut FileImports) {
    match tree {
        syn::UseTree::Path(p) => add_tree(&p.tree, join(&prefix, &p.ident.to_string()), out),
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            // `use a::b::{self}` names `b`.
            if name == "self" {
                if let Some(last) = prefix.rsplit("::").next() {
                    out.names.insert(last.to_string(), prefix.clone());
                }
            } else {
                out.names.insert(name.clone(), join(&prefix, &name));
            }
        }
        syn::UseTree::Rename(r) => {
            let full = if r.ident == "self" {
                prefix.clone()
            } else {
                join(&prefix, &r.ident.to_string())
            };
            out.names.insert(r.rename.to_string(), full);
        }
        syn::UseTree::Glob(_) => out.globs.push(prefix),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                add_tree(t, prefix.clone(), out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imports(src: &str) -> FileImports {
        FileImports::of(&syn::parse_file(src).unwrap())
    }

    #[test]
    fn names_renames_groups_and_self_resolve() {
        let i = imports(
            "use rmcp::{ServiceExt, transport::{self, stdio}};\n\
             use tokio::process::Command as Cmd;\n\
             fn f() { use std::io::stdout as out; }",
        );
        assert_eq!(i.resolve("stdio"), ["rmcp::transport::stdio"]);
        assert_eq!(
            i.resolve("transport::io::stdio"),
            ["rmcp::transport::io::stdio"]
        );
        assert_eq!(i.resolve("Cmd::new"), ["tokio::process::Command::new"]);
        assert_eq!(i.resolve("out"), ["std::io::stdout"]);
        assert_eq!(i.resolve("other::thing"), ["other::thing"]);
    }

    #[test]
    fn a_glob_import_offers_its_prefix() {
        let i = imports("use rmcp::transport::*;");
        assert_eq!(i.resolve("stdio"), ["rmcp::transport::stdio", "stdio"]);
    }
}
