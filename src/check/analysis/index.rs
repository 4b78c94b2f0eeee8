//! An index of the crate's own functions and structs (test code left out), and call resolution
//! by name, so rules can follow a tool into the functions it calls.

use std::collections::BTreeSet;
use std::path::Path;

use syn::visit::Visit;

use super::syntax::{call_path, is_test_item};
use crate::check::model::{Context, SourceFile};

/// One function or method of the crate.
pub struct FnInfo<'a> {
    pub name: String,
    /// The `impl` type (last segment), for methods and associated functions.
    pub self_ty: Option<String>,
    /// The trait of the `impl`, when there is one (`ServerHandler`).
    pub trait_name: Option<String>,
    /// Module name: the file stem, or the folder for `mod.rs`.
    pub module: String,
    pub has_receiver: bool,
    pub sig: &'a syn::Signature,
    pub block: &'a syn::Block,
    pub file: &'a SourceFile,
}

pub struct StructInfo<'a> {
    pub item: &'a syn::ItemStruct,
    pub file: &'a SourceFile,
}

pub struct Index<'a> {
    pub fns: Vec<FnInfo<'a>>,
    pub structs: Vec<StructInfo<'a>>,
    /// `impl Default for X` blocks.
    pub default_impls: Vec<(&'a syn::ItemImpl, &'a SourceFile)>,
    /// Indices into `fns` by function name, so a call resolves without a scan of every fn.
    by_name: std::collections::HashMap<String, Vec<usize>>,
    /// The `use` table of each shipped file.
    pub imports: super::imports::ImportTable,
    /// For each crate function name, the argument positions its result can carry
    /// ([`super::flow::carriers`]): none for `&'static str` results, not the key of a lookup.
    pub carriers: std::sync::Arc<std::collections::BTreeMap<String, Vec<usize>>>,
}

/// Code outside the shipped targets: integration tests, benches, examples, build scripts.
pub fn is_excluded(path: &Path) -> bool {
    path.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some("tests" | "benches" | "examples")
        )
    }) || path.file_name().is_some_and(|n| n == "build.rs")
}

/// [`is_excluded`] for a path relative to the project root: judged from the package's own
/// folder, so a package that lives under a workspace folder named `examples/` still counts.
pub fn is_excluded_in(ctx: &Context, path: &Path) -> bool {
    let within_package = ctx
        .packages
        .iter()
        .filter_map(|p| p.manifest_path.parent())
        .filter_map(|dir| path.strip_prefix(dir).ok())
        .min_by_key(|rel| rel.components().count())
        .unwrap_or(path);
    is_excluded(within_package)
}

/// The sources that ship: the module trees of the shipped targets without the files only
/// test builds compile (the loader reads no test, bench or build-script target).
pub fn shipped(ctx: &Context) -> Vec<&SourceFile> {
    let indices = ctx.shipped.get_or_init(|| {
        (0..ctx.sources.len())
            .filter(|&i| !ctx.sources[i].test_only)
            .collect()
    });
    indices.iter().map(|&i| &ctx.sources[i]).collect()
}

impl<'a> Index<'a> {
    pub fn new(ctx: &'a Context) -> Self {
        let mut index = Index {
            fns: Vec::new(),
            structs: Vec::new(),
            default_impls: Vec::new(),
            by_name: std::collections::HashMap::new(),
            imports: super::imports::ImportTable::new(shipped(ctx)),
            carriers: Default::default(),
        };
        for file in shipped(ctx) {
            let module = module_name(&file.path);
            index.items(&file.ast.items, file, &module);
        }
        for (i, f) in index.fns.iter().enumerate() {
            index.by_name.entry(f.name.clone()).or_default().push(i);
        }
        index.carriers = std::sync::Arc::new(super::flow::carriers(&index));
        index
    }

