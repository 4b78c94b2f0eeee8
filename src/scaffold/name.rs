//! Crate-name rules, following cargo's own (`cargo new`) plus crates.io's length limit.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum NameError {
    #[error("the crate name cannot be empty: pass one with --name")]
    Empty,
    #[error(
        "invalid character `{ch}` in crate name `{name}`: use only ASCII letters, digits, `-` and `_` (pass --name to choose another name)"
    )]
    InvalidChar { name: String, ch: char },
    #[error(
        "the crate name `{0}` cannot start with a digit: pass --name with a name that starts with a letter"
    )]
    LeadingDigit(String),
    #[error("the crate name `{0}` is a Rust keyword: pass --name with another name")]
    Keyword(String),
    #[error(
        "the crate name `{0}` conflicts with a Rust built-in library: pass --name with another name"
    )]
    BuiltinLibrary(String),
    #[error(
        "the crate name `{0}` conflicts with cargo's build directory names: pass --name with another name"
    )]
    CargoDirectory(String),
    #[error("the crate name `{0}` is a reserved Windows file name: pass --name with another name")]
    WindowsReserved(String),
    #[error("the crate name `{0}` is longer than 64 characters: pass --name with a shorter name")]
    TooLong(String),
}

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];
const BUILTIN_LIBRARIES: &[&str] = &["alloc", "core", "proc-macro", "proc_macro", "std", "test"];
const CARGO_DIRECTORIES: &[&str] = &["build", "deps", "examples", "incremental"];
const WINDOWS_RESERVED: &[&str] = &[
    "aux", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "con", "lpt1",
    "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9", "nul", "prn",
];

/// Checks a crate name against cargo's rules and returns it unchanged when valid.
pub fn validate(name: &str) -> Result<&str, NameError> {
    let owned = || name.to_string();
    let Some(first) = name.chars().next() else {
        return Err(NameError::Empty);
    };
    if let Some(ch) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(NameError::InvalidChar { name: owned(), ch });
    }
    if first.is_ascii_digit() {
        return Err(NameError::LeadingDigit(owned()));
    }
    let lower = name.to_ascii_lowercase();
    if KEYWORDS.contains(&name) {
        return Err(NameError::Keyword(owned()));
    }
    if BUILTIN_LIBRARIES.contains(&lower.as_str()) {
        return Err(NameError::BuiltinLibrary(owned()));
    }
    if CARGO_DIRECTORIES.contains(&lower.as_str()) {
        return Err(NameError::CargoDirectory(owned()));
    }
    if WINDOWS_RESERVED.contains(&lower.as_str()) {
        return Err(NameError::WindowsReserved(owned()));
    }
    if name.len() > 64 {
        return Err(NameError::TooLong(owned()));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for ok in ["my-server", "my_server", "a", "server2", "Mixed-Case"] {
            assert_eq!(validate(ok), Ok(ok));
        }
    }

    #[test]
    fn refuses_each_rule() {
        assert_eq!(validate(""), Err(NameError::Empty));
        assert!(matches!(
            validate("../x"),
            Err(NameError::InvalidChar { ch: '.', .. })
        ));
        assert!(matches!(
            validate("a/b"),
            Err(NameError::InvalidChar { ch: '/', .. })
        ));
        assert!(matches!(
            validate("a b"),
            Err(NameError::InvalidChar { ch: ' ', .. })
        ));
        assert!(matches!(
            validate("été"),
            Err(NameError::InvalidChar { .. })
        ));
        assert_eq!(validate("1st"), Err(NameError::LeadingDigit("1st".into())));
        assert_eq!(validate("fn"), Err(NameError::Keyword("fn".into())));
        assert_eq!(
            validate("std"),
            Err(NameError::BuiltinLibrary("std".into()))
        );
        assert_eq!(
            validate("deps"),
            Err(NameError::CargoDirectory("deps".into()))
        );
        assert_eq!(
            validate("CON"),
            Err(NameError::WindowsReserved("CON".into()))
        );
        let long = "a".repeat(65);
        assert_eq!(validate(&long), Err(NameError::TooLong(long.clone())));
    }

    #[test]
    fn messages_say_what_to_do() {
        let msg = validate("1st").unwrap_err().to_string();
        assert!(msg.contains("--name"), "{msg}");
        assert!(!msg.ends_with('.'));
    }
}
