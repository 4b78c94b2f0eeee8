//! Tools of hand-written call handlers: `call_tool` / `handle_call_tool_request` (or the
//! `"tools/call"` arm of a JSON-RPC loop) that `match`es the tool name against literals, the
//! tool values it lists (`Tool { name: "x", .. }`, `Tool::new("x", ..)`, `json!({"name": "x",
//! "inputSchema": ..})`), and tools built at run time: a tool value whose name is computed.
//! Those are reported as dynamic, located at the handler that runs them.

use std::collections::{BTreeMap, BTreeSet};

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::index::{FnInfo, Index};
use super::tools::{Shape, ToolInfo, hints_in, param_texts, string_of};
use crate::check::model::{Context, location};
use crate::finding::Location;

/// Names of the method that handles `tools/call` in rmcp and rust-mcp-sdk, and of the
/// free function or method hand-written servers give it.
const HANDLERS: &[&str] = &["call_tool", "handle_call_tool_request", "handle_tool_call"];

/// The JSON-RPC method whose arm handles tool calls in a hand-written loop.
const CALL_METHOD: &str = "tools/call";

pub fn find(ctx: &Context, index: &Index<'_>, known: &[ToolInfo]) -> Vec<ToolInfo> {
    let handlers = handlers(index);
    let listed = listings(index);
    let mut out: Vec<ToolInfo> = Vec::new();
    let mut names: BTreeSet<String> = known.iter().map(|t| t.name.clone()).collect();
    for &h in &handlers {
        for tool in dispatch_arms(index, h) {
            if names.insert(tool.name.clone()) {
                out.push(tool);
            }
        }
    }
    let trait_metadata = super::tools_trait::metadata_methods(ctx);
    for site in &listed {
        match &site.name {
            Name::Literal(name) => {
                if let Some(t) = out.iter_mut().find(|t| &t.name == name) {
                    merge(t, site);
                } else if names.insert(name.clone()) {
                    out.push(listed_tool(name, site));
                }
            }
            // A listing built from the crate's tool trait (`handler.description()`) shows
            // the trait's tools, found already.
            Name::Computed(_) if site.calls.iter().any(|c| trait_metadata.contains(c)) => {}
            // A computed tool value with no call handler in the crate is some other `Tool`
            // (an LLM client's function declaration): MCP tools are run by a handler.
            Name::Computed(_) if handlers.is_empty() => {}
            Name::Computed(expr) => {
                let handler = handlers[0];
                let f = &index.fns[handler];
                let at = location(&f.file.path, f.sig.ident.span());
                if out.iter().any(|t| t.dynamic && t.location == at) {
                    continue;
                }
                let (binding, ty) = super::tools::first_param(f.sig).unwrap_or((None, None));
                out.push(ToolInfo {
                    name: format!("<{expr}>"),
                    function: f.name.clone(),
                    shape: Shape::RunTime,
                    dynamic: true,
                    description: None,
                    description_unknown: true,
                    title: None,
                    annotations: BTreeMap::new(),
                    hint_locations: BTreeMap::new(),
                    params: param_texts(f.sig),
                    location: at,
                    attr_location: site.at.clone(),
                    param_type: ty,
                    param_binding: binding,
                    arm_lines: None,
                });
            }
        }
    }
    // A hand-written handler and no tool anywhere: the tools are chosen by name at run time
    // (plugins, a proxied server), and the handler is what runs them.
    if known.is_empty()
        && out.is_empty()
        && let Some(&h) = handlers.first()
    {
        let f = &index.fns[h];
        let (binding, ty) = super::tools::first_param(f.sig).unwrap_or((None, None));
        let at = location(&f.file.path, f.sig.ident.span());
        out.push(ToolInfo {
            name: format!("<{}.name>", binding.as_deref().unwrap_or("request")),
            function: f.name.clone(),
            shape: Shape::RunTime,
            dynamic: true,
            description: None,
            description_unknown: true,
            title: None,
            annotations: BTreeMap::new(),
            hint_locations: BTreeMap::new(),
            params: param_texts(f.sig),
            location: at.clone(),
            attr_location: at,
            param_type: ty,
            param_binding: binding,
            arm_lines: None,
        });
    }
    out
}

