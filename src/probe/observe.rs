//! Observing effects: workspace snapshots and diffs, canaries in responses, error hygiene.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use super::sandbox::Sandbox;

/// Path (relative to the workspace) to kind, size and content hash.
pub type Snapshot = BTreeMap<PathBuf, (char, u64, u64)>;

/// Files larger than this are compared by size and modification time only.
const HASH_LIMIT: u64 = 8 << 20;
/// A snapshot stops after this many entries so a server filling the disk cannot stall the probe.
const MAX_ENTRIES: usize = 20_000;

pub fn snapshot(sandbox: &Sandbox) -> Snapshot {
    let mut out = Snapshot::new();
    walk(
        &sandbox.workspace,
        &sandbox.workspace,
        &sandbox.private_dirs(),
        &mut out,
    );
    out
}

fn walk(root: &Path, dir: &Path, skip: &[&Path], out: &mut Snapshot) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if out.len() >= MAX_ENTRIES {
            return;
        }
        let path = entry.path();
        if skip.contains(&path.as_path()) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap_or_default();
            out.insert(rel, ('l', 0, hash(target.as_os_str().as_encoded_bytes())));
        } else if meta.is_dir() {
            out.insert(rel, ('d', 0, 0));
            walk(root, &path, skip, out);
        } else {
            let h = if meta.len() <= HASH_LIMIT {
                std::fs::read(&path).map_or(0, |b| hash(&b))
            } else {
                let mtime = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
                mtime.map_or(0, |d| d.as_nanos() as u64)
            };
            out.insert(rel, ('f', meta.len(), h));
        }
    }
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// One change between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub verb: &'static str,
    pub path: PathBuf,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {{workspace}}/{}", self.verb, self.path.display())
    }
}

pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<Change> {
    let mut out = Vec::new();
    for (path, entry) in after {
        match before.get(path) {
            None => out.push(Change {
                verb: "created",
                path: path.clone(),
            }),
            Some(old) if old != entry && entry.0 != 'd' => out.push(Change {
                verb: "changed",
                path: path.clone(),
            }),
            _ => {}
        }
    }
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        out.push(Change {
            verb: "removed",
            path: path.clone(),
        });
    }
    out
}

/// Changes outside `{allowed}`: these are escapes.
pub fn outside_allowed(changes: &[Change]) -> Vec<&Change> {
    changes
        .iter()
        .filter(|c| !c.path.starts_with("allowed"))
        .collect()
}

/// What in a response proves a leak, if anything: canary file contents, or the name of the
/// outside file that no request ever names (a listing of a folder outside).
pub fn leaks(sandbox: &Sandbox, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in &sandbox.file_tokens {
        if text.contains(token.as_str()) {
            out.push(format!(
                "the response contains the contents of a canary file outside {{allowed}} ({token})"
            ));
        }
    }
    if text.contains(sandbox.unlisted_file.as_str()) {
        out.push(format!(
            "the response lists `{}`, a file outside {{allowed}}",
            sandbox.unlisted_file
        ));
    }
    out
}

/// Canary secret values (from the server's environment) found in a response.
pub fn secret_leaks(sandbox: &Sandbox, text: &str) -> Vec<String> {
    sandbox
        .secrets
        .iter()
        .filter(|(_, value)| text.contains(value.as_str()))
        .map(|(name, _)| {
            format!("the response contains the value of the environment variable {name}")
        })
        .collect()
}

/// Internal detail in error or result text: (kind, the matching line).
pub fn hygiene(text: &str, sandbox: &Sandbox) -> Option<(&'static str, String)> {
    const MARKERS: &[(&str, &str)] = &[
        ("Traceback (most recent call last)", "a Python traceback"),
        ("panicked at", "a Rust panic message"),
        ("stack backtrace:", "a Rust backtrace"),
        ("RUST_BACKTRACE", "a Rust panic message"),
        ("sqlite3.OperationalError", "an SQL engine error"),
        ("OperationalError", "an SQL engine error"),
        ("SQLITE_ERROR", "an SQL engine error"),
        ("unrecognized token", "an SQL engine error"),
        ("no such table", "an SQL engine error"),
        ("no such column", "an SQL engine error"),
        ("error in your SQL syntax", "an SQL engine error"),
        ("syntax error at or near", "an SQL engine error"),
        ("unterminated quoted string", "an SQL engine error"),
    ];
    for line in text.lines() {
        for (needle, kind) in MARKERS {
            if line.contains(needle) {
                return Some((kind, clip(line.trim(), 200)));
            }
        }
        if line.trim_start().starts_with("File \"") && line.contains("\", line ") {
            return Some(("a Python traceback", clip(line.trim(), 200)));
        }
        if is_node_frame(line) {
            return Some(("a Node.js stack trace", clip(line.trim(), 200)));
        }
        if let Some(path) = internal_path(line, sandbox) {
            return Some(("an internal source path", path));
        }
    }
    None
}

