//! stdout-pollution: in a stdio server, stdout carries JSON-RPC and nothing else.

use super::common::Analysis;
use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{at, finding};
use crate::check::analysis::syntax::{call_path, compact, is_test_item, macro_name};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "stdout-pollution";

/// Keeps the findings that lie where stdout carries JSON-RPC, saying how that was decided
/// when the scope is the whole crate.
pub fn in_stdio_scope(a: &Analysis<'_>, mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.retain(|f| {
        f.location
            .as_ref()
            .is_some_and(|l| a.stdio().covers(&l.file, l.line))
    });
    for f in &mut findings {
        f.message.push_str(a.stdio().qualifier());
    }
    findings
}

/// `println!`, `print!`, `std::io::stdout()` and a tracing subscriber left on its default
/// writer (stdout) in the code a stdio server runs before and while it serves.
pub fn stdout_writes(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let markers = ["print", "stdout", "tracing_subscriber", "fmt()"];
    for file in crate::check::analysis::index::shipped(ctx)
        .into_iter()
        .filter(|f| a.stdio().touches(&f.path) && markers.iter().any(|m| f.text.contains(m)))
    {
        let mut v = Stdout {
            file: &file.path,
            out: &mut out,
        };
        v.visit_file(&file.ast);
    }
    in_stdio_scope(a, out)
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

/// `tracing_subscriber::fmt::init()` always writes to stdout.
pub fn fmt_init(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in crate::check::analysis::index::shipped(ctx)
        .into_iter()
        .filter(|f| a.stdio().touches(&f.path))
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
    in_stdio_scope(a, out)
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
