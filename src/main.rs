//! `cargo mcp-secure`: scaffold, check and probe MCP servers.

#![forbid(unsafe_code)]
#![deny(clippy::print_stdout)]

mod check;
mod checklist;
mod cli;
mod entropy;
mod explain;
mod finding;
mod list;
mod poisoning;
mod probe;
mod render;
mod report;
mod scaffold;
mod vague;

// syn allocates a node per token: mimalloc makes parsing and rule walks markedly faster than
// the system allocator (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use cli::Command;
use report::Reporter;

/// Exit code for a usage or tool error.
pub const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = cli::parse();
    let reporter = Reporter::new(cli.color);
    let result = match cli.command {
        Command::New(args) => scaffold::run(&reporter, args),
        Command::Explain(args) => explain::run(&reporter, args),
        Command::List(args) => list::run(&reporter, args),
        Command::Check(args) => check::run(&reporter, args),
        Command::Probe(args) => probe::run(&reporter, args),
        #[cfg(target_os = "linux")]
        Command::Confine(args) => return probe::confine(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            reporter.error(format!("{err:#}"));
            ExitCode::from(EXIT_ERROR)
        }
    }
}
