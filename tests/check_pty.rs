//! The interactive attestation flow through a pseudo-terminal: questions are asked with the
//! evidence, answers land in Cargo.toml bound to the evidence hash, and editing a tool
//! description makes the answer stale.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use rexpect::reader::{Options, ReadUntil};
use serde_json::Value;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/check-cli/tools"
);
const ITEM: &str = "vague-tool-description";
const TEXT_ANSWER: &str = "nobody: stdio only, never exposed";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("notes-server");
    copy_dir(Path::new(FIXTURE), &dir);
    (tmp, dir)
}

/// The item whose question is being asked: the header printed just before the prompt.
fn asked_item(before: &str) -> String {
    let at = [
        "(not answered yet;",
        "(the evidence changed since the last answer",
        "(asked again;",
    ]
    .iter()
    .filter_map(|m| before.rfind(m))
    .max()
    .unwrap_or_else(|| panic!("no question header in {before:?}"));
    before[..at].split_whitespace().last().unwrap().to_string()
}

/// Runs `check` on a terminal and answers every question: `no_to` gets "n", others "y"; a
/// text question gets a sentence. Returns the whole screen text and the items asked.
fn answer_all(dir: &Path, no_to: Option<&str>) -> (String, Vec<String>) {
    answer_with(dir, &[], |item| {
        if Some(item) == no_to {
            "n".into()
        } else {
            "y".into()
        }
    })
}

