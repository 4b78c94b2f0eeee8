//! Deadlines recognised by what the code does: a wrapper around `tokio::time::timeout`, a
//! SQLite progress handler, an HTTP client built with a timeout; and replies awaited forever.

use super::rule_tests::ids;

const WRAPPED: &str = r#"
async fn execute_with_timeout<F: std::future::Future>(f: F) -> Result<F::Output, String> {
    tokio::time::timeout(std::time::Duration::from_secs(5), f).await.map_err(|_| "slow".to_string())
}
#[tool_router]
impl S {
    #[tool(description = "Runs the slow work under the shared deadline wrapper, for the tests.")]
    async fn bounded(&self) -> Result<String, String> {
        execute_with_timeout(async { String::new() }).await
    }
    #[tool(description = "Runs the slow work with no deadline at all, for the rule tests here.")]
    async fn unbounded(&self) -> Result<String, String> {
        Ok(String::new())
    }
}
"#;

#[test]
fn a_deadline_wrapper_bounds_the_tool_that_calls_it() {
    let found = ids(&[("src/main.rs", WRAPPED)], "missing-timeout");
    assert!(found.iter().any(|m| m.contains("`unbounded`")), "{found:?}");
    assert!(!found.iter().any(|m| m.contains("`bounded`")), "{found:?}");
}

#[test]
fn a_progress_handler_or_a_client_timeout_bounds_the_tools_using_them() {
    let db = r#"
pub struct Db { conn: rusqlite::Connection }
impl Db {
    pub fn run(&self, sql: &str) -> rusqlite::Result<usize> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        self.conn.progress_handler(1000, Some(move || std::time::Instant::now() >= deadline));
        let n = self.conn.execute(sql, []);
        self.conn.progress_handler(0, None::<fn() -> bool>);
        n
    }
}
"#;
    let api = r#"
pub struct Api { client: reqwest::Client }
impl Api {
    pub fn new() -> reqwest::Result<Self> {
        Ok(Self { client: reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).build()? })
    }
    pub async fn get(&self, url: &str) -> reqwest::Result<String> {
        self.client.get(url).send().await?.text().await
    }
}
"#;
    let main = r#"
mod db;
mod api;
pub struct S { db: db::Db, api: api::Api }
#[tool_router]
impl S {
    #[tool(description = "Runs a statement against the database under its progress handler.")]
    async fn write(&self) -> Result<String, String> {
        self.db.run("DELETE FROM t").map(|n| n.to_string()).map_err(|_| "failed".into())
    }
    #[tool(description = "Fetches the status page through the client built with a timeout.")]
    async fn status(&self) -> Result<String, String> {
        self.api.get("https://example.com/status").await.map_err(|_| "failed".into())
    }
}
"#;
    let files = [
        ("src/main.rs", main),
        ("src/db.rs", db),
        ("src/api.rs", api),
    ];
    let found = ids(&files, "missing-timeout");
    assert!(
        !found.iter().any(|m| m.contains("runs with no timeout")),
        "{found:?}"
    );
    // Without the deadlines, both tools are reported.
    let db_open = db.replace(
        "Some(move || std::time::Instant::now() >= deadline)",
        "None::<fn() -> bool>",
    );
    let api_open = api.replace(".timeout(std::time::Duration::from_secs(10))", "");
    let files = [
        ("src/main.rs", main),
        ("src/db.rs", db_open.as_str()),
        ("src/api.rs", api_open.as_str()),
    ];
    let found = ids(&files, "missing-timeout");
    assert_eq!(
        found
            .iter()
            .filter(|m| m.contains("runs with no timeout"))
            .count(),
        2,
        "{found:?}"
    );
}

#[test]
fn a_reply_awaited_forever_after_filing_the_sender_is_reported() {
    let src = r#"
pub async fn proxy(state: &State, id: u64) -> Option<String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    state.pending.lock().await.insert(id, tx);
    rx.recv().await
}
pub async fn proxy_bounded(state: &State, id: u64) -> Option<String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    state.pending.lock().await.insert(id, tx);
    tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv()).await.ok().flatten()
}
pub async fn worker(jobs: &tokio::sync::mpsc::Sender<Job>) -> Option<String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    jobs.send(Job { reply: tx }).await.ok()?;
    rx.await.ok()
}
"#;
    let found = ids(&[("src/main.rs", src)], "missing-timeout");
    let replies: Vec<&String> = found
        .iter()
        .filter(|m| m.contains("waits for a reply"))
        .collect();
    assert_eq!(replies.len(), 1, "{found:?}");
    assert!(replies[0].starts_with("2: `proxy`"), "{found:?}");
}
