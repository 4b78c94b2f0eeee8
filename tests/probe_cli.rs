//! The probe's command line: help, human output on stderr, SARIF, --keep, and Ctrl-C.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn fixture(name: &str) -> String {
    common::probe_fixture(name)
}

fn tmp() -> PathBuf {
    common::scratch("probe-cli-tmp")
}

#[test]
fn help_lists_every_option() {
    let out = common::bin()
        .args(["mcp-secure", "probe", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn human_output_names_tool_argument_request_and_effect_on_stderr() {
    let out = common::bin()
        .args([
            "mcp-secure",
            "probe",
            "--only",
            "command-injection",
            "--",
            "python3",
            &fixture("shell"),
        ])
        .env("TMPDIR", tmp())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "people text belongs on stderr");
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "error[command-injection]",
        "= tool: search_notes",
        "= argument: pattern",
        "= request: {",
        "\"method\":\"tools/call\"",
        "= observed: created {workspace}/outside/mcp-probe-",
        "Probed shell-fixture 1.0.0",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn sarif_carries_the_findings_as_results() {
    let out = common::bin()
        .args([
            "mcp-secure",
            "probe",
            "--format",
            "sarif",
            "--only",
            "hidden-tool",
            "--",
            "python3",
            &fixture("hidden"),
        ])
        .env("TMPDIR", tmp())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{sarif:#}");
    // Each result names its rule; the checklist item is the rule's relationship.
    assert_eq!(results[0]["ruleId"], "probe:hidden-tool");
}

#[test]
fn keep_leaves_the_sandbox_and_says_where() {
    let out = common::bin()
        .args([
            "mcp-secure",
            "probe",
            "--keep",
            "--only",
            "stdout-pollution",
            "--",
            "python3",
            &fixture("noise"),
            "--fixed",
        ])
        .env("TMPDIR", tmp())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let kept = err
        .lines()
        .find_map(|l| {
            l.split_once("sandbox kept at ")
                .map(|(_, p)| PathBuf::from(p.trim()))
        })
        .expect(&err);
    assert!(kept.join("allowed/notes.txt").is_file() && kept.join("outside").is_dir());
    assert!(
        std::fs::symlink_metadata(kept.join("allowed/link_dir"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    std::fs::remove_dir_all(kept).unwrap();
}

#[test]
fn ctrl_c_kills_the_server_group_and_exits() {
    let pidfile = tmp().join(format!("interrupt-{}.pid", std::process::id()));
    let _ = std::fs::remove_file(&pidfile);
    let mut child = common::bin()
        .args([
            "mcp-secure",
            "probe",
            "--timeout",
            "60",
            "--allow-write",
            &tmp().display().to_string(),
            "--",
            "python3",
            &fixture("grandchild"),
            pidfile.to_str().unwrap(),
            "--hang",
        ])
        .env("TMPDIR", tmp())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !pidfile.exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Give the probe time to reach the hanging call.
    std::thread::sleep(Duration::from_millis(700));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let sent = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            sent.elapsed() < Duration::from_secs(15),
            "the probe ignored Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(2));
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.split(' ').nth(2) == Some("Z"),
        "sleep {pid} still runs: {stat}"
    );
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(err.contains("interrupted"), "{err}");
}

fn ratelimit(flag: Option<&str>) -> serde_json::Value {
    let script = fixture("ratelimit");
    let mut cmd = vec!["python3", script.as_str()];
    cmd.extend(flag);
    let out = common::bin()
        .args(["mcp-secure", "probe", "--format", "json", "--"])
        .args(&cmd)
        .env("TMPDIR", tmp())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn rate_limit_refusals_are_waited_out() {
    let json = ratelimit(None);
    let tool = &json["tools"][0];
    assert_eq!(tool["attacked"], true, "{json:#}");
    assert_eq!(json["findings"], serde_json::json!([]), "{json:#}");
}

#[test]
fn a_tool_behind_a_rate_limit_that_never_lifts_is_reported_as_not_attacked() {
    let json = ratelimit(Some("--hard"));
    let tool = &json["tools"][0];
    assert_eq!(tool["attacked"], false, "{json:#}");
    assert!(
        tool["reason"].as_str().unwrap().contains("rate limiter"),
        "{json:#}"
    );
}

#[test]
fn an_unknown_only_id_is_a_usage_error() {
    let out = common::bin()
        .args([
            "mcp-secure",
            "probe",
            "--only",
            "path-travesal",
            "--",
            "true",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`path-travesal` is not a checklist id"));
}

#[test]
fn seed_is_copied_into_allowed() {
    let seed = tmp().join(format!("seed-{}", std::process::id()));
    std::fs::create_dir_all(seed.join("sub")).unwrap();
    std::fs::write(seed.join("sub/seeded.txt"), "from the seed").unwrap();
    let out = common::bin()
        .args([
            "mcp-secure",
            "probe",
            "--keep",
            "--only",
            "stdout-pollution",
            "--seed",
        ])
        .arg(&seed)
        .args(["--", "python3", &fixture("noise"), "--fixed"])
        .env("TMPDIR", tmp())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let kept = err
        .lines()
        .find_map(|l| {
            l.split_once("sandbox kept at ")
                .map(|(_, p)| PathBuf::from(p.trim()))
        })
        .expect(&err);
    assert_eq!(
        std::fs::read_to_string(kept.join("allowed/sub/seeded.txt")).unwrap(),
        "from the seed"
    );
    std::fs::remove_dir_all(kept).unwrap();
}
