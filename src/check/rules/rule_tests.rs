//! Focused cases for the rules: secure patterns that must stay quiet, and flaws the fixtures
//! do not spell out.

use std::path::Path;

use super::run_all;
use crate::check::model::{Context, Package};

const STDIO: &str = "[package]\nname = \"t\"\nversion = \"0.1.0\"\n\n[dependencies]\nrmcp = { version = \"3.11\", features = [\"server\", \"transport-io\", \"macros\"] }\nrusqlite = \"0.37\"\n";

fn ctx(files: &[(&str, &str)]) -> Context {
    let package = Package {
        name: "t".into(),
        manifest_path: "Cargo.toml".into(),
        manifest_text: STDIO.into(),
        is_binary: true,
        has_lockfile: true,
        metadata: serde_json::Value::Null,
    };
    let mut all: Vec<(std::path::PathBuf, String)> = files
        .iter()
        .map(|(p, t)| ((*p).into(), (*t).to_string()))
        .collect();
    all.push(("Cargo.toml".into(), STDIO.into()));
    Context::from_files(Path::new("/t"), package, all)
}

/// Findings of `id` as `line: message`.
fn ids(files: &[(&str, &str)], id: &str) -> Vec<String> {
    run_all(&ctx(files))
        .into_iter()
        .filter(|f| f.id == id)
        .map(|f| format!("{}: {}", f.location.map(|l| l.line).unwrap_or(0), f.message))
        .collect()
}

fn tool(body: &str) -> String {
    format!(
        r#"#![forbid(unsafe_code)]
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Args {{
    #[garde(length(max = 100))]
    pub path: String,
    #[garde(length(max = 100))]
    pub program: String,
}}
#[tool_router]
impl S {{
    #[tool(description = "A tool used by the rule tests, with a long enough description.", annotations(read_only_hint = true, destructive_hint = false))]
    async fn t(&self, Parameters(args): Parameters<Args>) -> Result<String, String> {{
{body}
    }}
}}
"#
    )
}

#[test]
fn debug_dump_of_a_struct_with_plain_secrets_is_unsanitised_output() {
    let src = r#"
#[derive(Debug)]
pub struct Config { pub region: String, pub api_token: String }
pub struct S { config: std::sync::Arc<Config> }
#[tool_router]
impl S {
    #[tool(description = "Shows the settings the server runs with, for debugging.")]
    async fn settings(&self) -> String {
        format!("{:#?}", self.config)
    }
}
"#;
    assert_eq!(
        ids(&[("src/main.rs", src)], "unsanitised-output")
            .iter()
            .filter(|m| m.contains("debug form"))
            .count(),
        1
    );
    let safe = src.replace(
        "pub api_token: String",
        "pub api_token: secrecy::SecretString",
    );
    assert_eq!(
        ids(&[("src/main.rs", &safe)], "unsanitised-output")
            .iter()
            .filter(|m| m.contains("debug form"))
            .count(),
        0
    );
}

#[test]
fn allow_listed_program_and_separator_are_not_command_injection() {
    let safe = tool(
        r#"        let program = match args.program.as_str() { "date" => "date", _ => return Err("no".into()) };
        let out = std::process::Command::new(program).arg("--").arg(&args.path).output().map_err(|_| "x".to_string())?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())"#,
    );
    assert!(ids(&[("src/main.rs", &safe)], "command-injection").is_empty());
    let bad = tool(
        r#"        let out = std::process::Command::new(&args.program).arg(&args.path).output().map_err(|_| "x".to_string())?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())"#,
    );
    let found = ids(&[("src/main.rs", &bad)], "command-injection");
    assert!(
        found.iter().any(|m| m.contains("chooses the program")),
        "{found:?}"
    );
    assert!(found.iter().any(|m| m.contains("no `--`")), "{found:?}");
}

#[test]
fn taint_follows_two_helper_calls_into_the_file_system() {
    let src = tool(
        r#"        let p = outer(&args.path);
        Ok(p)"#,
    ) + r#"
fn outer(user: &str) -> String { inner(user.to_string()) }
fn inner(path: String) -> String { std::fs::read_to_string(path).unwrap_or_default() }
"#;
    let found = ids(&[("src/main.rs", &src)], "path-traversal");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("parameter `path` of tool `t` reaches `std::fs::read_to_string`"),
        "{found:?}"
    );
}

