//! `cargo mcp-secure explain <ID>`: one checklist item's documentation on stdout, rendered for
//! the terminal, or as Markdown or JSON, so it can be read, piped or saved. `--all` prints every item (the text of
//! `docs/checklist.md`).

use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};

use crate::checklist::{self, Item};
use crate::render::terminal::{self, Screen};
use crate::report::Reporter;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The checklist item to explain (`cargo mcp-secure list` shows every ID).
    #[arg(value_name = "ID", required_unless_present = "all")]
    pub id: Option<String>,

    /// Explain every item, grouped by practice.
    #[arg(long, conflicts_with = "id")]
    pub all: bool,

    /// Output format (default: `text` on a terminal, `markdown` when piped or redirected).
    #[arg(long, value_enum)]
    pub format: Option<ExplainFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Rendered for a terminal: emphasis, code, wrapped to its width.
    Text,
    Markdown,
    Json,
}

pub fn run(reporter: &Reporter, args: ExplainArgs) -> Result<ExitCode> {
    let screen = Screen::stdout(reporter.color());
    let format = args.format.unwrap_or(match screen {
        Some(_) => ExplainFormat::Text,
        None => ExplainFormat::Markdown,
    });
    // `--format text` into a pipe: wrapped at 80 columns, no styles.
    let screen = screen.unwrap_or(Screen {
        width: 80,
        styled: false,
    });
    let text = match (args.all, args.id.as_deref()) {
        (true, _) => match format {
            ExplainFormat::Text => terminal::markdown(&book(), screen),
            ExplainFormat::Markdown => book(),
            ExplainFormat::Json => json(&checklist::in_practice_order())?,
        },
        (false, Some(id)) => {
            let item = find(id)?;
            match format {
                ExplainFormat::Text => terminal::markdown(&checklist::markdown(item), screen),
                ExplainFormat::Markdown => checklist::markdown(item),
                ExplainFormat::Json => json(item)?,
            }
        }
        // clap requires an ID unless `--all` is given.
        (false, None) => {
            bail!("name a checklist item, or pass --all; `cargo mcp-secure list` shows every ID")
        }
    };
    reporter.out(&text).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// Looks an item up, or fails with the closest IDs as suggestions.
fn find(id: &str) -> Result<&'static Item> {
    if let Some(item) = checklist::get(id.trim()) {
        return Ok(item);
    }
    let ids: Vec<&str> = checklist::all().iter().map(|i| i.id.as_str()).collect();
    let close = suggestions(id, &ids);
    let hint = match close.as_slice() {
        [] => String::new(),
        [one] => format!("did you mean `{one}`? "),
        many => format!(
            "did you mean one of {}? ",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    bail!("unknown checklist item `{id}`: {hint}run `cargo mcp-secure list` to see every item")
}

/// Up to three IDs close to `query`: by edit distance, or sharing a word with it.
pub fn suggestions<'a>(query: &str, ids: &[&'a str]) -> Vec<&'a str> {
    let query = query.trim().to_ascii_lowercase().replace('_', "-");
    let words: Vec<&str> = query.split('-').filter(|w| w.len() >= 4).collect();
    let limit = (query.len() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = ids
        .iter()
        .filter_map(|id| {
            let distance = levenshtein(&query, id);
            let shares_word = words.iter().any(|w| id.split('-').any(|part| part == *w));
            (distance <= limit || shares_word).then_some((distance, *id))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

/// Edit distance between two strings, counted in characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value).context("cannot serialise the checklist")?;
    text.push('\n');
    Ok(text)
}

/// Every item's documentation in one Markdown document: the content of `docs/checklist.md`.
pub fn book() -> String {
    let items = checklist::in_practice_order();
    let mut out = String::from(
        "# The cargo mcp-secure checklist\n\n\
         <!-- Generated from checklist/*.toml by `cargo mcp-secure explain --all`; do not edit by hand.\n     \
         Regenerate with `UPDATE_DOCS=1 cargo test docs_are_up_to_date`. -->\n\n\
         | ID | Severity | Practice | Title |\n| --- | --- | --- | --- |\n",
    );
    for item in &items {
        out.push_str(&format!(
            "| [`{id}`](#{id}) | {} | {} | {} |\n",
            checklist::severity_name(item.severity),
            item.practice,
            item.title,
            id = item.id
        ));
    }
    for item in &items {
        out.push_str(&format!("\n<a id=\"{}\"></a>\n\n", item.id));
        out.push_str(&demote_headings(&checklist::markdown(item)));
    }
    out
}

/// Adds one `#` to every Markdown heading outside code fences, so that items nest under the
/// document title. Lines inside fences (`#[tool]`, `#![forbid]`) are left alone.
fn demote_headings(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + 64);
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if !in_fence && line.starts_with('#') {
            out.push('#');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein_counts_edits() {
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("path-traversal", "path-traversal"), 0);
        assert_eq!(levenshtein("pth-traversal", "path-traversal"), 1);
    }

    #[test]
    fn suggestions_find_typos_and_shared_words() {
        let ids = [
            "path-traversal",
            "sql-injection",
            "command-injection",
            "hidden-tool",
        ];
        assert_eq!(suggestions("path-travesal", &ids), ["path-traversal"]);
        assert_eq!(
            suggestions("injection", &ids),
            ["sql-injection", "command-injection"]
        );
        assert_eq!(suggestions("PATH_TRAVERSAL", &ids), ["path-traversal"]);
        assert!(suggestions("zzzz", &ids).is_empty());
    }

    #[test]
    fn demote_skips_code_fences() {
        let md = "# Title\n\n## What\n\n```rust\n#[tool]\n#![forbid(unsafe_code)]\n```\n";
        assert_eq!(
            demote_headings(md),
            "## Title\n\n### What\n\n```rust\n#[tool]\n#![forbid(unsafe_code)]\n```\n"
        );
    }

    /// `docs/checklist.md` is generated; this fails when it is stale and rewrites it with
    /// `UPDATE_DOCS=1`.
    #[test]
    fn docs_are_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checklist.md");
        let expected = book();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &expected).unwrap();
            return;
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/checklist.md is out of date with checklist/*.toml; regenerate it with \
             `UPDATE_DOCS=1 cargo test docs_are_up_to_date` and commit the result"
        );
    }
}
