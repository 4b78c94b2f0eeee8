//! hardcoded-secret, in comparisons: a credential checked against a literal (`password ==
//! "admin"`), and a secret compared with `==`, whose running time tells how much matched.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, finding};
use crate::check::analysis::syntax::str_lit;
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "hardcoded-secret";

/// The words a credential's name ends with: `password`, `api_key`, `bearer_token`.
fn credential_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let words: Vec<&str> = n.split('_').filter(|w| !w.is_empty()).collect();
    let Some(last) = words.last() else {
        return false;
    };
    let before = words.len().checked_sub(2).map(|i| words[i]);
    match *last {
        "token" | "password" | "passwd" | "secret" | "apikey" | "credential" | "credentials"
        | "passphrase" | "pat" => true,
        "key" => matches!(
            before,
            Some("api" | "auth" | "access" | "secret" | "private")
        ),
        _ => false,
    }
}

/// The name an expression reads: `form.password` gives `password`, `&self.api_key` gives
/// `api_key`, through `.as_str()`, `&`, `*` and `Some(..)`.
fn read_name(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => Some(n.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::Reference(r) => read_name(&r.expr),
        syn::Expr::Paren(p) => read_name(&p.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => read_name(&u.expr),
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "as_str" | "as_bytes" | "as_ref" | "as_deref" | "trim" | "expose_secret"
                ) =>
        {
            read_name(&m.receiver)
        }
        _ => None,
    }
}

/// A literal that stands for a credential: not empty, not an option (`-o`), not an auth
/// scheme or a JSON word.
fn credential_literal(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && !t.starts_with('-')
        && !t.contains(char::is_whitespace)
        && !matches!(
            t.to_ascii_lowercase().as_str(),
            "bearer" | "basic" | "none" | "null" | "undefined" | "true" | "false"
        )
        && t.chars().filter(|c| c.is_alphanumeric()).count() >= 3
}

/// Names of a pair that track one value over time (`old_token != new_token`): a change
/// check, not an authentication.
fn same_role_pair(a: &str, b: &str) -> bool {
    let moment = |n: &str| {
        [
            "old", "new", "fresh", "sent", "prev", "previous", "current", "cached", "last",
        ]
        .iter()
        .any(|p| n.to_ascii_lowercase().starts_with(&format!("{p}_")))
    };
    moment(a) || moment(b)
}

/// One `==`/`!=` between a credential and something else.
struct Compare {
    span: proc_macro2::Span,
    name: String,
    /// The other side's literal, or its name when it is a value.
    other: Result<String, Option<String>>,
}

struct Compares(Vec<Compare>);

impl Compares {
    fn pair(&mut self, span: proc_macro2::Span, l: &syn::Expr, r: &syn::Expr) {
        for (a, b) in [(l, r), (r, l)] {
            let Some(name) = read_name(a).filter(|n| credential_name(n)) else {
                continue;
            };
            let other = match str_lit(b) {
                Some((text, _)) => Ok(text),
                None => Err(read_name(b)),
            };
            self.0.push(Compare { span, name, other });
            return;
        }
    }
}

impl<'ast> Visit<'ast> for Compares {
    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        if matches!(b.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_)) {
            self.pair(b.op.span(), &b.left, &b.right);
        }
        syn::visit::visit_expr_binary(self, b);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if (m.method == "eq" || m.method == "ne") && m.args.len() == 1 {
            self.pair(m.method.span(), &m.receiver, &m.args[0]);
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in crate::check::analysis::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

fn compares(a: &Analysis<'_>) -> Vec<(usize, Compare)> {
    let mut out = Vec::new();
    for (i, f) in a.index.fns.iter().enumerate() {
        let mut v = Compares(Vec::new());
        v.visit_block(f.block);
        out.extend(v.0.into_iter().map(|c| (i, c)));
    }
    out
}

/// `password != "admin"`, `token == "demo-token"`: whoever reads the code can log in.
pub fn credential_literal_compared(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    compares(a)
        .into_iter()
        .filter(|(_, c)| matches!(&c.other, Ok(text) if credential_literal(text)))
        .map(|(i, c)| {
            let f = &a.index.fns[i];
            let mut fd = finding(
                ID,
                Severity::Fail,
                format!(
                    "`{}` is checked against a literal: the accepted credential is written in the code",
                    c.name
                ),
                at(&f.file.path, c.span),
                "compare with a secret read from the environment or a hashed credential store, never a literal",
            );
            fd.tool = a.tool_of(i);
            fd
        })
        .collect()
}

/// `token == expected_token`: `==` stops at the first differing byte, so response times tell
/// an attacker how much of a guess was right.
pub fn secret_compared_non_constant_time(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    compares(a)
        .into_iter()
        .filter(|(_, c)| match &c.other {
            Err(Some(other)) => {
                (credential_name(other) || other.to_ascii_lowercase().starts_with("expected"))
                    && !same_role_pair(&c.name, other)
            }
            _ => false,
        })
        .map(|(i, c)| {
            let f = &a.index.fns[i];
            let mut fd = finding(
                ID,
                Severity::Warn,
                format!(
                    "`{}` is compared with `==`, which takes longer the more bytes match",
                    c.name
                ),
                at(&f.file.path, c.span),
                "compare secrets in constant time (`subtle::ConstantTimeEq`, `constant_time_eq`), or compare hashes of them",
            );
            fd.tool = a.tool_of(i);
            fd
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names_end_with_the_secret_noun() {
        for n in [
            "password",
            "api_key",
            "bearer_token",
            "expected_token",
            "SECRET",
        ] {
            assert!(credential_name(n), "{n}");
        }
        for n in [
            "token_audience",
            "token_id",
            "tokens",
            "key",
            "password_hash_len",
            "max_tokens",
        ] {
            assert!(!credential_name(n), "{n}");
        }
    }

    #[test]
    fn credential_literals() {
        assert!(credential_literal("admin"));
        assert!(credential_literal("demo-token"));
        for t in ["", "-o", "Bearer", "a b", "()"] {
            assert!(!credential_literal(t), "{t}");
        }
    }
}
