//! Whether an expression's value is safe SQL text, given the names trusted in its function.

use std::collections::BTreeSet;

use super::super::guard_shapes::{diverges, diverging_expr, doubles_quotes};
use super::super::index::FnInfo;
use super::super::syntax::{
    call_path, format_args, is_constant, macro_exprs, macro_name, pat_idents,
};
use super::SqlGuards;
use super::facts::key_of;
use super::registry::{map_name, selected_table};

impl SqlGuards<'_, '_> {
    pub(super) fn block_safe(
        &self,
        func: usize,
        trusted: &BTreeSet<String>,
        b: &syn::Block,
    ) -> bool {
        match b.stmts.last() {
            Some(syn::Stmt::Expr(e, None)) => self.safe(func, trusted, e),
            _ => true,
        }
    }

    pub(super) fn safe(&self, func: usize, trusted: &BTreeSet<String>, e: &syn::Expr) -> bool {
        let left = self.budget.get();
        if left == 0 {
            return false;
        }
        self.budget.set(left - 1);
        match e {
            syn::Expr::Lit(_) | syn::Expr::Range(_) | syn::Expr::Return(_) => true,
            syn::Expr::Continue(_) | syn::Expr::Break(_) => true,
            syn::Expr::Cast(_) => true,
            syn::Expr::Paren(p) => self.safe(func, trusted, &p.expr),
            syn::Expr::Group(g) => self.safe(func, trusted, &g.expr),
            syn::Expr::Reference(r) => self.safe(func, trusted, &r.expr),
            syn::Expr::Try(t) => self.safe(func, trusted, &t.expr),
            syn::Expr::Await(a) => self.safe(func, trusted, &a.base),
            syn::Expr::Index(x) => self.safe(func, trusted, &x.expr),
            syn::Expr::Unary(u) => match u.op {
                syn::UnOp::Deref(_) => self.safe(func, trusted, &u.expr),
                _ => true,
            },
            syn::Expr::Binary(b) => match b.op {
                syn::BinOp::Add(_) => {
                    self.safe(func, trusted, &b.left) && self.safe(func, trusted, &b.right)
                }
                // Comparisons, logic and arithmetic give numbers and booleans.
                _ => true,
            },
            syn::Expr::Path(p) => match p.path.get_ident() {
                Some(id) => {
                    let n = id.to_string();
                    trusted.contains(&n) || matches!(n.as_str(), "None") || is_constant(e)
                }
                // `Kind::Variant`, `consts::NAME`: no local value.
                None => true,
            },
            syn::Expr::Field(f) => {
                key_of(e).is_some_and(|k| {
                    trusted.contains(&k)
                        || k.split_once('.')
                            .is_some_and(|(b, _)| b != "self" && trusted.contains(b))
                }) || self.numeric_field(func, f)
            }
            syn::Expr::Array(a) => a.elems.iter().all(|x| self.safe(func, trusted, x)),
            syn::Expr::Tuple(t) => t.elems.iter().all(|x| self.safe(func, trusted, x)),
            syn::Expr::Block(b) => self.block_safe(func, trusted, &b.block),
            syn::Expr::If(i) => {
                let then =
                    diverges(&i.then_branch) || self.block_safe(func, trusted, &i.then_branch);
                then && i
                    .else_branch
                    .as_ref()
                    .is_none_or(|(_, els)| self.safe(func, trusted, els))
            }
            syn::Expr::Match(m) => m
                .arms
                .iter()
                .all(|a| diverging_expr(&a.body) || self.safe(func, trusted, &a.body)),
            syn::Expr::Macro(m) => self.macro_safe(func, trusted, &m.mac),
            syn::Expr::Call(c) => self.call_safe(func, trusted, e, c),
            syn::Expr::MethodCall(m) => self.method_safe(func, trusted, e, m),
            _ => false,
        }
    }

    pub(super) fn macro_safe(
        &self,
        func: usize,
        trusted: &BTreeSet<String>,
        mac: &syn::Macro,
    ) -> bool {
        match macro_name(mac).as_str() {
            "format" | "format_args" => format_args(mac)
                .is_some_and(|(_, args)| args.iter().all(|a| self.safe(func, trusted, &a.expr))),
            "vec" => macro_exprs(mac).iter().all(|x| self.safe(func, trusted, x)),
            "matches" | "concat" | "stringify" => true,
            _ => false,
        }
    }

    pub(super) fn call_safe(
        &self,
        func: usize,
        trusted: &BTreeSet<String>,
        e: &syn::Expr,
        c: &syn::ExprCall,
    ) -> bool {
        let Some(p) = call_path(c) else {
            return false;
        };
        if p == "Err" {
            return true;
        }
        if let Some(r) = self.calls_safe(func, trusted, e) {
            return r;
        }
        let wraps = [
            "Ok",
            "Some",
            "Box::new",
            "String::from",
            "Cow::from",
            "Cow::Borrowed",
            "Cow::Owned",
            "Rc::new",
            "Arc::new",
        ];
        if wraps
            .iter()
            .any(|w| p == *w || p.ends_with(&format!("::{w}")))
        {
            return c.args.iter().all(|a| self.safe(func, trusted, a));
        }
        // An empty collection or string.
        let empty = ["::new", "::default", "::with_capacity"];
        empty.iter().any(|s| p.ends_with(s)) && c.args.iter().all(|a| self.safe(func, trusted, a))
    }

