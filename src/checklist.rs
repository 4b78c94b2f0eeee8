//! The checklist as data: one TOML file per item in `checklist/`, embedded in the binary.
//! One text feeds `explain`, `list`, SARIF rule metadata and the docs.

use std::sync::OnceLock;

use anyhow::{Context as _, Result, bail};
use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};

use crate::finding::Severity;

static CHECKLIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/checklist");

/// The practice groups of the checklist, in display order.
pub const PRACTICES: &[&str] = &[
    "server-side",
    "client-side",
    "common-vulnerabilities",
    "secure-configuration",
    "mcp-specific",
    "supply-chain",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable kebab-case ID named after the hazard; also the file name.
    pub id: String,
    pub title: String,
    /// One of [`PRACTICES`].
    pub practice: String,
    pub severity: Severity,
    /// OWASP MCP Top 10 tag, e.g. `MCP05:2025`.
    pub owasp: Option<String>,
    /// MCP specification clause, where one applies.
    pub mcp_spec: Option<String>,
    /// Names of the automated checks that serve this item (static and probe).
    #[serde(default)]
    pub checks: Vec<String>,
    /// A question for a person, when a machine cannot judge everything.
    pub question: Option<String>,
    /// How the question is answered: yes/no, or a text account ("who … how …").
    #[serde(default)]
    pub answer: AnswerKind,
    /// Which facets of the tools the question is about: an answer goes stale only when one of
    /// these changes (or the question itself). Empty: the question alone.
    #[serde(default)]
    pub evidence: Vec<Facet>,
    pub docs: Docs,
}

/// How a person answers an item's question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerKind {
    #[default]
    YesNo,
    Text,
}

/// A facet of the discovered tools that a question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Facet {
    /// Which tools exist.
    Names,
    Titles,
    Descriptions,
    /// Annotation hints (read-only, destructive, …).
    Hints,
    /// Parameter names.
    Params,
}

/// Documentation in fixed sections.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Docs {
    /// What it checks.
    pub what: String,
    /// Why it matters.
    pub why: String,
    /// Example (vulnerable).
    pub example: String,
    /// Use instead.
    pub instead: String,
    /// References.
    pub references: Vec<String>,
}

/// Every item, sorted by ID. Panics only if the embedded data is broken, which the
/// meta-tests rule out.
pub fn all() -> &'static [Item] {
    static ITEMS: OnceLock<Vec<Item>> = OnceLock::new();
    ITEMS.get_or_init(|| load().expect("embedded checklist is valid (see tests)"))
}

pub fn get(id: &str) -> Option<&'static Item> {
    all().iter().find(|i| i.id == id)
}

/// Every item grouped by practice (in [`PRACTICES`] order), then sorted by ID: the order of
/// `list` and of the generated docs.
pub fn in_practice_order() -> Vec<&'static Item> {
    let rank = |item: &Item| {
        PRACTICES
            .iter()
            .position(|p| *p == item.practice)
            .unwrap_or(PRACTICES.len())
    };
    let mut items: Vec<&'static Item> = all().iter().collect();
    items.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.id.cmp(&b.id)));
    items
}

/// The severity as written in checklist files and JSON (`fail`, `warn`, `info`).
pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Warn => "warn",
        Severity::Fail => "fail",
    }
}

fn load() -> Result<Vec<Item>> {
    let mut items = Vec::new();
    for file in CHECKLIST.files() {
        let path = file.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = file
            .contents_utf8()
            .with_context(|| format!("checklist/{} is not UTF-8", path.display()))?;
        let item = parse(text).with_context(|| format!("in checklist/{}", path.display()))?;
        if path.file_stem().and_then(|s| s.to_str()) != Some(item.id.as_str()) {
            bail!(
                "checklist/{} declares id `{}`: the file must be named after its id",
                path.display(),
                item.id
            );
        }
        items.push(item);
    }
    items.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(items)
}

/// Parses and validates one item.
pub fn parse(text: &str) -> Result<Item> {
    let item: Item = toml::from_str(text).context("invalid checklist item")?;
    let kebab = !item.id.is_empty()
        && item
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !item.id.starts_with('-')
        && !item.id.ends_with('-');
    if !kebab {
        bail!("id `{}` is not kebab-case", item.id);
    }
    if !PRACTICES.contains(&item.practice.as_str()) {
        bail!(
            "practice `{}` is not one of {}",
            item.practice,
            PRACTICES.join(", ")
        );
    }
    let d = &item.docs;
    for (section, text) in [
        ("what", &d.what),
        ("why", &d.why),
        ("example", &d.example),
        ("instead", &d.instead),
    ] {
        if text.trim().is_empty() {
            bail!("docs section `{section}` is empty");
        }
    }
    if d.references.is_empty() {
        bail!("docs section `references` is empty");
    }
    Ok(item)
}

/// The item's documentation as Markdown, in the fixed section order.
pub fn markdown(item: &Item) -> String {
    let d = &item.docs;
    let mut out = format!("# {} (`{}`)\n\n", item.title, item.id);
    out.push_str(&format!(
        "Practice: {} · Default severity: {}",
        item.practice,
        severity_name(item.severity)
    ));
    if let Some(owasp) = &item.owasp {
        out.push_str(&format!(" · OWASP MCP Top 10: {owasp}"));
    }
    if let Some(spec) = &item.mcp_spec {
        out.push_str(&format!(" · MCP specification: {spec}"));
    }
    out.push_str("\n\n");
    if !item.checks.is_empty() {
        let checks: Vec<String> = item.checks.iter().map(|c| format!("`{c}`")).collect();
        out.push_str(&format!("Automated checks: {}\n\n", checks.join(", ")));
    }
    if let Some(question) = &item.question {
        out.push_str(&format!("Question for a person: {}\n\n", question.trim()));
    }
    for (heading, text) in [
        ("What it checks", &d.what),
        ("Why it matters", &d.why),
        ("Example (vulnerable)", &d.example),
        ("Use instead", &d.instead),
    ] {
        out.push_str(&format!("## {heading}\n\n{}\n\n", text.trim()));
    }
    out.push_str("## References\n\n");
    for r in &d.references {
        out.push_str(&format!("- {r}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_checklist_loads_with_unique_ids() {
        let items = load().unwrap();
        assert!(!items.is_empty());
        let mut ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), items.len(), "duplicate checklist ids");
    }

    #[test]
    fn markdown_has_every_section() {
        for item in load().unwrap() {
            let md = markdown(&item);
            for h in [
                "## What it checks",
                "## Why it matters",
                "## Example (vulnerable)",
                "## Use instead",
                "## References",
            ] {
                assert!(md.contains(h), "{} lacks {h}", item.id);
            }
        }
    }
}
