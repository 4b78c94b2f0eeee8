//! People output on stderr: findings grouped by checklist item as rustc-style snippets,
//! then the open questions, a summary line and the notes.

use std::collections::BTreeMap;
use std::path::Path;

use annotate_snippets::{AnnotationKind, Element, Group, Level, Renderer, Snippet};
use console::Style;

use crate::check::model::Context;
use crate::check::{Outcome, Status};
use crate::checklist;
use crate::finding::{Finding, Location, Severity};
use crate::report::Reporter;

/// Findings grouped by item, in checklist order (IDs not in the checklist last).
/// `newer` holds file texts that changed during the run (the manifest after answers were
/// recorded); they win over the texts loaded at the start.
pub fn findings(reporter: &Reporter, ctx: &Context, findings: &[Finding], newer: &[(&Path, &str)]) {
    let mut groups: BTreeMap<(usize, &str), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        let rank = checklist::all()
            .iter()
            .position(|i| i.id == f.id)
            .unwrap_or(usize::MAX);
        groups.entry((rank, f.id.as_str())).or_default().push(f);
    }
    let renderer = if reporter.color() {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut texts = texts(ctx);
    texts.extend(newer.iter().copied());
    for ((_, id), group) in groups {
        let title = checklist::get(id)
            .map(|i| i.title.as_str())
            .unwrap_or("not in this version's checklist");
        reporter.err_line("");
        reporter.err_line(&format!(
            "{}",
            Style::new().bold().apply_to(format!("── {id}: {title}"))
        ));
        for f in group {
            reporter.err_line(&render(&renderer, &texts, f));
        }
    }
}

/// Every file text the findings can point into, by relative path.
fn texts(ctx: &Context) -> BTreeMap<&Path, &str> {
    let mut out: BTreeMap<&Path, &str> = BTreeMap::new();
    for s in &ctx.sources {
        out.insert(&s.path, &s.text);
    }
    for d in &ctx.data_files {
        out.insert(&d.path, &d.text);
    }
    for p in &ctx.packages {
        out.entry(&p.manifest_path).or_insert(&p.manifest_text);
    }
    out
}

/// One finding as a rustc-style diagnostic.
pub fn render(renderer: &Renderer, texts: &BTreeMap<&Path, &str>, f: &Finding) -> String {
    let level = match f.severity {
        Severity::Fail => Level::ERROR,
        Severity::Warn => Level::WARNING,
        Severity::Info => Level::NOTE,
    };
    let file_of = |loc: &Location| loc.file.to_string_lossy().replace('\\', "/");
    let mut elements: Vec<Element<'_>> = Vec::new();
    if let Some(loc) = &f.location {
        match texts.get(loc.file.as_path()) {
            Some(text) if !text.is_empty() => {
                let mut snippet = Snippet::source(*text)
                    .path(file_of(loc))
                    .fold(true)
                    .annotation(AnnotationKind::Primary.span(range(text, loc)));
                let mut others = Vec::new();
                for label in &f.labels {
                    if label.location.file == loc.file {
                        snippet = snippet.annotation(
                            AnnotationKind::Context
                                .span(range(text, &label.location))
                                .label(label.message.as_str()),
                        );
                    } else if let Some(other) = texts.get(label.location.file.as_path()) {
                        others.push(
                            Snippet::source(*other)
                                .path(file_of(&label.location))
                                .fold(true)
                                .annotation(
                                    AnnotationKind::Context
                                        .span(range(other, &label.location))
                                        .label(label.message.as_str()),
                                ),
                        );
                    }
                }
                elements.push(snippet.into());
                elements.extend(others.into_iter().map(Element::from));
            }
            _ => elements.push(
                Level::NOTE
                    .message(format!("at {}:{}:{}", file_of(loc), loc.line, loc.column))
                    .into(),
            ),
        }
    }
    if let Some(tool) = f.tool.as_deref().filter(|t| !f.message.contains(t)) {
        elements.push(Level::NOTE.message(format!("in tool `{tool}`")).into());
    }
    if let Some(ev) = &f.evidence {
        let argument = ev
            .argument
            .as_deref()
            .map(|a| format!(" (argument `{a}`)"))
            .unwrap_or_default();
        // An oversized-input request carries a megabyte: show its start only.
        let request = ev.request.to_string();
        let shown: String = request.chars().take(300).collect();
        let more = if shown.len() < request.len() {
            "…"
        } else {
            ""
        };
        elements.push(
            Level::NOTE
                .message(format!("probe request{argument}: {shown}{more}"))
                .into(),
        );
        elements.push(
            Level::NOTE
                .message(format!("observed: {}", ev.observed))
                .into(),
        );
    }
    if let Some(help) = &f.help {
        elements.push(Level::HELP.message(help.as_str()).into());
    }
    // `error[path-traversal/path-prefix-compare]`: the item, then the rule that found it.
    let id = if f.rule.is_empty() {
        f.id.clone()
    } else {
        format!("{}/{}", f.id, f.rule)
    };
    let group: Group<'_> = level
        .primary_title(f.message.as_str())
        .id(id.as_str())
        .elements(elements);
    renderer.render(&[group])
}

