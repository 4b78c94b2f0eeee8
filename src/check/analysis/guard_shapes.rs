//! The shapes of checks that make a string safe to paste into SQL text, recognised by what
//! they do: a charset test (`chars().all(..)` over alphanumerics and `_`, a regex of that
//! shape), membership in a constant set, and a branch that refuses the value.

use super::syntax::{compact, macro_exprs, macro_name, str_lit};

/// Characters an identifier may hold and stay one token in SQL text.
fn identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// Methods on a `char`/`u8` that hold only for characters that cannot end a token.
const CLASS_METHODS: &[&str] = &[
    "is_ascii_alphanumeric",
    "is_alphanumeric",
    "is_ascii_alphabetic",
    "is_alphabetic",
    "is_ascii_digit",
    "is_numeric",
    "is_ascii_lowercase",
    "is_ascii_uppercase",
    "is_lowercase",
    "is_uppercase",
    "is_ascii_hexdigit",
];

fn strip(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip(&p.expr),
        syn::Expr::Reference(r) => strip(&r.expr),
        syn::Expr::Group(g) => strip(&g.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => strip(&u.expr),
        _ => e,
    }
}

fn char_lit(e: &syn::Expr) -> Option<char> {
    match strip(e) {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Char(c) => Some(c.value()),
            syn::Lit::Byte(b) => Some(char::from(b.value())),
            _ => None,
        },
        _ => None,
    }
}

/// A pattern that only matches identifier characters (`'a'..='z' | '_'`).
fn pattern_is_charset(p: &syn::Pat) -> bool {
    match p {
        syn::Pat::Or(o) => o.cases.iter().all(pattern_is_charset),
        syn::Pat::Range(r) => {
            let ends = [r.start.as_deref(), r.end.as_deref()];
            ends.iter().all(|e| {
                e.and_then(char_lit)
                    .is_some_and(|c| c.is_ascii_alphanumeric())
            })
        }
        syn::Pat::Lit(l) => char_lit(&syn::Expr::Lit(l.clone())).is_some_and(identifier_char),
        _ => false,
    }
}

/// True when `e`, about the closure variable `var`, holds only for identifier characters.
fn is_charset_test(e: &syn::Expr, var: &str) -> bool {
    match strip(e) {
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Or(_)) => {
            is_charset_test(&b.left, var) && is_charset_test(&b.right, var)
        }
        // A conjunction narrows: one restricting part is enough.
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
            is_charset_test(&b.left, var) || is_charset_test(&b.right, var)
        }
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Eq(_)) => {
            let (l, r) = (strip(&b.left), strip(&b.right));
            let about = |x: &syn::Expr| compact(x) == var;
            (about(l) && char_lit(r).is_some_and(identifier_char))
                || (about(r) && char_lit(l).is_some_and(identifier_char))
        }
        syn::Expr::MethodCall(m) => {
            compact(strip(&m.receiver)) == var
                && m.args.is_empty()
                && CLASS_METHODS.contains(&m.method.to_string().as_str())
        }
        syn::Expr::Macro(mac) if macro_name(&mac.mac) == "matches" => {
            let Ok((scrutinee, pat)) = mac.mac.parse_body_with(parse_matches) else {
                return false;
            };
            compact(strip(&scrutinee)) == var && pattern_is_charset(&pat)
        }
        _ => false,
    }
}

fn parse_matches(input: syn::parse::ParseStream<'_>) -> syn::Result<(syn::Expr, syn::Pat)> {
    let e: syn::Expr = input.parse()?;
    input.parse::<syn::Token![,]>()?;
    let p = syn::Pat::parse_multi_with_leading_vert(input)?;
    let _ = input.parse::<proc_macro2::TokenStream>();
    Ok((e, p))
}

/// True when `e` holds only for characters outside the identifier set (the `any` form:
/// `!c.is_ascii_alphanumeric() && c != '_'`).
fn is_outside_charset(e: &syn::Expr, var: &str) -> bool {
    match strip(e) {
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => is_charset_test(&u.expr, var),
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
            is_outside_charset(&b.left, var) && is_outside_charset(&b.right, var)
        }
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Ne(_)) => {
            let (l, r) = (strip(&b.left), strip(&b.right));
            (compact(l) == var && char_lit(r).is_some_and(identifier_char))
                || (compact(r) == var && char_lit(l).is_some_and(identifier_char))
        }
        _ => false,
    }
}

fn closure_parts(e: &syn::Expr) -> Option<(String, &syn::Expr)> {
    let syn::Expr::Closure(c) = strip(e) else {
        return None;
    };
    let var = super::syntax::pat_idents(c.inputs.first()?)
        .into_iter()
        .next()?;
    Some((var, &c.body))
}

