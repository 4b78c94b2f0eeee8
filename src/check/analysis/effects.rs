//! What a function body does to the world: deletes, overwrites, moves, writes, SQL writes,
//! removed state, processes. Used to compare a tool's code with its description and
//! annotations. File calls are matched by the path they resolve to through the file's imports.

use std::collections::BTreeSet;

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::flow::Taint;
use super::imports::Imports;
use super::syntax::{call_path, compact, str_lit};
use crate::check::model::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Delete,
    Write,
    /// Replaces a file the caller names (`fs::write`, `File::create`, `OpenOptions` with
    /// `truncate`, `fs::copy` onto it): its old content is gone.
    Overwrite,
    /// Renames or moves a file the caller names (`fs::rename`), which replaces the destination.
    Move,
    SqlWrite,
    /// A literal `DROP`, `DELETE` or `TRUNCATE` statement.
    SqlDestroy,
    /// Forgets server-held state the caller picks (`self.sessions.remove(&id)`).
    StateRemoval,
    Spawn,
}

impl Kind {
    pub fn verb(self) -> &'static str {
        match self {
            Kind::Delete => "deletes files",
            Kind::Write => "writes files",
            Kind::Overwrite => "overwrites files the caller names",
            Kind::Move => "moves or renames files the caller names, replacing the destination",
            Kind::SqlWrite => "can change the database",
            Kind::SqlDestroy => "drops or deletes database rows or tables",
            Kind::StateRemoval => "removes stored state the caller picks",
            Kind::Spawn => "runs a shell or a caller-chosen program",
        }
    }

    /// What MCP's `destructiveHint` is about: the call can destroy or replace what exists.
    pub fn destructive(self) -> bool {
        matches!(
            self,
            Kind::Delete | Kind::Overwrite | Kind::Move | Kind::SqlDestroy | Kind::StateRemoval
        )
    }

    /// The call can change the database.
    pub fn changes_database(self) -> bool {
        matches!(self, Kind::SqlWrite | Kind::SqlDestroy)
    }
}

/// Filesystem modules whose free functions and `File` type check knows.
const FS_MODULES: &[&str] = &[
    "std::fs",
    "tokio::fs",
    "async_std::fs",
    "fs_err",
    "fs_err::tokio",
    "smol::fs",
];

/// The function of a known filesystem module `resolved` names (`std::fs::write` gives
/// `write`, `tokio::fs::File::create` gives `File::create`).
fn fs_function(resolved: &str) -> Option<&str> {
    FS_MODULES.iter().find_map(|m| {
        resolved
            .strip_prefix(m)
            .and_then(|rest| rest.strip_prefix("::"))
    })
}

pub struct Effect {
    pub kind: Kind,
    pub span: proc_macro2::Span,
    /// The call, as written (`std::fs::remove_file`).
    pub what: String,
}

pub const SQL_METHODS: &[&str] = &[
    "execute",
    "execute_batch",
    "query",
    "query_row",
    "query_map",
    "query_one",
    "query_opt",
    "prepare",
    "prepare_cached",
    "fetch_one",
    "fetch_all",
    "fetch_optional",
    "simple_query",
    "batch_execute",
];

pub const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "cmd",
    "cmd.exe",
    "powershell",
    "pwsh",
    "/bin/sh",
    "/bin/bash",
];

/// True when the crate opens its database read-only somewhere.
pub fn read_only_database(ctx: &Context) -> bool {
    ctx.sources.iter().any(|s| {
        s.text.contains("SQLITE_OPEN_READ_ONLY")
            || s.text.contains("query_only")
            || s.text.contains("mode=ro")
            || s.text.contains(".read_only(true)")
    })
}

/// Whether the SQL text writes.
pub fn sql_writes(text: &str) -> bool {
    let t = text.trim_start().to_ascii_uppercase();
    [
        "INSERT", "UPDATE", "DELETE", "DROP", "CREATE", "ALTER", "REPLACE", "ATTACH", "VACUUM",
    ]
    .iter()
    .any(|k| t.starts_with(k))
}

/// Whether literal SQL destroys rows or tables.
pub fn sql_destroys(text: &str) -> bool {
    let t = text.trim_start().to_ascii_uppercase();
    ["DROP", "DELETE", "TRUNCATE"]
        .iter()
        .any(|k| t.starts_with(k))
}

/// Effects of one body; `taint` marks caller-controlled values, `ro_db` a read-only database,
/// `imports` the `use` table of the body's file.
pub fn effects(block: &syn::Block, taint: &Taint, ro_db: bool, imports: &Imports) -> Vec<Effect> {
    let text = compact(block);
    // A program picked from an allow-list is the operator's choice, not the caller's.
    let allow_listed =
        text.contains(".contains(") || text.contains("allowed") || text.contains("allow_list");
    let mut v = Effects {
        taint,
        ro_db,
        allow_listed,
        imports,
        refused_existing: refused_existing(block),
        out: Vec::new(),
    };
    v.visit_block(block);
    v.out
}

