//! Where stdout carries JSON-RPC: the code a stdio MCP server runs before and while it serves.
//!
//! A stdio transport is recognised by resolved path (rmcp's `transport::stdio()`, a
//! `(stdin(), stdout())` pair, rust-mcp-sdk's `StdioTransport::new`, a hand-written loop that
//! reads requests from stdin and answers on stdout). The scope is, per binary, the functions
//! on the call chain from `main` to that point without the branches that leave or go
//! elsewhere before serving (a `--version` arm, a CLI subcommand), plus `#[ctor]` functions
//! of a serving binary and everything the tools and `ServerHandler` methods reach. A binary
//! that never reaches a stdio transport is no stdio server. Only when the manifests declare
//! stdio and no transport is recognised at all is every shipped file judged ([`Kind::Whole`]).

mod walk;

#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

use super::imports::ImportTable;
use super::index::{Index, dependency, shipped};
use super::syntax::call_path;
use super::tools::ToolInfo;
use crate::check::model::Context;

/// What kind of scope a run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No stdio transport is served, and none is declared.
    NotStdio,
    /// Stdio is declared (a manifest feature) but no transport call was recognised: every
    /// shipped file is judged.
    Whole,
    /// The regions below are the code that runs while stdout is the transport.
    Served,
}

/// The stdio scope of a run: built once, asked by the stdout-pollution rules.
#[derive(Debug)]
pub struct StdioScope {
    pub kind: Kind,
    /// Line ranges (first, last; 1-based, inclusive) per file.
    regions: HashMap<PathBuf, Vec<(usize, usize)>>,
}

impl StdioScope {
    pub fn new(
        ctx: &Context,
        index: &Index<'_>,
        imports: &ImportTable,
        tools: &[ToolInfo],
    ) -> Self {
        let serving = serving_fns(index, imports);
        if !serving.iter().any(|&s| s) {
            let kind = if declares_stdio(ctx) && !other_transport(ctx, imports) {
                Kind::Whole
            } else {
                Kind::NotStdio
            };
            return StdioScope {
                kind,
                regions: HashMap::new(),
            };
        }
        let mut w = walk::Walker::new(index, imports, serving);
        let mut served = false;
        let mut serving_targets = BTreeSet::new();
        for main in mains(index) {
            if w.reaches(main) {
                served = true;
                serving_targets.extend(index.fns[main].file.targets.iter().cloned());
                w.walk_chain(main);
            }
        }
        // A serving function no `main` reaches (a library's `run_stdio`, or a call the index
        // cannot resolve): its own body is judged.
        for i in 0..index.fns.len() {
            if w.is_serving(i) && !w.is_chained(i) {
                served = true;
                serving_targets.extend(index.fns[i].file.targets.iter().cloned());
                w.walk_chain(i);
            }
        }
        if served {
            for i in ctor_fns(ctx, index, &serving_targets) {
                w.whole(i);
            }
            let handlers: Vec<usize> = tools
                .iter()
                .filter_map(|t| super::flow::tool_fn(index, t))
                .chain((0..index.fns.len()).filter(|&i| {
                    matches!(
                        index.fns[i].trait_name.as_deref(),
                        Some("ServerHandler" | "ServerHandlerCore")
                    )
                }))
                .collect();
            for i in handlers {
                w.whole(i);
            }
        }
        StdioScope {
            kind: Kind::Served,
            regions: w.into_regions(),
        }
    }

    /// True when some code of a stdio server may run at `line` of `file`.
    pub fn covers(&self, file: &Path, line: usize) -> bool {
        match self.kind {
            Kind::NotStdio => false,
            Kind::Whole => true,
            Kind::Served => self
                .regions
                .get(file)
                .is_some_and(|r| r.iter().any(|&(a, b)| a <= line && line <= b)),
        }
    }

    /// True when some of `file` lies in the scope (a cheap filter before walking it).
    pub fn touches(&self, file: &Path) -> bool {
        match self.kind {
            Kind::NotStdio => false,
            Kind::Whole => true,
            Kind::Served => self.regions.contains_key(file),
        }
    }

    /// What a finding should add to say how its scope was decided, when it is not plain.
    pub fn qualifier(&self) -> &'static str {
        match self.kind {
            Kind::Whole => {
                " (the manifest declares stdio but no stdio transport call was recognised, so every shipped file is judged)"
            }
            _ => "",
        }
    }
}

/// rmcp with a `transport-io` feature, or rust-mcp-sdk with `stdio`, for a server (a crate
/// that enables the SDK's client side only launches servers, it is none).
fn declares_stdio(ctx: &Context) -> bool {
    let server_side =
        |f: &[String]| f.iter().any(|f| f == "server") || !f.iter().any(|f| f == "client");
    ctx.packages.iter().any(|p| {
        dependency(&p.manifest_text, "rmcp")
            .is_some_and(|f| f.iter().any(|f| f.starts_with("transport-io")) && server_side(&f))
            || dependency(&p.manifest_text, "rust-mcp-sdk")
                .is_some_and(|f| f.iter().any(|f| f == "stdio") && server_side(&f))
    })
}

/// Calls that set up a transport other than a stdio server's (matched on resolved paths).
const OTHERS: &[&str] = &[
    "tokio::io::duplex",
    "StreamableHttpService::new",
    "SseServer::serve",
    "SseServer::new",
    "TokioChildProcess::new",
    "StdioTransport::create_with_server_launch",
    "axum::serve",
    "TcpListener::bind",
];

