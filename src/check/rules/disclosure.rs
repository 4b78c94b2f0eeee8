//! information-disclosure: internal errors, backtraces, paths and child stderr sent to the
//! client by code a tool reaches.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, dedup_by_line, finding};
use crate::check::analysis::effects::SQL_METHODS;
use crate::check::analysis::syntax::{call_path, compact, format_args, is_log_macro, macro_name};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "information-disclosure";
const HELP: &str =
    "return a short generic message with a correlation id; keep the detail in the log (stderr)";

fn error_like(expr: &syn::Expr) -> bool {
    let t = compact(expr).to_ascii_lowercase();
    let last = t
        .rsplit(['.', ':'])
        .next()
        .unwrap_or(&t)
        .trim_start_matches('&')
        .to_string();
    last == "e"
        || last == "err"
        || last == "error"
        || last.ends_with("_err")
        || last.ends_with("_error")
        || last == "source"
}

/// Error detail in text built by functions a tool reaches.
pub fn leaked_errors(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for i in a.client_facing() {
        let f = &a.index.fns[i];
        let mut v = Leaks { found: Vec::new() };
        v.visit_block(f.block);
        for (span, message) in v.found {
            let mut fd = finding(ID, Severity::Fail, message, at(&f.file.path, span), HELP);
            fd.tool = a.tool_of(i);
            out.push(fd);
        }
    }
    dedup_by_line(out)
}

struct Leaks {
    found: Vec<(proc_macro2::Span, String)>,
}

impl<'ast> Visit<'ast> for Leaks {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = macro_name(mac);
        if is_log_macro(&name) {
            return;
        }
        if name == "format"
            && let Some((_, args)) = format_args(mac)
        {
            if let Some(arg) = args.iter().find(|a| a.debug && error_like(&a.expr)) {
                self.found.push((
                    mac.path.span(),
                    format!(
                        "`{{:?}}` of error `{}` is sent to the client",
                        compact(&arg.expr)
                    ),
                ));
            } else if let Some(arg) = args.iter().find(|a| compact(&a.expr).contains(".stderr")) {
                self.found.push((
                    mac.path.span(),
                    format!(
                        "a child process's stderr (`{}`) is sent to the client",
                        compact(&arg.expr)
                    ),
                ));
            } else if args
                .iter()
                .any(|a| compact(&a.expr).ends_with(".display()"))
                && args.iter().any(|a| error_like(&a.expr))
            {
                self.found.push((
                    mac.path.span(),
                    "an internal path and an error are sent to the client".into(),
                ));
            }
        }
        if name == "env" && mac.tokens.to_string().contains("CARGO_MANIFEST_DIR") {
            self.found.push((
                mac.path.span(),
                "`env!(\"CARGO_MANIFEST_DIR\")` puts the build machine's path in client-facing code".into(),
            ));
        }
        for e in crate::check::analysis::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Some(p) = call_path(c) {
            if p.ends_with("Backtrace::capture") || p.ends_with("Backtrace::force_capture") {
                self.found.push((
                    c.func.span(),
                    "a backtrace is captured in code that answers the client".into(),
                ));
            }
            // `Err(String::from_utf8_lossy(&out.stderr))`
            if p == "Err" && c.args.iter().any(|a| compact(a).contains(".stderr")) {
                self.found.push((
                    c.func.span(),
                    "a child process's stderr is sent to the client".into(),
                ));
            }
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        // `conn.execute(..).map_err(|e| e.to_string())`: the engine's message quotes SQL and schema.
        if m.method == "map_err" {
            let recv = compact(&m.receiver);
            // The last call before `map_err` says where the error comes from.
            let last = match &*m.receiver {
                syn::Expr::MethodCall(r) => r.method.to_string(),
                syn::Expr::Await(a) => match &*a.base {
                    syn::Expr::MethodCall(r) => r.method.to_string(),
                    _ => String::new(),
                },
                syn::Expr::Call(c) => call_path(c).unwrap_or_default(),
                _ => String::new(),
            };
            let source = if SQL_METHODS.contains(&last.as_str()) {
                Some("the database's own error message (SQL, schema)")
            } else if (last == "send" && (recv.contains("reqwest") || recv.contains(".get(")))
                || last == "json"
            {
                Some("the HTTP client's error (URL, upstream detail)")
            } else if [
                "toml::from_str",
                "serde_yaml::from_str",
                "serde_yml::from_str",
            ]
            .contains(&last.as_str())
            {
                // These print the offending source line; serde_json's message gives a position
                // and at most one scalar, never the document, so it is not flagged.
                Some("the parser's error (quoting the input)")
            } else {
                None
            };
            let from_db = source.is_some();
            if let Some(syn::Expr::Closure(cl)) = m.args.first() {
                let body = compact(&cl.body);
                let names: Vec<String> = cl
                    .inputs
                    .iter()
                    .flat_map(crate::check::analysis::syntax::pat_idents)
                    .collect();
                let used = crate::check::analysis::syntax::idents_in(&cl.body)
                    .iter()
                    .any(|(n, _, _)| names.contains(n));
                let shows = body.contains("to_string()") || body.contains("format!");
                if from_db && used && shows && !body.contains("refus") && !body.contains("internal")
                {
                    self.found.push((
                        m.method.span(),
                        format!("{} is sent to the client", source.unwrap_or_default()),
                    ));
                }
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}
