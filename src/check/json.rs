//! Machine output on stdout: the check's own JSON, and SARIF through the shared renderer.

use serde_json::{Value, json};

use crate::check::{Outcome, Status};
use crate::finding::Finding;

fn slash(path: &std::path::Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn finding(f: &Finding) -> Value {
    let loc = f.location.as_ref();
    json!({
        "id": f.id,
        "rule": f.rule,
        "severity": f.severity,
        "file": loc.map(|l| slash(&l.file)),
        "line": loc.map(|l| l.line),
        "column": loc.map(|l| l.column),
        "end_line": loc.map(|l| l.end_line),
        "end_column": loc.map(|l| l.end_column),
        "message": f.message,
        "help": f.help,
        "tool": f.tool,
        "argument": f.evidence.as_ref().and_then(|e| e.argument.clone()),
        "request": f.evidence.as_ref().map(|e| e.request.clone()),
        "evidence": f.evidence.as_ref().map(|e| e.observed.clone()),
        "labels": f.labels.iter().map(|l| json!({
            "file": slash(&l.location.file),
            "line": l.location.line,
            "column": l.location.column,
            "message": l.message,
        })).collect::<Vec<_>>(),
    })
}

/// `{"items":[{"id","status",…}],"findings":[…],"notes":[…],"summary":{…},"scanned":{…}}`.
pub fn render(o: &Outcome<'_>) -> String {
    let count = |s: Status| o.items.iter().filter(|i| i.status == s).count();
    let value = json!({
        "items": o.items.iter().map(|i| json!({
            "id": i.item.id,
            "status": i.status,
            "title": i.item.title,
            "severity": i.item.severity,
            "question": i.item.question,
        })).collect::<Vec<_>>(),
        "findings": o.findings.iter().map(finding).collect::<Vec<_>>(),
        "notes": o.notes.iter().map(|n| json!({ "file": slash(&n.path), "message": n.message })).collect::<Vec<_>>(),
        "summary": {
            "fail": count(Status::Fail),
            "warn": count(Status::Warn),
            "pass": count(Status::Pass),
            "manual": count(Status::Manual),
            "stale": count(Status::Stale),
            "findings": o.findings.len(),
            "suppressed": o.suppressed,
        },
        "scanned": {
            "packages": o.ctx.packages.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            "rust_files": o.ctx.sources.len(),
            "data_files": o.ctx.data_files.len(),
        },
    });
    pretty(&value)
}

/// SARIF 2.1.0 from the shared renderer, with the notes as tool execution notifications.
pub fn sarif(o: &Outcome<'_>) -> String {
    let mut value = crate::render::sarif::render_all(&o.findings);
    let notifications: Vec<Value> = o
        .notes
        .iter()
        .map(|n| {
            let mut v = json!({ "level": "note", "message": { "text": n.message } });
            if !n.path.as_os_str().is_empty() {
                v["locations"] = json!([{ "physicalLocation": { "artifactLocation": { "uri": slash(&n.path), "uriBaseId": "%SRCROOT%" } } }]);
            }
            v
        })
        .collect();
    if let Some(run) = value.get_mut("runs").and_then(|r| r.get_mut(0)) {
        run["invocations"] =
            json!([{ "executionSuccessful": true, "toolExecutionNotifications": notifications }]);
    }
    pretty(&value)
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}
