//! unvalidated-config: config structs that accept unknown keys, unbounded numbers, and
//! dangerous switches that default to on.

use std::collections::BTreeSet;

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, finding};
use crate::check::analysis::index::{Index, StructInfo};
use crate::check::analysis::syntax::{compact, inner_type_name};
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

pub(super) const ID: &str = "unvalidated-config";

const DESERIALIZERS: &[&str] = &[
    "toml::from_str",
    "toml::de::from_str",
    "serde_json::from_str",
    "serde_json::from_slice",
    "serde_json::from_reader",
    "serde_yaml::from_str",
    "serde_yaml::from_reader",
    "serde_yml::from_str",
    "envy::from_env",
    "ron::from_str",
];

/// Struct names deserialised from config text, with the structs nested in them.
pub(super) fn config_structs<'a>(
    index: &'a Index<'a>,
    params: &BTreeSet<String>,
) -> Vec<&'a StructInfo<'a>> {
    let mut names = BTreeSet::new();
    // Token walks are costly: only functions in files that deserialise anything.
    let markers = [
        "from_str",
        "from_slice",
        "from_reader",
        "from_env",
        "try_deserialize",
    ];
    // Once per file, not once per function: a file's text is searched a single time.
    let mut marked: std::collections::HashMap<&std::path::Path, bool> =
        std::collections::HashMap::new();
    for f in index.fns.iter() {
        let deserialises = *marked
            .entry(f.file.path.as_path())
            .or_insert_with(|| markers.iter().any(|m| f.file.text.contains(m)));
        if !deserialises {
            continue;
        }
        let mut v = Deser { found: Vec::new() };
        v.visit_block(f.block);
        if v.found.is_empty() {
            continue;
        }
        // JSON is also what network responses come in: count it as config only when the
        // same function reads a file, or the type says it is configuration.
        let reads_file = crate::check::analysis::syntax::calls_any(
            f.block,
            &["read_to_string", "fs::read", "File::open"],
        );
        for (turbofish, local_ty, config_format) in v.found {
            let mut found = Vec::new();
            if let Some(t) = turbofish.or(local_ty) {
                found.push(t);
            } else if let syn::ReturnType::Type(_, ty) = &f.sig.output {
                found.extend(type_idents(ty));
            }
            for t in found {
                let lower = t.to_ascii_lowercase();
                if config_format
                    || reads_file
                    || lower.contains("config")
                    || lower.contains("settings")
                {
                    names.insert(t);
                }
            }
        }
    }
    // Nested crate structs are part of the same file format.
    let mut queue: Vec<String> = names.iter().cloned().collect();
    while let Some(n) = queue.pop() {
        if let Some(s) = index.struct_named(&n) {
            for field in &s.item.fields {
                for t in type_idents(&field.ty) {
                    if index.struct_named(&t).is_some() && names.insert(t.clone()) {
                        queue.push(t);
                    }
                }
            }
        }
    }
    names
        .iter()
        .filter(|n| !params.contains(*n))
        .filter_map(|n| index.struct_named(n))
        .collect()
}

fn type_idents(ty: &syn::Type) -> Vec<String> {
    let mut v = TypeIdents(Vec::new());
    v.visit_type(ty);
    v.0
}

struct TypeIdents(Vec<String>);

impl<'ast> Visit<'ast> for TypeIdents {
    fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
        self.0.push(s.ident.to_string());
        syn::visit::visit_path_segment(self, s);
    }
}

/// Deserialiser calls: `(turbofish type, type of the enclosing let)`.
struct Deser {
    /// `(turbofish type, type of the enclosing let, a config-only format such as TOML)`.
    found: Vec<(Option<String>, Option<String>, bool)>,
}

fn config_format(path: &str) -> bool {
    !path.starts_with("serde_json")
}

impl<'ast> Visit<'ast> for Deser {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let (syn::Pat::Type(pt), Some(init)) = (&l.pat, &l.init) {
            let text = compact(&init.expr);
            if let Some(d) = DESERIALIZERS
                .iter()
                .find(|d| text.contains(&format!("{d}(")))
            {
                self.found
                    .push((None, inner_type_name(&pt.ty), config_format(d)));
                return;
            }
            // The `config` crate: `let c: Settings = builder.build()?.try_deserialize()?;`
            if text.contains(".try_deserialize") {
                self.found.push((None, inner_type_name(&pt.ty), true));
                return;
            }
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if m.method == "try_deserialize"
            && let Some(t) = m
                .turbofish
                .as_ref()
                .and_then(|t| t.args.first())
                .and_then(|g| match g {
                    syn::GenericArgument::Type(t) => inner_type_name(t),
                    _ => None,
                })
        {
            self.found.push((Some(t), None, true));
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func {
            let text = crate::check::analysis::syntax::path_text(&p.path);
            if DESERIALIZERS.contains(&text.as_str()) {
                let turbofish = p.path.segments.last().and_then(|s| match &s.arguments {
                    syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
                        syn::GenericArgument::Type(t) => inner_type_name(t),
                        _ => None,
                    }),
                    _ => None,
                });
                self.found.push((turbofish, None, config_format(&text)));
            }
        }
        syn::visit::visit_expr_call(self, c);
    }
}

pub(super) fn serde_args(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .map(compact)
        .collect()
}

fn bounded(field: &syn::Field) -> bool {
    field.attrs.iter().any(|a| {
        let t = compact(a);
        (a.path().is_ident("garde")
            || a.path().is_ident("validate")
            || a.path().is_ident("schemars"))
            && (t.contains("range") || t.contains("custom") || t.contains("length"))
            || a.path().is_ident("serde") && t.contains("deserialize_with")
    })
}