/// Another transport is set up (HTTP, an in-process duplex, a child process as a client):
/// the crate was understood, and it does not serve over stdio.
fn other_transport(ctx: &Context, imports: &ImportTable) -> bool {
    shipped(ctx).into_iter().any(|file| {
        if !OTHERS
            .iter()
            .any(|o| file.text.contains(o.rsplit("::").next().unwrap_or(o)))
        {
            return false;
        }
        let mut v = Others {
            imports,
            file: &file.path,
            found: false,
        };
        v.visit_file(&file.ast);
        v.found
    })
}

struct Others<'a> {
    imports: &'a ImportTable,
    file: &'a Path,
    found: bool,
}

impl<'ast> Visit<'ast> for Others<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let paths = call_path(c)
            .map(|p| self.imports.resolve(self.file, &p))
            .unwrap_or_default();
        if paths.iter().any(|p| OTHERS.iter().any(|o| p.ends_with(o))) {
            self.found = true;
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in super::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

/// Functions that construct a stdio transport themselves.
fn serving_fns(index: &Index<'_>, imports: &ImportTable) -> Vec<bool> {
    // A file that names none of these cannot build a stdio transport (asked once per file).
    let mut candidate: HashMap<&Path, bool> = HashMap::new();
    index
        .fns
        .iter()
        .map(|f| {
            let text = &f.file.text;
            let maybe = *candidate.entry(&f.file.path).or_insert_with(|| {
                text.contains("stdio") || text.contains("Stdio") || text.contains("stdin")
            });
            if !maybe {
                return false;
            }
            let mut v = Transport::new(imports, &f.file.path);
            v.visit_block(f.block);
            v.found || (v.stdin && v.stdout)
        })
        .collect()
}

/// Finds a stdio transport in a syntax node: a call of rmcp's `stdio()`, rust-mcp-sdk's
/// `StdioTransport::new`, or a `(stdin(), stdout())` tuple; and, for a hand-written loop,
/// whether stdin and stdout are both opened (`let stdin = tokio::io::stdin();`).
pub struct Transport<'a> {
    imports: &'a ImportTable,
    file: &'a Path,
    pub found: bool,
    stdin: bool,
    stdout: bool,
}

impl<'a> Transport<'a> {
    pub fn new(imports: &'a ImportTable, file: &'a Path) -> Self {
        Transport {
            imports,
            file,
            found: false,
            stdin: false,
            stdout: false,
        }
    }

    fn resolved(&self, c: &syn::ExprCall) -> Vec<String> {
        call_path(c)
            .map(|p| self.imports.resolve(self.file, &p))
            .unwrap_or_default()
    }

    fn std_stream(&self, e: &syn::Expr, name: &str) -> bool {
        let syn::Expr::Call(c) = e else {
            return false;
        };
        self.resolved(c).iter().any(|p| {
            p == &format!("tokio::io::{name}")
                || p == &format!("std::io::{name}")
                || p == &format!("async_std::io::{name}")
        })
    }
}

/// rmcp's stdio transport (`rmcp::transport::stdio`, `rmcp::transport::io::stdio`) or
/// rust-mcp-sdk's `StdioTransport::new`.
pub fn is_stdio_transport_path(p: &str) -> bool {
    let rmcp = p.starts_with("rmcp::transport::") && p.ends_with("::stdio");
    let sdk = (p.starts_with("rust_mcp_sdk::") || p.starts_with("rust_mcp_transport::"))
        && p.ends_with("StdioTransport::new");
    rmcp || sdk
}

impl Transport<'_> {
    /// Checks one node (not its children).
    pub fn check(&mut self, e: &syn::Expr) {
        match e {
            syn::Expr::Call(c) if self.resolved(c).iter().any(|p| is_stdio_transport_path(p)) => {
                self.found = true
            }
            syn::Expr::Tuple(t) => {
                let elems: Vec<&syn::Expr> = t.elems.iter().collect();
                if let [a, b] = elems.as_slice()
                    && self.std_stream(a, "stdin")
                    && self.std_stream(b, "stdout")
                {
                    self.found = true;
                }
            }
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for Transport<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        self.check(e);
        syn::visit::visit_expr(self, e);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            self.stdin |= self.std_stream(&init.expr, "stdin");
            self.stdout |= self.std_stream(&init.expr, "stdout");
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in super::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

/// The `main` functions of the binaries (top-level items of their files).
fn mains(index: &Index<'_>) -> Vec<usize> {
    (0..index.fns.len())
        .filter(|&i| {
            let f = &index.fns[i];
            f.name == "main"
                && f.self_ty.is_none()
                && f.file
                    .ast
                    .items
                    .iter()
                    .any(|it| matches!(it, syn::Item::Fn(g) if std::ptr::eq(&g.sig, f.sig)))
        })
        .collect()
}

/// `#[ctor]` functions compiled into a serving target: they run before `main`.
fn ctor_fns(ctx: &Context, index: &Index<'_>, targets: &BTreeSet<String>) -> Vec<usize> {
    let mut out = Vec::new();
    for file in shipped(ctx) {
        if !file.targets.iter().any(|t| targets.contains(t)) || !file.text.contains("ctor") {
            continue;
        }
        let mut v = Ctors(Vec::new());
        v.visit_file(&file.ast);
        out.extend(v.0.into_iter().filter_map(|sig| {
            index
                .fns
                .iter()
                .position(|f| std::ptr::eq(f.sig as *const syn::Signature, sig))
        }));
    }
    out
}

struct Ctors(Vec<*const syn::Signature>);

impl<'ast> Visit<'ast> for Ctors {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let ctor = f
            .attrs
            .iter()
            .any(|a| a.path().segments.last().is_some_and(|s| s.ident == "ctor"));
        if ctor {
            self.0.push(&f.sig);
        }
    }
}