struct Effects<'t> {
    taint: &'t Taint,
    ro_db: bool,
    allow_listed: bool,
    imports: &'t Imports,
    /// Paths the body refuses to touch when they exist (`if p.exists() { return Err(..) }`),
    /// and the bindings copied from them: creating such a path replaces nothing.
    refused_existing: BTreeSet<String>,
    out: Vec<Effect>,
}

/// Bindings `x` with `if x.exists() { return … }` in `block`, and bindings made from them.
fn refused_existing(block: &syn::Block) -> BTreeSet<String> {
    let mut v = ExistsGuards::default();
    v.visit_block(block);
    v.0
}

#[derive(Default)]
struct ExistsGuards(BTreeSet<String>);

impl<'ast> Visit<'ast> for ExistsGuards {
    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        if let syn::Expr::MethodCall(m) = &*i.cond
            && matches!(m.method.to_string().as_str(), "exists" | "is_file")
            && let syn::Expr::Path(p) = &*m.receiver
            && let Some(id) = p.path.get_ident()
            && returns(&i.then_branch)
        {
            self.0.insert(id.to_string());
        }
        syn::visit::visit_expr_if(self, i);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init
            && super::syntax::idents_in(&init.expr)
                .iter()
                .any(|(name, _, _)| self.0.contains(name))
        {
            self.0.extend(super::syntax::pat_idents(&l.pat));
        }
        syn::visit::visit_local(self, l);
    }
}

/// The block leaves the function (`return Err(..)`).
fn returns(block: &syn::Block) -> bool {
    struct Returns(bool);
    impl<'ast> Visit<'ast> for Returns {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
    }
    let mut v = Returns(false);
    v.visit_block(block);
    v.0
}

impl Effects<'_> {
    /// The kind of a call to a filesystem function of a known module.
    fn fs_call(&self, function: &str, c: &syn::ExprCall) -> Option<Kind> {
        let named = |i: usize| {
            c.args
                .iter()
                .nth(i)
                .is_some_and(|a| self.taint.of(a).is_some())
        };
        let refused = |i: usize| {
            c.args.iter().nth(i).is_some_and(|a| {
                super::syntax::idents_in(a)
                    .first()
                    .is_some_and(|(name, _, _)| self.refused_existing.contains(name))
            })
        };
        match function {
            "remove_file" | "remove_dir" | "remove_dir_all" => Some(Kind::Delete),
            "write" | "File::create" if named(0) && !refused(0) => Some(Kind::Overwrite),
            "copy" if named(1) => Some(Kind::Overwrite),
            "rename" if named(0) || named(1) => Some(Kind::Move),
            "write" | "create_dir" | "create_dir_all" | "rename" | "copy" | "File::create"
            | "hard_link" => Some(Kind::Write),
            _ => None,
        }
    }

    /// `OpenOptions::new()…open(path)`: what the options let the call do to the file.
    fn open_options(&self, m: &syn::ExprMethodCall) -> Option<Kind> {
        let (root, flags) = option_chain(&m.receiver);
        let root = self.imports.resolve(&root?)?;
        if fs_function(&root) != Some("OpenOptions::new") {
            return None;
        }
        let on = |flag: &str| flags.iter().any(|(f, v)| f == flag && *v);
        let named = m.args.first().is_some_and(|a| self.taint.of(a).is_some());
        if on("truncate") && named {
            return Some(Kind::Overwrite);
        }
        (on("write") || on("append") || on("create") || on("truncate")).then_some(Kind::Write)
    }
}

/// The root call of a builder chain (`OpenOptions::new`) and its `.flag(true|false)` calls.
fn option_chain(expr: &syn::Expr) -> (Option<String>, Vec<(String, bool)>) {
    let mut flags = Vec::new();
    let mut e = expr;
    loop {
        match e {
            syn::Expr::MethodCall(m) => {
                if let Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Bool(b),
                    ..
                })) = m.args.first()
                {
                    flags.push((m.method.to_string(), b.value));
                }
                e = &m.receiver;
            }
            syn::Expr::Call(c) => return (call_path(c), flags),
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::Reference(r) => e = &r.expr,
            _ => return (None, flags),
        }
    }
}

/// True when `expr` is a place inside `self` (`self.sessions`, `self.state.lock().await`).
fn in_self(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Path(p) => p.path.is_ident("self"),
        syn::Expr::Field(f) => in_self(&f.base),
        syn::Expr::MethodCall(m) => in_self(&m.receiver),
        syn::Expr::Await(a) => in_self(&a.base),
        syn::Expr::Try(t) => in_self(&t.expr),
        syn::Expr::Paren(p) => in_self(&p.expr),
        syn::Expr::Reference(r) => in_self(&r.expr),
        syn::Expr::Unary(u) => in_self(&u.expr),
        _ => false,
    }
}

