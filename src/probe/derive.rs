//! Argument names for tools whose schema lists none: from the server's own error messages
//! (such as a missing field it names), else from the tool's name and description.

use serde_json::Value;

use super::session::Session;
use super::tool::{Kind, Param, Tool, words};

const ROUNDS: usize = 4;

/// Where the names came from, for the report.
pub fn derive(s: &mut Session, tool: &mut Tool) -> Option<String> {
    let mut source = None;
    let mut refused = false;
    for _ in 0..ROUNDS {
        let args = Value::Object(tool.baseline());
        let o = s.call(
            tool,
            &tool.name.clone(),
            args,
            None,
            "unvalidated-input",
            "argument discovery",
        )?;
        if o.ok() {
            break;
        }
        refused = true;
        let named: Vec<String> = field_names(&o.text)
            .into_iter()
            .filter(|n| !tool.params.iter().any(|p| &p.name == n))
            .collect();
        if named.is_empty() {
            break;
        }
        for n in named {
            tool.params.push(string_param(&n));
        }
        source = Some("the server's error messages");
    }
    if tool.params.is_empty() && refused {
        let guessed = guess(tool);
        if !guessed.is_empty() {
            tool.params = guessed.iter().map(|n| string_param(n)).collect();
            source = Some("the tool's name and description");
        }
    }
    tool.derived = source.is_some();
    source.map(|src| {
        format!(
            "arguments {} derived from {src}",
            tool.params
                .iter()
                .map(|p| format!("`{}`", p.name))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn string_param(name: &str) -> Param {
    Param {
        name: name.to_string(),
        kind: Kind::String,
        required: true,
        choices: Vec::new(),
        max_length: None,
        // Derived from error messages, its type is a guess.
        typed: false,
        string_list: false,
        default: None,
    }
}

/// Field names that error messages of common validators name as missing.
pub fn field_names(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |n: &str| {
        let n = n.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_');
        if !n.is_empty()
            && n.len() <= 40
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !out.iter().any(|o| o == n)
        {
            out.push(n.to_string());
        }
    };
    for line in text.lines() {
        let lower = line.to_ascii_lowercase();
        // serde: missing field `path`
        for (i, _) in lower.match_indices("missing field") {
            if let Some(name) = quoted(&line[i + "missing field".len()..]) {
                push(&name);
            }
        }
        // jsonschema / pydantic: 'path' is a required property, Field required [.. loc=('path',)]
        if let Some(name) = lower
            .find("is a required property")
            .and_then(|i| quoted_before(&line[..i]))
        {
            push(&name);
        }
        // "missing required argument: path", "required parameter 'path'"
        for key in [
            "required argument",
            "required parameter",
            "required property",
            "required field",
        ] {
            if let Some(i) = lower.find(key) {
                let rest = line[i + key.len()..].trim_start_matches([':', ' ', 's']);
                if let Some(name) =
                    quoted(rest).or_else(|| rest.split_whitespace().next().map(str::to_string))
                {
                    push(&name);
                }
            }
        }
    }
    // zod: [{"code":"invalid_type", ..., "path":["path"], "message":"Required"}]
    for (i, _) in text.match_indices("\"path\"") {
        let rest = text[i + 6..].trim_start_matches([' ', ':', '\n']);
        if let Some(name) = rest
            .strip_prefix('[')
            .and_then(|inner| quoted(inner.trim_start()))
        {
            push(&name);
        }
    }
    out
}

fn quoted(s: &str) -> Option<String> {
    let s = s.trim_start();
    let q = s.chars().next().filter(|c| "`'\"".contains(*c))?;
    let rest = &s[1..];
    let end = rest.find(q).or_else(|| rest.find(['\'', '`', '"']))?;
    Some(rest[..end].to_string())
}

fn quoted_before(s: &str) -> Option<String> {
    let s = s.trim_end();
    let q = s.chars().last().filter(|c| "`'\"".contains(*c))?;
    let body = &s[..s.len() - 1];
    let start = body.rfind(q)?;
    Some(body[start + 1..].to_string())
}

fn guess(tool: &Tool) -> Vec<&'static str> {
    let text = tool.text();
    let has = |ws: &[&str]| words(&text).any(|w| ws.contains(&w));
    let mut out = Vec::new();
    if has(&[
        "file",
        "files",
        "path",
        "directory",
        "folder",
        "dir",
        "read",
        "write",
    ]) {
        out.push("path");
    }
    if has(&["write", "save", "edit", "append"]) {
        out.push("content");
    }
    if has(&["sql", "query", "database"]) {
        out.push("query");
    }
    if has(&["command", "exec", "execute", "shell", "run"]) {
        out.push("command");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field_names;

    #[test]
    fn names_from_common_validators() {
        assert_eq!(
            field_names("failed to deserialize parameters: missing field `path`"),
            ["path"]
        );
        assert_eq!(field_names("'query' is a required property"), ["query"]);
        assert_eq!(
            field_names(
                r#"[{"code":"invalid_type","expected":"string","path":["source"],"message":"Required"}]"#
            ),
            ["source"]
        );
        assert_eq!(
            field_names("missing required argument: repo_path"),
            ["repo_path"]
        );
        assert!(field_names("invalid arguments").is_empty());
    }
}