fn is_number(ty: &syn::Type) -> bool {
    inner_type_name(ty).is_some_and(|t| crate::check::analysis::syntax::is_number_type(&t))
}

pub fn is_dangerous_switch(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let words = [
        "dangerous",
        "danger",
        "unsafe",
        "insecure",
        "skip_auth",
        "disable_auth",
        "no_auth",
        "skip_verif",
        "no_verify",
    ];
    let verbs = [
        "delete",
        "write",
        "exec",
        "shell",
        "command",
        "all",
        "remote",
        "destructive",
    ];
    words.iter().any(|k| n.contains(k))
        || ["allow_", "enable_"].iter().any(|p| {
            n.strip_prefix(p)
                .is_some_and(|rest| verbs.iter().any(|w| rest.starts_with(w)))
        })
}

/// Config structs without `deny_unknown_fields`, numeric fields without bounds.
pub fn config_structs_validated(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let params: BTreeSet<String> = a
        .tools
        .iter()
        .filter_map(|t| t.param_type.clone())
        .collect();
    let validates = ctx.sources.iter().any(|s| s.text.contains(".validate("));
    let mut out = Vec::new();
    for s in config_structs(&a.index, &params) {
        let name = s.item.ident.to_string();
        let first = s
            .item
            .attrs
            .first()
            .map(|at| at.span())
            .unwrap_or(s.item.ident.span());
        if !serde_args(&s.item.attrs).contains("deny_unknown_fields") {
            out.push(finding(
                ID,
                Severity::Warn,
                format!("config struct `{name}` accepts unknown keys: a misspelled setting is silently ignored"),
                at(&s.file.path, first),
                "add `#[serde(deny_unknown_fields)]`",
            ));
        }
        let loose: Vec<&syn::Field> = s
            .item
            .fields
            .iter()
            .filter(|f| is_number(&f.ty) && !bounded(f))
            .collect();
        if let Some(f) = loose.first() {
            let names: Vec<String> = loose
                .iter()
                .filter_map(|f| f.ident.as_ref().map(|i| format!("`{i}`")))
                .collect();
            out.push(finding(
                ID,
                Severity::Warn,
                format!("numeric config fields of `{name}` have no bounds: {}", names.join(", ")),
                at(&s.file.path, f.ident.as_ref().map(|i| i.span()).unwrap_or(f.ty.span())),
                "bound them with `#[garde(range(min = .., max = ..))]` and call `validate()` after parsing",
            ));
        } else if s.item.fields.iter().any(bounded) && !validates {
            out.push(finding(
                ID,
                Severity::Warn,
                format!("config struct `{name}` declares bounds but nothing calls `validate()`"),
                at(&s.file.path, s.item.ident.span()),
                "call `config.validate()` right after parsing and stop start-up on error",
            ));
        }
    }
    out
}

/// Config structs that accept unknown keys, and keys in config files that match no field.
pub fn unknown_fields(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out: Vec<Finding> = a
        .memo("config::config_structs_validated", || {
            config_structs_validated(ctx, a)
        })
        .into_iter()
        .filter(|f| f.message.contains("unknown keys"))
        .collect();
    out.extend(super::config_keys::unknown_config_keys(ctx, a));
    out
}

/// Numeric config fields without bounds, or bounds nothing checks.
pub fn numbers_unbounded(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    a.memo("config::config_structs_validated", || {
        config_structs_validated(ctx, a)
    })
    .into_iter()
    .filter(|f| !f.message.contains("unknown keys"))
    .collect()
}

/// Dangerous switches (`enable_dangerous_operations`, `allow_*`) that default to true.
pub fn dangerous_defaults(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (imp, file) in &a.index.default_impls {
        let mut v = TrueFields(Vec::new());
        v.visit_item_impl(imp);
        for (name, span) in v.0 {
            out.push(finding(
                ID,
                Severity::Warn,
                format!("dangerous switch `{name}` defaults to true"),
                at(&file.path, span),
                "default dangerous switches to false so they must be turned on deliberately",
            ));
        }
    }
    // `#[serde(default = "yes")]` on a dangerous bool whose default function returns true.
    for s in &a.index.structs {
        for field in &s.item.fields {
            let Some(name) = field.ident.as_ref().map(ToString::to_string) else {
                continue;
            };
            if !is_dangerous_switch(&name) {
                continue;
            }
            let serde = serde_args(&field.attrs);
            let Some(func) = serde
                .split("default=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
            else {
                continue;
            };
            let returns_true = a
                .index
                .fns
                .iter()
                .any(|f| f.name == func && compact(f.block).trim_matches(['{', '}']) == "true");
            if returns_true {
                out.push(finding(
                    ID,
                    Severity::Warn,
                    format!("dangerous switch `{name}` defaults to true"),
                    at(
                        &s.file.path,
                        field
                            .ident
                            .as_ref()
                            .map(|i| i.span())
                            .unwrap_or(field.ty.span()),
                    ),
                    "default dangerous switches to false so they must be turned on deliberately",
                ));
            }
        }
    }
    out
}

struct TrueFields(Vec<(String, proc_macro2::Span)>);

impl<'ast> Visit<'ast> for TrueFields {
    fn visit_field_value(&mut self, fv: &'ast syn::FieldValue) {
        if let syn::Member::Named(n) = &fv.member {
            let is_true = matches!(&fv.expr, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. }) if b.value);
            if is_true && is_dangerous_switch(&n.to_string()) {
                self.0.push((n.to_string(), n.span()));
            }
        }
        syn::visit::visit_field_value(self, fv);
    }
}
