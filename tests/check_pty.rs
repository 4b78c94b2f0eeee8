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
        "(the evidence changed since the last answer;",
    ]
    .iter()
    .filter_map(|m| before.rfind(m))
    .max()
    .unwrap_or_else(|| panic!("no question header in {before:?}"));
    before[..at].split_whitespace().last().unwrap().to_string()
}

/// Runs `check` on a terminal and answers every question: `no_to` gets "n", others "y".
/// Returns the whole screen text and the items asked.
fn answer_all(dir: &Path, no_to: Option<&str>) -> (String, Vec<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-mcp-secure"));
    cmd.args(["mcp-secure", "check", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
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
            .exp_any(vec![ReadUntil::String("(y/n)".into()), ReadUntil::EOF])
            .unwrap();
        screen.push_str(&before);
        screen.push_str(&matched);
        if matched != "(y/n)" {
            break;
        }
        let item = asked_item(&screen);
        session
            .send(if Some(item.as_str()) == no_to {
                "n"
            } else {
                "y"
            })
            .unwrap();
        session.flush().unwrap();
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

    // Asked again on a terminal, with the reason shown.
    let (screen, asked) = answer_all(&dir, None);
    assert!(asked.iter().any(|i| i == ITEM), "{screen}");
    assert!(
        screen.contains("the evidence changed since the last answer"),
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
