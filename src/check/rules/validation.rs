//! unvalidated-input: tool parameters without bounds, bounds that nothing checks, and
//! caller-chosen counts that size an allocation.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, finding, flow_labels};
use crate::check::analysis::flow::{Taint, tool_fn};
use crate::check::analysis::syntax::{
    call_path, compact, inner_type_name, is_constant, macro_exprs, macro_name,
};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

const ID: &str = "unvalidated-input";

/// Field types that need a length or range bound.
fn needs_bound(ty: &syn::Type) -> bool {
    let outer = compact(ty);
    let inner = inner_type_name(ty).unwrap_or_default();
    outer.starts_with("Vec<")
        || outer.contains("HashMap<")
        || outer.contains("BTreeMap<")
        || outer.starts_with("Option<Vec<")
        || matches!(inner.as_str(), "String" | "PathBuf" | "Value")
        || crate::check::analysis::syntax::is_number_type(&inner)
}

fn has_bound(field: &syn::Field) -> bool {
    field.attrs.iter().any(|a| {
        let t = compact(a);
        let ours = a.path().is_ident("garde")
            || a.path().is_ident("validate")
            || a.path().is_ident("schemars");
        ours && [
            "length",
            "range",
            "pattern",
            "regex",
            "custom",
            "ascii",
            "alphanumeric",
            "email",
            "url",
            "byte_length",
            "inner",
            "dive",
        ]
        .iter()
        .any(|k| t.contains(k))
    })
}

/// Fields without bounds, and caller-chosen sizes of allocations.
pub fn params_unbounded(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out: Vec<Finding> = parameter_bounds(ctx, a)
        .into_iter()
        .filter(|f| !f.message.contains("never checked"))
        .collect();
    out.extend(unbounded_allocation(a));
    out
}

/// Bounds written for the schema that nothing in the code enforces.
pub fn limits_not_enforced(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    parameter_bounds(ctx, a)
        .into_iter()
        .filter(|f| f.message.contains("never checked"))
        .collect()
}

/// Parameter structs with unbounded fields, and declared bounds that nothing checks.
fn parameter_bounds(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let validated_somewhere = crate::check::analysis::index::shipped(ctx)
        .iter()
        .any(|f| f.text.contains(".validate(") || f.text.contains("Valid("));
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for tool in &a.tools {
        let Some(name) = tool.param_type.clone() else {
            continue;
        };
        let Some(s) = a.index.struct_named(&name) else {
            continue;
        };
        if !seen.insert(name.clone()) {
            continue;
        }
        let users: Vec<String> = a
            .tools
            .iter()
            .filter(|t| t.param_type.as_deref() == Some(&name))
            .map(|t| format!("`{}`", t.name))
            .collect();
        let loose: Vec<&syn::Field> = s
            .item
            .fields
            .iter()
            .filter(|f| needs_bound(&f.ty) && !has_bound(f))
            .collect();
        let mut fd = if let Some(first) = loose.first() {
            let names: Vec<String> = loose
                .iter()
                .filter_map(|f| f.ident.as_ref().map(|i| format!("`{i}`")))
                .collect();
            finding(
                ID,
                Severity::Warn,
                format!(
                    "parameters {} of tool {} have no length or range bound",
                    names.join(", "),
                    users.join(", ")
                ),
                at(
                    &s.file.path,
                    first
                        .ident
                        .as_ref()
                        .map(|i| i.span())
                        .unwrap_or(first.ty.span()),
                ),
                "bound every field with `#[garde(length(..))]`/`#[garde(range(..))]` and validate before the tool runs",
            )
        } else if s.item.fields.iter().any(has_bound) && !validated_somewhere {
            finding(
                ID,
                Severity::Warn,
                format!(
                    "bounds on `{name}` (tool {}) are declared but never checked: rmcp does not validate arguments",
                    users.join(", ")
                ),
                at(&s.file.path, s.item.ident.span()),
                "call `validate()` on the parameters before the tool runs (for example in `call_tool`)",
            )
        } else {
            continue;
        };
        fd.tool = Some(tool.name.clone());
        out.push(fd);
    }
    out
}

/// A caller-chosen number that sizes an allocation (`repeat`, `with_capacity`, `vec![x; n]`)
/// without a bound on the field or a comparison with a constant.
fn unbounded_allocation(a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for tool in &a.tools {
        let bounded: Vec<String> = tool
            .param_type
            .as_deref()
            .and_then(|t| a.index.struct_named(t))
            .map(|s| {
                s.item
                    .fields
                    .iter()
                    .filter(|f| has_bound(f))
                    .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let Some(start) = tool_fn(&a.index, tool) else {
            continue;
        };
        for flow in a.flows_of(tool).into_iter().filter(|f| f.func == start) {
            let func = &a.index.fns[flow.func];
            let mut v = Alloc {
                taint: &flow.taint,
                found: Vec::new(),
                compared: Vec::new(),
            };
            v.visit_block(func.block);
            for (span, param) in v.found {
                if bounded.contains(&param) || v.compared.contains(&param) {
                    continue;
                }
                let mut fd = finding(
                    ID,
                    Severity::Warn,
                    format!(
                        "parameter `{param}` of tool `{}` sizes an allocation with no upper bound",
                        tool.name
                    ),
                    at(&func.file.path, span),
                    "bound the field (`#[garde(range(max = ..))]`) and check it before allocating",
                );
                fd.labels = flow_labels(flow, &param);
                fd.tool = Some(tool.name.clone());
                out.push(fd);
            }
        }
    }
    out
}

struct Alloc<'t> {
    taint: &'t Taint,
    found: Vec<(proc_macro2::Span, String)>,
    /// Parameters compared with a constant somewhere in the body.
    compared: Vec<String>,
}

impl<'ast> Visit<'ast> for Alloc<'_> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let sized = match m.method.to_string().as_str() {
            "repeat" | "with_capacity" | "reserve" | "reserve_exact" => m.args.first(),
            "resize" => m.args.first(),
            _ => None,
        };
        if let Some(param) = sized.and_then(|e| self.taint.of(e)) {
            self.found.push((m.method.span(), param));
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if call_path(c).is_some_and(|p| p.ends_with("with_capacity"))
            && let Some(param) = c.args.first().and_then(|e| self.taint.of(e))
        {
            self.found.push((c.func.span(), param));
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        let cmp = matches!(
            b.op,
            syn::BinOp::Lt(_) | syn::BinOp::Le(_) | syn::BinOp::Gt(_) | syn::BinOp::Ge(_)
        );
        if cmp {
            for (side, other) in [(&b.left, &b.right), (&b.right, &b.left)] {
                if let (Some(p), true) = (self.taint.of(side), is_constant(other)) {
                    self.compared.push(p);
                }
            }
        }
        syn::visit::visit_expr_binary(self, b);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if macro_name(mac) == "vec" {
            let text = mac.tokens.to_string();
            if let Some((_, count)) = text.split_once(';')
                && let Ok(e) = syn::parse_str::<syn::Expr>(count)
                && let Some(p) = self.taint.of(&e)
            {
                self.found.push((mac.path.span(), p));
            }
        }
        for e in macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}
