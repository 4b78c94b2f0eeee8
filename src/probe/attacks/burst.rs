//! A burst of rapid calls to a cheap read-only tool: no refusal at all means no rate limit.

use serde_json::Value;

use crate::finding::{Evidence, Severity};
use crate::probe::session::{Session, rate_limited};
use crate::probe::tool::{Tool, words};

pub const BURST: usize = 70;

fn cheap(tool: &Tool) -> bool {
    let first = words(&tool.name).next().unwrap_or("").to_ascii_lowercase();
    !tool.looks_destructive()
        && (tool.read_only
            || [
                "list", "get", "read", "search", "status", "describe", "echo", "ping", "find",
            ]
            .contains(&first.as_str()))
}

/// `ok_tools` are the tools whose baseline call succeeded.
pub fn run(s: &mut Session, ok_tools: &[Tool]) {
    if !s.wants("missing-rate-limit") || s.calls_left() < BURST {
        return;
    }
    let Some(tool) = ok_tools.iter().find(|t| cheap(t)) else {
        return;
    };
    let args = Value::Object(tool.baseline());
    let mut first = None;
    for _ in 0..BURST {
        let Some(o) = s.call_plain(&tool.name, args.clone()) else {
            return;
        };
        if !o.ok() && rate_limited(&o.text) {
            return;
        }
        if !o.answered() {
            return;
        }
        first.get_or_insert(o.request);
    }
    let ev = Evidence {
        argument: None,
        request: first.unwrap_or(Value::Null),
        observed: format!(
            "{BURST} calls in a row were all served; none was refused by a rate limit"
        ),
    };
    let msg = format!(
        "`{}` served a burst of {BURST} rapid calls without any rate limit",
        tool.name
    );
    s.report(
        "missing-rate-limit",
        Severity::Warn,
        Some(&tool.name),
        "burst",
        msg,
        Some(ev),
    );
}
