//! Templates: a folder holding `template.toml` (typed variables, conditional files) and files.
//! Files ending in `.hbs` are rendered with handlebars in strict mode and lose the suffix;
//! other files are copied byte for byte. Built-in templates are embedded in the binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use handlebars::Handlebars;
use include_dir::{Dir, include_dir};
use serde::Deserialize;
use serde_json::{Map, Value};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The manifest file every template folder starts with.
pub const MANIFEST: &str = "template.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// One line shown in prompts and `--help`.
    pub description: String,
    /// Typed variables, in declaration order of their names.
    #[serde(default)]
    pub variables: BTreeMap<String, Variable>,
    /// Files included only when a condition holds.
    #[serde(default)]
    pub files: Vec<ConditionalFile>,
    /// A lock file, or a folder of lock files (one per dependency set), in the template; the
    /// one matching the rendered manifest's dependencies is pruned and written as Cargo.lock.
    pub lockfile: Option<String>,
    /// How to run the generated server, shown in the next steps.
    pub run: Option<RunHint>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunHint {
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Whether the next steps show how to register the server with MCP clients.
    #[serde(default = "yes")]
    pub register: bool,
    /// A warning printed with the next steps.
    pub warning: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    #[serde(rename = "type")]
    pub kind: VarKind,
    pub prompt: String,
    pub default: Option<toml::Value>,
    #[serde(default)]
    pub choices: Vec<String>,
    /// Whether a terminal prompt asks for it; without, only `--define` sets it.
    #[serde(default = "yes")]
    pub ask: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VarKind {
    String,
    Bool,
    Integer,
    /// One of `choices`.
    Choice,
    /// Any subset of `choices`; rendered as an object of booleans plus `<name>_list`.
    List,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionalFile {
    /// Path of the rendered file (or folder prefix) relative to the template root.
    pub path: String,
    /// A dotted path into the render context; the file is kept when it is truthy, or, as
    /// `path=value`, when it is that string.
    pub when: String,
}

/// Where a template's files come from.
pub enum Source {
    Builtin(&'static Dir<'static>),
    Folder(PathBuf),
}

pub struct Template {
    pub name: String,
    pub manifest: Manifest,
    source: Source,
}

/// A template file: its path relative to the template root and its bytes.
pub struct TemplateFile {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Names of the built-in templates.
pub fn builtin_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = BUILTIN
        .dirs()
        .filter(|d| d.get_file(d.path().join(MANIFEST)).is_some())
        .filter_map(|d| d.path().to_str())
        .collect();
    names.sort_unstable();
    names
}

impl Template {
    pub fn builtin(name: &str) -> Result<Self> {
        let dir = BUILTIN
            .get_dir(name)
            .filter(|d| d.get_file(d.path().join(MANIFEST)).is_some())
            .with_context(|| {
                let choices: Vec<String> = builtin_names()
                    .into_iter()
                    .map(|n| match Template::builtin(n) {
                        Ok(t) => format!("{n} ({})", t.manifest.description),
                        Err(_) => n.to_string(),
                    })
                    .collect();
                format!(
                    "no built-in template `{name}`: choose one of {}",
                    choices.join(", ")
                )
            })?;
        let text = dir
            .get_file(dir.path().join(MANIFEST))
            .and_then(|f| f.contents_utf8())
            .context("built-in template manifest is not UTF-8")?;
        let manifest =
            parse_manifest(text).with_context(|| format!("built-in template `{name}`"))?;
        Ok(Self {
            name: name.to_string(),
            manifest,
            source: Source::Builtin(dir),
        })
    }

    pub fn from_folder(dir: &Path) -> Result<Self> {
        let manifest_path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&manifest_path).with_context(|| {
            format!(
                "cannot read {}: a template folder needs a {MANIFEST}",
                manifest_path.display()
            )
        })?;
        let manifest =
            parse_manifest(&text).with_context(|| format!("in {}", manifest_path.display()))?;
        let name = dir
            .file_name()
            .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into());
        Ok(Self {
            name,
            manifest,
            source: Source::Folder(dir.to_path_buf()),
        })
    }

    /// Every file of the template except the manifest, sorted by path.
    pub fn files(&self) -> Result<Vec<TemplateFile>> {
        let mut files = Vec::new();
        match &self.source {
            Source::Builtin(dir) => collect_embedded(dir, dir.path(), &mut files),
            Source::Folder(root) => collect_folder(root, root, &mut files)?,
        }
        files.retain(|f| f.path != Path::new(MANIFEST));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }
}

