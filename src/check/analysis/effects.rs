//! What a function body does to the world: deletes, writes, SQL writes, processes. Used to
//! compare a tool's code with its description and annotations.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::flow::Taint;
use super::syntax::{call_path, compact, str_lit};
use crate::check::model::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Delete,
    Write,
    SqlWrite,
    Spawn,
}

impl Kind {
    pub fn verb(self) -> &'static str {
        match self {
            Kind::Delete => "deletes files",
            Kind::Write => "writes files",
            Kind::SqlWrite => "can change the database",
            Kind::Spawn => "runs a shell or a caller-chosen program",
        }
    }
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

/// Effects of one body; `taint` marks caller-controlled values, `ro_db` a read-only database.
pub fn effects(block: &syn::Block, taint: &Taint, ro_db: bool) -> Vec<Effect> {
    let text = compact(block);
    // A program picked from an allow-list is the operator's choice, not the caller's.
    let allow_listed =
        text.contains(".contains(") || text.contains("allowed") || text.contains("allow_list");
    let mut v = Effects {
        taint,
        ro_db,
        allow_listed,
        out: Vec::new(),
    };
    v.visit_block(block);
    v.out
}

struct Effects<'t> {
    taint: &'t Taint,
    ro_db: bool,
    allow_listed: bool,
    out: Vec<Effect>,
}

impl<'ast> Visit<'ast> for Effects<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Some(p) = call_path(c) {
            let last = p.rsplit("::").next().unwrap_or_default();
            let fs = p.contains("fs::") || p.starts_with("File::") || p.contains("::File::");
            let kind = match last {
                "remove_file" | "remove_dir" | "remove_dir_all" if fs => Some(Kind::Delete),
                "write" | "create_dir" | "create_dir_all" | "rename" | "copy" | "create"
                | "hard_link"
                    if fs =>
                {
                    Some(Kind::Write)
                }
                "new" if p.ends_with("Command::new") => {
                    let shell = c
                        .args
                        .first()
                        .and_then(str_lit)
                        .is_some_and(|(s, _)| SHELLS.contains(&s.as_str()));
                    let chosen = !self.allow_listed
                        && c.args.first().is_some_and(|a| self.taint.of(a).is_some());
                    (shell || chosen).then_some(Kind::Spawn)
                }
                _ => None,
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
            "create_dir" | "create_dir_all" | "rename" | "hard_link" if !m.args.is_empty() => {
                Some(Kind::Write)
            }
            // `Dir::write(path, contents)`; `io::Write::write` takes one argument.
            "write" if m.args.len() == 2 => Some(Kind::Write),
            n if SQL_METHODS.contains(&n) => m.args.first().and_then(|a| {
                let literal = str_lit(a).map(|(s, _)| s).or_else(|| format_literal(a));
                match literal {
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
        if name == "open" && compact(&m.receiver).contains("OpenOptions") {
            let chain = compact(&m.receiver);
            if chain.contains(".write(true)")
                || chain.contains(".append(true)")
                || chain.contains(".create(true)")
            {
                self.out.push(Effect {
                    kind: Kind::Write,
                    span: m.method.span(),
                    what: "OpenOptions::open".into(),
                });
            }
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
