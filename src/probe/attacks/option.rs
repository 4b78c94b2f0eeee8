//! Option injection: a value starting with `-` reaching a child program's argv. Seen by a marker
//! file (`--output=<outside>/<marker>`) or by the program's own unknown-option error echoed back.
//! When options reach the program but `--output=` and `--config=` are refused by the server,
//! the guard is a deny-list: a warning whose evidence shows the refused and the parsed call.

use crate::finding::{Evidence, Severity};
use crate::probe::observe::clip;
use crate::probe::session::{Outcome, Session};
use crate::probe::tool::{Role, Tool, role};

/// Error wordings of common option parsers (GNU getopt, git, argparse, clap, BSD).
const PARSER_ERRORS: &[&str] = &[
    "unrecognized option",
    "unknown option",
    "unrecognized argument",
    "illegal option",
    "unknown flag",
    "unexpected argument '--",
];

pub fn run(s: &mut Session, tool: &Tool) {
    if !s.wants("command-injection") {
        return;
    }
    let params: Vec<String> = tool
        .strings()
        .filter(|p| role(p, tool) != Role::Sql)
        .map(|p| p.name.clone())
        .collect();
    for name in params {
        let output = format!(
            "--output={}/{}",
            s.sandbox.outside.display(),
            s.sandbox.marker()
        );
        let Some(dangerous) = s.call(
            tool,
            &tool.name,
            tool.with_str(&name, output),
            Some(&name),
            "command-injection",
            "option injection --output",
        ) else {
            return;
        };
        let flag = format!("--{}", s.sandbox.marker());
        let args = tool.with_str(&name, &flag);
        let Some(o) = s.call(
            tool,
            &tool.name,
            args,
            Some(&name),
            "command-injection",
            "option injection",
        ) else {
            return;
        };
        let lower = o.text.to_ascii_lowercase();
        let echoed = o.text.lines().find(|l| {
            l.contains(flag.trim_start_matches('-'))
                && PARSER_ERRORS
                    .iter()
                    .any(|e| l.to_ascii_lowercase().contains(e))
        });
        let Some(line) = echoed.filter(|_| PARSER_ERRORS.iter().any(|e| lower.contains(e))) else {
            continue;
        };
        let parsed = format!(
            "a child program parsed the value as an option: {}",
            line.trim()
        );
        // Options reach the program, but the dangerous ones may be refused by name: by the
        // server, not by the program's own parser (git's "unknown option" is no refusal).
        let refused = match by_server(&dangerous) {
            false => None,
            true => match second_dangerous(s, tool, &name) {
                None => return,
                Some(second) => by_server(&second).then_some((dangerous, second)),
            },
        };
        let (severity, msg, observed) = match refused {
            Some((first, second)) => (
                Severity::Warn,
                format!(
                    "`{}` passes `{name}` to a program as an option and refuses only the dangerous options it names (a deny-list)",
                    tool.name
                ),
                format!(
                    "{parsed}; while {} was refused ({}) and {} too ({})",
                    first.request["params"]["arguments"][&name],
                    clip(first.text.trim(), 80),
                    second.request["params"]["arguments"][&name],
                    clip(second.text.trim(), 80)
                ),
            ),
            None => (
                Severity::Fail,
                format!(
                    "`{}` passes `{name}` to a program that reads it as an option",
                    tool.name
                ),
                parsed,
            ),
        };
        let evidence = Evidence {
            argument: Some(name.clone()),
            request: o.request.clone(),
            observed,
        };
        s.report(
            "command-injection",
            severity,
            Some(&tool.name),
            &format!("option {name}"),
            msg,
            Some(evidence),
        );
    }
}

/// A second dangerous option, to tell a deny-list of one word from one of several.
fn second_dangerous(s: &mut Session, tool: &Tool, name: &str) -> Option<Outcome> {
    let config = format!(
        "--config={}/{}",
        s.sandbox.outside.display(),
        s.sandbox.marker()
    );
    s.call(
        tool,
        &tool.name,
        tool.with_str(name, config),
        Some(name),
        "command-injection",
        "option injection --config",
    )
}

/// The server refused the call itself: an error that is not an option parser's.
fn by_server(o: &Outcome) -> bool {
    let lower = o.text.to_ascii_lowercase();
    !o.ok() && !PARSER_ERRORS.iter().any(|e| lower.contains(e)) && !lower.contains("usage:")
}
