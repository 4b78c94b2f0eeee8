//! Command-line arguments of `cargo mcp-secure probe`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::finding::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

/// Attack a stdio MCP server in a throw-away sandbox and report every effect with the request that caused it.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Placeholders {allowed}, {workspace} and {outside} in ARGS and --env values are replaced \
    by sandbox paths before the server starts. The server runs in {allowed}: relative paths to files \
    that exist here are made absolute. Without `-- CMD`, the current cargo package is built and \
    probed with [package.metadata.mcp-secure.probe].\n\n\
    On Linux the server is confined: it can write only inside the sandbox folder and the \
    --allow-write folders (Landlock), has no network but loopback (a user and network namespace; \
    --allow-network keeps the host's), cannot signal processes outside the sandbox, and every \
    process it started, even one that left its group, is killed when it stops. It can still read \
    any file the user can. The report says which protections were in place and which were not; \
    a write or connection the sandbox refused is reported as a finding."
)]
pub struct ProbeArgs {
    /// Output format: people text on stderr, or JSON / SARIF on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,

    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value = "fail", value_name = "SEVERITY")]
    pub fail_on: Severity,

    /// Also attack tools that declare or look destructive.
    #[arg(long)]
    pub destructive: bool,

    /// Extra environment variable for the server (placeholders allowed in the value).
    #[arg(long = "env", value_name = "K=V", value_parser = parse_env)]
    pub env: Vec<(String, String)>,

    /// Pass this process's whole environment to the server (canaries still override).
    #[arg(long)]
    pub inherit_env: bool,

    /// Also let the server write in DIR, outside the sandbox (repeatable; said in the report).
    #[arg(long = "allow-write", value_name = "DIR")]
    pub allow_write: Vec<PathBuf>,

    /// Give the server the host's network instead of loopback only (said in the report).
    #[arg(long)]
    pub allow_network: bool,

    /// Copy DIR into {allowed} before the server starts.
    #[arg(long, value_name = "DIR")]
    pub seed: Option<PathBuf>,

    /// Put a canary value into this variable (where the server reads its secret from).
    #[arg(long = "secret-env", value_name = "NAME")]
    pub secret_env: Vec<String>,

    /// Seconds to wait for one response.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub timeout: f64,

    /// Most tool calls sent in the whole run [default: 600, or more for a server with many
    /// tools or parameters, so that every tool is fully attacked].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_calls: Option<u64>,

    /// Wall-time limit of the probing, in seconds (building a package with --manifest-path comes first).
    #[arg(long, default_value_t = 120.0, value_name = "SECS")]
    pub max_time: f64,

    /// Run only these checks (checklist ids, comma separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub only: Vec<String>,

    /// Leave these checks out (checklist ids, comma separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub skip: Vec<String>,

    /// Keep the sandbox folder afterwards and print its path.
    #[arg(long)]
    pub keep: bool,

    /// Cargo.toml of the package to build and probe when no command is given.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    /// The server command and its arguments.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not K=V: write --env NAME=value")),
    }
}
