//! `check` against the generated templates: `secure` is clean for every kit set, and every
//! planted `FLAW(<id>)` marker of `workshop` is found under its own item at the marked line.

mod common;

use std::path::Path;

use serde_json::Value;

fn check(dir: &Path) -> (Option<i32>, Value) {
    let out = common::bin()
        .args([
            "mcp-secure",
            "check",
            "--ci",
            "--format",
            "json",
            "--fail-on",
            "warn",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

#[test]
fn secure_is_clean_for_every_kit_set() {
    let sets = ["none", "files", "sql", "command", "confirm", "all"];
    let over_http = ["none", "all"].map(|k| (k, "http"));
    for (kits, transport) in sets.map(|k| (k, "stdio")).into_iter().chain(over_http) {
        let (code, json) = check(&common::generated_over("secure", kits, transport));
        assert_eq!(
            json["findings"],
            Value::Array(Vec::new()),
            "kits {kits} over {transport}: {json:#}"
        );
        assert_eq!(code, Some(0), "kits {kits} over {transport}");
        assert_eq!(
            json["notes"],
            Value::Array(Vec::new()),
            "kits {kits} over {transport}: {json:#}"
        );
    }
}

/// Every `FLAW(<id>)` marker in the generated project: (file, line, id).
fn markers(root: &Path) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            for (i, line) in text.lines().enumerate() {
                // Only comment markers count (`// FLAW(id)` or `# FLAW(id)`), not prose about them.
                let Some(rest) = line
                    .split("// FLAW(")
                    .nth(1)
                    .or_else(|| line.split("# FLAW(").nth(1))
                else {
                    continue;
                };
                let id = rest.split(')').next().unwrap();
                if id.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                    out.push((rel.clone(), i + 1, id.to_string()));
                }
            }
        }
    }
    out.sort();
    out
}

fn workshop_flaws_found(kits: &str) {
    let dir = common::generated("workshop", kits);
    let (code, json) = check(&dir);
    assert_eq!(code, Some(1), "workshop must fail the check");
    let findings = json["findings"].as_array().unwrap();
    let planted = markers(&dir);
    assert!(!planted.is_empty());
    for (file, line, id) in &planted {
        // The flawed code sits on the line after its marker, or within the next three lines;
        // a file-level flaw (no `forbid(unsafe_code)`) is reported at the marker's own line.
        let found = findings.iter().any(|f| {
            f["id"] == id.as_str()
                && f["file"] == file.as_str()
                && f["line"]
                    .as_u64()
                    .is_some_and(|l| (*line as u64..=*line as u64 + 3).contains(&l))
        });
        assert!(
            found,
            "FLAW({id}) at {file}:{line} was not found under `{id}`"
        );
        let item = json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id.as_str())
            .unwrap();
        assert!(
            item["status"] == "fail" || item["status"] == "warn",
            "{id}: {item}"
        );
    }
    let mut lines: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}:{} {}",
                f["id"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["file"].as_str().unwrap_or("-"),
                f["line"],
                f["tool"].as_str().unwrap_or("-")
            )
        })
        .collect();
    lines.sort();
    insta::assert_snapshot!(format!("workshop_{kits}_findings"), lines.join("\n"));
}

#[test]
fn workshop_every_planted_flaw_is_found_with_all_kits() {
    workshop_flaws_found("all");
}

#[test]
fn workshop_every_planted_flaw_is_found_without_kits() {
    workshop_flaws_found("none");
}
