//! Tools as the probe sees them: parameters from the schema (or derived), annotations, and
//! the arguments of a schema-valid baseline call.

use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub kind: Kind,
    pub required: bool,
    pub choices: Vec<Value>,
    pub max_length: Option<u64>,
    /// The schema names exactly one type (besides `null`); otherwise `kind` is a guess.
    pub typed: bool,
    /// An array of strings: attacked through a one-element list.
    pub string_list: bool,
    /// The schema's `default`, else for numbers a value inside `minimum`..`maximum`.
    pub default: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub params: Vec<Param>,
    pub read_only: bool,
    pub destructive_hint: Option<bool>,
    /// True when the parameters were derived rather than read from the schema.
    pub derived: bool,
    pub raw: Value,
}

const DESTRUCTIVE_WORDS: &[&str] = &[
    "delete",
    "remove",
    "drop",
    "destroy",
    "erase",
    "wipe",
    "purge",
    "truncate",
    "kill",
    "overwrite",
    "unlink",
    "rmdir",
];

impl Tool {
    pub fn from_listing(raw: &Value) -> Option<Self> {
        let name = raw.get("name")?.as_str()?.to_string();
        let description = raw
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let schema = raw.get("inputSchema").cloned().unwrap_or(Value::Null);
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut params = Vec::new();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (pname, p) in props {
                params.push(Param {
                    name: pname.clone(),
                    kind: kind_of(p),
                    required: required.contains(&pname.as_str()),
                    choices: p
                        .get("enum")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                    max_length: p.get("maxLength").and_then(Value::as_u64),
                    typed: one_type(p),
                    string_list: kind_of(p) == Kind::Array
                        && p.get("items").is_some_and(|i| kind_of(i) == Kind::String),
                    default: p
                        .get("default")
                        .filter(|d| !d.is_null())
                        .cloned()
                        .or_else(|| number_in_range(p)),
                });
            }
        }
        let ann = raw.get("annotations");
        let hint = |k: &str| ann.and_then(|a| a.get(k)).and_then(Value::as_bool);
        Some(Self {
            name,
            description,
            params,
            read_only: hint("readOnlyHint") == Some(true),
            destructive_hint: hint("destructiveHint"),
            derived: false,
            raw: raw.clone(),
        })
    }

    /// Declares destructiveHint, or its name or description says it destroys something.
    pub fn looks_destructive(&self) -> bool {
        if self.destructive_hint == Some(true) && !self.read_only {
            return true;
        }
        self.destructive_words().is_some()
    }

    /// The first destructive-sounding word in the name or the first sentence of the description.
    pub fn destructive_words(&self) -> Option<&'static str> {
        let name = self.name.to_ascii_lowercase();
        let first = self
            .description
            .split(['.', '\n'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        DESTRUCTIVE_WORDS
            .iter()
            .copied()
            .find(|w| words(&name).any(|x| x == *w) || words(&first).any(|x| x.starts_with(w)))
    }

    pub fn strings(&self) -> impl Iterator<Item = &Param> {
        self.params
            .iter()
            .filter(|p| (p.kind == Kind::String || p.string_list) && p.choices.is_empty())
    }

    /// The baseline with one string argument replaced (wrapped in a list for list parameters).
    pub fn with_str(&self, name: &str, value: impl Into<String>) -> Value {
        let value = Value::String(value.into());
        let list = self.params.iter().any(|p| p.name == name && p.string_list);
        self.with(
            name,
            if list {
                Value::Array(vec![value])
            } else {
                value
            },
        )
    }

    /// Schema-valid arguments that should succeed inside the sandbox.
    pub fn baseline(&self) -> Map<String, Value> {
        let mut args = Map::new();
        let mut paths = 0;
        // The smallest valid call: required arguments only, or the strings when none is marked.
        let any_required = self.params.iter().any(|p| p.required);
        for p in &self.params {
            if !p.required && (any_required || p.kind != Kind::String) {
                continue;
            }
            let is_path = p.kind == Kind::String && role(p, self) == Role::Path;
            if is_path && destination(&p.name) {
                // A destination must not exist yet, or a move or copy would be refused.
                paths += 1;
                args.insert(p.name.clone(), json!(format!("probe-copy-{paths}.txt")));
            } else {
                args.insert(p.name.clone(), sample(p, self));
            }
        }
        args
    }

    /// The baseline with one argument replaced.
    pub fn with(&self, name: &str, value: Value) -> Value {
        let mut args = self.baseline();
        args.insert(name.to_string(), value);
        Value::Object(args)
    }

    pub fn text(&self) -> String {
        format!("{} {}", self.name, self.description).to_ascii_lowercase()
    }
}

