//! Command-line definitions. Each verb's arguments live beside the verb.

use clap::{Parser, Subcommand, ValueEnum};

use crate::check::CheckArgs;
use crate::explain::ExplainArgs;
use crate::list::ListArgs;
use crate::scaffold::NewArgs;

/// Scaffold, check and probe MCP servers so they stay safe when a tricked model misuses them.
#[derive(Debug, Parser)]
#[command(name = "cargo-mcp-secure", bin_name = "cargo mcp-secure", version, about, long_about = None)]
pub struct Cli {
    /// When to colour people-facing output (also CARGO_TERM_COLOR and NO_COLOR).
    #[arg(long, value_enum, global = true, value_name = "WHEN")]
    pub color: Option<ColorChoice>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new MCP server crate that is secure by construction.
    New(NewArgs),
    /// Print a checklist item's documentation (Markdown or JSON) on stdout.
    Explain(ExplainArgs),
    /// List the checklist items, grouped by practice.
    List(ListArgs),
    /// Check a Rust MCP server project against the security checklist, without running its code.
    Check(CheckArgs),
    /// Attack a stdio MCP server in a throw-away sandbox and report every effect.
    Probe(crate::probe::ProbeArgs),
    /// Internal: the launcher `probe` starts each server through.
    #[cfg(target_os = "linux")]
    #[command(name = "__confine", hide = true)]
    Confine(crate::probe::ConfineArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Parses the process arguments, accepting both `cargo mcp-secure <verb>`
/// (cargo passes the subcommand name as the first argument) and `cargo-mcp-secure <verb>`.
pub fn parse() -> Cli {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "mcp-secure") {
        args.remove(1);
    }
    Cli::parse_from(args)
}
