use std::path::{Path, PathBuf};

use super::{Kind, StdioScope};
use crate::check::analysis::imports::ImportTable;
use crate::check::analysis::index::{Index, shipped};
use crate::check::model::Context;

fn context(files: &[(&str, &str)]) -> Context {
    Context::of_sources(
        files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect(),
    )
}

fn scope_of(ctx: &Context) -> StdioScope {
    let index = Index::new(ctx);
    let imports = ImportTable::new(shipped(ctx));
    let tools = crate::check::analysis::tools::tools(ctx);
    StdioScope::new(ctx, &index, &imports, &tools)
}

/// The 1-based line of the first line holding `needle`.
fn line(src: &str, needle: &str) -> usize {
    src.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}`"))
        + 1
}

const CLI_SERVER: &str = r#"
use rmcp::{ServiceExt, transport::stdio};
mod doctor;

async fn main() -> anyhow::Result<()> {
    init_logging();
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--version") {
        println!("version branch");
        return Ok(());
    }
    if args.len() > 3 {
        println!("banner that falls through");
    }
    match args.get(1).map(String::as_str) {
        Some("doctor") => doctor::run(),
        Some("bad") => {
            eprintln!("usage");
            std::process::exit(2);
        }
        _ => serve().await,
    }
}

fn init_logging() {
    println!("logging helper");
}

async fn serve() -> anyhow::Result<()> {
    let service = Server.serve(stdio()).await?;
    service.waiting().await?;
    println!("after serving");
    Ok(())
}
"#;

const DOCTOR: &str = r#"
pub fn run() -> anyhow::Result<()> {
    println!("doctor report");
    Ok(())
}
"#;

#[test]
fn main_to_serve_keeps_the_serving_path_and_drops_modes_that_leave_or_go_elsewhere() {
    let ctx = context(&[("src/main.rs", CLI_SERVER), ("src/doctor.rs", DOCTOR)]);
    let s = scope_of(&ctx);
    assert_eq!(s.kind, Kind::Served);
    let main = Path::new("src/main.rs");
    let at = |n| line(CLI_SERVER, n);
    assert!(
        s.covers(main, at("logging helper")),
        "a helper called before serving runs"
    );
    assert!(s.covers(main, at("banner that falls through")));
    assert!(s.covers(main, at("after serving")));
    assert!(
        !s.covers(main, at("version branch")),
        "the --version branch returns"
    );
    assert!(
        !s.covers(main, at("eprintln!(\"usage\")")),
        "the usage arm exits"
    );
    assert!(
        !s.covers(Path::new("src/doctor.rs"), line(DOCTOR, "doctor report")),
        "a subcommand arm beside the serving arm never serves"
    );
}

#[test]
fn a_binary_that_never_reaches_a_stdio_transport_is_not_a_stdio_server() {
    let src = r#"
fn main() {
    println!("a CLI");
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_serves_stdio() {
        let _ = rmcp::transport::stdio();
    }
}
"#;
    let s = scope_of(&context(&[("src/main.rs", src)]));
    assert_eq!(s.kind, Kind::NotStdio);
    assert!(!s.covers(Path::new("src/main.rs"), line(src, "a CLI")));
}

#[test]
fn a_local_function_named_stdio_is_no_transport() {
    let src = r#"
fn stdio() -> u8 { 0 }
fn main() {
    let _ = stdio();
    println!("fine");
}
"#;
    let s = scope_of(&context(&[("src/main.rs", src)]));
    assert_eq!(s.kind, Kind::NotStdio);
}

#[test]
fn declared_stdio_without_a_recognised_transport_judges_everything_and_says_so() {
    let mut ctx = context(&[("src/main.rs", "fn main() { println!(\"x\"); }")]);
    ctx.packages[0].manifest_text =
        "[package]\nname = \"p\"\n[dependencies]\nrmcp = { version = \"1\", features = [\"server\", \"transport-io\"] }\n".into();
    let s = scope_of(&ctx);
    assert_eq!(s.kind, Kind::Whole);
    assert!(s.covers(Path::new("src/main.rs"), 1));
    assert!(
        s.qualifier()
            .contains("no stdio transport call was recognised")
    );
}

#[test]
fn aliases_tuples_and_rust_mcp_sdk_transports_are_recognised() {
    let alias = r#"
use rmcp::transport::stdio as io_pair;
fn main() {
    println!("alias");
    let _ = Server.serve(io_pair());
}
"#;
    let tuple = r#"
use tokio::io::{stdin, stdout};
fn main() {
    println!("tuple");
    let transport = (stdin(), stdout());
    let _ = Server.serve(transport);
}
"#;
    let sdk = r#"
use rust_mcp_sdk::{StdioTransport, TransportOptions};
fn main() {
    println!("sdk");
    let transport = StdioTransport::new(TransportOptions::default());
}
"#;
    for (src, needle) in [(alias, "alias"), (tuple, "tuple"), (sdk, "sdk")] {
        let s = scope_of(&context(&[("src/main.rs", src)]));
        assert_eq!(s.kind, Kind::Served, "{needle}");
        assert!(
            s.covers(
                Path::new("src/main.rs"),
                line(src, &format!("println!(\"{needle}\")"))
            ),
            "{needle}"
        );
    }
}

#[test]
fn tool_handlers_and_ctor_functions_of_a_serving_binary_are_in_scope() {
    let src = r#"
use rmcp::transport::stdio;
mod logging;

#[tool_router]
impl Server {
    #[tool(description = "Echo a value back")]
    async fn echo(&self, value: String) -> String {
        helper();
        value
    }
}

fn helper() {
    println!("helper of a tool");
}

fn unrelated() {
    println!("never called");
}

fn main() {
    let _ = Server.serve(stdio());
}
"#;
    let logging = r#"
#[ctor::ctor]
fn install() {
    println!("before main");
}
"#;
    let ctx = context(&[("src/main.rs", src), ("src/logging.rs", logging)]);
    let s = scope_of(&ctx);
    let main = Path::new("src/main.rs");
    assert!(s.covers(main, line(src, "helper of a tool")));
    assert!(!s.covers(main, line(src, "never called")));
    assert!(s.covers(Path::new("src/logging.rs"), line(logging, "before main")));
}

#[test]
fn a_hand_written_loop_over_stdin_and_stdout_is_a_stdio_server() {
    let src = r#"
async fn main() {
    println!("ready");
    let stdin = tokio::io::stdin();
    let mut stdout = tokio::io::stdout();
    loop {}
}
"#;
    let s = scope_of(&context(&[("src/main.rs", src)]));
    assert_eq!(s.kind, Kind::Served);
    assert!(s.covers(Path::new("src/main.rs"), line(src, "ready")));
}

#[test]
fn a_help_printer_that_decides_to_leave_is_out_of_scope_but_its_other_paths_are_not() {
    let src = r#"
use rmcp::transport::stdio;

fn maybe_help(args: &[String]) -> bool {
    match args.first().map(String::as_str) {
        Some("--help") => {
            print!("usage text");
            true
        }
        _ => {
            println!("not help, falls through to serving");
            false
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if maybe_help(&args) {
        return;
    }
    let _ = Server.serve(stdio());
}
"#;
    let s = scope_of(&context(&[("src/main.rs", src)]));
    let main = Path::new("src/main.rs");
    assert!(!s.covers(main, line(src, "usage text")));
    assert!(s.covers(main, line(src, "falls through to serving")));
}

#[test]
fn a_client_that_launches_servers_over_stdio_declares_no_stdio_server() {
    let mut ctx = context(&[("src/main.rs", "fn main() { println!(\"report\"); }")]);
    ctx.packages[0].manifest_text = "[package]\nname = \"p\"\n[dependencies]\nrust-mcp-sdk = { version = \"0.8\", default-features = false, features = [\"client\", \"stdio\"] }\n".into();
    assert_eq!(scope_of(&ctx).kind, Kind::NotStdio);
}
