//! http-exposure: an HTTP MCP transport bound beyond loopback, without Origin validation,
//! or without authentication.

use super::common::Analysis;
use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{at, finding};
use crate::check::analysis::syntax::{call_path, compact, is_test_item};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "http-exposure";

/// A wide address: `"0.0.0.0…"`, `"[::]…"`, `"::"`, `Ipv4Addr::UNSPECIFIED`, `[0, 0, 0, 0]`,
/// or a `format!` whose text starts so.
fn wide_value(e: &syn::Expr) -> Option<proc_macro2::Span> {
    let wide_text = |v: &str| v.starts_with("0.0.0.0") || v.starts_with("[::]") || v == "::";
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) if wide_text(&s.value()) => Some(s.span()),
        syn::Expr::Path(p) => {
            let t = crate::check::analysis::syntax::path_text(&p.path);
            (t.ends_with("Ipv4Addr::UNSPECIFIED") || t.ends_with("Ipv6Addr::UNSPECIFIED"))
                .then(|| p.span())
        }
        syn::Expr::Array(a) => (compact(a) == "[0,0,0,0]").then(|| a.span()),
        syn::Expr::Macro(m) => crate::check::analysis::syntax::format_args(&m.mac)
            .filter(|(lit, _)| wide_text(&lit.value()))
            .map(|(lit, _)| lit.span()),
        _ => None,
    }
}

/// Where a wide address is written: the file and the span.
type Origin = (std::path::PathBuf, proc_macro2::Span);

/// The first wide address anywhere in `e` (written in `file`), or a name in `wide` it mentions
/// (a local or a constant holding one), with where that address is written.
fn wide_in(
    file: &std::path::Path,
    e: &syn::Expr,
    wide: &std::collections::BTreeMap<String, Origin>,
) -> Option<Origin> {
    struct Find<'w> {
        file: &'w std::path::Path,
        wide: &'w std::collections::BTreeMap<String, Origin>,
        found: Option<Origin>,
    }
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            if self.found.is_some() {
                return;
            }
            if let Some(span) = wide_value(e) {
                self.found = Some((self.file.to_path_buf(), span));
                return;
            }
            if let syn::Expr::Path(p) = e
                && let Some(id) = p.path.get_ident()
                && let Some(origin) = self.wide.get(&id.to_string())
            {
                self.found = Some(origin.clone());
                return;
            }
            syn::visit::visit_expr(self, e);
        }

        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            for e in crate::check::analysis::syntax::macro_exprs(mac) {
                self.visit_expr(&e);
            }
        }
    }
    let mut f = Find {
        file,
        wide,
        found: None,
    };
    f.visit_expr(e);
    f.found
}

/// A wide address (`0.0.0.0`, `::`, `UNSPECIFIED`) that reaches a bind: an argument of
/// `TcpListener::bind`, `SocketAddr::new`/`from`, a `.bind(..)` method or a `bind:` field,
/// written there, held by a local on the way, or by a constant; and a CLI default
/// (`default_value = "0.0.0.0…"`) of a flag.
pub fn wildcard_bind(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |file: &std::path::Path, span| {
        out.push(finding(
            ID,
            Severity::Warn,
            "the server binds to every network interface, not only loopback".into(),
            at(file, span),
            "bind to 127.0.0.1 by default and make wider binding an explicit, authenticated choice",
        ))
    };
    let markers = ["0.0.0.0", "[::]", "\"::\"", "UNSPECIFIED", "0, 0, 0, 0"];
    let files: Vec<_> = crate::check::analysis::index::shipped(ctx)
        .into_iter()
        .filter(|f| markers.iter().any(|w| f.text.contains(w)))
        .collect();
    // Constants holding a wide address, by name (a bind in any file may use them).
    let mut consts = std::collections::BTreeMap::new();
    for file in &files {
        for item in &file.ast.items {
            let (name, expr) = match item {
                syn::Item::Const(c) => (c.ident.to_string(), &*c.expr),
                syn::Item::Static(s) => (s.ident.to_string(), &*s.expr),
                _ => continue,
            };
            if let Some(span) = wide_value(expr) {
                consts.insert(name, (file.path.clone(), span));
            }
        }
        let mut defaults = CliDefaults(Vec::new());
        defaults.visit_file(&file.ast);
        for span in defaults.0 {
            push(&file.path, span);
        }
    }
    let mut reported = std::collections::BTreeSet::new();
    for f in &a.index.fns {
        let in_file = files.iter().any(|g| g.path == f.file.path);
        let names_const = consts.keys().any(|k| f.file.text.contains(k.as_str()));
        if !in_file && !names_const {
            continue;
        }
        let mut v = Binds {
            a,
            file: &f.file.path,
            wide: consts.clone(),
            found: Vec::new(),
        };
        v.visit_block(f.block);
        for (file, span) in v.found {
            if reported.insert((file.clone(), span.start().line, span.start().column)) {
                push(&file, span);
            }
        }
    }
    out
}

/// Binds in one function body, with the locals that hold a wide address on the way.
struct Binds<'a, 'b> {
    a: &'b Analysis<'a>,
    file: &'b std::path::Path,
    wide: std::collections::BTreeMap<String, Origin>,
    found: Vec<Origin>,
}

impl<'ast> Visit<'ast> for Binds<'_, '_> {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init
            && let Some(origin) = wide_in(self.file, &init.expr, &self.wide)
        {
            for name in crate::check::analysis::syntax::pat_idents(&l.pat) {
                self.wide.insert(name, origin.clone());
            }
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let sink = self.a.call_paths(self.file, c).iter().any(|p| {
            p.ends_with("TcpListener::bind")
                || p.ends_with("SocketAddr::new")
                || p.ends_with("SocketAddr::from")
                || p.ends_with("Server::bind")
        });
        if sink {
            self.found.extend(
                c.args
                    .iter()
                    .filter_map(|e| wide_in(self.file, e, &self.wide)),
            );
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if m.method == "bind" {
            self.found.extend(
                m.args
                    .iter()
                    .filter_map(|e| wide_in(self.file, e, &self.wide)),
            );
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_struct(&mut self, s: &'ast syn::ExprStruct) {
        for f in &s.fields {
            if matches!(&f.member, syn::Member::Named(n) if n == "bind" || n == "bind_address" || n == "addr")
                && let Some(origin) = wide_in(self.file, &f.expr, &self.wide)
            {
                self.found.push(origin);
            }
        }
        syn::visit::visit_expr_struct(self, s);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in crate::check::analysis::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

/// `#[arg(default_value = "0.0.0.0…")]` on a command-line flag: the server binds there unless
/// told otherwise.
struct CliDefaults(Vec<proc_macro2::Span>);

impl<'ast> Visit<'ast> for CliDefaults {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_item(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_field(&mut self, f: &'ast syn::Field) {
        for attr in f
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("arg") || a.path().is_ident("clap"))
        {
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("default_value") || meta.path.is_ident("default_value_t") {
                    let value: syn::Expr = meta.value()?.parse()?;
                    if let Some(span) = wide_value(&value) {
                        self.0.push(span);
                    }
                } else if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                Ok(())
            });
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
