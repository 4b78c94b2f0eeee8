//! path-traversal: tool paths reaching the file system unconfined, and confinement checks
//! that do not confine (string prefixes, unresolved paths, canonicalize fallbacks).

use syn::spanned::Spanned;
use syn::visit::Visit;

use std::collections::BTreeSet;

use super::common::{Analysis, at, dedup_by_line, finding, flow_labels};
use crate::check::analysis::flow::{Flow, Taint};
use crate::check::analysis::index::FnInfo;
use crate::check::analysis::syntax::{call_path, compact, str_lit};
use crate::check::analysis::tools::ToolInfo;
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "path-traversal";

const FS_CALLS: &[&str] = &[
    "read_to_string",
    "read",
    "write",
    "remove_file",
    "remove_dir",
    "remove_dir_all",
    "create_dir",
    "create_dir_all",
    "read_dir",
    "copy",
    "rename",
    "metadata",
    "symlink_metadata",
    "read_link",
    "hard_link",
];

/// Is `p` a file-system call: `std::fs::read`, `tokio::fs::write`, `File::open`...
fn fs_call(p: &str) -> bool {
    let segs: Vec<&str> = p.split("::").collect();
    let Some(last) = segs.last() else {
        return false;
    };
    let parent = if segs.len() >= 2 {
        segs[segs.len() - 2]
    } else {
        ""
    };
    (parent == "fs" && FS_CALLS.contains(last))
        || (parent == "File" && (*last == "open" || *last == "create"))
}

/// Prefix checks that do not confine, in every shipped function.
pub fn prefix_checks(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, f) in a.index.fns.iter().enumerate() {
        let mut v = Prefix {
            block: f.block,
            found: Vec::new(),
        };
        v.visit_block(f.block);
        for (span, message) in v.found {
            let mut fd = finding(
                ID,
                Severity::Fail,
                message,
                at(&f.file.path, span),
                "open files through a `cap_std::fs::Dir` for the root; otherwise canonicalize, refuse on error, and compare components of canonical paths",
            );
            fd.tool = a.tool_of(i);
            out.push(fd);
        }
    }
    out
}

struct Prefix<'b> {
    block: &'b syn::Block,
    found: Vec<(proc_macro2::Span, String)>,
}

impl Prefix<'_> {
    /// The initialiser text of `let <name> = ...` in this function.
    fn init_of(&self, name: &str) -> Option<String> {
        let mut v = LetInit { name, init: None };
        v.visit_block(self.block);
        v.init
    }
}

impl<'ast> Visit<'ast> for Prefix<'_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = m.method.to_string();
        if method == "starts_with"
            && m.args.len() == 1
            && str_lit(&m.args[0]).is_none()
            && !matches!(&m.args[0], syn::Expr::Lit(_))
        {
            let recv = compact(&m.receiver);
            let arg = compact(&m.args[0]);
            let parent_refused = parent_dir_refused(self.block);
            let stringly = |t: &str| {
                t.contains("to_string_lossy()")
                    || t.contains(".to_str()")
                    || t.contains(".display()")
            };
            if stringly(&recv) || stringly(&arg) {
                self.found.push((
                    m.method.span(),
                    "path confinement by string prefix: `/root_evil` passes for `/root`, and `..` or symlinks are never resolved".into(),
                ));
            } else {
                let init = match &*m.receiver {
                    syn::Expr::Path(p) => p
                        .path
                        .get_ident()
                        .and_then(|id| self.init_of(&id.to_string())),
                    other => Some(compact(other)),
                };
                if !parent_refused
                    && init
                        .as_deref()
                        .is_some_and(|t| t.contains(".join(") && !t.contains("canonicalize"))
                {
                    self.found.push((
                        m.method.span(),
                        "`Path::starts_with` on a joined path that was never canonicalised: `..` components and symlinks pass the check".into(),
                    ));
                }
            }
        }
        if (method == "unwrap_or" || method == "unwrap_or_else" || method == "unwrap_or_default")
            && compact(&m.receiver).ends_with("canonicalize()")
            && !parent_dir_refused(self.block)
            && fallback_decides(self.block, m)
        {
            self.found.push((
                m.method.span(),
                "a failed `canonicalize` falls back to the unresolved path".into(),
            ));
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// The function refuses `..` components before it resolves anything: a `Component::ParentDir`
/// test or a `contains("..")` refusal. Then the unresolved path cannot climb out.
fn parent_dir_refused(block: &syn::Block) -> bool {
    let text = compact(block);
    text.contains("ParentDir") || text.contains(".contains(\"..\")")
}

/// Does the result of this canonicalize fallback reach an access decision (a prefix or
/// equality comparison) or a file operation? A fallback that only builds a key (a dedup set)
/// decides nothing.
fn fallback_decides(block: &syn::Block, fallback: &syn::ExprMethodCall) -> bool {
    let start = fallback.span().start();
    let mut b = BoundTo { start, name: None };
    b.visit_block(block);
    let Some(name) = b.name else {
        // Used in place: judged by the expression around it, which is not tracked here.
        return true;
    };
    let mut u = Decides {
        name: &name,
        found: false,
    };
    u.visit_block(block);
    u.found
}

/// The name a `let` binds to the expression starting at `start`.
struct BoundTo {
    start: proc_macro2::LineColumn,
    name: Option<String>,
}

impl<'ast> Visit<'ast> for BoundTo {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init
            && init.expr.span().start() == self.start
        {
            self.name = crate::check::analysis::syntax::pat_idents(&l.pat)
                .into_iter()
                .next();
        }
        syn::visit::visit_local(self, l);
    }
}

