//! The `explain` and `list` verbs as a user runs them: output on stdout, errors on stderr,
//! exit codes, help, and a closed pipe that is not an error.

mod common;

use std::io::Read;
use std::process::Stdio;

use assert_cmd::Command;
use serde_json::{Value, json};

fn cmd(args: &[&str]) -> Command {
    let mut cmd = Command::from_std(common::bin());
    cmd.arg("mcp-secure").args(args);
    cmd
}

fn stdout_of(args: &[&str]) -> String {
    let out = cmd(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{args:?} wrote to stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn list_human() {
    insta::assert_snapshot!(stdout_of(&["list"]));
}

#[test]
fn list_rules_names_every_rule_with_item_severity_and_precision() {
    insta::assert_snapshot!(stdout_of(&["list", "--rules"]));
    let rules: Vec<Value> =
        serde_json::from_str(&stdout_of(&["list", "--rules", "--format", "json"])).unwrap();
    let items: Vec<Value> =
        serde_json::from_str(&stdout_of(&["list", "--format", "json"])).unwrap();
    assert!(!rules.is_empty());
    for r in &rules {
        let item = items
            .iter()
            .find(|i| i["id"] == r["item"])
            .unwrap_or_else(|| panic!("rule {r} names no listed item"));
        let check = format!("static:{}", r["rule"].as_str().unwrap());
        assert!(
            item["checks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == check.as_str()),
            "{check} is not among the checks of {}",
            item["id"]
        );
        assert!(["fail", "warn", "info"].contains(&r["severity"].as_str().unwrap()));
        assert!(["high", "medium", "low"].contains(&r["precision"].as_str().unwrap()));
    }
}

#[test]
fn list_json_is_every_item_in_full() {
    let items: Vec<Value> =
        serde_json::from_str(&stdout_of(&["list", "--format", "json"])).unwrap();
    // The full text is compared with the files in checklist_meta.rs; the snapshot pins the
    // order, the metadata and the shape of each item.
    let summary: Vec<Value> = items
        .iter()
        .map(|i| {
            let docs = i["docs"].as_object().expect("docs is an object");
            json!({
                "id": i["id"], "severity": i["severity"], "practice": i["practice"], "owasp": i["owasp"],
                "mcp_spec": i["mcp_spec"], "checks": i["checks"], "has_question": i["question"].is_string(),
                "docs": docs.keys().collect::<Vec<_>>(),
                "references": docs["references"].as_array().map_or(0, Vec::len),
            })
        })
        .collect();
    insta::assert_snapshot!(serde_json::to_string_pretty(&summary).unwrap());
}

#[test]
fn explain_path_traversal() {
    insta::assert_snapshot!(stdout_of(&["explain", "path-traversal"]));
}

#[test]
fn explain_json_is_the_item() {
    let item: Value = serde_json::from_str(&stdout_of(&[
        "explain",
        "sql-injection",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(item["id"], "sql-injection");
    assert_eq!(item["severity"], "fail");
    assert!(
        item["docs"]["example"]
            .as_str()
            .unwrap()
            .contains("```rust")
    );
}

#[test]
fn explain_all_is_the_generated_docs() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/checklist.md")).unwrap();
    assert!(
        stdout_of(&["explain", "--all"]) == docs,
        "docs/checklist.md differs from `explain --all`"
    );
    let all: Vec<Value> =
        serde_json::from_str(&stdout_of(&["explain", "--all", "--format", "json"])).unwrap();
    let listed: Vec<Value> =
        serde_json::from_str(&stdout_of(&["list", "--format", "json"])).unwrap();
    assert_eq!(all, listed);
}

#[test]
fn explain_unknown_id_suggests_and_exits_2() {
    let out = cmd(&["explain", "path-travesal"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!(String::from_utf8(out.stderr).unwrap());

    let out = cmd(&["explain", "no-such-thing-at-all"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(
        "explain_unknown_without_suggestion",
        String::from_utf8(out.stderr).unwrap()
    );
}

#[test]
fn explain_without_an_id_is_a_usage_error() {
    let out = cmd(&["explain"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("<ID>"));
    cmd(&["explain", "path-traversal", "--all"])
        .assert()
        .code(2);
    cmd(&["list", "--format", "sarif"]).assert().code(2);
}

#[test]
fn help() {
    insta::assert_snapshot!("explain_help", stdout_of(&["explain", "--help"]));
    insta::assert_snapshot!("list_help", stdout_of(&["list", "--help"]));
}

/// A reader that has gone away (`list | head -1` after head exits) is not an error:
/// exit 0 and nothing on stderr. The read end of the pipe is closed before the child starts,
/// so every write the child makes fails with EPIPE.
#[test]
fn closed_pipe_is_not_an_error() {
    for args in [
        &["list"][..],
        &["list", "--format", "json"],
        &["explain", "--all"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = common::bin()
            .arg("mcp-secure")
            .args(args)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?} wrote to stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The same as a user would see it: the reader takes the first line and closes while the
/// output (larger than a pipe buffer) is still being written.
#[test]
fn reader_closing_early_is_not_an_error() {
    let mut child = common::bin()
        .args(["mcp-secure", "list", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"[");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// On a terminal `explain` renders the Markdown: no heading markers or code fences, lines
/// wrapped to the terminal's width; piped, it stays Markdown.
#[test]
fn explain_renders_for_a_terminal_and_stays_markdown_when_piped() {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-mcp-secure"));
    cmd.args(["mcp-secure", "explain", "path-traversal"])
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("CARGO_TERM_COLOR");
    let mut session = rexpect::spawn_with_options(
        cmd,
        rexpect::reader::Options {
            timeout_ms: Some(30_000),
            strip_ansi_escape_codes: true,
        },
    )
    .unwrap();
    let screen = session.exp_eof().unwrap();
    assert!(screen.contains("What it checks"), "{screen}");
    assert!(
        !screen.contains("```") && !screen.contains("## "),
        "{screen}"
    );
    // Prose wraps; code blocks (indented) and single long words such as URLs do not.
    let fits = |l: &str, w: usize| {
        l.chars().count() <= w || l.starts_with("    ") || !l.trim().contains(' ')
    };
    assert!(screen.lines().all(|l| fits(l.trim_end(), 100)), "{screen}");
    let piped = stdout_of(&["explain", "path-traversal"]);
    assert!(
        piped.contains("## What it checks") && piped.contains("```"),
        "{piped}"
    );
    let text = stdout_of(&["explain", "path-traversal", "--format", "text"]);
    assert!(
        !text.contains("## ") && text.lines().all(|l| fits(l, 80)),
        "{text}"
    );
}
