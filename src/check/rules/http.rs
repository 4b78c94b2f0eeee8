//! http-exposure: an HTTP MCP transport bound beyond loopback, without Origin validation,
//! or without authentication.

use super::common::Analysis;
use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{at, finding};
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

/// rmcp's `StreamableHttpServerConfig` built where neither the building function nor what it
/// calls turns Origin validation on (`with_allowed_origins` with a list, an `allowed_origins`
/// field set, `enforce_origin_validation()`), and every `disable_allowed_origins()`: rmcp's
/// default empty list leaves `Origin` unchecked.
pub fn origin_validation_off(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, f) in a.index.fns.iter().enumerate() {
        if !f.file.text.contains("StreamableHttp") {
            continue;
        }
        let mut v = RmcpConfig::new(a, &f.file.path);
        v.visit_block(f.block);
        for span in &v.origins_disabled {
            out.push(finding(
                ID,
                Severity::Warn,
                "`disable_allowed_origins()` turns off rmcp's `Origin` validation: a web page can reach the HTTP MCP server"
                    .into(),
                at(&f.file.path, *span),
                "keep Origin validation on with the origins you expect (`with_allowed_origins([...])`)",
            ));
        }
        if v.built.is_empty() {
            continue;
        }
        let enabled = a.index.reachable(&[i], 2).into_iter().any(|j| {
            let g = &a.index.fns[j];
            let mut w = RmcpConfig::new(a, &g.file.path);
            w.visit_block(g.block);
            w.origins_enabled
        });
        if enabled {
            continue;
        }
        for span in &v.built {
            out.push(finding(
                ID,
                Severity::Warn,
                "rmcp's `StreamableHttpServerConfig` is built with no allowed origins, which leaves `Origin` unchecked: a web page can send requests to the HTTP MCP server"
                    .into(),
                at(&f.file.path, *span),
                "call `.with_allowed_origins([\"http://localhost:<port>\"])` (a non-empty list turns Origin validation on)",
            ));
        }
    }
    out
}

/// `disable_allowed_hosts()`, or an empty `allowed_hosts` list, on rmcp's streamable HTTP
/// config: the `Host` check that stops DNS rebinding is switched off.
pub fn host_validation_off(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in &a.index.fns {
        if !f.file.text.contains("allowed_hosts") {
            continue;
        }
        let mut v = RmcpConfig::new(a, &f.file.path);
        v.visit_block(f.block);
        for span in v.hosts_disabled {
            out.push(finding(
                ID,
                Severity::Warn,
                "rmcp's `Host` validation is switched off (`disable_allowed_hosts()` or an empty `allowed_hosts`): DNS rebinding can reach the HTTP MCP server from a web page"
                    .into(),
                at(&f.file.path, span),
                "keep the `Host` allow-list (rmcp's loopback default, or the names the server is reached by)",
            ));
        }
    }
    out
}

/// What a function does to rmcp's streamable HTTP server config.
struct RmcpConfig<'a, 'b> {
    a: &'b Analysis<'a>,
    file: &'b std::path::Path,
    /// Where a config is built (`StreamableHttpServerConfig::default()`, a struct literal
    /// without origins, `Default::default()` handed to `StreamableHttpService::new`).
    built: Vec<proc_macro2::Span>,
    origins_enabled: bool,
    origins_disabled: Vec<proc_macro2::Span>,
    hosts_disabled: Vec<proc_macro2::Span>,
}

impl<'a, 'b> RmcpConfig<'a, 'b> {
    fn new(a: &'b Analysis<'a>, file: &'b std::path::Path) -> Self {
        RmcpConfig {
            a,
            file,
            built: Vec::new(),
            origins_enabled: false,
            origins_disabled: Vec::new(),
            hosts_disabled: Vec::new(),
        }
    }

    fn resolves_to(&self, c: &syn::ExprCall, suffixes: &[&str]) -> bool {
        self.a.call_paths(self.file, c).iter().any(|p| {
            suffixes
                .iter()
                .any(|s| p == s || p.ends_with(&format!("::{s}")))
        })
    }
}

/// `[]`, `vec![]`, `Vec::new()`, `Vec::default()`: a list with nothing in it.
fn is_empty_list(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Array(a) => a.elems.is_empty(),
        syn::Expr::Reference(r) => is_empty_list(&r.expr),
        syn::Expr::Macro(m) => {
            crate::check::analysis::syntax::macro_name(&m.mac) == "vec" && m.mac.tokens.is_empty()
        }
        syn::Expr::Call(c) => {
            c.args.is_empty()
                && call_path(c)
                    .is_some_and(|p| p.ends_with("Vec::new") || p.ends_with("Vec::default"))
        }
        _ => false,
    }
}

impl<'ast> Visit<'ast> for RmcpConfig<'_, '_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if self.resolves_to(
            c,
            &[
                "StreamableHttpServerConfig::default",
                "StreamableHttpServerConfig::new",
            ],
        ) {
            self.built.push(c.span());
        }
        if self.resolves_to(c, &["StreamableHttpService::new"])
            && let Some(config) = c.args.iter().nth(2)
            && let syn::Expr::Call(d) = config
            && call_path(d)
                .is_some_and(|p| p == "Default::default" || p == "std::default::Default::default")
        {
            self.built.push(d.span());
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        match m.method.to_string().as_str() {
            "with_allowed_origins" if !m.args.first().is_some_and(is_empty_list) => {
                self.origins_enabled = true
            }
            "enforce_origin_validation" => self.origins_enabled = true,
            "disable_allowed_origins" => self.origins_disabled.push(m.method.span()),
            "disable_allowed_hosts" => self.hosts_disabled.push(m.method.span()),
            "with_allowed_hosts" if m.args.first().is_some_and(is_empty_list) => {
                self.hosts_disabled.push(m.method.span())
            }
            _ => {}
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
        let named = crate::check::analysis::syntax::path_text(&s.path);
        let is_config = self
            .a
            .imports()
            .resolve(self.file, &named)
            .iter()
            .any(|p| p.ends_with("StreamableHttpServerConfig"));
        if is_config {
            let field = |name: &str| {
                s.fields
                    .iter()
                    .find(|f| matches!(&f.member, syn::Member::Named(n) if n == name))
            };
            match field("allowed_origins") {
                Some(f) if !is_empty_list(&f.expr) => self.origins_enabled = true,
                _ => self.built.push(s.path.span()),
            }
            if let Some(f) = field("allowed_hosts")
                && is_empty_list(&f.expr)
            {
                self.hosts_disabled.push(f.member.span());
            }
        }
        syn::visit::visit_expr_struct(self, s);
    }

    fn visit_expr_assign(&mut self, e: &'ast syn::ExprAssign) {
        if let syn::Expr::Field(f) = &*e.left
            && matches!(&f.member, syn::Member::Named(n) if n == "allowed_origins")
            && !is_empty_list(&e.right)
        {
            self.origins_enabled = true;
        }
        syn::visit::visit_expr_assign(self, e);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        // A hand-written Origin check (`headers().get(header::ORIGIN)`) counts as validation.
        let text = crate::check::analysis::syntax::path_text(&p.path);
        if self
            .a
            .imports()
            .resolve(self.file, &text)
            .iter()
            .any(|r| r.ends_with("header::ORIGIN"))
        {
            self.origins_enabled = true;
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in crate::check::analysis::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}