/// Functions that handle `tools/call`: by the SDKs' and the usual hand-written names, or
/// holding a `"tools/call"` match arm; a server handler trait's own method first.
fn handlers(index: &Index<'_>) -> Vec<usize> {
    let mut found: Vec<usize> = (0..index.fns.len())
        .filter(|&i| {
            let f = &index.fns[i];
            HANDLERS.contains(&f.name.as_str())
                || (f.file.text.contains(CALL_METHOD) && call_method_arm(f.block).is_some())
        })
        .collect();
    found.sort_by_key(|&i| {
        !matches!(
            index.fns[i].trait_name.as_deref(),
            Some("ServerHandler" | "ServerHandlerCore")
        )
    });
    found
}

/// The body of the `"tools/call"` arm of a match in `block`.
fn call_method_arm(block: &syn::Block) -> Option<syn::Expr> {
    let mut v = CallArm(None);
    v.visit_block(block);
    v.0
}

/// Finds the `"tools/call"` arm, cloning nothing else.
struct CallArm(Option<syn::Expr>);

impl<'ast> Visit<'ast> for CallArm {
    fn visit_arm(&mut self, a: &'ast syn::Arm) {
        if self.0.is_none()
            && literal_patterns(&a.pat)
                .iter()
                .any(|(s, _)| s == CALL_METHOD)
        {
            self.0 = Some((*a.body).clone());
            return;
        }
        syn::visit::visit_arm(self, a);
    }
}

#[derive(Default)]
struct Matches {
    found: Vec<syn::ExprMatch>,
}

impl<'ast> Visit<'ast> for Matches {
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        self.found.push(m.clone());
        syn::visit::visit_expr_match(self, m);
    }

    // A closure handed elsewhere is not the handler's own dispatch.
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
}

/// String literals a pattern matches (`"a" | "b"`).
fn literal_patterns(pat: &syn::Pat) -> Vec<(String, proc_macro2::Span)> {
    match pat {
        syn::Pat::Lit(l) => match &l.lit {
            syn::Lit::Str(s) => vec![(s.value(), s.span())],
            _ => Vec::new(),
        },
        syn::Pat::Or(o) => o.cases.iter().flat_map(literal_patterns).collect(),
        _ => Vec::new(),
    }
}

/// Tools of the name matches in handler `h`: one per literal arm, implemented by the crate
/// function the arm calls, else by the handler itself.
fn dispatch_arms(index: &Index<'_>, h: usize) -> Vec<ToolInfo> {
    let handler = &index.fns[h];
    let scope: syn::Expr = match call_method_arm(handler.block) {
        Some(arm) => arm,
        None => syn::Expr::Block(syn::ExprBlock {
            attrs: Vec::new(),
            label: None,
            block: handler.block.clone(),
        }),
    };
    let mut v = Matches::default();
    v.visit_expr(&scope);
    let mut out = Vec::new();
    for m in &v.found {
        let arms: Vec<(&syn::Arm, Vec<(String, proc_macro2::Span)>)> = m
            .arms
            .iter()
            .map(|a| (a, literal_patterns(&a.pat)))
            .collect();
        // A match on JSON-RPC methods (`"tools/list"`) or with no literal arm is no dispatch.
        if arms.iter().all(|(_, l)| l.is_empty())
            || arms
                .iter()
                .flat_map(|(_, l)| l)
                .any(|(s, _)| s.contains('/') || s.is_empty())
        {
            continue;
        }
        for (arm, literals) in &arms {
            let callee = arm_callee(index, handler, &arm.body);
            let run = callee.unwrap_or(h);
            let body = arm.body.span();
            for (name, span) in literals {
                let mut tool = arm_tool(index, run, name, location(&handler.file.path, *span));
                if callee.is_none() {
                    tool.arm_lines = Some((body.start().line, body.end().line));
                }
                out.push(tool);
            }
        }
    }
    out
}

