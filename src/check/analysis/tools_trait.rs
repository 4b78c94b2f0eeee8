//! Tools declared as impls of the crate's own tool trait: a trait that gives each tool a
//! description and a method taking the call's input, implemented once per tool
//! (`impl Tool for CargoBuild { const NAME = …; fn call(&self, args: Args) … }`). The name is a
//! `NAME` constant, a `fn name()`, a `fn definition()` returning a struct literal with a
//! `name` field, or the literal the impl is registered under
//! (`register("echo", Box::new(EchoTool))`).

use std::collections::{BTreeMap, BTreeSet};

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::tools::{Shape, ToolInfo, hints_in, param_texts, string_of, tail_string};
use crate::check::model::{Context, SourceFile, location};

/// Items of a trait that describe a tool rather than run it.
const METADATA: &[&str] = &[
    "name",
    "description",
    "title",
    "schema",
    "annotation",
    "definition",
];

/// A method returning the tool's whole definition (`fn definition(&self) -> Tool { Tool {
/// name: "x".into(), description: Some(..), .. } }`).
fn is_definition(name: &str) -> bool {
    name == "definition" || name.ends_with("_definition") || name == "spec"
}

fn is_metadata(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    METADATA.iter().any(|m| n.contains(m))
}

/// A crate trait shaped like a tool: a description item and a method that takes an input.
struct ToolTrait {
    name: String,
    /// The method that runs the tool.
    call: String,
}

/// Every tool declared as an impl of a tool trait of the crate.
pub fn find(ctx: &Context) -> Vec<ToolInfo> {
    let files = super::index::shipped(ctx);
    let mut traits = Vec::new();
    for file in &files {
        walk_items(&file.ast.items, &mut |item| {
            if let syn::Item::Trait(t) = item
                && let Some(tt) = tool_trait(t)
            {
                traits.push(tt);
            }
        });
    }
    if traits.is_empty() {
        return Vec::new();
    }
    let registered = registrations(&files);
    let mut out = Vec::new();
    for file in &files {
        walk_items(&file.ast.items, &mut |item| {
            let syn::Item::Impl(imp) = item else { return };
            let Some((_, path, _)) = &imp.trait_ else {
                return;
            };
            let Some(last) = path.segments.last() else {
                return;
            };
            let Some(tt) = traits.iter().find(|t| last.ident == t.name) else {
                return;
            };
            if let Some(tool) = describe(file, imp, tt, &registered) {
                out.push(tool);
            }
        });
    }
    out
}

/// Names of the metadata methods of the crate's tool traits (`description`, `input_schema`):
/// a tool value built from them lists these tools, it does not build new ones.
pub fn metadata_methods(ctx: &Context) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in super::index::shipped(ctx) {
        walk_items(&file.ast.items, &mut |item| {
            if let syn::Item::Trait(t) = item
                && tool_trait(t).is_some()
            {
                for it in &t.items {
                    if let syn::TraitItem::Fn(f) = it
                        && is_metadata(&f.sig.ident.to_string())
                    {
                        out.insert(f.sig.ident.to_string());
                    }
                }
            }
        });
    }
    out
}

fn walk_items<'a>(items: &'a [syn::Item], each: &mut dyn FnMut(&'a syn::Item)) {
    for item in items {
        match item {
            syn::Item::Mod(m) if !super::syntax::is_test_item(&m.attrs) => {
                if let Some((_, inner)) = &m.content {
                    walk_items(inner, each);
                }
            }
            syn::Item::Impl(i) if super::syntax::is_test_item(&i.attrs) => {}
            syn::Item::Trait(t) if super::syntax::is_test_item(&t.attrs) => {}
            _ => each(item),
        }
    }
}

fn tool_trait(t: &syn::ItemTrait) -> Option<ToolTrait> {
    let mut described = false;
    let mut call = None;
    for item in &t.items {
        match item {
            syn::TraitItem::Const(c) => described |= c.ident.to_string().contains("DESCRIPTION"),
            syn::TraitItem::Fn(f) => {
                let name = f.sig.ident.to_string();
                if name.contains("description") || is_definition(&name) {
                    described = true;
                } else if !is_metadata(&name)
                    && f.sig.receiver().is_some()
                    && f.sig.inputs.len() >= 2
                    && call.is_none()
                {
                    call = Some(name);
                }
            }
            _ => {}
        }
    }
    described.then_some(())?;
    Some(ToolTrait {
        name: t.ident.to_string(),
        call: call?,
    })
}

