//! Model values that enter outside rmcp `#[tool]` functions: the `arguments` of a hand-written
//! `tools/call` dispatch, and the request struct of a tool trait (`type Args = Req;` with a
//! method taking `Self::Args`, `Req` a `Deserialize + JsonSchema` struct).

use std::collections::BTreeMap;

use syn::visit::Visit;

use super::flow::{Flow, Taint, WHOLE};
use super::index::Index;
use super::syntax::pat_idents;
use super::tools::ToolInfo;
use crate::check::model::location;

/// The key of the tool arguments in a `tools/call` request.
const ARGUMENTS: &str = "arguments";

/// One function where model values enter, and which of its names hold them.
struct Entry {
    func: usize,
    /// The tool name, when the code states it (`const NAME: &str = "cargo-add"`).
    name: Option<String>,
    taint: Taint,
}

/// Flows from every entry that is not already a discovered tool.
pub fn model_flows(index: &Index<'_>, tools: &[ToolInfo]) -> Vec<Flow> {
    let tool_fns: Vec<usize> = tools
        .iter()
        .filter_map(|t| super::flow::tool_fn(index, t))
        .collect();
    let mut entries = dispatch_entries(index);
    entries.extend(trait_entries(index));
    let mut out = Vec::new();
    for e in entries.into_iter().filter(|e| !tool_fns.contains(&e.func)) {
        let f = &index.fns[e.func];
        let name = e.name.unwrap_or_else(|| match &f.self_ty {
            Some(t) => format!("{t}::{}", f.name),
            None => f.name.clone(),
        });
        let tool = pseudo_tool(name, f);
        super::flow::follow_from(index, &tool, e.func, e.taint, &mut out);
    }
    out
}

/// A tool as far as the code shows it: its name and the function the model's values enter.
fn pseudo_tool(name: String, f: &super::index::FnInfo<'_>) -> ToolInfo {
    let at = location(&f.file.path, f.sig.ident.span());
    ToolInfo {
        name,
        function: f.name.clone(),
        shape: super::tools::Shape::Dispatch,
        dynamic: false,
        hint_locations: BTreeMap::new(),
        arm_lines: None,
        description: None,
        description_unknown: false,
        title: None,
        annotations: BTreeMap::new(),
        params: Vec::new(),
        location: at.clone(),
        attr_location: at,
        param_type: None,
        param_binding: None,
    }
}

/// Functions reading the `arguments` of a call: `request.arguments`, `params.get("arguments")`,
/// `request["params"]["arguments"]`.
fn dispatch_entries(index: &Index<'_>) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, f) in index.fns.iter().enumerate() {
        if !f.file.text.contains(ARGUMENTS) {
            continue;
        }
        let mut v = Reads::default();
        v.visit_block(f.block);
        if v.taint.vars.is_empty() && v.taint.fields.is_empty() {
            continue;
        }
        out.push(Entry {
            func: i,
            name: None,
            taint: v.taint,
        });
    }
    out
}

#[derive(Default)]
struct Reads {
    taint: Taint,
}

/// Does `e` read the `arguments` key of a JSON value (`.get("arguments")`, `["arguments"]`)?
fn reads_arguments(e: &syn::Expr) -> bool {
    let mut v = KeyRead(false);
    v.visit_expr(e);
    v.0
}

struct KeyRead(bool);

impl<'ast> Visit<'ast> for KeyRead {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        match e {
            syn::Expr::MethodCall(m)
                if m.method == "get"
                    && m.args.len() == 1
                    && super::syntax::str_lit(&m.args[0]).is_some_and(|(k, _)| k == ARGUMENTS) =>
            {
                self.0 = true
            }
            syn::Expr::Index(ix)
                if super::syntax::str_lit(&ix.index).is_some_and(|(k, _)| k == ARGUMENTS) =>
            {
                self.0 = true
            }
            _ => syn::visit::visit_expr(self, e),
        }
    }
}

