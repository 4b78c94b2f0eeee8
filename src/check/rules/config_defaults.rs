//! unvalidated-config: a mode setting whose default is its permissive choice. A type that
//! offers both a restricted and a permissive variant (`Readonly` / `Readwrite`) and starts on
//! the permissive one gives every user who did not ask the widest power.

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::common::{Analysis, at, finding};
use super::config::ID;
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

/// Variant names that restrict what tools may do.
fn restricted(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().replace('_', "").as_str(),
        "readonly" | "read" | "safe" | "restricted" | "sandboxed" | "dryrun"
    )
}

/// Variant names that lift the restriction.
fn permissive(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().replace('_', "").as_str(),
        "readwrite" | "write" | "full" | "unrestricted" | "unsafe" | "all" | "admin"
    )
}

/// Mode enums of the crate: name and permissive variants, for enums that also have a
/// restricted variant.
fn mode_enums(ctx: &Context) -> Vec<(String, Vec<String>)> {
    let mut v = Enums(Vec::new());
    for f in crate::check::analysis::index::shipped(ctx) {
        v.visit_file(&f.ast);
    }
    v.0
}

struct Enums(Vec<(String, Vec<String>)>);

impl<'ast> Visit<'ast> for Enums {
    fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
        let names: Vec<String> = e.variants.iter().map(|v| v.ident.to_string()).collect();
        if names.iter().any(|n| restricted(n)) {
            let wide: Vec<String> = names.into_iter().filter(|n| permissive(n)).collect();
            if !wide.is_empty() {
                self.0.push((e.ident.to_string(), wide));
            }
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !crate::check::analysis::syntax::is_test_item(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }
}

/// Where a mode setting starts on a permissive variant: a clap `default_value_t =
/// Mode::Readwrite` or `default_value = "readwrite"` on a field of the mode type, `#[default]`
/// on the variant, or `impl Default for Mode` returning it.
pub fn permissive_mode_default(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    let modes = mode_enums(ctx);
    if modes.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for file in crate::check::analysis::index::shipped(ctx) {
        let mut v = Defaults {
            modes: &modes,
            found: Vec::new(),
        };
        v.visit_file(&file.ast);
        for (span, mode, variant) in v.found {
            out.push(finding(
                ID,
                Severity::Warn,
                format!(
                    "`{mode}` defaults to `{variant}`: a server started without choosing a mode runs with its widest permissions"
                ),
                at(&file.path, span),
                "default to the restricted variant so the permissive one must be asked for",
            ));
        }
    }
    out
}

struct Defaults<'m> {
    modes: &'m [(String, Vec<String>)],
    found: Vec<(proc_macro2::Span, String, String)>,
}

impl Defaults<'_> {
    fn wide(&self, mode: &str, variant: &str) -> bool {
        self.modes
            .iter()
            .any(|(m, vs)| m == mode && vs.iter().any(|v| v.eq_ignore_ascii_case(variant)))
    }
}

impl<'ast> Visit<'ast> for Defaults<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !crate::check::analysis::syntax::is_test_item(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_field(&mut self, f: &'ast syn::Field) {
        let Some(ty) = crate::check::analysis::syntax::inner_type_name(&f.ty) else {
            return;
        };
        for attr in f
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("arg") || a.path().is_ident("clap"))
        {
            let _ = attr.parse_nested_meta(|m| {
                let key = m
                    .path
                    .get_ident()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                if key != "default_value_t" && key != "default_value" {
                    if m.input.peek(syn::Token![=]) {
                        let _: syn::Expr = m.value()?.parse()?;
                    }
                    return Ok(());
                }
                let value: syn::Expr = m.value()?.parse()?;
                let variant = match &value {
                    syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                    e => {
                        crate::check::analysis::syntax::str_lit(e).map(|(s, _)| s.replace('-', ""))
                    }
                };
                if let Some(v) = variant
                    && self.wide(&ty, &v)
                {
                    self.found.push((value.span(), ty.clone(), v));
                }
                Ok(())
            });
        }
    }

    fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
        for v in &e.variants {
            if v.attrs.iter().any(|a| a.path().is_ident("default"))
                && self.wide(&e.ident.to_string(), &v.ident.to_string())
            {
                self.found
                    .push((v.ident.span(), e.ident.to_string(), v.ident.to_string()));
            }
        }
    }

    fn visit_item_impl(&mut self, imp: &'ast syn::ItemImpl) {
        let is_default = imp
            .trait_
            .as_ref()
            .and_then(|(_, p, _)| p.segments.last())
            .is_some_and(|s| s.ident == "Default");
        let Some(ty) = crate::check::analysis::syntax::inner_type_name(&imp.self_ty) else {
            return;
        };
        if !is_default {
            return;
        }
        for it in &imp.items {
            let syn::ImplItem::Fn(f) = it else { continue };
            if let Some(syn::Stmt::Expr(syn::Expr::Path(p), None)) = f.block.stmts.last()
                && let Some(last) = p.path.segments.last()
                && self.wide(&ty, &last.ident.to_string())
            {
                self.found
                    .push((last.ident.span(), ty.clone(), last.ident.to_string()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::rules::rule_tests::ids;

    const CLI: &str = r#"
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum RunMode { Readonly, Readwrite }
#[derive(clap::Parser)]
pub struct Cli {
    #[arg(long, value_enum, default_value_t = RunMode::Readwrite)]
    pub mode: RunMode,
    #[arg(long, default_value_t = 500)]
    pub max_rows: usize,
}
"#;

    fn modes(src: &str) -> Vec<String> {
        ids(&[("src/main.rs", src)], "unvalidated-config")
            .into_iter()
            .filter(|m| m.contains("widest permissions"))
            .collect()
    }

    #[test]
    fn a_mode_that_starts_permissive_is_reported() {
        assert_eq!(modes(CLI).len(), 1, "{:?}", modes(CLI));
        let derived = "#[derive(Default)]\npub enum Access { ReadOnly, #[default] ReadWrite }\n";
        assert_eq!(modes(derived).len(), 1);
        let manual = "pub enum Access { ReadOnly, Full }\nimpl Default for Access { fn default() -> Self { Access::Full } }\n";
        assert_eq!(modes(manual).len(), 1);
        let text = CLI.replace(
            "default_value_t = RunMode::Readwrite",
            "default_value = \"readwrite\"",
        );
        assert_eq!(modes(&text).len(), 1);
    }

    #[test]
    fn a_restricted_default_or_an_unrelated_enum_is_not() {
        assert!(modes(&CLI.replace("RunMode::Readwrite)", "RunMode::Readonly)")).is_empty());
        // No restricted variant: a transport choice, not a permission.
        let transport = "pub enum Transport { Stdio, All }\n#[derive(clap::Parser)]\npub struct Cli { #[arg(long, default_value_t = Transport::All)] pub t: Transport }\n";
        assert!(modes(transport).is_empty());
    }
}
