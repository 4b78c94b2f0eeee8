//! Small syntax helpers shared by the rules: paths as text, macro arguments, format strings.

use syn::punctuated::Punctuated;
use syn::visit::Visit;

/// `std::fs::read` for a path expression, `""` otherwise.
pub fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// The called path of `f(...)`, when `f` is a path.
pub fn call_path(call: &syn::ExprCall) -> Option<String> {
    match &*call.func {
        syn::Expr::Path(p) => Some(path_text(&p.path)),
        _ => None,
    }
}

/// Token text of any syntax node, spaces removed, for cheap containment tests.
pub fn compact<T: quote::ToTokens>(node: &T) -> String {
    node.to_token_stream().to_string().replace(' ', "")
}

/// The value of a string literal expression (through references and `.to_string()`-like calls).
pub fn str_lit(expr: &syn::Expr) -> Option<(String, proc_macro2::Span)> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some((s.value(), s.span())),
        syn::Expr::Reference(r) => str_lit(&r.expr),
        syn::Expr::Paren(p) => str_lit(&p.expr),
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "to_string" | "to_owned" | "into"
                ) =>
        {
            str_lit(&m.receiver)
        }
        syn::Expr::Call(c) if c.args.len() == 1 => {
            let p = call_path(c)?;
            if p.ends_with("String::from") || p.ends_with("from") {
                str_lit(&c.args[0])
            } else {
                None
            }
        }
        _ => None,
    }
}

/// True for literals and `UPPER_CASE` constants: text the caller cannot influence.
pub fn is_constant(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Lit(_) => true,
        syn::Expr::Reference(r) => is_constant(&r.expr),
        syn::Expr::Paren(p) => is_constant(&p.expr),
        syn::Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            let s = s.ident.to_string();
            s.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        }),
        _ => str_lit(expr).is_some(),
    }
}

/// One argument of a format-like macro and whether it is shown with `{:?}`.
pub struct FmtArg {
    pub expr: syn::Expr,
    pub debug: bool,
}

/// The format string and arguments of `format!`-like macros (`format!`, `write!`, `panic!`...).
/// Inline captures (`{err:?}`) become path expressions.
pub fn format_args(mac: &syn::Macro) -> Option<(syn::LitStr, Vec<FmtArg>)> {
    let parts = mac
        .parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    let mut iter = parts.into_iter().peekable();
    // `write!(f, "...")` carries a destination first.
    let first = iter.next()?;
    let lit = match first {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => s,
        _ => match iter.next()? {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => s,
            _ => return None,
        },
    };
    let rest: Vec<syn::Expr> = iter.collect();
    let mut out = Vec::new();
    let mut positional = 0;
    for spec in placeholders(&lit.value()) {
        let (name, fmt) = spec.split_once(':').unwrap_or((spec.as_str(), ""));
        let debug = fmt.contains('?');
        let name = name.trim();
        let expr = if name.is_empty() {
            positional += 1;
            rest.get(positional - 1).cloned()
        } else if let Ok(index) = name.parse::<usize>() {
            rest.get(index).cloned()
        } else if let Some(named) = rest.iter().find_map(|e| match e {
            syn::Expr::Assign(a) if compact(&a.left) == name => Some((*a.right).clone()),
            _ => None,
        }) {
            Some(named)
        } else {
            syn::parse_str::<syn::Ident>(name).ok().map(|id| {
                let mut p: syn::ExprPath = syn::parse_quote!(#id);
                if let Some(seg) = p.path.segments.first_mut() {
                    seg.ident.set_span(lit.span());
                }
                syn::Expr::Path(p)
            })
        };
        if let Some(expr) = expr {
            out.push(FmtArg { expr, debug });
        }
    }
    Some((lit, out))
}

/// The `{...}` specs of a format string, `{{` escapes skipped.
fn placeholders(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '{' {
            if chars.get(i + 1) == Some(&'{') {
                i += 2;
                continue;
            }
            let start = i + 1;
            while i < chars.len() && chars[i] != '}' {
                i += 1;
            }
            out.push(chars[start..i.min(chars.len())].iter().collect());
        }
        i += 1;
    }
    out
}

