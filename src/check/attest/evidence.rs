//! What each attestation is bound to: a hash of its question and of the facets of the tools
//! that question is about, plus one digest per tool so a re-ask can say what changed.

use std::collections::BTreeMap;

use console::Style;
use sha2::{Digest, Sha256};

use crate::check::analysis::tools::ToolInfo;
use crate::checklist::{Facet, Item};

/// The evidence of one item, as recorded beside its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// `sha256:…` over the question and the per-tool digests.
    pub hash: String,
    /// Tool name → digest of the facets the item is about; empty when it is about none.
    pub tools: BTreeMap<String, String>,
}

fn sha(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The canonical text of one facet of a tool.
fn facet_text(tool: &ToolInfo, facet: Facet) -> String {
    match facet {
        Facet::Names => tool.name.clone(),
        Facet::Titles => tool.title.clone().unwrap_or_default(),
        Facet::Descriptions => tool.description.clone().unwrap_or_default(),
        Facet::Hints => tool
            .annotations
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
        Facet::Params => tool.params.join(","),
    }
}

/// The evidence of `item`: its question, and for each tool (by name, so neither order nor
/// place matters) the facets the item lists. SHA-256 over a canonical text, so it does not
/// depend on the Rust version.
pub fn of_item(item: &Item, tools: &[ToolInfo]) -> Evidence {
    let mut per_tool = BTreeMap::new();
    if !item.evidence.is_empty() {
        for t in tools {
            let text: Vec<String> = item.evidence.iter().map(|f| facet_text(t, *f)).collect();
            per_tool.insert(t.name.clone(), sha(&text.join("\u{1f}")));
        }
    }
    let mut canonical = item.question.clone().unwrap_or_default();
    for (name, digest) in &per_tool {
        canonical.push('\u{1e}');
        canonical.push_str(name);
        canonical.push('\u{1f}');
        canonical.push_str(digest);
    }
    Evidence {
        hash: sha(&canonical),
        tools: per_tool,
    }
}

/// What differs between the evidence an answer was given on and today's, in words.
pub fn changes(before: &BTreeMap<String, String>, now: &Evidence) -> Vec<String> {
    let mut out = Vec::new();
    for (name, digest) in &now.tools {
        match before.get(name) {
            None => out.push(format!("tool `{name}` added")),
            Some(d) if d != digest => out.push(format!("tool `{name}` changed")),
            Some(_) => {}
        }
    }
    for name in before.keys().filter(|n| !now.tools.contains_key(*n)) {
        out.push(format!("tool `{name}` removed"));
    }
    if out.is_empty() {
        out.push("the question or what it covers changed".into());
    }
    out
}

/// The tool list as people read it: name, title, hints, description, where.
pub fn lines(tools: &[ToolInfo]) -> Vec<String> {
    if tools.is_empty() {
        return vec!["  no tools were found in the sources".into()];
    }
    let bold = Style::new().bold();
    let dim = Style::new().dim();
    let mut out = Vec::new();
    for t in tools {
        let title = t
            .title
            .as_ref()
            .map(|s| format!(" \"{s}\""))
            .unwrap_or_default();
        out.push(format!(
            "  {}{title}  {}",
            bold.apply_to(&t.name),
            dim.apply_to(format!("{}:{}", t.location.file.display(), t.location.line))
        ));
        let hints: Vec<String> = t
            .annotations
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        out.push(format!(
            "      hints: {}",
            if hints.is_empty() {
                "none declared".into()
            } else {
                hints.join(", ")
            }
        ));
        out.push(format!(
            "      {}",
            t.description.as_deref().unwrap_or("(no description)")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::model::Context;

    /// A tool as discovery finds it in source (built from source, so new fields of
    /// `ToolInfo` do not break these tests).
    pub(crate) fn tool(name: &str, description: &str) -> ToolInfo {
        let src = format!(
            "struct S;\n#[tool_router]\nimpl S {{\n    #[tool(description = {description:?}, annotations(read_only_hint = true))]\n    async fn {name}(&self) -> String {{ String::new() }}\n}}\n"
        );
        let ctx = Context::of_sources(vec![("src/main.rs".into(), src)]);
        crate::check::analysis::tools::tools(&ctx).remove(0)
    }

    fn item(id: &str) -> &'static Item {
        crate::checklist::get(id).unwrap()
    }

    #[test]
    fn follows_content_not_order_or_place() {
        let vague = item("vague-tool-description");
        let a = vec![tool("a", "Read a file"), tool("b", "List files")];
        let mut moved = vec![a[1].clone(), a[0].clone()];
        moved[0].location.line = 40;
        assert_eq!(of_item(vague, &a), of_item(vague, &moved));
        assert!(of_item(vague, &a).hash.starts_with("sha256:"));
    }

    #[test]
    fn an_edit_makes_only_the_items_about_it_stale() {
        let a = vec![tool("a", "Read a file"), tool("b", "List files")];
        let mut edited = a.clone();
        edited[0].description = Some("Read any file".into());
        let mut hinted = a.clone();
        hinted[1]
            .annotations
            .insert("destructive_hint".into(), false);
        let vague = item("vague-tool-description");
        let confirm = item("missing-confirmation");
        let rate = item("missing-rate-limit");
        let secret = item("hardcoded-secret");
        // A description is what the description items review, not the quota question.
        assert_ne!(of_item(vague, &a), of_item(vague, &edited));
        assert_eq!(of_item(rate, &a), of_item(rate, &edited));
        assert_eq!(of_item(confirm, &a), of_item(confirm, &edited));
        // A hint is what the confirmation question reviews.
        assert_ne!(of_item(confirm, &a), of_item(confirm, &hinted));
        assert_eq!(of_item(vague, &a), of_item(vague, &hinted));
        // A new tool concerns every item about tools, and none about the secret store.
        let added = [a.clone(), vec![tool("c", "Delete a file")]].concat();
        assert_ne!(of_item(rate, &a), of_item(rate, &added));
        assert_eq!(of_item(secret, &a), of_item(secret, &added));
    }

    #[test]
    fn changes_name_the_tools() {
        let vague = item("vague-tool-description");
        let a = vec![tool("a", "Read a file"), tool("b", "List files")];
        let before = of_item(vague, &a).tools;
        let now = vec![tool("a", "Read any file"), tool("c", "Count files")];
        assert_eq!(
            changes(&before, &of_item(vague, &now)),
            ["tool `a` changed", "tool `c` added", "tool `b` removed"]
        );
    }
}
