//! path-traversal: tool paths reaching the file system unconfined, and confinement checks
//! that do not confine (string prefixes, unresolved paths, canonicalize fallbacks).

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, dedup_by_line, finding, flow_labels};
use crate::check::analysis::flow::Taint;
use crate::check::analysis::syntax::{call_path, compact, str_lit};
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
                if init
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
        {
            self.found.push((
                m.method.span(),
                "a failed `canonicalize` falls back to the unresolved path".into(),
            ));
        }
        syn::visit::visit_expr_method_call(self, m);
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

/// Tool parameters reaching `std::fs`/`tokio::fs`/`File::open` with no confinement at all on
/// the way (no prefix or component check, no canonicalize).
pub fn unconfined_fs(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for tool in &a.tools {
        let flows = a.flows_of(tool);
        let confined = a.flows_mention(
            &flows,
            &[
                ".starts_with(",
                "strip_prefix(",
                "canonicalize",
                "ParentDir",
            ],
        );
        if confined {
            continue;
        }
        for flow in flows {
            let func = &a.index.fns[flow.func];
            let mut v = Sinks {
                taint: &flow.taint,
                found: Vec::new(),
            };
            v.visit_block(func.block);
            for (span, sink, param) in v.found {
                let mut f = finding(
                    ID,
                    Severity::Fail,
                    format!(
                        "parameter `{param}` of tool `{}` reaches `{sink}` without confinement to an allowed root",
                        tool.name
                    ),
                    at(&func.file.path, span),
                    "open files through a `cap_std::fs::Dir` for the allowed root, which refuses `..`, absolute paths and symlinks out",
                );
                f.labels = flow_labels(flow, &param);
                f.tool = Some(tool.name.clone());
                out.push(f);
            }
        }
    }
    dedup_by_line(out)
}

struct Sinks<'t> {
    taint: &'t Taint,
    found: Vec<(proc_macro2::Span, String, String)>,
}

impl<'ast> Visit<'ast> for Sinks<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Some(p) = call_path(c).filter(|p| fs_call(p))
            && let Some(param) = c.args.first().and_then(|a| self.taint.of(a))
        {
            self.found.push((c.func.span(), p, param));
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
