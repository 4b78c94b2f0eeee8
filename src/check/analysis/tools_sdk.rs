//! rust-mcp-sdk tools: structs carrying `#[mcp_tool(name = …, description = …, *_hint = …)]`,
//! whose fields are the tool's input and whose inherent method (`call_tool`, `run_tool`, …)
//! implements it; the `ServerHandler`'s `handle_call_tool_request` only routes to it.

use std::collections::BTreeMap;

use syn::spanned::Spanned;

use super::index::{FnInfo, Index};
use super::tools::{Shape, ToolInfo, bool_of, hint_name, param_texts, string_of};
use crate::check::model::{SourceFile, location};

/// Method names rust-mcp-sdk's examples and servers give the function that runs a tool.
const RUN_NAMES: &[&str] = &[
    "call_tool",
    "run_tool",
    "call",
    "run",
    "execute",
    "handle",
    "invoke",
];

/// Every `#[mcp_tool]` struct of `file`, with the method implementing it.
pub fn find(index: &Index<'_>, file: &SourceFile) -> Vec<ToolInfo> {
    let mut out = Vec::new();
    structs(&file.ast.items, &mut |s| {
        if let Some(attr) = s.attrs.iter().find(|a| is_mcp_tool(a)) {
            out.push(describe(index, file, s, attr));
        }
    });
    out
}

fn structs(items: &[syn::Item], each: &mut dyn FnMut(&syn::ItemStruct)) {
    for item in items {
        match item {
            syn::Item::Struct(s) if !super::syntax::is_test_item(&s.attrs) => each(s),
            syn::Item::Mod(m) if !super::syntax::is_test_item(&m.attrs) => {
                if let Some((_, inner)) = &m.content {
                    structs(inner, each);
                }
            }
            _ => {}
        }
    }
}

fn is_mcp_tool(a: &syn::Attribute) -> bool {
    a.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "mcp_tool")
}

fn describe(
    index: &Index<'_>,
    file: &SourceFile,
    s: &syn::ItemStruct,
    attr: &syn::Attribute,
) -> ToolInfo {
    let ty = s.ident.to_string();
    let run = implementation(index, file, &ty);
    let mut info = ToolInfo {
        name: ty.clone(),
        function: run.map(|f| f.name.clone()).unwrap_or_default(),
        shape: Shape::RustMcpSdk,
        dynamic: false,
        description: None,
        description_unknown: false,
        title: None,
        annotations: BTreeMap::new(),
        hint_locations: BTreeMap::new(),
        params: run.map(|f| param_texts(f.sig)).unwrap_or_default(),
        // Without a method the struct itself is where the tool is; no body is followed.
        location: run
            .map(|f| location(&f.file.path, f.sig.ident.span()))
            .unwrap_or_else(|| location(&file.path, s.ident.span())),
        attr_location: location(&file.path, attr.span()),
        param_type: Some(ty.clone()),
        param_binding: run.and_then(|f| binding(f, &ty)),
        arm_lines: None,
    };
    for (key, value) in key_values(attr) {
        let k = key.to_string();
        if let Some(hint) = hint_name(&k) {
            if let Some(b) = syn::parse2::<syn::Expr>(value)
                .ok()
                .as_ref()
                .and_then(bool_of)
            {
                info.annotations.insert(hint.to_string(), b);
                info.hint_locations
                    .insert(hint.to_string(), location(&file.path, key.span()));
            }
            continue;
        }
        let text = syn::parse2::<syn::Expr>(value)
            .ok()
            .as_ref()
            .and_then(string_of);
        match (k.as_str(), text) {
            ("name", Some(t)) => info.name = t,
            ("title", Some(t)) => info.title = Some(t),
            ("description", Some(t)) => info.description = Some(t),
            ("description", None) => info.description_unknown = true,
            _ => {}
        }
    }
    info
}

