//! Human attestations: answers to the checklist questions a machine cannot judge, recorded
//! in the project's Cargo.toml and bound to a hash of the evidence shown. When the evidence
//! changes (a tool added, a description or hint edited) the answer is stale and asked again.
//!
//! Recorded under `[package.metadata.mcp-secure.attestations.<id>]`, or
//! `[workspace.metadata.mcp-secure.attestations.<id>]` in a virtual workspace manifest:
//! `answer`, `evidence`, `by`, `at`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use console::{Style, Term};
use dialoguer::Confirm;
use dialoguer::theme::ColorfulTheme;
use sha2::{Digest, Sha256};
use toml_edit::{DocumentMut, Item, Table, value};

use crate::check::analysis::tools::ToolInfo;
use crate::report::Reporter;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    pub answer: bool,
    pub evidence: String,
    pub by: String,
    pub at: String,
}

/// A stable hash of what a person reviews: every tool's name, title, description and
/// annotation hints, in name order. SHA-256 over a canonical text, so it does not depend
/// on the Rust version or on where the tools sit in the files.
pub fn evidence_hash(tools: &[ToolInfo]) -> String {
    let mut lines: Vec<String> = tools
        .iter()
        .map(|t| {
            let hints: Vec<String> = t
                .annotations
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            [
                t.name.as_str(),
                t.title.as_deref().unwrap_or(""),
                t.description.as_deref().unwrap_or(""),
                &hints.join(","),
            ]
            .join("\u{1f}")
        })
        .collect();
    lines.sort();
    let digest = Sha256::digest(lines.join("\u{1e}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The key path of the attestation table in this manifest: `package` when it has a
/// `[package]`, else `workspace`.
fn section(doc: &DocumentMut) -> &'static str {
    if doc.get("package").is_some() {
        "package"
    } else {
        "workspace"
    }
}

/// Reads the recorded attestations. Malformed entries are returned as messages so they can
/// be shown as notes; they count as unanswered.
pub fn read(manifest: &Path) -> Result<(BTreeMap<String, Attestation>, Vec<String>)> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read `{}`", manifest.display()))?;
    let doc: DocumentMut = text.parse().with_context(|| {
        format!(
            "`{}` is not valid TOML; fix it and run again",
            manifest.display()
        )
    })?;
    let mut out = BTreeMap::new();
    let mut bad = Vec::new();
    let table = doc
        .get(section(&doc))
        .and_then(|s| s.get("metadata"))
        .and_then(|m| m.get("mcp-secure"))
        .and_then(|m| m.get("attestations"))
        .and_then(Item::as_table_like);
    let Some(table) = table else {
        return Ok((out, bad));
    };
    for (id, entry) in table.iter() {
        let get = |k: &str| entry.get(k).and_then(|v| v.as_str()).map(str::to_string);
        match (entry.get("answer").and_then(Item::as_bool), get("evidence")) {
            (Some(answer), Some(evidence)) => {
                let by = get("by").unwrap_or_default();
                let at = get("at").unwrap_or_default();
                out.insert(id.to_string(), Attestation { answer, evidence, by, at });
            }
            _ => bad.push(format!("attestation `{id}` needs `answer = true|false` and `evidence = \"…\"`; it counts as unanswered")),
        }
    }
    Ok((out, bad))
}

/// Records answers, keeping the rest of the manifest exactly as it was.
pub fn write(manifest: &Path, answers: &BTreeMap<String, Attestation>) -> Result<()> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read `{}`", manifest.display()))?;
    let mut doc: DocumentMut = text.parse().with_context(|| {
        format!(
            "`{}` is not valid TOML; fix it and run again",
            manifest.display()
        )
    })?;
    let top = section(&doc);
    // New tables go after everything else, so the existing layout is untouched.
    let mut last = max_position(doc.as_table());
    let mut table = doc.as_table_mut();
    for key in [top, "metadata", "mcp-secure", "attestations"] {
        let item = table.entry(key).or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        table = item.as_table_mut().with_context(|| {
            format!(
                "`{key}` in `{}` is not a table; make it one",
                manifest.display()
            )
        })?;
    }
    for (id, a) in answers {
        let mut entry = Table::new();
        match table
            .get(id)
            .and_then(Item::as_table)
            .and_then(Table::position)
        {
            Some(existing) => entry.set_position(Some(existing)),
            None => {
                last += 1;
                entry.set_position(Some(last));
            }
        }
        entry.insert("answer", value(a.answer));
        entry.insert("evidence", value(a.evidence.as_str()));
        entry.insert("by", value(a.by.as_str()));
        entry.insert("at", value(a.at.as_str()));
        table.insert(id, Item::Table(entry));
    }
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in `{}`", dir.display()))?;
    std::io::Write::write_all(&mut tmp, doc.to_string().as_bytes())
        .with_context(|| format!("cannot write `{}`", manifest.display()))?;
    tmp.persist(manifest)
        .with_context(|| format!("cannot replace `{}`", manifest.display()))?;
    Ok(())
}

fn max_position(table: &Table) -> isize {
    table
        .iter()
        .filter_map(|(_, item)| item.as_table())
        .map(|t| t.position().unwrap_or(0).max(max_position(t)))
        .max()
        .unwrap_or(0)
}