fn parse_manifest(text: &str) -> Result<Manifest> {
    let manifest: Manifest = toml::from_str(text).context("invalid template manifest")?;
    for (name, var) in &manifest.variables {
        let needs_choices = matches!(var.kind, VarKind::Choice | VarKind::List);
        if needs_choices && var.choices.is_empty() {
            bail!(
                "variable `{name}` is a {:?} but lists no `choices`",
                var.kind
            );
        }
        if let Some(default) = &var.default {
            typed_value(name, var, default)
                .with_context(|| format!("default of variable `{name}`"))?;
        }
    }
    Ok(manifest)
}

fn collect_embedded(dir: &Dir<'static>, root: &Path, out: &mut Vec<TemplateFile>) {
    for file in dir.files() {
        let path = file
            .path()
            .strip_prefix(root)
            .unwrap_or(file.path())
            .to_path_buf();
        out.push(TemplateFile {
            path,
            bytes: file.contents().to_vec(),
        });
    }
    for sub in dir.dirs() {
        collect_embedded(sub, root, out);
    }
}

fn collect_folder(root: &Path, dir: &Path, out: &mut Vec<TemplateFile>) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read template folder {}", dir.display()))?;
    for entry in entries {
        let entry =
            entry.with_context(|| format!("cannot read template folder {}", dir.display()))?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            bail!(
                "template file {} is a symbolic link: templates must hold plain files",
                path.display()
            );
        }
        if kind.is_dir() {
            collect_folder(root, &path, out)?;
            continue;
        }
        let bytes = std::fs::read(&path)
            .with_context(|| format!("cannot read template file {}", path.display()))?;
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        out.push(TemplateFile { path: rel, bytes });
    }
    Ok(())
}

/// Converts a raw value (from a default, `--define` or a flag) into the variable's JSON form.
pub fn typed_value(name: &str, var: &Variable, raw: &toml::Value) -> Result<Value> {
    match (var.kind, raw) {
        (VarKind::String, toml::Value::String(s)) => {
            if let Some(c) = s.chars().find(|c| c.is_control()) {
                bail!(
                    "variable `{name}` contains the control character {c:?}: use one line of plain text"
                );
            }
            Ok(Value::String(s.clone()))
        }
        (VarKind::Bool, toml::Value::Boolean(b)) => Ok(Value::Bool(*b)),
        (VarKind::Integer, toml::Value::Integer(i)) => Ok(Value::from(*i)),
        (VarKind::Choice, toml::Value::String(s)) => {
            check_choice(name, var, s)?;
            Ok(Value::String(s.clone()))
        }
        (VarKind::List, toml::Value::Array(items)) => {
            let mut picked = Vec::new();
            for item in items {
                let toml::Value::String(s) = item else {
                    bail!("variable `{name}` takes a list of strings")
                };
                check_choice(name, var, s)?;
                picked.push(s.clone());
            }
            Ok(list_value(var, &picked))
        }
        (kind, _) => bail!("variable `{name}` takes a {kind:?} value, got `{raw}`"),
    }
}

/// Parses the text form used by `--define KEY=VALUE` and flags.
pub fn parse_text(name: &str, var: &Variable, text: &str) -> Result<Value> {
    let raw = match var.kind {
        VarKind::String | VarKind::Choice => toml::Value::String(text.to_string()),
        VarKind::Bool => match text {
            "true" | "yes" => toml::Value::Boolean(true),
            "false" | "no" => toml::Value::Boolean(false),
            _ => bail!("variable `{name}` takes true or false, got `{text}`"),
        },
        VarKind::Integer => toml::Value::Integer(
            text.parse()
                .with_context(|| format!("variable `{name}` takes a whole number, got `{text}`"))?,
        ),
        VarKind::List => {
            let items: Vec<toml::Value> = if text == "none" || text.is_empty() {
                Vec::new()
            } else if text == "all" {
                var.choices
                    .iter()
                    .cloned()
                    .map(toml::Value::String)
                    .collect()
            } else {
                text.split(',')
                    .map(|s| toml::Value::String(s.trim().to_string()))
                    .collect()
            };
            toml::Value::Array(items)
        }
    };
    typed_value(name, var, &raw)
}

