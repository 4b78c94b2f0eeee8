//! Shell injection: metacharacters carrying a command that creates a marker file outside
//! `{allowed}`; the marker appearing is the proof.

use crate::finding::{Evidence, Severity};
use crate::probe::session::Session;
use crate::probe::tool::{Role, Tool, role};

/// Builds a payload from an ordinary value and a command.
type Form = fn(&str, &str) -> String;

pub fn run(s: &mut Session, tool: &Tool) {
    if !s.wants("command-injection") {
        return;
    }
    let params: Vec<(String, Role)> = tool
        .strings()
        .map(|p| (p.name.clone(), role(p, tool)))
        .filter(|(_, r)| *r != Role::Sql)
        .collect();
    for (name, role) in params {
        let base = if role == Role::Path {
            "notes.txt"
        } else {
            "hello"
        };
        let outside = s.sandbox.outside.display().to_string();
        let forms: [(&str, Form); 6] = [
            ("`;` separator", |b, c| format!("{b}; {c}")),
            ("`|` pipe", |b, c| format!("{b} | {c}")),
            ("`&&` chain", |b, c| format!("{b} && {c}")),
            ("`$(…)` substitution", |b, c| format!("{b}$({c})")),
            ("backtick substitution", |b, c| format!("{b}`{c}`")),
            ("newline", |b, c| format!("{b}\n{c}")),
        ];
        for (technique, make) in forms {
            let cmd = format!("touch {outside}/{}", s.sandbox.marker());
            let args = tool.with_str(&name, make(base, &cmd));
            if s.call(
                tool,
                &tool.name,
                args,
                Some(&name),
                "command-injection",
                technique,
            )
            .is_none()
            {
                return;
            }
        }
        if echoed(s, tool, &name, base).is_none() {
            return;
        }
    }
}

/// A shell that evaluates `$((6*7))` prints a value the payload does not contain: proof even
/// where the server cannot create files.
fn echoed(s: &mut Session, tool: &Tool, name: &str, base: &str) -> Option<()> {
    let tag = &s.sandbox.tag;
    let (payload, expected) = (
        format!("{base}; echo mcpprobe$((6*7))x{tag}"),
        format!("mcpprobe42x{tag}"),
    );
    let o = s.call(
        tool,
        &tool.name,
        tool.with_str(name, payload),
        Some(name),
        "command-injection",
        "`;` echo",
    )?;
    if o.text.contains(&expected) {
        let ev = Evidence {
            argument: Some(name.to_string()),
            request: o.request,
            observed: format!("a shell evaluated $((6*7)): the response contains `{expected}`"),
        };
        let msg = format!("`{}` runs `{name}` through a shell", tool.name);
        s.report(
            "command-injection",
            Severity::Fail,
            Some(&tool.name),
            &format!("echo {name}"),
            msg,
            Some(ev),
        );
    }
    Some(())
}