impl<'ast> Visit<'ast> for Reads {
    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init
            && reads_arguments(&init.expr)
        {
            let label = super::flow::json_key(&init.expr).unwrap_or_else(|| ARGUMENTS.to_string());
            let at = syn::spanned::Spanned::span(&l.pat).start();
            for name in pat_idents(&l.pat) {
                self.taint
                    .sites
                    .insert((name.clone(), (at.line, at.column)), Some(label.clone()));
                self.taint.vars.insert(name, label.clone());
            }
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_expr_field(&mut self, f: &'ast syn::ExprField) {
        if let (syn::Expr::Path(p), syn::Member::Named(m)) = (&*f.base, &f.member)
            && m == ARGUMENTS
            && let Some(id) = p.path.get_ident()
        {
            self.taint.fields.insert(
                (id.to_string(), ARGUMENTS.to_string()),
                ARGUMENTS.to_string(),
            );
        }
        syn::visit::visit_expr_field(self, f);
    }
}

/// Methods of a tool trait impl that take the request struct: `fn call(&self, request:
/// Self::RequestArgs)` with `type RequestArgs = CargoAddRequest;`.
fn trait_entries(index: &Index<'_>) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in &index.fns {
        if !seen.insert(f.file.path.as_path()) || !f.file.text.contains("type ") {
            continue;
        }
        let mut v = Impls {
            index,
            file: f.file,
            out: &mut out,
        };
        v.visit_file(&f.file.ast);
    }
    out
}

struct Impls<'i, 'a> {
    index: &'i Index<'a>,
    file: &'a crate::check::model::SourceFile,
    out: &'i mut Vec<Entry>,
}

impl Impls<'_, '_> {
    /// `T` names a struct deriving both `Deserialize` and `JsonSchema`: the shape of a
    /// tool's input.
    fn is_input(&self, ty: &syn::Type) -> bool {
        let Some(name) = super::syntax::inner_type_name(ty) else {
            return false;
        };
        self.index.struct_named(&name).is_some_and(|s| {
            let derives = derives(&s.item.attrs);
            derives.iter().any(|d| d == "Deserialize") && derives.iter().any(|d| d == "JsonSchema")
        })
    }
}

impl<'ast> Visit<'ast> for Impls<'_, '_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !super::syntax::is_test_item(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_impl(&mut self, imp: &'ast syn::ItemImpl) {
        let inputs: Vec<(String, String)> = imp
            .items
            .iter()
            .filter_map(|it| match it {
                syn::ImplItem::Type(t) if self.is_input(&t.ty) => {
                    Some((t.ident.to_string(), super::syntax::inner_type_name(&t.ty)?))
                }
                _ => None,
            })
            .collect();
        if inputs.is_empty() {
            return;
        }
        let name = imp.items.iter().find_map(|it| match it {
            syn::ImplItem::Const(c) if c.ident == "NAME" => {
                super::syntax::str_lit(&c.expr).map(|(s, _)| s)
            }
            _ => None,
        });
        for it in &imp.items {
            let syn::ImplItem::Fn(f) = it else { continue };
            let mut taint = Taint::default();
            for arg in &f.sig.inputs {
                let syn::FnArg::Typed(t) = arg else { continue };
                let syn::Type::Path(tp) = &*t.ty else {
                    continue;
                };
                let segs: Vec<String> = tp
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                if segs.len() == 2 && segs[0] == "Self" {
                    let Some((_, ty)) = inputs.iter().find(|(a, _)| *a == segs[1]) else {
                        continue;
                    };
                    for n in pat_idents(&t.pat) {
                        taint.vars.insert(n.clone(), WHOLE.to_string());
                        taint.types.insert(n, ty.clone());
                    }
                }
            }
            if taint.vars.is_empty() {
                continue;
            }
            let line = f.sig.ident.span().start().line;
            let Some(func) = self.index.fns.iter().position(|g| {
                g.file.path == self.file.path && g.sig.ident.span().start().line == line
            }) else {
                continue;
            };
            self.out.push(Entry {
                func,
                name: name.clone(),
                taint,
            });
        }
    }
}

/// The names in `#[derive(...)]` attributes, last path segment each.
fn derives(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = a.parse_nested_meta(|m| {
            if let Some(last) = m.path.segments.last() {
                out.push(last.ident.to_string());
            }
            Ok(())
        });
    }
    out
}