/// The one crate function an arm's first resolvable call reaches.
fn arm_callee(index: &Index<'_>, handler: &FnInfo<'_>, body: &syn::Expr) -> Option<usize> {
    let mut calls = Calls::default();
    calls.visit_expr(body);
    calls
        .found
        .iter()
        .find_map(|c| match index.resolve_call(c, handler).as_slice() {
            [one] => Some(*one),
            _ => None,
        })
}

#[derive(Default)]
struct Calls {
    found: Vec<syn::Expr>,
}

impl<'ast> Visit<'ast> for Calls {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if matches!(e, syn::Expr::Call(_) | syn::Expr::MethodCall(_)) {
            self.found.push(e.clone());
        }
        syn::visit::visit_expr(self, e);
    }
}

fn arm_tool(index: &Index<'_>, run: usize, name: &str, at: Location) -> ToolInfo {
    let f = &index.fns[run];
    let (binding, ty) = super::tools::first_param(f.sig).unwrap_or((None, None));
    ToolInfo {
        name: name.to_string(),
        function: f.name.clone(),
        shape: Shape::Dispatch,
        dynamic: false,
        description: None,
        description_unknown: false,
        title: None,
        annotations: BTreeMap::new(),
        hint_locations: BTreeMap::new(),
        params: param_texts(f.sig),
        location: location(&f.file.path, f.sig.ident.span()),
        attr_location: at,
        param_type: ty,
        param_binding: binding,
        arm_lines: None,
    }
}

/// How a listed tool value is named.
enum Name {
    Literal(String),
    /// Token text of the expression that computes it.
    Computed(String),
}

/// A tool value the crate builds to list it.
struct Listing {
    name: Name,
    description: Option<String>,
    description_computed: bool,
    title: Option<String>,
    hints: BTreeMap<String, (bool, Location)>,
    at: Location,
    /// Methods called while building it.
    calls: BTreeSet<String>,
}

fn merge(t: &mut ToolInfo, site: &Listing) {
    if t.description.is_none() {
        t.description.clone_from(&site.description);
        t.description_unknown = site.description_computed;
    }
    if t.title.is_none() {
        t.title.clone_from(&site.title);
    }
    for (hint, (value, at)) in &site.hints {
        t.annotations.entry(hint.clone()).or_insert(*value);
        t.hint_locations
            .entry(hint.clone())
            .or_insert_with(|| at.clone());
    }
}

/// A tool only listed: its metadata is judged, no implementation is known.
fn listed_tool(name: &str, site: &Listing) -> ToolInfo {
    let mut t = ToolInfo {
        name: name.to_string(),
        function: String::new(),
        shape: Shape::Dispatch,
        dynamic: false,
        description: None,
        description_unknown: false,
        title: None,
        annotations: BTreeMap::new(),
        hint_locations: BTreeMap::new(),
        params: Vec::new(),
        location: site.at.clone(),
        attr_location: site.at.clone(),
        param_type: None,
        param_binding: None,
        arm_lines: None,
    };
    merge(&mut t, site);
    t
}

/// Every tool value built in the crate's functions.
fn listings(index: &Index<'_>) -> Vec<Listing> {
    let mut out = Vec::new();
    for f in &index.fns {
        if !(f.file.text.contains("Tool") || f.file.text.contains("inputSchema")) {
            continue;
        }
        let mut v = Values {
            file: &f.file.path,
            out: &mut out,
        };
        v.visit_block(f.block);
    }
    out
}

struct Values<'o> {
    file: &'o std::path::Path,
    out: &'o mut Vec<Listing>,
}

