//! The next steps printed after `new`: how to build, test and run the crate, and the snippets
//! that register it with MCP clients, pointing at the release binary the steps build.

use std::collections::BTreeMap;
use std::path::Path;

use console::Style;
use serde_json::{Value, json};

use super::template::Template;
use crate::report::Reporter;

/// Where the crate is, for the steps and the snippets.
pub struct Place<'a> {
    /// The path as the user gave it, for `cd`.
    pub path: &'a Path,
    /// The absolute crate folder.
    pub dest: &'a Path,
    /// The folder whose `target/` cargo builds into: the workspace root, or the crate.
    pub target_root: &'a Path,
    /// Served over Streamable HTTP: clients connect to a URL instead of starting the binary.
    pub http: bool,
}

/// Where the generated HTTP server listens by default (`[http] bind` in its config).
const HTTP_URL: &str = "http://127.0.0.1:8080/mcp";

pub fn print(reporter: &Reporter, place: &Place<'_>, crate_name: &str, template: &Template) {
    let heading = Style::new().bold();
    let cmd = Style::new().cyan();
    let dim = Style::new().dim();
    let run = template.manifest.run.as_ref();
    let args: Vec<String> = run.map(|r| r.args.clone()).unwrap_or_default();
    let mut env: BTreeMap<String, String> = run.map(|r| r.env.clone()).unwrap_or_default();
    if place.http {
        env.insert("MCP_HTTP_TOKEN".into(), "$(openssl rand -hex 32)".into());
    }
    let env_prefix: String = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    let steps = [
        (format!("cd {}", place.path.display()), ""),
        (
            "cargo build --release".to_string(),
            "build the binary an MCP client starts",
        ),
        (
            "cargo test".to_string(),
            "run its tests, security controls included",
        ),
        (
            format!("{env_prefix}cargo run -- {}", args.join(" "))
                .trim_end()
                .to_string(),
            if place.http {
                "serve MCP over HTTP at http://127.0.0.1:8080/mcp"
            } else {
                "serve MCP over stdio, to try it"
            },
        ),
    ];
    let width = steps.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    reporter.err_line("");
    reporter.err_line(&heading.apply_to("Next steps").to_string());
    for (c, why) in steps {
        if why.is_empty() {
            reporter.err_line(&format!("  {}", cmd.apply_to(&c)));
            continue;
        }
        let pad = " ".repeat(width - c.len());
        reporter.err_line(&format!(
            "  {}{pad}  {}",
            cmd.apply_to(&c),
            dim.apply_to(format!("# {why}"))
        ));
    }
    if let Some(warning) = run.and_then(|r| r.warning.as_deref()) {
        reporter.err_line("");
        reporter.err_line(&heading.apply_to(warning).to_string());
    }
    if !run.is_none_or(|r| r.register) {
        return;
    }
    let snippets = if place.http {
        http_snippets(crate_name).to_vec()
    } else {
        client_snippets(place, crate_name, &args, &env).to_vec()
    };
    for (title, snippet) in snippets {
        reporter.err_line("");
        reporter.err_line(&dim.apply_to(title).to_string());
        let pretty = serde_json::to_string_pretty(&snippet).unwrap_or_default();
        for line in pretty.lines() {
            reporter.err_line(&format!("  {}", cmd.apply_to(line)));
        }
    }
}

/// The registration of the release binary for Claude Desktop and Cursor (`mcpServers`) and
/// for VS Code (`servers`, with `"type": "stdio"`). A client starts the server from a folder of
/// its own, so every path is absolute.
pub fn client_snippets(
    place: &Place<'_>,
    crate_name: &str,
    args: &[String],
    env: &BTreeMap<String, String>,
) -> [(&'static str, Value); 2] {
    let absolute_args: Vec<String> = args
        .iter()
        .map(|a| {
            let local = place.dest.join(a);
            if local.exists() {
                local.display().to_string()
            } else {
                a.clone()
            }
        })
        .collect();
    let binary = place
        .target_root
        .join("target/release")
        .join(crate_name)
        .display()
        .to_string();
    let mut server = serde_json::Map::new();
    server.insert("command".into(), json!(binary));
    server.insert("args".into(), json!(absolute_args));
    if !env.is_empty() {
        server.insert("env".into(), json!(env));
    }
    let mut vscode = serde_json::Map::new();
    vscode.insert("type".into(), json!("stdio"));
    vscode.extend(server.clone());
    [
        (
            "Register it with Claude Desktop (claude_desktop_config.json) or Cursor (.cursor/mcp.json):",
            json!({ "mcpServers": { crate_name: server } }),
        ),
        (
            "Register it with VS Code (.vscode/mcp.json):",
            json!({ "servers": { crate_name: vscode } }),
        ),
    ]
}

/// For an HTTP server the client connects to the running server with its bearer token.
pub fn http_snippets(crate_name: &str) -> [(&'static str, Value); 2] {
    let auth = json!({ "Authorization": "Bearer ${MCP_HTTP_TOKEN}" });
    [
        (
            "Point Claude Desktop or Cursor at the running server (mcpServers):",
            json!({ "mcpServers": { crate_name: { "type": "http", "url": HTTP_URL, "headers": auth } } }),
        ),
        (
            "Point VS Code at it (.vscode/mcp.json):",
            json!({ "servers": { crate_name: { "type": "http", "url": HTTP_URL, "headers": auth } } }),
        ),
    ]
}
