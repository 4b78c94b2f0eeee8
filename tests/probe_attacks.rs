//! The probe's behaviour-driven attack classes against fixture servers: each fires on the
//! vulnerable variant and stays quiet on the fixed one. No check is keyed to a tool's name.

mod common;

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

fn fixture(name: &str) -> String {
    common::probe_fixture(name)
}

fn tmp() -> PathBuf {
    common::scratch("probe-attacks-tmp")
}

/// Runs `probe --format json` with `opts` against the fixture `name` (`--fixed` when `fixed`).
fn run(name: &str, fixed: bool, opts: &[&str]) -> (Output, Value) {
    let script = fixture(name);
    let mut cmd = vec!["python3", script.as_str()];
    if fixed {
        cmd.push("--fixed");
    }
    let out = common::bin()
        .args(["mcp-secure", "probe", "--format", "json", "--timeout", "5"])
        .args(opts)
        .arg("--")
        .args(&cmd)
        .env("TMPDIR", tmp())
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, json)
}

fn findings(json: &Value) -> Vec<Value> {
    json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array in {json}"))
        .clone()
}

/// Findings with this id and tool.
fn of(json: &Value, id: &str, tool: &str) -> Vec<Value> {
    findings(json)
        .into_iter()
        .filter(|f| f["id"] == id && f["tool"].as_str().unwrap_or("") == tool)
        .collect()
}

/// Every finding but the rate-limit one (the fixtures have no limiter).
fn assert_quiet(json: &Value) {
    let noisy: Vec<String> = findings(json)
        .iter()
        .filter(|f| f["id"] != "missing-rate-limit")
        .map(|f| format!("{} {}: {}", f["id"], f["tool"], f["message"]))
        .collect();
    assert!(noisy.is_empty(), "the fixed fixture reported {noisy:#?}");
}

#[test]
fn parameters_that_behave_as_paths_get_the_path_attacks_whatever_their_name() {
    let (out, json) = run("roles", false, &[]);
    assert_eq!(out.status.code(), Some(1), "{json:#}");
    // `note`: the refusal speaks of a file; `id`: naming a known file returned it.
    for tool in ["show_note", "get_record"] {
        let climbed = of(&json, "path-traversal", tool).iter().any(|f| {
            f["message"]
                .as_str()
                .is_some_and(|m| m.contains("../ climb; a path by behaviour"))
        });
        assert!(climbed, "{tool} not climbed out of: {json:#}");
    }
    assert!(
        of(&json, "path-traversal", "greet").is_empty(),
        "an echoed value is no read: {json:#}"
    );
    let (out, json) = run("roles", true, &[]);
    assert_quiet(&json);
    assert_eq!(out.status.code(), Some(0));
}

