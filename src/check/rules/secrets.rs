//! hardcoded-secret: credentials in source, config files and committed `.env` files.

use super::common::Analysis;
use std::collections::BTreeSet;

use syn::visit::Visit;

use super::common::{at, finding, line_start};
use crate::check::analysis::syntax::{compact, is_secret_name, is_test_item, str_lit};
use crate::check::model::Context;
use crate::entropy::entropy;
use crate::finding::{Finding, Severity};

const ID: &str = "hardcoded-secret";
const HELP: &str = "read the secret from the environment at start-up, fail naming the missing variable, and rotate the exposed value";

/// The kind of a high-confidence token found in `text`.
pub fn token_kind(text: &str) -> Option<&'static str> {
    // Every format below is at least 16 characters long.
    if text.len() < 16 {
        return None;
    }
    let b = text.as_bytes();
    let run = |from: usize, ok: &dyn Fn(u8) -> bool| {
        b[from.min(b.len())..]
            .iter()
            .take_while(|c| ok(**c))
            .count()
    };
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    for (i, first) in b.iter().enumerate() {
        // Every format starts with one of these bytes; most positions are settled by one match.
        if !matches!(first, b'A' | b'g' | b'x' | b's' | b'r' | b'-' | b'e') {
            continue;
        }
        let rest = &text[i..];
        if (rest.starts_with("AKIA") || rest.starts_with("ASIA"))
            && run(i + 4, &|c| c.is_ascii_uppercase() || c.is_ascii_digit()) >= 16
        {
            return Some("AWS access key id");
        }
        if ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
            .iter()
            .any(|p| rest.starts_with(p))
            && run(i + 4, &alnum) >= 36
        {
            return Some("GitHub token");
        }
        if rest.starts_with("github_pat_") && run(i + 11, &|c| alnum(c) || c == b'_') >= 22 {
            return Some("GitHub fine-grained token");
        }
        if ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"]
            .iter()
            .any(|p| rest.starts_with(p))
            && run(i + 5, &word) >= 10
        {
            return Some("Slack token");
        }
        if (rest.starts_with("sk_live_") || rest.starts_with("rk_live_"))
            && run(i + 8, &alnum) >= 16
        {
            return Some("Stripe live key");
        }
        if rest.starts_with("sk-") && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let n = run(i + 3, &word);
            let tail = &text[i + 3..i + 3 + n];
            if n >= 20
                && tail.bytes().any(|c| c.is_ascii_digit())
                && tail.bytes().any(|c| c.is_ascii_alphabetic())
            {
                return Some("API key (`sk-...`)");
            }
        }
        if rest.starts_with("AIza") && run(i + 4, &word) >= 35 {
            return Some("Google API key");
        }
        if rest.starts_with("-----BEGIN") && rest.contains("PRIVATE KEY-----") {
            return Some("private key");
        }
        if rest.starts_with("eyJ") {
            let parts: Vec<&str> = rest
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
                .next()
                .unwrap_or("")
                .split('.')
                .collect();
            if parts.len() == 3
                && parts[1].starts_with("eyJ")
                && parts.iter().all(|p| p.len() >= 10)
            {
                return Some("JSON Web Token");
            }
        }
    }
    None
}

/// A literal that could be a real credential: long, no spaces, high entropy, not a name.
fn looks_secret(value: &str) -> bool {
    let v = value.trim();
    v.len() >= 16
        && !v.contains(char::is_whitespace)
        && !v.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        && !v.starts_with("${")
        && !v.starts_with('<')
        // Random credentials mix letters and digits; identifiers and URIs rarely do both.
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars().any(|c| c.is_ascii_alphabetic())
        && !v.contains("://")
        && entropy(v) >= 3.5
}

/// Literals in shipped Rust source: token formats anywhere, high-entropy values bound to
/// secret-named constants, variables and fields, and literal fallbacks for secret variables.
pub fn source_secrets(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in crate::check::analysis::index::shipped(ctx).into_iter() {
        let mut v = Source {
            file: &file.path,
            out: &mut out,
            covered: BTreeSet::new(),
        };
        v.visit_file(&file.ast);
    }
    out
}

struct Source<'a> {
    file: &'a std::path::Path,
    out: &'a mut Vec<Finding>,
    /// Literal positions already reported (by a more specific rule).
    covered: BTreeSet<(usize, usize)>,
}

