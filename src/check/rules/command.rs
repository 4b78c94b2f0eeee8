//! command-injection: a shell given non-constant text, a model-chosen program, and model
//! values passed as arguments where they can become options. Sinks are matched by resolved
//! path (`use tokio::process::Command as Cmd`), guards by what the code does.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, dedup_by_line, finding, flow_labels};
use crate::check::analysis::effects::SHELLS;
use crate::check::analysis::flow::{Flow, Taint};
use crate::check::analysis::guards::{Checked, checked};
use crate::check::analysis::imports::is_process_new;
use crate::check::analysis::index::{FnInfo, Index};
use crate::check::analysis::syntax::{call_path, is_constant, str_lit};
use crate::check::analysis::tools::ToolInfo;
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "command-injection";

/// Flags that make a shell run its next argument as a command line.
const SHELL_FLAGS: &[&str] = &["-c", "/C", "/c", "-Command"];

/// What one function does with processes, read once.
#[derive(Default)]
struct Spawning {
    /// `Command::new(<program>)` calls: the program expression.
    programs: Vec<syn::Expr>,
    /// `.arg(x)` / `.args(x)`: the argument, and whether it is the value of an option
    /// written just before it (`.arg("--package").arg(x)`).
    args: Vec<(syn::Expr, bool)>,
    /// Positions of a `"--"` argument (line, column).
    separators: Vec<(usize, usize)>,
    /// A shell program with its command-line flag.
    shell: Option<String>,
    /// The function takes or declares a process `Command` by type.
    typed: bool,
}

impl Spawning {
    fn of(index: &Index<'_>, f: &FnInfo<'_>) -> Self {
        let mut v = SpawnVisitor {
            index,
            file: &f.file.path,
            out: Spawning::default(),
            flags: false,
        };
        v.visit_signature(f.sig);
        v.visit_block(f.block);
        let mut out = v.out;
        if !v.flags {
            out.shell = None;
        }
        out
    }

    fn spawns(&self) -> bool {
        !self.programs.is_empty() || self.typed
    }

    fn separated_before(&self, span: proc_macro2::Span) -> bool {
        let at = (span.start().line, span.start().column);
        self.separators.iter().any(|s| *s < at)
    }
}

struct SpawnVisitor<'i, 'a> {
    index: &'i Index<'a>,
    file: &'i std::path::Path,
    out: Spawning,
    flags: bool,
}

impl SpawnVisitor<'_, '_> {
    fn literal_arg(&mut self, e: &syn::Expr) {
        let Some((s, span)) = str_lit(e) else { return };
        if s == "--" {
            self.out
                .separators
                .push((span.start().line, span.start().column));
        }
        if SHELL_FLAGS.contains(&s.as_str()) {
            self.flags = true;
        }
    }
}

impl<'ast> Visit<'ast> for SpawnVisitor<'_, '_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Some(p) = call_path(c)
            && is_process_new(&self.index.resolve_in(self.file, &p))
            && let Some(program) = c.args.first()
        {
            if let Some((s, _)) = str_lit(program)
                && SHELLS.contains(&s.as_str())
            {
                self.out.shell = Some(s);
            }
            self.out.programs.push(program.clone());
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if (m.method == "arg" || m.method == "args") && m.args.len() == 1 {
            let arg = &m.args[0];
            match arg {
                syn::Expr::Array(a) => a.elems.iter().for_each(|e| self.literal_arg(e)),
                syn::Expr::Reference(r) => {
                    if let syn::Expr::Array(a) = &*r.expr {
                        a.elems.iter().for_each(|e| self.literal_arg(e));
                    }
                }
                e => self.literal_arg(e),
            }
            let is_flag = |e: &syn::Expr| {
                str_lit(e).is_some_and(|(s, _)| s.starts_with('-') && s != "--" && !s.contains('='))
            };
            let elems = match arg {
                syn::Expr::Array(a) => Some(&a.elems),
                syn::Expr::Reference(r) => match &*r.expr {
                    syn::Expr::Array(a) => Some(&a.elems),
                    _ => None,
                },
                _ => None,
            };
            if let Some(elems) = elems {
                // `.args(["commit", "-m", message])`: an element right after a flag is its value.
                let elems: Vec<&syn::Expr> = elems.iter().collect();
                for (i, e) in elems.iter().enumerate() {
                    let option_value = i > 0 && is_flag(elems[i - 1]);
                    self.out.args.push(((*e).clone(), option_value));
                }
            } else {
                let option_value = matches!(&*m.receiver, syn::Expr::MethodCall(prev)
                    if prev.method == "arg" && prev.args.len() == 1 && is_flag(&prev.args[0]));
                self.out.args.push((arg.clone(), option_value));
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_type_path(&mut self, t: &'ast syn::TypePath) {
        let p = crate::check::analysis::syntax::path_text(&t.path);
        if is_process_new(&format!("{}::new", self.index.resolve_in(self.file, &p))) {
            self.out.typed = true;
        }
        syn::visit::visit_type_path(self, t);
    }
}

/// `Command::new("sh").arg("-c").arg(<non-constant>)` anywhere in shipped code.
pub fn shell_with_text(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, f) in a.index.fns.iter().enumerate() {
        if !f.file.text.contains("Command") {
            continue;
        }
        let spawning = Spawning::of(&a.index, f);
        let Some(shell) = &spawning.shell else {
            continue;
        };
        let flow = a.flows.iter().chain(&a.model_flows).find(|fl| fl.func == i);
        let taint = flow.map(|fl| fl.taint.clone()).unwrap_or_default();
        for (arg, _) in spawning.args.iter().filter(|(e, _)| !is_constant(e)) {
            let from = taint.of(arg);
            let param = from
                .as_ref()
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
                    "non-constant text{param} is run by `{shell} -c`{who}: shell metacharacters run extra commands"
                ),
                at(&f.file.path, arg.span()),
                "run the program directly with `Command::new(program).arg(\"--\").arg(value)`; never build a shell command line",
            );
            if let (Some(fl), Some(p)) = (flow, from) {
                fd.labels = flow_labels(fl, &p);
            }
            fd.tool = tool;
            out.push(fd);
        }
    }
    dedup_by_line(out)
}

