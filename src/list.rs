//! `cargo mcp-secure list`: the checklist items on stdout, one line each, grouped by practice;
//! or, with `--format json`, the full items as a JSON array in the same order.

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

pub fn run(reporter: &Reporter, args: ListArgs) -> Result<ExitCode> {
    let items = checklist::in_practice_order();
    let text = match args.format {
        ListFormat::Human => table(&items),
        ListFormat::Json => {
            let mut text =
                serde_json::to_string_pretty(&items).context("cannot serialise the checklist")?;
            text.push('\n');
            text
        }
    };
    reporter.out(&text).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// A plain table with aligned columns: ID, severity, practice, title. No colour, so that it
/// reads the same in a terminal, a pipe or a file.
fn table(items: &[&Item]) -> String {
    let header = ["ID", "SEVERITY", "PRACTICE", "TITLE"];
    let rows: Vec<[&str; 4]> = items
        .iter()
        .map(|i| {
            [
                i.id.as_str(),
                checklist::severity_name(i.severity),
                i.practice.as_str(),
                i.title.as_str(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
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
        let text = table(&items);
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
}
