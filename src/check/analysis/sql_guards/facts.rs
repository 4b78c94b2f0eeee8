//! What one function body says about its names: how each gets its value, and which a guard
//! refuses unless made of identifier characters.

use std::collections::{BTreeMap, BTreeSet};

use syn::visit::Visit;

use super::super::guard_shapes::{
    Test, asserted, diverges, is_charset_regex, matches_literal_set, test_of,
};
use super::super::index::FnInfo;
use super::super::syntax::{call_path, format_args, macro_exprs, macro_name, pat_idents};
use super::call_arg_exprs;

/// How a local name gets its value.
#[derive(Clone)]
pub(super) enum Def {
    Safe,
    Unsafe,
    Value(syn::Expr),
    /// `&mut name` passed as argument `arg` of `call`: the callee may push into it.
    MutArg(syn::Expr, usize),
}

/// What a function body says about its names.
#[derive(Default)]
pub(super) struct Facts {
    pub(super) defs: BTreeMap<String, Vec<Def>>,
    /// Names a guard refuses unless they are made of identifier characters.
    pub(super) guarded: BTreeSet<String>,
    /// Names a diverging branch refuses unless a validator accepted them: (call, argument).
    pub(super) validated_by: Vec<(syn::Expr, usize)>,
    /// `if !is_valid(&x) { return .. }`: a bool-returning check, (call, argument).
    pub(super) checked_by: Vec<(syn::Expr, usize)>,
}

/// The name a guard can vouch for: `x`, `x.field`, through `&`, `.as_str()` and the like.
pub(super) fn key_of(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Paren(p) => key_of(&p.expr),
        syn::Expr::Group(g) => key_of(&g.expr),
        syn::Expr::Reference(r) => key_of(&r.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => key_of(&u.expr),
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "as_str"
                        | "as_ref"
                        | "as_deref"
                        | "to_string"
                        | "to_owned"
                        | "clone"
                        | "as_bytes"
                ) =>
        {
            key_of(&m.receiver)
        }
        syn::Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        syn::Expr::Field(f) => {
            let base = key_of(&f.base)?;
            match &f.member {
                syn::Member::Named(n) => Some(format!("{base}.{n}")),
                syn::Member::Unnamed(i) => Some(format!("{base}.{}", i.index)),
            }
        }
        _ => None,
    }
}

/// Names of `static`/`const` items and locals of the function's file initialised from a
/// charset regular expression (`Regex::new("^[a-z_]+$")`, also inside `LazyLock`).
pub(super) fn charset_regexes(f: &FnInfo<'_>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let charset = |tokens: &proc_macro2::TokenStream| {
        let mut v = Literals(Vec::new());
        if let Ok(e) = syn::parse2::<syn::Expr>(tokens.clone()) {
            v.visit_expr(&e);
        }
        v.0.iter().any(|s| is_charset_regex(s))
    };
    for item in &f.file.ast.items {
        let (name, init) = match item {
            syn::Item::Static(s) => (
                s.ident.to_string(),
                quote::ToTokens::to_token_stream(&s.expr),
            ),
            syn::Item::Const(c) => (
                c.ident.to_string(),
                quote::ToTokens::to_token_stream(&c.expr),
            ),
            _ => continue,
        };
        if charset(&init) {
            out.insert(name);
        }
    }
    for stmt in &f.block.stmts {
        if let syn::Stmt::Local(l) = stmt
            && let Some(init) = &l.init
            && charset(&quote::ToTokens::to_token_stream(&init.expr))
        {
            out.extend(pat_idents(&l.pat));
        }
    }
    out
}

pub(super) struct Literals(Vec<String>);

impl<'ast> Visit<'ast> for Literals {
    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        self.0.push(s.value());
    }
}

pub(super) fn regex_safe(regexes: &BTreeSet<String>) -> impl Fn(&syn::Expr) -> bool + '_ {
    move |recv: &syn::Expr| key_of(recv).is_some_and(|k| regexes.contains(&k))
}

