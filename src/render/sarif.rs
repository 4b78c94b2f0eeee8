//! SARIF 2.1.0 output. Every rule is a `reportingDescriptor` (id = rule name) with its
//! precision and severity, related to its checklist item; the checklist items are the taxa of
//! one taxonomy carrying their full documentation and tags. Results name their rule, carry
//! paths relative to the project root and stable fingerprints.

use serde_json::{Value, json};

use crate::check::rules::{Precision, rules};
use crate::checklist::{self, Item};
use crate::finding::{Finding, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The name of the taxonomy whose taxa are the checklist items.
pub const TAXONOMY: &str = "mcp-secure-checklist";

/// A rule as SARIF describes it.
struct Descriptor {
    id: String,
    /// The checklist items it reports under (one for a static rule).
    items: Vec<String>,
    severity: Severity,
    precision: Precision,
}

/// Every static rule, then each other rule the findings name (the probe's, a declined
/// attestation, a reasonless suppression), related to the items it reported under.
fn descriptors(findings: &[Finding]) -> Vec<Descriptor> {
    let mut out: Vec<Descriptor> = rules()
        .into_iter()
        .map(|r| Descriptor {
            id: r.name.to_string(),
            items: vec![r.item.to_string()],
            severity: r.severity,
            precision: r.precision,
        })
        .collect();
    for f in findings {
        match out.iter_mut().find(|d| d.id == f.rule) {
            Some(d) if !d.items.contains(&f.id) => d.items.push(f.id.clone()),
            Some(_) => {}
            None => out.push(Descriptor {
                id: f.rule.clone(),
                items: vec![f.id.clone()],
                severity: checklist::get(&f.id).map_or(f.severity, |i| i.severity),
                // The probe reports what it observed; the others restate a person's words.
                precision: Precision::High,
            }),
        }
    }
    out
}

/// Renders findings as one SARIF run, with every rule and every checklist item described.
pub fn render_all(findings: &[Finding]) -> Value {
    let items = checklist::all();
    let descriptors = descriptors(findings);
    let rule_values: Vec<Value> = descriptors.iter().map(|d| rule(d, items)).collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| result(f, &descriptors, items))
        .collect();
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
                    "supportedTaxonomies": [{ "name": TAXONOMY, "index": 0 }],
                }
            },
            "taxonomies": [{
                "name": TAXONOMY,
                "version": env!("CARGO_PKG_VERSION"),
                "shortDescription": { "text": "the cargo mcp-secure checklist" },
                "taxa": items.iter().map(taxon).collect::<Vec<_>>(),
            }],
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "the project root" } } },
            "results": results,
        }]
    })
}

/// A checklist item as a taxon, with its documentation and tags.
fn taxon(item: &Item) -> Value {
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
        },
    })
}

/// A reference to the taxon of item `id`.
fn taxon_ref(id: &str, items: &[Item]) -> Value {
    let mut target = json!({ "id": id, "toolComponent": { "name": TAXONOMY, "index": 0 } });
    if let Some(index) = items.iter().position(|i| i.id == id) {
        target["index"] = json!(index);
    }
    target
}

fn rule(d: &Descriptor, items: &[Item]) -> Value {
    let item = d.items.first().and_then(|id| checklist::get(id));
    let mut tags = vec!["security".to_string(), "mcp".to_string()];
    if let Some(item) = item {
        tags.push(item.practice.clone());
        tags.extend(item.owasp.iter().cloned());
    }
    // The item covers more than the rule: each result belongs to the item's taxon as well.
    let relationships: Vec<Value> = d
        .items
        .iter()
        .map(|id| json!({ "target": taxon_ref(id, items), "kinds": ["superset"] }))
        .collect();
    let mut value = json!({
        "id": d.id,
        "name": pascal(&d.id.replace(':', "-")),
        "defaultConfiguration": { "level": level(d.severity) },
        "relationships": relationships,
        "properties": {
            "tags": tags,
            "items": d.items,
            "precision": d.precision.name(),
            "problem.severity": match d.severity { Severity::Fail => "error", Severity::Warn => "warning", Severity::Info => "recommendation" },
            "security-severity": match d.severity { Severity::Fail => "8.0", Severity::Warn => "5.0", Severity::Info => "2.0" },
        },
    });
    if let Some(item) = item {
        value["shortDescription"] = json!({ "text": item.title });
        value["fullDescription"] = json!({ "text": item.docs.what.trim() });
        value["help"] = json!({
            "text": format!("{}\n\n{}", item.docs.why.trim(), item.docs.instead.trim()),
            "markdown": checklist::markdown(item),
        });
    }
    value
}

fn result(f: &Finding, rules: &[Descriptor], items: &[Item]) -> Value {
    let mut out = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": { "text": message(f) },
        "taxa": [taxon_ref(&f.id, items)],
        "partialFingerprints": { "mcpSecure/v1": fingerprint(f) },
    });
    if let Some(index) = rules.iter().position(|r| r.id == f.rule) {
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
        &f.rule,
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
            rule: "path-join-unchecked".into(),
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
        assert_eq!(result["ruleId"], "path-join-unchecked");
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        let rule = &run["tool"]["driver"]["rules"][index];
        assert_eq!(rule["id"], "path-join-unchecked");
        let target = &rule["relationships"][0]["target"];
        assert_eq!(target["id"], "path-traversal");
        assert_eq!(target["toolComponent"]["name"], TAXONOMY);
        let taxon = &run["taxonomies"][0]["taxa"][target["index"].as_u64().unwrap() as usize];
        assert_eq!(taxon["id"], "path-traversal");
        assert!(
            taxon["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("## Use instead")
        );
        assert_eq!(result["taxa"][0]["id"], "path-traversal");
        let loc = &result["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "src/tools/files.rs");
        assert_eq!(loc["region"]["startLine"], 12);
    }

    #[test]
    fn every_static_rule_is_described_with_its_precision_and_item() {
        let sarif = render_all(&[]);
        let described = sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(described.len(), rules().len());
        for (d, r) in described.iter().zip(rules()) {
            assert_eq!(d["id"], r.name);
            assert_eq!(d["properties"]["precision"], r.precision.name());
            assert_eq!(d["relationships"][0]["target"]["id"], r.item);
        }
    }

    #[test]
    fn a_probe_rule_is_described_from_its_item() {
        let mut f = finding(3);
        f.rule = crate::finding::probe_rule("path-traversal");
        let sarif = render_all(&[f]);
        let run = &sarif["runs"][0];
        let index = run["results"][0]["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            run["tool"]["driver"]["rules"][index]["id"],
            "probe:path-traversal"
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
