//! A small intra-crate taint analysis: from each tool's parameters, through `let` bindings,
//! loops and closures, into the functions of the same crate it calls (by name, two levels).

use std::collections::BTreeMap;

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::index::{FnInfo, Index};
use super::syntax::{idents_in, pat_idents};
use super::tools::ToolInfo;
use crate::check::model::location;
use crate::finding::Label;

/// Marks a binding holding the whole parameter struct: `args.path` names parameter `path`.
pub const WHOLE: &str = "*";

/// Tainted local names and the tool parameter each one carries.
#[derive(Debug, Clone, Default)]
pub struct Taint {
    pub vars: BTreeMap<String, String>,
}

impl Taint {
    /// The tool parameter that `expr` carries, if any. `if` conditions and `match` scrutinees
    /// are not followed: a value chosen by a branch is not the parameter itself.
    pub fn of(&self, expr: &syn::Expr) -> Option<String> {
        let mut v = Carrier {
            taint: self,
            found: None,
        };
        v.visit_expr(expr);
        v.found
    }

    fn label(&self, name: &str, field: Option<&str>) -> Option<String> {
        let label = self.vars.get(name)?;
        Some(if label == WHOLE {
            field.unwrap_or(name).to_string()
        } else {
            label.clone()
        })
    }
}

struct Carrier<'t> {
    taint: &'t Taint,
    found: Option<String>,
}

impl<'ast> Visit<'ast> for Carrier<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if self.found.is_some() {
            return;
        }
        match e {
            syn::Expr::If(i) => {
                self.visit_block(&i.then_branch);
                if let Some((_, els)) = &i.else_branch {
                    self.visit_expr(els);
                }
            }
            syn::Expr::Match(m) => m.arms.iter().for_each(|a| self.visit_expr(&a.body)),
            syn::Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "len" | "is_empty" | "is_some" | "is_none"
                ) => {}
            syn::Expr::Closure(_) => {}
            _ => {
                for (name, field, _) in idents_in(e) {
                    if let Some(l) = self.taint.label(&name, field.as_deref()) {
                        self.found = Some(l);
                        return;
                    }
                }
            }
        }
    }
}

/// One function body reached from a tool, with what is tainted in it.
pub struct Flow {
    pub tool: ToolInfo,
    pub func: usize,
    pub taint: Taint,
    /// The calls that led here from the tool, as labels.
    pub via: Vec<Label>,
}

/// The index of the function implementing `tool`.
pub fn tool_fn(index: &Index<'_>, tool: &ToolInfo) -> Option<usize> {
    index.fns.iter().position(|f| {
        f.file.path == tool.location.file && f.sig.ident.span().start().line == tool.location.line
    })
}

/// Every function body each tool reaches, the tool's own first.
pub fn tool_flows(index: &Index<'_>, tools: &[ToolInfo]) -> Vec<Flow> {
    let mut out = Vec::new();
    for tool in tools {
        let Some(start) = tool_fn(index, tool) else {
            continue;
        };
        let mut initial = Taint::default();
        if let Some(b) = &tool.param_binding {
            initial.vars.insert(b.clone(), WHOLE.to_string());
        }
        follow(index, tool, start, initial, Vec::new(), 0, &mut out);
    }
    out
}

fn follow(
    index: &Index<'_>,
    tool: &ToolInfo,
    func: usize,
    initial: Taint,
    via: Vec<Label>,
    depth: usize,
    out: &mut Vec<Flow>,
) {
    if out
        .iter()
        .filter(|f| f.tool.name == tool.name)
        .any(|f| f.func == func)
        || out.len() > 10_000
    {
        return;
    }
    let f = &index.fns[func];
    let taint = propagate(f, initial);
    out.push(Flow {
        tool: tool.clone(),
        func,
        taint: taint.clone(),
        via: via.clone(),
    });
    if depth >= 2 {
        return;
    }
    let mut calls = Calls::default();
    calls.visit_block(f.block);
    for call in calls.found {
        let (args, span): (Vec<&syn::Expr>, proc_macro2::Span) = match &call {
            syn::Expr::Call(c) => (c.args.iter().collect(), c.func.span()),
            syn::Expr::MethodCall(m) => (m.args.iter().collect(), m.method.span()),
            _ => continue,
        };
        let tainted: Vec<(usize, String)> = args
            .iter()
            .enumerate()
            .filter_map(|(i, a)| taint.of(a).map(|l| (i, l)))
            .collect();
        if tainted.is_empty() {
            continue;
        }
        for callee in index.resolve_call(&call, f) {
            let g = &index.fns[callee];
            let params: Vec<&syn::PatType> = g
                .sig
                .inputs
                .iter()
                .filter_map(|a| match a {
                    syn::FnArg::Typed(t) => Some(t),
                    syn::FnArg::Receiver(_) => None,
                })
                .collect();
            let mut next = Taint::default();
            for (i, label) in &tainted {
                if let Some(p) = params.get(*i) {
                    for name in pat_idents(&p.pat) {
                        next.vars.insert(name, label.clone());
                    }
                }
            }
            if next.vars.is_empty() {
                continue;
            }
            let mut v = via.clone();
            v.push(Label {
                location: location(&f.file.path, span),
                message: format!("passed to `{}` here", g.name),
            });
            follow(index, tool, callee, next, v, depth + 1, out);
        }
    }
}

#[derive(Default)]
struct Calls {
    found: Vec<syn::Expr>,
}

impl<'ast> Visit<'ast> for Calls {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if matches!(e, syn::Expr::Call(_) | syn::Expr::MethodCall(_)) {
            self.found.push(e.clone());
        }
        syn::visit::visit_expr(self, e);
    }
}

/// Spreads taint through `let`, `for`, `if let`, assignments and closure parameters of
/// methods called on tainted values, until nothing changes.
pub fn propagate(f: &FnInfo<'_>, initial: Taint) -> Taint {
    let mut taint = initial;
    for _ in 0..3 {
        let before = taint.vars.len();
        let mut p = Propagate { taint: &mut taint };
        p.visit_block(f.block);
        if taint.vars.len() == before {
            break;
        }
    }
    taint
}

struct Propagate<'t> {
    taint: &'t mut Taint,
}

impl Propagate<'_> {
    fn bind(&mut self, pat: &syn::Pat, from: &syn::Expr) {
        if let Some(label) = self.taint.of(from) {
            for name in pat_idents(pat) {
                self.taint.vars.entry(name).or_insert_with(|| label.clone());
            }
        }
    }
}

impl<'ast> Visit<'ast> for Propagate<'_> {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            self.bind(&l.pat, &init.expr);
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        match e {
            syn::Expr::ForLoop(f) => self.bind(&f.pat, &f.expr),
            syn::Expr::Let(l) => self.bind(&l.pat, &l.expr),
            syn::Expr::Assign(a) => {
                if let syn::Expr::Path(p) = &*a.left
                    && let (Some(id), Some(label)) = (p.path.get_ident(), self.taint.of(&a.right))
                {
                    self.taint.vars.entry(id.to_string()).or_insert(label);
                }
            }
            syn::Expr::MethodCall(m) => {
                if let Some(label) = self.taint.of(&m.receiver) {
                    for a in &m.args {
                        if let syn::Expr::Closure(c) = a {
                            for input in &c.inputs {
                                for name in pat_idents(input) {
                                    self.taint.vars.entry(name).or_insert_with(|| label.clone());
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        syn::visit::visit_expr(self, e);
    }
}