#[test]
fn canonical_component_comparison_is_confinement() {
    let src = tool(
        r#"        let root = std::path::Path::new("/srv").canonicalize().map_err(|_| "x".to_string())?;
        let real = root.join(&args.path).canonicalize().map_err(|_| "x".to_string())?;
        if !real.starts_with(&root) { return Err("outside".into()); }
        std::fs::read_to_string(real).map_err(|_| "x".to_string())"#,
    );
    assert!(ids(&[("src/main.rs", &src)], "path-traversal").is_empty());
}

#[test]
fn read_only_connection_running_the_callers_query_is_not_misleading() {
    let src = tool(
        r#"        let conn = rusqlite::Connection::open_with_flags("a.db", rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|_| "x".to_string())?;
        let mut stmt = conn.prepare(&args.path).map_err(|_| "x".to_string())?;
        Ok(stmt.column_count().to_string())"#,
    );
    assert!(ids(&[("src/main.rs", &src)], "misleading-annotation").is_empty());
    assert!(ids(&[("src/main.rs", &src)], "sql-injection").is_empty());
    // The caller's whole statement, without an authorizer: `VACUUM INTO` writes even read-only.
    let raw = src
        .replace(
            "pub path: String,",
            "pub path: String,\n    #[garde(length(max = 100))]\n    pub sql: String,",
        )
        .replace("conn.prepare(&args.path)", "conn.prepare(&args.sql)");
    assert_eq!(ids(&[("src/main.rs", &raw)], "sql-injection").len(), 1);
    let guarded = raw.replace(
        "let mut stmt",
        "conn.authorizer(Some(allow_reads)).map_err(|_| \"x\".to_string())?;\n        let mut stmt",
    );
    assert!(ids(&[("src/main.rs", &guarded)], "sql-injection").is_empty());
    let writable = src.replace(
        "open_with_flags(\"a.db\", rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)",
        "open(\"a.db\")",
    );
    assert_eq!(
        ids(&[("src/main.rs", &writable)], "misleading-annotation").len(),
        1
    );
}

#[test]
fn stdout_handed_to_the_transport_is_not_pollution() {
    let src = "#![forbid(unsafe_code)]\nasync fn serve() { let io = (tokio::io::stdin(), tokio::io::stdout()); run(io).await; }\n";
    assert!(ids(&[("src/main.rs", src)], "stdout-pollution").is_empty());
    let bad = "#![forbid(unsafe_code)]\nuse std::io::Write;\nfn note() { writeln!(std::io::stdout(), \"ready\").ok(); }\n";
    assert_eq!(ids(&[("src/main.rs", bad)], "stdout-pollution").len(), 1);
}

#[test]
fn token_formats_in_source_and_names_that_are_not_secrets() {
    let src = r#"#![forbid(unsafe_code)]
pub const API_TOKEN: &str = "API_TOKEN";
pub const AWS: &str = "AKIAIOSFODNN7EXAMPLE";
pub const KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
pub const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
"#;
    let found = ids(&[("src/main.rs", src)], "hardcoded-secret");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found.iter().all(|m| !m.starts_with("2:")), "{found:?}");
}

#[test]
fn token_formats_in_escaped_raw_doc_and_macro_literals() {
    let src = r##"#![forbid(unsafe_code)]
/// Deploy with AKIAIOSFODNN7EXAMPLE set.
pub fn f() -> String {
    let a = "\x41KIAIOSFODNN7EXAMPLE";
    let b = r#"ghp_abcdefghijklmnopqrstuvwxyz0123456789"#;
    format!("{a}{b}{}", "xoxb-1234567890-abcdefghij")
}
"##;
    let lines: Vec<String> = ids(&[("src/main.rs", src)], "hardcoded-secret")
        .into_iter()
        .map(|m| m.split(':').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(lines, ["2", "4", "5", "6"], "{lines:?}");
}

#[test]
fn invisible_bidi_control_in_a_description_is_poisoning() {
    let src = tool("        Ok(args.path)").replace("A tool used", "A tool\u{202E} used");
    assert_eq!(ids(&[("src/main.rs", &src)], "tool-poisoning").len(), 1);
}

#[test]
fn errors_sent_to_the_log_are_not_disclosure() {
    let src = tool(
        r#"        let text = std::fs::read_to_string("/etc/app.conf").map_err(|err| {
            tracing::warn!(error = ?err, "cannot read");
            "the settings are unavailable".to_string()
        })?;
        Ok(text)"#,
    );
    assert!(ids(&[("src/main.rs", &src)], "information-disclosure").is_empty());
}

