//! Workspace membership: a crate created inside a cargo workspace joins its `members`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use toml_edit::{Array, DocumentMut, Item, Value};

/// The workspace whose root manifest lies above `dir`, if any.
pub struct Workspace {
    pub root: PathBuf,
    pub manifest: PathBuf,
}

/// Finds the enclosing workspace with cargo metadata (no build, no build scripts).
pub fn find(dir: &Path) -> Result<Option<Workspace>> {
    let has_manifest_above = dir.ancestors().any(|a| a.join("Cargo.toml").is_file());
    let Some(existing) = dir.ancestors().find(|a| a.is_dir()) else {
        return Ok(None);
    };
    if !has_manifest_above {
        return Ok(None);
    }
    let metadata = cargo_metadata::MetadataCommand::new()
        .no_deps()
        .current_dir(existing)
        .other_options(vec!["--offline".to_string()])
        .exec()
        .with_context(|| {
            format!(
                "cannot read the cargo project around {}: fix it, or pass --no-workspace",
                dir.display()
            )
        })?;
    let root: PathBuf = metadata.workspace_root.into_std_path_buf();
    let manifest = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let doc: DocumentMut = text
        .parse()
        .with_context(|| format!("cannot parse {}", manifest.display()))?;
    if doc.get("workspace").is_none() {
        return Ok(None);
    }
    Ok(Some(Workspace { root, manifest }))
}

/// Adds `member` (relative to the workspace root, `/`-separated) to `workspace.members`,
/// keeping the file's formatting. Returns false when a pattern already covers it.
pub fn add_member(manifest_text: &str, member: &str) -> Result<Option<String>> {
    let mut doc: DocumentMut = manifest_text
        .parse()
        .context("workspace manifest is not valid TOML")?;
    let workspace = doc["workspace"]
        .as_table_like_mut()
        .context("[workspace] is not a table")?;
    let excluded = workspace
        .get("exclude")
        .and_then(Item::as_array)
        .is_some_and(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .any(|p| matches(p, member))
        });
    if excluded {
        return Ok(None);
    }
    if workspace.get("members").is_none() {
        workspace.insert("members", Item::Value(Value::Array(Array::new())));
    }
    let members = workspace
        .get_mut("members")
        .and_then(Item::as_array_mut)
        .context("workspace.members is not an array")?;
    if members
        .iter()
        .filter_map(Value::as_str)
        .any(|p| matches(p, member))
    {
        return Ok(None);
    }
    // Follow the array's layout: one per line when it already is, inline otherwise.
    let first_prefix = members
        .iter()
        .next()
        .and_then(|v| v.decor().prefix())
        .and_then(|p| p.as_str())
        .map(str::to_string);
    let multiline = first_prefix.as_deref().is_some_and(|p| p.contains('\n'));
    // A comment after the last element lives in the array's trailing text: keep it on that line.
    let trailing = members.trailing().as_str().unwrap_or_default().to_string();
    members.push(member);
    if multiline {
        let indent = first_prefix
            .as_deref()
            .and_then(|p| p.rsplit('\n').next())
            .unwrap_or("    ");
        let kept = trailing.rfind('\n').map_or("\n", |i| &trailing[..=i]);
        let last = members.len() - 1;
        if let Some(v) = members.get_mut(last) {
            v.decor_mut().set_prefix(format!("{kept}{indent}"));
        }
        members.set_trailing_comma(true);
        members.set_trailing("\n");
    }
    Ok(Some(doc.to_string()))
}

fn matches(pattern: &str, member: &str) -> bool {
    let pattern = pattern.trim_end_matches('/');
    glob::Pattern::new(pattern).map_or(pattern == member, |p| p.matches(member))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_to_inline_members_keeping_comments() {
        let text = "# my workspace\n[workspace]\nmembers = [\"a\"] # keep\nresolver = \"3\"\n";
        let out = add_member(text, "crates/new").unwrap().unwrap();
        assert_eq!(
            out,
            "# my workspace\n[workspace]\nmembers = [\"a\", \"crates/new\"] # keep\nresolver = \"3\"\n"
        );
    }

    #[test]
    fn appends_to_multiline_members() {
        let text = "[workspace]\nmembers = [\n    \"a\",\n]\n";
        let out = add_member(text, "b").unwrap().unwrap();
        assert_eq!(out, "[workspace]\nmembers = [\n    \"a\",\n    \"b\",\n]\n");
    }

    #[test]
    fn keeps_a_comment_after_the_last_member() {
        let text = "[workspace]\nmembers = [\n    \"a\", # first\n]\n";
        let out = add_member(text, "b").unwrap().unwrap();
        assert_eq!(
            out,
            "[workspace]\nmembers = [\n    \"a\", # first\n    \"b\",\n]\n"
        );
    }

    #[test]
    fn glob_that_covers_the_member_leaves_the_file_alone() {
        let text = "[workspace]\nmembers = [\"crates/*\"]\n";
        assert!(add_member(text, "crates/new").unwrap().is_none());
    }

    #[test]
    fn creates_members_when_absent() {
        let out = add_member("[workspace]\n", "x").unwrap().unwrap();
        assert!(out.contains("members = [\"x\"]"), "{out}");
    }
}
