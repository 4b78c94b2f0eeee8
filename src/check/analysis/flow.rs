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

/// Methods that look a key up in a container: `tools.get(name)` is a configured value.
const LOOKUPS: &[&str] = &[
    "get",
    "get_mut",
    "get_key_value",
    "contains_key",
    "contains",
];

/// Methods whose arguments build the error of the failure path (`.context(format!("{name}"))`,
/// `.ok_or(..)`): the value that flows on past `?` or `unwrap` is the receiver's.
const ERROR_ARGS: &[&str] = &[
    "context",
    "with_context",
    "ok_or",
    "ok_or_else",
    "expect",
    "map_err",
    "wrap_err",
    "wrap_err_with",
];

/// Marks a binding holding the whole parameter struct: `args.path` names parameter `path`.
pub const WHOLE: &str = "*";

/// Tainted local names and the tool parameter each one carries.
#[derive(Debug, Clone, Default)]
pub struct Taint {
    pub vars: BTreeMap<String, String>,
    /// Bindings of which only one field is a model value: `request.arguments` of a hand-written
    /// `call_tool`, keyed by (binding, field).
    pub fields: BTreeMap<(String, String), String>,
    /// The struct type of a binding, when known: a method called on it is that type's.
    pub types: BTreeMap<String, String>,
    /// Binding sites of local names by (name, position), with the label each binds (`None`: a
    /// value that is not the model's). A use is judged by the nearest site before it, so a name
    /// reused for a constant (`for flag in fixed_flags`) does not inherit another site's taint.
    pub sites: BTreeMap<(String, (usize, usize)), Option<String>>,
    /// For a crate function name, the argument positions its result can carry; a name not
    /// listed carries every argument ([`Index::carriers`]).
    pub opaque: std::sync::Arc<BTreeMap<String, Vec<usize>>>,
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

    /// Like [`Taint::of`], but a bare binding holding the whole parameter struct stays whole,
    /// so the callee that receives it still names fields (`self.path` names `path`).
    pub fn carry(&self, expr: &syn::Expr) -> Option<String> {
        match expr {
            syn::Expr::Reference(r) => self.carry(&r.expr),
            syn::Expr::Paren(p) => self.carry(&p.expr),
            syn::Expr::Path(p) => {
                let id = p.path.get_ident()?.to_string();
                match self.vars.get(&id) {
                    Some(l) if l == WHOLE => Some(WHOLE.to_string()),
                    _ => self.of(expr),
                }
            }
            _ => self.of(expr),
        }
    }

    /// Does `expr` name a model value anywhere, even where the value does not flow out (the
    /// key of a lookup, an `if` condition)?
    pub fn mentions(&self, expr: &syn::Expr) -> bool {
        idents_in(expr).iter().any(|(name, field, _)| {
            self.vars.contains_key(name)
                || field
                    .as_ref()
                    .is_some_and(|f| self.fields.contains_key(&(name.clone(), f.clone())))
        })
    }

    /// The label of the nearest binding site of `name` before `use_at`, when one exists.
    fn site_before(&self, name: &str, use_at: proc_macro2::Span) -> Option<Option<String>> {
        let at = use_at.start();
        let key = (at.line, at.column);
        self.sites
            .range((name.to_string(), (0, 0))..(name.to_string(), key))
            .next_back()
            .map(|(_, l)| l.clone())
    }

    fn label(&self, name: &str, field: Option<&str>) -> Option<String> {
        let Some(label) = self.vars.get(name) else {
            return self
                .fields
                .get(&(name.to_string(), field?.to_string()))
                .cloned();
        };
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
            // A lookup by a model-given key yields the container's value, not the key: only
            // the container can carry the parameter.
            syn::Expr::MethodCall(m) if LOOKUPS.contains(&m.method.to_string().as_str()) => {
                self.visit_expr(&m.receiver)
            }
            syn::Expr::MethodCall(m) if ERROR_ARGS.contains(&m.method.to_string().as_str()) => {
                self.visit_expr(&m.receiver)
            }
            syn::Expr::Index(i) if self.taint.of(&i.expr).is_none() => {}
            syn::Expr::Call(c)
                if let Some(carried) = super::syntax::call_path(c)
                    .and_then(|p| p.rsplit("::").next().map(str::to_string))
                    .and_then(|n| self.taint.opaque.get(&n)) =>
            {
                for (i, a) in c.args.iter().enumerate() {
                    if carried.contains(&i) {
                        self.visit_expr(a);
                    }
                }
            }
            syn::Expr::Closure(_) => {}
            syn::Expr::Field(f) if !simple_base(&f.base) => self.visit_expr(&f.base),
            syn::Expr::Path(_) | syn::Expr::Field(_) | syn::Expr::Macro(_) => {
                for (name, field, span) in idents_in(e) {
                    if let Some(site) = self.taint.site_before(&name, span) {
                        if let Some(l) = site {
                            self.found = Some(if l == WHOLE { field.unwrap_or(name) } else { l });
                            return;
                        }
                        continue;
                    }
                    if let Some(l) = self.taint.label(&name, field.as_deref()) {
                        self.found = Some(l);
                        return;
                    }
                }
            }
            _ => syn::visit::visit_expr(self, e),
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let mut exprs = super::syntax::macro_exprs(mac);
        if let Some((_, args)) = super::syntax::format_args(mac) {
            exprs.extend(args.into_iter().map(|a| a.expr));
        }
        for (name, field, _) in exprs.iter().flat_map(idents_in) {
            if let Some(l) = self.taint.label(&name, field.as_deref()) {
                self.found = Some(l);
                return;
            }
        }
    }
}