/// The byte range of a location (1-based line, 1-based character column) in a text,
/// clamped to the text so a stale location never panics.
fn range(text: &str, loc: &Location) -> std::ops::Range<usize> {
    let start = offset(text, loc.line, loc.column);
    let end = offset(text, loc.end_line, loc.end_column).max(start);
    start..end
}

fn offset(text: &str, line: usize, column: usize) -> usize {
    let mut pos = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let within = l.trim_end_matches(['\n', '\r']);
            let byte = within
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(within.len(), |(b, _)| b);
            return pos + byte;
        }
        pos += l.len();
    }
    text.len()
}

/// The open questions, the summary line and the notes.
pub fn summary(reporter: &Reporter, o: &Outcome<'_>, asked: bool, required: bool) {
    let open: Vec<_> = o
        .items
        .iter()
        .filter(|i| matches!(i.status, Status::Manual | Status::Stale))
        .collect();
    if !open.is_empty() {
        reporter.err_line("");
        reporter.err_line(&format!(
            "{}",
            Style::new().bold().apply_to("── needs a person's answer")
        ));
        for i in &open {
            let status = if i.status == Status::Stale {
                "stale "
            } else {
                "manual"
            };
            reporter.err_line(&format!(
                "  {status}  {}: {}",
                i.item.id,
                i.item.question.as_deref().unwrap_or_default()
            ));
        }
    }
    let count = |s: Status| o.items.iter().filter(|i| i.status == s).count();
    let by_sev = |s: Severity| o.findings.iter().filter(|f| f.severity == s).count();
    // With --require-attestations an open item fails the gate, so it is counted as a failure.
    let items = if required && !open.is_empty() {
        format!(
            "{} fail ({} of them unanswered: {} manual, {} stale), {} warn, {} pass",
            count(Status::Fail) + open.len(),
            open.len(),
            count(Status::Manual),
            count(Status::Stale),
            count(Status::Warn),
            count(Status::Pass),
        )
    } else {
        format!(
            "{} fail, {} warn, {} pass, {} manual, {} stale",
            count(Status::Fail),
            count(Status::Warn),
            count(Status::Pass),
            count(Status::Manual),
            count(Status::Stale),
        )
    };
    let line = format!(
        "{}: {items}; {} ({} fail, {} warn, {} info), {} suppressed",
        plural(o.items.len(), "item"),
        plural(o.findings.len(), "finding"),
        by_sev(Severity::Fail),
        by_sev(Severity::Warn),
        by_sev(Severity::Info),
        o.suppressed
    );
    reporter.err_line("");
    reporter.status("Summary", line);
    if !open.is_empty() && !asked {
        if required {
            reporter.note("the open items fail this run: answer them by running `cargo mcp-secure check` in a terminal without --ci");
        } else {
            reporter.note("answer the open items by running `cargo mcp-secure check` in a terminal without --ci; --require-attestations makes them fail the run");
        }
    }
    for n in &o.notes {
        let path = n.path.to_string_lossy().replace('\\', "/");
        if path.is_empty() {
            reporter.note(&n.message);
        } else {
            reporter.note(format!("{path}: {}", n.message));
        }
    }
}

/// `1 item`, `2 items`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(line: usize, column: usize, end_line: usize, end_column: usize) -> Location {
        Location {
            file: "src/main.rs".into(),
            line,
            column,
            end_line,
            end_column,
        }
    }

    #[test]
    fn ranges_count_characters_and_clamp() {
        let text = "fn main() {\n    let é = \"x\";\n}\n";
        assert_eq!(&text[range(text, &loc(2, 9, 2, 10))], "é");
        assert_eq!(&text[range(text, &loc(2, 11, 2, 12))], "=");
        assert_eq!(range(text, &loc(9, 1, 9, 4)), text.len()..text.len());
        assert_eq!(range(text, &loc(2, 5, 1, 1)).len(), 0);
    }

    #[test]
    fn renders_rustc_style_with_help() {
        let text = "fn main() {\n    println!(\"hi\");\n}\n";
        let texts = BTreeMap::from([(Path::new("src/main.rs"), text)]);
        let f = Finding {
            id: "stdout-pollution".into(),
            rule: "print-to-stdout".into(),
            severity: Severity::Fail,
            message: "`println!` writes to stdout".into(),
            location: Some(loc(2, 5, 2, 13)),
            labels: vec![],
            help: Some("log with `tracing` to stderr".into()),
            tool: Some("greet".into()),
            evidence: None,
        };
        let out = render(&Renderer::plain(), &texts, &f);
        assert!(
            out.starts_with("error[stdout-pollution/print-to-stdout]: `println!` writes to stdout"),
            "{out}"
        );
        assert!(out.contains("--> src/main.rs:2:5"), "{out}");
        assert!(out.contains("^^^^^^^^"), "{out}");
        assert!(out.contains("in tool `greet`"), "{out}");
        assert!(out.contains("help: log with `tracing` to stderr"), "{out}");
    }
}
