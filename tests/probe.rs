//! The probe against small fixture servers: each attack class fires on the vulnerable variant
//! and stays quiet on the fixed one; exit codes; process-group cleanup; bounds.

mod common;

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

fn fixture(name: &str) -> String {
    common::probe_fixture(name)
}

fn tmp() -> PathBuf {
    common::scratch("probe-tmp")
}

/// Runs `probe --format json` with `opts` against `cmd`; returns the output and the parsed JSON.
fn probe(opts: &[&str], cmd: &[&str]) -> (Output, Value) {
    // A generous timeout: the machine may be busy, and only hang tests set a short one.
    let timeout: &[&str] = if opts.contains(&"--timeout") {
        &[]
    } else {
        &["--timeout", "5"]
    };
    let out = common::bin()
        .args(["mcp-secure", "probe", "--format", "json"])
        .args(timeout)
        .args(opts)
        .arg("--")
        .args(cmd)
        .env("TMPDIR", tmp())
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, json)
}

fn fixture_run(name: &str, fixed: bool, opts: &[&str]) -> (Output, Value) {
    let script = fixture(name);
    let mut cmd = vec!["python3", script.as_str()];
    if fixed {
        cmd.push("--fixed");
    }
    probe(opts, &cmd)
}

/// (id, tool) of every finding.
fn ids(json: &Value) -> Vec<(String, String)> {
    json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array in {json}"))
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["tool"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Whether some finding's message satisfies `matches`.
fn any_message(json: &Value, matches: impl Fn(&str) -> bool) -> bool {
    json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| f["message"].as_str().is_some_and(&matches))
}

/// Whether some `id` finding's evidence contains `text`.
fn evidence_contains(json: &Value, id: &str, text: &str) -> bool {
    json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| f["id"] == id && f["evidence"].as_str().unwrap_or("").contains(text))
}

fn has(json: &Value, id: &str, tool: &str) -> bool {
    ids(json).iter().any(|(i, t)| i == id && t == tool)
}

/// The fixed variant may lack a rate limiter (that is the burst check's business), nothing else.
fn assert_quiet(json: &Value) {
    let noisy: Vec<_> = ids(json)
        .into_iter()
        .filter(|(i, _)| i != "missing-rate-limit")
        .collect();
    assert!(
        noisy.is_empty(),
        "fixed fixture reported {noisy:?}: {json:#}"
    );
}

#[test]
fn path_traversal_fires_on_prefix_checks_and_stays_quiet_when_resolved() {
    let (out, json) = fixture_run("files", false, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(has(&json, "path-traversal", "read_file"));
    assert!(has(&json, "path-traversal", "write_file"));
    let sibling = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["request"].to_string().contains("allowed_evil"));
    assert!(sibling, "the prefix-sharing sibling was not reported");
    let (out, json) = fixture_run("files", true, &[]);
    assert_quiet(&json);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn empty_schemas_get_argument_names_from_the_servers_errors() {
    let (_, json) = fixture_run("files", false, &["--only", "path-traversal"]);
    let (_, derived) = probe(
        &["--only", "path-traversal"],
        &["python3", &fixture("files"), "--empty-schema"],
    );
    assert!(has(&derived, "path-traversal", "read_file"), "{derived:#}");
    let note = derived["tools"][0]["derived"].as_str().unwrap_or("");
    assert!(
        note.contains("`path`") && note.contains("error messages"),
        "{note}"
    );
    assert!(json["tools"][0].get("derived").is_none());
}

#[test]
fn shell_injection_fires_on_a_shell_and_stays_quiet_on_argv() {
    let (_, json) = fixture_run("shell", false, &[]);
    assert!(has(&json, "command-injection", "search_notes"), "{json:#}");
    let echoed = json["findings"].as_array().unwrap().iter().any(|f| {
        f["evidence"]
            .as_str()
            .unwrap_or("")
            .contains("evaluated $((6*7))")
    });
    assert!(echoed, "the evaluated echo was not reported: {json:#}");
    let (_, json) = fixture_run("shell", true, &[]);
    assert_quiet(&json);
}

#[test]
fn option_injection_fires_without_double_dash() {
    let (_, json) = fixture_run("option", false, &[]);
    assert!(has(&json, "command-injection", "sort_words"), "{json:#}");
    assert!(
        has(&json, "command-injection", "describe_entry"),
        "{json:#}"
    );
    let echoed = json["findings"].as_array().unwrap().iter().any(|f| {
        f["evidence"]
            .as_str()
            .unwrap_or("")
            .contains("unrecognized option")
    });
    assert!(
        echoed,
        "the child's unknown-option error was not used as evidence"
    );
    let (_, json) = fixture_run("option", true, &[]);
    assert_quiet(&json);
}

#[test]
fn sql_injection_fires_on_commit_escape_and_concatenation() {
    let (_, json) = fixture_run("sql", false, &[]);
    assert!(has(&json, "sql-injection", "query"), "{json:#}");
    assert!(has(&json, "sql-injection", "find_user"), "{json:#}");
    let commit = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["request"].to_string().contains("COMMIT;"));
    assert!(commit, "the write after COMMIT; was not reported");
    let (_, json) = fixture_run("sql", true, &[]);
    assert_quiet(&json);
}