/// How the findings name where a value came from: the tool, or the dispatch that took it.
fn source_name(a: &Analysis<'_>, tool: &ToolInfo) -> String {
    if a.tools.iter().any(|t| t.location == tool.location) {
        format!("tool `{}`", tool.name)
    } else {
        format!("the tool call handled by `{}`", tool.name)
    }
}

/// The guards of every function on a tool's way, merged: a check in the tool protects the
/// value in the helper it calls.
fn group_checks(a: &Analysis<'_>, flows: &[&Flow]) -> Checked {
    let mut all = Checked::default();
    for flow in flows {
        let f = &a.index.fns[flow.func];
        all.extend(checked(f.block, &flow.taint, &f.file.ast));
    }
    all
}

/// One model value reaching a process: as its program or as an argument.
struct Sink<'f> {
    flow: &'f Flow,
    span: proc_macro2::Span,
    label: String,
}

fn tainted<'e>(taint: &Taint, e: &'e syn::Expr) -> Option<(String, &'e syn::Expr)> {
    taint.of(e).map(|l| (l, e))
}

/// `Command::new(<model value>)` where the value is not checked against a constant set.
pub fn user_controlled_program(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (tool, flows) in a.flow_groups() {
        let checks = group_checks(a, &flows);
        for flow in &flows {
            let f = &a.index.fns[flow.func];
            if !f.file.text.contains("Command") {
                continue;
            }
            let spawning = Spawning::of(&a.index, f);
            let sinks = spawning
                .programs
                .iter()
                .filter(|p| str_lit(p).is_none())
                .filter_map(|p| tainted(&flow.taint, p))
                .filter(|(l, _)| !checks.in_constant_set.contains(l))
                .map(|(label, e)| Sink {
                    flow,
                    span: e.span(),
                    label,
                });
            for s in sinks {
                out.push(sink_finding(
                    a,
                    &s,
                    format!(
                        "parameter `{}` of {} chooses the program `Command::new` runs",
                        s.label,
                        source_name(a, tool)
                    ),
                    "map the request to a program from a fixed allow-list; never run a caller-supplied program name",
                ));
            }
        }
    }
    dedup_by_line(out)
}

/// Model values passed as arguments with no `--` before them, no leading-dash refusal and no
/// check against a constant set: a value starting with `-` becomes an option.
pub fn argv_option_injection(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (tool, flows) in a.flow_groups() {
        let checks = group_checks(a, &flows);
        for flow in &flows {
            let f = &a.index.fns[flow.func];
            if !f.file.text.contains("Command") {
                continue;
            }
            let spawning = Spawning::of(&a.index, f);
            if !spawning.spawns() || spawning.shell.is_some() {
                continue;
            }
            for (arg, option_value) in &spawning.args {
                let Some(label) = flow.taint.of(arg) else {
                    continue;
                };
                if *option_value
                    || fixed_start(arg)
                    || spawning.separated_before(arg.span())
                    || checks.leading_dash.contains(&label)
                    || checks.in_constant_set.contains(&label)
                {
                    continue;
                }
                let s = Sink {
                    flow,
                    span: arg.span(),
                    label,
                };
                out.push(sink_finding(
                    a,
                    &s,
                    format!(
                        "parameter `{}` of {} is passed to the command with no `--` before it: a value starting with `-` becomes an option",
                        s.label,
                        source_name(a, tool)
                    ),
                    "add `.arg(\"--\")` before caller values and refuse values starting with `-`",
                ));
            }
        }
    }
    dedup_by_line(out)
}

/// `format!("+{toolchain}")`, `format!("--features={x}")`: the text starts with our own
/// characters, so the value cannot become an option of its own.
fn fixed_start(arg: &syn::Expr) -> bool {
    let arg = match arg {
        syn::Expr::Reference(r) => &*r.expr,
        e => e,
    };
    let syn::Expr::Macro(m) = arg else {
        return false;
    };
    crate::check::analysis::syntax::format_args(&m.mac).is_some_and(|(lit, _)| {
        let text = lit.value();
        let prefix = text.split('{').next().unwrap_or_default();
        // `-{x}` lets the value name the option; `--opt={x}` does not.
        !prefix.is_empty() && (!prefix.starts_with('-') || prefix.contains('='))
    })
}

fn sink_finding(a: &Analysis<'_>, s: &Sink<'_>, message: String, help: &str) -> Finding {
    let f = &a.index.fns[s.flow.func];
    let mut fd = finding(ID, Severity::Fail, message, at(&f.file.path, s.span), help);
    fd.labels = flow_labels(s.flow, &s.label);
    fd.tool = a
        .tools
        .iter()
        .any(|t| t.location == s.flow.tool.location)
        .then(|| s.flow.tool.name.clone());
    fd
}