#[test]
fn test_only_modules_are_not_scanned() {
    let main = "#![forbid(unsafe_code)]\n#[cfg(test)]\n#[path = \"checks.rs\"]\nmod tests;\n";
    let checks = "const AWS_ACCESS_KEY_ID: &str = \"AKIAIOSFODNN7EXAMPLE\";\n";
    assert!(
        ids(
            &[("src/main.rs", main), ("src/checks.rs", checks)],
            "hardcoded-secret"
        )
        .is_empty()
    );
}

#[test]
fn odd_inputs_never_panic() {
    assert!(run_all(&Context::default()).is_empty());
    let odd = [
        (
            "src/main.rs",
            "macro_rules! m { () => {} }\nm!();\nfn f() { format!(\"{\"); let _ = \"ü{}sk-\"; }\n",
        ),
        (
            "src/lib.rs",
            "#[tool(description = concat!(\"a\", 1))]\nfn t(Parameters(p): Parameters<Missing>) { std::fs::read(p.x); }\n",
        ),
        (".env", "=\nKEY\n\u{1F600}=\u{1F600}\n"),
        ("config.toml", "[a\nb = = c\n\"\" = 1\n"),
    ];
    let _ = run_all(&ctx(&odd));
}

#[test]
fn engine_and_parser_errors_shown_to_the_client_are_disclosure() {
    let src = tool(
        r#"        let conn = rusqlite::Connection::open("a.db").map_err(|_| "x".to_string())?;
        let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).map_err(|e| e.to_string())?;
        let v: serde_json::Value = serde_json::from_str(&args.path).map_err(|e| format!("bad json: {e}"))?;
        let _ = conn.lock().map_err(|e| e.to_string());
        Ok(format!("{n} {v}"))"#,
    );
    let found = ids(&[("src/main.rs", &src)], "information-disclosure");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("database") && found[1].contains("parser"),
        "{found:?}"
    );
}

#[test]
fn config_crate_settings_without_deny_unknown_fields() {
    let src = r#"#![forbid(unsafe_code)]
#[derive(serde::Deserialize)]
pub struct Settings { pub name: String }
pub fn load() -> Result<Settings, config::ConfigError> {
    config::Config::builder().add_source(config::File::with_name("app")).build()?.try_deserialize::<Settings>()
}
"#;
    assert_eq!(ids(&[("src/main.rs", src)], "unvalidated-config").len(), 1);
}

#[test]
fn child_processes_are_killed_at_the_timeout_and_kept_off_stdout() {
    let bad = tool(
        r#"        let status = tokio::process::Command::new("make").arg("--").arg(&args.path).status().await.map_err(|_| "x".to_string())?;
        Ok(status.to_string())"#,
    );
    assert_eq!(
        ids(&[("src/main.rs", &bad)], "missing-timeout")
            .iter()
            .filter(|m| m.contains("kill_on_drop"))
            .count(),
        1
    );
    assert_eq!(ids(&[("src/main.rs", &bad)], "stdout-pollution").len(), 1);
    let good = bad.replace(
        ".arg(&args.path).status()",
        ".arg(&args.path).stdout(std::process::Stdio::null()).kill_on_drop(true).status()",
    );
    assert!(
        ids(&[("src/main.rs", &good)], "missing-timeout")
            .iter()
            .all(|m| !m.contains("kill_on_drop"))
    );
    assert!(ids(&[("src/main.rs", &good)], "stdout-pollution").is_empty());
}

