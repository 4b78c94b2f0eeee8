//! Read-only guards on caller-written SQL, recognised by what they do: a branch that refuses a
//! statement `Statement::readonly()` reports as writing or that a classification names as
//! `ATTACH`/`VACUUM`, an authorizer, the attach limit set to zero; and guards too weak for
//! PostgreSQL: "it parses as a query" (`SELECT pg_read_file(..)` is one) and "it starts with
//! EXPLAIN" (`EXPLAIN ANALYZE` runs the statement).

use std::collections::BTreeMap;

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::guard_shapes::diverges;
use super::index::{Index, dependency, depends_on};
use super::syntax::{call_path, macro_name, path_text};
use crate::check::model::{Context, SourceFile};

/// Whether the crate refuses `ATTACH` and `VACUUM INTO` before running caller SQL on SQLite:
/// an authorizer, the attach limit set to zero, or a refusing branch whose condition (or a
/// same-crate function it calls) covers both.
pub fn refuses_attach_and_vacuum(index: &Index<'_>) -> bool {
    index.fns.iter().any(|f| {
        let mut v = Refusals {
            index,
            caller: f,
            found: false,
        };
        v.visit_block(f.block);
        v.found
    })
}

struct Refusals<'i, 'a> {
    index: &'i Index<'a>,
    caller: &'i super::index::FnInfo<'a>,
    found: bool,
}

impl<'ast> Visit<'ast> for Refusals<'_, '_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        // `conn.authorizer(Some(..))` decides every action, attaching included.
        if m.method == "authorizer" && m.args.len() == 1 {
            self.found = true;
        }
        // `set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)`.
        if m.method == "set_limit"
            && m.args.len() == 2
            && matches!(&m.args[0], syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "SQLITE_LIMIT_ATTACHED"))
            && matches!(&m.args[1], syn::Expr::Lit(l) if matches!(&l.lit, syn::Lit::Int(i) if i.base10_digits() == "0"))
        {
            self.found = true;
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        if diverges(&i.then_branch) {
            let mut c = Covers {
                attach: false,
                vacuum: false,
            };
            c.visit_expr(&i.cond);
            // One level into the same-crate functions the condition calls.
            let mut calls = Calls(Vec::new());
            calls.visit_expr(&i.cond);
            for call in &calls.0 {
                for j in self.index.resolve_call(call, self.caller) {
                    c.visit_block(self.index.fns[j].block);
                }
            }
            self.found |= c.attach && c.vacuum;
        }
        syn::visit::visit_expr_if(self, i);
    }
}

/// What a refusal covers: a statement kind named `Attach`/`Vacuum`, the keywords as text, or
/// `.readonly()` (SQLite reports `VACUUM INTO` as writing; `ATTACH` it does not).
struct Covers {
    attach: bool,
    vacuum: bool,
}