    fn items(&mut self, items: &'a [syn::Item], file: &'a SourceFile, module: &str) {
        for item in items {
            match item {
                syn::Item::Fn(f) if !is_test_item(&f.attrs) => self.fns.push(FnInfo {
                    name: f.sig.ident.to_string(),
                    self_ty: None,
                    trait_name: None,
                    module: module.to_string(),
                    has_receiver: false,
                    sig: &f.sig,
                    block: &f.block,
                    file,
                }),
                syn::Item::Impl(imp) if !is_test_item(&imp.attrs) => {
                    let self_ty = super::syntax::inner_type_name(&imp.self_ty);
                    let trait_name = imp
                        .trait_
                        .as_ref()
                        .and_then(|(_, p, _)| p.segments.last())
                        .map(|s| s.ident.to_string());
                    if trait_name.as_deref() == Some("Default") {
                        self.default_impls.push((imp, file));
                    }
                    for it in &imp.items {
                        if let syn::ImplItem::Fn(f) = it {
                            if is_test_item(&f.attrs) {
                                continue;
                            }
                            self.fns.push(FnInfo {
                                name: f.sig.ident.to_string(),
                                self_ty: self_ty.clone(),
                                trait_name: trait_name.clone(),
                                module: module.to_string(),
                                has_receiver: f.sig.receiver().is_some(),
                                sig: &f.sig,
                                block: &f.block,
                                file,
                            });
                        }
                    }
                }
                syn::Item::Struct(s) if !is_test_item(&s.attrs) => {
                    self.structs.push(StructInfo { item: s, file })
                }
                syn::Item::Mod(m) if !is_test_item(&m.attrs) => {
                    if let Some((_, items)) = &m.content {
                        self.items(items, file, &m.ident.to_string());
                    }
                }
                _ => {}
            }
        }
    }

    /// The functions called `name`, in index order.
    fn named(&self, name: &str) -> &[usize] {
        self.by_name
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// `path` as written in `file`, with its first segment resolved through the file's `use`s.
    pub fn resolve_in(&self, file: &Path, path: &str) -> String {
        self.imports.of(file).expand(path)
    }

    pub fn struct_named(&self, name: &str) -> Option<&StructInfo<'a>> {
        self.structs.iter().find(|s| s.item.ident == name)
    }

    /// The crate functions a call expression may reach, by name.
    pub fn resolve_call(&self, expr: &syn::Expr, caller: &FnInfo<'_>) -> Vec<usize> {
        match expr {
            syn::Expr::Call(c) => call_path(c)
                .map(|p| self.resolve_path(&p, caller))
                .unwrap_or_default(),
            syn::Expr::MethodCall(m) => {
                let name = m.method.to_string();
                // The receiver's type, where the code says it, decides which method runs; a
                // type that is not the crate's own (a map, a lock guard) has none of ours.
                match super::receiver::type_of(self, &m.receiver, caller) {
                    super::receiver::Ty::Crate(ty) => {
                        return (0..self.fns.len())
                            .filter(|&i| {
                                self.fns[i].has_receiver
                                    && self.fns[i].name == name
                                    && self.fns[i].self_ty.as_deref() == Some(ty.as_str())
                            })
                            .collect();
                    }
                    super::receiver::Ty::Foreign => return Vec::new(),
                    super::receiver::Ty::Holds(held) => {
                        let held =
                            |t: &Option<String>| t.as_ref().is_some_and(|t| held.contains(t));
                        return (0..self.fns.len())
                            .filter(|&i| {
                                let f = &self.fns[i];
                                f.has_receiver
                                    && f.name == name
                                    && (held(&f.self_ty) || held(&f.trait_name))
                            })
                            .collect();
                    }
                    super::receiver::Ty::Unknown => {}
                }
                let on_self = matches!(&*m.receiver, syn::Expr::Path(p) if p.path.is_ident("self"));
                let all: Vec<usize> = self
                    .named(&name)
                    .iter()
                    .copied()
                    .filter(|&i| self.fns[i].has_receiver)
                    .collect();
                if on_self {
                    let same: Vec<usize> = all
                        .iter()
                        .copied()
                        .filter(|&i| self.fns[i].self_ty == caller.self_ty)
                        .collect();
                    if !same.is_empty() {
                        return same;
                    }
                }
                all
            }
            syn::Expr::Path(p) => self.resolve_path(&super::syntax::path_text(&p.path), caller),
            _ => Vec::new(),
        }
    }

