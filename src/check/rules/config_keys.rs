//! unvalidated-config: keys in config files that match no field of a lenient config struct.

use std::collections::BTreeSet;

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
        .filter_map(|f| {
            let rename = serde_args(&f.attrs)
                .split("rename=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .map(String::from);
            rename.or_else(|| f.ident.as_ref().map(ToString::to_string))
        })
        .collect();
    let mut out = Vec::new();
    for file in &ctx.data_files {
        let name = file
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let tool_config = [
            "Cargo.toml",
            "pyproject.toml",
            "rust-toolchain.toml",
            "Cross.toml",
            "typos.toml",
            "taplo.toml",
        ]
        .contains(&name)
            || [
                "deny", "rustfmt", ".rustfmt", "clippy", ".clippy", "book", "netlify", "release",
            ]
            .iter()
            .any(|p| name.starts_with(p));
        if file.path.extension().is_none_or(|e| e != "toml")
            || tool_config
            || crate::check::analysis::index::is_excluded_in(ctx, &file.path)
            || file
                .path
                .components()
                .any(|c| c.as_os_str() == ".cargo" || c.as_os_str() == "checklist")
        {
            continue;
        }
        let keys: Vec<(usize, String)> = file
            .text
            .lines()
            .enumerate()
            .filter_map(|(n, line)| {
                let t = line.trim();
                if t.starts_with('#') || t.starts_with('[') {
                    return None;
                }
                let key = t.split_once('=')?.0.trim().trim_matches('"');
                (!key.is_empty() && !key.contains('.')).then(|| (n, key.to_string()))
            })
            .collect();
        // Only files that are this program's config: they share a key with it, or an unknown
        // key is a near miss of a field.
        let shares = keys.iter().any(|(_, k)| known.contains(k));
        for (n, key) in keys.iter().filter(|(_, k)| !known.contains(k)) {
            let near = known.iter().find(|f| edit_distance(f, key) <= 2);
            if !shares && near.is_none() {
                continue;
            }
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
                line_start(&file.path, n + 1),
                "fix the key, and add `#[serde(deny_unknown_fields)]` so typos stop start-up",
            ));
        }
    }
    out
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
