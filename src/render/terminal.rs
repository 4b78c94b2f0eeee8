//! Markdown for a terminal: headings and `**bold**` in bold, inline code in cyan, code blocks
//! indented, paragraphs and list items reflowed to the terminal's width. Only what the
//! checklist texts use; tables and anything else are printed as written.

use console::Style;

/// How the text is drawn: the width to wrap at, and whether styles are applied (without
/// them, inline markers stay so emphasis and code are still visible, and headings are
/// underlined).
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    pub width: usize,
    pub styled: bool,
}

impl Screen {
    /// Stdout's terminal, or `None` when stdout is not one (piped output stays Markdown).
    pub fn stdout(color: bool) -> Option<Screen> {
        let term = console::Term::stdout();
        if !term.features().is_attended() {
            return None;
        }
        let width = usize::from(term.size().1).clamp(40, 100);
        Some(Screen {
            width,
            styled: color,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Code,
    Bold,
}

/// One word as a run of styled pieces (`` `x`, `` is code then plain).
type Word = Vec<(String, Kind)>;

pub fn markdown(md: &str, screen: Screen) -> String {
    let mut out = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    // A list item: its marker and its text so far.
    let mut item: Option<(String, Vec<&str>)> = None;
    let mut in_fence = false;
    let flush =
        |out: &mut String, paragraph: &mut Vec<&str>, item: &mut Option<(String, Vec<&str>)>| {
            if !paragraph.is_empty() {
                out.push_str(&fill(&paragraph.join(" "), "", "", screen));
                paragraph.clear();
            }
            if let Some((marker, text)) = item.take() {
                let hang = " ".repeat(marker.chars().count());
                out.push_str(&fill(&text.join(" "), &marker, &hang, screen));
            }
        };
    for line in md.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            flush(&mut out, &mut paragraph, &mut item);
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if trimmed.is_empty() {
            flush(&mut out, &mut paragraph, &mut item);
            out.push('\n');
            continue;
        }
        if let Some(level) = heading_level(line) {
            flush(&mut out, &mut paragraph, &mut item);
            let text = line[level..].trim();
            if screen.styled {
                let style = Style::new().bold().force_styling(true);
                let style = if level == 1 {
                    style.underlined()
                } else {
                    style
                };
                out.push_str(&format!("{}\n", style.apply_to(text)));
            } else {
                // Without styles a heading is underlined with rules, setext-style.
                let rule = if level == 1 { "=" } else { "-" };
                out.push_str(&format!("{text}\n{}\n", rule.repeat(text.chars().count())));
            }
            continue;
        }
        if trimmed.starts_with('|') {
            flush(&mut out, &mut paragraph, &mut item);
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if let Some(marker) = list_marker(line) {
            flush(&mut out, &mut paragraph, &mut item);
            item = Some((marker.to_string(), vec![line[marker.len()..].trim()]));
            continue;
        }
        match item.as_mut() {
            // An indented line continues the list item above it.
            Some((_, text)) if line.starts_with(' ') => text.push(trimmed),
            _ => {
                if item.is_some() {
                    flush(&mut out, &mut paragraph, &mut item);
                }
                paragraph.push(trimmed);
            }
        }
    }
    flush(&mut out, &mut paragraph, &mut item);
    // Blank lines collapse to one, and the text ends with one newline.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    format!("{}\n", out.trim_end())
}

fn heading_level(line: &str) -> Option<usize> {
    let level = line.chars().take_while(|c| *c == '#').count();
    (level > 0 && level <= 6 && line[level..].starts_with(' ')).then_some(level)
}

/// `- `, `* ` or `12. ` at the start of a line, with its leading spaces.
fn list_marker(line: &str) -> Option<&str> {
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    if rest.starts_with("- ") || rest.starts_with("* ") {
        return Some(&line[..indent + 2]);
    }
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    (digits > 0 && rest[digits..].starts_with(". ")).then(|| &line[..indent + digits + 2])
}

/// Wraps one block of inline Markdown: the first line after `first`, the others after `rest`.
fn fill(text: &str, first: &str, rest: &str, screen: Screen) -> String {
    let words = if screen.styled {
        styled_words(text)
    } else {
        text.split_whitespace()
            .map(|w| vec![(w.to_string(), Kind::Plain)])
            .collect()
    };
    let mut out = String::new();
    let mut line = String::from(first);
    let mut used = first.chars().count();
    let mut empty = true;
    for word in &words {
        let len: usize = word.iter().map(|(t, _)| t.chars().count()).sum();
        if !empty && used + 1 + len > screen.width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = rest.to_string();
            used = rest.chars().count();
            empty = true;
        }
        if !empty {
            line.push(' ');
            used += 1;
        }
        for (piece, kind) in word {
            line.push_str(&paint(piece, *kind));
        }
        used += len;
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

fn paint(text: &str, kind: Kind) -> String {
    match kind {
        Kind::Plain => text.to_string(),
        Kind::Code => Style::new()
            .cyan()
            .force_styling(true)
            .apply_to(text)
            .to_string(),
        Kind::Bold => Style::new()
            .bold()
            .force_styling(true)
            .apply_to(text)
            .to_string(),
    }
}

/// Splits inline Markdown into words of styled pieces: `` `code` `` and `**bold**` lose their
/// markers, `[text](url)` becomes `text (url)`.
fn styled_words(text: &str) -> Vec<Word> {
    let mut words: Vec<Word> = Vec::new();
    let mut current: Word = Vec::new();
    let push = |current: &mut Word, c: char, kind: Kind| match current.last_mut() {
        Some((s, k)) if *k == kind => s.push(c),
        _ => current.push((c.to_string(), kind)),
    };
    let chars: Vec<char> = unlink(text).chars().collect();
    let mut kind = Kind::Plain;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            kind = if kind == Kind::Code {
                Kind::Plain
            } else {
                Kind::Code
            };
            i += 1;
            continue;
        }
        if kind != Kind::Code && c == '*' && chars.get(i + 1) == Some(&'*') {
            kind = if kind == Kind::Bold {
                Kind::Plain
            } else {
                Kind::Bold
            };
            i += 2;
            continue;
        }
        if c.is_whitespace() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        } else {
            push(&mut current, c, kind);
        }
        i += 1;
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `[text](url)` → `text (url)`, outside inline code.
fn unlink(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let before = &rest[..open];
        if before.matches('`').count() % 2 == 1 {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            continue;
        }
        let after = &rest[open + 1..];
        let link = after.find("](").and_then(|close| {
            let url_end = after[close + 2..].find(')')?;
            Some((close, close + 2 + url_end))
        });
        match link {
            Some((close, end)) => {
                out.push_str(before);
                out.push_str(&after[..close]);
                out.push_str(" (");
                out.push_str(&after[close + 2..end]);
                out.push(')');
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Splits text into lines of at most `width` characters at spaces.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const STYLED: Screen = Screen {
        width: 30,
        styled: true,
    };
    const PLAIN: Screen = Screen {
        width: 30,
        styled: false,
    };

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(
            wrap("unbreakable-long-word x", 5),
            ["unbreakable-long-word", "x"]
        );
    }

    #[test]
    fn paragraphs_reflow_to_the_width() {
        let md = "One two three four five six seven eight nine ten\neleven twelve.\n";
        let out = markdown(md, PLAIN);
        assert!(out.lines().all(|l| l.chars().count() <= 30), "{out}");
        assert_eq!(
            out.split_whitespace().collect::<Vec<_>>().join(" "),
            "One two three four five six seven eight nine ten eleven twelve."
        );
    }

    #[test]
    fn styles_replace_markers_and_count_visible_width() {
        let out = markdown(
            "# Title\n\nUse `cap_std::fs::Dir` and **never** `..` here.\n",
            STYLED,
        );
        let plain = console::strip_ansi_codes(&out);
        assert!(
            !plain.contains('`') && !plain.contains("**") && !plain.contains('#'),
            "{plain}"
        );
        assert!(plain.starts_with("Title\n"), "{plain}");
        assert!(plain.lines().all(|l| l.chars().count() <= 30), "{plain}");
        assert!(out.contains("\u{1b}[36mcap_std::fs::Dir"), "{out:?}");
        assert!(out.contains("\u{1b}[1mnever"), "{out:?}");
    }

    #[test]
    fn unstyled_keeps_inline_markers_and_underlines_headings() {
        let out = markdown("## What\n\nUse `x` now.\n", PLAIN);
        assert_eq!(out, "What\n----\n\nUse `x` now.\n");
    }

    #[test]
    fn code_blocks_are_indented_and_never_wrapped() {
        let long = "let a_very_long_identifier_that_does_not_fit = 1;";
        let out = markdown(&format!("Before.\n\n```rust\n{long}\n```\n"), STYLED);
        assert!(out.contains(&format!("    {long}\n")), "{out}");
        assert!(!out.contains("```"), "{out}");
    }

    #[test]
    fn list_items_hang_under_their_text() {
        let md =
            "- first item that is long enough to wrap around\n  with a continuation\n- second\n";
        let out = markdown(md, PLAIN);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("- first"), "{out}");
        assert!(
            lines[1].starts_with("  ") && !lines[1].starts_with("   "),
            "{out}"
        );
        assert!(out.contains("continuation"), "{out}");
        assert!(lines.last().unwrap().starts_with("- second"), "{out}");
    }

    #[test]
    fn links_show_their_address() {
        let wide = Screen {
            width: 80,
            styled: true,
        };
        let out = markdown("See [the spec](https://example.com/x).\n", wide);
        assert_eq!(
            console::strip_ansi_codes(&out),
            "See the spec (https://example.com/x).\n"
        );
    }
}
