//! Hidden tools: names derived from the listed ones (same noun, other verbs) called directly.
//! A call that is carried out rather than refused is a finding. A name nobody defines is
//! called first: a server that answers it with a success signals errors as results, which is
//! reported once, and candidates answered the same way are refused, not hidden tools.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::finding::{Evidence, Severity};
use crate::probe::session::Session;
use crate::probe::tool::Tool;

const VERBS: &[&str] = &[
    "delete", "create", "exec", "write", "execute", "run", "admin", "debug", "remove", "update",
];
const DESTRUCTIVE: &[&str] = &["delete", "remove"];
const MAX_NAMES: usize = 16;

/// Candidate names not in the listing, each with the listed tool whose arguments it borrows.
/// Each tool gives its names in turn, so the bound spreads over every tool, not the first.
pub fn candidates(tools: &[Tool], destructive: bool) -> Vec<(String, usize)> {
    let listed: BTreeSet<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    let mut per_tool: Vec<Vec<(String, usize)>> = Vec::new();
    for (i, t) in tools.iter().enumerate() {
        let mut out: Vec<(String, usize)> = Vec::new();
        let sep = if t.name.contains('_') {
            '_'
        } else if t.name.contains('-') {
            '-'
        } else {
            '_'
        };
        let parts: Vec<&str> = t.name.split(sep).collect();
        for verb in VERBS
            .iter()
            .filter(|v| destructive || !DESTRUCTIVE.contains(v))
        {
            let mut names = Vec::new();
            if parts.len() > 1 {
                let mut first = parts.clone();
                first[0] = verb;
                names.push(first.join(&sep.to_string()));
                let mut last = parts.clone();
                *last.last_mut().unwrap_or(&mut "") = verb;
                names.push(last.join(&sep.to_string()));
            } else {
                names.push(format!("{verb}{sep}{}", t.name));
            }
            for n in names {
                if !listed.contains(n.as_str()) && !out.iter().any(|(o, _)| *o == n) {
                    out.push((n, i));
                }
            }
        }
        per_tool.push(out);
    }
    let mut out: Vec<(String, usize)> = Vec::new();
    for round in 0.. {
        for names in &per_tool {
            if let Some((n, i)) = names.get(round)
                && !out.iter().any(|(o, _)| o == n)
            {
                out.push((n.clone(), *i));
            }
        }
        if out.len() >= MAX_NAMES || per_tool.iter().all(|names| names.len() <= round) {
            break;
        }
    }
    out.truncate(MAX_NAMES);
    out
}

/// Replies that say the tool does not exist, whatever the result's error flag says.
const UNKNOWN: &[&str] = &[
    "unknown tool",
    "tool not found",
    "no such tool",
    "not a known tool",
    "unknown method",
    "is not a tool",
    "tool does not exist",
    "not found",
];

/// The reply with the name called taken out, to compare replies to different names.
fn shape(text: &str, name: &str) -> String {
    text.replace(name, "{name}").trim().to_ascii_lowercase()
}

/// Calls a name no server has. A successful reply means the server reports errors as
/// results (a protocol-violation, reported once); its shape is returned so that candidates
/// answered the same way are not taken for hidden tools.
fn control(s: &mut Session, tool: &Tool) -> Option<Option<String>> {
    let name = format!("{}-no-such-tool", s.sandbox.marker());
    let o = s.call(
        tool,
        &name,
        Value::Object(tool.baseline()),
        None,
        "hidden-tool",
        "a tool name nobody defines",
    )?;
    if !o.ok() {
        return Some(None);
    }
    if s.wants("protocol-violation") {
        s.report(
            "protocol-violation",
            Severity::Warn,
            None,
            "unknown-tool-success",
            "the server answers a call to an unknown tool with a successful result: errors must be JSON-RPC errors or results with isError".into(),
            Some(Evidence {
                argument: None,
                request: o.request.clone(),
                observed: format!(
                    "`{name}` is no tool, yet the reply is a success: {}",
                    crate::probe::observe::clip(o.text.trim(), 200)
                ),
            }),
        );
    }
    Some(Some(shape(&o.text, &name)))
}

pub fn run(s: &mut Session, tools: &[Tool]) {
    if !s.wants("hidden-tool") {
        return;
    }
    let Some(first) = tools.first() else { return };
    let Some(unknown) = control(s, first) else {
        return;
    };
    for (name, source) in candidates(tools, s.limits.destructive) {
        let tool = &tools[source];
        let Some(o) = s.call(
            tool,
            &name,
            Value::Object(tool.baseline()),
            None,
            "hidden-tool",
            "hidden tool",
        ) else {
            return;
        };
        let lower = o.text.to_ascii_lowercase();
        let refused = unknown
            .as_ref()
            .is_some_and(|u| *u == shape(&o.text, &name))
            || (unknown.is_some() && UNKNOWN.iter().any(|w| lower.contains(w)));
        if o.ok() && !refused {
            let observed = format!(
                "`{name}` is not in tools/list but the call was carried out: {}",
                crate::probe::observe::clip(o.text.trim(), 200)
            );
            let msg = format!("`{name}` is callable although tools/list does not show it");
            s.report(
                "hidden-tool",
                Severity::Fail,
                Some(&name),
                "hidden",
                msg,
                Some(Evidence {
                    argument: None,
                    request: o.request,
                    observed,
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str) -> Tool {
        let raw = json!({"name": name, "description": "d", "inputSchema": {"type": "object"}});
        Tool::from_listing(&raw).unwrap()
    }

    #[test]
    fn every_listed_tool_lends_its_name_within_the_bound() {
        let tools = [
            tool("read_note"),
            tool("list_items"),
            tool("get_weather"),
            tool("shout"),
        ];
        let names = candidates(&tools, false);
        assert_eq!(names.len(), MAX_NAMES);
        for i in 0..tools.len() {
            assert!(
                names.iter().any(|(_, source)| *source == i),
                "no name from tool {i}: {names:?}"
            );
        }
        assert!(
            names
                .iter()
                .all(|(n, _)| !n.starts_with("delete") && !n.starts_with("remove"))
        );
        assert!(
            names
                .iter()
                .all(|(n, _)| tools.iter().all(|t| t.name != *n))
        );
    }
}
