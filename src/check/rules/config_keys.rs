//! unvalidated-config: keys in config files that match no field of a lenient config struct.

use std::collections::BTreeSet;
use std::path::Path;

use super::common::{Analysis, finding, line_start};
use super::config::{ID, config_structs, serde_args};
use crate::check::analysis::index::StructInfo;
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

/// Keys in TOML config files that match no field of a config struct that accepts unknown
/// keys: the setting is silently ignored.
pub fn unknown_config_keys(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let params: BTreeSet<String> = a
        .tools
        .iter()
        .filter_map(|t| t.param_type.clone())
        .collect();
    let structs = config_structs(&a.index, &params);
    let lenient: Vec<&&StructInfo<'_>> = structs
        .iter()
        .filter(|s| !serde_args(&s.item.attrs).contains("deny_unknown_fields"))
        .collect();
    if lenient.is_empty() {
        return Vec::new();
    }
    let known: BTreeSet<String> = structs
        .iter()
        .flat_map(|s| s.item.fields.iter())
        .filter_map(field_key)
        .collect();
    // Fields whose value is another config struct: their tables hold fields, not map keys.
    let struct_names: BTreeSet<String> = structs.iter().map(|s| s.item.ident.to_string()).collect();
    let nested: BTreeSet<String> = structs
        .iter()
        .flat_map(|s| s.item.fields.iter())
        .filter(|f| {
            crate::check::analysis::syntax::inner_type_name(&f.ty)
                .is_some_and(|t| struct_names.contains(&t))
        })
        .filter_map(field_key)
        .collect();
    let lenient_dirs: BTreeSet<&Path> = lenient
        .iter()
        .map(|s| package_dir(ctx, &s.file.path))
        .collect();
    let mut out = Vec::new();
    for file in &ctx.data_files {
        // `.cargo/config.toml` is cargo's own, whatever the server names `config.toml`.
        if file.path.extension().is_none_or(|e| e != "toml")
            || file.path.components().any(|c| c.as_os_str() == ".cargo")
            || crate::check::analysis::index::is_excluded_in(ctx, &file.path)
        {
            continue;
        }
        // A file that does not parse is not judged key by key.
        let Ok(doc) = file.text.parse::<toml::Table>() else {
            continue;
        };
        if !read_by_server(ctx, &file.path, &lenient_dirs) && !shaped_like(&doc, &known) {
            continue;
        }
        let mut keys = BTreeSet::new();
        table_keys(&doc, &nested, &mut keys);
        for key in keys.iter().filter(|k| !known.contains(*k)) {
            let near = known.iter().find(|f| edit_distance(f, key) <= 2);
            let hint = near
                .map(|f| format!(" (did you mean `{f}`?)"))
                .unwrap_or_default();
            out.push(finding(
                ID,
                Severity::Warn,
                format!(
                    "key `{key}` in {} matches no config field{hint}; `{}` accepts unknown keys, so it is silently ignored",
                    file.path.display(),
                    lenient[0].item.ident
                ),
                line_start(&file.path, key_line(&file.text, key)),
                "fix the key, and add `#[serde(deny_unknown_fields)]` so typos stop start-up",
            ));
        }
    }
    out
}

/// The folder of the package `path` belongs to (the deepest manifest folder above it).
fn package_dir<'c>(ctx: &'c Context, path: &Path) -> &'c Path {
    ctx.packages
        .iter()
        .filter_map(|p| p.manifest_path.parent())
        .filter(|dir| path.starts_with(dir))
        .max_by_key(|dir| dir.components().count())
        .unwrap_or(Path::new(""))
}

