//! information-disclosure: an upstream HTTP response body, or the URL of a failed request, put
//! into an error or result by code a tool reaches. The upstream's message can carry account
//! details, internal host names, request ids or a masked key; the URL can carry a query-string
//! key.

use std::collections::{BTreeMap, BTreeSet};

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, dedup_by_line, finding};
use crate::check::analysis::index::depends_on;
use crate::check::analysis::syntax::{call_path, idents_in, macro_exprs, pat_idents};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "information-disclosure";
const HELP: &str = "log the upstream status and body (stderr), and return a short message naming the upstream and the status";

/// `response.text().await`, `.bytes().await`: the body of an HTTP response; or a call of a
/// same-crate function that returns one (`bodies`).
fn is_body_read(e: &syn::Expr, calls_body: &dyn Fn(&syn::Expr) -> bool) -> bool {
    if calls_body(e) {
        return true;
    }
    let is_body_read = |x: &syn::Expr| is_body_read(x, calls_body);
    match e {
        syn::Expr::Await(a) => match &*a.base {
            syn::Expr::MethodCall(m) => {
                m.args.is_empty() && matches!(m.method.to_string().as_str(), "text" | "bytes")
                    || calls_body(&a.base)
            }
            other => calls_body(other),
        },
        syn::Expr::MethodCall(m) => {
            matches!(
                m.method.to_string().as_str(),
                "unwrap_or_default" | "unwrap_or" | "unwrap_or_else" | "unwrap" | "expect" | "ok"
            ) && is_body_read(&m.receiver)
                || m.method == "map_err" && is_body_read(&m.receiver)
        }
        syn::Expr::Try(t) => is_body_read(&t.expr),
        _ => false,
    }
}

/// Which parts of a function's value carry the body: all of it, or some elements of the tuple
/// it returns (`Ok((status, body))`).
#[derive(Clone, Debug, PartialEq)]
enum Parts {
    All,
    Tuple(Vec<bool>),
}

/// Names bound to a response body, and names computed from them (`message = .. text.clone()`).
/// `calls_body` tells which parts of a call's value are a body; a name bound to a tuple with a
/// body in it is followed into the patterns that take it apart (`Ok((status, text))`).
fn body_names(
    block: &syn::Block,
    calls_body: &dyn Fn(&syn::Expr) -> Option<Parts>,
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut tuples: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    let mut lets = Lets(Vec::new());
    lets.visit_block(block);
    let whole = |e: &syn::Expr| calls_body(e) == Some(Parts::All);
    loop {
        let before = (names.len(), tuples.len());
        for (pat, init) in &lets.0 {
            let parts = match called_parts(init, calls_body) {
                Some(p) => Some(p),
                None => match strip_wrappers(init) {
                    syn::Expr::Path(p) => p
                        .path
                        .get_ident()
                        .and_then(|i| tuples.get(&i.to_string()))
                        .map(|t| Parts::Tuple(t.clone())),
                    _ => None,
                },
            };
            let parts = parts.or_else(|| {
                (is_body_read(init, &whole)
                    || idents_in(init).iter().any(|(n, _, _)| names.contains(n)))
                .then_some(Parts::All)
            });
            if let Some(parts) = parts {
                bind(pat, &parts, &mut names, &mut tuples);
            }
        }
        if (names.len(), tuples.len()) == before {
            return names;
        }
    }
}

fn strip_wrappers(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Try(t) => strip_wrappers(&t.expr),
        syn::Expr::Await(a) => strip_wrappers(&a.base),
        syn::Expr::Paren(p) => strip_wrappers(&p.expr),
        syn::Expr::Reference(r) => strip_wrappers(&r.expr),
        other => other,
    }
}

fn bind(
    pat: &syn::Pat,
    parts: &Parts,
    names: &mut BTreeSet<String>,
    tuples: &mut BTreeMap<String, Vec<bool>>,
) {
    let Parts::Tuple(p) = parts else {
        names.extend(pat_idents(pat));
        return;
    };
    match pat {
        syn::Pat::Tuple(t) => {
            for (elem, carries) in t.elems.iter().zip(p) {
                if *carries {
                    names.extend(pat_idents(elem));
                }
            }
        }
        syn::Pat::TupleStruct(ts)
            if ts.elems.len() == 1 && (ts.path.is_ident("Ok") || ts.path.is_ident("Some")) =>
        {
            bind(&ts.elems[0], parts, names, tuples);
        }
        syn::Pat::Ident(i) => {
            tuples.insert(i.ident.to_string(), p.clone());
        }
        syn::Pat::Type(t) => bind(&t.pat, parts, names, tuples),
        other => names.extend(pat_idents(other)),
    }
}

/// The parts of a same-crate call's value that are a body, through `.await` and `?`.
fn called_parts(e: &syn::Expr, calls_body: &dyn Fn(&syn::Expr) -> Option<Parts>) -> Option<Parts> {
    match e {
        syn::Expr::Try(t) => called_parts(&t.expr, calls_body),
        syn::Expr::Await(a) => called_parts(&a.base, calls_body),
        other => calls_body(other),
    }
}

struct Lets(Vec<(syn::Pat, syn::Expr)>);

impl<'ast> Visit<'ast> for Lets {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            self.0.push((l.pat.clone(), (*init.expr).clone()));
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        // The `Err(..)` arm of a call that returns a body binds its error, not the body.
        for arm in &m.arms {
            let err_arm = matches!(&arm.pat, syn::Pat::TupleStruct(t) if t.path.is_ident("Err"));
            if !err_arm {
                self.0.push((arm.pat.clone(), (*m.expr).clone()));
            }
        }
        syn::visit::visit_expr_match(self, m);
    }
}