impl Values<'_> {
    fn push<T: quote::ToTokens>(
        &mut self,
        name: &syn::Expr,
        description: Option<&syn::Expr>,
        whole: &T,
    ) {
        let name = match string_of(name) {
            Some(n) => Name::Literal(n),
            // An UPPER_CASE constant names one fixed tool; its value is elsewhere.
            None if super::syntax::is_constant(name) => return,
            None => Name::Computed(super::syntax::compact(name)),
        };
        let description_text = description.and_then(string_of);
        let mut calls = MethodNames::default();
        if let Ok(e) = syn::parse2::<syn::Expr>(quote::quote!(#whole)) {
            calls.visit_expr(&e);
        }
        self.out.push(Listing {
            name,
            description_computed: description.is_some() && description_text.is_none(),
            description: description_text,
            title: None,
            hints: hints_in(self.file, quote::quote!(#whole)),
            at: location(self.file, whole.span()),
            calls: calls.0,
        });
    }
}

impl<'ast> Visit<'ast> for Values<'_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        match e {
            syn::Expr::Struct(s) if s.path.segments.last().is_some_and(|l| l.ident == "Tool") => {
                let field = |n: &str| {
                    s.fields.iter().find_map(|f| match &f.member {
                        syn::Member::Named(id) if id == n => Some(&f.expr),
                        _ => None,
                    })
                };
                if let Some(name) = field("name") {
                    self.push(name, field("description").map(unwrap_some), e);
                }
            }
            syn::Expr::Call(c)
                if super::syntax::call_path(c)
                    .is_some_and(|p| p == "Tool::new" || p.ends_with("::Tool::new"))
                    && c.args.len() >= 2 =>
            {
                self.push(&c.args[0], Some(&c.args[1]), e);
            }
            _ => {}
        }
        syn::visit::visit_expr(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if super::syntax::macro_name(mac) == "json" {
            if let Some((name, description)) = json_tool(&mac.tokens) {
                self.push(&name, description.as_ref(), mac);
            }
            return;
        }
        // `vec![Tool { .. }, ..]`
        for e in super::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

/// `Some(x)` gives `x`.
fn unwrap_some(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Call(c)
            if c.args.len() == 1 && super::syntax::call_path(c).as_deref() == Some("Some") =>
        {
            &c.args[0]
        }
        other => other,
    }
}

/// `json!({"name": <expr>, "description": <expr>, "inputSchema": ..})`: the name and the
/// description, when the object has both a name and an input schema.
fn json_tool(tokens: &proc_macro2::TokenStream) -> Option<(syn::Expr, Option<syn::Expr>)> {
    let group = tokens.clone().into_iter().find_map(|t| match t {
        proc_macro2::TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace => {
            Some(g)
        }
        _ => None,
    })?;
    let mut fields: BTreeMap<String, proc_macro2::TokenStream> = BTreeMap::new();
    for part in super::syntax::split_commas(group.stream()) {
        let mut it = part.into_iter();
        let (Some(proc_macro2::TokenTree::Literal(k)), Some(proc_macro2::TokenTree::Punct(p))) =
            (it.next(), it.next())
        else {
            continue;
        };
        if p.as_char() == ':' {
            fields.insert(k.to_string().trim_matches('"').to_string(), it.collect());
        }
    }
    if !fields.contains_key("inputSchema") && !fields.contains_key("input_schema") {
        return None;
    }
    let name = syn::parse2(fields.get("name")?.clone()).ok()?;
    let description = fields
        .get("description")
        .and_then(|d| syn::parse2(d.clone()).ok());
    Some((name, description))
}

#[derive(Default)]
struct MethodNames(BTreeSet<String>);

impl<'ast> Visit<'ast> for MethodNames {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        self.0.insert(m.method.to_string());
        syn::visit::visit_expr_method_call(self, m);
    }
}

#[cfg(test)]
mod tests {
    use crate::check::analysis::tools::{Shape, tools};
    use crate::check::model::Context;

