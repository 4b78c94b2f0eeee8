//! sql-injection: SQL text built by formatting or concatenation, batches of non-constant
//! text, loops that run every `;`-separated statement, caller SQL that reaches the file
//! system, and read-only guards too weak for the database they guard.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, dedup_by_line, finding, flow_labels};
use crate::check::analysis::effects::SQL_METHODS;
use crate::check::analysis::index::depends_on;
use crate::check::analysis::sql_guards::SqlGuards;
use crate::check::analysis::sql_readonly::{Weakness, refuses_attach_and_vacuum, weak_guards};
use crate::check::analysis::syntax::{compact, format_args, is_constant, macro_name, str_lit};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "sql-injection";
const HELP: &str = "pass values as bound parameters (`?1`, `params![..]`), never in the SQL text";

fn uses_sql(ctx: &Context) -> bool {
    [
        "rusqlite",
        "sqlx",
        "postgres",
        "tokio-postgres",
        "mysql",
        "mysql_async",
        "diesel",
        "duckdb",
        "libsql",
    ]
    .iter()
    .any(|k| depends_on(ctx, k))
}

/// Text that starts like a SQL statement.
fn looks_like_sql(text: &str) -> bool {
    let t = text.trim_start().to_ascii_uppercase();
    if schema_statement(&t) {
        return true;
    }
    let starts = [
        "SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH ", "REPLACE ", "DROP ", "CREATE ",
        "ALTER ", "PRAGMA ", "ATTACH ",
    ]
    .iter()
    .any(|k| t.starts_with(k));
    starts
        && (t.contains(" FROM ")
            || t.contains(" INTO ")
            || t.contains(" SET ")
            || t.contains(" WHERE ")
            || t.contains(" TABLE ")
            || t.starts_with("PRAGMA")
            || t.starts_with("ATTACH"))
}

/// `DROP INDEX x`, `CREATE SCHEMA x`, `TRUNCATE TABLE x`: a schema verb and the kind of object.
fn schema_statement(upper: &str) -> bool {
    let mut words = upper.split_whitespace();
    let verb = words.next().unwrap_or_default();
    if !matches!(verb, "DROP" | "CREATE" | "ALTER" | "TRUNCATE") {
        return false;
    }
    let object = words
        .find(|w| {
            !matches!(
                *w,
                "UNIQUE" | "VIRTUAL" | "TEMP" | "TEMPORARY" | "OR" | "REPLACE" | "MATERIALIZED"
            )
        })
        .unwrap_or_default();
    matches!(
        object,
        "TABLE"
            | "INDEX"
            | "SCHEMA"
            | "VIEW"
            | "TYPE"
            | "DATABASE"
            | "SEQUENCE"
            | "FUNCTION"
            | "EXTENSION"
            | "TRIGGER"
            | "ROLE"
            | "USER"
    )
}

/// `format!`, `+` and `push_str` that put non-constant values into SQL text.
pub fn built_sql(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    if !uses_sql(ctx) {
        return Vec::new();
    }
    let guards = SqlGuards::new(&a.index);
    let mut out = Vec::new();
    for (i, f) in a.index.fns.iter().enumerate() {
        let mut v = Built { found: Vec::new() };
        v.visit_block(f.block);
        let flow = a.flows.iter().find(|fl| fl.func == i);
        for (span, mut values) in v.found {
            // Values a guard made safe (a charset check, quote doubling, a registry of
            // validated names) cannot change the statement.
            values.retain(|e| !guards.safe_in(i, e));
            if values.is_empty() {
                continue;
            }
            let param = flow.and_then(|fl| values.iter().find_map(|e| fl.taint.of(e)));
            let message = match (&param, flow) {
                (Some(p), Some(fl)) => format!(
                    "parameter `{p}` of tool `{}` is pasted into SQL text",
                    fl.tool.name
                ),
                _ => "SQL text is built from non-constant values".to_string(),
            };
            let mut fd = finding(ID, Severity::Fail, message, at(&f.file.path, span), HELP);
            if let (Some(p), Some(fl)) = (&param, flow) {
                fd.labels = flow_labels(fl, p);
            }
            fd.tool = a.tool_of(i);
            out.push(fd);
        }
    }
    out.extend(batches(&guards, a));
    out.extend(split_statements(a));
    dedup_by_line(out)
}