/// The inherent method of `ty` that runs the tool: one of [`RUN_NAMES`], else the only method
/// that takes the struct (`&self` or a `Self` parameter). The struct's own file first.
fn implementation<'i>(index: &'i Index<'_>, file: &SourceFile, ty: &str) -> Option<&'i FnInfo<'i>> {
    let methods: Vec<&FnInfo<'_>> = index
        .fns
        .iter()
        .filter(|f| f.self_ty.as_deref() == Some(ty) && f.trait_name.is_none())
        .collect();
    let local: Vec<&FnInfo<'_>> = methods
        .iter()
        .copied()
        .filter(|f| f.file.path == file.path)
        .collect();
    let pool = if local.is_empty() { methods } else { local };
    if let Some(f) = RUN_NAMES
        .iter()
        .find_map(|n| pool.iter().find(|f| f.name == *n))
    {
        return Some(f);
    }
    let taking: Vec<&&FnInfo<'_>> = pool
        .iter()
        .filter(|f| f.has_receiver || binding_of_type(f, ty).is_some())
        .collect();
    match taking.as_slice() {
        [only] => Some(only),
        _ => None,
    }
}

/// The binding holding the tool's input in its method: `self`, or the parameter typed `Self`
/// or the struct.
fn binding(f: &FnInfo<'_>, ty: &str) -> Option<String> {
    if f.has_receiver {
        return Some("self".into());
    }
    binding_of_type(f, ty)
}

fn binding_of_type(f: &FnInfo<'_>, ty: &str) -> Option<String> {
    f.sig.inputs.iter().find_map(|a| match a {
        syn::FnArg::Typed(t) => {
            let name = super::syntax::inner_type_name(&t.ty)?;
            (name == "Self" || name == ty)
                .then(|| super::syntax::pat_idents(&t.pat).into_iter().next())
                .flatten()
        }
        syn::FnArg::Receiver(_) => None,
    })
}

/// `key = value` pairs of an attribute's list, split at top-level commas, so one value that
/// does not parse as an expression (`icons = [..]`) does not hide the keys after it.
pub fn key_values(attr: &syn::Attribute) -> Vec<(proc_macro2::Ident, proc_macro2::TokenStream)> {
    let syn::Meta::List(list) = &attr.meta else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for part in super::syntax::split_commas(list.tokens.clone()) {
        let mut tokens = part.into_iter();
        let (Some(proc_macro2::TokenTree::Ident(key)), Some(proc_macro2::TokenTree::Punct(eq))) =
            (tokens.next(), tokens.next())
        else {
            continue;
        };
        if eq.as_char() == '=' {
            out.push((key, tokens.collect()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::check::analysis::tools::{Shape, tools};
    use crate::check::model::Context;

    #[test]
    fn finds_mcp_tool_structs_and_their_run_methods() {
        let src = r#"
            #[mcp_tool(
                name = "write_file",
                title = "Write file",
                description = concat!("Create a new file or ", "overwrite one."),
                destructive_hint = false,
                icons = [(src = "x.png", mime_type = "image/png", sizes = ["128x128"])],
                read_only_hint = false,
            )]
            #[derive(Debug, Deserialize, JsonSchema)]
            pub struct WriteFile {
                pub path: String,
                pub content: String,
            }

            impl WriteFile {
                pub async fn run_tool(params: Self, ctx: &Service) -> Result<CallToolResult, CallToolError> {
                    ctx.write_file(&params.path, &params.content).await
                }
            }

            #[mcp_tool(name = "echo", description = "Returns the text it is given.")]
            pub struct Echo { text: String }

            impl Echo {
                pub fn call_tool(&self) -> Result<CallToolResult, CallToolError> { todo!() }
            }
        "#;
        let ctx = Context::of_sources(vec![("src/lib.rs".into(), src.into())]);
        let tools = tools(&ctx);
        assert_eq!(tools.len(), 2, "{tools:?}");
        let echo = &tools[0];
        assert_eq!(echo.name, "echo");
        assert_eq!(echo.function, "call_tool");
        assert_eq!(echo.param_binding.as_deref(), Some("self"));
        let write = &tools[1];
        assert_eq!(write.shape, Shape::RustMcpSdk);
        assert_eq!(write.name, "write_file");
        assert_eq!(write.title.as_deref(), Some("Write file"));
        assert_eq!(
            write.description.as_deref(),
            Some("Create a new file or overwrite one.")
        );
        assert_eq!(write.annotations.get("destructive_hint"), Some(&false));
        assert_eq!(write.annotations.get("read_only_hint"), Some(&false));
        assert_eq!(write.hint_location("destructive_hint").line, 6);
        assert_eq!(write.function, "run_tool");
        assert_eq!(write.location.line, 17);
        assert_eq!(write.param_type.as_deref(), Some("WriteFile"));
        assert_eq!(write.param_binding.as_deref(), Some("params"));
    }
}
