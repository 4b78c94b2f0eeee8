//! The module tree of each target, resolved the way rustc does: from the target's root file
//! through `mod x;` (`x.rs`, `x/mod.rs`, nested `a/b.rs` below non-mod-rs files),
//! `#[path = "…"]`, `include!("…")` and `cfg_if!` blocks. Which files exist and how they parse
//! is the [`Store`]'s business; this module decides which files a target compiles and which
//! of them only test builds compile.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::syntax::{is_test_item, macro_name, str_lit};
use crate::check::model::{Gap, GapKind};

/// A target's root file (relative to the project root) and its name (`bin:server`).
#[derive(Debug, Clone)]
pub struct Root {
    pub path: PathBuf,
    pub target: String,
}

/// The outcome of asking the store for one file.
pub enum Loaded {
    /// Parsed; the index to pass to [`Store::ast`].
    Parsed(usize),
    /// No such file.
    Missing,
    /// Present but unusable, and why (the same gap each time it is asked for).
    Failed(Gap),
}

/// Where the files come from: the disk for `check`, memory for tests.
pub trait Store {
    fn load(&mut self, path: &Path) -> Loaded;
    fn ast(&self, index: usize) -> &syn::File;
}

/// Which targets compile a file, and whether only their test builds do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    pub targets: BTreeSet<String>,
    pub test_only: bool,
}

/// Every file reached (by store index), and what could not be followed outside test code.
pub struct Tree {
    pub reach: BTreeMap<usize, Reach>,
    pub gaps: Vec<Gap>,
    /// `mod x;` under a `cfg` whose file is missing: compiled only when that `cfg` is on.
    pub skipped: Vec<Gap>,
}

/// A file to read and the module context its declarations resolve in.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Visit {
    path: PathBuf,
    /// Folder `mod x;` resolves in (the file's own folder for mod-rs files, else `dir/stem`).
    mod_dir: PathBuf,
    test_only: bool,
    target: String,
}

pub fn resolve(roots: &[Root], store: &mut dyn Store) -> Tree {
    let mut tree = Tree {
        reach: BTreeMap::new(),
        gaps: Vec::new(),
        skipped: Vec::new(),
    };
    let mut seen = BTreeSet::new();
    let mut work: Vec<Visit> = roots
        .iter()
        .map(|r| Visit {
            mod_dir: parent(&r.path),
            path: normalise(&r.path),
            test_only: false,
            target: r.target.clone(),
        })
        .collect();
    while let Some(visit) = work.pop() {
        if !seen.insert(visit.clone()) {
            continue;
        }
        let index = match store.load(&visit.path) {
            Loaded::Parsed(i) => i,
            Loaded::Missing => {
                if !visit.test_only {
                    tree.gaps.push(Gap {
                        path: visit.path.clone(),
                        line: 1,
                        kind: GapKind::MissingModule,
                        detail: format!("the root of target `{}` does not exist", visit.target),
                    });
                }
                continue;
            }
            Loaded::Failed(gap) => {
                if !visit.test_only {
                    tree.gaps.push(gap);
                }
                continue;
            }
        };
        let reach = tree.reach.entry(index).or_insert_with(|| Reach {
            targets: BTreeSet::new(),
            test_only: true,
        });
        reach.targets.insert(visit.target.clone());
        reach.test_only &= visit.test_only;
        let mut decls = Vec::new();
        collect(&store.ast(index).items, &Inline::default(), &mut decls);
        for decl in decls {
            follow(&visit, decl, store, &mut work, &mut tree);
        }
    }
    tree.gaps.sort();
    tree.gaps.dedup();
    tree.skipped.sort();
    tree.skipped.dedup();
    tree
}