struct Built {
    found: Vec<(proc_macro2::Span, Vec<syn::Expr>)>,
}

impl<'ast> Visit<'ast> for Built {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if macro_name(mac) == "format"
            && let Some((lit, args)) = format_args(mac)
        {
            let values: Vec<syn::Expr> = args
                .into_iter()
                .map(|a| a.expr)
                .filter(|e| !is_constant(e))
                .collect();
            if looks_like_sql(&lit.value()) && !values.is_empty() {
                self.found.push((mac.path.span(), values));
            }
        }
        for e in crate::check::analysis::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        if matches!(b.op, syn::BinOp::Add(_))
            && !is_constant(&b.right)
            && let Some((text, span)) = leftmost_literal(&b.left)
            && looks_like_sql(&text)
        {
            self.found.push((span, vec![(*b.right).clone()]));
        }
        syn::visit::visit_expr_binary(self, b);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if m.method == "push_str" && m.args.len() == 1 && !is_constant(&m.args[0]) {
            let recv = compact(&m.receiver).to_ascii_lowercase();
            if recv.contains("sql") || recv.contains("query") || recv.contains("stmt") {
                self.found.push((m.method.span(), vec![m.args[0].clone()]));
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

fn leftmost_literal(e: &syn::Expr) -> Option<(String, proc_macro2::Span)> {
    match e {
        syn::Expr::Binary(b) => leftmost_literal(&b.left),
        other => str_lit(other),
    }
}

/// `execute_batch(<non-constant>)` runs every statement in the text.
fn batches(guards: &SqlGuards<'_, '_>, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, f) in a.index.fns.iter().enumerate() {
        let mut v = Batch { found: Vec::new() };
        v.visit_block(f.block);
        for (span, text) in v.found {
            if guards.safe_in(i, &text) {
                continue;
            }
            let mut fd = finding(
                ID,
                Severity::Fail,
                "`execute_batch` runs non-constant SQL text: every `;`-separated statement in it is executed".into(),
                at(&f.file.path, span),
                "use `execute` or `prepare` with bound parameters, which accept a single statement",
            );
            fd.tool = a.tool_of(i);
            out.push(fd);
        }
    }
    out
}

struct Batch {
    found: Vec<(proc_macro2::Span, syn::Expr)>,
}

impl<'ast> Visit<'ast> for Batch {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if (m.method == "execute_batch"
            || m.method == "batch_execute"
            || m.method == "simple_query")
            && let Some(text) = m.args.first().filter(|a| !is_constant(a))
        {
            self.found.push((m.method.span(), text.clone()));
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// `for s in sql.split(';') { run(s) }`: stacked statements all run.
fn split_statements(a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, f) in a.index.fns.iter().enumerate() {
        let mut v = Split { loops: Vec::new() };
        v.visit_block(f.block);
        for (var, body) in v.loops {
            let mut calls = Calls {
                var: &var,
                found: Vec::new(),
            };
            calls.visit_block(&body);
            for (span, expr) in calls.found {
                let direct = matches!(&expr, syn::Expr::MethodCall(m) if SQL_METHODS.contains(&m.method.to_string().as_str()));
                let via = a.index.resolve_call(&expr, f).iter().any(|&j| {
                    let t = compact(a.index.fns[j].block);
                    SQL_METHODS.iter().any(|m| t.contains(&format!(".{m}(")))
                });
                if direct || via {
                    let mut fd = finding(
                        ID,
                        Severity::Fail,
                        format!(
                            "each `;`-separated statement of the SQL text is run (`{var}`): stacked statements escape any check on the first"
                        ),
                        at(&f.file.path, span),
                        "accept exactly one statement (rusqlite `prepare` refuses a tail) on a read-only connection",
                    );
                    fd.tool = a.tool_of(i);
                    out.push(fd);
                }
            }
        }
    }
    out
}

struct Split {
    loops: Vec<(String, syn::Block)>,
}

impl<'ast> Visit<'ast> for Split {
    fn visit_expr_for_loop(&mut self, l: &'ast syn::ExprForLoop) {
        let it = compact(&l.expr);
        if (it.contains(".split(';')") || it.contains(".split(\";\")"))
            && let Some(var) = crate::check::analysis::syntax::pat_idents(&l.pat)
                .into_iter()
                .next()
        {
            self.loops.push((var, l.body.clone()));
        }
        syn::visit::visit_expr_for_loop(self, l);
    }
}

struct Calls<'v> {
    var: &'v str,
    found: Vec<(proc_macro2::Span, syn::Expr)>,
}

impl<'ast> Visit<'ast> for Calls<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        let args: Vec<&syn::Expr> = match e {
            syn::Expr::Call(c) => c.args.iter().collect(),
            syn::Expr::MethodCall(m) => m.args.iter().collect(),
            _ => Vec::new(),
        };
        if args.iter().any(|a| {
            crate::check::analysis::syntax::idents_in(a)
                .iter()
                .any(|(n, _, _)| n == self.var)
        }) {
            self.found.push((e.span(), e.clone()));
        }
        syn::visit::visit_expr(self, e);
    }
}