/// The string a `.chars()`/`.bytes()` iterator walks: `name.chars()` gives `name`.
fn iterated(e: &syn::Expr) -> Option<&syn::Expr> {
    let syn::Expr::MethodCall(m) = strip(e) else {
        return None;
    };
    matches!(m.method.to_string().as_str(), "chars" | "bytes")
        .then(|| strip(&m.receiver))
        .map(|r| match r {
            syn::Expr::MethodCall(inner)
                if matches!(
                    inner.method.to_string().as_str(),
                    "as_str" | "trim" | "as_bytes"
                ) =>
            {
                strip(&inner.receiver)
            }
            other => other,
        })
}

/// A regular expression that matches only whole strings of identifier characters
/// (`^[A-Za-z0-9_]+$`).
pub fn is_charset_regex(re: &str) -> bool {
    let Some(body) = re.strip_prefix('^').and_then(|r| r.strip_suffix('$')) else {
        return false;
    };
    let mut rest = body;
    let mut classes = 0;
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[') else {
            return false;
        };
        let Some(end) = inner.find(']') else {
            return false;
        };
        let class = &inner[..end];
        if class.starts_with('^') || !class_is_identifier(class) {
            return false;
        }
        classes += 1;
        rest = &inner[end + 1..];
        // A quantifier: `+`, `*`, `?` or `{m,n}`.
        if let Some(q) = rest.strip_prefix(['+', '*', '?']) {
            rest = q;
        } else if let Some(q) = rest.strip_prefix('{') {
            let Some(close) = q.find('}') else {
                return false;
            };
            if !q[..close].chars().all(|c| c.is_ascii_digit() || c == ',') {
                return false;
            }
            rest = &q[close + 1..];
        }
    }
    classes > 0
}

fn class_is_identifier(class: &str) -> bool {
    let chars: Vec<char> = class.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' {
            // `\w` and `\d` are identifier classes; other escapes are not trusted.
            if !matches!(chars.get(i + 1), Some('w' | 'd')) {
                return false;
            }
            i += 2;
            continue;
        }
        if chars.get(i + 1) == Some(&'-') && i + 2 < chars.len() {
            if !(chars[i].is_ascii_alphanumeric() && chars[i + 2].is_ascii_alphanumeric()) {
                return false;
            }
            i += 3;
            continue;
        }
        if !identifier_char(chars[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// What a condition says about a value when it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// The value is made only of identifier characters (or is in a constant set).
    Safe,
    /// The value holds a character outside that set.
    Unsafe,
}

/// The value a condition tests and what holding means, for the shapes recognised here:
/// `s.chars().all(charset)`, `s.chars().any(outside)`, `RE.is_match(s)` with a charset regex
/// (`regex_safe` decides the receiver), `CONST.contains(&s)`, `["a", "b"].contains(&s)`.
/// `matches!(s, "a" | "b")` is [`matches_literal_set`]: its value lives in the macro tokens.
pub fn test_of<'e>(
    e: &'e syn::Expr,
    regex_safe: &dyn Fn(&syn::Expr) -> bool,
) -> Option<(&'e syn::Expr, Test)> {
    match strip(e) {
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
            let (v, t) = test_of(&u.expr, regex_safe)?;
            Some((
                v,
                if t == Test::Safe {
                    Test::Unsafe
                } else {
                    Test::Safe
                },
            ))
        }
        syn::Expr::MethodCall(m) if m.method == "all" || m.method == "any" => {
            let value = iterated(&m.receiver)?;
            let (var, body) = closure_parts(m.args.first()?)?;
            if m.method == "all" && is_charset_test(body, &var) {
                return Some((value, Test::Safe));
            }
            if m.method == "any" && is_outside_charset(body, &var) {
                return Some((value, Test::Unsafe));
            }
            None
        }
        syn::Expr::MethodCall(m) if m.method == "is_match" && m.args.len() == 1 => {
            regex_safe(&m.receiver).then(|| (strip(&m.args[0]), Test::Safe))
        }
        syn::Expr::MethodCall(m) if m.method == "contains" && m.args.len() == 1 => {
            constant_set(&m.receiver).then(|| (strip(&m.args[0]), Test::Safe))
        }
        _ => None,
    }
}

/// `matches!(s, "a" | "b")`: the scrutinee's text when the pattern is a set of literals.
pub fn matches_literal_set(e: &syn::Expr) -> Option<(syn::Expr, Test)> {
    let (negated, inner) = match strip(e) {
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => (true, strip(&u.expr)),
        other => (false, other),
    };
    let syn::Expr::Macro(mac) = inner else {
        return None;
    };
    if macro_name(&mac.mac) != "matches" {
        return None;
    }
    let (scrutinee, pat) = mac.mac.parse_body_with(parse_matches).ok()?;
    pat_is_literal_set(&pat).then(|| {
        let t = if negated { Test::Unsafe } else { Test::Safe };
        (strip(&scrutinee).clone(), t)
    })
}

fn pat_is_literal_set(p: &syn::Pat) -> bool {
    match p {
        syn::Pat::Or(o) => o.cases.iter().all(pat_is_literal_set),
        syn::Pat::Lit(_) => true,
        _ => false,
    }
}