/// The macro name (last path segment).
pub fn macro_name(mac: &syn::Macro) -> String {
    mac.path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// Expressions inside a macro body that parses as comma-separated expressions.
pub fn macro_exprs(mac: &syn::Macro) -> Vec<syn::Expr> {
    mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .map(|p| p.into_iter().collect())
        .unwrap_or_default()
}

/// True when `tokens` hold a string literal (plain, raw or byte), at any depth.
pub fn has_str_literal(tokens: &proc_macro2::TokenStream) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Literal(l) => l.to_string().contains('"'),
        proc_macro2::TokenTree::Group(g) => has_str_literal(&g.stream()),
        _ => false,
    })
}

/// True when `tokens` hold one of the identifiers `names`, at any depth.
pub fn has_ident(tokens: &proc_macro2::TokenStream, names: &[&str]) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => names.iter().any(|n| i == n),
        proc_macro2::TokenTree::Group(g) => has_ident(&g.stream(), names),
        _ => false,
    })
}

/// Macros whose body is format arguments.
pub fn is_format_macro(name: &str) -> bool {
    matches!(
        name,
        "format" | "write" | "writeln" | "format_args" | "panic" | "anyhow" | "bail" | "eyre"
    )
}

/// Logging macros: their text goes to the log, not to the client.
pub fn is_log_macro(name: &str) -> bool {
    matches!(
        name,
        "info" | "warn" | "error" | "debug" | "trace" | "event" | "eprintln" | "eprint" | "log"
    )
}

/// Whether the item carries `#[cfg(test)]` or `#[test]`-like attributes.
pub fn is_test_item(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        // Doc comments, most attributes of a documented crate, are `name = value`: never tests.
        if matches!(a.meta, syn::Meta::NameValue(_)) {
            return false;
        }
        let p = a.path();
        if p.segments.last().is_some_and(|s| s.ident == "test") {
            return true;
        }
        if !p.is_ident("cfg") {
            return false;
        }
        let syn::Meta::List(list) = &a.meta else {
            return false;
        };
        needs_test(&list.tokens)
    })
}

/// Whether a `cfg` predicate holds only in test builds: `test`, a test-support feature
/// (`feature = "test-util"`: a word of its name starts with `test`), `all(..)` with one part
/// that needs a test build, `any(..)` whose every part does. `not(..)` never does, and
/// `any(unix, test)` does not either: that code ships on unix. A walk over the tokens, as
/// rendering every `cfg` to text cost more than parsing on large crates.
fn needs_test(tokens: &proc_macro2::TokenStream) -> bool {
    use proc_macro2::{Delimiter, TokenTree};
    let parts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    match parts.as_slice() {
        [TokenTree::Ident(i)] => i == "test",
        [
            TokenTree::Ident(key),
            TokenTree::Punct(eq),
            TokenTree::Literal(value),
        ] if key == "feature" && eq.as_char() == '=' => value
            .to_string()
            .trim_matches('"')
            .split(['-', '_'])
            .any(|word| word.starts_with("test")),
        [TokenTree::Ident(op), TokenTree::Group(g)] if g.delimiter() == Delimiter::Parenthesis => {
            let predicates = split_commas(g.stream());
            match op.to_string().as_str() {
                "all" => predicates.iter().any(needs_test),
                "any" => !predicates.is_empty() && predicates.iter().all(needs_test),
                _ => false,
            }
        }
        _ => false,
    }
}

/// The comma-separated parts of a token list, empty parts dropped.
pub fn split_commas(tokens: proc_macro2::TokenStream) -> Vec<proc_macro2::TokenStream> {
    let mut parts = vec![proc_macro2::TokenStream::new()];
    for token in tokens {
        match &token {
            proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => {
                parts.push(proc_macro2::TokenStream::new())
            }
            _ => parts.last_mut().expect("never empty").extend([token]),
        }
    }
    parts.retain(|p| !p.is_empty());
    parts
}