/// The caller's SQL runs on SQLite with nothing refusing `ATTACH` or `VACUUM INTO`, which
/// read and write files anywhere the server can.
pub fn sql_reaches_filesystem(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    if !depends_on(ctx, "rusqlite") {
        return Vec::new();
    }
    // Refusing both anywhere counts: the statement often reaches the connection through a
    // channel to a worker thread, which no call graph follows.
    if refuses_attach_and_vacuum(&a.index) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for flow in &a.flows {
        let func = &a.index.fns[flow.func];
        let mut v = RawSql {
            taint: &flow.taint,
            found: Vec::new(),
        };
        v.visit_block(func.block);
        for (span, param) in v.found {
            let mut f = finding(
                "sql-injection",
                Severity::Fail,
                format!(
                    "parameter `{param}` of tool `{}` is run as SQL with nothing refusing `ATTACH` or `VACUUM INTO`",
                    flow.tool.name
                ),
                at(&func.file.path, span),
                "install an authorizer that allows reading only, and open the database read-only",
            );
            f.tool = Some(flow.tool.name.clone());
            out.push(f);
        }
    }
    out
}

struct RawSql<'t> {
    taint: &'t crate::check::analysis::flow::Taint,
    found: Vec<(proc_macro2::Span, String)>,
}

impl<'ast> Visit<'ast> for RawSql<'_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let sql = matches!(
            m.method.to_string().as_str(),
            "prepare" | "execute" | "execute_batch" | "query_row" | "prepare_cached"
        );
        // Only a parameter that is the SQL text itself; values pasted into a statement are
        // `sql-built-by-format`.
        let raw =
            |p: &String| ["sql", "query", "statement", "stmt", "script"].contains(&p.as_str());
        if sql && let Some(p) = m.args.first().and_then(|a| self.taint.of(a)).filter(raw) {
            self.found.push((m.method.span(), p));
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// A read-only guard on caller SQL that lets through statements that read or write server
/// files or change data: "parses as a query" and "starts with EXPLAIN" on PostgreSQL/MySQL.
pub fn sql_readonly_guard_weak(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    weak_guards(ctx, &a.index)
        .into_iter()
        .map(|g| {
            let (message, help) = match g.weakness {
                Weakness::AnyQuery => (
                    "the read-only guard accepts any statement that parses as a query: `SELECT pg_read_file(..)`, `lo_export`, `dblink` and data-modifying `WITH` clauses pass it",
                    "run caller SQL in a read-only transaction as a role without file or extension privileges, and refuse function calls outside an allow-list by walking the parsed statement",
                ),
                Weakness::AnyExplain => (
                    "the read-only guard accepts any `EXPLAIN`: `EXPLAIN ANALYZE` runs the statement it explains, writes included",
                    "refuse `EXPLAIN ANALYZE` (sqlparser's `analyze` flag) or run caller SQL in a read-only transaction",
                ),
            };
            finding(ID, Severity::Fail, message.into(), at(&g.file.path, g.span), help)
        })
        .collect()
}