/// Runs `check` with `extra` arguments on a terminal; `reply` gives the keys sent to each
/// item's question (for a text question, a line; "\x1b" for Esc).
fn answer_with(
    dir: &Path,
    extra: &[&str],
    reply: impl Fn(&str) -> String,
) -> (String, Vec<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-mcp-secure"));
    cmd.args(["mcp-secure", "check", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .args(extra)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env_remove("CARGO_TERM_COLOR")
        .env("USER", "pty-tester")
        .current_dir(dir);
    let mut session = rexpect::spawn_with_options(
        cmd,
        Options {
            timeout_ms: Some(30_000),
            strip_ansi_escape_codes: true,
        },
    )
    .unwrap();
    let mut screen = String::new();
    let mut asked = Vec::new();
    loop {
        let (before, matched) = session
            .exp_any(vec![
                ReadUntil::String("(y/n)".into()),
                ReadUntil::String("Answer (text)".into()),
                ReadUntil::EOF,
            ])
            .unwrap();
        screen.push_str(&before);
        screen.push_str(&matched);
        let text = matched == "Answer (text)";
        if matched != "(y/n)" && !text {
            break;
        }
        let item = asked_item(&screen);
        let keys = reply(&item);
        if text && keys != "\x1b" {
            let line = if keys == "y" {
                TEXT_ANSWER.to_string()
            } else {
                keys
            };
            session.send_line(&line).unwrap();
        } else if text {
            session.send_line("").unwrap();
        } else {
            session.send(&keys).unwrap();
        }
        session.flush().unwrap();
        if text {
            // The answered prompt is redrawn with the same words: consume it.
            let echo = session.exp_string("Answer (text)").unwrap();
            screen.push_str(&echo);
            screen.push_str("Answer (text)");
        }
        asked.push(item);
    }
    (screen, asked)
}

fn ci_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let out = common::bin()
        .args([
            "mcp-secure",
            "check",
            "--ci",
            "--format",
            "json",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

fn status(v: &Value, id: &str) -> String {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn answers_are_recorded_then_stale_when_a_description_changes() {
    let (_tmp, dir) = project();
    let (screen, asked) = answer_all(&dir, None);
    assert!(
        asked.iter().any(|i| i == ITEM),
        "{ITEM} was not asked:\n{screen}"
    );
    // The evidence: every tool with its description and hints.
    assert!(screen.contains("list_notes"), "{screen}");
    assert!(
        screen.contains("List the notes kept in memory, oldest first"),
        "{screen}"
    );
    assert!(screen.contains("read_only_hint = true"), "{screen}");
    assert!(screen.contains("Recorded"), "{screen}");

    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let table: toml::Table = toml::from_str(&manifest).unwrap();
    let entry = &table["package"]["metadata"]["mcp-secure"]["attestations"][ITEM];
    assert_eq!(entry["answer"].as_bool(), Some(true), "{manifest}");
    assert!(
        entry["evidence"].as_str().unwrap().starts_with("sha256:"),
        "{manifest}"
    );
    assert!(
        !entry["by"].as_str().unwrap().is_empty() && entry["at"].as_str().unwrap().contains('T'),
        "{manifest}"
    );
    assert!(
        manifest
            .starts_with(&std::fs::read_to_string(Path::new(FIXTURE).join("Cargo.toml")).unwrap()),
        "formatting kept:\n{manifest}"
    );

    let (_, v) = ci_json(&dir, &[]);
    let now = status(&v, ITEM);
    assert!(now != "manual" && now != "stale", "answered: {now}");

    // Editing a description changes the evidence: the answer no longer holds.
    let tools = dir.join("src/tools/mod.rs");
    let text = std::fs::read_to_string(&tools).unwrap();
    std::fs::write(&tools, text.replace("oldest first", "newest first")).unwrap();
    let (_, v) = ci_json(&dir, &[]);
    assert_eq!(status(&v, ITEM), "stale");
    let (strict, _) = ci_json(&dir, &["--require-attestations"]);
    assert_eq!(strict, 1, "stale answers fail the pre-deploy gate");

    // Only the items about descriptions go stale; the quota question did not review them.
    assert_eq!(status(&v, "tool-poisoning"), "stale");
    assert_ne!(status(&v, "missing-rate-limit"), "stale");
    assert_ne!(status(&v, "missing-confirmation"), "stale");

    // Asked again on a terminal, with the reason shown: which tool changed.
    let (screen, asked) = answer_all(&dir, None);
    assert!(asked.iter().any(|i| i == ITEM), "{screen}");
    assert!(!asked.iter().any(|i| i == "missing-rate-limit"), "{screen}");
    assert!(
        screen.contains("the evidence changed since the last answer: tool `list_notes` changed"),
        "{screen}"
    );
    let (_, v) = ci_json(&dir, &[]);
    assert_ne!(status(&v, ITEM), "stale");
}

#[test]
fn a_no_answer_is_a_finding_under_the_item() {
    let (_tmp, dir) = project();
    let (screen, asked) = answer_all(&dir, Some(ITEM));
    assert!(asked.iter().any(|i| i == ITEM), "{screen}");
    let (_, v) = ci_json(&dir, &[]);
    let declined: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == ITEM && f["message"].as_str().unwrap().contains("answered no"))
        .collect();
    assert_eq!(declined.len(), 1, "{v}");
    assert_eq!(declined[0]["file"], "Cargo.toml");
    assert!(["warn", "fail"].contains(&status(&v, ITEM).as_str()));
}

#[test]
fn a_who_how_question_takes_text() {
    let (_tmp, dir) = project();
    let (screen, asked) = answer_all(&dir, None);
    assert!(asked.iter().any(|i| i == "http-exposure"), "{screen}");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let table: toml::Table = toml::from_str(&manifest).unwrap();
    let entry = &table["package"]["metadata"]["mcp-secure"]["attestations"]["http-exposure"];
    assert_eq!(entry["answer"].as_str(), Some(TEXT_ANSWER), "{manifest}");
    let (_, v) = ci_json(&dir, &[]);
    assert_eq!(status(&v, "http-exposure"), "pass");
}

#[test]
fn escape_leaves_a_question_unanswered_and_says_so() {
    let (_tmp, dir) = project();
    let (screen, asked) = answer_with(&dir, &[], |item| {
        if item == ITEM {
            "\x1b".into()
        } else {
            "y".into()
        }
    });
    assert!(asked.iter().any(|i| i == ITEM), "{screen}");
    let after = &screen[screen.find(&format!("{ITEM} (not answered yet")).unwrap()..];
    assert!(
        after.contains("not answered\r\n") || after.contains("not answered\n"),
        "{screen}"
    );
    let (_, v) = ci_json(&dir, &[]);
    assert_eq!(status(&v, ITEM), "manual");
}

#[test]
fn reanswer_asks_a_recorded_item_again() {
    let (_tmp, dir) = project();
    answer_all(&dir, None);
    // Nothing is open now: a plain run asks nothing.
    let (_, asked) = answer_all(&dir, None);
    assert!(asked.is_empty(), "{asked:?}");
    let (screen, asked) = answer_with(&dir, &["--reanswer", ITEM], |_| "n".into());
    assert_eq!(asked, [ITEM], "{screen}");
    assert!(screen.contains("asked again; recorded: yes"), "{screen}");
    let (_, v) = ci_json(&dir, &[]);
    assert!(["warn", "fail"].contains(&status(&v, ITEM).as_str()), "{v}");
}

#[test]
fn reanswer_needs_an_item_with_a_question_and_a_terminal() {
    let (_tmp, dir) = project();
    let run = |args: &[&str]| {
        let out = common::bin()
            .args(["mcp-secure", "check", "--manifest-path"])
            .arg(dir.join("Cargo.toml"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = run(&["--reanswer", "no-such-item"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`no-such-item` is not an item with a question") && err.contains(ITEM),
        "{err}"
    );
    let (code, err) = run(&["--ci", "--reanswer", ITEM]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--reanswer asks on a terminal"), "{err}");
}

#[test]
fn require_attestations_counts_open_items_as_failures() {
    let (_tmp, dir) = project();
    let out = common::bin()
        .args([
            "mcp-secure",
            "check",
            "--ci",
            "--require-attestations",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("of them unanswered"), "{err}");
    assert!(!err.contains("--require-attestations makes"), "{err}");
    assert!(err.contains("the open items fail this run"), "{err}");
}
