//! http-exposure / http-without-auth: an axum, hyper or actix-web server (or rmcp's SSE
//! server) whose routes (the MCP service, or
//! actions such as proxying or starting tools) have no authentication in front of them.
//!
//! Authentication is recognised as what the code does, in the serving function and the
//! crate functions it reaches (router builders, handlers, middleware): a tower-http auth layer,
//! a function that reads the `Authorization` (or an API-key) header and answers 401, or a
//! handler that takes an `Authorization` extractor.

use std::collections::BTreeSet;

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, finding};
use crate::check::analysis::syntax::{macro_exprs, path_text, str_lit};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "http-exposure";

/// Calls deep enough to reach the router builders, handlers and middleware of a server.
const DEPTH: usize = 4;

/// Routes that only say whether the server is up, or publish metadata.
fn is_public_route(path: &str) -> bool {
    let p = path.trim_start_matches('/');
    [
        "health",
        "healthz",
        "ready",
        "readyz",
        "live",
        "livez",
        "metrics",
        "ping",
        ".well-known",
    ]
    .iter()
    .any(|r| p == *r || p.starts_with(&format!("{r}/")))
        || p.is_empty()
}

pub fn http_without_auth(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, f) in a.index.fns.iter().enumerate() {
        if !f.file.text.contains("serve") && !f.file.text.contains("Server") {
            continue;
        }
        let mut v = Serve {
            a,
            file: &f.file.path,
            serve: None,
            bind: None,
            sse: false,
        };
        v.visit_block(f.block);
        let Some(serve) = v.serve else {
            continue;
        };
        let reach = a.index.reachable(&[i], DEPTH);
        let mut facts = Facts::default_for(a, &f.file.path);
        if v.sse {
            facts.routes.insert("rmcp's SSE endpoints".into());
            facts.rmcp_service = true;
        }
        let mut answers_401 = Vec::new();
        let mut reads_credential = BTreeSet::new();
        for &j in &reach {
            let g = &a.index.fns[j];
            facts.file = &g.file.path;
            facts.reads_credential = false;
            facts.unauthorized = false;
            facts.auth |= takes_credential(g.sig);
            facts.visit_block(g.block);
            if facts.reads_credential {
                reads_credential.insert(j);
            }
            if facts.unauthorized {
                answers_401.push(j);
            }
        }
        // A function that answers 401 and reads a credential itself or through a helper.
        facts.auth |= answers_401.iter().any(|&j| {
            a.index
                .reachable(&[j], 2)
                .iter()
                .any(|k| reads_credential.contains(k))
        });
        // A bare rmcp service handed to hyper answers on every path.
        if facts.routes.is_empty() && facts.rmcp_service {
            facts
                .routes
                .insert("rmcp's streamable HTTP service on every path".into());
        }
        if facts.auth || facts.routes.is_empty() {
            continue;
        }
        if facts.routes.iter().all(|r| is_public_route(r)) {
            continue;
        }
        let own: Vec<&String> = facts
            .routes
            .iter()
            .filter(|r| !is_public_route(r))
            .collect();
        // A described endpoint (an rmcp service that routes itself) is named as such.
        let what = match own.iter().find(|r| r.contains(' ')) {
            Some(described) => format!("serving {described}"),
            None => {
                let shown: Vec<String> = own.iter().take(4).map(|r| format!("`{r}`")).collect();
                format!("routes {}", shown.join(", "))
            }
        };
        let mut message = format!(
            "the HTTP server ({what}) authenticates no request: no auth layer, and no handler or middleware checks a credential"
        );
        if !facts.rmcp_service && !facts.reads_host_or_origin {
            message.push_str("; nor does it check `Host` or `Origin`, so a web page can reach it through DNS rebinding");
        }
        out.push(finding(
            ID,
            Severity::Fail,
            message,
            at(&f.file.path, v.bind.unwrap_or(serve)),
            "put an authentication layer in front of every route (a bearer token from the environment compared in constant time, or OAuth), and refuse unexpected `Host` and `Origin` headers",
        ));
    }
    out
}

/// `axum::serve(listener, app)` in a function, and the `TcpListener::bind` feeding it.
struct Serve<'a, 'b> {
    a: &'b Analysis<'a>,
    file: &'b std::path::Path,
    serve: Option<proc_macro2::Span>,
    bind: Option<proc_macro2::Span>,
    sse: bool,
}