    #[test]
    fn a_name_match_in_call_tool_and_its_listing_are_one_tool_each() {
        let src = r#"
            impl ServerHandler for S {
                async fn list_tools(&self) -> ListToolsResult {
                    vec![Tool {
                        name: "delete_note".into(),
                        description: Some("Deletes one note for good".into()),
                        annotations: Some(ToolAnnotations { destructive_hint: Some(false), ..Default::default() }),
                    }]
                }
                async fn call_tool(&self, request: CallToolRequestParams) -> Result<CallToolResult, Error> {
                    match request.name.as_ref() {
                        "delete_note" => self.delete_note(request.arguments).await,
                        "ping" => Ok(CallToolResult::success(vec![])),
                        other => Err(Error::unknown(other)),
                    }
                }
            }
            impl S {
                async fn delete_note(&self, args: Option<Map>) -> Result<CallToolResult, Error> { todo!() }
            }
        "#;
        let ctx = Context::of_sources(vec![("src/lib.rs".into(), src.into())]);
        let tools = tools(&ctx);
        assert_eq!(tools.len(), 2, "{tools:?}");
        let delete = &tools[0];
        assert_eq!(delete.shape, Shape::Dispatch);
        assert_eq!(delete.name, "delete_note");
        assert_eq!(delete.function, "delete_note");
        assert_eq!(delete.location.line, 19);
        assert_eq!(delete.param_binding.as_deref(), Some("args"));
        assert_eq!(
            delete.description.as_deref(),
            Some("Deletes one note for good")
        );
        assert_eq!(delete.annotations.get("destructive_hint"), Some(&false));
        assert_eq!(delete.hint_location("destructive_hint").line, 7);
        let ping = &tools[1];
        assert_eq!(ping.function, "call_tool");
        assert_eq!(ping.arm_lines, Some((13, 13)));
        assert_eq!(delete.arm_lines, None);
    }

    #[test]
    fn tools_named_at_run_time_are_one_dynamic_tool_at_the_handler() {
        let src = r#"
            fn handle(&self, message: &str) -> Value {
                match method {
                    "tools/list" => {
                        let tools: Vec<Value> = self.config.tools.iter().map(|t| json!({
                            "name": t.name,
                            "description": t.description,
                            "inputSchema": {"type": "object"}
                        })).collect();
                        json!({"tools": tools})
                    }
                    "tools/call" => self.execute(params["name"].as_str(), message),
                    _ => Value::Null,
                }
            }
        "#;
        let ctx = Context::of_sources(vec![("src/lib.rs".into(), src.into())]);
        let tools = tools(&ctx);
        assert_eq!(tools.len(), 1, "{tools:?}");
        let t = &tools[0];
        assert!(t.dynamic);
        assert_eq!(t.shape, Shape::RunTime);
        assert_eq!(t.name, "<t.name>");
        assert_eq!(t.function, "handle");
        assert_eq!(t.attr_location.line, 5);
        assert_eq!(t.param_binding.as_deref(), Some("message"));
    }

    #[test]
    fn a_computed_tool_value_without_a_call_handler_is_no_mcp_tool() {
        let src = r#"
            fn declare(functions: &[Function]) -> Vec<Tool> {
                functions.iter().map(|f| Tool { name: f.name.clone(), description: None }).collect()
            }
        "#;
        let ctx = Context::of_sources(vec![("src/lib.rs".into(), src.into())]);
        assert!(tools(&ctx).is_empty());
    }

    #[test]
    fn a_handler_forwarding_calls_with_no_tool_in_code_serves_run_time_tools() {
        let src = r#"
            impl Plugin for Wasm {
                async fn call_tool(&self, request: CallToolRequestParam) -> Result<CallToolResult, McpError> { todo!() }
            }
            impl ServerHandler for PluginService {
                async fn call_tool(&self, request: CallToolRequestParam, ctx: Ctx) -> Result<CallToolResult, McpError> {
                    let plugin = self.plugins.get(&request.name).unwrap();
                    plugin.call_tool(request, ctx).await
                }
            }
        "#;
        let ctx = Context::of_sources(vec![("src/lib.rs".into(), src.into())]);
        let tools = tools(&ctx);
        assert_eq!(tools.len(), 1, "{tools:?}");
        assert!(tools[0].dynamic);
        assert_eq!(tools[0].name, "<request.name>");
        // The server handler's own method, not the plugin's.
        assert_eq!(tools[0].location.line, 6);
        assert_eq!(tools[0].attr_location, tools[0].location);
    }
}
