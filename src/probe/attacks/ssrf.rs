//! Server-side request forgery: URL parameters get the address of a loopback listener the
//! probe runs; a request reaching it proves the server fetches whatever the model names.
//! A cloud metadata address is tried too; inside a sandbox without network it cannot answer,
//! so its reply only goes into the evidence. A server confined to a network namespace of its
//! own cannot reach the listener either: then the report says the check did not run. A `file://` URL to a canary outside catches a
//! fetcher that opens local files.

use std::time::Duration;

use crate::finding::{Evidence, Severity};
use crate::probe::listener::Listener;
use crate::probe::observe::clip;
use crate::probe::session::Session;
use crate::probe::tool::{Param, Role, Tool, role, words};

const METADATA: &str = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
const URL_NAMES: &[&str] = &[
    "url", "uri", "link", "href", "endpoint", "webhook", "callback", "feed", "site", "website",
];
const URL_WORDS: &[&str] = &[
    "url", "urls", "uri", "http", "https", "fetch", "download", "webpage", "website", "web",
];

/// The parameter holds a URL: its name, its schema's `format`, its description, or (as the
/// tool's only free string) the tool's own text says so.
fn url_like(p: &Param, tool: &Tool) -> bool {
    let n = p.name.to_ascii_lowercase();
    if words(&n).any(|w| URL_NAMES.contains(&w)) {
        return true;
    }
    let schema = &tool.raw["inputSchema"]["properties"][&p.name];
    if schema["format"]
        .as_str()
        .is_some_and(|f| f == "uri" || f == "url")
    {
        return true;
    }
    let desc = schema["description"]
        .as_str()
        .unwrap_or("")
        .to_ascii_lowercase();
    if words(&desc).any(|w| URL_WORDS[..3].contains(&w)) {
        return true;
    }
    let free = tool
        .strings()
        .filter(|q| matches!(role(q, tool), Role::Other))
        .count();
    free == 1 && role(p, tool) == Role::Other && words(&tool.text()).any(|w| URL_WORDS.contains(&w))
}

pub fn run(s: &mut Session, tool: &Tool) {
    if !s.wants("excessive-privilege") {
        return;
    }
    let params: Vec<String> = tool
        .strings()
        .filter(|p| url_like(p, tool))
        .map(|p| p.name.clone())
        .collect();
    if params.is_empty() {
        return;
    }
    let Ok(listener) = Listener::start() else {
        return;
    };
    for name in params {
        let marker = s.sandbox.marker();
        let url = format!("http://127.0.0.1:{}/{marker}", listener.port);
        let Some(o) = s.call(
            tool,
            &tool.name,
            tool.with_str(&name, url),
            Some(&name),
            "excessive-privilege",
            "loopback URL",
        ) else {
            return;
        };
        let file = format!(
            "file://{}/{}",
            s.sandbox.outside.display(),
            s.sandbox.canary_file
        );
        if s.call(
            tool,
            &tool.name,
            tool.with_str(&name, file),
            Some(&name),
            "path-traversal",
            "file:// URL outside",
        )
        .is_none()
        {
            return;
        }
        let Some(line) = listener.reached(&marker, Duration::from_millis(300)) else {
            // Fail closed: inside its own network namespace the server cannot reach the
            // listener, so silence proves nothing and the report says so.
            if s.network_confined() {
                s.report(
                    "excessive-privilege",
                    Severity::Info,
                    Some(&tool.name),
                    &format!("ssrf not run {name}"),
                    format!(
                        "server-side request forgery through `{name}` of `{}` was not checked: the server runs without network, where the probe's listener cannot be reached; probe again with --allow-network to check it",
                        tool.name
                    ),
                    None,
                );
            }
            continue;
        };
        let Some(meta) = s.call(
            tool,
            &tool.name,
            tool.with_str(&name, METADATA),
            Some(&name),
            "excessive-privilege",
            "cloud metadata URL",
        ) else {
            return;
        };
        let verdict = if meta.ok() { "accepted" } else { "refused" };
        let observed = format!(
            "the probe's loopback listener received `{line}`; the cloud metadata address {METADATA} was then {verdict}: {}",
            clip(meta.text.trim(), 160)
        );
        s.report(
            "excessive-privilege",
            Severity::Fail,
            Some(&tool.name),
            &format!("ssrf {name}"),
            format!(
                "`{}` fetches any URL given in `{name}`, loopback included (server-side request forgery)",
                tool.name
            ),
            Some(Evidence {
                argument: Some(name.clone()),
                request: o.request,
                observed,
            }),
        );
    }
}
