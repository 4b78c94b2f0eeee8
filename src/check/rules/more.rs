//! Smaller checks: parameter structs that accept unknown fields, config errors swallowed,
//! Host validation, read-only by transaction, and secrets held without redaction.

use syn::visit::Visit;

use super::common::{Analysis, at, finding};
use crate::check::analysis::index::shipped;
use crate::check::analysis::syntax::{compact, is_secret_name};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

/// Tool parameter structs without `#[serde(deny_unknown_fields)]`.
pub fn unknown_fields_accepted(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for tool in &a.tools {
        let Some(s) = tool
            .param_type
            .as_deref()
            .and_then(|t| a.index.struct_named(t))
        else {
            continue;
        };
        let serde: String = s
            .item
            .attrs
            .iter()
            .filter(|at| at.path().is_ident("serde"))
            .map(compact)
            .collect();
        if serde.contains("deny_unknown_fields") || !seen.insert(s.item.ident.to_string()) {
            continue;
        }
        let mut f = finding(
            "unvalidated-input",
            Severity::Warn,
            format!(
                "parameters `{}` of tool `{}` accept unknown fields",
                s.item.ident, tool.name
            ),
            at(&s.file.path, s.item.ident.span()),
            "add `#[serde(deny_unknown_fields)]` so misspelled or extra arguments are refused",
        );
        f.tool = Some(tool.name.clone());
        out.push(f);
    }
    out
}

/// A config file whose read or parse error silently means "use the defaults".
pub fn config_error_swallowed(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in shipped(ctx)
        .into_iter()
        .filter(|f| f.text.contains("from_str") || f.text.contains("try_deserialize"))
    {
        let mut v = Swallow(Vec::new());
        v.visit_file(&file.ast);
        for span in v.0 {
            out.push(finding(
                "unvalidated-config",
                Severity::Warn,
                "a config file that fails to parse silently falls back to the defaults".into(),
                at(&file.path, span),
                "stop start-up with an error naming the file and the field",
            ));
        }
    }
    out
}

struct Swallow(Vec<proc_macro2::Span>);

impl<'ast> Visit<'ast> for Swallow {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let method = m.method.to_string();
        let recv = compact(&m.receiver);
        let parse = [
            "toml::from_str",
            "serde_yaml::from_str",
            "serde_json::from_str",
            "try_deserialize",
        ]
        .iter()
        .any(|d| recv.contains(d));
        if parse
            && matches!(
                method.as_str(),
                "unwrap_or_default" | "unwrap_or" | "unwrap_or_else" | "ok"
            )
        {
            self.0.push(m.method.span());
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// "Read-only" enforced by running the caller's SQL inside a transaction that is rolled back:
/// `COMMIT;` ends it, and `ATTACH` or `VACUUM INTO` reach the disk.
pub fn sql_readonly_by_transaction(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for flow in &a.flows {
        let func = &a.index.fns[flow.func];
        let text = compact(func.block).to_ascii_uppercase();
        let begins = text.contains("(\"BEGIN") || text.contains(".TRANSACTION(");
        if !(begins && text.contains("ROLLBACK")) {
            continue;
        }
        let mut f = finding(
            "sql-injection",
            Severity::Fail,
            format!(
                "tool `{}` relies on a rolled-back transaction to keep the caller's SQL read-only",
                flow.tool.name
            ),
            at(&func.file.path, func.sig.ident.span()),
            "open a read-only connection (`SQLITE_OPEN_READ_ONLY`, `PRAGMA query_only`) and accept one statement",
        );
        f.tool = Some(flow.tool.name.clone());
        out.push(f);
    }
    out
}

/// The server holds secrets (secret-named environment variables or fields) and nothing on
/// the dispatch path redacts them from results.
pub fn secret_reaches_result(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let holds_secret = shipped(ctx).iter().any(|f| {
        let mut v = Secrets(false);
        v.visit_file(&f.ast);
        v.0
    });
    if !holds_secret {
        return Vec::new();
    }
    super::choke_point::redaction(ctx, a)
}

struct Secrets(bool);

impl<'ast> Visit<'ast> for Secrets {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let env = crate::check::analysis::syntax::call_path(c)
            .is_some_and(|p| p.ends_with("env::var") || p.ends_with("env::var_os"));
        if env
            && c.args
                .first()
                .is_some_and(|a| compact(a).split('"').nth(1).is_some_and(is_secret_name))
        {
            self.0 = true;
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_field(&mut self, f: &'ast syn::Field) {
        if f.ident
            .as_ref()
            .is_some_and(|i| is_secret_name(&i.to_string()))
        {
            self.0 = true;
        }
    }
}