fn check_choice(name: &str, var: &Variable, value: &str) -> Result<()> {
    if var.choices.iter().any(|c| c == value) {
        return Ok(());
    }
    bail!(
        "`{value}` is not a choice of `{name}`: use one of {}",
        var.choices.join(", ")
    )
}

/// A list variable renders as `{choice: bool}` so templates can write `{{#if kits.files}}`.
pub fn list_value(var: &Variable, picked: &[String]) -> Value {
    let map: Map<String, Value> = var
        .choices
        .iter()
        .map(|c| (c.clone(), Value::Bool(picked.contains(c))))
        .collect();
    Value::Object(map)
}

/// The choices a list value holds, in declaration order.
pub fn list_picked(value: &Value) -> Vec<String> {
    let Value::Object(map) = value else {
        return Vec::new();
    };
    map.iter()
        .filter(|(_, v)| v.as_bool() == Some(true))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Renders every file of the template with the context; returns relative paths and bytes.
pub fn render(template: &Template, context: &Value) -> Result<Vec<TemplateFile>> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    // `{{toml x}}` and `{{rust_str x}}` quote a value for the file it lands in, so a quote or
    // backslash in a description cannot break the generated Cargo.toml or source.
    hb.register_helper("toml", Box::new(toml_str));
    hb.register_helper("rust_str", Box::new(rust_str));
    let mut out = Vec::new();
    for file in template.files()? {
        if is_lock(template, &file.path) {
            continue;
        }
        let stem = file
            .path
            .to_str()
            .and_then(|p| p.strip_suffix(".hbs"))
            .map(PathBuf::from);
        let target = stem.clone().unwrap_or_else(|| file.path.clone());
        if !included(template, &target, context)? {
            continue;
        }
        if stem.is_none() {
            out.push(file);
            continue;
        }
        let text = String::from_utf8(file.bytes)
            .with_context(|| format!("template file {} is not UTF-8", file.path.display()))?;
        let rendered = hb
            .render_template(&text, context)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("cannot render template file {}", file.path.display()))?;
        out.push(TemplateFile {
            path: target,
            bytes: rendered.into_bytes(),
        });
    }
    Ok(out)
}

handlebars::handlebars_helper!(toml_str: |v: str| toml::Value::String(v.to_string()).to_string());
handlebars::handlebars_helper!(rust_str: |v: str| format!("{v:?}"));

/// True for the template's lock file, or any file inside its lock folder.
fn is_lock(template: &Template, path: &Path) -> bool {
    template
        .manifest
        .lockfile
        .as_deref()
        .is_some_and(|lock| path.starts_with(lock))
}

fn included(template: &Template, path: &Path, context: &Value) -> Result<bool> {
    for rule in &template.manifest.files {
        if !path.starts_with(&rule.path) {
            continue;
        }
        // `a.b` holds when the value is truthy; `a.b=x` when it is the string `x`.
        let (path, expected) = match rule.when.split_once('=') {
            Some((path, expected)) => (path, Some(expected)),
            None => (rule.when.as_str(), None),
        };
        let mut value = context;
        for part in path.split('.') {
            value = value.get(part).with_context(|| {
                format!(
                    "file condition `{}` names `{part}`, which the template does not define",
                    rule.when
                )
            })?;
        }
        let holds = match expected {
            Some(expected) => value.as_str() == Some(expected),
            None => truthy(value),
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The template's lock files: the one `lockfile` names, or every file in the folder it names.
pub fn lockfile_texts(template: &Template) -> Result<Vec<String>> {
    let Some(name) = &template.manifest.lockfile else {
        return Ok(Vec::new());
    };
    let mut texts = Vec::new();
    for file in template
        .files()?
        .into_iter()
        .filter(|f| is_lock(template, &f.path))
    {
        let text = String::from_utf8(file.bytes)
            .with_context(|| format!("template lock file {} is not UTF-8", file.path.display()))?;
        texts.push(text);
    }
    if texts.is_empty() {
        bail!("template names lock file `{name}` but does not contain it");
    }
    Ok(texts)
}