struct Decides<'n> {
    name: &'n str,
    found: bool,
}

impl Decides<'_> {
    fn mentions(&self, e: &syn::Expr) -> bool {
        crate::check::analysis::syntax::idents_in(e)
            .iter()
            .any(|(n, _, _)| n == self.name)
    }
}

impl<'ast> Visit<'ast> for Decides<'_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = m.method.to_string();
        let decision = matches!(
            method.as_str(),
            "starts_with"
                | "strip_prefix"
                | "ends_with"
                | "open"
                | "read_dir"
                | "is_file"
                | "is_dir"
        );
        if decision && (self.mentions(&m.receiver) || m.args.iter().any(|a| self.mentions(a))) {
            self.found = true;
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| fs_call(&p)) && c.args.iter().any(|a| self.mentions(a)) {
            self.found = true;
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        if matches!(b.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_))
            && (self.mentions(&b.left) || self.mentions(&b.right))
        {
            self.found = true;
        }
        syn::visit::visit_expr_binary(self, b);
    }
}

struct LetInit<'n> {
    name: &'n str,
    init: Option<String>,
}

impl<'ast> Visit<'ast> for LetInit<'_> {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let (Some(init), true) = (
            &l.init,
            crate::check::analysis::syntax::pat_idents(&l.pat)
                .iter()
                .any(|n| n == self.name),
        ) {
            self.init = Some(compact(&init.expr));
        }
        syn::visit::visit_local(self, l);
    }
}

/// Model values reaching `std::fs`/`tokio::fs`/`File::open` with no confinement of that value
/// on the way (no prefix or component check, no canonicalize, no `..` refusal).
pub fn unconfined_fs(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    unconfined(
        a,
        |flow, func| {
            let mut v = Sinks {
                taint: &flow.taint,
                index: &a.index,
                file: &func.file.path,
                found: Vec::new(),
            };
            v.visit_block(func.block);
            v.found
        },
        |param, sink, source| {
            format!(
                "parameter `{param}` of {source} reaches `{sink}` without confinement to an allowed root"
            )
        },
        "open files through a `cap_std::fs::Dir` for the allowed root, which refuses `..`, absolute paths and symlinks out",
    )
}

/// Every sink `visit` finds in a function on a model value's flow, for a value that nothing
/// on that tool's flows confines: one finding each, with the flow as labels.
fn unconfined(
    a: &Analysis<'_>,
    visit: impl Fn(&Flow, &FnInfo<'_>) -> Vec<(proc_macro2::Span, String, String)>,
    message: impl Fn(&str, &str, &str) -> String,
    help: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (tool, flows) in a.flow_groups() {
        let confined = confined_values(a, &flows);
        for flow in flows {
            let func = &a.index.fns[flow.func];
            for (span, what, param) in visit(flow, func) {
                if confined.contains(&param) {
                    continue;
                }
                let mut f = finding(
                    ID,
                    Severity::Fail,
                    message(&param, &what, &source_name(a, tool)),
                    at(&func.file.path, span),
                    help,
                );
                f.labels = flow_labels(flow, &param);
                f.tool = known_tool(a, tool);
                out.push(f);
            }
        }
    }
    dedup_by_line(out)
}

/// Options whose value a program reads as a path (`--manifest-path`, `--config`, `-C`).
fn path_option(flag: &str) -> bool {
    let name = flag.trim_start_matches('-');
    let last = name.rsplit(['-', '_']).next().unwrap_or(name);
    flag.starts_with('-')
        && (matches!(last, "path" | "dir" | "file" | "directory" | "root")
            || matches!(name, "config" | "manifest" | "C"))
}

/// Model values given to a child process as a path (`.arg("--manifest-path").arg(v)`,
/// `.current_dir(v)`) with no confinement: the child reads or edits files anywhere.
pub fn child_path_unconfined(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    unconfined(
        a,
        |flow, func| {
            if !func.file.text.contains("Command") {
                return Vec::new();
            }
            let mut v = ChildPaths {
                taint: &flow.taint,
                found: Vec::new(),
            };
            v.visit_block(func.block);
            v.found
        },
        |param, how, source| {
            format!(
                "parameter `{param}` of {source} is given to a child process as a path ({how}) without confinement to an allowed root"
            )
        },
        "resolve the path against the allowed root, refuse `..` and absolute paths, canonicalize and compare components before passing it on",
    )
}

struct ChildPaths<'t> {
    taint: &'t Taint,
    found: Vec<(proc_macro2::Span, String, String)>,
}

