//! The audit check: every answered call should leave a stderr line naming its tool, and no
//! planted secret may appear in the log.

use serde_json::Value;

use super::super::tool::Tool;
use super::Session;
use crate::finding::{Evidence, Severity};

impl Session<'_> {
    /// Every answered call to a listed tool should leave a line naming the tool on stderr,
    /// and no planted secret may appear there. The probe cannot parse every server's log
    /// format, so it counts lines that name the tool: lenient, never a false alarm for a
    /// server that logs each call with its tool's name.
    pub(super) fn audit_lines(&mut self, tools: &[Tool], stderr: &[String]) {
        let answered = std::mem::take(&mut self.answered);
        for (name, (calls, request)) in answered {
            if !tools.iter().any(|t| t.name == name) {
                continue;
            }
            let lines = stderr.iter().filter(|l| names_tool(l, &name)).count();
            if lines >= calls {
                continue;
            }
            let evidence = Evidence {
                argument: None,
                request,
                observed: format!(
                    "{lines} stderr {} `{name}` after {calls} answered {} to it",
                    if lines == 1 {
                        "line names"
                    } else {
                        "lines name"
                    },
                    if calls == 1 { "call" } else { "calls" },
                ),
            };
            self.report(
                "missing-audit-log",
                Severity::Warn,
                Some(&name),
                "record-per-call",
                format!(
                    "{calls} {} to `{name}` left {lines} {} naming it on stderr: not every call is audited",
                    if calls == 1 { "call" } else { "calls" },
                    if lines == 1 { "line" } else { "lines" },
                ),
                Some(evidence),
            );
        }
        let planted: Vec<(String, String)> = self
            .sandbox
            .secrets
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (var, value) in planted {
            let Some(line) = stderr.iter().find(|l| l.contains(&value)) else {
                continue;
            };
            let evidence = Evidence {
                argument: None,
                request: Value::Null,
                observed: format!(
                    "stderr: {}",
                    line.replace(&value, "<canary>")
                        .chars()
                        .take(300)
                        .collect::<String>()
                ),
            };
            self.report(
                "missing-audit-log",
                Severity::Warn,
                None,
                &format!("secret-{var}"),
                format!("the log holds the value of `{var}`, a secret the probe planted: logs must not carry secrets"),
                Some(evidence),
            );
        }
    }
}

/// Whether `line` holds `name` as a whole word: not inside a longer identifier.
fn names_tool(line: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    line.match_indices(name).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[cfg(test)]
mod tests {
    use super::names_tool;

    #[test]
    fn a_tool_is_named_only_as_a_whole_word() {
        assert!(names_tool(r#"{"tool":"echo","outcome":"ok"}"#, "echo"));
        assert!(names_tool("called echo", "echo"));
        assert!(names_tool("tool=read_file ok", "read_file"));
        assert!(!names_tool(r#"{"tool":"echo_all"}"#, "echo"));
        assert!(!names_tool("re-echo", "echo"));
        assert!(!names_tool("nothing here", "echo"));
        assert!(!names_tool("anything", ""));
    }
}