impl<'ast> Visit<'ast> for Serve<'_, '_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        // hyper (`Builder::serve_connection(io, service)`) serves whatever service it is given.
        if m.method == "serve_connection" || m.method == "serve_connection_with_upgrades" {
            self.serve.get_or_insert(m.method.span());
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let paths = self.a.call_paths(self.file, c);
        if paths.iter().any(|p| p == "axum::serve") {
            self.serve.get_or_insert(c.span());
        }
        // actix-web: `HttpServer::new(|| App::new()...)`.
        if paths.iter().any(|p| p == "actix_web::HttpServer::new") {
            self.serve.get_or_insert(c.span());
        }
        // rmcp's SSE server routes requests itself and has no place for an auth layer.
        if paths.iter().any(|p| {
            p.starts_with("rmcp::")
                && (p.ends_with("SseServer::serve") || p.ends_with("SseServer::serve_with_config"))
        }) {
            self.serve.get_or_insert(c.span());
            self.sse = true;
        }
        if paths
            .iter()
            .any(|p| p.starts_with("tokio::net::") && p.ends_with("TcpListener::bind"))
        {
            self.bind.get_or_insert(c.span());
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

/// A parameter typed with an `Authorization` header extractor (`TypedHeader<Authorization<Bearer>>`).
fn takes_credential(sig: &syn::Signature) -> bool {
    sig.inputs.iter().any(|i| match i {
        syn::FnArg::Typed(t) => {
            let ty = crate::check::analysis::syntax::compact(&t.ty);
            ty.contains("Authorization<") || ty.contains("Bearer>")
        }
        syn::FnArg::Receiver(_) => false,
    })
}

/// What the functions behind a server do about requests: the routes they add, and the
/// authentication and Host/Origin checks they make.
struct Facts<'a, 'b> {
    a: &'b Analysis<'a>,
    file: &'b std::path::Path,
    routes: BTreeSet<String>,
    auth: bool,
    rmcp_service: bool,
    reads_host_or_origin: bool,
    /// In the function being visited: reads a credential header, answers 401.
    reads_credential: bool,
    unauthorized: bool,
}

impl<'a, 'b> Facts<'a, 'b> {
    fn default_for(a: &'b Analysis<'a>, file: &'b std::path::Path) -> Self {
        Facts {
            a,
            file,
            routes: BTreeSet::new(),
            auth: false,
            rmcp_service: false,
            reads_host_or_origin: false,
            reads_credential: false,
            unauthorized: false,
        }
    }

    fn header(&mut self, name: &str) {
        match name.to_ascii_lowercase().as_str() {
            "authorization" | "x-api-key" | "proxy-authorization" => self.reads_credential = true,
            "host" | "origin" => self.reads_host_or_origin = true,
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for Facts<'_, '_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = m.method.to_string();
        if matches!(
            method.as_str(),
            "route" | "nest" | "nest_service" | "route_service"
        ) && let Some((path, _)) = m.args.first().and_then(str_lit)
        {
            self.routes.insert(path);
        }
        if matches!(method.as_str(), "get" | "get_all" | "contains_key") {
            if let Some((name, _)) = m.args.first().and_then(str_lit) {
                self.header(&name);
            }
            // A header map looked up by a header-name constant (`headers.get(&AUTHORIZATION)`).
            let mut key = m.args.first();
            while let Some(syn::Expr::Reference(r)) = key {
                key = Some(&r.expr);
            }
            if let Some(syn::Expr::Path(p)) = key
                && let Some(last) = p.path.segments.last()
            {
                self.header(&last.ident.to_string().replace('_', "-"));
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let paths = self.a.call_paths(self.file, c);
        let auth_layers = [
            "ValidateRequestHeaderLayer::bearer",
            "ValidateRequestHeaderLayer::basic",
            "ValidateRequestHeaderLayer::custom",
            "RequireAuthorizationLayer::bearer",
            "AsyncRequireAuthorizationLayer::new",
        ];
        if paths
            .iter()
            .any(|p| p.starts_with("tower_http::") && auth_layers.iter().any(|l| p.ends_with(l)))
        {
            self.auth = true;
        }
        if paths
            .iter()
            .any(|p| p.starts_with("actix_web_httpauth::") && p.contains("HttpAuthentication::"))
        {
            self.auth = true;
        }
        if paths
            .iter()
            .any(|p| p.ends_with("StreamableHttpService::new"))
        {
            self.rmcp_service = true;
        }
        // `HeaderName::from_static("authorization")`: a header named for reading.
        if paths
            .iter()
            .any(|p| p.ends_with("HeaderName::from_static") || p.ends_with("HeaderName::from_str"))
            && let Some((name, _)) = c.args.first().and_then(str_lit)
        {
            self.header(&name);
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        let text = path_text(&p.path);
        let resolved = self.a.imports().resolve(self.file, &text);
        for r in &resolved {
            let last = r.rsplit("::").next().unwrap_or(r);
            let header_module =
                r.contains("header::") || r.starts_with("http::") || r.starts_with("axum::http");
            match last {
                "AUTHORIZATION" | "PROXY_AUTHORIZATION" if header_module => {
                    self.reads_credential = true
                }
                "HOST" | "ORIGIN" if header_module => self.reads_host_or_origin = true,
                "UNAUTHORIZED" if r.contains("StatusCode") => self.unauthorized = true,
                _ => {}
            }
        }
        syn::visit::visit_expr_path(self, p);
    }

    fn visit_lit_int(&mut self, l: &'ast syn::LitInt) {
        if l.base10_digits() == "401" {
            self.unauthorized = true;
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}