/// Every identifier used as a single-segment path in `expr`, with the field read from it if any
/// (`args.path` yields `("args", Some("path"))`). Macro bodies are searched too.
pub fn idents_in(expr: &syn::Expr) -> Vec<(String, Option<String>, proc_macro2::Span)> {
    let mut v = IdentCollector::default();
    v.visit_expr(expr);
    v.found
}

#[derive(Default)]
struct IdentCollector {
    found: Vec<(String, Option<String>, proc_macro2::Span)>,
}

impl<'ast> Visit<'ast> for IdentCollector {
    fn visit_expr_field(&mut self, f: &'ast syn::ExprField) {
        let base = match &*f.base {
            syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                Some(p.path.segments[0].ident.clone())
            }
            // `params.0.path` on an un-destructured `Parameters<T>`.
            syn::Expr::Field(inner) if matches!(inner.member, syn::Member::Unnamed(ref i) if i.index == 0) => {
                match &*inner.base {
                    syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                        Some(p.path.segments[0].ident.clone())
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        match (base, &f.member) {
            (Some(b), syn::Member::Named(m)) => {
                self.found
                    .push((b.to_string(), Some(m.to_string()), m.span()))
            }
            _ => syn::visit::visit_expr_field(self, f),
        }
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if p.path.segments.len() == 1 {
            let id = &p.path.segments[0].ident;
            self.found.push((id.to_string(), None, id.span()));
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if (is_format_macro(&macro_name(mac)) || is_log_macro(&macro_name(mac)))
            && let Some((_, args)) = format_args(mac)
        {
            for a in &args {
                self.visit_expr(&a.expr);
            }
        }
        for e in macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

/// Whether `block` calls a path ending in one of `names` (`fs::read`) or a method named so,
/// without building token text.
pub fn calls_any(block: &syn::Block, names: &[&str]) -> bool {
    let mut v = CallsAny {
        names,
        found: false,
    };
    v.visit_block(block);
    v.found
}

struct CallsAny<'n> {
    names: &'n [&'n str],
    found: bool,
}

impl<'ast> Visit<'ast> for CallsAny<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Some(p) = call_path(c) {
            self.found |= self.names.iter().any(|n| p.ends_with(n));
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        self.found |= self.names.iter().any(|n| m.method == n);
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// Identifiers bound by a pattern.
pub fn pat_idents(pat: &syn::Pat) -> Vec<String> {
    let mut out = Vec::new();
    collect_pat(pat, &mut out);
    out
}

fn collect_pat(pat: &syn::Pat, out: &mut Vec<String>) {
    match pat {
        syn::Pat::Ident(i) => {
            out.push(i.ident.to_string());
            if let Some((_, sub)) = &i.subpat {
                collect_pat(sub, out);
            }
        }
        syn::Pat::Type(t) => collect_pat(&t.pat, out),
        syn::Pat::Reference(r) => collect_pat(&r.pat, out),
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|p| collect_pat(p, out)),
        syn::Pat::TupleStruct(t) => t.elems.iter().for_each(|p| collect_pat(p, out)),
        syn::Pat::Struct(s) => s.fields.iter().for_each(|f| collect_pat(&f.pat, out)),
        syn::Pat::Slice(s) => s.elems.iter().for_each(|p| collect_pat(p, out)),
        syn::Pat::Or(o) => o.cases.iter().for_each(|p| collect_pat(p, out)),
        _ => {}
    }
}

/// The innermost named type: `Arc<Mutex<Config>>` gives `Config`, `&str` gives `str`.
pub fn inner_type_name(ty: &syn::Type) -> Option<String> {
    type_name_through(
        ty,
        &["Arc", "Rc", "Box", "Option", "Mutex", "RwLock", "Vec"],
    )
}

/// The last path segment naming a type, looking through references and through the
/// `wrappers` given (their first type argument).
pub fn type_name_through(ty: &syn::Type, wrappers: &[&str]) -> Option<String> {
    match ty {
        syn::Type::Path(p) => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            if wrappers.contains(&name.as_str())
                && let syn::PathArguments::AngleBracketed(a) = &last.arguments
            {
                for arg in &a.args {
                    if let syn::GenericArgument::Type(t) = arg {
                        return type_name_through(t, wrappers);
                    }
                }
            }
            Some(name)
        }
        syn::Type::Reference(r) => type_name_through(&r.elem, wrappers),
        syn::Type::Paren(p) => type_name_through(&p.elem, wrappers),
        _ => None,
    }
}

/// Secret-like names: `api_key`, `TOKEN`, `db_password`...
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('-', "_");
    if n.ends_with("_name")
        || n.ends_with("_var")
        || n.ends_with("_env")
        || n.ends_with("_path")
        || n.ends_with("_file")
    {
        return false;
    }
    [
        "api_key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "private_key",
        "access_key",
        "credential",
        "auth_key",
    ]
    .iter()
    .any(|s| n.contains(s))
        && !n.contains("max_token")
        && !n.contains("tokens_")
}

/// A primitive number type by name (`u8` … `u128`, `i8` … `isize`, `f32`, `f64`).
pub fn is_number_type(name: &str) -> bool {
    matches!(
        name,
        "u8" | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "i8"
            | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "f32"
            | "f64"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_args_pair_specs_and_captures() {
        let mac: syn::Macro =
            syn::parse_str(r#"format!("a {} {x:?} {:#?} {n}", one, two, n = three)"#).unwrap();
        let (_, args) = format_args(&mac).unwrap();
        let shown: Vec<(String, bool)> = args.iter().map(|a| (compact(&a.expr), a.debug)).collect();
        assert_eq!(
            shown,
            vec![
                ("one".into(), false),
                ("x".into(), true),
                ("two".into(), true),
                ("three".into(), false)
            ]
        );
    }

    #[test]
    fn fields_of_an_undestructured_wrapper_name_the_field() {
        let e: syn::Expr = syn::parse_str("read(&params.0.path)").unwrap();
        let found: Vec<(String, Option<String>)> =
            idents_in(&e).into_iter().map(|(a, b, _)| (a, b)).collect();
        assert!(
            found.contains(&("params".into(), Some("path".into()))),
            "{found:?}"
        );
    }

    #[test]
    fn test_only_attributes() {
        let judge = |src: &str| {
            let f: syn::ItemFn = syn::parse_str(&format!("{src} fn f() {{}}")).unwrap();
            is_test_item(&f.attrs)
        };
        assert!(judge("#[test]"));
        assert!(judge("#[tokio::test]"));
        assert!(judge("#[cfg(test)]"));
        assert!(judge("#[cfg(all(test, feature = \"x\"))]"));
        assert!(judge(
            "#[cfg(all(unix, any(test, feature = \"test-util\")))]"
        ));
        assert!(judge("#[cfg(feature = \"testing\")]"));
        assert!(judge("#[cfg(any(test, feature = \"test_helpers\"))]"));
        // Code under these ships in an ordinary build.
        assert!(!judge("#[cfg(any(unix, test))]"));
        assert!(!judge("#[cfg(not(test))]"));
        assert!(!judge("#[cfg(all(not(test), unix))]"));
        assert!(!judge("#[cfg(feature = \"rt\")]"));
        assert!(!judge("#[cfg(feature = \"contest\")]"));
        assert!(!judge("#[cfg(fuzzing_test)]"));
        assert!(!judge("#[cfg(any())]"));
        assert!(!judge("#[doc = \"a test of docs\"]"));
    }

    #[test]
    fn string_literals_in_macro_bodies() {
        let has = |src: &str| has_str_literal(&src.parse().unwrap());
        assert!(has("x, \"a\""));
        assert!(has("vec![(1, r#\"raw\"#)]"));
        assert!(!has("x + 1, y"));
        assert!(has_ident(
            &"a, { b(println!(c)) }".parse().unwrap(),
            &["println"]
        ));
        assert!(!has_ident(&"a, \"println\"".parse().unwrap(), &["println"]));
    }

    #[test]
    fn secret_names() {
        assert!(is_secret_name("API_TOKEN"));
        assert!(is_secret_name("db_password"));
        assert!(!is_secret_name("token_env"));
        assert!(!is_secret_name("path"));
    }
}
