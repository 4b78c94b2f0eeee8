//! Suppressions. Inline: `// mcp-secure: allow(<name>[, <name>…]) <reason>` at the end of the
//! flagged line, or on comment lines directly above it (single-line attributes such as
//! `#[tool(…)]` may sit in between); in TOML, YAML and `.env` files the comment starts with `#`.
//! In the metadata table: `allow = { "<name>" = "<reason>" }`. A name is a rule
//! (`path-prefix-compare`), which suppresses that rule's findings, or a checklist item
//! (`path-traversal`), which suppresses every finding under it.
//!
//! The reason is required. A suppression without one suppresses nothing and is itself
//! reported as a `warn` finding under the same item, at the comment, so it cannot hide a
//! finding silently and shows where to add the reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::check::config::Settings;
use crate::check::model::{Context, Note};
use crate::finding::{Finding, Location, Severity};

/// One `mcp-secure: allow(...)` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub ids: Vec<String>,
    pub reason: String,
    pub line: usize,
    pub column: usize,
    /// True when the line holds nothing but the comment.
    pub own_line: bool,
}

/// What suppression left: the findings to report, how many were suppressed, and notes on
/// comments that could not be understood.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub suppressed: usize,
    pub notes: Vec<Note>,
}

pub fn apply(ctx: &Context, settings: &Settings, findings: Vec<Finding>) -> Outcome {
    let mut notes = Vec::new();
    let mut directives: BTreeMap<PathBuf, (Vec<&str>, Vec<Directive>)> = BTreeMap::new();
    let texts = ctx
        .sources
        .iter()
        .map(|s| (&s.path, &s.text))
        .chain(ctx.data_files.iter().map(|d| (&d.path, &d.text)));
    for (path, text) in texts {
        let Some(marker) = comment_marker(path) else {
            continue;
        };
        // Most files have no directive; one substring search skips them cheaply.
        if !text.contains("mcp-secure:") {
            continue;
        }
        let (found, bad) = parse(text, marker);
        notes.extend(bad.into_iter().map(|line| Note {
            path: path.clone(),
            message: format!("line {line}: unrecognised `mcp-secure:` comment; write `{marker} mcp-secure: allow(<id>) <reason>`"),
        }));
        if !found.is_empty() {
            directives.insert(path.clone(), (text.lines().collect(), found));
        }
    }

    let mut out = Vec::new();
    let mut suppressed = 0;
    for f in findings {
        let inline = f.location.as_ref().is_some_and(|loc| {
            directives.get(&loc.file).is_some_and(|(lines, ds)| {
                covers(
                    lines,
                    ds,
                    loc.line,
                    &[&f.id, &f.rule],
                    comment_marker(&loc.file).unwrap_or("//"),
                )
            })
        });
        let allows = |p: &crate::check::config::PackageSettings| {
            [&f.id, &f.rule]
                .iter()
                .any(|name| p.allow.get(*name).is_some_and(|r| !r.is_empty()))
        };
        let by_metadata = match settings.owner(f.location.as_ref().map(|l| l.file.as_path())) {
            Some(p) => allows(p),
            None => f.location.is_none() && settings.packages.iter().any(allows),
        };
        if inline || by_metadata {
            suppressed += 1;
        } else {
            out.push(f);
        }
    }

    // Reasonless suppressions, inline and in metadata, become findings themselves.
    for (path, (_, ds)) in &directives {
        for d in ds.iter().filter(|d| d.reason.is_empty()) {
            for id in &d.ids {
                let marker = comment_marker(path).unwrap_or("//");
                out.push(reasonless(id, at(path, d.line, d.column), format!("write why it is safe after the parenthesis: `{marker} mcp-secure: allow({id}) <reason>`")));
            }
        }
    }
    for p in &settings.packages {
        for (id, _) in p.allow.iter().filter(|(_, r)| r.is_empty()) {
            let line = p
                .manifest_text
                .lines()
                .position(|l| {
                    l.contains(&format!("\"{id}\"")) || l.trim_start().starts_with(id.as_str())
                })
                .map_or(1, |i| i + 1);
            out.push(reasonless(
                id,
                at(&p.manifest, line, 1),
                format!("give the reason as a string: `\"{id}\" = \"<why this is acceptable>\"`"),
            ));
        }
    }
    Outcome {
        findings: out,
        suppressed,
        notes,
    }
}

fn reasonless(name: &str, location: Location, help: String) -> Finding {
    // Filed under the item named, or the item of the rule named.
    let id = crate::check::rules::rule(name).map_or(name.to_string(), |r| r.item.to_string());
    Finding {
        id,
        rule: crate::finding::SUPPRESSION_WITHOUT_REASON.into(),
        severity: Severity::Warn,
        message: format!("suppression of `{name}` has no reason, so it suppresses nothing"),
        location: Some(location),
        labels: vec![],
        help: Some(help),
        tool: None,
        evidence: None,
    }
}

