//! `check --probe`: the probe's observations are filed under the checklist items, next to the
//! static findings, with the request that caused each.

mod common;

use serde_json::Value;

fn check_probe(template: &str) -> (Option<i32>, Value) {
    let dir = common::generated(template, "all");
    let tmp = common::tmp_root().join("probe-tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let out = common::bin()
        .args([
            "mcp-secure",
            "check",
            "--probe",
            "--ci",
            "--format",
            "json",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", common::servers_target())
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

#[test]
fn secure_project_passes_check_with_probe() {
    let (code, json) = check_probe("secure");
    assert_eq!(json["findings"], Value::Array(Vec::new()), "{json:#}");
    assert_eq!(code, Some(0));
}

#[test]
fn workshop_probe_findings_land_under_their_items() {
    let (code, json) = check_probe("workshop");
    assert_eq!(code, Some(1));
    let findings = json["findings"].as_array().unwrap();
    let probed: Vec<&Value> = findings
        .iter()
        .filter(|f| !f["request"].is_null())
        .collect();
    // A traversal read proven by a canary, with the exact JSON-RPC request that did it.
    let traversal = probed
        .iter()
        .find(|f| f["id"] == "path-traversal" && f["tool"] == "read_file")
        .unwrap_or_else(|| panic!("no probed traversal: {json:#}"));
    assert_eq!(traversal["request"]["method"], "tools/call");
    assert_eq!(traversal["argument"], "path");
    assert!(
        traversal["evidence"].as_str().unwrap().contains("canary"),
        "{traversal}"
    );
    for id in [
        "path-traversal",
        "command-injection",
        "sql-injection",
        "stdout-pollution",
    ] {
        let item = json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap();
        assert_eq!(item["status"], "fail", "{id}");
        assert!(
            probed.iter().any(|f| f["id"] == id),
            "no probe finding under {id}"
        );
    }
}