/// Raw operating-system errors as Rust (`{:?}`), Python and Node print them.
const OS_ERRORS: &[&str] = &[
    "Os { code:",
    "[Errno ",
    "ENOENT",
    "ENOTDIR",
    "EEXIST",
    "EACCES",
    "EISDIR",
    "(os error ",
];

/// A raw OS error passed through to the client with an absolute path the request did not
/// contain. Deliberate refusals that name the allowed root are not this.
pub fn sandbox_path(
    text: &str,
    request: &str,
    sandbox: &Sandbox,
    ok: bool,
) -> Option<(&'static str, String)> {
    let ws = sandbox.workspace.to_string_lossy();
    if ok || request.contains(ws.as_ref()) {
        return None;
    }
    let line = text
        .lines()
        .find(|l| l.contains(ws.as_ref()) && OS_ERRORS.iter().any(|e| l.contains(e)))?;
    Some((
        "a raw OS error with an absolute server path",
        clip(line.trim(), 200),
    ))
}

/// Changes a read-only tool may make without writing anything meaningful: git refreshes its
/// index on `status`, Python caches bytecode.
pub fn incidental(change: &Change) -> bool {
    let p = change.path.to_string_lossy();
    p.ends_with(".git/index")
        || p.ends_with(".lock") && p.contains(".git/")
        || p.contains("__pycache__")
}

/// `    at fn (/path/file.js:12:5)` or `at /path/file.js:12:5`.
fn is_node_frame(line: &str) -> bool {
    let t = line.trim_start();
    if !t.starts_with("at ") {
        return false;
    }
    let tail = t.trim_end().trim_end_matches(')');
    let mut parts = tail.rsplitn(3, ':');
    let col = parts.next().unwrap_or("");
    let row = parts.next().unwrap_or("");
    !col.is_empty()
        && col.chars().all(|c| c.is_ascii_digit())
        && !row.is_empty()
        && row.chars().all(|c| c.is_ascii_digit())
}

/// An absolute path to a source file outside the sandbox (the server's own code).
fn internal_path(line: &str, sandbox: &Sandbox) -> Option<String> {
    const SOURCES: &[&str] = &[
        ".py", ".js", ".mjs", ".cjs", ".ts", ".rs", ".go", ".java", ".rb", ".php",
    ];
    let ws = sandbox.workspace.to_string_lossy();
    for word in line.split(|c: char| c.is_whitespace() || "\"'`(),;<>[]{}".contains(c)) {
        let word = word.trim_end_matches(|c: char| c == ':' || c.is_ascii_digit());
        if word.starts_with('/')
            && !word.starts_with(ws.as_ref())
            && SOURCES.iter().any(|ext| word.ends_with(ext))
        {
            return Some(word.to_string());
        }
    }
    None
}

/// Characters of server text a report keeps in one message or observation.
pub const REPORT_CHARS: usize = 2000;

/// `text` cut to about `max` bytes, saying how long it was.
pub fn clip_noted(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    format!("{} ({} bytes in all)", clip(text, max), text.len())
}

pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internals_in_error_text() {
        let sb = Sandbox::create(&[], None).unwrap();
        let kind = |t: &str| hygiene(t, &sb).map(|(k, _)| k);
        assert_eq!(
            kind("Traceback (most recent call last):\n  File \"/srv/app.py\", line 3"),
            Some("a Python traceback")
        );
        assert_eq!(
            kind("Error: boom\n    at readFile (/srv/app/index.js:12:5)"),
            Some("a Node.js stack trace")
        );
        assert_eq!(
            kind("thread 'main' panicked at src/main.rs:3:5"),
            Some("a Rust panic message")
        );
        assert_eq!(
            kind("near \"x\": syntax error; no such table: users"),
            Some("an SQL engine error")
        );
        assert_eq!(
            kind("failed in /home/dev/server/src/tools.rs"),
            Some("an internal source path")
        );
        assert_eq!(kind("file not found (ref 12ab)"), None);
        assert_eq!(kind("at least 3 characters: 1:2"), None);
    }

    #[test]
    fn long_text_is_clipped_with_its_size() {
        assert_eq!(clip_noted("short", 10), "short");
        let long = "é".repeat(3000);
        let clipped = clip_noted(&long, REPORT_CHARS);
        assert!(clipped.len() < REPORT_CHARS + 40, "{}", clipped.len());
        assert!(clipped.ends_with("… (6000 bytes in all)"), "{clipped}");
    }

    #[test]
    fn raw_os_errors_with_sandbox_paths() {
        let sb = Sandbox::create(&[], None).unwrap();
        let ws = sb.workspace.display().to_string();
        let raw = format!("cannot read {ws}/allowed/x: Os {{ code: 2, kind: NotFound }}");
        assert!(sandbox_path(&raw, "{\"path\":\"x\"}", &sb, false).is_some());
        assert!(
            sandbox_path(&format!("outside {ws}/allowed"), "{}", &sb, false).is_none(),
            "a deliberate refusal"
        );
        assert!(
            sandbox_path(&raw, "{}", &sb, true).is_none(),
            "results may name paths"
        );
    }
}