/// Keys a condition refuses unless safe: true only when one of them holds an unsafe value.
pub(super) fn refuse_keys(cond: &syn::Expr, regexes: &BTreeSet<String>) -> Vec<String> {
    if let syn::Expr::Binary(b) = cond
        && matches!(b.op, syn::BinOp::Or(_))
    {
        let mut out = refuse_keys(&b.left, regexes);
        out.extend(refuse_keys(&b.right, regexes));
        return out;
    }
    if let syn::Expr::Paren(p) = cond {
        return refuse_keys(&p.expr, regexes);
    }
    let shape = test_of(cond, &regex_safe(regexes))
        .map(|(v, t)| (v.clone(), t))
        .or_else(|| matches_literal_set(cond));
    match shape {
        Some((v, Test::Unsafe)) => key_of(&v).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Keys a condition accepts only when safe: true only when all of them hold safe values.
pub(super) fn accept_keys(cond: &syn::Expr, regexes: &BTreeSet<String>) -> Vec<String> {
    if let syn::Expr::Binary(b) = cond
        && matches!(b.op, syn::BinOp::And(_))
    {
        let mut out = accept_keys(&b.left, regexes);
        out.extend(accept_keys(&b.right, regexes));
        return out;
    }
    if let syn::Expr::Paren(p) = cond {
        return accept_keys(&p.expr, regexes);
    }
    let shape = test_of(cond, &regex_safe(regexes))
        .map(|(v, t)| (v.clone(), t))
        .or_else(|| matches_literal_set(cond));
    match shape {
        Some((v, Test::Safe)) => key_of(&v).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// The call inside `f(x).map_err(..)?`-like wrappers.
pub(super) fn unwrap_call(e: &syn::Expr) -> Option<&syn::Expr> {
    match e {
        syn::Expr::Call(_) => Some(e),
        syn::Expr::Paren(p) => unwrap_call(&p.expr),
        syn::Expr::Await(a) => unwrap_call(&a.base),
        syn::Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "map_err" | "context" | "with_context" | "ok_or" | "ok_or_else"
            ) =>
        {
            unwrap_call(&m.receiver)
        }
        syn::Expr::MethodCall(_) => Some(e),
        _ => None,
    }
}

pub(super) struct Collect<'f> {
    pub(super) facts: &'f mut Facts,
    pub(super) regexes: &'f BTreeSet<String>,
}

impl Collect<'_> {
    fn def(&mut self, key: Option<String>, d: Def) {
        if let Some(k) = key {
            self.facts.defs.entry(k).or_default().push(d);
        }
    }

    fn pattern(&mut self, pat: &syn::Pat, from: &syn::Expr) {
        for n in pat_idents(pat) {
            self.def(Some(n), Def::Value(from.clone()));
        }
    }

    /// A call whose `Err` leaves the function: its validator vouches for the arguments.
    fn validating(&mut self, call: &syn::Expr) {
        if let Some(c) = unwrap_call(call) {
            for k in 0..call_arg_exprs(c).len() {
                self.facts.validated_by.push((c.clone(), k));
            }
        }
    }

    fn mut_args(&mut self, call: &syn::Expr, args: Vec<&syn::Expr>, known: bool) {
        for (k, a) in args.into_iter().enumerate() {
            if let syn::Expr::Reference(r) = a
                && r.mutability.is_some()
            {
                let d = if known {
                    Def::MutArg(call.clone(), k)
                } else {
                    Def::Unsafe
                };
                self.def(key_of(&r.expr), d);
            }
        }
    }
}

const GROWS: &[&str] = &[
    "push",
    "push_str",
    "extend",
    "insert",
    "append",
    "push_back",
    "push_front",
    "extend_from_slice",
];

impl<'ast> Visit<'ast> for Collect<'_> {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            self.pattern(&l.pat, &init.expr);
            if let Some((_, els)) = &init.diverge
                && let syn::Expr::Block(b) = &**els
                && diverges(&b.block)
            {
                self.validating(&init.expr);
            }
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        match e {
            syn::Expr::Assign(a) => self.def(key_of(&a.left), Def::Value((*a.right).clone())),
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::AddAssign(_)) => {
                self.def(key_of(&b.left), Def::Value((*b.right).clone()))
            }
            syn::Expr::MethodCall(m) => {
                if GROWS.contains(&m.method.to_string().as_str()) {
                    for a in &m.args {
                        self.def(key_of(&m.receiver), Def::Value(a.clone()));
                    }
                }
                // Same-crate methods are followed; others may write anything.
                let known = matches!(&*m.receiver, syn::Expr::Path(p) if p.path.is_ident("self"));
                self.mut_args(e, m.args.iter().collect(), known);
            }
            syn::Expr::Call(c) => self.mut_args(e, c.args.iter().collect(), true),
            syn::Expr::ForLoop(f) => self.pattern(&f.pat, &f.expr),
            syn::Expr::Let(l) => self.pattern(&l.pat, &l.expr),
            syn::Expr::Match(m) => {
                for arm in &m.arms {
                    self.pattern(&arm.pat, &m.expr);
                }
            }
            // A closure's parameters reach outer names only through what its body writes; a
            // closure that writes nothing only gives its value, judged where it is used.
            syn::Expr::Closure(c) if writes_outer(&c.body) => {
                for p in &c.inputs {
                    for n in pat_idents(p) {
                        self.def(Some(n), Def::Unsafe);
                    }
                }
            }
            syn::Expr::Try(t) => self.validating(&t.expr),
            syn::Expr::If(i) => {
                let refused = diverges(&i.then_branch);
                let accepted_only = i.else_branch.as_ref().is_some_and(
                    |(_, els)| matches!(&**els, syn::Expr::Block(b) if diverges(&b.block)),
                );
                if refused {
                    let keys = refuse_keys(&i.cond, self.regexes);
                    self.facts.guarded.extend(keys);
                    self.checks(&i.cond, true);
                }
                if accepted_only {
                    let keys = accept_keys(&i.cond, self.regexes);
                    self.facts.guarded.extend(keys);
                    self.checks(&i.cond, false);
                }
            }
            _ => {}
        }
        syn::visit::visit_expr(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = macro_name(mac);
        if let Some(cond) = asserted(mac) {
            let keys = accept_keys(&cond, self.regexes);
            self.facts.guarded.extend(keys);
        }
        if matches!(name.as_str(), "write" | "writeln") {
            let exprs = macro_exprs(mac);
            if let (Some(dest), Some((_, args))) = (exprs.first(), format_args(mac)) {
                for a in args {
                    self.def(key_of(dest), Def::Value(a.expr));
                }
            }
        }
        for e in macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

impl Collect<'_> {
    /// `if !is_valid(&x) { return .. }` / `if validate(&x).is_err() { return .. }`.
    fn checks(&mut self, cond: &syn::Expr, refused: bool) {
        let cond = match cond {
            syn::Expr::Paren(p) => &*p.expr,
            other => other,
        };
        match cond {
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Or(_)) && refused => {
                self.checks(&b.left, refused);
                self.checks(&b.right, refused);
            }
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) && !refused => {
                self.checks(&b.left, refused);
                self.checks(&b.right, refused);
            }
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) && refused => {
                if let syn::Expr::Call(c) = &*u.expr {
                    for k in 0..c.args.len() {
                        self.facts.checked_by.push(((*u.expr).clone(), k));
                    }
                }
            }
            syn::Expr::Call(c) if !refused => {
                for k in 0..c.args.len() {
                    self.facts.checked_by.push((cond.clone(), k));
                }
            }
            syn::Expr::MethodCall(m)
                if (m.method == "is_err" && refused) || (m.method == "is_ok" && !refused) =>
            {
                self.validating(&m.receiver);
            }
            _ => {}
        }
    }
}

