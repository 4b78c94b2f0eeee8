//! Controls that must sit on the dispatch path of every tool call: rate limit, timeout, audit
//! record and output redaction. With a hand-written `ServerHandler::call_tool`, the path is
//! that method and what it calls; without one, each tool's own code.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, finding};
use crate::check::analysis::flow::tool_fn;
use crate::check::analysis::syntax::{call_path, compact, macro_name};
use crate::check::model::Context;
use crate::finding::{Finding, Location, Severity};

/// One place calls are dispatched from: its location and the functions on its path.
struct Path {
    location: Location,
    tool: Option<String>,
    funcs: std::collections::BTreeSet<usize>,
}

fn dispatch_paths(a: &Analysis<'_>) -> Vec<Path> {
    let handlers: Vec<usize> = (0..a.index.fns.len())
        .filter(|&i| {
            a.index.fns[i].name == "call_tool"
                && a.index.fns[i].trait_name.as_deref() == Some("ServerHandler")
        })
        .collect();
    if !handlers.is_empty() {
        return handlers
            .into_iter()
            .map(|h| {
                let f = &a.index.fns[h];
                let funcs = a.index.reachable(&[h], 6);
                // Point at the router call, wherever on the path it is.
                let location = funcs
                    .iter()
                    .find_map(|&i| {
                        router_call(a.index.fns[i].block).map(|s| at(&a.index.fns[i].file.path, s))
                    })
                    .unwrap_or_else(|| at(&f.file.path, f.sig.ident.span()));
                Path {
                    location,
                    tool: None,
                    funcs,
                }
            })
            .collect();
    }
    a.tools
        .iter()
        .filter_map(|t| {
            let start = tool_fn(&a.index, t)?;
            Some(Path {
                location: t.location.clone(),
                tool: Some(t.name.clone()),
                funcs: a.index.reachable(&[start], 4),
            })
        })
        .collect()
}

fn router_call(block: &syn::Block) -> Option<proc_macro2::Span> {
    let mut v = RouterCall(None);
    v.visit_block(block);
    v.0
}

struct RouterCall(Option<proc_macro2::Span>);

impl<'ast> Visit<'ast> for RouterCall {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if self.0.is_none() && m.method == "call" && compact(&m.receiver).contains("router") {
            self.0 = Some(m.span());
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// What controls the bodies on a path contain.
#[derive(Default)]
struct Controls {
    rate_limit: bool,
    timeout: bool,
    audit: bool,
    redaction: bool,
}

type Owners = Vec<(std::path::PathBuf, Option<String>)>;

fn controls(
    a: &Analysis<'_>,
    funcs: &std::collections::BTreeSet<usize>,
    owners: &Owners,
) -> Controls {
    let mut c = Controls::default();
    for &i in funcs {
        let f = &a.index.fns[i];
        let text = compact(f.block).to_ascii_lowercase();
        c.rate_limit |= [
            "governor",
            "ratelimiter",
            "rate_limit",
            "ratelimit",
            "limiter",
            "quota",
            "check_key",
        ]
        .iter()
        .any(|k| text.contains(k));
        c.redaction |= ["redact", "sanitiz", "sanitis", "scrub", "mask_secret"]
            .iter()
            .any(|k| text.contains(k));
        let mut v = Calls::default();
        v.visit_block(f.block);
        c.timeout |= v.timeout;
        c.audit |= v.log;
    }
    if !c.timeout {
        c.timeout = funcs.iter().any(|&i| {
            let f = &a.index.fns[i];
            owners
                .iter()
                .any(|(file, ty)| f.file.path == *file && (ty.is_none() || *ty == f.self_ty))
        });
    }
    c
}

/// Where the crate bounds a resource once for every use: a SQLite progress handler that
/// interrupts statements at a deadline, a Postgres `statement_timeout`, an HTTP client built
/// with `.timeout(..)`. A path that reaches code of the same type (or, for free functions,
/// the same file) runs under that deadline. Returned as (file, impl type).
fn deadline_owners(a: &Analysis<'_>) -> Owners {
    let mut out = Vec::new();
    for f in &a.index.fns {
        let file_text = &f.file.text;
        if !file_text.contains("progress_handler")
            && !file_text.contains("statement_timeout")
            && !file_text.contains(".timeout(")
        {
            continue;
        }
        use crate::check::analysis::syntax::calls_any;
        let sqlite = file_text.contains("progress_handler")
            && calls_any(f.block, &["progress_handler"])
            && calls_any(f.block, &["Some"]);
        let postgres = file_text.contains("statement_timeout")
            && compact(f.block).contains("statement_timeout");
        let http = calls_any(f.block, &["timeout"]) && calls_any(f.block, &["builder"]);
        if sqlite || postgres || http {
            out.push((f.file.path.clone(), f.self_ty.clone()));
        }
    }
    out
}

#[derive(Default)]
struct Calls {
    timeout: bool,
    log: bool,
}

impl<'ast> Visit<'ast> for Calls {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| {
            p.ends_with("timeout") || p.ends_with("timeout_at") || p.ends_with("TimeoutLayer::new")
        }) {
            self.timeout = true;
        }
        if call_path(c).is_some_and(|p| p.ends_with("serde_json::to_writer"))
            && c.args.first().is_some_and(calls_stderr)
        {
            self.log = true;
        }
        syn::visit::visit_expr_call(self, c);
    }