/// A seed folder holding one project.
fn project_seed() -> PathBuf {
    let dir = tmp().join(format!("seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("project.toml"), "name = \"demo\"\n").unwrap();
    dir
}

fn message_has(findings: &[Value], text: &str) -> bool {
    findings
        .iter()
        .any(|f| f["message"].as_str().is_some_and(|m| m.contains(text)))
}

#[test]
fn root_prefixed_climbs_to_new_files_and_the_outside_twin_are_escapes() {
    let seed = project_seed();
    let seed = seed.to_str().unwrap();
    let (out, json) = run("climb", false, &["--seed", seed]);
    assert_eq!(out.status.code(), Some(1), "{json:#}");
    let writes = of(&json, "path-traversal", "save_note");
    assert!(
        message_has(
            &writes,
            "changed files outside {allowed} (root-prefixed climb to a new file)"
        ),
        "{json:#}"
    );
    assert!(
        message_has(&writes, "(new file through a symlinked folder)"),
        "{json:#}"
    );
    let twin = of(&json, "path-traversal", "project_files");
    assert!(
        message_has(&twin, "reached the outside twin of {allowed}"),
        "{json:#}"
    );
    let (out, json) = run("climb", true, &["--seed", seed]);
    assert_quiet(&json);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_url_parameter_that_reaches_the_probes_listener_is_ssrf() {
    // Confined to its own network namespace the server cannot reach the listener: the report
    // says the check did not run instead of passing it.
    let (_, json) = run("ssrf", false, &[]);
    let skipped = of(&json, "excessive-privilege", "fetch_page");
    assert!(message_has(&skipped, "was not checked"), "{json:#}");
    let (out, json) = run("ssrf", false, &["--allow-network"]);
    assert_eq!(out.status.code(), Some(1), "{json:#}");
    let ssrf = of(&json, "excessive-privilege", "fetch_page");
    assert!(
        message_has(&ssrf, "server-side request forgery"),
        "{json:#}"
    );
    assert!(
        ssrf.iter().any(|f| f["evidence"]
            .as_str()
            .unwrap_or("")
            .contains("loopback listener received `GET /mcp-probe-")),
        "{json:#}"
    );
    let files = of(&json, "path-traversal", "fetch_page");
    assert!(message_has(&files, "file:// URL outside"), "{json:#}");
    let (out, json) = run("ssrf", true, &["--allow-network"]);
    assert_quiet(&json);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn planted_secret_files_and_credential_shaped_values_in_replies_are_reported() {
    let (out, json) = run("secret_files", false, &[]);
    assert_eq!(out.status.code(), Some(1), "{json:#}");
    let escaped = of(&json, "path-traversal", "read_config");
    assert!(message_has(&escaped, "~/.aws/credentials"), "{json:#}");
    assert!(message_has(&escaped, "~/.ssh/id_ed25519"), "{json:#}");
    let shaped = of(&json, "unsanitised-output", "show_settings");
    assert!(message_has(&shaped, "{allowed}/.env unasked"), "{json:#}");
    assert!(message_has(&shaped, "a GitHub token"), "{json:#}");
    let redacted = shaped.iter().all(|f| {
        !f.to_string()
            .contains("Zq8Lm2Xv0Te7NpWk4YsR1uC3oB5dF9gH6jK2")
    });
    assert!(redacted, "the report repeats the credential: {json:#}");
    let (out, json) = run("secret_files", true, &[]);
    assert_quiet(&json);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_read_after_a_state_change_that_shows_an_outside_canary_is_an_escape() {
    let (out, json) = run("stage", false, &[]);
    assert_eq!(out.status.code(), Some(1), "{json:#}");
    let read = of(&json, "path-traversal", "show_staged");
    assert!(
        message_has(&read, "a follow-up read after `stage_file` changed state"),
        "{json:#}"
    );
    let (out, json) = run("stage", true, &[]);
    assert_quiet(&json);
    assert_eq!(out.status.code(), Some(0));
}

/// Runs a fixture with extra server flags.
fn run_with(name: &str, fixed: bool, flags: &[&str]) -> Value {
    let script = fixture(name);
    let mut cmd = vec!["python3", script.as_str()];
    if fixed {
        cmd.push("--fixed");
    }
    cmd.extend(flags);
    let out = common::bin()
        .args([
            "mcp-secure",
            "probe",
            "--format",
            "json",
            "--timeout",
            "5",
            "--",
        ])
        .args(&cmd)
        .env("TMPDIR", tmp())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

fn count(json: &Value, id: &str) -> usize {
    findings(json).iter().filter(|f| f["id"] == id).count()
}

#[test]
fn unknown_tools_answered_as_successes_are_one_protocol_violation_not_hidden_tools() {
    let json = run_with("hidden", false, &["--unknown-as-success"]);
    let hidden: Vec<String> = findings(&json)
        .iter()
        .filter(|f| f["id"] == "hidden-tool")
        .map(|f| f["tool"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(hidden, ["write_note"], "{json:#}");
    assert_eq!(count(&json, "protocol-violation"), 1, "{json:#}");
    let json = run_with("hidden", true, &["--unknown-as-success"]);
    assert_eq!(count(&json, "hidden-tool"), 0, "{json:#}");
    let violation = of(&json, "protocol-violation", "");
    assert!(
        message_has(&violation, "unknown tool with a successful result"),
        "{json:#}"
    );
}

#[test]
fn the_default_budget_grows_with_the_tools_and_tools_cut_short_are_listed() {
    let (_, json) = run("many", false, &[]);
    let tools = json["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 12);
    assert!(
        tools.iter().all(|t| t["attacked"] == true),
        "every tool is attacked: {json:#}"
    );
    assert!(json["stopped"].is_null(), "{json:#}");
    assert!(json["calls"].as_u64().unwrap() > 600, "{json:#}");
    let (_, json) = run("many", false, &["--max-calls", "40"]);
    let cut: Vec<&Value> = json["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["reason"]
                .as_str()
                .is_some_and(|r| r.contains("only in part"))
        })
        .collect();
    assert_eq!(cut.len(), 1, "one tool was cut short: {json:#}");
    assert_eq!(cut[0]["attacked"], false);
}

#[test]
fn options_behind_a_deny_list_are_a_warning_with_both_calls_in_the_evidence() {
    let (out, json) = run("denylist", false, &[]);
    let found = of(&json, "command-injection", "sort_lines");
    assert_eq!(found.len(), 1, "{json:#}");
    assert_eq!(found[0]["severity"], "warn", "{json:#}");
    let evidence = found[0]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("parsed the value as an option") && evidence.contains("--output="),
        "{evidence}"
    );
    assert!(message_has(&found, "(a deny-list)"), "{json:#}");
    // A refusal by the program's own option parser is no deny-list.
    let parsed = of(&json, "command-injection", "count_lines");
    assert_eq!(parsed.len(), 1, "{json:#}");
    assert_eq!(parsed[0]["severity"], "fail", "{json:#}");
    assert_eq!(out.status.code(), Some(1));
    let (out, json) = run("denylist", true, &[]);
    assert_quiet(&json);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn poisoning_is_an_instruction_even_encoded_and_a_forbidden_path_is_not() {
    let (_, json) = run("poison", false, &["--only", "tool-poisoning"]);
    for tool in ["read_text", "file_size"] {
        assert_eq!(
            of(&json, "tool-poisoning", tool).len(),
            1,
            "{tool}: {json:#}"
        );
    }
    let decoded = of(&json, "tool-poisoning", "file_size");
    assert!(
        decoded[0]["evidence"]
            .as_str()
            .unwrap()
            .contains("~/.aws/credentials"),
        "the evidence shows the decoded text: {json:#}"
    );
    let (_, json) = run("poison", true, &["--only", "tool-poisoning"]);
    assert_quiet(&json);
}

#[test]
fn a_principal_parameter_that_serves_admin_is_reported() {
    let (_, json) = run("identity", false, &[]);
    let found = of(&json, "excessive-privilege", "get_profile");
    assert!(
        message_has(&found, "serves whichever principal `username` names"),
        "{json:#}"
    );
    let (out, json) = run("identity", true, &[]);
    assert_quiet(&json);
    assert_eq!(out.status.code(), Some(0));
}
