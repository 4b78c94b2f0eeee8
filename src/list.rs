//! `cargo mcp-secure list`: the checklist items on stdout, one line each, grouped by practice;
//! or, with `--format json`, the full items as a JSON array in the same order. With `--rules`,
//! the static rules instead: name, item, severity and precision.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};

use crate::checklist::{self, Item};
use crate::report::Reporter;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format: a table for people, or every item in full as JSON.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,

    /// List the static rules (name, checklist item, severity, precision) instead of the items.
    #[arg(long)]
    pub rules: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

pub fn run(reporter: &Reporter, args: ListArgs) -> Result<ExitCode> {
    let items = checklist::in_practice_order();
    // On a terminal the last column wraps under itself; piped, one line per row for grep.
    let width = crate::render::terminal::Screen::stdout(false).map(|s| s.width.max(80));
    let text = match (args.format, args.rules) {
        (ListFormat::Human, true) => table(&rule_rows(&items), width),
        (ListFormat::Json, true) => {
            let rules: Vec<serde_json::Value> = rule_rows(&items)
                .iter()
                .skip(1)
                .map(|[rule, item, severity, precision]| {
                    serde_json::json!({ "rule": rule, "item": item, "severity": severity, "precision": precision })
                })
                .collect();
            let mut text =
                serde_json::to_string_pretty(&rules).context("cannot serialise the rules")?;
            text.push('\n');
            text
        }
        (ListFormat::Human, false) => table(&item_rows(&items), width),
        (ListFormat::Json, false) => {
            let mut text =
                serde_json::to_string_pretty(&items).context("cannot serialise the checklist")?;
            text.push('\n');
            text
        }
    };
    reporter.out(&text).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// The header and one row per item: ID, severity, practice, title.
fn item_rows<'a>(items: &[&'a Item]) -> Vec<[&'a str; 4]> {
    let mut rows = vec![["ID", "SEVERITY", "PRACTICE", "TITLE"]];
    rows.extend(items.iter().map(|i| {
        [
            i.id.as_str(),
            checklist::severity_name(i.severity),
            i.practice.as_str(),
            i.title.as_str(),
        ]
    }));
    rows
}

/// The header and one row per static rule, in checklist order: rule, item, severity,
/// precision.
fn rule_rows(items: &[&Item]) -> Vec<[&'static str; 4]> {
    let mut rows = vec![["RULE", "ITEM", "SEVERITY", "PRECISION"]];
    let rules = crate::check::rules::rules();
    for item in items {
        let mut own: Vec<_> = rules.iter().filter(|r| r.item == item.id).collect();
        own.sort_by_key(|r| r.name);
        rows.extend(own.into_iter().map(|r| {
            [
                r.name,
                r.item,
                checklist::severity_name(r.severity),
                r.precision.name(),
            ]
        }));
    }
    rows
}

/// A plain table with aligned columns, the first row the header. No colour, so that it reads
/// the same in a terminal, a pipe or a file. With a width, a last cell that would pass it
/// wraps at spaces, its continuation lines starting under the cell.
fn table(rows: &[[&str; 4]], width: Option<usize>) -> String {
    let mut widths = [0; 4];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let indent = widths[0] + widths[1] + widths[2] + 6;
    // Too narrow a last column is worse than a long line.
    let room = width.map(|w| w.saturating_sub(indent)).filter(|r| *r >= 20);
    let mut out = String::new();
    for row in rows {
        let last = match room {
            Some(room) => crate::render::terminal::wrap(row[3], room)
                .join(&format!("\n{}", " ".repeat(indent))),
            None => row[3].to_string(),
        };
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {last}",
            row[0],
            row[1],
            row[2],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns_and_lists_every_item() {
        let items = checklist::in_practice_order();
        let text = table(&item_rows(&items), None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), items.len() + 1);
        assert!(lines[0].starts_with("ID "));
        let title_column = lines[0].find("TITLE").unwrap();
        for (line, item) in lines[1..].iter().zip(&items) {
            assert!(line.starts_with(&item.id));
            assert_eq!(
                &line[title_column..],
                item.title,
                "title column misaligned for {}",
                item.id
            );
        }
    }

    #[test]
    fn a_long_last_cell_wraps_under_itself() {
        let items = checklist::in_practice_order();
        let text = table(&item_rows(&items), Some(80));
        let title_column = text.lines().next().unwrap().find("TITLE").unwrap();
        assert!(
            text.lines()
                .all(|l| l.chars().count() <= 80 || !l[title_column..].contains(' ')),
            "{text}"
        );
        let continued: Vec<&str> = text.lines().filter(|l| l.starts_with(' ')).collect();
        assert!(
            !continued.is_empty(),
            "no title wrapped at 80 columns:\n{text}"
        );
        for line in continued {
            assert_eq!(
                line.len() - line.trim_start().len(),
                title_column,
                "{line:?}"
            );
        }
    }

    #[test]
    fn rule_table_lists_every_rule_once_with_its_item() {
        let items = checklist::in_practice_order();
        let text = table(&rule_rows(&items), None);
        let rules = crate::check::rules::rules();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), rules.len() + 1);
        assert!(lines[0].starts_with("RULE "));
        for rule in &rules {
            let row = lines
                .iter()
                .find(|l| l.split_whitespace().next() == Some(rule.name))
                .unwrap_or_else(|| panic!("no row for {}", rule.name));
            let cells: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(
                cells,
                [
                    rule.name,
                    rule.item,
                    checklist::severity_name(rule.severity),
                    rule.precision.name()
                ]
            );
        }
    }
}
