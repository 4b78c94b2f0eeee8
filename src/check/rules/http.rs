//! http-exposure: an HTTP MCP transport bound beyond loopback, without Origin validation,
//! or without authentication.

use super::common::Analysis;
use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{at, finding, line_start};
use crate::check::analysis::index::dependency;
use crate::check::analysis::syntax::{call_path, compact, is_test_item};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "http-exposure";

/// True when the crate serves MCP over HTTP (streamable HTTP or SSE).
fn http_server(ctx: &Context) -> bool {
    let by_feature = ctx.packages.iter().any(|p| {
        dependency(&p.manifest_text, "rmcp").is_some_and(|f| {
            f.iter()
                .any(|f| f.contains("streamable-http-server") || f.contains("sse-server"))
        })
    });
    by_feature
        || ctx
            .sources
            .iter()
            .any(|s| s.text.contains("StreamableHttpService") || s.text.contains("SseServer"))
}

/// Binding to every interface (`0.0.0.0`, `[::]`, `UNSPECIFIED`).
pub fn wildcard_bind(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    if !http_server(ctx) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let wide = ["0.0.0.0", "[::]", "\"::\"", "UNSPECIFIED", "0, 0, 0, 0"];
    for file in crate::check::analysis::index::shipped(ctx)
        .into_iter()
        .filter(|f| wide.iter().any(|w| f.text.contains(w)))
    {
        let mut v = Wildcard { found: Vec::new() };
        v.visit_file(&file.ast);
        for span in v.found {
            out.push(finding(
                ID,
                Severity::Warn,
                "the HTTP MCP server binds to every network interface".into(),
                at(&file.path, span),
                "bind to 127.0.0.1 by default and make wider binding an explicit, authenticated choice",
            ));
        }
    }
    out
}

struct Wildcard {
    found: Vec<proc_macro2::Span>,
}

impl<'ast> Visit<'ast> for Wildcard {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_item(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        let v = s.value();
        if v.starts_with("0.0.0.0") || v.starts_with("[::]") || v == "::" {
            self.found.push(s.span());
        }
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        let t = crate::check::analysis::syntax::path_text(&p.path);
        if t.ends_with("Ipv4Addr::UNSPECIFIED") || t.ends_with("Ipv6Addr::UNSPECIFIED") {
            self.found.push(p.span());
        }
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| p.ends_with("SocketAddr::from"))
            && c.args
                .first()
                .is_some_and(|a| compact(a).starts_with("([0,0,0,0]"))
        {
            self.found.push(c.span());
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in crate::check::analysis::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

/// The line (1-based) where the HTTP MCP service is built, or else first named.
pub fn service_line(text: &str) -> Option<usize> {
    // Most files name neither: one search of the whole text settles them.
    if !text.contains("StreamableHttpService") && !text.contains("SseServer") {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let built = lines.iter().position(|l| {
        l.contains("StreamableHttpService::new")
            || l.contains("SseServer::serve")
            || l.contains("SseServer::new")
    });
    let named = || {
        lines.iter().position(|l| {
            !l.trim_start().starts_with("use ")
                && (l.contains("StreamableHttpService") || l.contains("SseServer"))
        })
    };
    built.or_else(named).map(|n| n + 1)
}

pub fn origin_validation_off(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    origin_and_auth(ctx)
        .into_iter()
        .filter(|f| f.message.contains("Origin"))
        .collect()
}

pub fn http_without_auth(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    origin_and_auth(ctx)
        .into_iter()
        .filter(|f| !f.message.contains("Origin"))
        .collect()
}

/// No sign of Origin validation or of authentication anywhere in the HTTP server's code.
fn origin_and_auth(ctx: &Context) -> Vec<Finding> {
    if !http_server(ctx) {
        return Vec::new();
    }
    let shipped: Vec<_> = crate::check::analysis::index::shipped(ctx)
        .into_iter()
        .collect();
    let Some((file, line)) = shipped
        .iter()
        .find_map(|f| super::http::service_line(&f.text).map(|n| (f, n)))
    else {
        return Vec::new();
    };
    let all: String = shipped
        .iter()
        .map(|f| f.text.to_ascii_lowercase())
        .collect();
    let mut out = Vec::new();
    // rmcp's `StreamableHttpServerConfig` leaves Origin validation off until origins are listed.
    let checks_origin = [
        "with_allowed_origins",
        "allowed_origins:",
        "enforce_origin_validation",
        "header::origin",
        "\"origin\"",
    ]
    .iter()
    .any(|k| all.contains(k));
    if !checks_origin || all.contains("disable_allowed_origins") {
        out.push(finding(
            ID,
            Severity::Warn,
            "the HTTP MCP server never checks the `Origin` header: a web page can reach it through DNS rebinding"
                .into(),
            line_start(&file.path, line),
            "refuse requests whose `Origin` is not in an allow-list",
        ));
    }
    if ![
        "authorization",
        "bearer",
        "auth_layer",
        "require_auth",
        "validaterequestheaderlayer",
        "oauth",
    ]
    .iter()
    .any(|k| all.contains(k))
    {
        out.push(finding(
            ID,
            Severity::Warn,
            "the HTTP MCP server authenticates no request".into(),
            line_start(&file.path, line),
            "require a bearer token or OAuth on every request (an auth middleware before the MCP service)",
        ));
    }
    out
}
