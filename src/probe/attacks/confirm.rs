//! Confirmation bound to the arguments: a destructive tool that hands out a confirmation code
//! must refuse that code for other arguments. The probe asks for a code for one target and
//! redeems it for another.

use serde_json::{Value, json};

use crate::finding::{Evidence, Severity};
use crate::probe::session::{Outcome, Session};
use crate::probe::tool::{Kind, Tool};

fn is_code_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["confirm", "token", "code", "nonce"]
        .iter()
        .any(|w| n.contains(w))
}

/// The first string value under a code-like key anywhere in the result text's JSON.
fn find_code(v: &Value) -> Option<String> {
    match v {
        Value::Object(map) => map.iter().find_map(|(k, v)| match v {
            Value::String(s) if is_code_name(k) && s.len() >= 4 => Some(s.clone()),
            other => find_code(other),
        }),
        Value::Array(items) => items.iter().find_map(find_code),
        _ => None,
    }
}

/// Another value of the same shape, so that the code is redeemed for a different target.
fn other_value(v: &Value) -> Option<Value> {
    match v {
        Value::Number(n) => Some(json!(n.as_i64().unwrap_or(0) + 1)),
        Value::String(s) if s == "notes.txt" => Some(json!("README.md")),
        Value::String(s) => Some(json!(format!("{s}-other"))),
        _ => None,
    }
}

/// `base` is the tool's baseline call (without a code).
pub fn run(s: &mut Session, tool: &Tool, base: &Outcome) {
    if !s.wants("missing-confirmation") || !base.ok() {
        return;
    }
    let Some(code_param) = tool
        .params
        .iter()
        .find(|p| is_code_name(&p.name) && p.kind == Kind::String)
    else {
        return;
    };
    let parsed: Value = serde_json::from_str(base.text.trim()).unwrap_or(Value::Null);
    let Some(code) = find_code(&parsed) else {
        return;
    };
    let mut args = tool.baseline();
    let Some((target, other)) = args
        .iter()
        .filter(|(k, _)| *k != &code_param.name)
        .find_map(|(k, v)| other_value(v).map(|o| (k.clone(), o)))
    else {
        return;
    };
    args.insert(target.clone(), other);
    args.insert(code_param.name.clone(), json!(code));
    let Some(o) = s.call(
        tool,
        &tool.name,
        Value::Object(args),
        Some(&target),
        "missing-confirmation",
        "confirmation for other arguments",
    ) else {
        return;
    };
    if o.ok() {
        let observed = format!(
            "a code issued for the baseline arguments was accepted for another `{target}`: {}",
            crate::probe::observe::clip(o.text.trim(), 160)
        );
        let msg = format!(
            "`{}` accepts a confirmation code for arguments it was not issued for",
            tool.name
        );
        let ev = Evidence {
            argument: Some(target),
            request: o.request,
            observed,
        };
        s.report(
            "missing-confirmation",
            Severity::Fail,
            Some(&tool.name),
            "unbound",
            msg,
            Some(ev),
        );
    }
}