    pub(super) fn method_safe(
        &self,
        func: usize,
        trusted: &BTreeSet<String>,
        e: &syn::Expr,
        m: &syn::ExprMethodCall,
    ) -> bool {
        let name = m.method.to_string();
        let recv = || self.safe(func, trusted, &m.receiver);
        if doubles_quotes(m) {
            return true;
        }
        match name.as_str() {
            "len" | "count" | "is_empty" | "is_some" | "is_none" | "is_ok" | "is_err"
            | "contains" | "starts_with" | "ends_with" | "eq" | "contains_key" => return true,
            "to_string" | "to_owned" | "clone" | "as_str" | "as_ref" | "as_deref" | "into"
            | "trim" | "trim_start" | "trim_end" | "to_lowercase" | "to_uppercase"
            | "to_ascii_lowercase" | "to_ascii_uppercase" | "unwrap" | "expect"
            | "unwrap_or_default" | "optional" | "ok" | "iter" | "into_iter" | "cloned"
            | "copied" | "collect" | "as_slice" | "borrow" | "ok_or" | "ok_or_else" | "map_err"
            | "context" | "with_context" | "filter" | "rev" | "concat" | "take" | "skip"
            | "chain" | "as_bytes" => return recv(),
            "join" | "unwrap_or" => {
                return recv() && m.args.iter().all(|a| self.safe(func, trusted, a));
            }
            "map" | "filter_map" | "flat_map" | "and_then" => {
                return m
                    .args
                    .first()
                    .is_some_and(|a| self.mapped_safe(func, trusted, recv(), a));
            }
            "query_row" | "query_map" | "query" | "query_one" | "query_opt" => {
                if let Some(table) = m.args.first().and_then(selected_table) {
                    return self.registry_safe(&table);
                }
            }
            // A map of the server's own: an entry is as safe as what was inserted.
            "get" | "get_mut" if m.args.len() == 1 => {
                if let Some(map) = map_name(&m.receiver) {
                    return self.map_safe(&map);
                }
            }
            _ => {}
        }
        self.calls_safe(func, trusted, e).unwrap_or(false)
    }

    /// `param.field` where the parameter's struct declares the field as a number or a bool.
    pub(super) fn numeric_field(&self, func: usize, f: &syn::ExprField) -> bool {
        let (syn::Expr::Path(base), syn::Member::Named(field)) = (&*f.base, &f.member) else {
            return false;
        };
        let Some(base) = base.path.get_ident() else {
            return false;
        };
        let ty = self.index.fns[func]
            .sig
            .inputs
            .iter()
            .find_map(|a| match a {
                syn::FnArg::Typed(t) if pat_idents(&t.pat).iter().any(|n| base == n) => {
                    super::super::syntax::inner_type_name(&t.ty)
                }
                _ => None,
            });
        let Some(s) = ty.and_then(|t| self.index.struct_named(&t)) else {
            return false;
        };
        s.item
            .fields
            .iter()
            .any(|fd| fd.ident.as_ref().is_some_and(|i| i == field) && is_numeric(&fd.ty))
    }

    /// `.map(f)` gives safe items when `f` returns a safe value for the items it gets.
    pub(super) fn mapped_safe(
        &self,
        func: usize,
        trusted: &BTreeSet<String>,
        items_safe: bool,
        f: &syn::Expr,
    ) -> bool {
        match f {
            syn::Expr::Closure(c) => {
                let mut inner = trusted.clone();
                for p in &c.inputs {
                    for n in pat_idents(p) {
                        if items_safe {
                            inner.insert(n);
                        } else {
                            inner.remove(&n);
                        }
                    }
                }
                self.safe(func, &inner, &c.body)
            }
            syn::Expr::Path(_) => {
                let callees = self.index.resolve_call(f, &self.index.fns[func]);
                !callees.is_empty()
                    && callees.iter().all(|&j| {
                        let n = self.params(j).len();
                        self.returns_safe(j, &vec![items_safe; n])
                    })
            }
            _ => false,
        }
    }
}

/// Numbers and booleans render as digits and words: never SQL syntax.
fn is_numeric(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => is_numeric(&r.elem),
        syn::Type::Paren(p) => is_numeric(&p.elem),
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| {
            let n = s.ident.to_string();
            if n == "Option" {
                return match &s.arguments {
                    syn::PathArguments::AngleBracketed(a) => a
                        .args
                        .iter()
                        .any(|g| matches!(g, syn::GenericArgument::Type(t) if is_numeric(t))),
                    _ => false,
                };
            }
            n == "bool"
                || crate::check::analysis::syntax::is_number_type(&n)
                || n.starts_with("NonZero")
        }),
        _ => false,
    }
}

pub(super) fn numeric_params(f: &FnInfo<'_>) -> Vec<bool> {
    f.sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            syn::FnArg::Typed(t) => Some(is_numeric(&t.ty)),
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}