/// A field base [`idents_in`] names directly: `args` or `params.0`.
fn simple_base(base: &syn::Expr) -> bool {
    match base {
        syn::Expr::Path(p) => p.path.get_ident().is_some(),
        syn::Expr::Field(inner) => {
            matches!(inner.member, syn::Member::Unnamed(ref i) if i.index == 0)
                && matches!(&*inner.base, syn::Expr::Path(p) if p.path.get_ident().is_some())
        }
        _ => false,
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

/// Every function body reached from `func`, where `initial` holds the model values.
pub fn follow_from(
    index: &Index<'_>,
    tool: &ToolInfo,
    func: usize,
    initial: Taint,
    out: &mut Vec<Flow>,
) {
    follow(index, tool, func, initial, Vec::new(), 0, out);
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
    // A body already followed for this tool with these values adds nothing; reached again
    // with another parameter (`validate_path(input)`, then `validate_path(target)`), it is
    // followed again so what it does to that parameter is seen too.
    if out
        .iter()
        .filter(|f| f.tool.name == tool.name && f.func == func)
        .any(|f| covers(&f.taint, &initial))
        || out.len() > 10_000
    {
        return;
    }
    let f = &index.fns[func];
    let mut initial = initial;
    initial.opaque = index.carriers.clone();
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
        let (args, span, receiver): (Vec<&syn::Expr>, proc_macro2::Span, _) = match &call {
            syn::Expr::Call(c) => (c.args.iter().collect(), c.func.span(), None),
            syn::Expr::MethodCall(m) => (
                m.args.iter().collect(),
                m.method.span(),
                taint.carry(&m.receiver),
            ),
            _ => continue,
        };
        let tainted: Vec<(usize, String)> = args
            .iter()
            .enumerate()
            .filter_map(|(i, a)| taint.carry(a).map(|l| (i, l)))
            .collect();
        if tainted.is_empty() && receiver.is_none() {
            continue;
        }
        // A method on a binding of known type is that type's, not every method so named.
        let typed = match &call {
            syn::Expr::MethodCall(m) => match &*m.receiver {
                syn::Expr::Path(p) => p
                    .path
                    .get_ident()
                    .and_then(|id| taint.types.get(&id.to_string())),
                _ => None,
            },
            _ => None,
        };
        for callee in index.resolve_call(&call, f) {
            let g = &index.fns[callee];
            if typed.is_some_and(|t| g.self_ty.as_ref() != Some(t)) {
                continue;
            }
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
            // A method called on a model value: its `self` is that value.
            if let Some(label) = receiver.as_ref().filter(|_| g.has_receiver) {
                next.vars.insert("self".to_string(), label.clone());
                if let Some(t) = &g.self_ty {
                    next.types.insert("self".to_string(), t.clone());
                }
            }
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

/// Does `seen` already hold every model value of `initial`, under the same labels?
fn covers(seen: &Taint, initial: &Taint) -> bool {
    initial
        .vars
        .iter()
        .all(|(k, l)| seen.vars.get(k) == Some(l))
        && initial
            .fields
            .iter()
            .all(|(k, l)| seen.fields.get(k) == Some(l))
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

/// The key a model value is read under, `command` in `args.get("command")`, `args["command"]`
/// or `arguments.and_then(|a| a.get("command"))`: the value is that argument of the tool.
pub(super) fn json_key(e: &syn::Expr) -> Option<String> {
    let key = |k: &syn::Expr| super::syntax::str_lit(k).map(|(s, _)| s);
    match e {
        syn::Expr::Reference(r) => json_key(&r.expr),
        syn::Expr::Paren(p) => json_key(&p.expr),
        syn::Expr::Try(t) => json_key(&t.expr),
        syn::Expr::Await(a) => json_key(&a.base),
        syn::Expr::Index(i) => key(&i.index).or_else(|| json_key(&i.expr)),
        syn::Expr::MethodCall(m) if m.method == "get" && m.args.len() == 1 => {
            key(&m.args[0]).or_else(|| json_key(&m.receiver))
        }
        syn::Expr::MethodCall(m) => {
            let inner = m.args.iter().find_map(|a| match a {
                syn::Expr::Closure(c) => json_key(&c.body),
                _ => None,
            });
            json_key(&m.receiver).or(inner)
        }
        _ => None,
    }
}

/// `serde_json::from_value(arguments)`, `from_str`, `from_slice`, `T::deserialize(..)`, through
/// `?`, `.map_err(..)` and the like.
fn deserialises(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Try(t) => deserialises(&t.expr),
        syn::Expr::Paren(p) => deserialises(&p.expr),
        syn::Expr::MethodCall(m) => {
            m.method == "deserialize" || (m.method != "get" && deserialises(&m.receiver))
        }
        syn::Expr::Call(c) => super::syntax::call_path(c).is_some_and(|p| {
            let last = p.rsplit("::").next().unwrap_or_default();
            matches!(
                last,
                "from_value" | "from_str" | "from_slice" | "deserialize"
            )
        }),
        _ => false,
    }
}

impl Propagate<'_> {
    fn bind(&mut self, pat: &syn::Pat, from: &syn::Expr) {
        let label = self.taint.of(from).map(|l| {
            if deserialises(from) {
                // A request struct read from the arguments: its fields are the parameters.
                WHOLE.to_string()
            } else {
                json_key(from).unwrap_or(l)
            }
        });
        let at = pat.span().start();
        for name in pat_idents(pat) {
            // Every binding site, tainted or not: a later use sees the nearest one before it.
            let site = self
                .taint
                .sites
                .entry((name.clone(), (at.line, at.column)))
                .or_default();
            if site.is_none() {
                *site = label.clone();
            }
            if let Some(label) = &label {
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
                // `values.push(x)`: the collection now holds a model value.
                if matches!(
                    m.method.to_string().as_str(),
                    "push" | "push_str" | "extend" | "insert" | "append" | "push_back"
                ) && let syn::Expr::Path(p) = &*m.receiver
                    && let Some(id) = p.path.get_ident()
                    && let Some(label) = m.args.iter().find_map(|a| self.taint.of(a))
                {
                    self.taint.vars.entry(id.to_string()).or_insert(label);
                }
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

/// For each crate function name, the argument positions whose values its result can carry.
/// A lookup such as `fn find<'a>(allowed: &'a [Program], name: &str) -> Option<&'a Program>`
/// returns an element of `allowed`, never `name`; a function returning only `&'static str`
/// carries none. Positions of functions sharing a name are merged.
pub fn carriers(index: &Index<'_>) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for f in &index.fns {
        let params: Vec<&syn::PatType> = f
            .sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                syn::FnArg::Typed(t) => Some(t),
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        let output = super::syntax::compact(&f.sig.output);
        let carried: Vec<usize> = if output.contains("&'staticstr") && !output.contains("String") {
            Vec::new()
        } else if matches!(f.sig.output, syn::ReturnType::Default) {
            (0..params.len()).collect()
        } else {
            carried_positions(f, &params)
        };
        let entry = out.entry(f.name.clone()).or_default();
        for p in carried {
            if !entry.contains(&p) {
                entry.push(p);
            }
        }
    }
    out
}

/// The positions of `params` that reach a `return` or the tail expression of `f`, each
/// judged on its own (a binding holds one label, so two sources cannot share one run).
fn carried_positions(f: &FnInfo<'_>, params: &[&syn::PatType]) -> Vec<usize> {
    let mut r = Returns(Vec::new());
    r.visit_block(f.block);
    if let Some(syn::Stmt::Expr(tail, None)) = f.block.stmts.last() {
        r.0.push(tail.clone());
    }
    if r.0.is_empty() || params.len() > 6 {
        return (0..params.len()).collect();
    }
    (0..params.len())
        .filter(|&i| {
            let mut initial = Taint::default();
            for name in pat_idents(&params[i].pat) {
                initial.vars.insert(name.clone(), name);
            }
            let taint = propagate(f, initial);
            r.0.iter().any(|e| taint.of(e).is_some())
        })
        .collect()
}

/// The `return` expressions of a body, closures left out.
struct Returns(Vec<syn::Expr>);

impl<'ast> Visit<'ast> for Returns {
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        if let Some(e) = &r.expr {
            self.0.push((**e).clone());
        }
        syn::visit::visit_expr_return(self, r);
    }

    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
}