/// Is the TOML file one the server names: a string literal in the shipped code of a package
/// that deserialises a lenient config struct? Release and lint tooling (`knope.toml`,
/// `release-plz.toml`, `cliff.toml`, `deny.toml`, `rustfmt.toml`) is read by other programs and
/// named nowhere in the server's code.
fn read_by_server(ctx: &Context, file: &Path, dirs: &BTreeSet<&Path>) -> bool {
    let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let quoted = [
        format!("\"{name}\""),
        format!("/{name}\""),
        format!("\"{name}"),
    ];
    crate::check::analysis::index::shipped(ctx)
        .iter()
        .any(|src| {
            dirs.contains(package_dir(ctx, &src.path))
                && src.text.contains(name)
                && quoted.iter().any(|q| src.text.contains(q.as_str()))
        })
}

/// A file handed to the server at run time (`--config PATH`) is named nowhere in the code: it
/// is judged when most of its top-level keys are fields of the config structs or near misses
/// of one. Release tooling shares none of its top-level tables with the server's config.
fn shaped_like(doc: &toml::Table, known: &BTreeSet<String>) -> bool {
    let fitting = doc
        .keys()
        .filter(|k| known.contains(*k) || known.iter().any(|f| edit_distance(f, k) <= 2))
        .count();
    fitting > 0 && fitting * 2 >= doc.len()
}

/// The keys of a TOML table that name fields: the top level, and the tables of fields whose
/// value is a config struct (a map's keys are the user's names, not fields).
fn table_keys(table: &toml::Table, nested: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    for (k, v) in table {
        out.insert(k.clone());
        if !nested.contains(k) {
            continue;
        }
        match v {
            toml::Value::Table(t) => table_keys(t, nested, out),
            toml::Value::Array(items) => items.iter().for_each(|i| {
                if let toml::Value::Table(t) = i {
                    table_keys(t, nested, out);
                }
            }),
            _ => {}
        }
    }
}

/// The key a field is read under: its `rename`, or its name.
fn field_key(f: &syn::Field) -> Option<String> {
    let rename = serde_args(&f.attrs)
        .split("rename=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(String::from);
    rename.or_else(|| f.ident.as_ref().map(ToString::to_string))
}

/// The first line (1-based) where `key` is assigned, or 1.
fn key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            let rest = t
                .strip_prefix(key)
                .or_else(|| t.strip_prefix(&format!("\"{key}\"")));
            rest.is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map_or(1, |n| n + 1)
}

/// Levenshtein distance, for near-miss keys.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use crate::check::rules::rule_tests::ids;

    const MAIN: &str = r#"
#[derive(serde::Deserialize)]
pub struct Config { pub name: String, pub limits: Limits, pub hosts: std::collections::HashMap<String, Host> }
#[derive(serde::Deserialize)]
pub struct Limits { pub max_rows: u32 }
#[derive(serde::Deserialize)]
pub struct Host { pub addr: String }
fn load() -> Config {
    let text = std::fs::read_to_string("server.toml").unwrap();
    toml::from_str(&text).unwrap()
}
"#;

    #[test]
    fn only_files_the_server_names_are_its_config() {
        let server =
            "name = \"x\"\nnmae = \"typo\"\n[limits]\nmax_rowz = 3\n[hosts.alpha]\naddr = \"a\"\n";
        let knope = "[package]\nversioned_files = [\"Cargo.toml\"]\nchangelog = \"CHANGELOG.md\"\nname = \"x\"\n";
        let files = [
            ("src/main.rs", MAIN),
            ("server.toml", server),
            ("knope.toml", knope),
            ("cliff.toml", knope),
        ];
        let found: Vec<String> = ids(&files, "unvalidated-config")
            .into_iter()
            .filter(|m| m.contains("matches no config field"))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|m| m.contains("server.toml")), "{found:?}");
        assert!(
            found.iter().any(|m| m.starts_with("2: key `nmae`")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|m| m.starts_with("4: key `max_rowz`")),
            "{found:?}"
        );
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(
            super::edit_distance("enable_dangerous_operation", "enable_dangerous_operations"),
            1
        );
        assert_eq!(super::edit_distance("abc", "abc"), 0);
        assert!(super::edit_distance("name", "version") > 2);
    }
}
