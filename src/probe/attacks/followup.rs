//! Follow-up reads: after a tool changed state, the read-only tools are called with their
//! baseline arguments, and their replies searched for outside canaries. This catches escapes
//! in two steps, such as staging a file outside and then showing the staged diff.

use serde_json::Value;

use crate::probe::observe::{self, Snapshot};
use crate::probe::session::Session;
use crate::probe::tool::{Tool, words};

/// First words of tool names that only read, for servers that set no annotations.
const READ_VERBS: &[&str] = &[
    "get", "list", "read", "show", "view", "status", "diff", "log", "search", "find", "describe",
    "cat", "query", "fetch",
];

/// Tools that only read: annotated so, or, when the server annotates none, named so.
pub fn readers(tools: &[Tool]) -> Vec<&Tool> {
    let annotated = tools.iter().any(|t| t.read_only);
    tools
        .iter()
        .filter(|t| !t.looks_destructive())
        .filter(|t| {
            if annotated {
                return t.read_only;
            }
            let first = words(&t.name).next().unwrap_or("").to_ascii_lowercase();
            READ_VERBS.contains(&first.as_str())
        })
        .collect()
}

/// Runs the follow-up reads when `changed_by` (attacked since `before`) left the sandbox
/// different.
pub fn run(s: &mut Session, changed_by: &Tool, tools: &[Tool], before: &Snapshot) {
    if changed_by.read_only || !s.wants("path-traversal") {
        return;
    }
    if observe::diff(before, &observe::snapshot(s.sandbox)).is_empty() {
        return;
    }
    let technique = format!("a follow-up read after `{}` changed state", changed_by.name);
    for reader in readers(tools) {
        if reader.name == changed_by.name {
            continue;
        }
        if s.call(
            reader,
            &reader.name,
            Value::Object(reader.baseline()),
            None,
            "path-traversal",
            &technique,
        )
        .is_none()
        {
            return;
        }
    }
}
