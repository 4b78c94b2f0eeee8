//! Parameter roles by behaviour: a string parameter whose name says nothing can still be a
//! path. Its baseline value names an existing file, its refusal talks of files or paths, or a
//! known file's name makes the tool return that file: it then gets the path attacks. Every
//! other free string gets one absolute path outside, because joining a base with an absolute
//! path (Python's `os.path.join`, Node's `path.resolve`) drops the base.

use std::path::Path;

use serde_json::Value;

use crate::probe::session::{Outcome, Session};
use crate::probe::tool::{Role, Tool, role};

/// A file the sandbox writes in `{allowed}` and no baseline call names (they write
/// `notes.txt`): its line in a reply shows the value was opened as a file.
const KNOWN: &str = "README.md";
const KNOWN_LINE: &str = "A file the server may read.";

/// Words of a refusal that show the value was taken for a file or folder.
const PATH_WORDS: &[&str] = &[
    "no such file",
    "file not found",
    "not a file",
    "not a directory",
    "is a directory",
    "enoent",
    "errno 2",
    "file",
    "path",
    "director",
    "folder",
];

/// Why a parameter whose name does not say path is one, if it is (for tests and reports).
pub fn path_evidence(s: &Session, tool: &Tool, base: &Outcome, name: &str) -> Option<String> {
    let args = tool.baseline();
    let value = args.get(name).and_then(Value::as_str).unwrap_or("");
    if !value.is_empty() && names_existing(s, value) {
        return Some(format!(
            "its baseline value `{value}` names an existing file"
        ));
    }
    if base.answered() && !base.ok() {
        let lower = base.text.to_ascii_lowercase();
        let about_it = lower.contains(&name.to_ascii_lowercase())
            || (!value.is_empty() && lower.contains(&value.to_ascii_lowercase()))
            || tool.strings().count() == 1;
        if about_it && PATH_WORDS.iter().any(|w| lower.contains(w)) {
            return Some(format!(
                "its refusal speaks of a file or path: {}",
                crate::probe::observe::clip(base.text.trim(), 120)
            ));
        }
    }
    None
}

fn names_existing(s: &Session, value: &str) -> bool {
    let p = Path::new(value);
    let full = if p.is_absolute() {
        p.to_path_buf()
    } else {
        s.sandbox.allowed.join(p)
    };
    value != "." && full.is_file()
}

/// String parameters the name-based roles leave out (paths already get the path attacks,
/// SQL and commands their own), each with whether it holds free text.
fn candidates(tool: &Tool) -> Vec<(String, bool)> {
    tool.strings()
        .map(|p| (p, role(p, tool)))
        .filter(|(_, r)| matches!(r, Role::Other | Role::Content))
        .map(|(p, r)| (p.name.clone(), r == Role::Content))
        .collect()
}

/// Path attacks on parameters that behave as paths; one absolute path outside on the others.
pub fn run(s: &mut Session, tool: &Tool, base: &Outcome) {
    if !s.wants("path-traversal") {
        return;
    }
    for (name, text) in candidates(tool) {
        let mut path = path_evidence(s, tool, base, &name).is_some();
        // Free text (a file's new contents) is not asked to open a file, only given a path.
        if !path && !text {
            // A known file by name: the reply shows whether it was opened.
            let Some(o) = s.call(
                tool,
                &tool.name,
                tool.with_str(&name, KNOWN),
                Some(&name),
                "path-traversal",
                "a file of {allowed} by name",
            ) else {
                return;
            };
            if o.ok() && o.text.contains(KNOWN_LINE) {
                path = true;
            }
        }
        if !path {
            let outside = format!("{}/{}", s.sandbox.outside.display(), s.sandbox.canary_file);
            if s.call(
                tool,
                &tool.name,
                tool.with_str(&name, outside),
                Some(&name),
                "path-traversal",
                "absolute path outside",
            )
            .is_none()
            {
                return;
            }
            continue;
        }
        for (technique, value) in super::paths::payloads(s) {
            let technique = format!("{technique}; a path by behaviour");
            if s.call(
                tool,
                &tool.name,
                tool.with_str(&name, value),
                Some(&name),
                "path-traversal",
                &technique,
            )
            .is_none()
            {
                return;
            }
        }
    }
}
