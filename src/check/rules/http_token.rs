//! http-exposure / token-passthrough: the client's credential copied into a request to
//! another service. The MCP specification forbids it: the token was issued for this server.
//!
//! Within one function, a value taken from the incoming request's `Authorization` header (a
//! lookup by that name, an `Authorization<…>` extractor, or a request extension whose type
//! holds an `Authorization<…>`) is put into an outgoing request (`bearer_auth`, an
//! `Authorization` header set or inserted, `typed_insert`). The finding is placed where the
//! server's own code calls that function, with the copy as a label.

use std::collections::BTreeSet;

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, finding, label};
use crate::check::analysis::syntax::{compact, idents_in, macro_exprs, pat_idents, str_lit};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "http-exposure";

pub fn token_passthrough(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut copies: Vec<(usize, proc_macro2::Span)> = Vec::new();
    for (i, f) in a.index.fns.iter().enumerate() {
        if !f.file.text.contains("uthorization") && !f.file.text.contains("AUTHORIZATION") {
            continue;
        }
        let mut v = Passthrough {
            a,
            tokens: BTreeSet::new(),
            copies: Vec::new(),
        };
        for input in &f.sig.inputs {
            if let syn::FnArg::Typed(t) = input
                && compact(&t.ty).contains("Authorization<")
            {
                v.tokens.extend(pat_idents(&t.pat));
            }
        }
        v.visit_block(f.block);
        copies.extend(v.copies.into_iter().map(|s| (i, s)));
    }
    if copies.is_empty() {
        return Vec::new();
    }
    let funcs: BTreeSet<usize> = copies.iter().map(|(i, _)| *i).collect();
    let mut out = Vec::new();
    for (i, span) in copies {
        let f = &a.index.fns[i];
        let copy = label(
            &f.file.path,
            span,
            "the client's credential is copied into the outgoing request here",
        );
        let callers: Vec<usize> = (0..a.index.fns.len())
            .filter(|&c| !funcs.contains(&c) && a.index.callees(c).contains(&i))
            .collect();
        let message = format!(
            "the client's `Authorization` credential is passed through to another service (`{}` copies it into an outgoing request): the token was issued for this server",
            f.name
        );
        let help = "call upstream services with the server's own credentials; never forward the client's token";
        // Where the server's code calls the copying function; a route handler is only
        // referenced, so its finding stays at the copy.
        let sites: Vec<_> = callers
            .into_iter()
            .filter_map(|c| call_site(a, c, i).map(|s| (c, s)))
            .collect();
        if sites.is_empty() {
            out.push(finding(
                ID,
                Severity::Fail,
                message,
                at(&f.file.path, span),
                help,
            ));
            continue;
        }
        for (c, call) in sites {
            let caller = &a.index.fns[c];
            let mut found = finding(
                ID,
                Severity::Fail,
                message.clone(),
                at(&caller.file.path, call),
                help,
            );
            found.labels.push(copy.clone());
            out.push(found);
        }
    }
    out
}

/// Where function `caller` calls function `callee`.
fn call_site(a: &Analysis<'_>, caller: usize, callee: usize) -> Option<proc_macro2::Span> {
    struct Site<'x, 'a> {
        a: &'x Analysis<'a>,
        caller: usize,
        callee: usize,
        found: Option<proc_macro2::Span>,
    }
    impl<'ast> Visit<'ast> for Site<'_, '_> {
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            if self.found.is_none()
                && matches!(e, syn::Expr::Call(_) | syn::Expr::MethodCall(_))
                && self
                    .a
                    .index
                    .resolve_call(e, &self.a.index.fns[self.caller])
                    .contains(&self.callee)
            {
                self.found = Some(e.span());
            }
            syn::visit::visit_expr(self, e);
        }
    }
    let mut v = Site {
        a,
        caller,
        callee,
        found: None,
    };
    v.visit_block(a.index.fns[caller].block);
    v.found
}

/// Bindings that hold the client's credential, and where one is put into a request.
struct Passthrough<'x, 'a> {
    a: &'x Analysis<'a>,
    tokens: BTreeSet<String>,
    copies: Vec<proc_macro2::Span>,
}

impl Passthrough<'_, '_> {
    /// An expression that reads the incoming credential.
    fn reads_credential(&self, e: &syn::Expr) -> bool {
        struct Reads<'y, 'x, 'a>(&'y Passthrough<'x, 'a>, bool);
        impl<'ast> Visit<'ast> for Reads<'_, '_, '_> {
            fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
                let method = m.method.to_string();
                let turbofish = m
                    .turbofish
                    .as_ref()
                    .map(|t| compact(&t.args))
                    .unwrap_or_default();
                if (method == "get" || method == "typed_get")
                    && (turbofish.starts_with("Authorization<")
                        || self.0.holds_authorization(&turbofish))
                {
                    self.1 = true;
                }
                if method == "get" && m.args.first().is_some_and(is_authorization_key) {
                    self.1 = true;
                }
                syn::visit::visit_expr_method_call(self, m);
            }
        }
        let mut r = Reads(self, false);
        r.visit_expr(e);
        r.1
    }

    /// A crate struct with an `Authorization<…>` field (a validated-token wrapper).
    fn holds_authorization(&self, ty: &str) -> bool {
        let name = ty
            .split('<')
            .next()
            .unwrap_or(ty)
            .rsplit("::")
            .next()
            .unwrap_or(ty);
        self.a.index.struct_named(name).is_some_and(|s| {
            s.item
                .fields
                .iter()
                .any(|f| compact(&f.ty).contains("Authorization<"))
        })
    }

    fn mentions_token(&self, e: &syn::Expr) -> bool {
        idents_in(e)
            .iter()
            .any(|(name, _, _)| self.tokens.contains(name))
    }
}

/// `AUTHORIZATION` (any header module) or the literal `"authorization"`.
fn is_authorization_key(e: &syn::Expr) -> bool {
    let e = match e {
        syn::Expr::Reference(r) => &*r.expr,
        other => other,
    };
    if let Some((s, _)) = str_lit(e) {
        return s.eq_ignore_ascii_case("authorization");
    }
    matches!(e, syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "AUTHORIZATION"))
}

impl<'ast> Visit<'ast> for Passthrough<'_, '_> {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init
            && (self.reads_credential(&init.expr) || self.mentions_token(&init.expr))
        {
            self.tokens.extend(pat_idents(&l.pat));
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        if self.reads_credential(&l.expr) || self.mentions_token(&l.expr) {
            self.tokens.extend(pat_idents(&l.pat));
        }
        syn::visit::visit_expr_let(self, l);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let args: Vec<&syn::Expr> = m.args.iter().collect();
        let copied = match (m.method.to_string().as_str(), args.as_slice()) {
            ("bearer_auth" | "typed_insert", [v]) => self.mentions_token(v),
            ("header" | "insert" | "append", [k, v]) => {
                is_authorization_key(k) && (self.mentions_token(v) || self.reads_credential(v))
            }
            _ => false,
        };
        if copied {
            self.copies.push(m.method.span());
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}