/// Who answers: git's user.name, else $USER.
pub fn who() -> String {
    let git = std::process::Command::new("git")
        .args(["config", "user.name"])
        .output()
        .ok();
    git.filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Shows the evidence once, then asks each question on stderr's terminal. Returns the answers
/// given; a question left with Esc or q stays unanswered.
pub fn ask(
    reporter: &Reporter,
    questions: &[(&str, &str, bool)],
    tools: &[ToolInfo],
) -> Result<BTreeMap<String, bool>> {
    let mut answers = BTreeMap::new();
    if questions.is_empty() {
        return Ok(answers);
    }
    reporter.err_line("");
    let need = if questions.len() == 1 {
        "1 item needs".to_string()
    } else {
        format!("{} items need", questions.len())
    };
    reporter.status(
        "Attesting",
        format!("{need} a person's answer; the evidence:"),
    );
    for line in evidence_lines(tools) {
        reporter.err_line(&line);
    }
    let term = Term::stderr();
    let width = usize::from(term.size().1).clamp(40, 100);
    let theme = ColorfulTheme::default();
    let dim = Style::new().dim();
    for (id, question, stale) in questions {
        let why = if *stale {
            "the evidence changed since the last answer"
        } else {
            "not answered yet"
        };
        reporter.err_line(&format!(
            "\n{} {}",
            Style::new().bold().apply_to(id),
            dim.apply_to(format!("({why}; Esc skips)"))
        ));
        // The question is printed wrapped; the prompt itself stays one short line, because a
        // prompt that wraps is redrawn badly once answered.
        for line in wrap(question, width.saturating_sub(2)) {
            reporter.err_line(&format!("  {line}"));
        }
        let answer = Confirm::with_theme(&theme)
            .with_prompt("Answer")
            .interact_on_opt(&term)
            .with_context(|| {
                format!("cannot ask about `{id}` on the terminal; run with --ci to skip questions")
            })?;
        if let Some(answer) = answer {
            answers.insert(id.to_string(), answer);
        }
    }
    Ok(answers)
}

/// Splits text into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("never empty");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// The tool list as people read it: name, title, hints, description, where.
pub fn evidence_lines(tools: &[ToolInfo]) -> Vec<String> {
    if tools.is_empty() {
        return vec!["  no `#[tool]` functions were found in the sources".into()];
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
    fn tool(name: &str, description: &str) -> ToolInfo {
        let src = format!(
            "struct S;\n#[tool_router]\nimpl S {{\n    #[tool(description = {description:?}, annotations(read_only_hint = true))]\n    async fn {name}(&self) -> String {{ String::new() }}\n}}\n"
        );
        let ctx = Context::of_sources(vec![("src/main.rs".into(), src)]);
        crate::check::analysis::tools::tools(&ctx).remove(0)
    }

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(
            wrap("unbreakable-long-word x", 5),
            ["unbreakable-long-word", "x"]
        );
    }

    #[test]
    fn evidence_hash_follows_content_not_order_or_place() {
        let a = vec![tool("a", "Read a file"), tool("b", "List files")];
        let mut moved = vec![a[1].clone(), a[0].clone()];
        moved[0].location.line = 40;
        assert_eq!(evidence_hash(&a), evidence_hash(&moved));
        let mut edited = a.clone();
        edited[0].description = Some("Read any file".into());
        assert_ne!(evidence_hash(&a), evidence_hash(&edited));
        let mut hinted = a.clone();
        hinted[1]
            .annotations
            .insert("destructive_hint".into(), false);
        assert_ne!(evidence_hash(&a), evidence_hash(&hinted));
        assert!(evidence_hash(&a).starts_with("sha256:"));
    }

    #[test]
    fn writes_and_reads_back_keeping_formatting() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        let original = "[package]\nname = \"demo\"   # keep me\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1\"\n";
        std::fs::write(&manifest, original).unwrap();
        let a = Attestation {
            answer: true,
            evidence: "sha256:00".into(),
            by: "Ada".into(),
            at: "2026-01-01T00:00:00Z".into(),
        };
        write(
            &manifest,
            &BTreeMap::from([("vague-tool-description".to_string(), a.clone())]),
        )
        .unwrap();
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(text.starts_with(original), "{text}");
        // Answering again replaces the entry in place.
        let b = Attestation {
            answer: false,
            ..a.clone()
        };
        write(
            &manifest,
            &BTreeMap::from([("vague-tool-description".to_string(), b)]),
        )
        .unwrap();
        let again = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            again.starts_with(original) && again.matches("attestations.vague").count() == 1,
            "{again}"
        );
        write(
            &manifest,
            &BTreeMap::from([("vague-tool-description".to_string(), a.clone())]),
        )
        .unwrap();
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            text.contains("[package.metadata.mcp-secure.attestations.vague-tool-description]"),
            "{text}"
        );
        let (read_back, bad) = read(&manifest).unwrap();
        assert!(bad.is_empty());
        assert_eq!(read_back["vague-tool-description"], a);
    }

    #[test]
    fn virtual_workspace_records_under_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        std::fs::write(&manifest, "[workspace]\nmembers = [\"a\"]\n").unwrap();
        let a = Attestation {
            answer: false,
            evidence: "sha256:01".into(),
            by: "b".into(),
            at: "t".into(),
        };
        write(&manifest, &BTreeMap::from([("x".to_string(), a)])).unwrap();
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            text.contains("[workspace.metadata.mcp-secure.attestations.x]"),
            "{text}"
        );
        assert!(!read(&manifest).unwrap().0["x"].answer);
    }
}