/// Which parts of what a function gives back (its tail and `return`s) are a response body.
fn returned_parts(block: &syn::Block, body: &BTreeSet<String>) -> Option<Parts> {
    struct Returns(Vec<syn::Expr>);
    impl<'ast> Visit<'ast> for Returns {
        fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
            if let Some(e) = &r.expr {
                self.0.push((**e).clone());
            }
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut v = Returns(Vec::new());
    v.visit_block(block);
    if let Some(syn::Stmt::Expr(e, None)) = block.stmts.last() {
        v.0.push(e.clone());
    }
    let carries = |e: &syn::Expr| idents_in(e).iter().any(|(n, _, _)| body.contains(n));
    let mut out: Option<Parts> = None;
    for e in &v.0 {
        let value = match e {
            syn::Expr::Call(c)
                if call_path(c).is_some_and(|p| p == "Ok" || p == "Some") && c.args.len() == 1 =>
            {
                &c.args[0]
            }
            other => other,
        };
        let parts = match value {
            syn::Expr::Tuple(t) => Parts::Tuple(t.elems.iter().map(carries).collect()),
            other if carries(other) => Parts::All,
            _ => continue,
        };
        if matches!(&parts, Parts::Tuple(p) if !p.contains(&true)) {
            continue;
        }
        out = Some(match (out, parts) {
            (None, p) => p,
            (Some(Parts::Tuple(a)), Parts::Tuple(b)) if a.len() == b.len() => {
                Parts::Tuple(a.iter().zip(&b).map(|(x, y)| *x || *y).collect())
            }
            _ => Parts::All,
        });
    }
    out
}

/// Functions that return an upstream response body, to a fixed point over same-crate calls.
fn body_functions(a: &Analysis<'_>) -> BTreeMap<usize, Parts> {
    let mut found: BTreeMap<usize, Parts> = BTreeMap::new();
    for _ in 0..4 {
        let before = found.len();
        for (i, f) in a.index.fns.iter().enumerate() {
            if found.contains_key(&i) {
                continue;
            }
            let calls = |e: &syn::Expr| parts_of_call(a, f, &found, e);
            let body = body_names(f.block, &calls);
            if body.is_empty() {
                continue;
            }
            if let Some(parts) = returned_parts(f.block, &body) {
                found.insert(i, parts);
            }
        }
        if found.len() == before {
            break;
        }
    }
    found
}

fn parts_of_call(
    a: &Analysis<'_>,
    caller: &crate::check::analysis::index::FnInfo<'_>,
    found: &BTreeMap<usize, Parts>,
    e: &syn::Expr,
) -> Option<Parts> {
    if !matches!(e, syn::Expr::Call(_) | syn::Expr::MethodCall(_)) || found.is_empty() {
        return None;
    }
    a.index
        .resolve_call(e, caller)
        .iter()
        .find_map(|j| found.get(j).cloned())
}

/// An error value: `Err(..)`, or a constructor of a type named `..Error` (`ApiError::Upstream
/// { message }`, `McpError::internal_error(..)`).
fn error_constructor(e: &syn::Expr) -> Option<&syn::Expr> {
    match e {
        syn::Expr::Call(c) => {
            let p = call_path(c)?;
            let error_type = p.rsplit("::").nth(1).is_some_and(|t| t.ends_with("Error"));
            (p == "Err" || error_type).then_some(e)
        }
        syn::Expr::Struct(s) => s
            .path
            .segments
            .iter()
            .rev()
            .nth(1)
            .is_some_and(|t| t.ident.to_string().ends_with("Error"))
            .then_some(e),
        _ => None,
    }
}

struct Sinks<'n> {
    body: &'n BTreeSet<String>,
    found: Vec<(proc_macro2::Span, &'static str)>,
}

impl<'ast> Visit<'ast> for Sinks<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if let Some(err) = error_constructor(e) {
            let carries_body = idents_in(err).iter().any(|(n, _, _)| self.body.contains(n));
            if carries_body {
                self.found.push((
                    e.span(),
                    "the upstream HTTP response body is put into an error the client receives",
                ));
                return;
            }
            if url_of_error(err) {
                self.found.push((
                    e.span(),
                    "the URL of a failed upstream request is put into an error the client receives",
                ));
                return;
            }
        }
        syn::visit::visit_expr(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

/// `e.url()` of a request error inside an error value.
fn url_of_error(err: &syn::Expr) -> bool {
    struct Url(bool);
    impl<'ast> Visit<'ast> for Url {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if m.method == "url"
                && m.args.is_empty()
                && matches!(&*m.receiver, syn::Expr::Path(p) if p.path.get_ident().is_some_and(|i| {
                    let n = i.to_string();
                    n == "e" || n == "err" || n == "error" || n.ends_with("_err") || n.ends_with("_error")
                }))
            {
                self.0 = true;
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            for e in macro_exprs(mac) {
                self.visit_expr(&e);
            }
        }
    }
    let mut v = Url(false);
    v.visit_expr(err);
    v.0
}

/// Upstream response bodies and request URLs in errors of functions a tool reaches.
pub fn upstream_error_to_client(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    if !depends_on(ctx, "reqwest") {
        return Vec::new();
    }
    let bodies = body_functions(a);
    let mut out = Vec::new();
    for i in a.client_facing() {
        let f = &a.index.fns[i];
        let calls = |e: &syn::Expr| parts_of_call(a, f, &bodies, e);
        let body = body_names(f.block, &calls);
        let mut v = Sinks {
            body: &body,
            found: Vec::new(),
        };
        v.visit_block(f.block);
        for (span, message) in v.found {
            let mut fd = finding(
                ID,
                Severity::Fail,
                message.into(),
                at(&f.file.path, span),
                HELP,
            );
            fd.tool = a.tool_of(i);
            out.push(fd);
        }
    }
    dedup_by_line(out)
}