/// Queues the file `decl` names, or records why it cannot be.
fn follow(from: &Visit, decl: Decl, store: &mut dyn Store, work: &mut Vec<Visit>, tree: &mut Tree) {
    let test_only = from.test_only || decl.test_only;
    let dir = decl
        .inline
        .iter()
        .fold(from.mod_dir.clone(), |d, c| d.join(c));
    let gap = |kind, detail| Gap {
        path: from.path.clone(),
        line: decl.line,
        kind,
        detail,
    };
    let next = |path: PathBuf, mod_dir: PathBuf| Visit {
        path: normalise(&path),
        mod_dir: normalise(&mod_dir),
        test_only,
        target: from.target.clone(),
    };
    match decl.kind {
        DeclKind::Mod { name, path: None } => {
            let file = dir.join(format!("{name}.rs"));
            let folder = dir.join(&name).join("mod.rs");
            let chosen = [file, folder]
                .into_iter()
                .find(|p| !matches!(store.load(&normalise(p)), Loaded::Missing));
            match chosen {
                Some(path) => work.push(next(path, dir.join(&name))),
                None => {
                    let missing = gap(
                        GapKind::MissingModule,
                        format!(
                            "`mod {name};` has no file: neither `{}` nor `{}` exists",
                            slash(&normalise(&dir.join(format!("{name}.rs")))),
                            slash(&normalise(&dir.join(&name).join("mod.rs")))
                        ),
                    );
                    if test_only {
                    } else if decl.cfg {
                        tree.skipped.push(missing);
                    } else {
                        tree.gaps.push(missing);
                    }
                }
            }
        }
        DeclKind::Mod {
            name,
            path: Some(p),
        } => {
            // Outside inline modules `#[path]` is relative to the file's own folder; inside
            // them, to the folder the inline modules stand for. The file then owns its folder.
            let base = if decl.inline.is_empty() {
                parent(&from.path)
            } else {
                dir
            };
            let path = base.join(&p);
            if matches!(store.load(&normalise(&path)), Loaded::Missing) {
                let missing = gap(
                    GapKind::MissingModule,
                    format!(
                        "`#[path = \"{p}\"] mod {name};` has no file: `{}` does not exist",
                        slash(&normalise(&path))
                    ),
                );
                if !test_only {
                    tree.gaps.push(missing);
                }
                return;
            }
            let mod_dir = parent(&path);
            work.push(next(path, mod_dir));
        }
        DeclKind::Include(p) => {
            // `include!` pastes the file in place: its modules resolve where the macro stands.
            let path = parent(&from.path).join(&p);
            if matches!(store.load(&normalise(&path)), Loaded::Missing) {
                if !test_only {
                    tree.gaps.push(gap(
                        GapKind::MissingModule,
                        format!(
                            "`include!(\"{p}\")` has no file: `{}` does not exist",
                            slash(&normalise(&path))
                        ),
                    ));
                }
                return;
            }
            work.push(next(path, dir));
        }
        DeclKind::IncludeComputed(text) => {
            if !test_only {
                tree.gaps.push(gap(
                    GapKind::Unreadable,
                    format!("`include!({text})` names a file computed at build time (build script output), which was not analysed"),
                ));
            }
        }
    }
}

/// A declaration that pulls another file into the module tree.
struct Decl {
    kind: DeclKind,
    /// Inline modules around it: folder names (a `#[path]` on an inline module replaces it).
    inline: Vec<String>,
    /// Under `#[cfg(test)]` (on itself or an enclosing inline module or `cfg_if!` branch).
    test_only: bool,
    /// Under some other `cfg`: compiled only in some builds.
    cfg: bool,
    line: usize,
}

enum DeclKind {
    Mod { name: String, path: Option<String> },
    Include(String),
    IncludeComputed(String),
}

#[derive(Default, Clone)]
struct Inline {
    dirs: Vec<String>,
    test_only: bool,
    cfg: bool,
}

fn collect(items: &[syn::Item], at: &Inline, out: &mut Vec<Decl>) {
    for item in items {
        match item {
            syn::Item::Mod(m) => {
                let test_only = at.test_only || is_test_item(&m.attrs);
                let cfg = at.cfg || m.attrs.iter().any(|a| a.path().is_ident("cfg"));
                let path = path_attr(&m.attrs);
                let name = m.ident.unraw().to_string();
                match &m.content {
                    None => out.push(Decl {
                        kind: DeclKind::Mod { name, path },
                        inline: at.dirs.clone(),
                        test_only,
                        cfg,
                        line: m.span().start().line,
                    }),
                    Some((_, inner)) => {
                        let mut dirs = at.dirs.clone();
                        dirs.push(path.unwrap_or(name));
                        let inner_at = Inline {
                            dirs,
                            test_only,
                            cfg,
                        };
                        collect(inner, &inner_at, out);
                    }
                }
            }
            syn::Item::Macro(m) => macro_decls(&m.mac, &m.attrs, at, out),
            _ => {}
        }
    }
}

