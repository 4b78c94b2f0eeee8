//! Further checks the checklist documents: limiter state, what the audit record holds, whole
//! records returned, and tools that do several things.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, finding};
use crate::check::analysis::syntax::{call_path, compact, macro_name};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

/// Functions on the dispatch path: `call_tool` of a `ServerHandler` and what it calls.
fn dispatch(a: &Analysis<'_>) -> std::collections::BTreeSet<usize> {
    let handlers: Vec<usize> = (0..a.index.fns.len())
        .filter(|&i| {
            a.index.fns[i].name == "call_tool"
                && a.index.fns[i].trait_name.as_deref() == Some("ServerHandler")
        })
        .collect();
    a.index.reachable(&handlers, 6)
}

/// A rate limiter built while handling a call: each request gets a fresh quota.
pub fn rate_limiter_per_request(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut starts: Vec<usize> = dispatch(a).into_iter().collect();
    starts.extend(
        a.tools
            .iter()
            .filter_map(|t| crate::check::analysis::flow::tool_fn(&a.index, t)),
    );
    for i in starts {
        let f = &a.index.fns[i];
        let mut v = Built(Vec::new());
        v.visit_block(f.block);
        for span in v.0 {
            out.push(finding(
                "missing-rate-limit",
                Severity::Warn,
                "a rate limiter is built while handling a call, so every request starts with a full quota".into(),
                at(&f.file.path, span),
                "build the limiters once at start-up and keep them in the server state",
            ));
        }
    }
    out
}

struct Built(Vec<proc_macro2::Span>);

impl<'ast> Visit<'ast> for Built {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| {
            p.ends_with("RateLimiter::direct")
                || p.ends_with("RateLimiter::keyed")
                || p.ends_with("RateLimiter::new")
        }) {
            self.0.push(c.span());
        }
        syn::visit::visit_expr_call(self, c);
    }
}

/// Per-client timestamp lists in a map: state that grows with the traffic.
pub fn rate_state_unbounded(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &a.index.structs {
        for field in &s.item.fields {
            let t = compact(&field.ty);
            let map = t.contains("HashMap<") || t.contains("BTreeMap<") || t.contains("DashMap<");
            if map
                && (t.contains("Vec<Instant>")
                    || t.contains("VecDeque<Instant>")
                    || t.contains("Vec<std::time::Instant>"))
            {
                out.push(finding(
                    "missing-rate-limit",
                    Severity::Warn,
                    format!("`{}` keeps a list of call times per key: it grows without bound", s.item.ident),
                    at(&s.file.path, field.ty.span()),
                    "use a fixed set of `governor` limiters (per tool) or a keyed limiter with a bounded key space",
                ));
            }
        }
    }
    out
}

/// Log records on the dispatch path that carry the raw arguments or the whole result.
fn logged(
    a: &Analysis<'_>,
    words: &[&str],
    skip: &[&str],
) -> Vec<(std::path::PathBuf, proc_macro2::Span, String)> {
    let mut out = Vec::new();
    let path = dispatch(a);
    // Arguments redacted anywhere on the path before logging count as redacted.
    let redacts = path.iter().any(|&i| {
        compact(a.index.fns[i].block)
            .to_ascii_lowercase()
            .contains("redact")
    });
    for i in path {
        let f = &a.index.fns[i];
        let mut v = Logs(Vec::new());
        v.visit_block(f.block);
        for (span, args) in v.0 {
            for t in args {
                let last = t
                    .rsplit(['.', '=', '%', '?'])
                    .next()
                    .unwrap_or(&t)
                    .to_string();
                if words.contains(&last.as_str())
                    && !skip.iter().any(|s| t.contains(s))
                    && !(redacts && words.contains(&"arguments"))
                {
                    out.push((f.file.path.clone(), span, last));
                }
            }
        }
    }
    out
}

/// Log macros with their comma-separated parts as compact text (`arguments=?arguments`).
struct Logs(Vec<(proc_macro2::Span, Vec<String>)>);

