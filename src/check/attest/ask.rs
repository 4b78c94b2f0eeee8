//! Asking the open questions on the terminal.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use console::{Style, Term};
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input};

use super::Answer;
use crate::check::analysis::tools::ToolInfo;
use crate::checklist::{AnswerKind, Item};
use crate::report::Reporter;

/// One question to ask, and why it is asked.
pub struct Open<'a> {
    pub item: &'a Item,
    /// Why it is asked: not answered yet, what changed, or asked again on request.
    pub why: String,
}

/// Shows the evidence once, then asks each question on stderr's terminal. Returns the answers
/// given; a question left with Esc (or an empty text) stays unanswered and is shown so.
pub fn ask(
    reporter: &Reporter,
    questions: &[Open<'_>],
    tools: &[ToolInfo],
) -> Result<BTreeMap<String, Answer>> {
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
    for line in super::evidence::lines(tools) {
        reporter.err_line(&line);
    }
    let term = Term::stderr();
    let width = usize::from(term.size().1).clamp(40, 100);
    let dim = Style::new().dim();
    for open in questions {
        let item = open.item;
        let how = match item.answer {
            AnswerKind::YesNo => "Esc leaves it unanswered",
            AnswerKind::Text => "an empty answer leaves it unanswered",
        };
        reporter.err_line(&format!(
            "\n{} {}",
            Style::new().bold().apply_to(&item.id),
            dim.apply_to(format!("({}; {how})", open.why))
        ));
        // The question is printed wrapped; the prompt itself stays one short line, because a
        // prompt that wraps is redrawn badly once answered.
        let question = item.question.as_deref().unwrap_or_default();
        for line in crate::render::terminal::wrap(question, width.saturating_sub(2)) {
            reporter.err_line(&format!("  {line}"));
        }
        let answer = prompt(&term, item).with_context(|| {
            format!(
                "cannot ask about `{}` on the terminal; run with --ci to skip questions",
                item.id
            )
        })?;
        match answer {
            Some(answer) => {
                answers.insert(item.id.clone(), answer);
            }
            None => reporter.err_line(&format!("  {}", dim.apply_to("not answered"))),
        }
    }
    Ok(answers)
}

fn prompt(term: &Term, item: &Item) -> std::io::Result<Option<Answer>> {
    let theme = ColorfulTheme::default();
    match item.answer {
        AnswerKind::YesNo => {
            let yes = Confirm::with_theme(&theme)
                .with_prompt("Answer")
                .interact_on_opt(term)
                .map_err(std::io::Error::other)?;
            Ok(yes.map(|y| if y { Answer::Yes } else { Answer::No }))
        }
        AnswerKind::Text => {
            let text: String = Input::with_theme(&theme)
                .with_prompt("Answer (text)")
                .allow_empty(true)
                .interact_text_on(term)
                .map_err(std::io::Error::other)?;
            let text = text.trim();
            Ok((!text.is_empty()).then(|| Answer::Text(text.to_string())))
        }
    }
}
