//! The `check` verb's command-line arguments.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::finding::Severity;

const AFTER_HELP: &str = "\
Suppressing a finding: a comment on the flagged line or on the line above it
    // mcp-secure: allow(<rule-or-item>) <reason>
(`#` instead of `//` in TOML, YAML and .env files). A rule name (`cargo mcp-secure list --rules`)
suppresses that rule's findings, an item id every finding under the item. The reason is required:
without one the finding stays and the comment is reported as a warning under the same item. For a
whole package (rule names work here too):
    [package.metadata.mcp-secure]
    allow = { \"missing-rate-limit\" = \"one trusted client behind a gateway\" }
    severity = { \"missing-lockfile\" = \"fail\" }

Questions for a person are asked on a terminal (never with --ci or without a terminal), showing
the tools' descriptions and hints as evidence. Answers are recorded in Cargo.toml under
[package.metadata.mcp-secure.attestations.<id>], bound to a hash of that evidence: when a tool
changes, the item becomes `stale` and is asked again. A \"no\" is a finding under the item.
Each answer is bound to the evidence of its own item (the descriptions for the description items,
the hints for confirmation, …): editing one tool makes only the items about what changed stale,
and the question says which tools changed. Esc (or an empty text) leaves a question unanswered.
A question of the form \"who … how …\" takes a text answer. To answer a recorded item again:
    cargo mcp-secure check --reanswer <ID>

Exit status: 0 nothing at or above --fail-on; 1 findings, or open items with
--require-attestations; 2 the check could not run.";

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct CheckArgs {
    /// Path to the Cargo.toml of the project to check (default: the one cargo finds from here).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// Check only this workspace package; repeatable (default: every workspace member).
    #[arg(long = "package", short = 'p', value_name = "NAME")]
    pub packages: Vec<String>,

    /// Output format: people text on stderr, or JSON or SARIF 2.1.0 on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,

    /// Lowest finding severity that makes the run fail (exit 1).
    #[arg(long, value_enum, default_value = "fail", value_name = "SEVERITY")]
    pub fail_on: FailOn,

    /// Never prompt for attestations, even on a terminal.
    #[arg(long)]
    pub ci: bool,

    /// Fail (exit 1) when an item needs a person's answer that is missing or stale.
    #[arg(long)]
    pub require_attestations: bool,

    /// Ask this item's question again although it is answered (repeatable; needs a terminal).
    #[arg(long, value_name = "ID")]
    pub reanswer: Vec<String>,

    /// Also scan config files that git ignores (.gitignore); `target/` is always skipped.
    #[arg(long)]
    pub include_ignored: bool,

    /// Also build the package and attack it with `probe` in a throw-away sandbox, filing what it
    /// observes under the matching items. This is the one mode that runs the project's code.
    #[arg(long)]
    pub probe: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Warn,
    Fail,
}

impl FailOn {
    pub fn threshold(self) -> Severity {
        match self {
            FailOn::Warn => Severity::Warn,
            FailOn::Fail => Severity::Fail,
        }
    }
}
