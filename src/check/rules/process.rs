//! Child processes and outbound requests: killed at the timeout, bounded in time, kept off
//! the JSON-RPC stdout, and declared by `open_world_hint`.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, finding};
use crate::check::analysis::index::shipped;
use crate::check::analysis::syntax::{call_path, compact};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

/// One process started in shipped code: where, the builder chain as text, the starting method,
/// and the resolved path of the `Command` type (`tokio::process::Command`).
struct Spawn {
    file: std::path::PathBuf,
    span: proc_macro2::Span,
    chain: String,
    method: &'static str,
    command: String,
}

/// The method chains that build and start a process in shipped functions, matched by the
/// path their constructor resolves to (`use tokio::process::Command as Cmd` included).
fn spawns(ctx: &Context, a: &Analysis<'_>) -> Vec<Spawn> {
    let mut out = Vec::new();
    for file in shipped(ctx)
        .into_iter()
        .filter(|f| f.text.contains("Command"))
    {
        let mut v = Spawns {
            index: &a.index,
            file: &file.path,
            found: Vec::new(),
        };
        v.visit_file(&file.ast);
        out.extend(v.found);
    }
    out
}

struct Spawns<'i, 'a> {
    index: &'i crate::check::analysis::index::Index<'a>,
    file: &'i std::path::Path,
    found: Vec<Spawn>,
}

impl Spawns<'_, '_> {
    /// The resolved constructor path at the root of a builder chain, when it is a process.
    fn command_root(&self, mut e: &syn::Expr) -> Option<String> {
        loop {
            match e {
                syn::Expr::MethodCall(m) => e = &m.receiver,
                syn::Expr::Paren(p) => e = &p.expr,
                syn::Expr::Reference(r) => e = &r.expr,
                syn::Expr::Call(c) => {
                    let p = self.index.resolve_in(self.file, &call_path(c)?);
                    return crate::check::analysis::imports::is_process_new(&p).then_some(p);
                }
                _ => return None,
            }
        }
    }
}

impl<'ast> Visit<'ast> for Spawns<'_, '_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !crate::check::analysis::syntax::is_test_item(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = match m.method.to_string().as_str() {
            "spawn" => "spawn",
            "status" => "status",
            "output" => "output",
            _ => "",
        };
        if !method.is_empty()
            && let Some(command) = self.command_root(&m.receiver)
        {
            self.found.push(Spawn {
                file: self.file.to_path_buf(),
                span: m.method.span(),
                chain: compact(&m.receiver),
                method,
                command,
            });
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// A tokio child started without `kill_on_drop(true)`: the timeout drops the future and the
/// process runs on.
pub fn child_survives_timeout(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    spawns(ctx, a)
        .into_iter()
        .filter(|s| !s.command.starts_with("std::process"))
        .filter(|s| !s.chain.contains(".kill_on_drop(true)"))
        .filter(|s| {
            ctx.sources
                .iter()
                .any(|src| src.path == s.file && src.text.contains("tokio"))
        })
        .map(|s| {
            finding(
                "missing-timeout",
                Severity::Warn,
                "a child process is started without `kill_on_drop(true)`: when the call times out, it keeps running"
                    .into(),
                at(&s.file, s.span),
                "build it with `tokio::process::Command` and `.kill_on_drop(true)` so a timeout kills it",
            )
        })
        .collect()
}

/// In a stdio server, a child started with `spawn()`/`status()` inherits stdout unless told
/// otherwise, and its output corrupts JSON-RPC.
pub fn child_inherits_stdout(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let found = spawns(ctx, a)
        .into_iter()
        .filter(|s| s.method != "output" && !s.chain.contains(".stdout("))
        .map(|s| {
            finding(
                "stdout-pollution",
                Severity::Fail,
                "a child process inherits the server's stdout, which carries JSON-RPC".into(),
                at(&s.file, s.span),
                "set `.stdout(Stdio::piped())` or `.stdout(Stdio::null())` before starting it",
            )
        })
        .collect();
    super::stdout::in_stdio_scope(a, found)
}

/// `reqwest::Client::new()` or a builder without `.timeout(..)`: an upstream can hold a call forever.
pub fn http_client_without_timeout(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in shipped(ctx)
        .into_iter()
        .filter(|f| f.text.contains("reqwest"))
    {
        let mut v = Clients(Vec::new());
        v.visit_file(&file.ast);
        for span in v.0 {
            out.push(finding(
                "missing-timeout",
                Severity::Warn,
                "an HTTP client is built without a timeout".into(),
                at(&file.path, span),
                "use `reqwest::Client::builder().timeout(Duration::from_secs(..)).build()`",
            ));
        }
    }
    out
}

struct Clients(Vec<proc_macro2::Span>);

impl<'ast> Visit<'ast> for Clients {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        match e {
            syn::Expr::Call(c)
                if call_path(c)
                    .is_some_and(|p| p.ends_with("Client::new") && p.contains("reqwest")) =>
            {
                self.0.push(c.span());
            }
            syn::Expr::Call(c) if call_path(c).is_some_and(|p| p == "reqwest::get") => {
                self.0.push(c.span())
            }
            syn::Expr::MethodCall(m) if m.method == "build" => {
                let chain = compact(&m.receiver);
                if chain.contains("Client::builder()") && !chain.contains(".timeout(") {
                    self.0.push(m.method.span());
                }
            }
            _ => {}
        }
        syn::visit::visit_expr(self, e);
    }
}

/// `open_world_hint = false` on a tool that makes network requests.
pub fn open_world_hint_wrong(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for tool in a
        .tools
        .iter()
        .filter(|t| t.annotations.get("open_world_hint") == Some(&false))
    {
        let net = a
            .index
            .reachable(
                &crate::check::analysis::flow::tool_fn(&a.index, tool)
                    .into_iter()
                    .collect::<Vec<_>>(),
                3,
            )
            .iter()
            .any(|&i| {
                let t = compact(a.index.fns[i].block);
                t.contains("reqwest")
                    || t.contains(".send().await")
                    || t.contains("TcpStream::connect")
                    || t.contains("http_client")
            });
        if net {
            let mut f = finding(
                "misleading-annotation",
                Severity::Warn,
                format!(
                    "tool `{}` declares `open_world_hint = false` but makes network requests",
                    tool.name
                ),
                tool.attr_location.clone(),
                "set `open_world_hint = true` for tools that reach outside the server",
            );
            f.tool = Some(tool.name.clone());
            out.push(f);
        }
    }
    out
}

/// A function that files the sender of a fresh channel in a table (`pending.insert(id, tx)`)
/// for another party to answer, then awaits the receiver with no deadline: if the answer never
/// comes (the party is gone, the id is lost), the call hangs forever.
pub fn reply_wait_unbounded(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, f) in a.index.fns.iter().enumerate() {
        if !f.file.text.contains("channel") {
            continue;
        }
        let mut v = ReplyWait::default();
        v.visit_block(f.block);
        for (rx, span) in std::mem::take(&mut v.waits) {
            if !v.filed.contains(&v.pair_of(&rx)) {
                continue;
            }
            let mut fd = finding(
                "missing-timeout",
                Severity::Fail,
                format!(
                    "`{}` waits for a reply on `{rx}` with no deadline, after filing its sender for another party to answer: a reply that never comes hangs the call forever",
                    f.name
                ),
                at(&f.file.path, f.sig.ident.span()),
                "wrap the wait in `tokio::time::timeout(..)`, and remove the pending entry when it expires",
            );
            fd.labels = vec![super::common::label(
                &f.file.path,
                span,
                "waits here with no deadline",
            )];
            fd.tool = a.tool_of(i);
            out.push(fd);
        }
    }
    out
}