impl<'ast> Visit<'ast> for Effects<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Some(p) = call_path(c) {
            let fs = self
                .imports
                .resolve(&p)
                .and_then(|r| fs_function(&r).map(String::from));
            let kind = match fs {
                Some(function) => self.fs_call(&function, c),
                None if p.ends_with("Command::new") => {
                    let shell = c
                        .args
                        .first()
                        .and_then(str_lit)
                        .is_some_and(|(s, _)| SHELLS.contains(&s.as_str()));
                    let chosen = !self.allow_listed
                        && c.args.first().is_some_and(|a| self.taint.of(a).is_some());
                    (shell || chosen).then_some(Kind::Spawn)
                }
                None => None,
            };
            if let Some(kind) = kind {
                self.out.push(Effect {
                    kind,
                    span: c.func.span(),
                    what: p,
                });
            }
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let name = m.method.to_string();
        let kind = match name.as_str() {
            "remove_file" | "remove_dir" | "remove_dir_all" | "remove_open_dir_all"
                if !m.args.is_empty() =>
            {
                Some(Kind::Delete)
            }
            // `Dir::rename(from, to_dir, to)` (cap-std) replaces the destination.
            "rename" if m.args.iter().any(|a| self.taint.of(a).is_some()) => Some(Kind::Move),
            "create_dir" | "create_dir_all" | "rename" | "hard_link" if !m.args.is_empty() => {
                Some(Kind::Write)
            }
            // `Dir::write(path, contents)` replaces the file; `io::Write::write` takes one argument.
            "write" if m.args.len() == 2 && self.taint.of(&m.args[0]).is_some() => {
                Some(Kind::Overwrite)
            }
            "write" if m.args.len() == 2 => Some(Kind::Write),
            // A key the caller picks, removed from a map the server holds.
            "remove" | "swap_remove" | "shift_remove"
                if m.args.len() == 1
                    && in_self(&m.receiver)
                    && self.taint.of(&m.args[0]).is_some() =>
            {
                Some(Kind::StateRemoval)
            }
            n if SQL_METHODS.contains(&n) => m.args.first().and_then(|a| {
                let literal = str_lit(a).map(|(s, _)| s).or_else(|| format_literal(a));
                match literal {
                    Some(text) if sql_destroys(&text) => Some(Kind::SqlDestroy),
                    Some(text) => sql_writes(&text).then_some(Kind::SqlWrite),
                    None => (self.taint.of(a).is_some() && !self.ro_db).then_some(Kind::SqlWrite),
                }
            }),
            _ => None,
        };
        if let Some(kind) = kind {
            self.out.push(Effect {
                kind,
                span: m.method.span(),
                what: format!(".{name}()"),
            });
        }
        if name == "open"
            && let Some(kind) = self.open_options(m)
        {
            self.out.push(Effect {
                kind,
                span: m.method.span(),
                what: "OpenOptions::open".into(),
            });
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// The literal of `format!("...", ..)` or `&format!(..)`.
pub fn format_literal(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Reference(r) => format_literal(&r.expr),
        syn::Expr::Macro(m) if super::syntax::macro_name(&m.mac) == "format" => {
            super::syntax::format_args(&m.mac).map(|(lit, _)| lit.value())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, String)> {
        let file = syn::parse_file(src).unwrap();
        let imports = Imports::of_file(&file);
        let syn::Item::Fn(f) = file.items.last().unwrap() else {
            panic!("a function last")
        };
        let mut taint = Taint::default();
        taint.vars.insert("path".into(), "path".into());
        taint.vars.insert("to".into(), "to".into());
        effects(&f.block, &taint, false, &imports)
            .into_iter()
            .map(|e| (e.kind, e.what))
            .collect()
    }

    #[test]
    fn file_calls_are_classified_by_resolved_path_and_caller_choice() {
        let found = kinds(
            r#"
            use tokio::fs as tfs;
            use std::fs::{File, OpenOptions};
            fn run(&self, path: String, to: String) {
                tfs::write(&path, "x");
                tfs::write("cache.json", "x");
                std::fs::rename(&path, &to);
                File::create(&path);
                OpenOptions::new().write(true).truncate(true).open(&path);
                OpenOptions::new().append(true).open(&path);
                store::write(&path, "x");
                conn.execute("DELETE FROM notes WHERE id = ?1", [1]);
                self.sessions.lock().remove(&path);
                std::fs::remove_file("old.log");
            }
            "#,
        );
        let expected = [
            (Kind::Overwrite, "tfs::write"),
            (Kind::Write, "tfs::write"),
            (Kind::Move, "std::fs::rename"),
            (Kind::Overwrite, "File::create"),
            (Kind::Overwrite, "OpenOptions::open"),
            (Kind::Write, "OpenOptions::open"),
            (Kind::SqlDestroy, ".execute()"),
            (Kind::StateRemoval, ".remove()"),
            (Kind::Delete, "std::fs::remove_file"),
        ];
        let found: Vec<(Kind, &str)> = found.iter().map(|(k, w)| (*k, w.as_str())).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn creating_a_path_refused_when_it_exists_replaces_nothing() {
        let found = kinds(
            r#"
            fn run(path: String) {
                let target = validate(&path);
                if target.exists() {
                    return Err(AlreadyExists);
                }
                let copy = target.clone();
                std::fs::File::create(&copy);
            }
            "#,
        );
        assert_eq!(found, [(Kind::Write, "std::fs::File::create".to_string())]);
    }
}
