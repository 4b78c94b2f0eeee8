//! SARIF 2.1.0 output: every checklist item is a rule carrying its full documentation and
//! tags; results carry paths relative to the project root and stable fingerprints.

use serde_json::{Value, json};

use crate::checklist::{self, Item};
use crate::finding::{Finding, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Renders findings as one SARIF run. `rules` lists the items to describe (normally all).
pub fn render(findings: &[Finding], rules: &[Item]) -> Value {
    let rule_values: Vec<Value> = rules.iter().map(rule).collect();
    let results: Vec<Value> = findings.iter().map(|f| result(f, rules)).collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cargo-mcp-secure",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://crates.io/crates/cargo-mcp-secure",
                    "rules": rule_values,
                }
            },
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "the project root" } } },
            "results": results,
        }]
    })
}

/// Renders with every checklist item as a rule.
pub fn render_all(findings: &[Finding]) -> Value {
    render(findings, checklist::all())
}

fn rule(item: &Item) -> Value {
    let mut tags = vec![
        "security".to_string(),
        "mcp".to_string(),
        item.practice.clone(),
    ];
    tags.extend(item.owasp.iter().cloned());
    json!({
        "id": item.id,
        "name": pascal(&item.id),
        "shortDescription": { "text": item.title },
        "fullDescription": { "text": item.docs.what.trim() },
        "help": {
            "text": format!("{}\n\n{}", item.docs.why.trim(), item.docs.instead.trim()),
            "markdown": checklist::markdown(item),
        },
        "defaultConfiguration": { "level": level(item.severity) },
        "properties": {
            "tags": tags,
            "practice": item.practice,
            "owasp": item.owasp,
            "mcpSpec": item.mcp_spec,
            "precision": "high",
            "security-severity": match item.severity { Severity::Fail => "8.0", Severity::Warn => "5.0", Severity::Info => "2.0" },
        },
    })
}

fn result(f: &Finding, rules: &[Item]) -> Value {
    let mut out = json!({
        "ruleId": f.id,
        "level": level(f.severity),
        "message": { "text": message(f) },
        "partialFingerprints": { "mcpSecure/v1": fingerprint(f) },
    });
    if let Some(index) = rules.iter().position(|r| r.id == f.id) {
        out["ruleIndex"] = json!(index);
    }
    if let Some(loc) = &f.location {
        out["locations"] = json!([{ "physicalLocation": physical(loc) }]);
    }
    if !f.labels.is_empty() {
        let related: Vec<Value> = f
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| json!({ "id": i, "message": { "text": l.message }, "physicalLocation": physical(&l.location) }))
            .collect();
        out["relatedLocations"] = json!(related);
    }
    let mut props = serde_json::Map::new();
    if let Some(tool) = &f.tool {
        props.insert("tool".into(), json!(tool));
    }
    if let Some(ev) = &f.evidence {
        props.insert("argument".into(), json!(ev.argument));
        props.insert("request".into(), ev.request.clone());
        props.insert("evidence".into(), json!(ev.observed));
    }
    if !props.is_empty() {
        out["properties"] = Value::Object(props);
    }
    out
}

fn message(f: &Finding) -> String {
    match &f.help {
        Some(help) => format!("{}\nhelp: {help}", f.message),
        None => f.message.clone(),
    }
}

fn physical(loc: &crate::finding::Location) -> Value {
    let uri = loc
        .file
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    json!({
        "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
        "region": {
            "startLine": loc.line.max(1),
            "startColumn": loc.column.max(1),
            "endLine": loc.end_line.max(loc.line).max(1),
            "endColumn": loc.end_column.max(1),
        }
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Fail => "error",
        Severity::Warn => "warning",
        Severity::Info => "note",
    }
}

/// A fingerprint that survives code moving up or down: rule, file, tool and message, not lines.
pub fn fingerprint(f: &Finding) -> String {
    let file = f
        .location
        .as_ref()
        .map(|l| l.file.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let argument = f
        .evidence
        .as_ref()
        .and_then(|e| e.argument.clone())
        .unwrap_or_default();
    let key = [
        f.id.as_str(),
        &file,
        f.tool.as_deref().unwrap_or(""),
        &argument,
        &f.message,
    ]
    .join("\u{1f}");
    format!("{:016x}", fnv1a(key.as_bytes()))
}

/// FNV-1a, 64 bit: stable across Rust releases, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;

    fn finding(line: usize) -> Finding {
        Finding {
            id: "path-traversal".into(),
            severity: Severity::Fail,
            message: "parameter `path` of tool `read_file` reaches `std::fs::read_to_string`"
                .into(),
            location: Some(Location {
                file: "src/tools/files.rs".into(),
                line,
                column: 5,
                end_line: line,
                end_column: 40,
            }),
            labels: vec![],
            help: Some("open files through a cap_std::fs::Dir".into()),
            tool: Some("read_file".into()),
            evidence: None,
        }
    }

    #[test]
    fn results_reference_rules_with_relative_paths() {
        let sarif = render_all(&[finding(12)]);
        let run = &sarif["runs"][0];
        assert_eq!(sarif["version"], "2.1.0");
        let result = &run["results"][0];
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            run["tool"]["driver"]["rules"][index]["id"],
            "path-traversal"
        );
        let loc = &result["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "src/tools/files.rs");
        assert_eq!(loc["region"]["startLine"], 12);
        assert!(
            run["tool"]["driver"]["rules"][index]["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("## Use instead")
        );
    }

    #[test]
    fn fingerprint_is_stable_when_lines_move() {
        assert_eq!(fingerprint(&finding(12)), fingerprint(&finding(40)));
        let mut other = finding(12);
        other.tool = Some("write_file".into());
        assert_ne!(fingerprint(&finding(12)), fingerprint(&other));
    }
}