    fn resolve_path(&self, path: &str, caller: &FnInfo<'_>) -> Vec<usize> {
        let segs: Vec<&str> = path.split("::").collect();
        let Some(name) = segs.last() else {
            return Vec::new();
        };
        let qualifier = if segs.len() >= 2 {
            Some(segs[segs.len() - 2])
        } else {
            None
        };
        let found: Vec<usize> = self
            .named(name)
            .iter()
            .copied()
            .filter(|&i| {
                let f = &self.fns[i];
                match qualifier {
                    None => f.self_ty.is_none(),
                    Some("Self") => f.self_ty == caller.self_ty,
                    Some("self" | "super" | "crate") => f.self_ty.is_none(),
                    Some(q) => {
                        f.self_ty.as_deref() == Some(q) || (f.self_ty.is_none() && f.module == q)
                    }
                }
            })
            .collect();
        // An unqualified call means the function in scope: prefer the caller's own file.
        let local: Vec<usize> = found
            .iter()
            .copied()
            .filter(|&i| self.fns[i].file.path == caller.file.path)
            .collect();
        if qualifier.is_none() && !local.is_empty() {
            local
        } else {
            found
        }
    }

    /// Functions reachable from `start` within `depth` calls (including `start`), with calls
    /// and function references (`map_err(to_text)`) both followed.
    pub fn reachable(&self, start: &[usize], depth: usize) -> BTreeSet<usize> {
        let mut seen: BTreeSet<usize> = start.iter().copied().collect();
        let mut frontier: Vec<usize> = start.to_vec();
        for _ in 0..depth {
            let mut next = Vec::new();
            for &i in &frontier {
                for callee in self.callees(i) {
                    if seen.insert(callee) {
                        next.push(callee);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        seen
    }

    /// Direct callees of function `i`.
    pub fn callees(&self, i: usize) -> Vec<usize> {
        let caller = &self.fns[i];
        let mut v = CallCollector { exprs: Vec::new() };
        v.visit_block(caller.block);
        // A local variable passed along (`guard(.., run)`) is not a function reference.
        let mut locals = Locals(BTreeSet::new());
        locals.visit_signature(caller.sig);
        locals.visit_block(caller.block);
        let mut out: Vec<usize> = v
            .exprs
            .iter()
            .filter(|e| !matches!(e, syn::Expr::Path(p) if p.path.get_ident().is_some_and(|id| locals.0.contains(&id.to_string()))))
            .flat_map(|e| self.resolve_call(e, caller))
            .filter(|&j| j != i)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Names bound in a function: parameters, `let`, `for`, closure and match patterns.
struct Locals(BTreeSet<String>);

impl<'ast> Visit<'ast> for Locals {
    fn visit_pat(&mut self, p: &'ast syn::Pat) {
        self.0.extend(super::syntax::pat_idents(p));
        syn::visit::visit_pat(self, p);
    }
}

/// Calls, method calls, and paths passed as values (function references).
struct CallCollector {
    exprs: Vec<syn::Expr>,
}

impl<'ast> Visit<'ast> for CallCollector {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        match e {
            syn::Expr::Call(_) | syn::Expr::MethodCall(_) => self.exprs.push(e.clone()),
            _ => {}
        }
        if let syn::Expr::Call(c) = e {
            for a in &c.args {
                if let syn::Expr::Path(_) = a {
                    self.exprs.push(a.clone());
                }
            }
        }
        if let syn::Expr::MethodCall(m) = e {
            for a in &m.args {
                if let syn::Expr::Path(_) = a {
                    self.exprs.push(a.clone());
                }
            }
        }
        syn::visit::visit_expr(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in super::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
        if let Some((_, args)) = super::syntax::format_args(mac) {
            for a in &args {
                self.visit_expr(&a.expr);
            }
        }
    }
}

fn module_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    match stem {
        "mod" => path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string(),
        "main" | "lib" => "crate".to_string(),
        s => s.to_string(),
    }
}

/// The crate's direct dependencies and their features, from the manifests' text.
pub fn depends_on(ctx: &Context, krate: &str) -> bool {
    ctx.packages
        .iter()
        .any(|p| dependency(&p.manifest_text, krate).is_some())
}

/// Features of dependency `krate` in a manifest (empty when it has none), `None` if absent.
pub fn dependency(manifest: &str, krate: &str) -> Option<Vec<String>> {
    let doc: toml::Table = manifest.parse().ok()?;
    let dep = doc.get("dependencies")?.as_table()?.get(krate)?;
    let features = dep
        .get("features")
        .and_then(|f| f.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Some(features)
}
