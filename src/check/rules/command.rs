//! command-injection: a shell given non-constant text, a caller-chosen program, and caller
//! values passed as arguments where they can become options.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{ALLOW_LIST_MARKERS, Analysis, at, dedup_by_line, finding, flow_labels};
use crate::check::analysis::effects::SHELLS;
use crate::check::analysis::flow::Taint;
use crate::check::analysis::syntax::{call_path, compact, is_constant, str_lit};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "command-injection";

/// `Command::new("sh").arg("-c").arg(<non-constant>)` anywhere in shipped code.
pub fn shell_with_text(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    // Token text is costly: only for files that start processes at all, each searched once.
    let mut spawns: std::collections::HashMap<&std::path::Path, bool> =
        std::collections::HashMap::new();
    for (i, f) in a.index.fns.iter().enumerate() {
        let file = f.file;
        if !*spawns
            .entry(file.path.as_path())
            .or_insert_with(|| file.text.contains("Command::new"))
        {
            continue;
        }
        let text = compact(f.block);
        let Some(shell) = SHELLS
            .iter()
            .find(|s| text.contains(&format!("Command::new(\"{s}\")")))
        else {
            continue;
        };
        if !["\"-c\"", "\"/C\"", "\"/c\"", "\"-Command\""]
            .iter()
            .any(|flag| text.contains(&format!(".arg({flag})")))
        {
            continue;
        }
        let mut v = Args { found: Vec::new() };
        v.visit_block(f.block);
        let flow = a.flows.iter().find(|fl| fl.func == i);
        let taint = flow.map(|fl| fl.taint.clone()).unwrap_or_default();
        for (span, arg) in v.found.into_iter().filter(|(_, e)| !is_constant(e)) {
            let from = taint
                .of(&arg)
                .map(|p| format!(" (parameter `{p}`)"))
                .unwrap_or_default();
            let tool = a.tool_of(i);
            let who = tool
                .as_ref()
                .map(|t| format!(" in tool `{t}`"))
                .unwrap_or_default();
            let mut fd = finding(
                ID,
                Severity::Fail,
                format!(
                    "non-constant text{from} is run by `{shell} -c`{who}: shell metacharacters run extra commands"
                ),
                at(&f.file.path, span),
                "run the program directly with `Command::new(program).arg(\"--\").arg(value)`; never build a shell command line",
            );
            if let (Some(fl), Some(p)) = (flow, taint.of(&arg)) {
                fd.labels = flow_labels(fl, &p);
            }
            fd.tool = tool;
            out.push(fd);
        }
    }
    dedup_by_line(out)
}

struct Args {
    found: Vec<(proc_macro2::Span, syn::Expr)>,
}

impl<'ast> Visit<'ast> for Args {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if (m.method == "arg" || m.method == "args") && m.args.len() == 1 {
            self.found.push((m.args[0].span(), m.args[0].clone()));
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// `Command::new(<tool parameter>)` without an allow-list, and tool parameters passed as
/// arguments with no `--` before them and no leading-dash refusal.
pub fn program_and_options(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for tool in &a.tools {
        let flows = a.flows_of(tool);
        let dash_checked = a.flows_mention(&flows, &["starts_with('-')", "starts_with(\"-\")"]);
        let allow_listed = a.flows_mention(&flows, ALLOW_LIST_MARKERS);
        for flow in &flows {
            let func = &a.index.fns[flow.func];
            let text = compact(func.block);
            if SHELLS
                .iter()
                .any(|s| text.contains(&format!("Command::new(\"{s}\")")))
            {
                continue;
            }
            let separated = text.contains(".arg(\"--\")")
                || text.contains("[\"--\"")
                || text.contains("\"--\",");
            let mut v = Uses {
                taint: &flow.taint,
                programs: Vec::new(),
                args: Vec::new(),
            };
            v.visit_block(func.block);
            for (span, param) in v.programs {
                if allow_listed {
                    continue;
                }
                out.push(tool_finding(
                    flow_labels(flow, &param),
                    tool.name.clone(),
                    format!("parameter `{param}` of tool `{}` chooses the program `Command::new` runs", tool.name),
                    at(&func.file.path, span),
                    "map the request to a program from a fixed allow-list; never run a caller-supplied program name",
                ));
            }
            if separated || dash_checked || !text.contains("Command::new") {
                continue;
            }
            for (span, param) in v.args {
                out.push(tool_finding(
                    flow_labels(flow, &param),
                    tool.name.clone(),
                    format!("parameter `{param}` of tool `{}` is passed to the command with no `--` before it: a value starting with `-` becomes an option", tool.name),
                    at(&func.file.path, span),
                    "add `.arg(\"--\")` before caller values and refuse values starting with `-`",
                ));
            }
        }
    }
    out
}

fn tool_finding(
    labels: Vec<crate::finding::Label>,
    tool: String,
    message: String,
    location: crate::finding::Location,
    help: &str,
) -> Finding {
    let mut f = finding(ID, Severity::Fail, message, location, help);
    f.labels = labels;
    f.tool = Some(tool);
    f
}

struct Uses<'t> {
    taint: &'t Taint,
    programs: Vec<(proc_macro2::Span, String)>,
    args: Vec<(proc_macro2::Span, String)>,
}

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| p.ends_with("Command::new"))
            && let Some(arg) = c.args.first().filter(|a| str_lit(a).is_none())
            && let Some(param) = self.taint.of(arg)
        {
            self.programs.push((arg.span(), param));
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if (m.method == "arg" || m.method == "args")
            && m.args.len() == 1
            && let Some(param) = self.taint.of(&m.args[0])
        {
            self.args.push((m.args[0].span(), param));
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}