impl<'ast> Visit<'ast> for Covers {
    fn visit_path(&mut self, p: &'ast syn::Path) {
        if let Some(last) = p.segments.last() {
            let n = last.ident.to_string().to_ascii_uppercase();
            self.attach |= n == "ATTACH";
            self.vacuum |= n == "VACUUM";
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        let t = s.value().to_ascii_uppercase();
        self.attach |= t.trim() == "ATTACH";
        self.vacuum |= t.trim() == "VACUUM";
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if m.method == "readonly" && m.args.is_empty() {
            self.vacuum = true;
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in super::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

struct Calls(Vec<syn::Expr>);

impl<'ast> Visit<'ast> for Calls {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if matches!(e, syn::Expr::Call(_) | syn::Expr::MethodCall(_)) {
            self.0.push(e.clone());
        }
        syn::visit::visit_expr(self, e);
    }
}

/// Why a read-only guard is too weak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    /// Accepts any statement sqlparser parses as a query.
    AnyQuery,
    /// Accepts any statement that starts with `EXPLAIN`.
    AnyExplain,
}

pub struct WeakGuard<'a> {
    pub file: &'a SourceFile,
    pub span: proc_macro2::Span,
    pub weakness: Weakness,
}

/// Whether the crate talks to PostgreSQL or MySQL, where a query can call functions that read
/// and write server files and `EXPLAIN ANALYZE` runs the statement.
pub fn server_database(ctx: &Context) -> bool {
    let sqlx = ctx.packages.iter().any(|p| {
        dependency(&p.manifest_text, "sqlx")
            .is_some_and(|f| f.iter().any(|x| x == "postgres" || x == "mysql"))
    });
    sqlx || [
        "tokio-postgres",
        "postgres",
        "deadpool-postgres",
        "bb8-postgres",
        "mysql",
        "mysql_async",
    ]
    .iter()
    .any(|k| depends_on(ctx, k))
}

/// Read-only guards in the shipped code that accept too much, when the crate talks to a server
/// database: the statement kind `Query` of sqlparser accepted with nothing inspecting the
/// functions it calls, and `EXPLAIN` accepted without refusing `ANALYZE`.
pub fn weak_guards<'a>(ctx: &'a Context, index: &Index<'a>) -> Vec<WeakGuard<'a>> {
    if !server_database(ctx) {
        return Vec::new();
    }
    let files = super::index::shipped(ctx);
    // A walk over the parsed statement's expressions can refuse functions by name; a check of
    // its `WITH` clause can refuse data-modifying CTEs.
    let inspects_functions = files.iter().any(|f| {
        let mut v = Inspects::default();
        v.visit_file(&f.ast);
        v.functions
    });
    let mut out = Vec::new();
    for f in &index.fns {
        let aliases = statement_aliases(&f.file.ast);
        let mut v = Accepts {
            aliases: &aliases,
            query: Vec::new(),
            explain: Vec::new(),
        };
        v.visit_block(f.block);
        if !inspects_functions {
            out.extend(v.query.into_iter().map(|span| WeakGuard {
                file: f.file,
                span,
                weakness: Weakness::AnyQuery,
            }));
        }
        let mut analyze = Analyze(false);
        analyze.visit_block(f.block);
        if !analyze.0 {
            out.extend(v.explain.into_iter().map(|span| WeakGuard {
                file: f.file,
                span,
                weakness: Weakness::AnyExplain,
            }));
        }
    }
    out
}

/// Local names of sqlparser's `Statement` type in one file (`use sqlparser::ast::Statement`,
/// `use sqlparser::ast::Statement as S`, `use sqlparser::ast::*`).
fn statement_aliases(file: &syn::File) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for item in &file.items {
        if let syn::Item::Use(u) = item {
            walk_use(&u.tree, String::new(), &mut out);
        }
    }
    out
}

fn walk_use(tree: &syn::UseTree, prefix: String, out: &mut BTreeMap<String, String>) {
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}::{name}")
        }
    };
    match tree {
        syn::UseTree::Path(p) => walk_use(&p.tree, join(&p.ident.to_string()), out),
        syn::UseTree::Name(n) => {
            out.insert(n.ident.to_string(), join(&n.ident.to_string()));
        }
        syn::UseTree::Rename(r) => {
            out.insert(r.rename.to_string(), join(&r.ident.to_string()));
        }
        syn::UseTree::Glob(_) => {
            if prefix.starts_with("sqlparser") {
                out.insert("Statement".into(), join("Statement"));
            }
        }
        syn::UseTree::Group(g) => g
            .items
            .iter()
            .for_each(|t| walk_use(t, prefix.clone(), out)),
    }
}

/// Accepting patterns: `matches!(s, Statement::Query(_))`, a `Statement::Query(..)` arm whose
/// body does not refuse, and `starts_with("EXPLAIN")` / `Statement::Explain { .. }` alike.
struct Accepts<'m> {
    aliases: &'m BTreeMap<String, String>,
    query: Vec<proc_macro2::Span>,
    explain: Vec<proc_macro2::Span>,
}