#[test]
fn error_hygiene_and_secret_canaries() {
    let (_, json) = fixture_run("errors", false, &["--secret-env", "API_TOKEN"]);
    assert!(
        has(&json, "information-disclosure", "get_setting"),
        "{json:#}"
    );
    assert!(
        has(&json, "unsanitised-output", "server_status"),
        "{json:#}"
    );
    let (_, json) = fixture_run("errors", true, &["--secret-env", "API_TOKEN"]);
    assert_quiet(&json);
}

#[test]
fn crashes_and_hangs_are_reported_and_the_probe_goes_on() {
    let (_, json) = fixture_run("oversize", false, &["--timeout", "1"]);
    let evidence: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "crash-or-hang")
        .filter_map(|f| f["evidence"].as_str())
        .collect();
    assert!(
        evidence.iter().any(|e| e.contains("no response")),
        "{json:#}"
    );
    assert!(evidence.iter().any(|e| e.contains("exited")), "{json:#}");
    let hang = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["evidence"].as_str().unwrap_or("").contains("no response"))
        .unwrap();
    assert!(
        hang["request"].to_string().len() < 2000,
        "the 1 MiB payload is summarised in the evidence"
    );
    let (_, json) = fixture_run("oversize", true, &[]);
    assert_quiet(&json);
}

#[test]
fn hidden_tools_that_run_are_reported() {
    let (_, json) = fixture_run("hidden", false, &[]);
    assert!(has(&json, "hidden-tool", "write_note"), "{json:#}");
    assert!(
        has(&json, "unvalidated-input", "read_note"),
        "1 MiB accepted: {json:#}"
    );
    let (_, json) = fixture_run("hidden", true, &[]);
    assert_quiet(&json);
}