pub fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// 1 when allowed, else the bound that excludes it.
fn number_in_range(p: &Value) -> Option<Value> {
    let min = p.get("minimum").and_then(Value::as_f64);
    let max = p.get("maximum").and_then(Value::as_f64);
    match (min, max) {
        (Some(lo), _) if lo > 1.0 => Some(json!(lo)),
        (_, Some(hi)) if hi < 1.0 => Some(json!(hi)),
        _ => None,
    }
}

/// Whether the schema `p` allows exactly one type besides `null` (`{}` or `anyOf` allow more).
fn one_type(p: &Value) -> bool {
    match p.get("type") {
        Some(Value::String(t)) => t != "null",
        Some(Value::Array(types)) => {
            types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .count()
                == 1
        }
        _ => false,
    }
}

fn kind_of(p: &Value) -> Kind {
    let t = match p.get("type") {
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string")
            .to_string(),
        Some(Value::String(t)) => t.clone(),
        _ => "string".to_string(),
    };
    match t.as_str() {
        "integer" => Kind::Integer,
        "number" => Kind::Number,
        "boolean" => Kind::Boolean,
        "array" => Kind::Array,
        "object" => Kind::Object,
        _ => Kind::String,
    }
}

/// What a parameter holds, guessed from its name and the tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Path,
    Command,
    Sql,
    Content,
    Other,
}

pub fn role(p: &Param, tool: &Tool) -> Role {
    let n = p.name.to_ascii_lowercase();
    let has = |list: &[&str]| list.iter().any(|w| n.contains(w));
    if has(&[
        "path", "file", "dir", "folder", "dest", "source", "src", "location", "repo",
    ]) {
        return Role::Path;
    }
    if has(&["sql", "query", "statement"])
        && (tool.text().contains("sql") || tool.text().contains("database") || n.contains("sql"))
    {
        return Role::Sql;
    }
    if has(&["cmd", "command", "shell", "script", "program", "exec"]) {
        return Role::Command;
    }
    if has(&["content", "text", "body", "data"]) {
        return Role::Content;
    }
    Role::Other
}

/// The first single word in backticks in the description: servers often name the programs
/// they allow there (`date`, `uname`).
fn named_in_description(tool: &Tool) -> Option<String> {
    tool.description
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
}

fn destination(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("dest")
        || n.contains("target")
        || n.starts_with("new")
        || n == "to"
        || n.starts_with("to_")
}

/// The path names a folder: the parameter or the tool says so.
fn folderish(p: &Param, tool: &Tool) -> bool {
    let t = format!(
        "{} {}",
        p.name.to_ascii_lowercase(),
        tool.name.to_ascii_lowercase()
    );
    [
        "dir", "folder", "list", "tree", "search", "find", "repo", "root", "cwd",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// The tool makes something new, so an existing name would be refused.
fn creates(tool: &Tool) -> bool {
    let first = words(&tool.name).next().unwrap_or("").to_ascii_lowercase();
    ["create", "make", "mkdir", "new"].contains(&first.as_str())
}

fn sample(p: &Param, tool: &Tool) -> Value {
    if let Some(first) = p.choices.first() {
        return first.clone();
    }
    if let Some(default) = &p.default {
        return default.clone();
    }
    match p.kind {
        Kind::Integer | Kind::Number => json!(1),
        Kind::Boolean => json!(false),
        Kind::Array if p.string_list => json!([sample(
            &Param {
                kind: Kind::String,
                string_list: false,
                ..p.clone()
            },
            tool
        )]),
        Kind::Array => json!([]),
        Kind::Object => json!({}),
        Kind::String => {
            let s = match role(p, tool) {
                Role::Path if creates(tool) => format!(
                    "probe-new-{}",
                    if folderish(p, tool) {
                        "folder"
                    } else {
                        "file.txt"
                    }
                ),
                Role::Path if folderish(p, tool) => ".".to_string(),
                Role::Path => "notes.txt".to_string(),
                Role::Sql => "SELECT 1".to_string(),
                Role::Command => named_in_description(tool).unwrap_or_else(|| "echo".to_string()),
                Role::Content => "hello from the probe".to_string(),
                Role::Other => "hello".to_string(),
            };
            match p.max_length {
                Some(max) => json!(s.chars().take(max as usize).collect::<String>()),
                None => json!(s),
            }
        }
    }
}
