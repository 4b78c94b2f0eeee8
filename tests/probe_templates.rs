//! The probe against the generated templates: the `secure` server yields no finding, the
//! `workshop` twin's reachable planted flaws are all reported with evidence.

mod common;

use serde_json::Value;

fn probe(bin: &std::path::Path, args: &[&str]) -> (Option<i32>, Value) {
    let tmp = common::tmp_root().join("probe-tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let out = common::bin()
        .args([
            "mcp-secure",
            "probe",
            "--format",
            "json",
            "--destructive",
            "--secret-env",
            "API_TOKEN",
            "--",
        ])
        .arg(bin)
        .args(args)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

#[test]
fn secure_server_has_no_findings() {
    let bin = common::built_server("secure", "all");
    // The files kit serves only its configured roots: the sandbox is given as one.
    let (code, json) = probe(&bin, &["--root", "{allowed}"]);
    assert_eq!(json["findings"], Value::Array(Vec::new()), "{json:#}");
    assert_eq!(code, Some(0));
    for tool in json["tools"].as_array().unwrap() {
        assert_eq!(tool["attacked"], true, "{tool}");
        assert_eq!(
            tool["baseline"], "ok",
            "a refused baseline proves nothing: {tool}"
        );
    }
}

#[test]
fn workshop_planted_flaws_are_found() {
    let bin = common::built_server("workshop", "all");
    let (code, json) = probe(&bin, &[]);
    assert_eq!(code, Some(1));
    let mut lines: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}: {}",
                f["severity"].as_str().unwrap(),
                f["id"].as_str().unwrap(),
                f["tool"].as_str().unwrap_or("-"),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    lines.sort();
    lines.dedup();
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["request"].is_null()
                && f["evidence"].as_str().is_some_and(|e| !e.is_empty()))
    );
    insta::assert_snapshot!(lines.join("\n"));
}
