//! Guards that make SQL text safe, and look-alikes that do not.

use std::path::Path;

use crate::check::model::{Context, Package};

const MANIFEST: &str = "[package]\nname = \"t\"\nversion = \"0.1.0\"\n\n[dependencies]\nrmcp = \"0.8\"\nrusqlite = \"0.37\"\n";

/// Lines of `sql-built-by-format` / `sql-batch-with-user-text` findings for `src`.
fn sql_lines(src: &str) -> Vec<usize> {
    rule_lines(src, &["sql-built-by-format", "sql-batch-with-user-text"])
}

fn rule_lines(src: &str, rules: &[&str]) -> Vec<usize> {
    let package = Package {
        name: "t".into(),
        manifest_path: "Cargo.toml".into(),
        manifest_text: MANIFEST.into(),
        is_binary: true,
        has_lockfile: true,
        metadata: serde_json::Value::Null,
    };
    let files = vec![
        ("src/main.rs".into(), src.to_string()),
        ("Cargo.toml".into(), MANIFEST.to_string()),
    ];
    let ctx = Context::from_files(Path::new("/t"), package, files);
    crate::check::rules::run_all(&ctx)
        .into_iter()
        .filter(|f| rules.contains(&f.rule.as_str()))
        .filter_map(|f| f.location.map(|l| l.line))
        .collect()
}

const VALIDATOR: &str = r#"
fn validate(name: &str) -> Result<&str, String> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err("bad name".into());
    }
    Ok(name)
}
"#;

#[test]
fn a_validated_name_may_be_pasted() {
    let src = format!(
        "{VALIDATOR}\nfn drop(conn: &rusqlite::Connection, name: &str) -> Result<(), String> {{\n    let name = validate(name)?;\n    conn.execute_batch(&format!(\"DROP TABLE {{name}}\")).map_err(|e| e.to_string())\n}}\n"
    );
    assert_eq!(sql_lines(&src), Vec::<usize>::new());
}

#[test]
fn an_ignored_validation_does_not_count() {
    let src = format!(
        "{VALIDATOR}\nfn drop(conn: &rusqlite::Connection, name: &str) -> Result<(), String> {{\n    let _ = validate(name);\n    conn.execute_batch(&format!(\"DROP TABLE {{name}}\")).map_err(|e| e.to_string())\n}}\n"
    );
    // Two rules see the one line; findings of an item are reported once per line.
    assert_eq!(sql_lines(&src).len(), 1, "{src}");
}

#[test]
fn a_check_that_lets_quotes_through_is_no_guard() {
    let src = r#"
fn drop(conn: &rusqlite::Connection, name: &str) -> Result<(), String> {
    if name.chars().any(|c| c == ';') {
        return Err("bad".into());
    }
    let sql = format!("DROP TABLE {name}");
    conn.execute_batch(&sql).map_err(|e| e.to_string())
}
"#;
    assert_eq!(sql_lines(src).len(), 2);
}

#[test]
fn a_public_helper_trusts_no_caller() {
    let src = r#"
pub fn drop_named(conn: &rusqlite::Connection, table: &str) -> rusqlite::Result<()> {
    conn.execute_batch(&format!("DROP TABLE {table}"))
}
fn helper(conn: &rusqlite::Connection, table: &str) -> rusqlite::Result<()> {
    conn.execute_batch(&format!("DROP TABLE {table}"))
}
fn caller(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    helper(conn, "fixed")?;
    drop_named(conn, "fixed")
}
"#;
    // The private helper is only ever called with a constant; the public one may not be.
    assert_eq!(sql_lines(src), vec![3]);
}

#[test]
fn a_registry_written_from_raw_input_is_not_trusted() {
    let src = format!(
        r#"{VALIDATOR}
fn record(conn: &rusqlite::Connection, name: &str, table: &str) -> rusqlite::Result<usize> {{
    let name = validate(name).map_err(|_| rusqlite::Error::InvalidQuery)?;
    conn.execute("INSERT INTO registry (name, table_name) VALUES (?1, ?2)", [name, table])
}}
fn count(conn: &rusqlite::Connection, name: &str) -> rusqlite::Result<i64> {{
    let name = validate(name).map_err(|_| rusqlite::Error::InvalidQuery)?;
    let table: String = conn.query_row("SELECT table_name FROM registry WHERE name = ?1", [name], |r| r.get(0))?;
    conn.query_row(&format!("SELECT count(*) FROM {{table}}"), [], |r| r.get(0))
}}
pub fn entry(conn: &rusqlite::Connection, a: &str, b: &str) -> rusqlite::Result<i64> {{
    record(conn, a, b)?;
    count(conn, a)
}}
"#
    );
    assert_eq!(sql_lines(&src), vec![16]);
    let fixed = src.replace("[name, table]", "[name, &format!(\"t_{name}\")]");
    assert_eq!(sql_lines(&fixed), Vec::<usize>::new());
}