#[test]
fn metadata_checks() {
    let (_, json) = fixture_run("metadata", false, &[]);
    assert!(has(&json, "tool-poisoning", "get_forecast"), "{json:#}");
    assert!(
        has(&json, "vague-tool-description", "update_settings"),
        "{json:#}"
    );
    assert!(
        has(&json, "misleading-annotation", "update_settings"),
        "{json:#}"
    );
    assert!(
        has(&json, "misleading-annotation", "delete_record"),
        "{json:#}"
    );
    let (_, json) = fixture_run("metadata", true, &[]);
    assert_quiet(&json);
    let delete = json["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "delete_record")
        .unwrap();
    assert_eq!(delete["attacked"], false);
    assert!(delete["reason"].as_str().unwrap().contains("--destructive"));
}

#[test]
fn stdout_pollution_and_rate_limits() {
    let (_, json) = fixture_run("noise", false, &[]);
    assert!(
        ids(&json).iter().any(|(i, _)| i == "stdout-pollution"),
        "{json:#}"
    );
    assert!(has(&json, "missing-rate-limit", "list_items"), "{json:#}");
    let (out, json) = fixture_run("noise", true, &["--fail-on", "warn"]);
    assert_eq!(ids(&json), Vec::<(String, String)>::new(), "{json:#}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn warnings_fail_only_with_fail_on_warn() {
    let (out, json) = fixture_run("files", true, &["--only", "missing-rate-limit"]);
    assert!(has(&json, "missing-rate-limit", "read_file"));
    assert_eq!(out.status.code(), Some(0));
    let (out, _) = fixture_run(
        "files",
        true,
        &["--only", "missing-rate-limit", "--fail-on", "warn"],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_server_that_exits_at_once_is_exit_2_with_its_stderr() {
    let (out, _) = probe(
        &[],
        &[
            "python3",
            "-c",
            "import sys; sys.stderr.write('boom: no config\\n'); sys.exit(3)",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("spoke no MCP") && err.contains("boom: no config"),
        "{err}"
    );
}

#[test]
fn a_server_that_prints_garbage_is_exit_2() {
    let (out, _) = probe(
        &["--timeout", "1"],
        &["sh", "-c", "echo this is not json; sleep 5"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("this is not json"), "{err}");
}

#[test]
fn a_missing_command_is_exit_2() {
    let (out, _) = probe(&[], &["/nonexistent/server"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not start"));
}

#[test]
fn the_whole_process_group_is_killed() {
    let pidfile = tmp().join(format!("grandchild-{}.pid", std::process::id()));
    let _ = std::fs::remove_file(&pidfile);
    let allow = tmp().display().to_string();
    let (out, _) = probe(
        &["--allow-write", &allow],
        &["python3", &fixture("grandchild"), pidfile.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    // Gone, or a zombie waiting for init: either way it no longer runs.
    assert!(
        stat.is_empty() || stat.split(' ').nth(2) == Some("Z"),
        "sleep {pid} still runs: {stat}"
    );
}

#[test]
fn max_calls_bounds_the_run() {
    let (_, json) = fixture_run("files", false, &["--max-calls", "5"]);
    assert!(json["calls"].as_u64().unwrap() <= 5, "{json:#}");
    assert!(json["stopped"].as_str().unwrap().contains("--max-calls"));
}

#[test]
fn placeholders_and_env_reach_the_server_and_the_sandbox_is_removed() {
    let script = "import os,sys,json; json.dump({'a': sys.argv[1:], 'e': os.environ.get('WHERE')}, open(os.environ['OUT'], 'w')); sys.exit(1)";
    let out_file = tmp().join(format!("placeholders-{}.json", std::process::id()));
    let out_env = format!("OUT={}", out_file.display());
    let allow = tmp().display().to_string();
    let (out, _) = probe(
        &[
            "--env",
            "WHERE={outside}",
            "--env",
            &out_env,
            "--allow-write",
            &allow,
        ],
        &["python3", "-c", script, "{allowed}", "{workspace}"],
    );
    assert_eq!(out.status.code(), Some(2));
    let seen: Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    let allowed = seen["a"][0].as_str().unwrap();
    assert!(allowed.ends_with("/allowed"), "{seen}");
    assert_eq!(
        seen["e"].as_str().unwrap(),
        format!("{}/outside", seen["a"][1].as_str().unwrap())
    );
    assert!(
        !std::path::Path::new(allowed).exists(),
        "the sandbox was left behind"
    );
}

/// Replaces the random parts of a run (sandbox folder, canary names and values, markers).
fn redact(text: &str) -> String {
    let mut out = text.replace(&tmp().display().to_string(), "[tmp]");
    for prefix in [
        "mcp-probe-",
        "canary-",
        "unlisted-",
        "sibling-",
        "dangling-",
        "MCPCANARYFILE",
        "mcpcanary",
        "mcpprobe",
        "probe_",
        "mcp_probe_",
    ] {
        let mut result = String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find(prefix) {
            result.push_str(&rest[..i + prefix.len()]);
            rest = &rest[i + prefix.len()..];
            let len = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            if len > 0 {
                result.push_str("[random]");
            }
            rest = &rest[len..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

#[test]
fn json_output_snapshot() {
    let (out, mut json) = fixture_run("files", false, &["--only", "path-traversal"]);
    assert_eq!(out.status.code(), Some(1));
    // The kernel decides the confinement's wording (its Landlock ABI): tests/probe_confine.rs.
    assert!(json["confinement"]["writes"]["on"].is_boolean(), "{json:#}");
    json.as_object_mut().unwrap().remove("confinement");
    insta::assert_snapshot!(redact(&format!("{json:#}")));
}

#[test]
fn without_a_command_the_cargo_package_is_built_and_probed_with_its_metadata() {
    let dir = tmp().join(format!("package-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"probe-me\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n\
         [package.metadata.mcp-secure.probe]\nargs = [{:?}, \"{{allowed}}\"]\nenv = {{ MODE = \"x\" }}\nsecret-env = [\"API_TOKEN\"]\n",
        fixture("errors")
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    // The binary hands stdio to the Python fixture, so no MCP crate has to be compiled here.
    let main = "fn main() { let a: Vec<String> = std::env::args().skip(1).collect(); \
                assert!(a[1].ends_with(\"/allowed\")); assert_eq!(std::env::var(\"MODE\").unwrap(), \"x\"); \
                let s = std::process::Command::new(\"python3\").arg(&a[0]).status().unwrap(); std::process::exit(s.code().unwrap_or(1)); }";
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
    let out = common::bin()
        .args([
            "mcp-secure",
            "probe",
            "--format",
            "json",
            "--only",
            "unsanitised-output",
        ])
        .current_dir(&dir)
        .env("TMPDIR", tmp())
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(
        has(&json, "unsanitised-output", "server_status"),
        "{json:#}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_tautology_is_seen_even_when_sql_errors_are_hidden() {
    let (_, json) = probe(
        &["--only", "sql-injection"],
        &["python3", &fixture("sql"), "--quiet-errors"],
    );
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["tool"] == "find_user")
        .unwrap_or_else(|| panic!("{json:#}"));
    assert!(f["request"].to_string().contains("OR '1'='1"), "{f:#}");
}

#[test]
fn without_schema_or_helpful_errors_names_come_from_the_tool_name() {
    let (_, json) = probe(
        &["--only", "path-traversal"],
        &[
            "python3",
            &fixture("files"),
            "--empty-schema",
            "--vague-errors",
        ],
    );
    assert!(has(&json, "path-traversal", "read_file"), "{json:#}");
    let note = json["tools"][0]["derived"].as_str().unwrap_or("");
    assert!(
        note.contains("`path`") && note.contains("name and description"),
        "{note}"
    );
}

#[test]
fn max_time_bounds_a_slow_server() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/probe");
    let script = "import time\nfrom mcp_fixture import serve, text, tool\n\
                  @tool('echo_text', 'Return the given text unchanged after a pause.', {'text': {'type': 'string', 'maxLength': 9}}, ['text'])\n\
                  def echo(args):\n    time.sleep(0.2)\n    return text('ok')\nserve('slow')\n";
    let env = format!("PYTHONPATH={}", dir.display());
    let start = std::time::Instant::now();
    let (_, json) = probe(
        &["--max-time", "2", "--env", &env],
        &["python3", "-c", script],
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(6),
        "took {:?}",
        start.elapsed()
    );
    assert!(
        json["stopped"].as_str().unwrap_or("").contains("wall-time"),
        "{json:#}"
    );
}

#[test]
fn confirmation_codes_must_be_bound_to_their_arguments() {
    let (_, json) = fixture_run(
        "confirm",
        false,
        &["--destructive", "--only", "missing-confirmation"],
    );
    assert!(
        has(&json, "missing-confirmation", "delete_item"),
        "{json:#}"
    );
    let (_, json) = fixture_run(
        "confirm",
        true,
        &["--destructive", "--only", "missing-confirmation"],
    );
    assert_quiet(&json);
    let (_, json) = fixture_run("confirm", false, &["--only", "missing-confirmation"]);
    assert_eq!(
        json["tools"][0]["attacked"], false,
        "destructive tools wait for --destructive"
    );
}

#[test]
fn prompts_are_checked_for_poisoning_too() {
    let (_, json) = fixture_run("metadata", false, &["--only", "tool-poisoning"]);
    let prompt = json["findings"].as_array().unwrap().iter().any(|f| {
        f["message"]
            .as_str()
            .unwrap()
            .contains("prompts entry `summarise`")
    });
    assert!(prompt, "{json:#}");
}

#[test]
fn an_unknown_protocol_version_is_a_violation() {
    let (_, json) = probe(
        &["--only", "protocol-violation"],
        &["python3", &fixture("noise"), "--fixed", "--bad-version"],
    );
    assert!(
        ids(&json).iter().any(|(i, _)| i == "protocol-violation"),
        "{json:#}"
    );
    assert_eq!(json["server"]["protocol"], "1999-01-01");
    let (_, json) = fixture_run("noise", true, &["--only", "protocol-violation"]);
    assert_quiet(&json);
}

#[test]
fn a_server_killed_by_malformed_json_is_reported() {
    let (_, json) = probe(
        &["--only", "crash-or-hang"],
        &["python3", &fixture("noise"), "--fixed", "--fragile-json"],
    );
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "crash-or-hang")
        .unwrap_or_else(|| panic!("{json:#}"));
    assert!(
        f["evidence"]
            .as_str()
            .unwrap()
            .contains("exited after one malformed JSON line"),
        "{f:#}"
    );
}

#[test]
fn the_environment_is_minimal_unless_inherited() {
    let script = "import os,json; json.dump(dict(os.environ), open(os.environ['OUT'], 'w')); raise SystemExit(1)";
    for inherit in [false, true] {
        let out_file = tmp().join(format!("env-{inherit}-{}.json", std::process::id()));
        let mut cmd = common::bin();
        cmd.args(["mcp-secure", "probe", "--secret-env", "MY_TOKEN", "--env"])
            .arg(format!("OUT={}", out_file.display()))
            .arg("--allow-write")
            .arg(tmp());
        if inherit {
            cmd.arg("--inherit-env");
        }
        let out = cmd
            .args(["--", "python3", "-c", script])
            .env("TMPDIR", tmp())
            .env("PROBE_TEST_OUTER", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let env: Value =
            serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
        assert_eq!(env.get("PROBE_TEST_OUTER").is_some(), inherit, "{env:#}");
        assert!(
            env["MY_TOKEN"].as_str().unwrap().starts_with("mcpcanary"),
            "a canary, never a real value"
        );
        assert!(
            env["HOME"].as_str().unwrap().ends_with("/home"),
            "HOME inside the sandbox"
        );
    }
}

#[test]
fn every_call_must_leave_a_line_naming_its_tool_on_stderr() {
    let files = fixture("files");
    let (_, json) = probe(
        &["--only", "missing-audit-log"],
        &["python3", &files, "--fixed", "--no-audit"],
    );
    for tool in ["read_file", "list_directory"] {
        assert!(has(&json, "missing-audit-log", tool), "{tool}: {json:#}");
    }
    let finding = &json["findings"][0];
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("left 0 lines naming it on stderr"),
        "{json:#}"
    );
    assert_eq!(finding["request"]["method"], "tools/call", "{json:#}");
    // The same server with a line per call is quiet.
    let (_, json) = fixture_run("files", true, &["--only", "missing-audit-log"]);
    assert_quiet(&json);
    // A server that keeps its trail elsewhere leaves the check out.
    let (out, json) = probe(
        &["--skip", "missing-audit-log,missing-rate-limit"],
        &["python3", &files, "--fixed", "--no-audit"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(ids(&json), Vec::<(String, String)>::new(), "{json:#}");
    let (out, _) = probe(&["--skip", "no-such-item"], &["python3", &files, "--fixed"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`no-such-item` is not a checklist id"));
}

#[test]
fn a_planted_secret_in_the_log_is_reported_without_repeating_it() {
    let (out, json) = probe(
        &["--only", "missing-audit-log", "--secret-env", "API_TOKEN"],
        &["python3", &fixture("files"), "--fixed", "--audit-secret"],
    );
    let secret = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("`API_TOKEN`"))
        .unwrap_or_else(|| panic!("no finding for the logged secret: {json:#}"));
    assert!(secret["tool"].is_null(), "{secret:#}");
    let observed = secret["evidence"].as_str().unwrap();
    assert!(observed.contains("<canary>"), "{observed}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("mcpcanary"),
        "the canary was repeated"
    );
}

#[test]
fn a_server_that_ignores_its_stdin_closing_is_reported_and_killed() {
    let started = std::time::Instant::now();
    let (out, json) = probe(
        &["--only", "protocol-violation", "--timeout", "1"],
        &["python3", &fixture("noise"), "--fixed", "--ignore-eof"],
    );
    assert!(
        any_message(&json, |m| m
            == "the server does not exit when its client closes stdin"),
        "{json:#}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning alone does not fail the run"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "the probe waited for the server"
    );
    let (_, json) = fixture_run("noise", true, &["--only", "protocol-violation"]);
    assert_quiet(&json);
}

#[test]
fn a_line_printed_on_stdout_after_the_last_response_is_pollution_too() {
    let (_, json) = probe(
        &["--only", "stdout-pollution"],
        &["python3", &fixture("noise"), "--fixed", "--goodbye"],
    );
    assert!(
        evidence_contains(&json, "stdout-pollution", "goodbye"),
        "{json:#}"
    );
}

#[test]
fn arguments_of_the_wrong_type_must_be_refused() {
    // Without --fixed the fixture checks no schema, and `--lenient-types` makes its tools take
    // any value as a string.
    let (_, json) = probe(
        &["--only", "unvalidated-input"],
        &["python3", &fixture("hidden"), "--lenient-types"],
    );
    assert!(
        any_message(&json, |m| m
            == "`read_note` accepts arguments of the wrong type"),
        "{json:#}"
    );
    // Fixed, it checks the schema first.
    let (_, json) = probe(
        &["--only", "unvalidated-input"],
        &["python3", &fixture("hidden"), "--fixed", "--lenient-types"],
    );
    assert_quiet(&json);
    // A schema without types allows any value, so accepting one proves nothing.
    let (_, json) = probe(
        &["--only", "unvalidated-input"],
        &[
            "python3",
            &fixture("hidden"),
            "--lenient-types",
            "--untyped-schema",
        ],
    );
    assert!(
        !any_message(&json, |m| m.contains("wrong type")),
        "{json:#}"
    );
}

#[test]
fn unknown_methods_and_unsupported_versions_follow_the_protocol() {
    let (_, json) = probe(
        &["--only", "protocol-violation"],
        &[
            "python3",
            &fixture("noise"),
            "--fixed",
            "--echo-version",
            "--no-method-errors",
        ],
    );
    assert!(
        any_message(&json, |m| m.contains("unknown method with error -32601")),
        "{json:#}"
    );
    assert!(
        any_message(&json, |m| m
            .contains("did not answer with a version it supports")),
        "{json:#}"
    );
    // The second server sends no tool call, so a spent call budget does not skip it.
    let (_, json) = probe(
        &["--only", "protocol-violation", "--max-calls", "1"],
        &["python3", &fixture("noise"), "--fixed", "--echo-version"],
    );
    assert!(
        any_message(&json, |m| m
            .contains("did not answer with a version it supports")),
        "{json:#}"
    );
    // The fixture without those flags answers -32601 and its own version.
    let (_, json) = fixture_run("noise", true, &["--only", "protocol-violation"]);
    assert_quiet(&json);
}

#[test]
fn the_servers_instructions_are_checked_for_poisoning_too() {
    let (_, json) = fixture_run("metadata", false, &["--only", "tool-poisoning"]);
    assert!(
        any_message(&json, |m| m.starts_with(
            "the server's `instructions` text carries instructions aimed at the model"
        )),
        "{json:#}"
    );
    let (_, json) = fixture_run("metadata", true, &["--only", "tool-poisoning"]);
    assert_quiet(&json);
}

#[test]
fn a_server_that_dies_on_an_unknown_method_is_restarted_and_still_attacked() {
    let (_, json) = probe(&[], &["python3", &fixture("shell"), "--die-on-unknown"]);
    assert!(
        evidence_contains(&json, "protocol-violation", "closed the connection"),
        "{json:#}"
    );
    assert!(
        has(&json, "command-injection", "search_notes"),
        "the attacks still ran: {json:#}"
    );
}

#[test]
fn a_child_that_escaped_the_group_cannot_keep_the_probe_waiting() {
    let pidfile = tmp().join(format!("escaped-{}.pid", std::process::id()));
    let started = std::time::Instant::now();
    let allow = tmp().display().to_string();
    let (out, json) = probe(
        &["--only", "stdout-pollution", "--allow-write", &allow],
        &["python3", &fixture("escape"), pidfile.to_str().unwrap()],
    );
    let elapsed = started.elapsed();
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    let gone = stat.is_empty() || stat.split(' ').nth(2) == Some("Z");
    if !gone {
        let _ = std::process::Command::new("kill").arg(pid.trim()).status();
    }
    // The probe is its subreaper, so the child that left the group was swept at the stop.
    assert!(gone, "the escaped child {pid} survived: {stat}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(has(&json, "stdout-pollution", ""), "{json:#}");
    assert!(
        elapsed < std::time::Duration::from_secs(60),
        "the probe waited {elapsed:?}"
    );
}