#[test]
fn http_clients_need_a_timeout_and_an_open_world_hint() {
    let src = tool(
        r#"        let client = reqwest::Client::new();
        let body = client.get(&args.path).send().await.map_err(|_| "x".to_string())?;
        Ok(body.status().to_string())"#,
    )
    .replace(
        "destructive_hint = false",
        "destructive_hint = false, open_world_hint = false",
    );
    assert_eq!(
        ids(&[("src/main.rs", &src)], "missing-timeout")
            .iter()
            .filter(|m| m.contains("HTTP client"))
            .count(),
        1
    );
    assert_eq!(
        ids(&[("src/main.rs", &src)], "misleading-annotation")
            .iter()
            .filter(|m| m.contains("open_world_hint"))
            .count(),
        1
    );
    let good = src
        .replace("reqwest::Client::new()", "reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().map_err(|_| \"x\".to_string())?")
        .replace("open_world_hint = false", "open_world_hint = true");
    assert!(
        ids(&[("src/main.rs", &good)], "missing-timeout")
            .iter()
            .all(|m| !m.contains("HTTP client"))
    );
    assert!(ids(&[("src/main.rs", &good)], "misleading-annotation").is_empty());
}

#[test]
fn read_only_by_rolled_back_transaction_is_sql_injection() {
    let src = tool(
        r#"        let conn = rusqlite::Connection::open("a.db").map_err(|_| "x".to_string())?;
        conn.execute_batch("BEGIN").map_err(|_| "x".to_string())?;
        let n = conn.execute(&args.path, []).map_err(|_| "x".to_string());
        conn.execute_batch("ROLLBACK").map_err(|_| "x".to_string())?;
        Ok(format!("{n:?}"))"#,
    );
    assert_eq!(
        ids(&[("src/main.rs", &src)], "sql-injection")
            .iter()
            .filter(|m| m.contains("rolled-back"))
            .count(),
        1
    );
}

#[test]
fn swallowed_config_errors_and_switches_shipped_on() {
    let src = r#"#![forbid(unsafe_code)]
#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config { pub enable_shell: bool }
pub fn load(text: &str) -> Config { toml::from_str(text).unwrap_or_default() }
"#;
    let files = [
        ("src/main.rs", src),
        ("server.toml", "enable_shell = true\n"),
    ];
    assert_eq!(
        ids(&files, "unvalidated-config")
            .iter()
            .filter(|m| m.contains("falls back"))
            .count(),
        1
    );
    assert_eq!(ids(&files, "excessive-privilege").len(), 1);
    let fixed = src.replace(
        "toml::from_str(text).unwrap_or_default()",
        "toml::from_str(text).expect(\"valid config\")",
    );
    let files = [
        ("src/main.rs", fixed.as_str()),
        ("server.toml", "enable_shell = false\n"),
    ];
    assert!(ids(&files, "unvalidated-config").is_empty());
    assert!(ids(&files, "excessive-privilege").is_empty());
}

#[test]
fn a_writable_database_that_no_tool_writes_is_excessive_privilege() {
    let src = tool(
        r#"        let conn = rusqlite::Connection::open("a.db").map_err(|_| "x".to_string())?;
        let n: i64 = conn.query_row("SELECT count(*) FROM t WHERE name = ?1", [&args.path], |r| r.get(0)).map_err(|_| "x".to_string())?;
        Ok(n.to_string())"#,
    );
    assert_eq!(
        ids(&[("src/main.rs", &src)], "excessive-privilege").len(),
        1
    );
    let ro = src.replace(
        "rusqlite::Connection::open(\"a.db\")",
        "rusqlite::Connection::open_with_flags(\"a.db\", rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)",
    );
    assert!(ids(&[("src/main.rs", &ro)], "excessive-privilege").is_empty());
}