/// Whether a closure body assigns or grows a name.
pub(super) fn writes_outer(body: &syn::Expr) -> bool {
    struct W(bool);
    impl<'ast> Visit<'ast> for W {
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            match e {
                syn::Expr::Assign(_) => self.0 = true,
                syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::AddAssign(_)) => self.0 = true,
                syn::Expr::MethodCall(m) if GROWS.contains(&m.method.to_string().as_str()) => {
                    self.0 = true
                }
                syn::Expr::Macro(m)
                    if matches!(macro_name(&m.mac).as_str(), "write" | "writeln") =>
                {
                    self.0 = true
                }
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    let mut w = W(false);
    w.visit_expr(body);
    w.0
}

/// `return e` values of a body, closures and nested items left out.
pub(super) struct Returns(pub(super) Vec<syn::Expr>);

impl<'ast> Visit<'ast> for Returns {
    fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
        if let Some(e) = &r.expr {
            self.0.push((**e).clone());
        }
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Calls of crate functions by name, and functions passed as values.
pub(super) struct Sites<'n> {
    pub(super) names: &'n BTreeSet<&'n str>,
    pub(super) found: Vec<(String, Option<syn::Expr>)>,
}

impl<'ast> Visit<'ast> for Sites<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        match e {
            syn::Expr::Call(c) => {
                if let Some(p) = call_path(c)
                    && let Some(last) = p.rsplit("::").next()
                    && self.names.contains(last)
                {
                    self.found.push((last.to_string(), Some(e.clone())));
                }
                self.references(c.args.iter());
            }
            syn::Expr::MethodCall(m) => {
                let name = m.method.to_string();
                if self.names.contains(name.as_str()) {
                    self.found.push((name, Some(e.clone())));
                }
                self.references(m.args.iter());
            }
            _ => {}
        }
        syn::visit::visit_expr(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in macro_exprs(mac) {
            self.visit_expr(&e);
        }
        if let Some((_, args)) = format_args(mac) {
            for a in &args {
                self.visit_expr(&a.expr);
            }
        }
    }
}

impl Sites<'_> {
    fn references<'e>(&mut self, args: impl Iterator<Item = &'e syn::Expr>) {
        for a in args {
            if let syn::Expr::Path(p) = a
                && let Some(last) = p.path.segments.last()
                && self.names.contains(last.ident.to_string().as_str())
            {
                self.found.push((last.ident.to_string(), None));
            }
        }
    }
}