#[derive(Default)]
struct ReplyWait {
    /// `(sender, receiver)` names bound from `channel()` calls.
    pairs: Vec<(String, String)>,
    /// Senders stored into a collection.
    filed: Vec<String>,
    /// Receivers awaited outside any deadline, with where.
    waits: Vec<(String, proc_macro2::Span)>,
    /// Depth of enclosing deadline calls (`timeout(..)`, `select!`).
    bounded: usize,
}

impl ReplyWait {
    fn pair_of(&self, rx: &str) -> String {
        self.pairs
            .iter()
            .find(|(_, r)| r == rx)
            .map(|(t, _)| t.clone())
            .unwrap_or_default()
    }

    fn receiver(&self, e: &syn::Expr) -> Option<String> {
        let syn::Expr::Path(p) = e else { return None };
        let id = p.path.get_ident()?.to_string();
        self.pairs.iter().any(|(_, r)| *r == id).then_some(id)
    }
}

impl<'ast> Visit<'ast> for ReplyWait {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let (syn::Pat::Tuple(t), Some(init)) = (&l.pat, &l.init)
            && t.elems.len() == 2
            && let syn::Expr::Call(c) = &*init.expr
            && call_path(c).is_some_and(|p| p.ends_with("channel"))
        {
            let names: Vec<String> = t
                .elems
                .iter()
                .flat_map(crate::check::analysis::syntax::pat_idents)
                .collect();
            if let [tx, rx] = names.as_slice() {
                self.pairs.push((tx.clone(), rx.clone()));
            }
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let deadline =
            call_path(c).is_some_and(|p| p.ends_with("timeout") || p.ends_with("timeout_at"));
        self.bounded += usize::from(deadline);
        syn::visit::visit_expr_call(self, c);
        self.bounded -= usize::from(deadline);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // A `select!` may race the wait against a timer: not judged.
        if crate::check::analysis::syntax::macro_name(mac) == "select" {
            self.bounded += 1;
        }
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if matches!(
            m.method.to_string().as_str(),
            "insert" | "push_back" | "push"
        ) && let Some(syn::Expr::Path(p)) = m.args.last()
            && let Some(id) = p.path.get_ident()
        {
            self.filed.push(id.to_string());
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_await(&mut self, aw: &'ast syn::ExprAwait) {
        if self.bounded == 0 {
            let rx = match &*aw.base {
                syn::Expr::MethodCall(m) if m.method == "recv" => self.receiver(&m.receiver),
                other => self.receiver(other),
            };
            if let Some(rx) = rx {
                self.waits.push((rx, aw.await_token.span()));
            }
        }
        syn::visit::visit_expr_await(self, aw);
    }
}
