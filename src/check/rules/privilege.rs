//! excessive-privilege: capabilities the server holds beyond what its tools need.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{ALLOW_LIST_MARKERS, Analysis, at, finding, flow_labels, line_start};
use crate::check::analysis::effects::{effects, read_only_database};
use crate::check::analysis::syntax::{call_path, str_lit};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "excessive-privilege";

/// Tools that reach `std::fs`/`tokio::fs` with a caller path: ambient authority over every
/// file the OS user can reach, instead of a handle on the allowed root.
pub fn fs_unconfined(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for flow in &a.flows {
        let func = &a.index.fns[flow.func];
        let mut v = AmbientFs {
            taint: &flow.taint,
            found: Vec::new(),
        };
        v.visit_block(func.block);
        // One finding per function: the first call, with every call named.
        let Some((span, _, param)) = v.found.first().cloned() else {
            continue;
        };
        let mut calls: Vec<String> = v.found.iter().map(|(_, c, _)| format!("`{c}`")).collect();
        calls.dedup();
        let mut f = finding(
            ID,
            Severity::Warn,
            format!(
                "tool `{}` opens files through {} with ambient authority (parameter `{param}`)",
                flow.tool.name,
                calls.join(", ")
            ),
            at(&func.file.path, span),
            "hold a `cap_std::fs::Dir` per allowed root and open files only through it",
        );
        f.labels = flow_labels(flow, &param);
        f.tool = Some(flow.tool.name.clone());
        out.push(f);
    }
    out
}

struct AmbientFs<'t> {
    taint: &'t crate::check::analysis::flow::Taint,
    found: Vec<(proc_macro2::Span, String, String)>,
}

impl<'ast> Visit<'ast> for AmbientFs<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Some(p) = call_path(c)
            && (p.contains("fs::") || p.starts_with("File::") || p.contains("::File::"))
            && let Some(param) = c.args.first().and_then(|a| self.taint.of(a))
        {
            self.found.push((c.func.span(), p, param));
        }
        syn::visit::visit_expr_call(self, c);
    }
}

/// `Command::new(<not a literal>)` in a tool with no allow-list on the way.
pub fn program_not_allow_listed(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for tool in &a.tools {
        let flows = a.flows_of(tool);
        let listed = a.flows_mention(&flows, ALLOW_LIST_MARKERS);
        if listed {
            continue;
        }
        for flow in flows {
            let func = &a.index.fns[flow.func];
            let mut v = Programs(Vec::new());
            v.visit_block(func.block);
            for span in v.0 {
                let mut f = finding(
                    ID,
                    Severity::Warn,
                    format!(
                        "tool `{}` starts a program whose name is not fixed in the code or an allow-list",
                        tool.name
                    ),
                    at(&func.file.path, span),
                    "name the programs in a fixed allow-list and map each request to one of them",
                );
                f.tool = Some(tool.name.clone());
                out.push(f);
            }
        }
    }
    out
}

struct Programs(Vec<proc_macro2::Span>);

impl<'ast> Visit<'ast> for Programs {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| p.ends_with("Command::new"))
            && c.args.first().is_some_and(|a| {
                str_lit(a).is_none() && !crate::check::analysis::syntax::is_constant(a)
            })
        {
            self.0.push(c.span());
        }
        syn::visit::visit_expr_call(self, c);
    }
}

/// A SQLite database opened read-write although no tool writes to it.
pub fn sqlite_opened_writable(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    if read_only_database(ctx) || !crate::check::analysis::index::depends_on(ctx, "rusqlite") {
        return Vec::new();
    }
    if a.tools.is_empty() {
        return Vec::new();
    }
    let writes = a.flows.iter().any(|f| {
        let func = &a.index.fns[f.func];
        effects(
            func.block,
            &crate::check::analysis::flow::Taint::default(),
            true,
            a.imports_of(&func.file.path),
        )
        .iter()
        .any(|e| e.kind.changes_database())
    });
    if writes {
        return Vec::new();
    }
    let mut out = Vec::new();
    for f in &a.index.fns {
        let mut v = Opens(Vec::new());
        v.visit_block(f.block);
        for span in v.0 {
            out.push(finding(
                ID,
                Severity::Warn,
                "the database is opened read-write, but no tool writes to it".into(),
                at(&f.file.path, span),
                "open it with `OpenFlags::SQLITE_OPEN_READ_ONLY` (and `PRAGMA query_only`)",
            ));
        }
    }
    out
}

struct Opens(Vec<proc_macro2::Span>);

impl<'ast> Visit<'ast> for Opens {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| {
            p.ends_with("Connection::open") || p.ends_with("Connection::open_in_memory")
        }) {
            self.0.push(c.func.span());
        }
        syn::visit::visit_expr_call(self, c);
    }
}

/// A shipped config file that switches on writing, deleting or shell access.
pub fn dangerous_switch_on(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in &ctx.data_files {
        let name = file
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if crate::check::analysis::index::is_excluded_in(ctx, &file.path)
            || name == "Cargo.toml"
            || name.ends_with(".lock")
        {
            continue;
        }
        for (n, line) in file.text.lines().enumerate() {
            let t = line.trim();
            if t.starts_with('#') || t.starts_with("//") {
                continue;
            }
            let Some((key, value)) = t.split_once(['=', ':']) else {
                continue;
            };
            let key = key.trim().trim_matches('"');
            let value = value.trim().trim_end_matches(',').trim_matches('"');
            if value == "true" && super::config::is_dangerous_switch(key) {
                out.push(finding(
                    ID,
                    Severity::Warn,
                    format!("{} switches on `{key}`", file.path.display()),
                    line_start(&file.path, n + 1),
                    "ship dangerous switches off; turn them on per deployment, deliberately",
                ));
            }
        }
    }
    out
}
