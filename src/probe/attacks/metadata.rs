//! What the listings tell a model: missing or vague descriptions, hidden instructions and
//! invisible Unicode, destructive-sounding tools without `destructiveHint`, read-only claims
//! on tools whose name says they write.

use serde_json::{Value, json};

use crate::finding::{Evidence, Severity};
use crate::probe::session::Session;
use crate::probe::tool::{Tool, words};
use crate::vague::Vague;

/// Verbs that change state; `run` and `execute` are left out because `run_query` may be honest.
const WRITE_WORDS: &[&str] = &[
    "write", "delete", "remove", "create", "update", "insert", "drop", "set", "move", "rename",
    "append",
];

fn listing_request(method: &str) -> Value {
    json!({"jsonrpc": "2.0", "method": method, "params": {}})
}

/// Checks one piece of text a model will read; `key` names where it came from.
/// `orders_allowed` is for a server's `instructions`, which may tell the model how to proceed.
fn poisoning(
    s: &mut Session,
    tool: Option<&str>,
    whole: &str,
    key: &str,
    method: &str,
    orders_allowed: bool,
) {
    if let Some(c) = whole.chars().find(|c| crate::poisoning::invisible(*c)) {
        let ev = Evidence {
            argument: None,
            request: listing_request(method),
            observed: format!("{key} contains the invisible character U+{:04X}", c as u32),
        };
        s.report(
            "tool-poisoning",
            Severity::Fail,
            tool,
            &format!("{key} invisible"),
            format!("{key} hides invisible Unicode"),
            Some(ev),
        );
    }
    let found = if orders_allowed {
        crate::poisoning::hostile_instruction(whole)
    } else {
        crate::poisoning::instruction(whole)
    };
    if let Some((_, at)) = found {
        // The offset is in the normalised text, where decoded blobs are spelt out.
        let normal = crate::poisoning::normalise(whole);
        let snippet: String = normal.get(at..).unwrap_or("").chars().take(120).collect();
        let ev = Evidence {
            argument: None,
            request: listing_request(method),
            observed: format!("{key} says: {snippet}"),
        };
        s.report(
            "tool-poisoning",
            Severity::Fail,
            tool,
            &format!("{key} instruction"),
            format!("{key} carries instructions aimed at the model"),
            Some(ev),
        );
    }
}

pub fn tools(s: &mut Session, tools: &[Tool]) {
    for t in tools {
        let name = Some(t.name.as_str());
        if s.wants("vague-tool-description")
            && let Some(problem) = crate::vague::vague(&t.description, &t.name)
        {
            let observed = match problem {
                Vague::Missing => "no description".to_string(),
                Vague::TooShort => {
                    format!("description under 20 characters: {:?}", t.description)
                }
                Vague::Generic => format!("a generic description: {:?}", t.description),
            };
            let ev = Evidence {
                argument: None,
                request: listing_request("tools/list"),
                observed,
            };
            let msg = format!("`{}` does not say what it does", t.name);
            s.report(
                "vague-tool-description",
                Severity::Warn,
                name,
                "description",
                msg,
                Some(ev),
            );
        }
        if s.wants("tool-poisoning") {
            let decoded = collect_strings(&t.raw);
            poisoning(
                s,
                name,
                &decoded,
                &format!("the listing of `{}`", t.name),
                "tools/list",
                false,
            );
        }
        if s.wants("misleading-annotation") {
            annotations(s, t);
        }
    }
}

fn annotations(s: &mut Session, t: &Tool) {
    let name = Some(t.name.as_str());
    if let Some(word) = t
        .destructive_words()
        .filter(|_| t.destructive_hint != Some(true) && !t.read_only)
    {
        let ev = Evidence {
            argument: None,
            request: listing_request("tools/list"),
            observed: format!(
                "says `{word}` but annotations: {}",
                t.raw.get("annotations").unwrap_or(&Value::Null)
            ),
        };
        let msg = format!(
            "`{}` sounds destructive but does not declare destructiveHint",
            t.name
        );
        s.report(
            "misleading-annotation",
            Severity::Warn,
            name,
            "destructive",
            msg,
            Some(ev),
        );
    }
    let first = words(&t.name).next().unwrap_or("").to_ascii_lowercase();
    if t.read_only && (WRITE_WORDS.contains(&first.as_str()) || t.destructive_words().is_some()) {
        let ev = Evidence {
            argument: None,
            request: listing_request("tools/list"),
            observed: format!("named `{}` yet annotated readOnlyHint: true", t.name),
        };
        let msg = format!(
            "`{}` claims to be read-only but its name says it changes things",
            t.name
        );
        s.report(
            "misleading-annotation",
            Severity::Fail,
            name,
            "read-only name",
            msg,
            Some(ev),
        );
    }
}

/// Every string inside a JSON value, joined: descriptions of parameters count too.
pub fn collect_strings(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s}\n"),
        Value::Array(a) => a.iter().map(collect_strings).collect(),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{k}\n{}", collect_strings(v)))
            .collect(),
        _ => String::new(),
    }
}

/// Prompts and resources, where the server offers them.
/// The `instructions` of the `initialize` result and the prompts and resources the server
/// lists: a model reads them all.
pub fn others(s: &mut Session, init: &Value) {
    if !s.wants("tool-poisoning") {
        return;
    }
    if let Some(text) = init.get("instructions").and_then(Value::as_str) {
        poisoning(
            s,
            None,
            text,
            "the server's `instructions` text",
            "initialize",
            true,
        );
    }
    let capabilities = init.get("capabilities").unwrap_or(&Value::Null);
    for (cap, method, field) in [
        ("prompts", "prompts/list", "prompts"),
        ("resources", "resources/list", "resources"),
    ] {
        if capabilities.get(cap).is_none() {
            continue;
        }
        if let crate::probe::client::Reply::Result(r) = s.request(method, json!({})) {
            for item in r.get(field).and_then(Value::as_array).into_iter().flatten() {
                let label = item
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                poisoning(
                    s,
                    None,
                    &collect_strings(item),
                    &format!("the {cap} entry `{label}`"),
                    method,
                    false,
                );
            }
        }
    }
}