impl Source<'_> {
    fn report(&mut self, span: proc_macro2::Span, lit_span: proc_macro2::Span, message: String) {
        let key = (lit_span.start().line, lit_span.start().column);
        if self.covered.insert(key) {
            self.out.push(finding(
                ID,
                Severity::Fail,
                message,
                at(self.file, span),
                HELP,
            ));
        }
    }

    fn named(&mut self, name: &str, value: &syn::Expr, span: proc_macro2::Span) {
        if let Some((text, lit_span)) = str_lit(value)
            && is_secret_name(name)
            && (looks_secret(&text) || token_kind(&text).is_some())
        {
            self.report(
                span,
                lit_span,
                format!("`{name}` is assigned a literal credential"),
            );
        }
    }
}

impl<'ast> Visit<'ast> for Source<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_item(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_test_item(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        self.named(&c.ident.to_string(), &c.expr, c.ident.span());
        syn::visit::visit_item_const(self, c);
    }

    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        self.named(&s.ident.to_string(), &s.expr, s.ident.span());
        syn::visit::visit_item_static(self, s);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let (syn::Pat::Ident(p), Some(init)) = (&l.pat, &l.init) {
            self.named(&p.ident.to_string(), &init.expr, p.ident.span());
        }
        syn::visit::visit_local(self, l);
    }

    fn visit_field_value(&mut self, fv: &'ast syn::FieldValue) {
        if let syn::Member::Named(n) = &fv.member {
            self.named(&n.to_string(), &fv.expr, n.span());
        }
        syn::visit::visit_field_value(self, fv);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        // `env::var("API_TOKEN").unwrap_or("sk-...")` ships a key to everyone without the variable.
        let method = m.method.to_string();
        if method == "unwrap_or" || method == "unwrap_or_else" {
            let recv = compact(&m.receiver);
            if recv.contains("var(") && (recv.contains("env::") || recv.starts_with("var(")) {
                let fallback = m.args.first().and_then(|a| match a {
                    syn::Expr::Closure(c) => str_lit(&c.body),
                    other => str_lit(other),
                });
                if let Some((text, lit_span)) = fallback {
                    let var = recv.split('"').nth(1).unwrap_or("").to_string();
                    if !text.is_empty()
                        && (is_secret_name(&var)
                            || token_kind(&text).is_some()
                            || looks_secret(&text))
                    {
                        self.report(
                            m.method.span(),
                            lit_span,
                            format!("environment variable `{var}` falls back to a literal credential when unset"),
                        );
                    }
                }
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        // Without escapes, the literal's source text is its value between quotes, and quotes
        // end every token format as the string's ends do: no need to decode it (doc comments
        // make most literals of a large crate).
        let raw = s.token().to_string();
        let kind = if raw.contains('\\') {
            token_kind(&s.value())
        } else {
            token_kind(&raw)
        };
        if let Some(kind) = kind {
            self.report(
                s.span(),
                s.span(),
                format!("string literal contains a {kind}"),
            );
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // Every finding here is about a string literal: a body without one needs no parse.
        if !crate::check::analysis::syntax::has_str_literal(&mac.tokens) {
            return;
        }
        for e in crate::check::analysis::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}

/// Config and `.env` files: token formats, and secret-named keys with literal values.
pub fn file_secrets(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in &ctx.data_files {
        let name = file
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name == "Cargo.lock" || name.ends_with(".lock") || name == "package-lock.json" {
            continue;
        }
        // Tests, benches and examples hold fixtures, not the configuration that ships: only a
        // token in a real format counts there.
        let fixture = crate::check::analysis::index::is_excluded_in(ctx, &file.path);
        let is_env = name == ".env"
            || name.starts_with(".env.")
                && !name.ends_with(".example")
                && !name.ends_with(".sample");
        for (n, line) in file.text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.starts_with('#') || trimmed.starts_with("//") || trimmed.is_empty() {
                continue;
            }
            let Some((key, value)) = key_value(trimmed) else {
                if let Some(kind) = token_kind(trimmed) {
                    out.push(finding(
                        ID,
                        Severity::Fail,
                        format!("{} contains a {kind}", file.path.display()),
                        line_start(&file.path, n + 1),
                        HELP,
                    ));
                }
                continue;
            };
            let message = if let Some(kind) = token_kind(&value) {
                format!("`{key}` in {} holds a {kind}", file.path.display())
            } else if fixture || placeholder(&value) {
                continue;
            } else if is_env && is_secret_name(&key) {
                format!("committed {name} file sets `{key}` to a value",)
            } else if is_secret_name(&key) && looks_secret(&value) {
                format!(
                    "`{key}` in {} holds a literal credential",
                    file.path.display()
                )
            } else {
                continue;
            };
            out.push(finding(
                ID,
                Severity::Fail,
                message,
                line_start(&file.path, n + 1),
                HELP,
            ));
        }
    }
    out
}

/// A value that marks where a secret goes instead of being one, by its shape: empty, `<...>`,
/// `${...}`, runs of one character (`xxxx`, `****`), words such as `replace-with-...`,
/// `changeme`, `your-...`, or a phrase of three or more lowercase words.
fn placeholder(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    if v.is_empty()
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with("${") && v.ends_with('}'))
        || v.chars().all(|c| c == v.chars().next().unwrap_or(c))
        || lower.starts_with("xxx")
    {
        return true;
    }
    let markers = [
        "replace",
        "changeme",
        "change-me",
        "change_me",
        "your-",
        "your_",
        "placeholder",
        "example",
        "dummy",
        "insert-",
        "insert_",
        "put-your",
        "todo",
        "redacted",
    ];
    if markers.iter().any(|m| lower.contains(m)) {
        return true;
    }
    // `use-a-long-random-value`: generated credentials are not phrases.
    let words: Vec<&str> = v.split(['-', '_']).collect();
    words.len() >= 3
        && words.iter().all(|w| {
            !w.is_empty()
                && (w.chars().all(|c| c.is_ascii_lowercase())
                    || (w.len() <= 3 && w.chars().all(|c| c.is_ascii_digit())))
        })
        && words
            .iter()
            .filter(|w| w.chars().all(|c| c.is_ascii_lowercase()))
            .count()
            >= 3
}

/// `KEY=value`, `key = "value"`, `key: value` or `"key": "value"`, quotes removed.
fn key_value(line: &str) -> Option<(String, String)> {
    let line = line.strip_prefix("export ").unwrap_or(line);
    let at = line.find(['=', ':'])?;
    let key = line[..at].trim().trim_matches('"').trim_matches('\'');
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return None;
    }
    let raw = line[at + 1..].trim().trim_end_matches(',');
    let value = if let Some(q) = raw.strip_prefix('"') {
        q.split('"').next()?.to_string()
    } else if let Some(q) = raw.strip_prefix('\'') {
        q.split('\'').next()?.to_string()
    } else if raw.starts_with('[') || raw.starts_with('{') {
        return None;
    } else {
        raw.split(" #").next().unwrap_or(raw).trim().to_string()
    };
    Some((key.to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_formats() {
        assert_eq!(
            token_kind("AKIAIOSFODNN7EXAMPLE"),
            Some("AWS access key id")
        );
        assert!(token_kind("sk-live-7f3a9c1e5b8d2f6a4c0e9b7d3a1f5c8e").is_some());
        assert!(token_kind("task-runner-configuration").is_none());
        assert!(token_kind("xoxb-123456789012-abcdefghij").is_some());
        assert!(token_kind("API_TOKEN").is_none());
    }

    #[test]
    fn placeholders_are_not_credentials() {
        for v in [
            "replace-with-openssl-rand-hex-32",
            "changeme",
            "<your token>",
            "${API_TOKEN}",
            "xxxxxxxxxxxx",
            "your-api-key-here",
            "",
            "use-a-long-random-value",
        ] {
            assert!(placeholder(v), "{v}");
        }
        for v in [
            "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "sk-live-7f3a9c1e5b8d2f6a4c0e9b7d3a1f5c8e",
            "hunter2",
        ] {
            assert!(!placeholder(v), "{v}");
        }
    }

    #[test]
    fn key_values() {
        assert_eq!(
            key_value("API_TOKEN=abc"),
            Some(("API_TOKEN".into(), "abc".into()))
        );
        assert_eq!(
            key_value("api_key = \"x y\""),
            Some(("api_key".into(), "x y".into()))
        );
        assert_eq!(key_value("secret-env = [\"API_TOKEN\"]"), None);
    }
}