impl<'ast> Visit<'ast> for Logs {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = macro_name(mac);
        if matches!(
            name.as_str(),
            "info" | "warn" | "error" | "debug" | "trace" | "event"
        ) {
            let body = mac.tokens.to_string();
            let parts = body
                .split(',')
                .map(|p| p.replace(' ', ""))
                .filter(|p| !p.starts_with('"'))
                .collect();
            self.0.push((mac.path.span(), parts));
        }
    }
}

pub fn audit_logs_raw_arguments(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    logged(a, &["arguments", "args", "params"], &["len()"])
        .into_iter()
        .map(|(file, span, what)| {
            finding(
                "missing-audit-log",
                Severity::Warn,
                format!("the audit record logs `{what}` unredacted: secrets passed as arguments end up in the log"),
                at(&file, span),
                "redact sensitive keys and configured secret values before logging the arguments",
            )
        })
        .collect()
}

pub fn audit_logs_results(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    logged(
        a,
        &["result", "response", "output", "content"],
        &["len()", "is_ok", "is_err", "is_error"],
    )
    .into_iter()
    .map(|(file, span, what)| {
        finding(
            "missing-audit-log",
            Severity::Warn,
            format!(
                "the audit record logs the whole `{what}`: the log becomes a copy of every result"
            ),
            at(&file, span),
            "log the outcome and the result size, not its content",
        )
    })
    .collect()
}

/// `SELECT *` in a tool: every column, present and future, goes to the client.
pub fn whole_record_returned(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for flow in &a.flows {
        let func = &a.index.fns[flow.func];
        let mut v = SelectStar(Vec::new());
        v.visit_block(func.block);
        for span in v.0 {
            if seen.insert((
                func.file.path.clone(),
                span.start().line,
                span.start().column,
            )) {
                let mut f = finding(
                    "unsanitised-output",
                    Severity::Warn,
                    format!(
                        "tool `{}` selects every column (`SELECT *`) and returns the rows",
                        flow.tool.name
                    ),
                    at(&func.file.path, span),
                    "name the columns the client needs and map rows into a type that lists them",
                );
                f.tool = Some(flow.tool.name.clone());
                out.push(f);
            }
        }
    }
    out
}

struct SelectStar(Vec<proc_macro2::Span>);

impl<'ast> Visit<'ast> for SelectStar {
    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        let v = s.value().to_ascii_uppercase();
        if v.trim_start().starts_with("SELECT *") || v.contains(" SELECT * FROM") {
            self.0.push(s.span());
        }
    }
}

/// A tool whose `action`/`operation` parameter picks between several behaviours.
pub fn multi_action_tool(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for tool in &a.tools {
        let Some(s) = tool
            .param_type
            .as_deref()
            .and_then(|t| a.index.struct_named(t))
        else {
            continue;
        };
        let Some(field) = s
            .item
            .fields
            .iter()
            .filter_map(|f| f.ident.as_ref())
            .map(ToString::to_string)
            .find(|n| {
                matches!(
                    n.as_str(),
                    "action" | "operation" | "op" | "command" | "mode" | "verb"
                )
            })
        else {
            continue;
        };
        let Some(start) = crate::check::analysis::flow::tool_fn(&a.index, tool) else {
            continue;
        };
        let mut v = Arms {
            field: &field,
            most: 0,
        };
        v.visit_block(a.index.fns[start].block);
        if v.most >= 3 {
            let mut f = finding(
                "vague-tool-description",
                Severity::Warn,
                format!(
                    "tool `{}` does {} different things chosen by `{field}`: one description cannot be specific about all of them",
                    tool.name, v.most
                ),
                tool.attr_location.clone(),
                "split it into one tool per action, each with its own description and annotations",
            );
            f.tool = Some(tool.name.clone());
            out.push(f);
        }
    }
    out
}

struct Arms<'f> {
    field: &'f str,
    most: usize,
}

impl<'ast> Visit<'ast> for Arms<'_> {
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        if compact(&m.expr).contains(self.field) {
            self.most = self.most.max(
                m.arms
                    .iter()
                    .filter(|arm| !matches!(arm.pat, syn::Pat::Wild(_)))
                    .count(),
            );
        }
        syn::visit::visit_expr_match(self, m);
    }
}
