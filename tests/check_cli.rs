//! `cargo mcp-secure check` end to end: exit codes, output formats, suppression, metadata
//! settings and robustness, on small fixture crates copied to a temporary folder.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/check-cli");

/// A fresh copy of a fixture, so tests can edit it and write files git would ignore.
fn fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    copy_dir(&Path::new(FIXTURES).join(name), &dir);
    (tmp, dir)
}

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

fn check(dir: &Path, extra: &[&str]) -> Output {
    let mut cmd = common::bin();
    cmd.args(["mcp-secure", "check", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .args(extra);
    cmd.output().unwrap()
}

fn json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let out = check(dir, &args);
    let value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), value)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn findings<'a>(v: &'a Value, id: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .collect()
}

fn status<'a>(v: &'a Value, id: &str) -> &'a Value {
    &v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}"))["status"]
}

#[test]
fn help_is_stable() {
    let out = common::bin()
        .args(["mcp-secure", "check", "--help"])
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn clean_project_exits_zero_with_no_findings() {
    let (_tmp, dir) = fixture("clean");
    let (code, v) = json(&dir, &[]);
    assert_eq!(code, 0);
    assert_eq!(v["findings"], serde_json::json!([]));
    assert_eq!(v["notes"], serde_json::json!([]));
    assert_eq!(
        v["scanned"]["rust_files"], 2,
        "main.rs and its module config.rs"
    );
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for item in items {
        assert!(item["id"].is_string());
        let s = item["status"].as_str().unwrap();
        assert!(
            ["pass", "fail", "warn", "manual", "stale"].contains(&s),
            "{s}"
        );
        assert_ne!(s, "fail");
    }
}

#[test]
fn warnings_fail_the_run_only_with_fail_on_warn() {
    let (_tmp, dir) = fixture("findings");
    let out = check(&dir, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = check(&dir, &["--fail-on", "warn"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "warning[unsafe-not-forbidden/forbid-unsafe]: crate root does not forbid `unsafe` code"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn json_has_the_documented_shape() {
    let (_tmp, dir) = fixture("findings");
    let (_, v) = json(&dir, &[]);
    let f = findings(&v, "unsafe-not-forbidden")[0];
    for key in [
        "id", "severity", "file", "line", "column", "message", "tool",
    ] {
        assert!(f.get(key).is_some(), "finding lacks `{key}`: {f}");
    }
    assert_eq!(f["file"], "src/main.rs");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(f["severity"], "warn");
    assert_eq!(f["rule"], "forbid-unsafe");
    assert_eq!(findings(&v, "missing-lockfile")[0]["file"], "Cargo.toml");
    assert_eq!(
        findings(&v, "missing-lockfile")[0]["rule"],
        "lockfile-committed"
    );
    assert!(v["notes"].is_array());
}

#[test]
fn sarif_is_2_1_0_with_rules_and_relative_uris() {
    let (_tmp, dir) = fixture("findings");
    let out = check(&dir, &["--format", "sarif"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(
        !rules.is_empty()
            && rules
                .iter()
                .all(|r| r["id"].is_string() && r["help"]["markdown"].is_string())
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.starts_with('/') && !uri.contains(':'), "{uri}");
        assert!(r["partialFingerprints"]["mcpSecure/v1"].is_string());
        // Each result names its rule, whose descriptor relates it to the result's item.
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(r["ruleId"], rule["id"]);
        assert_eq!(rule["relationships"][0]["target"]["id"], r["taxa"][0]["id"]);
    }
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"forbid-unsafe") && ids.contains(&"lockfile-committed"),
        "{ids:?}"
    );
    assert_eq!(run["taxonomies"][0]["name"], "mcp-secure-checklist");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn suppression_by_rule_name_suppresses_that_rule_only() {
    let (_tmp, dir) = fixture("findings");
    let main = dir.join("src/main.rs");
    let original = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        format!("// mcp-secure: allow(forbid-unsafe) no unsafe and no FFI\n{original}"),
    )
    .unwrap();
    let (_, v) = json(&dir, &[]);
    assert!(findings(&v, "unsafe-not-forbidden").is_empty(), "{v}");
    assert_eq!(v["summary"]["suppressed"], 1);

    // Another rule's name leaves the finding in place.
    std::fs::write(
        &main,
        format!("// mcp-secure: allow(print-to-stdout) not this one\n{original}"),
    )
    .unwrap();
    let (_, v) = json(&dir, &[]);
    assert_eq!(findings(&v, "unsafe-not-forbidden").len(), 1, "{v}");

    // In the metadata table, a rule name works as an item id does.
    std::fs::write(&main, &original).unwrap();
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{text}\n[package.metadata.mcp-secure]\nallow = {{ \"lockfile-committed\" = \"a fixture\" }}\n"),
    )
    .unwrap();
    let (_, v) = json(&dir, &[]);
    assert!(findings(&v, "missing-lockfile").is_empty(), "{v}");
    assert_eq!(findings(&v, "unsafe-not-forbidden").len(), 1);

    // A reasonless suppression by rule is reported under the rule's item.
    std::fs::write(
        &manifest,
        format!(
            "{text}\n[package.metadata.mcp-secure]\nallow = {{ \"lockfile-committed\" = \"\" }}\n"
        ),
    )
    .unwrap();
    let (_, v) = json(&dir, &[]);
    let found = findings(&v, "missing-lockfile");
    assert!(
        found
            .iter()
            .any(|f| f["rule"] == "suppression-without-reason"),
        "{v}"
    );
}

#[test]
fn inline_suppression_needs_a_reason() {
    let (_tmp, dir) = fixture("findings");
    let main = dir.join("src/main.rs");
    let original = std::fs::read_to_string(&main).unwrap();

    std::fs::write(&main, format!("// mcp-secure: allow(unsafe-not-forbidden) the crate has no unsafe and no FFI\n{original}")).unwrap();
    let (_, v) = json(&dir, &[]);
    assert!(findings(&v, "unsafe-not-forbidden").is_empty(), "{v}");
    assert_eq!(v["summary"]["suppressed"], 1);

    std::fs::write(
        &main,
        format!("// mcp-secure: allow(unsafe-not-forbidden)\n{original}"),
    )
    .unwrap();
    let (code, v) = json(&dir, &["--fail-on", "warn"]);
    assert_eq!(code, 1);
    let found = findings(&v, "unsafe-not-forbidden");
    assert_eq!(
        found.len(),
        2,
        "the finding stays and the reasonless suppression is reported: {v}"
    );
    assert!(
        found
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("has no reason"))
    );
    assert_eq!(v["summary"]["suppressed"], 0);
}

#[test]
fn metadata_allows_and_overrides_severity() {
    let (_tmp, dir) = fixture("findings");
    let manifest = dir.join("Cargo.toml");
    let original = std::fs::read_to_string(&manifest).unwrap();
    let with = |table: &str| {
        std::fs::write(
            &manifest,
            format!("{original}\n[package.metadata.mcp-secure]\n{table}\n"),
        )
        .unwrap()
    };

    with("allow = { \"missing-lockfile\" = \"a test fixture, never deployed\" }");
    let (_, v) = json(&dir, &[]);
    assert!(findings(&v, "missing-lockfile").is_empty(), "{v}");
    assert_eq!(findings(&v, "unsafe-not-forbidden").len(), 1);

    with("allow = { \"missing-lockfile\" = \"\" }");
    let (_, v) = json(&dir, &[]);
    let found = findings(&v, "missing-lockfile");
    assert_eq!(found.len(), 2, "{v}");
    assert!(
        found
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("has no reason")
                && f["file"] == "Cargo.toml")
    );

    with("severity = { \"missing-lockfile\" = \"fail\" }");
    let (code, v) = json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&v, "missing-lockfile")[0]["severity"], "fail");

    with("severity = { \"missing-lockfile\" = \"error\" }");
    let out = check(&dir, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "severity for `missing-lockfile` is \"error\"; use \"info\", \"warn\" or \"fail\""
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unreadable_files_become_notes_not_panics() {
    let (_tmp, dir) = fixture("clean");
    // No module names it, so rustc never compiles it and check does not read it (a broken
    // module is a finding: tests/check_load.rs).
    std::fs::write(dir.join("src/broken.rs"), "fn broken( {\n").unwrap();
    std::fs::write(dir.join("src/data.json"), b"{\"a\": \0}").unwrap();
    std::fs::write(dir.join("settings.toml"), b"name = \"caf\xe9\"\n").unwrap();
    std::fs::File::create(dir.join("huge.json"))
        .unwrap()
        .set_len(64 * 1024 * 1024 + 1)
        .unwrap();
    std::os::unix::fs::symlink(".", dir.join("src/loop")).unwrap();
    std::os::unix::fs::symlink("/", dir.join("src/escape")).unwrap();

    let (code, v) = json(&dir, &[]);
    assert_eq!(code, 0, "{v}");
    let notes: Vec<String> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            format!(
                "{}: {}",
                n["file"].as_str().unwrap(),
                n["message"].as_str().unwrap()
            )
        })
        .collect();
    let has = |file: &str, text: &str| {
        notes
            .iter()
            .any(|n| n.starts_with(&format!("{file}: ")) && n.contains(text))
    };
    assert!(!notes.iter().any(|n| n.contains("broken.rs")), "{notes:#?}");
    assert!(has("src/data.json", "binary file"), "{notes:#?}");
    assert!(has("settings.toml", "not valid UTF-8"), "{notes:#?}");
    assert!(has("huge.json", "64 MiB"), "{notes:#?}");
    assert!(has("src/loop", "symbolic link loop"), "{notes:#?}");
    assert!(has("src/escape", "outside the project"), "{notes:#?}");

    let out = check(&dir, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("note: src/data.json: binary file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_manifest_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = check(&tmp.path().join("nowhere"), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.starts_with("error: manifest `")
            && line.contains("does not exist; pass --manifest-path"),
        "{line}"
    );
    assert!(!line.ends_with('.'), "{line}");
    assert!(out.stdout.is_empty());
}

#[test]
fn broken_manifest_is_a_tool_error() {
    let (_tmp, dir) = fixture("clean");
    std::fs::write(dir.join("Cargo.toml"), "[package\nname = ").unwrap();
    let out = check(&dir, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("error: cannot read the project at"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn workspace_members_and_package_selection() {
    let (_tmp, dir) = fixture("workspace");
    // The workspace metadata raises `unsafe-not-forbidden` to fail; only `shared` lacks the forbid.
    let (code, v) = json(&dir, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        v["scanned"]["packages"],
        serde_json::json!(["api", "shared"])
    );
    let found = findings(&v, "unsafe-not-forbidden");
    assert_eq!(
        (found.len(), &found[0]["file"], &found[0]["severity"]),
        (
            1,
            &Value::from("crates/shared/src/lib.rs"),
            &Value::from("fail")
        )
    );

    let (code, v) = json(&dir, &["-p", "api"]);
    assert_eq!(
        (code, &v["scanned"]["packages"]),
        (0, &serde_json::json!(["api"]))
    );

    let (code, _) = json(&dir, &["--package", "api", "-p", "shared"]);
    assert_eq!(code, 1);

    let out = check(&dir, &["-p", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("package `nope` is not a member of the workspace; members: api, shared"),
        "{}",
        stderr(&out)
    );

    let (code, v) = json(&dir.join("crates/api"), &[]);
    assert_eq!(
        (code, &v["scanned"]["packages"]),
        (0, &serde_json::json!(["api"]))
    );
}

#[test]
fn git_ignored_config_is_skipped_unless_asked() {
    let (_tmp, dir) = fixture("clean");
    std::fs::write(dir.join(".gitignore"), "/local.toml\n").unwrap();
    std::fs::write(dir.join("local.toml"), "token = \"x\"\n").unwrap();
    std::fs::create_dir_all(dir.join("target/debug")).unwrap();
    std::fs::write(dir.join("target/debug/out.json"), "{}").unwrap();
    let (_, v) = json(&dir, &[]);
    let (_, all) = json(&dir, &["--include-ignored"]);
    assert_eq!(v["scanned"]["data_files"], 1, "Cargo.toml only: {v}");
    assert_eq!(
        all["scanned"]["data_files"], 2,
        "Cargo.toml and local.toml, never target/: {all}"
    );
}

#[test]
fn require_attestations_fails_on_unanswered_questions() {
    let (_tmp, dir) = fixture("tools");
    let (code, v) = json(&dir, &["--ci"]);
    assert_eq!(status(&v, "vague-tool-description"), "manual");
    assert_eq!(code, 0, "manual items are not findings: {v}");
    let (code, _) = json(&dir, &["--ci", "--require-attestations"]);
    assert_eq!(code, 1);
    let out = check(&dir, &["--ci"]);
    assert!(
        stderr(&out).contains("manual  vague-tool-description: "),
        "{}",
        stderr(&out)
    );
    // Without a terminal nothing prompts, even without --ci, and nothing is recorded.
    let before = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let mut cmd = common::bin();
    cmd.args(["mcp-secure", "check", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .stdin(std::process::Stdio::null());
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Attesting"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("Cargo.toml")).unwrap(),
        before
    );
}

#[test]
fn human_output_groups_snippets_by_item() {
    let (_tmp, dir) = fixture("findings");
    let out = check(&dir, &[]);
    // The snippets only: headers, open questions and the summary follow the checklist, which grows.
    let text: String = stderr(&out)
        .lines()
        .take_while(|l| !l.starts_with("── needs") && !l.trim_start().starts_with("Summary"))
        .filter(|l| !l.starts_with("── ") && !l.trim_start().starts_with("Checking"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(text);
    assert!(stderr(&out).contains("── unsafe-not-forbidden"));
    assert!(stderr(&out).contains("Summary"));
    assert!(!stderr(&out).contains('\u{1b}'), "NO_COLOR is honoured");
    let coloured = common::bin()
        .args([
            "mcp-secure",
            "--color",
            "always",
            "check",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        stderr(&coloured).contains('\u{1b}'),
        "--color always colours the snippets"
    );
}

#[test]
fn closed_stdout_is_not_an_error() {
    let (_tmp, dir) = fixture("findings");
    let mut child = common::bin()
        .args([
            "mcp-secure",
            "check",
            "--format",
            "sarif",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("error"), "{}", stderr(&out));
}

#[test]
fn a_crate_of_examples_is_checked_through_its_examples() {
    // Like the servers crate of an SDK repository: no library, no binary, only examples.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("server-examples");
    std::fs::create_dir_all(dir.join("src/common")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"server-examples\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[[example]]\nname = \"counter_stdio\"\npath = \"src/counter_stdio.rs\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/counter_stdio.rs"),
        "mod common;\nfn main() {}\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/common/mod.rs"), "pub fn shared() {}\n").unwrap();
    let (_, v) = json(&dir, &[]);
    assert_eq!(v["scanned"]["rust_files"], 2, "{v}");
    let notes = v["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n["file"] == "Cargo.toml"
            && n["message"]
                .as_str()
                .unwrap()
                .contains("its examples were checked")),
        "{v}"
    );
}

#[test]
fn the_projects_toolchain_file_is_not_consulted() {
    // Run the way a person runs the binary from inside the project, through rustup's `cargo`
    // proxy: a toolchain file naming a toolchain that is not installed must not matter.
    let (_tmp, dir) = fixture("clean");
    std::fs::write(
        dir.join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"1.31.0\"\n",
    )
    .unwrap();
    let out = common::bin()
        .args(["mcp-secure", "check", "--format", "json"])
        .current_dir(&dir)
        .env_remove("CARGO")
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["scanned"]["packages"],
        serde_json::json!(["clean-server"])
    );
}

#[test]
fn a_toolchain_file_above_the_temp_folder_is_not_consulted() {
    // `cargo metadata` once ran from the temp folder, so rustup honoured a toolchain file in
    // any folder above `$TMPDIR`. It now runs from `/`; this one names a toolchain that is
    // not installed, which rustup would fail to find.
    let (tmp, dir) = fixture("clean");
    let hostile = tmp.path().join("hostile");
    std::fs::create_dir_all(hostile.join("tmp")).unwrap();
    std::fs::write(
        hostile.join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"1.31.0\"\n",
    )
    .unwrap();
    let out = common::bin()
        .args(["mcp-secure", "check", "--format", "json", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("TMPDIR", hostile.join("tmp"))
        .env_remove("CARGO")
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn cargo_is_the_one_in_the_cargo_variable() {
    let (tmp, dir) = fixture("clean");
    let fake = tmp.path().join("fake-cargo");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'error: fake cargo ran' >&2\nexit 3\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&fake, perms).unwrap();
    let out = common::bin()
        .args(["mcp-secure", "check", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO", &fake)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("fake cargo ran"), "{}", stderr(&out));
}

#[test]
fn a_typo_in_the_tools_table_is_an_error_naming_the_key_and_the_file() {
    let (_tmp, dir) = fixture("clean");
    let manifest = dir.join("Cargo.toml");
    let original = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{original}\n[package.metadata.mcp-secure]\nalow = {{ \"missing-lockfile\" = \"why\" }}\n"),
    )
    .unwrap();
    let out = check(&dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("in `Cargo.toml`: [package.metadata.mcp-secure] unknown field `alow`"),
        "{err}"
    );
}