impl Accepts<'_> {
    /// `Query`/`Explain` when `path` names that variant of sqlparser's `Statement`.
    fn variant(&self, path: &syn::Path) -> Option<String> {
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let (variant, ty) = (segs.last()?, &segs[..segs.len().checked_sub(1)?]);
        let full = match ty {
            [one] => self.aliases.get(one)?.clone(),
            [] => return None,
            more => more.join("::"),
        };
        let sqlparser = full.starts_with("sqlparser") && full.ends_with("Statement");
        sqlparser.then(|| variant.clone())
    }

    fn pattern(&mut self, pat: &syn::Pat) {
        let path = match pat {
            syn::Pat::TupleStruct(t) => &t.path,
            syn::Pat::Struct(s) => &s.path,
            syn::Pat::Path(p) => &p.path,
            syn::Pat::Or(o) => {
                o.cases.iter().for_each(|c| self.pattern(c));
                return;
            }
            // `[Statement::Query(_)]`: exactly one statement, a query.
            syn::Pat::Slice(s) => {
                s.elems.iter().for_each(|c| self.pattern(c));
                return;
            }
            syn::Pat::Reference(r) => {
                self.pattern(&r.pat);
                return;
            }
            syn::Pat::Ident(i) => {
                if let Some((_, sub)) = &i.subpat {
                    self.pattern(sub);
                }
                return;
            }
            _ => return,
        };
        match self.variant(path).as_deref() {
            Some("Query") => self.query.push(path.span()),
            Some("Explain") => self.explain.push(path.span()),
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for Accepts<'_> {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if macro_name(mac) == "matches"
            && let Ok((_, pat)) = mac.parse_body_with(|input: syn::parse::ParseStream<'_>| {
                let e: syn::Expr = input.parse()?;
                input.parse::<syn::Token![,]>()?;
                let p = syn::Pat::parse_multi_with_leading_vert(input)?;
                let _ = input.parse::<proc_macro2::TokenStream>();
                Ok((e, p))
            })
        {
            self.pattern(&pat);
        }
        for e in super::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        if !super::guard_shapes::diverging_expr(&arm.body) {
            self.pattern(&arm.pat);
        }
        syn::visit::visit_arm(self, arm);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let explain = matches!(
            m.method.to_string().as_str(),
            "starts_with" | "eq_ignore_ascii_case"
        ) && m.args.first().is_some_and(|a| {
            super::syntax::str_lit(a).is_some_and(|(t, _)| {
                t.trim().eq_ignore_ascii_case("EXPLAIN")
                    || t.to_ascii_uppercase().starts_with("EXPLAIN ")
            })
        });
        if explain {
            self.explain.push(m.method.span());
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// Whether a body mentions `ANALYZE` (refusing `EXPLAIN ANALYZE`) or reads the parsed
/// statement's `analyze` flag.
struct Analyze(bool);

impl<'ast> Visit<'ast> for Analyze {
    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        self.0 |= s.value().to_ascii_uppercase().contains("ANALYZE");
    }
    fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
        self.0 |= i == "analyze";
    }
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in super::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

/// Code that walks a parsed statement's function calls: sqlparser's `visit_expressions`, an
/// `impl Visitor`, or a pattern on `Expr::Function`.
#[derive(Default)]
struct Inspects {
    functions: bool,
}

impl<'ast> Visit<'ast> for Inspects {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| p.ends_with("visit_expressions")) {
            self.functions = true;
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if let Some((_, p, _)) = &i.trait_
            && p.segments
                .last()
                .is_some_and(|s| s.ident == "Visitor" || s.ident == "VisitorMut")
        {
            self.functions = true;
        }
        syn::visit::visit_item_impl(self, i);
    }

    fn visit_pat(&mut self, p: &'ast syn::Pat) {
        let path = match p {
            syn::Pat::TupleStruct(t) => Some(&t.path),
            syn::Pat::Struct(s) => Some(&s.path),
            _ => None,
        };
        if path.is_some_and(|p| path_text(p).ends_with("Expr::Function")) {
            self.functions = true;
        }
        syn::visit::visit_pat(self, p);
    }
}