fn describe(
    file: &SourceFile,
    imp: &syn::ItemImpl,
    tt: &ToolTrait,
    registered: &BTreeMap<String, String>,
) -> Option<ToolInfo> {
    // `impl<T: Tool> DynTool for T` adapts every tool; it is no tool of its own.
    let generic: BTreeSet<String> = imp
        .generics
        .type_params()
        .map(|p| p.ident.to_string())
        .collect();
    let ty = super::syntax::inner_type_name(&imp.self_ty)?;
    if generic.contains(&ty) {
        return None;
    }
    let call = imp.items.iter().find_map(|it| match it {
        syn::ImplItem::Fn(f) if f.sig.ident == tt.call.as_str() => Some(f),
        _ => None,
    })?;
    let texts = metadata_texts(imp);
    let assoc = associated_types(imp);
    let (binding, param_ty) = super::tools::first_param(&call.sig).unwrap_or((None, None));
    // `request: Self::RequestArgs` names the type the impl binds.
    let param_type = param_ty.map(|t| assoc.get(&t).cloned().unwrap_or(t));
    let at = location(&file.path, call.sig.ident.span());
    let name = texts
        .get("name")
        .and_then(|t| t.clone())
        .or_else(|| registered.get(&ty).cloned())
        .unwrap_or_else(|| ty.clone());
    let description = texts.get("description").cloned();
    let mut info = ToolInfo {
        name,
        function: call.sig.ident.to_string(),
        shape: Shape::Trait,
        dynamic: false,
        description: description.clone().flatten(),
        description_unknown: matches!(description, Some(None)),
        title: texts.get("title").cloned().flatten(),
        annotations: BTreeMap::new(),
        hint_locations: BTreeMap::new(),
        params: param_texts(&call.sig),
        location: at,
        attr_location: location(&file.path, imp.self_ty.span()),
        param_type,
        param_binding: binding,
        arm_lines: None,
    };
    for it in &imp.items {
        let (name, tokens) = match it {
            syn::ImplItem::Fn(f) => (f.sig.ident.to_string(), quote::quote!(#f)),
            syn::ImplItem::Const(c) => (c.ident.to_string(), quote::quote!(#c)),
            _ => continue,
        };
        if name.to_ascii_lowercase().contains("annotation") {
            for (hint, (value, at)) in hints_in(&file.path, tokens) {
                info.annotations.insert(hint.clone(), value);
                info.hint_locations.insert(hint, at);
            }
        }
    }
    Some(info)
}

/// `name`, `description`, `title` of an impl: `Some(text)` for a literal `const NAME` or
/// `fn name() { "…" }`, `None` inside when the item exists but computes its text.
fn metadata_texts(imp: &syn::ItemImpl) -> BTreeMap<&'static str, Option<String>> {
    let mut out = BTreeMap::new();
    for it in &imp.items {
        let (ident, text) = match it {
            syn::ImplItem::Const(c) => {
                (c.ident.to_string().to_ascii_lowercase(), string_of(&c.expr))
            }
            syn::ImplItem::Fn(f) if is_definition(&f.sig.ident.to_string()) => {
                for (key, text) in definition_texts(&f.block) {
                    out.entry(key).or_insert(text);
                }
                continue;
            }
            syn::ImplItem::Fn(f) => (f.sig.ident.to_string(), tail_string(&f.block)),
            _ => continue,
        };
        let key = match ident.as_str() {
            "name" | "tool_name" => "name",
            "description" => "description",
            "title" => "title",
            _ => continue,
        };
        out.insert(key, text);
    }
    out
}

/// The `name`, `description` and `title` fields of the struct literal a definition method
/// returns (`description: Some("…".to_string())` included).
fn definition_texts(block: &syn::Block) -> Vec<(&'static str, Option<String>)> {
    let Some(syn::Stmt::Expr(syn::Expr::Struct(lit), None)) = block.stmts.last() else {
        return Vec::new();
    };
    lit.fields
        .iter()
        .filter_map(|field| {
            let syn::Member::Named(ident) = &field.member else {
                return None;
            };
            let key = match ident.to_string().as_str() {
                "name" => "name",
                "description" => "description",
                "title" => "title",
                _ => return None,
            };
            let value = match &field.expr {
                syn::Expr::Call(c)
                    if c.args.len() == 1
                        && super::syntax::call_path(c).as_deref() == Some("Some") =>
                {
                    string_of(&c.args[0])
                }
                other => string_of(other),
            };
            Some((key, value))
        })
        .collect()
}

/// `type RequestArgs = CargoBuildRequest;` of an impl.
fn associated_types(imp: &syn::ItemImpl) -> BTreeMap<String, String> {
    imp.items
        .iter()
        .filter_map(|it| match it {
            syn::ImplItem::Type(t) => {
                Some((t.ident.to_string(), super::syntax::inner_type_name(&t.ty)?))
            }
            _ => None,
        })
        .collect()
}

/// Types registered under a literal name: `register_tool("echo", Box::new(EchoTool))` maps
/// `EchoTool` to `echo`.
fn registrations(files: &[&SourceFile]) -> BTreeMap<String, String> {
    let mut v = Registrations::default();
    for file in files {
        v.visit_file(&file.ast);
    }
    v.found
}

#[derive(Default)]
struct Registrations {
    found: BTreeMap<String, String>,
}

impl Registrations {
    fn args(&mut self, args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>) {
        if args.len() != 2 {
            return;
        }
        let Some(name) = super::syntax::str_lit(&args[0]).map(|(s, _)| s) else {
            return;
        };
        let mut types = TypePaths::default();
        types.visit_expr(&args[1]);
        for ty in types.0 {
            self.found.entry(ty).or_insert_with(|| name.clone());
        }
    }
}

impl<'ast> Visit<'ast> for Registrations {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        self.args(&c.args);
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        self.args(&m.args);
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// Capitalised path segments of an expression (`Box::new(EchoTool)` gives `Box`, `EchoTool`).
#[derive(Default)]
struct TypePaths(Vec<String>);

impl<'ast> Visit<'ast> for TypePaths {
    fn visit_path(&mut self, p: &'ast syn::Path) {
        for s in &p.segments {
            let name = s.ident.to_string();
            if name.starts_with(|c: char| c.is_ascii_uppercase()) {
                self.0.push(name);
            }
        }
        syn::visit::visit_path(self, p);
    }
}

#[cfg(test)]
mod tests {
    use crate::check::analysis::tools::{Shape, tools};
    use crate::check::model::Context;

    #[test]
    fn a_definition_method_names_and_describes_the_tool() {
        let src = r#"
            pub trait Tool { fn definition(&self) -> ToolDefinition; async fn execute(&self, arguments: Value, state: Arc<State>) -> Result<Output, Error>; }
            pub struct CmdExec;
            impl Tool for CmdExec {
                fn definition(&self) -> ToolDefinition {
                    ToolDefinition { name: "cmd.exec".to_string(), description: Some("Executes a command".to_string()), input_schema: json!({}) }
                }
                async fn execute(&self, arguments: Value, _state: Arc<State>) -> Result<Output, Error> { todo!() }
            }
        "#;
        let ctx = Context::of_sources(vec![("src/tools.rs".into(), src.to_string())]);
        let tools = tools(&ctx);
        assert_eq!(tools.len(), 1, "{tools:?}");
        assert_eq!(tools[0].shape, Shape::Trait);
        assert_eq!(tools[0].name, "cmd.exec");
        assert_eq!(tools[0].description.as_deref(), Some("Executes a command"));
        assert_eq!(tools[0].function, "execute");
    }

    #[test]
    fn finds_one_tool_per_impl_of_the_crate_tool_trait() {
        let src = r#"
            pub trait Tool {
                const NAME: &'static str;
                const DESCRIPTION: &'static str;
                type RequestArgs;
                fn call_rmcp_tool(&self, request: Self::RequestArgs) -> Result<Response, ErrorData>;
            }
            pub trait DynTool { fn description(&self) -> &str; fn call(&self, r: Request) -> Response; }
            impl<T: Tool> DynTool for T {
                fn description(&self) -> &str { T::DESCRIPTION }
                fn call(&self, r: Request) -> Response { todo!() }
            }

            pub struct CargoRemove;
            impl Tool for CargoRemove {
                const NAME: &'static str = "cargo-remove";
                const DESCRIPTION: &'static str = "Removes dependencies from a Cargo.toml manifest file";
                type RequestArgs = CargoRemoveRequest;
                fn call_rmcp_tool(&self, request: Self::RequestArgs) -> Result<Response, ErrorData> {
                    run(request)
                }
            }

            #[async_trait]
            pub trait ToolHandler {
                fn description(&self) -> String;
                fn input_schema(&self) -> Value;
                async fn call(&self, args: Value) -> Result<CallToolResponse>;
            }
            struct ReadFileTool;
            impl ToolHandler for ReadFileTool {
                fn description(&self) -> String { "Reads a file and returns its text".to_string() }
                fn input_schema(&self) -> Value { json!({}) }
                async fn call(&self, args: Value) -> Result<CallToolResponse> { todo!() }
            }
            fn registry() { r.register_tool("read_file", Box::new(ReadFileTool)); }
        "#;
        let ctx = Context::of_sources(vec![("src/lib.rs".into(), src.into())]);
        let tools = tools(&ctx);
        assert_eq!(tools.len(), 2, "{tools:?}");
        let remove = &tools[0];
        assert_eq!(remove.shape, Shape::Trait);
        assert_eq!(remove.name, "cargo-remove");
        assert_eq!(remove.function, "call_rmcp_tool");
        assert_eq!(remove.param_type.as_deref(), Some("CargoRemoveRequest"));
        assert_eq!(remove.param_binding.as_deref(), Some("request"));
        assert_eq!(remove.location.line, 19);
        let read = &tools[1];
        assert_eq!(read.name, "read_file");
        assert_eq!(
            read.description.as_deref(),
            Some("Reads a file and returns its text")
        );
        assert_eq!(read.param_binding.as_deref(), Some("args"));
    }
}
