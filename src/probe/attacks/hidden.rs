//! Hidden tools: names derived from the listed ones (same noun, other verbs) called directly.
//! A call that is carried out rather than refused is a finding.

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
pub fn candidates(tools: &[Tool], destructive: bool) -> Vec<(String, usize)> {
    let listed: BTreeSet<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    let mut out: Vec<(String, usize)> = Vec::new();
    for (i, t) in tools.iter().enumerate() {
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
    }
    out.truncate(MAX_NAMES);
    out
}

pub fn run(s: &mut Session, tools: &[Tool]) {
    if !s.wants("hidden-tool") {
        return;
    }
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
        if o.ok() {
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
