//! The one reporter: people text on stderr, machine output on stdout.
//!
//! A closed stdout pipe (`cargo mcp-secure list | head -1`) is not an error: writes
//! that fail with `BrokenPipe` are dropped silently.

use std::io::{self, Write};

use console::{Style, Term};

use crate::cli::ColorChoice;

/// Decides whether people-facing output is coloured.
/// Precedence: `--color`, then `CARGO_TERM_COLOR`, then `NO_COLOR`, then whether stderr is a terminal.
pub fn color_enabled(flag: Option<ColorChoice>, is_tty: bool) -> bool {
    let env_choice = std::env::var("CARGO_TERM_COLOR").ok().and_then(|v| {
        match v.to_ascii_lowercase().as_str() {
            "always" => Some(ColorChoice::Always),
            "never" => Some(ColorChoice::Never),
            "auto" => Some(ColorChoice::Auto),
            _ => None,
        }
    });
    match flag.or(env_choice).unwrap_or(ColorChoice::Auto) {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

#[derive(Debug, Clone)]
pub struct Reporter {
    color: bool,
    interactive: bool,
}

impl Reporter {
    pub fn new(flag: Option<ColorChoice>) -> Self {
        let stderr = Term::stderr();
        let color = color_enabled(flag, stderr.features().is_attended());
        console::set_colors_enabled(color);
        console::set_colors_enabled_stderr(color);
        let interactive =
            stderr.features().is_attended() && Term::stdout().features().is_attended();
        Self { color, interactive }
    }

    pub fn color(&self) -> bool {
        self.color
    }

    /// True when both stdin-facing terminals are attended: prompts are allowed.
    pub fn interactive(&self) -> bool {
        self.interactive && std::io::IsTerminal::is_terminal(&std::io::stdin())
    }

    /// A cargo-style status line: a right-aligned green verb and a message.
    pub fn status(&self, verb: &str, message: impl std::fmt::Display) {
        let style = Style::new().green().bold();
        self.err_line(&format!("{:>12} {message}", style.apply_to(verb)));
    }

    pub fn warn(&self, message: impl std::fmt::Display) {
        let style = Style::new().yellow().bold();
        self.err_line(&format!("{}: {message}", style.apply_to("warning")));
    }

    pub fn error(&self, message: impl std::fmt::Display) {
        let style = Style::new().red().bold();
        self.err_line(&format!("{}: {message}", style.apply_to("error")));
    }

    pub fn note(&self, message: impl std::fmt::Display) {
        let style = Style::new().cyan().bold();
        self.err_line(&format!("{}: {message}", style.apply_to("note")));
    }

    /// Writes one line of people text to stderr.
    pub fn err_line(&self, line: &str) {
        let _ = writeln!(io::stderr().lock(), "{line}");
    }

    /// Writes machine output to stdout. A closed pipe is ignored; other errors are returned.
    pub fn out(&self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}