/// An array of literals or an `UPPER_CASE` constant: a set the caller cannot change.
fn constant_set(e: &syn::Expr) -> bool {
    match strip(e) {
        syn::Expr::Array(a) => a.elems.iter().all(|x| str_lit(x).is_some()),
        syn::Expr::Path(_) => super::syntax::is_constant(e),
        syn::Expr::MethodCall(m)
            if matches!(m.method.to_string().as_str(), "iter" | "as_slice") =>
        {
            constant_set(&m.receiver)
        }
        _ => false,
    }
}

/// True when a branch leaves with an error or skips the value: `return`, `bail!`, `panic!`,
/// `continue`, or an `Err(..)` as its value.
pub fn diverges(b: &syn::Block) -> bool {
    b.stmts.iter().any(|s| match s {
        syn::Stmt::Expr(e, _) => diverging_expr(e),
        syn::Stmt::Macro(m) => macro_diverges(&m.mac),
        _ => false,
    })
}

/// [`diverges`] for one expression (a `match` arm body).
pub fn diverging_expr(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Return(_) | syn::Expr::Continue(_) => true,
        syn::Expr::Macro(m) => macro_diverges(&m.mac),
        syn::Expr::Call(c) => super::syntax::call_path(c).is_some_and(|p| p == "Err"),
        syn::Expr::Block(b) => diverges(&b.block),
        _ => false,
    }
}

fn macro_diverges(m: &syn::Macro) -> bool {
    matches!(
        macro_name(m).as_str(),
        "bail" | "panic" | "unreachable" | "return_error"
    )
}

/// The condition of `ensure!(cond, ..)` / `assert!(cond, ..)`: refused when it fails.
pub fn asserted(m: &syn::Macro) -> Option<syn::Expr> {
    matches!(macro_name(m).as_str(), "ensure" | "assert")
        .then(|| macro_exprs(m).into_iter().next())
        .flatten()
}

/// Quote doubling on a value: `s.replace('"', "\"\"")` or `s.replace('\'', "''")`.
pub fn doubles_quotes(m: &syn::ExprMethodCall) -> bool {
    if m.method != "replace" || m.args.len() != 2 {
        return false;
    }
    let from = char_lit(&m.args[0]).or_else(|| {
        str_lit(&m.args[0]).and_then(|(s, _)| {
            let mut cs = s.chars();
            let c = cs.next()?;
            cs.next().is_none().then_some(c)
        })
    });
    let to = str_lit(&m.args[1]).map(|(s, _)| s);
    matches!(
        (from, to.as_deref()),
        (Some('"'), Some("\"\"")) | (Some('\''), Some("''"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> syn::Expr {
        syn::parse_str(s).expect("expression")
    }

    #[test]
    fn charset_shapes() {
        let no_regex = |_: &syn::Expr| false;
        for (src, t) in [
            (
                "name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')",
                Test::Safe,
            ),
            (
                "!name.chars().all(|c| c.is_ascii_alphanumeric())",
                Test::Unsafe,
            ),
            (
                "name.chars().any(|c| !c.is_ascii_alphanumeric() && c != '_')",
                Test::Unsafe,
            ),
            (
                "name.chars().all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))",
                Test::Safe,
            ),
            ("ALLOWED.contains(&name)", Test::Safe),
        ] {
            let e = parse(src);
            let (v, got) = test_of(&e, &no_regex).expect(src);
            assert_eq!(compact(v), "name", "{src}");
            assert_eq!(got, t, "{src}");
        }
        // Quotes, spaces and dashes may end an identifier: not a charset check.
        for src in [
            "name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')",
            "name.chars().all(|c| c != '\\'')",
            "name.chars().any(|c| c.is_ascii_alphanumeric())",
            "user.contains(&name)",
        ] {
            assert!(test_of(&parse(src), &no_regex).is_none(), "{src}");
        }
    }

    #[test]
    fn charset_regexes() {
        assert!(is_charset_regex("^[A-Za-z_][A-Za-z0-9_]*$"));
        assert!(is_charset_regex("^[a-z0-9_]{1,63}$"));
        assert!(is_charset_regex(r"^[\w]+$"));
        assert!(!is_charset_regex("[A-Za-z0-9_]+"));
        assert!(!is_charset_regex("^[A-Za-z0-9_ ]+$"));
        assert!(!is_charset_regex("^.+$"));
        assert!(!is_charset_regex("^[^;]+$"));
    }

    #[test]
    fn quote_doubling() {
        let syn::Expr::MethodCall(m) = parse(r#"t.replace('"', "\"\"")"#) else {
            panic!("method call");
        };
        assert!(doubles_quotes(&m));
        let syn::Expr::MethodCall(m) = parse(r#"t.replace("'", "")"#) else {
            panic!("method call");
        };
        assert!(!doubles_quotes(&m));
    }
}