fn at(file: &Path, line: usize, column: usize) -> Location {
    Location {
        file: file.to_path_buf(),
        line,
        column,
        end_line: line,
        end_column: column,
    }
}

/// The comment marker of a file type, or None for files without comments (JSON).
fn comment_marker(path: &Path) -> Option<&'static str> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match path.extension().and_then(|e| e.to_str()) {
        Some("rs") => Some("//"),
        Some("toml" | "yaml" | "yml") => Some("#"),
        _ if name.starts_with(".env") => Some("#"),
        _ => None,
    }
}

/// Whether a directive naming one of `names` (the finding's item and rule) covers a finding
/// at `line` (1-based).
fn covers(
    lines: &[&str],
    directives: &[Directive],
    line: usize,
    names: &[&str],
    marker: &str,
) -> bool {
    let honours =
        |d: &Directive| !d.reason.is_empty() && d.ids.iter().any(|i| names.contains(&i.as_str()));
    if directives.iter().any(|d| d.line == line && honours(d)) {
        return true;
    }
    // Walk up over the comment and attribute lines directly above the flagged line.
    let mut above = line.saturating_sub(1);
    while above >= 1 {
        let text = lines.get(above - 1).map_or("", |l| l.trim());
        let comment = text.starts_with(marker);
        let attribute = marker == "//" && text.starts_with("#[") && text.ends_with(']');
        if !comment && !attribute {
            return false;
        }
        if directives
            .iter()
            .any(|d| d.line == above && d.own_line && honours(d))
        {
            return true;
        }
        above -= 1;
    }
    false
}

/// Finds the directives in a text; also returns the lines of `mcp-secure:` comments that
/// are not well-formed.
pub fn parse(text: &str, marker: &str) -> (Vec<Directive>, Vec<usize>) {
    let mut found = Vec::new();
    let mut bad = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some(at) = line.find("mcp-secure:") else {
            continue;
        };
        let before = line[..at].trim_end();
        let Some(comment_start) = before.strip_suffix(marker).map(str::len) else {
            continue;
        };
        let rest = line[at + "mcp-secure:".len()..].trim_start();
        let parsed = rest
            .strip_prefix("allow(")
            .and_then(|r| r.split_once(')'))
            .map(|(ids, reason)| {
                (
                    ids.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>(),
                    reason.trim(),
                )
            });
        match parsed {
            Some((ids, reason)) if !ids.is_empty() => found.push(Directive {
                ids,
                reason: reason.to_string(),
                line: index + 1,
                column: line[..comment_start].chars().count() + 1,
                own_line: line[..comment_start].trim().is_empty(),
            }),
            _ => bad.push(index + 1),
        }
    }
    (found, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directives_with_and_without_reason() {
        let text = "fn a() {} // mcp-secure: allow(stdout-pollution) logs go to a pipe we own\n    // mcp-secure: allow(a, b)\n// mcp-secure: alow(x) typo\nlet s = \"mcp-secure: allow(x)\";\n";
        let (found, bad) = parse(text, "//");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].ids, ["stdout-pollution"]);
        assert_eq!(found[0].reason, "logs go to a pipe we own");
        assert!(!found[0].own_line);
        assert_eq!(found[0].column, 11);
        assert_eq!(found[1].ids, ["a", "b"]);
        assert!(found[1].reason.is_empty() && found[1].own_line);
        assert_eq!(bad, [3]);
    }

    #[test]
    fn covers_same_line_and_comment_block_above() {
        let text = "// mcp-secure: allow(x) reviewed\n#[tool(description = \"d\")]\nfn f() {}\nfn g() {} // mcp-secure: allow(y) fine\nfn h() {}\n";
        let lines: Vec<&str> = text.lines().collect();
        let (ds, _) = parse(text, "//");
        assert!(covers(&lines, &ds, 3, &["x"], "//"));
        assert!(!covers(&lines, &ds, 3, &["y"], "//"));
        assert!(covers(&lines, &ds, 4, &["y"], "//"));
        // The rule's name or the item's: either one names the finding.
        assert!(covers(&lines, &ds, 4, &["item", "y"], "//"));
        // A trailing comment on line 4 does not reach line 5.
        assert!(!covers(&lines, &ds, 5, &["y"], "//"));
    }

    #[test]
    fn toml_uses_hash_comments() {
        let (ds, _) = parse(
            "# mcp-secure: allow(hardcoded-secret) test key\ntoken = \"x\"\n",
            "#",
        );
        assert_eq!(ds.len(), 1);
        assert!(comment_marker(Path::new("a.json")).is_none());
        assert_eq!(comment_marker(Path::new(".env.local")), Some("#"));
    }
}
