//! Human attestations: answers to the checklist questions a machine cannot judge, recorded
//! in the project's Cargo.toml and bound to a hash of the evidence shown. When the evidence
//! changes (a tool added, a description or hint edited) the answer is stale and asked again.
//!
//! Recorded under `[package.metadata.mcp-secure.attestations.<id>]`, or
//! `[workspace.metadata.mcp-secure.attestations.<id>]` in a virtual workspace manifest:
//! `answer`, `evidence`, `by`, `at`.

pub mod ask;
pub mod evidence;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use toml_edit::{DocumentMut, Item, Table, value};

pub use ask::ask;
pub use evidence::Evidence;

/// A person's answer: yes, no, or a text account for questions of the form "who … how …".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    pub answer: Answer,
    /// The item's evidence hash when it was answered.
    pub evidence: String,
    /// Per-tool digests then, to say what changed; empty for older records.
    pub tools: BTreeMap<String, String>,
    pub by: String,
    pub at: String,
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
        let answer = match entry.get("answer") {
            Some(a) if a.as_bool() == Some(true) => Some(Answer::Yes),
            Some(a) if a.as_bool() == Some(false) => Some(Answer::No),
            Some(a) => a
                .as_str()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Answer::Text(t.to_string())),
            None => None,
        };
        match (answer, get("evidence")) {
            (Some(answer), Some(evidence)) => {
                let tools = entry
                    .get("tools")
                    .and_then(Item::as_table_like)
                    .map(|t| {
                        t.iter()
                            .filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                let by = get("by").unwrap_or_default();
                let at = get("at").unwrap_or_default();
                out.insert(id.to_string(), Attestation { answer, evidence, tools, by, at });
            }
            _ => bad.push(format!("attestation `{id}` needs `answer = true|false|\"text\"` and `evidence = \"…\"`; it counts as unanswered")),
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
        match &a.answer {
            Answer::Yes => entry.insert("answer", value(true)),
            Answer::No => entry.insert("answer", value(false)),
            Answer::Text(t) => entry.insert("answer", value(t.as_str())),
        };
        entry.insert("evidence", value(a.evidence.as_str()));
        entry.insert("by", value(a.by.as_str()));
        entry.insert("at", value(a.at.as_str()));
        if !a.tools.is_empty() {
            let mut tools = Table::new();
            last += 1;
            tools.set_position(Some(last));
            for (name, digest) in &a.tools {
                tools.insert(name, value(digest.as_str()));
            }
            entry.insert("tools", Item::Table(tools));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back_keeping_formatting() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        let original = "[package]\nname = \"demo\"   # keep me\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1\"\n";
        std::fs::write(&manifest, original).unwrap();
        let a = Attestation {
            answer: Answer::Yes,
            evidence: "sha256:00".into(),
            tools: BTreeMap::from([("read_file".to_string(), "sha256:aa".to_string())]),
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
            answer: Answer::Text("only the ops team, through the gateway's mTLS".into()),
            ..a.clone()
        };
        write(
            &manifest,
            &BTreeMap::from([("vague-tool-description".to_string(), b.clone())]),
        )
        .unwrap();
        let again = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            again.starts_with(original)
                && again
                    .matches("attestations.vague-tool-description]")
                    .count()
                    == 1,
            "{again}"
        );
        assert_eq!(
            read(&manifest).unwrap().0["vague-tool-description"].answer,
            b.answer
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
            answer: Answer::No,
            evidence: "sha256:01".into(),
            tools: BTreeMap::new(),
            by: "b".into(),
            at: "t".into(),
        };
        write(&manifest, &BTreeMap::from([("x".to_string(), a)])).unwrap();
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            text.contains("[workspace.metadata.mcp-secure.attestations.x]"),
            "{text}"
        );
        assert_eq!(read(&manifest).unwrap().0["x"].answer, Answer::No);
    }
}