/// `include!("…")` and the branches of `cfg_if! { if #[cfg(..)] { .. } else { .. } }`.
fn macro_decls(mac: &syn::Macro, attrs: &[syn::Attribute], at: &Inline, out: &mut Vec<Decl>) {
    let test_only = at.test_only || is_test_item(attrs);
    let line = mac.span().start().line;
    match macro_name(mac).as_str() {
        "include" => {
            let kind = match mac
                .parse_body::<syn::Expr>()
                .ok()
                .as_ref()
                .and_then(str_lit)
            {
                Some((p, _)) => DeclKind::Include(p),
                None => DeclKind::IncludeComputed(mac.tokens.to_string()),
            };
            out.push(Decl {
                kind,
                inline: at.dirs.clone(),
                test_only,
                cfg: at.cfg,
                line,
            });
        }
        "cfg_if" => {
            let mut branch_test = false;
            let mut pending = proc_macro2::TokenStream::new();
            for token in mac.tokens.clone() {
                match &token {
                    proc_macro2::TokenTree::Group(g)
                        if g.delimiter() == proc_macro2::Delimiter::Brace =>
                    {
                        let inner = Inline {
                            dirs: at.dirs.clone(),
                            test_only: test_only || branch_test,
                            cfg: true,
                        };
                        if let Ok(file) = syn::parse2::<syn::File>(g.stream()) {
                            collect(&file.items, &inner, out);
                        }
                        branch_test = false;
                        pending = proc_macro2::TokenStream::new();
                    }
                    proc_macro2::TokenTree::Group(g)
                        if g.delimiter() == proc_macro2::Delimiter::Bracket =>
                    {
                        token.to_tokens(&mut pending);
                        let attrs = syn::parse::Parser::parse2(
                            syn::Attribute::parse_outer,
                            std::mem::take(&mut pending),
                        );
                        branch_test = attrs.is_ok_and(|a| is_test_item(&a));
                    }
                    proc_macro2::TokenTree::Punct(p) if p.as_char() == '#' => {
                        pending = token.to_token_stream();
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// The value of `#[path = "…"]`.
fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("path"))
        .find_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => str_lit(&nv.value).map(|(s, _)| s),
            _ => None,
        })
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `a/./b/../c` as `a/c`, without touching the disk; leading `..` stay.
pub fn normalise(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The roots cargo infers for a package laid out by convention, for in-memory test contexts.
#[cfg(test)]
pub fn conventional_roots(paths: &[&Path]) -> Vec<Root> {
    paths
        .iter()
        .filter_map(|p| {
            let s = slash(p);
            let target = match s.as_str() {
                "src/lib.rs" => "lib".to_string(),
                "src/main.rs" => "bin".to_string(),
                _ => {
                    let rest = s.strip_prefix("src/bin/")?;
                    let name = rest.strip_suffix("/main.rs").or(rest.strip_suffix(".rs"))?;
                    if name.contains('/') {
                        return None;
                    }
                    format!("bin:{name}")
                }
            };
            Some(Root {
                path: p.to_path_buf(),
                target,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::analysis::parse::parse_rust;

    /// Files in memory; every one that parses is loadable.
    struct Mem {
        files: Vec<(PathBuf, syn::File)>,
    }

    impl Mem {
        fn new(files: &[(&str, &str)]) -> Self {
            Mem {
                files: files
                    .iter()
                    .map(|(p, t)| (PathBuf::from(p), parse_rust(t).unwrap()))
                    .collect(),
            }
        }
    }

    impl Store for Mem {
        fn load(&mut self, path: &Path) -> Loaded {
            match self.files.iter().position(|(p, _)| p == path) {
                Some(i) => Loaded::Parsed(i),
                None => Loaded::Missing,
            }
        }
        fn ast(&self, index: usize) -> &syn::File {
            &self.files[index].1
        }
    }

    /// (path, test_only) of every file reached from `src/lib.rs`, and the gaps' details.
    fn reached(files: &[(&str, &str)]) -> (Vec<(String, bool)>, Vec<String>) {
        let mut mem = Mem::new(files);
        let roots = [Root {
            path: "src/lib.rs".into(),
            target: "lib".into(),
        }];
        let tree = resolve(&roots, &mut mem);
        let mut out: Vec<(String, bool)> = tree
            .reach
            .iter()
            .map(|(i, r)| (slash(&mem.files[*i].0), r.test_only))
            .collect();
        out.sort();
        let gaps = tree
            .gaps
            .iter()
            .map(|g| format!("{}:{} {}", slash(&g.path), g.line, g.detail))
            .collect();
        (out, gaps)
    }

    #[test]
    fn follows_mod_files_the_way_rustc_does() {
        let (files, gaps) = reached(&[
            ("src/lib.rs", "mod a;\nmod b;\nmod inline { mod c; }\n"),
            ("src/a.rs", "mod nested;\n"),
            ("src/a/nested.rs", ""),
            ("src/b/mod.rs", "mod d;\n"),
            ("src/b/d.rs", ""),
            ("src/inline/c.rs", ""),
            ("src/unreached.rs", ""),
        ]);
        let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "src/a.rs",
                "src/a/nested.rs",
                "src/b/d.rs",
                "src/b/mod.rs",
                "src/inline/c.rs",
                "src/lib.rs"
            ]
        );
        assert!(gaps.is_empty(), "{gaps:?}");
    }

    #[test]
    fn path_attributes_resolve_by_kind_of_file() {
        let (files, gaps) = reached(&[
            (
                "src/lib.rs",
                "#[path = \"gen/x.rs\"] mod x;\nmod a;\nmod m { #[path = \"in_m.rs\"] mod y; }\n",
            ),
            ("src/gen/x.rs", "mod child;\n"),
            ("src/gen/child.rs", ""),
            (
                "src/a.rs",
                "#[path = \"beside.rs\"] mod b;\nmod i { #[path = \"deep.rs\"] mod c; }\n",
            ),
            ("src/beside.rs", ""),
            ("src/a/i/deep.rs", ""),
            ("src/m/in_m.rs", ""),
        ]);
        assert!(gaps.is_empty(), "{gaps:?}");
        assert_eq!(files.len(), 7, "{files:?}");
    }

    #[test]
    fn includes_cfg_if_and_test_modules() {
        let (files, gaps) = reached(&[
            (
                "src/lib.rs",
                "include!(\"parts/extra.rs\");\ncfg_if::cfg_if! { if #[cfg(unix)] { mod unix; } else { mod other; } }\ncfg_if! { if #[cfg(test)] { mod helpers; } }\n#[cfg(test)]\nmod tests;\n#[cfg(test)]\nmod gone;\n#[cfg(feature = \"x\")]\nmod optional;\n",
            ),
            ("src/parts/extra.rs", "mod from_include;\n"),
            ("src/from_include.rs", ""),
            ("src/unix.rs", ""),
            ("src/other.rs", ""),
            ("src/helpers.rs", ""),
            ("src/tests.rs", "mod inner;\n"),
            ("src/tests/inner.rs", ""),
        ]);
        let test_only: Vec<&str> = files
            .iter()
            .filter(|(_, t)| *t)
            .map(|(p, _)| p.as_str())
            .collect();
        assert_eq!(
            test_only,
            ["src/helpers.rs", "src/tests.rs", "src/tests/inner.rs"]
        );
        assert_eq!(files.len(), 8, "{files:?}");
        // A test module's missing file and a module under another cfg are not gaps.
        assert!(gaps.is_empty(), "{gaps:?}");
    }

    #[test]
    fn missing_files_are_gaps_at_their_declaration() {
        let (_, gaps) = reached(&[
            (
                "src/lib.rs",
                "mod here;\n\nmod gone;\n#[path = \"../x.rs\"] mod far;\ninclude!(concat!(env!(\"OUT_DIR\"), \"/gen.rs\"));\n",
            ),
            ("src/here.rs", ""),
        ]);
        assert_eq!(gaps.len(), 3, "{gaps:?}");
        assert!(
            gaps[0].starts_with("src/lib.rs:3 `mod gone;` has no file"),
            "{gaps:?}"
        );
        assert!(gaps[1].contains("`x.rs` does not exist"), "{gaps:?}");
        assert!(gaps[2].contains("computed at build time"), "{gaps:?}");
    }

    #[test]
    fn a_file_reached_from_shipped_code_is_not_test_only() {
        let (files, _) = reached(&[
            ("src/lib.rs", "#[cfg(test)]\nmod a;\nmod b;\n"),
            ("src/a.rs", "mod shared;\n"),
            ("src/b.rs", "#[path = \"a/shared.rs\"] mod shared;\n"),
            ("src/a/shared.rs", ""),
        ]);
        assert!(
            files.contains(&("src/a/shared.rs".into(), false)),
            "{files:?}"
        );
        assert!(files.contains(&("src/a.rs".into(), true)), "{files:?}");
    }

    #[test]
    fn normalises_lexically() {
        assert_eq!(
            normalise(Path::new("src/./a/../b.rs")),
            Path::new("src/b.rs")
        );
        assert_eq!(normalise(Path::new("../x/../y.rs")), Path::new("../y.rs"));
    }
}
