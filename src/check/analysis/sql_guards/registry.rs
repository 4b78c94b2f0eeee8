//! Registry tables: rows the crate writes only from constant SQL with safe bound values, so
//! what is read back from them (a table name recorded for a validated collection) is safe.

use syn::visit::Visit;

use super::super::syntax::{macro_exprs, macro_name, str_lit};
use super::SqlGuards;

impl SqlGuards<'_, '_> {
    /// A map field (`self.tables`) whose every `insert(key, value)` in the crate puts safe keys
    /// and values: what is read from it is safe. A map filled in any other way (`extend`,
    /// `entry`, built from an iterator) is not judged and so not trusted.
    pub(super) fn map_safe(&self, map: &str) -> bool {
        if !self.reads_registries {
            return false;
        }
        let key = format!("map {map}");
        if let Some(r) = self.registries.borrow().get(&key) {
            return *r;
        }
        let judge = self
            .inner
            .get_or_init(|| Box::new(SqlGuards::with_sites(self.index, self.sites.clone(), false)));
        let mut any = false;
        let mut ok = true;
        for (i, f) in self.index.fns.iter().enumerate() {
            let mut v = Fills {
                map,
                inserts: Vec::new(),
                other: false,
            };
            v.visit_block(f.block);
            if v.other {
                ok = false;
                break;
            }
            if v.inserts.is_empty() {
                continue;
            }
            let mask = judge.entry_mask(i);
            let trust = judge.analyse(i, &mask);
            any = true;
            if !v.inserts.iter().all(|x| judge.safe(i, &trust.trusted, x)) {
                ok = false;
                break;
            }
        }
        let r = ok && any;
        self.registries.borrow_mut().insert(key, r);
        r
    }

    /// A table whose rows the crate writes only from constant SQL with safe bound values:
    /// what is read back from it is as safe as what was written.
    pub(super) fn registry_safe(&self, table: &str) -> bool {
        if !self.reads_registries {
            return false;
        }
        if let Some(r) = self.registries.borrow().get(table) {
            return *r;
        }
        let judge = self
            .inner
            .get_or_init(|| Box::new(SqlGuards::with_sites(self.index, self.sites.clone(), false)));
        let found = self.once(format!("registry {table}"), || {
            let mut any = false;
            for (i, f) in self.index.fns.iter().enumerate() {
                let mut v = Writes {
                    table,
                    found: Vec::new(),
                };
                v.visit_block(f.block);
                if v.found.is_empty() {
                    continue;
                }
                let mask = judge.entry_mask(i);
                let trust = judge.analyse(i, &mask);
                for values in v.found {
                    let Some(values) = values else {
                        return false;
                    };
                    if !values.iter().all(|x| judge.safe(i, &trust.trusted, x)) {
                        return false;
                    }
                    any = true;
                }
            }
            any
        });
        let Some((r, complete)) = found else {
            return false;
        };
        if !complete {
            return r;
        }
        self.registries.borrow_mut().insert(table.to_string(), r);
        r
    }
}

/// The field or local a map is read from: `self.tables` and `state.tables` give `tables`.
pub(super) fn map_name(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => Some(n.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::Paren(p) => map_name(&p.expr),
        syn::Expr::Reference(r) => map_name(&r.expr),
        // `self.tables.read().await.get(..)`, `.lock().unwrap()`: the same map behind a lock.
        syn::Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "read" | "write" | "lock" | "unwrap" | "expect" | "borrow" | "borrow_mut" | "load"
            ) =>
        {
            map_name(&m.receiver)
        }
        syn::Expr::Await(a) => map_name(&a.base),
        syn::Expr::Try(t) => map_name(&t.expr),
        _ => None,
    }
}

/// How one body fills the map field `map`: the keys and values it inserts, and whether it
/// changes the map some other way.
struct Fills<'m> {
    map: &'m str,
    inserts: Vec<syn::Expr>,
    other: bool,
}

impl<'ast> Visit<'ast> for Fills<'_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if map_name(&m.receiver).as_deref() == Some(self.map) {
            match m.method.to_string().as_str() {
                "insert" if m.args.len() == 2 => self.inserts.extend(m.args.iter().cloned()),
                "extend" | "entry" | "get_mut" | "append" | "iter_mut" | "values_mut" => {
                    self.other = true
                }
                _ => {}
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        if map_name(&a.left).as_deref() == Some(self.map) {
            self.other = true;
        }
        syn::visit::visit_expr_assign(self, a);
    }

    fn visit_field_value(&mut self, fv: &'ast syn::FieldValue) {
        // `Self { tables: HashMap::new() }` starts it empty; anything else fills it unseen.
        if let syn::Member::Named(n) = &fv.member
            && n == self.map
            && !matches!(&fv.expr, syn::Expr::Call(c) if c.args.is_empty())
            && !matches!(&fv.expr, syn::Expr::Macro(m) if m.mac.tokens.is_empty())
        {
            self.other = true;
        }
        syn::visit::visit_field_value(self, fv);
    }
}

/// The table a constant `SELECT` reads (`.. FROM name ..`).
pub(super) fn selected_table(e: &syn::Expr) -> Option<String> {
    let (text, _) = str_lit(e)?;
    let words = sql_words(&text);
    if words.first().map(String::as_str) != Some("SELECT") {
        return None;
    }
    let from = words.iter().position(|w| w == "FROM")?;
    words.get(from + 1).map(|t| t.to_ascii_lowercase())
}

fn sql_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '(' || c == ',' || c == ';')
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches(['"', '`', '[', ']']).to_ascii_uppercase())
        .collect()
}

/// The table a constant `INSERT`/`REPLACE`/`UPDATE` writes.
fn written_table(text: &str) -> Option<String> {
    let words = sql_words(text);
    let first = words.first()?.as_str();
    let at = match first {
        "INSERT" | "REPLACE" => words.iter().position(|w| w == "INTO")? + 1,
        "UPDATE" => 1,
        _ => return None,
    };
    words.get(at).map(|t| t.to_ascii_lowercase())
}

/// Writes to `table` in one body: the bound values of each, or `None` where they are not
/// visible in the call (a prepared statement run elsewhere).
struct Writes<'t> {
    table: &'t str,
    found: Vec<Option<Vec<syn::Expr>>>,
}

impl<'ast> Visit<'ast> for Writes<'_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let writes = m
            .args
            .first()
            .and_then(str_lit)
            .and_then(|(t, _)| written_table(&t))
            .is_some_and(|t| t == self.table);
        if writes {
            let values = m.args.iter().nth(1).and_then(bound_values);
            self.found.push(values);
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

fn bound_values(e: &syn::Expr) -> Option<Vec<syn::Expr>> {
    match e {
        syn::Expr::Reference(r) => bound_values(&r.expr),
        syn::Expr::Array(a) => Some(a.elems.iter().cloned().collect()),
        syn::Expr::Tuple(t) => Some(t.elems.iter().cloned().collect()),
        syn::Expr::Macro(m) if macro_name(&m.mac) == "params" => Some(macro_exprs(&m.mac)),
        _ => None,
    }
}
