//! Guards recognised by what the code does, for the model values of one function: membership
//! in a constant set (`["check", "test"].contains(&cmd)`, a `match` on literals), a refusal of
//! leading dashes (`v.starts_with('-')`). Names such as `allowed` mean nothing here.

use std::collections::BTreeSet;

use syn::visit::Visit;

use super::flow::Taint;
use super::syntax::{is_constant, str_lit};

/// What one function checks about the model values it holds, by their labels.
#[derive(Debug, Default, Clone)]
pub struct Checked {
    /// Values compared against a fixed set of literals.
    pub in_constant_set: BTreeSet<String>,
    /// Values tested for a leading `-`.
    pub leading_dash: BTreeSet<String>,
}

impl Checked {
    pub fn extend(&mut self, other: Checked) {
        self.in_constant_set.extend(other.in_constant_set);
        self.leading_dash.extend(other.leading_dash);
    }
}

/// The guards in `block`, for the values `taint` holds; `file` resolves named constant sets.
pub fn checked(block: &syn::Block, taint: &Taint, file: &syn::File) -> Checked {
    let mut v = Guards {
        block,
        file,
        taint,
        out: Checked::default(),
    };
    v.visit_block(block);
    v.out
}

struct Guards<'a> {
    block: &'a syn::Block,
    file: &'a syn::File,
    taint: &'a Taint,
    out: Checked,
}

impl Guards<'_> {
    /// `set` is a literal collection, or names one: a local bound to one, a `const`/`static`.
    fn constant_set(&self, set: &syn::Expr) -> bool {
        match set {
            syn::Expr::Reference(r) => self.constant_set(&r.expr),
            syn::Expr::Paren(p) => self.constant_set(&p.expr),
            syn::Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(
                        m.method.to_string().as_str(),
                        "iter" | "as_slice" | "to_vec"
                    ) =>
            {
                self.constant_set(&m.receiver)
            }
            syn::Expr::Array(a) => !a.elems.is_empty() && a.elems.iter().all(is_constant),
            syn::Expr::Macro(m) if m.mac.path.is_ident("vec") => {
                let items = super::syntax::macro_exprs(&m.mac);
                !items.is_empty() && items.iter().all(is_constant)
            }
            syn::Expr::Path(p) => {
                let Some(id) = p.path.get_ident() else {
                    // `config::ALLOWED`: a constant by its path.
                    return is_constant(set);
                };
                let name = id.to_string();
                local_init(self.block, &name).is_some_and(|init| self.constant_set(&init))
                    || const_item(self.file, &name).is_some_and(|e| self.constant_set(&e))
                    || (is_constant(set) && const_item(self.file, &name).is_none())
            }
            _ => false,
        }
    }
}

impl<'ast> Visit<'ast> for Guards<'_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = m.method.to_string();
        if method == "contains"
            && m.args.len() == 1
            && let Some(label) = self.taint.of(&m.args[0])
            && self.constant_set(&m.receiver)
        {
            self.out.in_constant_set.insert(label);
        }
        if method == "starts_with"
            && m.args.len() == 1
            && is_dash(&m.args[0])
            && let Some(label) = self.taint.of(&m.receiver)
        {
            self.out.leading_dash.insert(label);
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        if let Some(label) = self.taint.of(&m.expr) {
            let literal = |p: &syn::Pat| matches!(p, syn::Pat::Lit(_));
            let mut lits = 0;
            let all = m.arms.iter().all(|a| match &a.pat {
                syn::Pat::Or(o) => o.cases.iter().all(|c| {
                    lits += 1;
                    literal(c)
                }),
                syn::Pat::Wild(_) => true,
                p if literal(p) => {
                    lits += 1;
                    true
                }
                _ => false,
            });
            if all && lits > 0 {
                self.out.in_constant_set.insert(label);
            }
        }
        syn::visit::visit_expr_match(self, m);
    }
}

/// `'-'`, `"-"` or `"--"`.
fn is_dash(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Char(c),
            ..
        }) => c.value() == '-',
        _ => str_lit(e).is_some_and(|(s, _)| s == "-" || s == "--"),
    }
}

/// The initialiser of `let <name> = …` in `block`.
pub fn local_init(block: &syn::Block, name: &str) -> Option<syn::Expr> {
    struct Find<'n>(&'n str, Option<syn::Expr>);
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_local(&mut self, l: &'ast syn::Local) {
            if let Some(init) = &l.init
                && super::syntax::pat_idents(&l.pat)
                    .iter()
                    .any(|n| n == self.0)
            {
                self.1 = Some((*init.expr).clone());
            }
            syn::visit::visit_local(self, l);
        }
    }
    let mut v = Find(name, None);
    v.visit_block(block);
    v.1
}

/// The value of `const NAME` / `static NAME` anywhere in `file`.
fn const_item(file: &syn::File, name: &str) -> Option<syn::Expr> {
    struct Find<'n>(&'n str, Option<syn::Expr>);
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
            if c.ident == self.0 {
                self.1 = Some((*c.expr).clone());
            }
        }
        fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
            if s.ident == self.0 {
                self.1 = Some((*s.expr).clone());
            }
        }
    }
    let mut v = Find(name, None);
    v.visit_file(file);
    v.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(body: &str, vars: &[&str]) -> Checked {
        let file: syn::File = syn::parse_str(&format!(
            "const SAFE: &[&str] = &[\"ls\", \"cat\"]; fn f() {{ {body} }}"
        ))
        .unwrap();
        let syn::Item::Fn(f) = &file.items[1] else {
            panic!()
        };
        let mut taint = Taint::default();
        for v in vars {
            taint.vars.insert(v.to_string(), v.to_string());
        }
        checked(&f.block, &taint, &file)
    }

    #[test]
    fn membership_in_constant_sets_counts() {
        assert!(
            run(
                "let a = [\"x\", \"y\"]; if !a.contains(&p.as_str()) { return; }",
                &["p"]
            )
            .in_constant_set
            .contains("p")
        );
        assert!(
            run("if !SAFE.contains(&p) { return; }", &["p"])
                .in_constant_set
                .contains("p")
        );
        assert!(
            run(
                "match p.as_str() { \"a\" | \"b\" => {}, _ => return }",
                &["p"]
            )
            .in_constant_set
            .contains("p")
        );
    }

    #[test]
    fn words_and_unrelated_matches_do_not() {
        // A set built from the caller's own values, and a `match` on something else.
        assert!(
            run(
                "let allowed = vec![q.clone()]; if allowed.contains(&p) {}",
                &["p", "q"]
            )
            .in_constant_set
            .is_empty()
        );
        assert!(
            run(
                "match mode { Mode::A => {}, _ => {} }; let allowed = 1;",
                &["p"]
            )
            .in_constant_set
            .is_empty()
        );
        assert!(
            run("match p { Some(x) => {}, None => {} }", &["p"])
                .in_constant_set
                .is_empty()
        );
    }

    #[test]
    fn leading_dash_refusal() {
        assert!(
            run("if p.starts_with('-') { return; }", &["p"])
                .leading_dash
                .contains("p")
        );
        assert!(
            run("if q.starts_with('-') { return; }", &["p"])
                .leading_dash
                .is_empty()
        );
    }
}
