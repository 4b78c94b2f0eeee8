//! stdout-pollution: in a stdio server, stdout carries JSON-RPC and nothing else.

use super::common::Analysis;
use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{at, finding};
use crate::check::analysis::index::dependency;
use crate::check::analysis::syntax::{call_path, compact, is_test_item, macro_name};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "stdout-pollution";

/// A crate serving MCP over stdio: rmcp with `transport-io`, or `stdio()` in its source.
pub fn is_stdio_server(ctx: &Context) -> bool {
    let by_feature = ctx.packages.iter().any(|p| {
        dependency(&p.manifest_text, "rmcp")
            .is_some_and(|f| f.iter().any(|f| f.starts_with("transport-io")))
    });
    by_feature
        || ctx
            .sources
            .iter()
            .any(|s| s.text.contains("transport::stdio") || s.text.contains("stdio()"))
}

/// `println!`, `print!`, `std::io::stdout()` and a tracing subscriber left on its default
/// writer (stdout) in the shipped code of a stdio server.
pub fn stdout_writes(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    if !is_stdio_server(ctx) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let markers = ["print", "stdout", "tracing_subscriber", "fmt()"];
    for file in crate::check::analysis::index::shipped(ctx)
        .into_iter()
        .filter(|f| markers.iter().any(|m| f.text.contains(m)) && !http_only_binary(&f.text))
    {
        let mut v = Stdout {
            file: &file.path,
            out: &mut out,
        };
        v.visit_file(&file.ast);
    }
    out
}

struct Stdout<'a> {
    file: &'a std::path::Path,
    out: &'a mut Vec<Finding>,
}

impl Stdout<'_> {
    fn push(&mut self, span: proc_macro2::Span, message: String, help: &str) {
        self.out.push(finding(
            ID,
            Severity::Fail,
            message,
            at(self.file, span),
            help,
        ));
    }
}

impl<'ast> Visit<'ast> for Stdout<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_item(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_test_item(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_test_item(&f.attrs) {
            syn::visit::visit_impl_item_fn(self, f);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = macro_name(mac);
        let to_stdout = (name == "write" || name == "writeln")
            && crate::check::analysis::syntax::macro_exprs(mac)
                .first()
                .is_some_and(|e| matches!(e, syn::Expr::Call(c) if is_stdout(c)));
        if name == "println" || name == "print" || to_stdout {
            self.push(
                mac.path.span(),
                format!("`{name}!` writes to stdout, which carries JSON-RPC in a stdio server"),
                "log with `tracing` to stderr, or use `eprintln!` for start-up messages",
            );
        }
        // Everything this walk reports names one of these: other bodies need no parse.
        if !crate::check::analysis::syntax::has_ident(
            &mac.tokens,
            &["println", "print", "stdout", "fmt"],
        ) {
            return;
        }
        for e in crate::check::analysis::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        // `stdout().write_all(..)`; a bare `stdout()` handed to the transport is fine.
        let on_stdout = matches!(&*m.receiver, syn::Expr::Call(c) if is_stdout(c));
        if on_stdout
            && matches!(
                m.method.to_string().as_str(),
                "write" | "write_all" | "write_fmt" | "lock"
            )
        {
            self.push(
                m.method.span(),
                "`stdout()` is written to outside the MCP transport in a stdio server".into(),
                "write diagnostics to `std::io::stderr()`; stdout belongs to JSON-RPC",
            );
        }
        // The end of a `tracing_subscriber::fmt()...init()` chain.
        let method = m.method.to_string();
        if matches!(method.as_str(), "init" | "try_init" | "finish") {
            let chain = compact(&m.receiver);
            let is_fmt =
                chain.starts_with("tracing_subscriber::fmt()") || chain.starts_with("fmt()");
            if is_fmt && !chain.contains(".with_writer(") {
                self.push(
                    m.method.span(),
                    "tracing subscriber writes to stdout (its default writer) in a stdio server"
                        .into(),
                    "add `.with_writer(std::io::stderr)` to the subscriber",
                );
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

fn is_stdout(c: &syn::ExprCall) -> bool {
    call_path(c).is_some_and(|p| p == "stdout" || p.ends_with("io::stdout"))
}

/// A binary of its own that serves HTTP and never touches stdio: its stdout is free.
fn http_only_binary(text: &str) -> bool {
    // A binary that serves over HTTP, or over an in-process duplex stream, keeps stdout free.
    let http = [
        "StreamableHttpService",
        "SseServer",
        "TcpListener",
        "axum::serve",
        "io::duplex(",
    ]
    .iter()
    .any(|k| text.contains(k));
    text.contains("fn main(") && http && !text.contains("stdio(") && !text.contains("stdin()")
}

/// `tracing_subscriber::fmt::init()` always writes to stdout.
pub fn fmt_init(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    if !is_stdio_server(ctx) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for file in crate::check::analysis::index::shipped(ctx)
        .into_iter()
        .filter(|f| !http_only_binary(&f.text))
    {
        let mut v = FmtInit { found: Vec::new() };
        v.visit_file(&file.ast);
        for span in v.found {
            out.push(finding(
                ID,
                Severity::Fail,
                "`tracing_subscriber::fmt::init()` logs to stdout in a stdio server".into(),
                at(&file.path, span),
                "build the subscriber with `tracing_subscriber::fmt().with_writer(std::io::stderr).init()`",
            ));
        }
    }
    out
}

struct FmtInit {
    found: Vec<proc_macro2::Span>,
}

impl<'ast> Visit<'ast> for FmtInit {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_item(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| p.ends_with("fmt::init") || p.ends_with("fmt::try_init")) {
            self.found.push(c.func.span());
        }
        syn::visit::visit_expr_call(self, c);
    }
}
