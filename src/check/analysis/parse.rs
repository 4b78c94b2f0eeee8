//! Parsing one Rust file the way it is compiled, or saying exactly why it could not be: syn's
//! parser and visitors recurse once per nesting level, so nesting beyond a guard is refused
//! before it can overflow the stack.

use std::str::FromStr;

use proc_macro2::{TokenStream, TokenTree};

/// Stack of the thread `check` runs on: parsing, analysis and rules recurse over syntax trees
/// (and spans resolve through a thread-local source map, so all of it runs on that thread).
pub const STACK_BYTES: usize = 256 * 1024 * 1024;

/// Deepest nesting accepted, in delimiters (`(`, `[`, `{`) or links of a recursive chain
/// (prefix operators, `else if`). rustc grows its stack instead of limiting the parser; its
/// `recursion_limit` of 128 for macros is the guide, doubled: real code stays far below
/// (the deepest in the corpus is under 40) and syn needs well under a quarter of
/// [`STACK_BYTES`] at this depth (tested below).
pub const MAX_DEPTH: usize = 256;

/// Why a file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not Rust syntax: the message and the 1-based line and column.
    Syntax {
        message: String,
        line: usize,
        column: usize,
    },
    /// Nested deeper than [`MAX_DEPTH`], first at this 1-based line.
    TooDeep { depth: usize, line: usize },
}

/// Parses a file as `syn::parse_file` does (byte-order mark and shebang line allowed), with
/// the nesting guard between lexing and parsing.
pub fn parse_rust(text: &str) -> Result<syn::File, ParseError> {
    let content = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (shebang, content) = split_shebang(content);
    let tokens = TokenStream::from_str(content).map_err(|err| {
        let at = err.span().start();
        ParseError::Syntax {
            message: "not valid Rust tokens (an unclosed delimiter, comment or string, or a character Rust does not allow)".into(),
            line: at.line,
            column: at.column + 1,
        }
    })?;
    if let Some((depth, line)) = too_deep(&tokens) {
        return Err(ParseError::TooDeep { depth, line });
    }
    let mut file: syn::File = syn::parse2(tokens).map_err(|err| {
        let at = err.span().start();
        ParseError::Syntax {
            message: err.to_string(),
            line: at.line,
            column: at.column + 1,
        }
    })?;
    file.shebang = shebang;
    Ok(file)
}

/// `#!/usr/bin/env run-cargo-script` on the first line is not Rust; `#![attr]` is. The line
/// break stays in the content so line numbers do not move.
fn split_shebang(content: &str) -> (Option<String>, &str) {
    let Some(rest) = content.strip_prefix("#!") else {
        return (None, content);
    };
    if rest.trim_start().starts_with('[') {
        return (None, content);
    }
    match content.find('\n') {
        Some(idx) => (Some(content[..idx].to_string()), &content[idx..]),
        None => (Some(content.to_string()), ""),
    }
}

/// The first place where `tokens` nest deeper than [`MAX_DEPTH`]: delimiters inside
/// delimiters, a run of punctuation (`!!!!x`, `&&&&T`, each a level of syn's recursion), or
/// `else` links of one `if` chain. An explicit stack: this walk must not recurse itself.
fn too_deep(tokens: &TokenStream) -> Option<(usize, usize)> {
    let mut stack: Vec<proc_macro2::token_stream::IntoIter> = vec![tokens.clone().into_iter()];
    let mut chains = vec![Chain::default()];
    while let Some(iter) = stack.last_mut() {
        let Some(token) = iter.next() else {
            stack.pop();
            chains.pop();
            continue;
        };
        let depth = stack.len();
        let chain = chains.last_mut().expect("one per level");
        let worst = depth.max(chain.step(&token));
        if worst > MAX_DEPTH {
            return Some((worst, token.span().start().line));
        }
        if let TokenTree::Group(g) = token {
            stack.push(g.stream().into_iter());
            chains.push(Chain::default());
        }
    }
    None
}

/// The recursive chains running at one level of tokens.
#[derive(Default)]
struct Chain {
    /// Consecutive punctuation tokens.
    puncts: usize,
    /// `else` links since the `if` chain began: each follows a `{ .. }` block.
    elses: usize,
    after_block: bool,
}

impl Chain {
    /// Takes the next token and returns the longest chain it continues.
    fn step(&mut self, token: &TokenTree) -> usize {
        let after_block = std::mem::replace(
            &mut self.after_block,
            matches!(token, TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace),
        );
        match token {
            TokenTree::Punct(_) => self.puncts += 1,
            TokenTree::Ident(i) if i == "else" => {
                self.elses = if after_block { self.elses + 1 } else { 1 };
                self.puncts = 0;
            }
            _ => self.puncts = 0,
        }
        if after_block && !matches!(token, TokenTree::Ident(i) if i == "else") {
            self.elses = 0;
        }
        self.puncts.max(self.elses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!(
            "fn main() {{ let x = {}1{}; }}\n",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    }

    #[test]
    fn parses_like_syn_with_bom_shebang_and_nul_in_comments() {
        let file = parse_rust("\u{feff}#!/usr/bin/env x\n// a\0b\nfn main() {}\n").unwrap();
        assert_eq!(file.items.len(), 1);
        assert_eq!(file.shebang.as_deref(), Some("#!/usr/bin/env x"));
        let inner = parse_rust("#![forbid(unsafe_code)]\nfn main() {}\n").unwrap();
        assert_eq!(inner.attrs.len(), 1);
        assert!(parse_rust("/* \0 */ const A: &str = \"x\";\n").is_ok());
    }

    #[test]
    fn syntax_errors_say_where() {
        match parse_rust("fn main() {}\nfn (\n") {
            Err(ParseError::Syntax { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        match parse_rust("fn main() { \0 }\n") {
            Err(ParseError::Syntax { line, .. }) => assert_eq!(line, 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        match parse_rust(&nested(5000)) {
            Err(ParseError::TooDeep { depth, line }) => {
                assert_eq!((depth, line), (MAX_DEPTH + 1, 1))
            }
            other => panic!("{other:?}"),
        }
        let unary = format!("fn main() {{ let x = {}true; }}\n", "!".repeat(5000));
        assert!(matches!(
            parse_rust(&unary),
            Err(ParseError::TooDeep { .. })
        ));
        let chain = format!(
            "fn f(x: u32) {{ if x == 0 {{}} {} else {{}} }}\n",
            "else if x == 1 {} ".repeat(5000)
        );
        assert!(matches!(
            parse_rust(&chain),
            Err(ParseError::TooDeep { .. })
        ));
    }

    /// The deepest file the guard admits parses, is visited and is dropped on a quarter of the
    /// stack `check` runs on.
    #[test]
    fn the_guard_leaves_room_on_the_stack() {
        let text = nested(MAX_DEPTH - 2);
        let chain = format!(
            "fn f(x: u32) {{ if x == 0 {{}} {} else {{}} }}\n",
            "else if x == 1 {} ".repeat(MAX_DEPTH - 1)
        );
        std::thread::Builder::new()
            .stack_size(STACK_BYTES / 4)
            .spawn(move || {
                for text in [text, chain] {
                    let file = parse_rust(&text).unwrap();
                    let mut v = Count(0);
                    syn::visit::Visit::visit_file(&mut v, &file);
                    assert!(v.0 > 0);
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    struct Count(usize);

    impl<'ast> syn::visit::Visit<'ast> for Count {
        fn visit_expr(&mut self, e: &'ast syn::Expr) {
            self.0 += 1;
            syn::visit::visit_expr(self, e);
        }
    }
}