    // A record written whole to stderr (`std::io::stderr().lock().write_all(..)`, or
    // `serde_json::to_writer(std::io::stderr(), ..)`) is an audit record too.
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if matches!(m.method.to_string().as_str(), "write_all" | "write_fmt")
            && calls_stderr(&m.receiver)
        {
            self.log = true;
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = macro_name(mac);
        let path = crate::check::analysis::syntax::path_text(&mac.path);
        let is_log = matches!(
            name.as_str(),
            "info" | "warn" | "error" | "debug" | "trace" | "event"
        ) && (mac.path.segments.len() == 1
            || path.starts_with("tracing")
            || path.starts_with("log"));
        self.log |= is_log;
    }
}

/// `expr` is, or is a method chain on, a call of `std::io::stderr()`.
fn calls_stderr(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Call(c) => call_path(c)
            .is_some_and(|p| p == "std::io::stderr" || p == "io::stderr" || p == "stderr"),
        syn::Expr::MethodCall(m) => calls_stderr(&m.receiver),
        syn::Expr::Reference(r) => calls_stderr(&r.expr),
        syn::Expr::Paren(p) => calls_stderr(&p.expr),
        _ => false,
    }
}

fn check(
    a: &Analysis<'_>,
    id: &str,
    has: fn(&Controls) -> bool,
    what: &str,
    help: &str,
) -> Vec<Finding> {
    // `dispatch_paths` is empty for a crate with neither tools nor a `call_tool`.
    let owners = if id == "missing-timeout" {
        deadline_owners(a)
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    for path in dispatch_paths(a) {
        if has(&controls(a, &path.funcs, &owners)) {
            continue;
        }
        let message = match &path.tool {
            Some(t) => format!("tool `{t}` runs with no {what}"),
            None => format!("tool calls are dispatched with no {what} on the path"),
        };
        let mut f = finding(id, Severity::Warn, message, path.location, help);
        f.tool = path.tool;
        out.push(f);
    }
    out
}

pub fn rate_limit(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    check(
        a,
        "missing-rate-limit",
        |c| c.rate_limit,
        "rate limiter",
        "check a per-tool `governor` limiter in `call_tool` before dispatching",
    )
}

pub fn timeout(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    check(
        a,
        "missing-timeout",
        |c| c.timeout,
        "timeout",
        "wrap the dispatch in `tokio::time::timeout` (and kill child processes on drop)",
    )
}

pub fn audit_log(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    check(
        a,
        "missing-audit-log",
        |c| c.audit,
        "audit record",
        "log one record per call (tool, redacted arguments, outcome, duration) with `tracing` to stderr",
    )
}

pub fn redaction(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    check(
        a,
        "unsanitised-output",
        |c| c.redaction,
        "redaction of results",
        "redact configured secret values and sensitive keys from every result before it is returned",
    )
}

/// Tool output that includes the `Debug` form of a struct holding plain-text secrets.
pub fn secret_dump(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for i in a.client_facing() {
        let f = &a.index.fns[i];
        let self_struct = f.self_ty.as_deref().and_then(|t| a.index.struct_named(t));
        let mut v = Dumps { found: Vec::new() };
        v.visit_block(f.block);
        for (span, expr) in v.found {
            // `self.config` → the type of field `config` of the impl type.
            let ty = match &expr {
                syn::Expr::Field(fe) if compact(&fe.base) == "self" => self_struct.and_then(|s| {
                    s.item
                        .fields
                        .iter()
                        .find(|fl| {
                            fl.ident
                                .as_ref()
                                .is_some_and(|id| *id == compact(&fe.member))
                        })
                        .and_then(|fl| crate::check::analysis::syntax::inner_type_name(&fl.ty))
                }),
                syn::Expr::Path(p) if p.path.is_ident("self") => f.self_ty.clone(),
                _ => None,
            };
            let Some(st) = ty.as_deref().and_then(|t| a.index.struct_named(t)) else {
                continue;
            };
            let secrets: Vec<String> = st
                .item
                .fields
                .iter()
                .filter(|fl| {
                    fl.ident.as_ref().is_some_and(|id| {
                        crate::check::analysis::syntax::is_secret_name(&id.to_string())
                    })
                })
                .filter(|fl| !compact(&fl.ty).contains("Secret"))
                .filter_map(|fl| fl.ident.as_ref().map(|i| format!("`{i}`")))
                .collect();
            if secrets.is_empty() {
                continue;
            }
            let mut fd = finding(
                "unsanitised-output",
                Severity::Fail,
                format!(
                    "the debug form of `{}` ({}) is returned to the client and includes {}",
                    compact(&expr),
                    st.item.ident,
                    secrets.join(", ")
                ),
                at(&f.file.path, span),
                "return only the fields the client needs; hold secrets in `secrecy::SecretString`",
            );
            fd.tool = a.tool_of(i);
            out.push(fd);
        }
    }
    out
}

struct Dumps {
    found: Vec<(proc_macro2::Span, syn::Expr)>,
}

impl<'ast> Visit<'ast> for Dumps {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if macro_name(mac) == "format"
            && let Some((_, args)) = crate::check::analysis::syntax::format_args(mac)
        {
            for arg in args.into_iter().filter(|a| a.debug) {
                self.found.push((mac.path.span(), strip_ref(arg.expr)));
            }
        }
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| p.starts_with("serde_json::to_"))
            && let Some(arg) = c.args.first()
        {
            self.found.push((c.func.span(), strip_ref(arg.clone())));
        }
        syn::visit::visit_expr_call(self, c);
    }
}

fn strip_ref(e: syn::Expr) -> syn::Expr {
    match e {
        syn::Expr::Reference(r) => strip_ref(*r.expr),
        other => other,
    }
}