#[test]
fn constant_sets_regexes_and_quote_doubling_are_guards() {
    let src = r#"
static NAME: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new("^[a-z_][a-z0-9_]*$").unwrap());
const COLUMNS: &[&str] = &["id", "name"];
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
pub fn list(conn: &rusqlite::Connection, table: &str, column: &str, word: &str) -> Result<(), String> {
    if !NAME.is_match(table) {
        return Err("bad table".into());
    }
    if !COLUMNS.contains(&column) {
        return Err("bad column".into());
    }
    let sql = format!("SELECT {column} FROM {table} WHERE note = {}", quote(word));
    conn.execute_batch(&sql).map_err(|e| e.to_string())
}
"#;
    assert_eq!(sql_lines(src), Vec::<usize>::new());
    let unchecked = src.replace("!COLUMNS.contains(&column)", "column.is_empty()");
    assert_eq!(sql_lines(&unchecked).len(), 2);
}

/// A tool that runs the caller's SQL, and a worker (reached through a channel, which no call
/// graph follows) that refuses statements by kind before running them.
const QUERY_TOOL: &str = r#"
pub struct S;
#[tool_router]
impl S {
    #[tool(description = "Runs one SQL statement against the notes database and returns rows.")]
    async fn execute_sql(&self, Parameters(Args { sql }): Parameters<Args>) -> String {
        let conn = rusqlite::Connection::open("notes.db").unwrap();
        let stmt = conn.prepare(&sql).unwrap();
        stmt.column_count().to_string()
    }
}
enum Kind { Select, Attach, Vacuum, Other }
fn classify(sql: &str) -> Kind {
    match sql.split_whitespace().next().unwrap_or_default().to_ascii_uppercase().as_str() {
        "SELECT" => Kind::Select,
        "ATTACH" => Kind::Attach,
        "VACUUM" => Kind::Vacuum,
        _ => Kind::Other,
    }
}
fn forbidden(kind: Kind) -> bool {
    matches!(kind, Kind::Attach | Kind::Vacuum)
}
fn run(stmt: &rusqlite::Statement<'_>, sql: &str) -> Result<(), String> {
    if forbidden(classify(sql)) || !stmt.readonly() {
        return Err("read-only statements only".into());
    }
    Ok(())
}
"#;

#[test]
fn a_refusal_of_attach_and_vacuum_by_kind_guards_caller_sql() {
    let rule = ["sql-reaches-filesystem"];
    assert_eq!(rule_lines(QUERY_TOOL, &rule), Vec::<usize>::new());
    // `readonly()` alone lets `ATTACH` through.
    let weaker = QUERY_TOOL.replace("forbidden(classify(sql)) || ", "");
    assert_eq!(rule_lines(&weaker, &rule).len(), 1);
    // A check that only logs is no refusal.
    let logs = QUERY_TOOL.replace(
        "return Err(\"read-only statements only\".into());",
        "eprintln!(\"writes\");",
    );
    assert_eq!(rule_lines(&logs, &rule).len(), 1);
}

#[test]
fn a_map_filled_with_validated_names_is_a_registry() {
    let src = format!(
        r#"{VALIDATOR}
pub struct Store {{
    tables: std::collections::HashMap<String, String>,
}}
impl Store {{
    pub fn new() -> Self {{
        Self {{ tables: std::collections::HashMap::new() }}
    }}
    pub fn register(&mut self, name: &str) -> Result<(), String> {{
        let name = validate(name)?;
        self.tables.insert(name.to_string(), format!("t_{{name}}"));
        Ok(())
    }}
    pub fn count(&self, conn: &rusqlite::Connection, name: &str) -> Result<i64, String> {{
        let table = self.tables.get(name).ok_or("unknown")?;
        conn.query_row(&format!("SELECT count(*) FROM {{table}}"), [], |r| r.get(0)).map_err(|_| "x".to_string())
    }}
}}
"#
    );
    assert_eq!(sql_lines(&src), Vec::<usize>::new());
    let raw = src
        .replace("format!(\"t_{name}\")", "raw.to_string()")
        .replace(
            "pub fn register(&mut self, name: &str)",
            "pub fn register(&mut self, name: &str, raw: &str)",
        );
    assert_eq!(sql_lines(&raw), vec![23], "{raw}");
}
