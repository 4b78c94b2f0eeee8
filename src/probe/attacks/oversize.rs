//! Oversized (1 MiB) and type-confused input: a clean refusal, no crash, no hang.
//! Crashes and hangs are filed by the session; acceptance without any limit, or of values of
//! the wrong type, is a warning.

use serde_json::{Map, Value, json};

use crate::finding::{Evidence, Severity};
use crate::probe::session::Session;
use crate::probe::tool::{Kind, Tool};

const MIB: usize = 1 << 20;

pub fn run(s: &mut Session, tool: &Tool) {
    if !(s.wants("unvalidated-input") || s.wants("crash-or-hang")) {
        return;
    }
    let params: Vec<(String, Option<u64>)> = tool
        .strings()
        .map(|p| (p.name.clone(), p.max_length))
        .collect();
    for (name, max) in params {
        let big = "A".repeat(MIB);
        let Some(o) = s.call(
            tool,
            &tool.name,
            tool.with_str(&name, big),
            Some(&name),
            "unvalidated-input",
            "1 MiB value",
        ) else {
            return;
        };
        if o.ok() {
            let request = o.request.clone();
            let observed = match max {
                Some(m) => {
                    format!("a 1 MiB value was accepted although the schema declares maxLength {m}")
                }
                None => {
                    "a 1 MiB value was accepted and the schema declares no maxLength".to_string()
                }
            };
            let ev = Evidence {
                argument: Some(name.clone()),
                request,
                observed,
            };
            let msg = format!(
                "`{}` accepts a 1 MiB `{name}` with no length limit",
                tool.name
            );
            s.report(
                "unvalidated-input",
                Severity::Warn,
                Some(&tool.name),
                &format!("size {name}"),
                msg,
                Some(ev),
            );
        }
    }
    if tool.params.is_empty() {
        return;
    }
    let mut confused = Map::new();
    for p in &tool.params {
        let v = match p.kind {
            Kind::String => json!(12345),
            Kind::Integer | Kind::Number => json!("not-a-number"),
            Kind::Boolean => json!("yes"),
            Kind::Array | Kind::Object => json!("x"),
        };
        confused.insert(p.name.clone(), v);
    }
    let Some(o) = s.call(
        tool,
        &tool.name,
        Value::Object(confused),
        None,
        "unvalidated-input",
        "type-confused arguments",
    ) else {
        return;
    };
    // Only a value the schema rules out proves anything: derived parameters and ones whose
    // schema allows several types (`{}` for any JSON value, `anyOf`) have guessed types.
    if o.ok()
        && !tool.derived
        && tool.params.iter().all(|p| p.typed)
        && s.wants("unvalidated-input")
    {
        let ev = Evidence {
            argument: None,
            request: o.request.clone(),
            observed: "every parameter had the wrong type for its schema, and the call succeeded"
                .to_string(),
        };
        s.report(
            "unvalidated-input",
            Severity::Warn,
            Some(&tool.name),
            "types",
            format!("`{}` accepts arguments of the wrong type", tool.name),
            Some(ev),
        );
    }
}
