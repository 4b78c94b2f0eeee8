//! The `check` verb's command-line arguments.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::finding::Severity;

#[derive(Debug, Args)]
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

    /// Also scan config files that git ignores (.gitignore); `target/` is always skipped.
    #[arg(long)]
    pub include_ignored: bool,
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
