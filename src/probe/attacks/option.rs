//! Option injection: a value starting with `-` reaching a child program's argv. Seen by a marker
//! file (`--output=<outside>/<marker>`) or by the program's own unknown-option error echoed back.

use crate::finding::{Evidence, Severity};
use crate::probe::session::Session;
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
        if s.call(
            tool,
            &tool.name,
            tool.with_str(&name, output),
            Some(&name),
            "command-injection",
            "option injection --output",
        )
        .is_none()
        {
            return;
        }
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
        if let Some(line) = echoed.filter(|_| PARSER_ERRORS.iter().any(|e| lower.contains(e))) {
            let evidence = Evidence {
                argument: Some(name.clone()),
                request: o.request.clone(),
                observed: format!(
                    "a child program parsed the value as an option: {}",
                    line.trim()
                ),
            };
            let msg = format!(
                "`{}` passes `{name}` to a program that reads it as an option",
                tool.name
            );
            s.report(
                "command-injection",
                Severity::Fail,
                Some(&tool.name),
                &format!("option {name}"),
                msg,
                Some(evidence),
            );
        }
    }
}