impl<'ast> Visit<'ast> for ChildPaths<'_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if m.method == "arg"
            && m.args.len() == 1
            && let syn::Expr::MethodCall(prev) = &*m.receiver
            && prev.method == "arg"
            && let Some((flag, _)) = prev.args.first().and_then(str_lit)
            && path_option(&flag)
            && let Some(param) = self.taint.of(&m.args[0])
        {
            self.found
                .push((m.args[0].span(), format!("`{flag}`"), param));
        }
        if m.method == "current_dir"
            && let Some(param) = m.args.first().and_then(|a| self.taint.of(a))
        {
            self.found
                .push((m.method.span(), "`current_dir`".into(), param));
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// How findings name where a value came from.
fn source_name(a: &Analysis<'_>, tool: &ToolInfo) -> String {
    if known_tool(a, tool).is_some() {
        format!("tool `{}`", tool.name)
    } else {
        format!("the tool call handled by `{}`", tool.name)
    }
}

fn known_tool(a: &Analysis<'_>, tool: &ToolInfo) -> Option<String> {
    a.tools
        .iter()
        .any(|t| t.location == tool.location)
        .then(|| tool.name.clone())
}

/// The model values some function on the way confines: compared by prefix with a root
/// (`starts_with(root)`, `strip_prefix(root)`), canonicalized, or split into components
/// (a `..` refusal). A literal prefix (`starts_with('-')`) confines nothing.
fn confined_values(a: &Analysis<'_>, flows: &[&Flow]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for flow in flows {
        let mut v = Confines {
            taint: &flow.taint,
            out: &mut out,
        };
        v.visit_block(a.index.fns[flow.func].block);
    }
    out
}

struct Confines<'t, 'o> {
    taint: &'t Taint,
    out: &'o mut BTreeSet<String>,
}

impl<'ast> Visit<'ast> for Confines<'_, '_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = m.method.to_string();
        let root_arg = m
            .args
            .first()
            .is_some_and(|a| str_lit(a).is_none() && !matches!(a, syn::Expr::Lit(_)));
        let confining = match method.as_str() {
            "starts_with" | "strip_prefix" => root_arg,
            "canonicalize" | "components" => true,
            _ => false,
        };
        if confining && let Some(l) = self.taint.of(&m.receiver) {
            self.out.insert(l);
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| p.ends_with("canonicalize"))
            && let Some(l) = c.args.first().and_then(|a| self.taint.of(a))
        {
            self.out.insert(l);
        }
        syn::visit::visit_expr_call(self, c);
    }
}

struct Sinks<'t, 'i, 'a> {
    taint: &'t Taint,
    index: &'i crate::check::analysis::index::Index<'a>,
    file: &'i std::path::Path,
    found: Vec<(proc_macro2::Span, String, String)>,
}

impl<'ast> Visit<'ast> for Sinks<'_, '_, '_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        // By the path the call resolves to: `use std::fs::read_to_string;` then a bare call.
        if let Some(p) = call_path(c)
            .map(|p| self.index.resolve_in(self.file, &p))
            .filter(|p| fs_call(p))
        {
            // Both ends of a copy, rename or link are paths; elsewhere the first argument.
            let two_paths = ["copy", "rename", "hard_link"]
                .iter()
                .any(|n| p.ends_with(&format!("::{n}")));
            let args = if two_paths { c.args.len() } else { 1 };
            if let Some(param) = c.args.iter().take(args).find_map(|a| self.taint.of(a)) {
                self.found.push((c.func.span(), p, param));
            }
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if m.method == "open"
            && compact(&m.receiver).contains("OpenOptions")
            && let Some(param) = m.args.first().and_then(|a| self.taint.of(a))
        {
            self.found
                .push((m.method.span(), "OpenOptions::open".into(), param));
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}
