//! The http-exposure rules on small servers: what counts as authentication, Origin and Host
//! validation, and a token passed through.

use std::path::PathBuf;

use super::run_all;
use crate::check::model::Context;

/// `(line, rule)` of the http-exposure findings for one `src/main.rs`.
fn found(src: &str) -> Vec<(usize, String)> {
    let ctx = Context::of_sources(vec![(PathBuf::from("src/main.rs"), src.to_string())]);
    run_all(&ctx)
        .into_iter()
        .filter(|f| f.id == "http-exposure")
        .map(|f| (f.location.map(|l| l.line).unwrap_or(0), f.rule))
        .collect()
}

fn rules(src: &str) -> Vec<String> {
    found(src).into_iter().map(|(_, r)| r).collect()
}

const UNGUARDED: &str = r#"
use axum::routing::post;
async fn main() {
    let app = axum::Router::new().route("/run", post(run));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
async fn run(body: String) -> String { body }
"#;

#[test]
fn a_router_with_no_credential_check_is_reported_at_its_listener() {
    assert_eq!(found(UNGUARDED), [(5, "http-without-auth".to_string())]);
}

#[test]
fn a_middleware_that_answers_401_after_a_helper_reads_the_token_is_authentication() {
    let src = UNGUARDED.replace(
        r#"let app = axum::Router::new().route("/run", post(run));"#,
        r#"let app = axum::Router::new().route("/run", post(run)).layer(axum::middleware::from_fn(guard));"#,
    ) + r#"
fn token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()
}
async fn guard(request: axum::extract::Request, next: axum::middleware::Next) -> Result<axum::response::Response, axum::http::StatusCode> {
    if token(request.headers()) != Some("x") {
        return Err(axum::http::StatusCode::UNAUTHORIZED);
    }
    Ok(next.run(request).await)
}
"#;
    assert!(rules(&src).is_empty(), "{:?}", found(&src));
}

#[test]
fn reading_the_token_without_refusing_anything_is_not_authentication() {
    let src = UNGUARDED.replace(
        "async fn run(body: String) -> String { body }",
        "async fn run(headers: axum::http::HeaderMap) -> String { format!(\"{:?}\", headers.get(\"authorization\")) }",
    );
    assert_eq!(rules(&src), ["http-without-auth"]);
}

#[test]
fn health_only_routers_and_typed_authorization_extractors_are_not_reported() {
    let health = UNGUARDED.replace("\"/run\"", "\"/health\"");
    assert!(rules(&health).is_empty());
    let typed = UNGUARDED.replace(
        "async fn run(body: String) -> String { body }",
        "async fn run(TypedHeader(auth): TypedHeader<Authorization<Bearer>>, body: String) -> String { body }",
    );
    assert!(rules(&typed).is_empty());
}

#[test]
fn origin_validation_counts_where_the_config_is_finished_and_a_disable_always_reports() {
    let off = r#"
use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
fn config() -> StreamableHttpServerConfig {
    StreamableHttpServerConfig::default()
}
"#;
    assert_eq!(found(off), [(4, "origin-validation-off".to_string())]);
    let helper = r#"
use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
fn config() -> StreamableHttpServerConfig {
    origins(StreamableHttpServerConfig::default())
}
fn origins(c: StreamableHttpServerConfig) -> StreamableHttpServerConfig {
    c.with_allowed_origins(["http://localhost:3000"])
}
"#;
    assert!(rules(helper).is_empty());
    let empty = helper.replace("[\"http://localhost:3000\"]", "Vec::new()");
    assert_eq!(rules(&empty), ["origin-validation-off"]);
    let literal = r#"
use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
fn config() -> StreamableHttpServerConfig {
    StreamableHttpServerConfig { allowed_origins: vec!["http://localhost:3000".into()], allowed_hosts: vec![], ..Default::default() }
}
"#;
    assert_eq!(rules(literal), ["host-validation-off"]);
    let disabled = helper.replace(
        "c.with_allowed_origins([\"http://localhost:3000\"])",
        "c.with_allowed_origins([\"http://localhost:3000\"]).disable_allowed_origins()",
    );
    assert_eq!(rules(&disabled), ["origin-validation-off"]);
}

#[test]
fn a_validated_token_from_the_request_extensions_copied_upstream_is_passthrough_at_the_call() {
    let src = r#"
pub struct ValidToken {
    pub token: headers::Authorization<headers::authorization::Bearer>,
}
fn upstream_headers(extensions: &http::Extensions) -> http::HeaderMap {
    let mut out = http::HeaderMap::new();
    if let Some(token) = extensions.get::<ValidToken>() {
        out.typed_insert(token.token.clone());
    }
    out
}
fn execute(parts: &http::request::Parts) {
    let headers = upstream_headers(&parts.extensions);
    send(headers);
}
"#;
    assert_eq!(found(src), [(13, "token-passthrough".to_string())]);
    let own = r#"
fn call(client: reqwest::Client) {
    let own = std::env::var("UPSTREAM_TOKEN").unwrap_or_default();
    let _ = client.get("http://upstream").bearer_auth(own);
}
"#;
    assert!(rules(own).is_empty());
}

#[test]
fn a_wide_address_is_reported_only_where_it_reaches_a_bind() {
    let through_locals = r#"
async fn main() {
    let addr = format!("0.0.0.0:{}", 8080);
    let bind_addr: std::net::SocketAddr = addr.parse().unwrap();
    let _ = SseServerConfig { bind: bind_addr };
}
"#;
    assert_eq!(
        found(through_locals),
        [(3, "bind-beyond-loopback".to_string())]
    );
    let constant = r#"
const LISTEN: &str = "0.0.0.0:9000";
async fn main() {
    let _ = tokio::net::TcpListener::bind(LISTEN).await;
}
"#;
    assert_eq!(found(constant), [(2, "bind-beyond-loopback".to_string())]);
    let display = r#"
fn show(v: &serde_json::Value) -> String {
    v.get("HostIp").and_then(|x| x.as_str()).unwrap_or("0.0.0.0").to_string()
}
"#;
    assert!(rules(display).is_empty());
    let cli = r#"
#[derive(clap::Parser)]
struct Cli {
    #[arg(long, default_value = "0.0.0.0:3001")]
    bind_address: String,
}
"#;
    assert_eq!(found(cli), [(4, "bind-beyond-loopback".to_string())]);
}

#[test]
fn hyper_and_actix_servers_are_judged_like_axum_ones() {
    let hyper = r#"
use rmcp::transport::streamable_http_server::StreamableHttpService;
async fn main() {
    let service = StreamableHttpService::new(|| Ok(S), Default::default(), Default::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap();
    let io = listener.accept().await.unwrap();
    hyper_util::server::conn::auto::Builder::new(E).serve_connection(io, service).await;
}
"#;
    assert!(rules(hyper).contains(&"http-without-auth".to_string()));
    let actix = r#"
use actix_web::{App, HttpServer, web};
async fn main() {
    HttpServer::new(|| App::new().route("/call", web::post().to(call)))
        .bind("127.0.0.1:8080").unwrap().run().await;
}
async fn call() -> String { String::new() }
"#;
    assert_eq!(rules(actix), ["http-without-auth"]);
    let guarded = actix.replace(
        "App::new()",
        "App::new().wrap(actix_web_httpauth::middleware::HttpAuthentication::bearer(check))",
    );
    assert!(rules(&guarded).is_empty());
}
