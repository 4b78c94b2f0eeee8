//! MCP tools as declared in source, whatever the shape that declares them: rmcp `#[tool]`
//! functions (`tools_rmcp`), rust-mcp-sdk `#[mcp_tool]` structs (`tools_sdk`), a crate's own
//! tool trait with one impl per tool (`tools_trait`), and hand-written `call_tool` handlers that
//! dispatch by name or serve tools built at run time (`tools_dispatch`). Each tool names the
//! function that implements it, so every per-tool rule applies to every shape.

use std::collections::BTreeMap;

use super::index::Index;
use crate::check::model::Context;
use crate::finding::Location;

/// How a tool was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// rmcp `#[tool]` on a function.
    Rmcp,
    /// rust-mcp-sdk `#[mcp_tool]` on a struct, run by a method of that struct.
    RustMcpSdk,
    /// An impl of the crate's own tool trait.
    Trait,
    /// An arm of a `match` on the tool name in a hand-written call handler, or a tool value
    /// (`Tool { name: "x", .. }`) the handler lists.
    Dispatch,
    /// Tools built at run time (from configuration, plugins, a remote server): their names
    /// and metadata are data check cannot read; the handler that runs them is analysed.
    RunTime,
}

/// One MCP tool as declared in source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolInfo {
    /// The tool name clients see (`name = "…"` or the function name); for tools built at run
    /// time, the expression that names them, in angle brackets.
    pub name: String,
    /// The Rust function implementing it.
    pub function: String,
    pub shape: Shape,
    /// Built at run time: name, description and annotations are not in the source.
    pub dynamic: bool,
    /// `description = "…"`, or else the doc comment, as rmcp takes it.
    pub description: Option<String>,
    /// The doc comment holds a macro (`#[doc = include_str!(…)]`) that check does not expand,
    /// or the description is computed, so the description exists but its text is unknown.
    pub description_unknown: bool,
    pub title: Option<String>,
    /// Annotation hints (`read_only_hint`, `destructive_hint`, `idempotent_hint`,
    /// `open_world_hint`), as declared.
    pub annotations: BTreeMap<String, bool>,
    /// Where each declared hint is written.
    pub hint_locations: BTreeMap<String, Location>,
    /// Names of the function's parameters (the fields of its `Parameters<T>` struct are
    /// resolved by the rules that need them).
    pub params: Vec<String>,
    /// Where the implementing function is declared (its name).
    pub location: Location,
    /// Where the tool is declared: its attribute, its `impl`, its match arm, or for tools built
    /// at run time the place that builds them.
    pub attr_location: Location,
    /// The struct of its input (`T` of `Parameters<T>`, the `#[mcp_tool]` struct itself).
    pub param_type: Option<String>,
    /// The binding that holds the input: `args` in `Parameters(args)`, `p` in
    /// `p: Parameters<T>`, `self` for a method of the input struct.
    pub param_binding: Option<String>,
    /// The lines (first, last) of the match arm that runs the tool inside a handler that runs
    /// several tools inline: only what happens there belongs to this tool.
    pub arm_lines: Option<(usize, usize)>,
}

impl ToolInfo {
    /// What the source declares about the tool (name, description, hints) can be judged.
    pub fn metadata_known(&self) -> bool {
        !self.dynamic
    }

    /// Where a declared hint is written, else where the tool is declared.
    pub fn hint_location(&self, hint: &str) -> Location {
        self.hint_locations
            .get(hint)
            .cloned()
            .unwrap_or_else(|| self.attr_location.clone())
    }
}

/// Every tool in the context's sources, sorted by name.
#[cfg(test)]
pub fn tools(ctx: &Context) -> Vec<ToolInfo> {
    tools_in(ctx, &Index::new(ctx))
}

/// [`tools`] over an index already built.
pub fn tools_in(ctx: &Context, index: &Index<'_>) -> Vec<ToolInfo> {
    let mut out = Vec::new();
    // Most files of a large crate declare no tool: skip them before walking the syntax tree.
    for file in super::index::shipped(ctx)
        .into_iter()
        .filter(|f| f.text.contains("tool") || f.text.contains("Tool"))
    {
        out.extend(super::tools_rmcp::find(&ctx.root, file));
        out.extend(super::tools_sdk::find(index, file));
    }
    out.extend(super::tools_trait::find(ctx));
    let dispatched = super::tools_dispatch::find(ctx, index, &out);
    out.extend(dispatched);
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.location.cmp(&b.location)));
    out.dedup_by(|a, b| a.name == b.name && a.location == b.location);
    out
}

/// The canonical name of an annotation hint as rmcp, rust-mcp-sdk, the schema's JSON and
/// rmcp's builder spell it (`readOnlyHint`, `read_only`), or `None` for any other key.
pub fn hint_name(key: &str) -> Option<&'static str> {
    let k = key.to_ascii_lowercase().replace('_', "");
    Some(match k.as_str() {
        "readonlyhint" | "readonly" => "read_only_hint",
        "destructivehint" | "destructive" => "destructive_hint",
        "idempotenthint" | "idempotent" => "idempotent_hint",
        "openworldhint" | "openworld" => "open_world_hint",
        _ => return None,
    })
}