#[test]
fn limiter_state_and_audit_contents() {
    let src = r#"#![forbid(unsafe_code)]
pub struct Calls { seen: std::collections::HashMap<String, Vec<Instant>> }
#[tool_handler(router = self.router)]
impl ServerHandler for S {
    async fn call_tool(&self, request: CallToolRequestParams, context: RequestContext<RoleServer>) -> Result<CallToolResponse, ErrorData> {
        let limiter = governor::RateLimiter::direct(governor::Quota::per_minute(nonzero!(60u32)));
        let arguments = request.arguments.clone();
        let result = tokio::time::timeout(T, self.router.call(ToolCallContext::new(self, request, context))).await;
        tracing::info!(arguments = ?arguments, "call");
        tracing::info!(result = ?result, "done");
        let _ = limiter.check();
        result.map_err(|_| ErrorData::internal_error("timeout", None))?
    }
}
"#;
    let rate = ids(&[("src/main.rs", src)], "missing-rate-limit");
    assert!(
        rate.iter().any(|m| m.contains("while handling a call")),
        "{rate:?}"
    );
    assert!(
        rate.iter().any(|m| m.contains("grows without bound")),
        "{rate:?}"
    );
    let audit = ids(&[("src/main.rs", src)], "missing-audit-log");
    assert!(
        audit.iter().any(|m| m.contains("`arguments` unredacted")),
        "{audit:?}"
    );
    assert!(
        audit.iter().any(|m| m.contains("whole `result`")),
        "{audit:?}"
    );
}

#[test]
fn select_star_and_multi_action_tools() {
    let src = tool(
        r#"        match args.program.as_str() {
            "list" => Ok("SELECT * FROM users".into()),
            "count" => Ok("1".into()),
            "purge" => Ok("0".into()),
            _ => Err("unknown".into()),
        }"#,
    )
    .replace("pub program: String,", "pub action: String,")
    .replace("args.program", "args.action");
    assert_eq!(
        ids(&[("src/main.rs", &src)], "vague-tool-description").len(),
        1
    );
    assert_eq!(ids(&[("src/main.rs", &src)], "unsanitised-output").len(), 1);
}

#[test]
fn println_in_a_binary_serving_over_an_in_process_duplex_is_not_stdout_pollution() {
    let duplex = r#"#[tokio::main]
async fn main() {
    let (server_transport, client_transport) = tokio::io::duplex(8192);
    println!("client and server talk over memory, not stdout");
}
"#;
    assert!(ids(&[("src/main.rs", duplex)], "stdout-pollution").is_empty());
    let stdio = r#"#[tokio::main]
async fn main() {
    println!("a banner on the JSON-RPC stream");
    let io = (tokio::io::stdin(), tokio::io::stdout());
}
"#;
    assert_eq!(
        ids(&[("src/main.rs", stdio)], "stdout-pollution").len(),
        1,
        "the banner is pollution"
    );
}

#[test]
fn an_inline_dispatch_arm_owns_only_its_own_effects() {
    let src = r#"
impl ServerHandler for S {
    async fn list_tools(&self) -> ListToolsResult {
        vec![
            Tool { name: "list_notes".into(), description: Some("Lists the saved notes by title".into()),
                   annotations: Some(ToolAnnotations { read_only_hint: Some(true), ..Default::default() }) },
            Tool { name: "wipe_notes".into(), description: Some("Deletes every saved note for good".into()),
                   annotations: Some(ToolAnnotations { read_only_hint: Some(false), destructive_hint: Some(false), ..Default::default() }) },
        ]
    }
    async fn call_tool(&self, request: CallToolRequestParams) -> Result<CallToolResult, Error> {
        match request.name.as_ref() {
            "list_notes" => Ok(CallToolResult::success(std::fs::read_to_string("notes.txt")?)),
            "wipe_notes" => {
                std::fs::remove_file("notes.txt")?;
                Ok(CallToolResult::success(vec![]))
            }
            _ => Err(Error::unknown()),
        }
    }
}
"#;
    let found = ids(&[("src/main.rs", src)], "misleading-annotation");
    let fails: Vec<&String> = found
        .iter()
        .filter(|m| m.contains("but its code"))
        .collect();
    assert_eq!(fails.len(), 1, "{found:?}");
    assert!(
        fails[0].starts_with("8: tool `wipe_notes` declares `destructive_hint = false`"),
        "{found:?}"
    );
}