/// `true`, `false`, `Some(true)`, `Some(false)`.
pub fn bool_of(expr: &syn::Expr) -> Option<bool> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(b),
            ..
        }) => Some(b.value),
        syn::Expr::Call(c) if c.args.len() == 1 => {
            let p = super::syntax::call_path(c)?;
            (p == "Some").then(|| bool_of(&c.args[0])).flatten()
        }
        syn::Expr::Paren(p) => bool_of(&p.expr),
        _ => None,
    }
}

/// The value of a string literal expression, including `concat!("a", "b")` and the
/// conversions `str_lit` sees through (`"x".to_string()`, `String::from("x")`).
pub fn string_of(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Macro(m) if m.mac.path.is_ident("concat") => {
            let parts = m
                .mac
                .parse_body_with(
                    syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
                )
                .ok()?;
            parts
                .iter()
                .map(string_of)
                .collect::<Option<Vec<_>>>()
                .map(|v| v.concat())
        }
        _ => super::syntax::str_lit(expr).map(|(s, _)| s),
    }
}

/// The value of the last expression of a block (`fn name(&self) -> &str { "x" }`).
pub fn tail_string(block: &syn::Block) -> Option<String> {
    match block.stmts.last()? {
        syn::Stmt::Expr(e, None) => string_of(e),
        _ => None,
    }
}

/// The first parameter of `sig` other than the receiver: its binding and its type's name.
pub fn first_param(sig: &syn::Signature) -> Option<(Option<String>, Option<String>)> {
    sig.inputs.iter().find_map(|a| match a {
        syn::FnArg::Typed(t) => Some((
            super::syntax::pat_idents(&t.pat).into_iter().next(),
            super::syntax::inner_type_name(&t.ty),
        )),
        syn::FnArg::Receiver(_) => None,
    })
}

/// The parameters of `sig` as written, receiver left out.
pub fn param_texts(sig: &syn::Signature) -> Vec<String> {
    sig.inputs
        .iter()
        .filter_map(|arg| match arg {
            syn::FnArg::Typed(t) => Some(quote::quote!(#t).to_string()),
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}

/// Hints written as struct fields (`read_only_hint: Some(true)`), builder calls
/// (`.read_only(true)`) or JSON keys (`"readOnlyHint": true`) anywhere in `tokens`.
pub fn hints_in(
    file: &std::path::Path,
    tokens: proc_macro2::TokenStream,
) -> BTreeMap<String, (bool, Location)> {
    let mut out = BTreeMap::new();
    let list: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
    for (i, t) in list.iter().enumerate() {
        if let proc_macro2::TokenTree::Group(g) = t {
            out.extend(hints_in(file, g.stream()));
            continue;
        }
        let key = match t {
            proc_macro2::TokenTree::Ident(id) => id.to_string(),
            proc_macro2::TokenTree::Literal(l) => l.to_string().trim_matches('"').to_string(),
            _ => continue,
        };
        let Some(hint) = hint_name(&key) else {
            continue;
        };
        if let Some(value) = hint_value(&list[i + 1..]) {
            let at = crate::check::model::location(file, t.span());
            out.entry(hint.to_string()).or_insert((value, at));
        }
    }
    out
}

/// The boolean after a hint key: `: true`, `: Some(false)`, `(true)`, `= false`.
fn hint_value(rest: &[proc_macro2::TokenTree]) -> Option<bool> {
    use proc_macro2::TokenTree as T;
    let as_bool = |t: &T| match t {
        T::Ident(id) if id == "true" => Some(true),
        T::Ident(id) if id == "false" => Some(false),
        _ => None,
    };
    let inner = |t: &T| match t {
        T::Group(g) => g.stream().into_iter().next().as_ref().and_then(as_bool),
        _ => None,
    };
    match rest {
        [T::Punct(p), v, ..] if p.as_char() == ':' || p.as_char() == '=' => {
            as_bool(v).or_else(|| match (v, rest.get(2)) {
                (T::Ident(id), Some(g)) if id == "Some" => inner(g),
                _ => None,
            })
        }
        [g @ T::Group(_), ..] => inner(g),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_in_fields_builders_and_json() {
        let tokens: proc_macro2::TokenStream = r#"
            ToolAnnotations { read_only_hint: Some(true), destructive_hint: Some(false), title: None }
            ToolAnnotations::new().idempotent(true)
            json!({"openWorldHint": false})
        "#
        .parse()
        .unwrap();
        let hints = hints_in(std::path::Path::new("src/lib.rs"), tokens);
        let value = |h: &str| hints.get(h).map(|(v, _)| *v);
        assert_eq!(value("read_only_hint"), Some(true));
        assert_eq!(value("destructive_hint"), Some(false));
        assert_eq!(value("idempotent_hint"), Some(true));
        assert_eq!(value("open_world_hint"), Some(false));
        assert_eq!(hints["read_only_hint"].1.line, 2);
    }
}
