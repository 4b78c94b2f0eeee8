//! Meta-tests of the checklist data: every fixed ID has a file, the files are what the binary
//! embeds, and every item is complete and consistent.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

/// The fixed checklist IDs from the developers' guide; findings of `check` and `probe` use
/// exactly these.
const IDS: [&str; 24] = [
    "analysis-incomplete",
    "unvalidated-input",
    "missing-rate-limit",
    "excessive-privilege",
    "unsanitised-output",
    "missing-audit-log",
    "vague-tool-description",
    "missing-confirmation",
    "missing-timeout",
    "path-traversal",
    "command-injection",
    "sql-injection",
    "information-disclosure",
    "hardcoded-secret",
    "unvalidated-config",
    "stdout-pollution",
    "tool-poisoning",
    "misleading-annotation",
    "http-exposure",
    "missing-lockfile",
    "unsafe-not-forbidden",
    "protocol-violation",
    "hidden-tool",
    "crash-or-hang",
];

const PRACTICES: [&str; 6] = [
    "server-side",
    "client-side",
    "common-vulnerabilities",
    "secure-configuration",
    "mcp-specific",
    "supply-chain",
];

fn checklist_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("checklist")
}

/// The items as the binary embeds and serialises them (`list --format json`).
fn embedded() -> Vec<Value> {
    let out = common::bin()
        .args(["mcp-secure", "list", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "list --format json failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout)
        .expect("list --format json prints a JSON array")
}

/// The items as written in `checklist/*.toml`, by file stem.
fn files() -> BTreeMap<String, Value> {
    let mut items = BTreeMap::new();
    for entry in std::fs::read_dir(checklist_dir()).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(
            path.extension().and_then(|e| e.to_str()),
            Some("toml"),
            "stray file {}",
            path.display()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let value: Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        items.insert(
            path.file_stem().unwrap().to_str().unwrap().to_string(),
            value,
        );
    }
    items
}

fn text<'a>(item: &'a Value, pointer: &str) -> &'a str {
    item.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

#[test]
fn every_fixed_id_has_exactly_one_file_and_nothing_else_exists() {
    let expected: BTreeSet<String> = IDS.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        expected.len(),
        IDS.len(),
        "the fixed ID list has duplicates"
    );
    let on_disk: BTreeSet<String> = files().into_keys().collect();
    let missing: Vec<_> = expected.difference(&on_disk).collect();
    let extra: Vec<_> = on_disk.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing files: {missing:?}; unexpected files: {extra:?}"
    );
}

#[test]
fn the_binary_embeds_exactly_the_files() {
    let embedded = embedded();
    let ids: Vec<&str> = embedded.iter().map(|i| text(i, "/id")).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate IDs in {ids:?}");
    let files = files();
    assert_eq!(
        embedded.len(),
        files.len(),
        "the binary is stale: rebuild after editing checklist/"
    );
    for item in &embedded {
        let id = text(item, "/id");
        let file = files
            .get(id)
            .unwrap_or_else(|| panic!("`{id}` is not the stem of its file"));
        for pointer in [
            "/id",
            "/title",
            "/practice",
            "/severity",
            "/docs/what",
            "/docs/example",
            "/docs/references",
        ] {
            assert_eq!(
                item.pointer(pointer),
                file.pointer(pointer),
                "{id}: {pointer} differs from the file"
            );
        }
    }
}

#[test]
fn every_item_is_complete() {
    let check_name = |c: &str| {
        let rest = c
            .strip_prefix("static:")
            .or_else(|| c.strip_prefix("probe:"));
        rest.is_some_and(|r| {
            !r.is_empty()
                && r.split('-').all(|w| {
                    !w.is_empty()
                        && w.chars()
                            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit())
                })
        })
    };
    let mut problems = Vec::new();
    for item in embedded() {
        let id = text(&item, "/id").to_string();
        let mut fail = |what: String| problems.push(format!("{id}: {what}"));
        let title = text(&item, "/title");
        if title.is_empty() || title.ends_with('.') || title.len() > 110 {
            fail(format!(
                "title must be a short statement without a final period: {title:?}"
            ));
        }
        if !PRACTICES.contains(&text(&item, "/practice")) {
            fail(format!("unknown practice {:?}", text(&item, "/practice")));
        }
        if !["fail", "warn"].contains(&text(&item, "/severity")) {
            fail(format!(
                "default severity must be fail or warn, not {:?}",
                text(&item, "/severity")
            ));
        }
        for section in ["what", "why", "example", "instead"] {
            if text(&item, &format!("/docs/{section}")).trim().is_empty() {
                fail(format!("docs section `{section}` is empty"));
            }
        }
        let references = item
            .pointer("/docs/references")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if references.is_empty()
            || references
                .iter()
                .any(|r| r.as_str().is_none_or(|s| s.trim().is_empty()))
        {
            fail("needs at least one reference, none empty".into());
        }
        let checks: Vec<&str> = item
            .pointer("/checks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if checks.is_empty() {
            fail("needs at least one automated check".into());
        }
        for c in checks.iter().filter(|c| !check_name(c)) {
            fail(format!(
                "check `{c}` is not `static:<kebab-name>` or `probe:<kebab-name>`"
            ));
        }
        if let Some(question) = item.pointer("/question").and_then(Value::as_str)
            && !question.trim_end().ends_with('?')
        {
            fail(format!(
                "question must be a yes/no question ending in `?`: {question:?}"
            ));
        }
        if let Some(owasp) = item.pointer("/owasp").and_then(Value::as_str) {
            let number = owasp
                .strip_prefix("MCP")
                .and_then(|r| r.strip_suffix(":2025"));
            let valid = number.is_some_and(|n| {
                n.len() == 2 && n.parse::<u8>().is_ok_and(|n| (1..=10).contains(&n))
            });
            if !valid {
                fail(format!(
                    "OWASP tag {owasp:?} is not MCP01:2025 to MCP10:2025"
                ));
            }
            if !references
                .iter()
                .any(|r| r.as_str().is_some_and(|s| s.contains(owasp)))
            {
                fail(format!("references do not cite {owasp}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "incomplete checklist items:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_example_is_a_balanced_fenced_block_of_a_known_language() {
    let mut problems = Vec::new();
    for item in embedded() {
        let id = text(&item, "/id");
        let example = text(&item, "/docs/example");
        let fences: Vec<&str> = example
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with("```"))
            .collect();
        if fences.is_empty() || !fences.len().is_multiple_of(2) {
            problems.push(format!("{id}: example needs balanced ``` fences"));
            continue;
        }
        let languages: Vec<&str> = fences
            .iter()
            .step_by(2)
            .map(|f| f.trim_start_matches('`').trim())
            .collect();
        if languages
            .iter()
            .any(|l| !["rust", "json", "toml"].contains(l))
        {
            problems.push(format!(
                "{id}: example fences must be rust, json or toml, found {languages:?}"
            ));
        }
        let probe_only = item
            .pointer("/checks")
            .and_then(Value::as_array)
            .is_some_and(|c| {
                c.iter()
                    .all(|c| c.as_str().is_some_and(|c| c.starts_with("probe:")))
            });
        if probe_only && !languages.contains(&"json") {
            problems.push(format!(
                "{id}: a probe-only item shows the JSON-RPC exchange in a ```json fence"
            ));
        }
        let instead = text(&item, "/docs/instead");
        if !instead
            .lines()
            .filter(|l| l.trim_start().starts_with("```"))
            .count()
            .is_multiple_of(2)
        {
            problems.push(format!("{id}: unbalanced ``` fence in `instead`"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_practice_has_items() {
    let embedded = embedded();
    for practice in PRACTICES {
        assert!(
            embedded.iter().any(|i| text(i, "/practice") == practice),
            "no item for practice {practice}"
        );
    }
}

/// Our own docs must pass our own `tool-poisoning` rule: no invisible or bidirectional
/// control characters anywhere in the checklist files.
#[test]
fn checklist_files_contain_no_invisible_characters() {
    let invisible = |c: char| {
        matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{E0000}'..='\u{E007F}')
            || (c.is_control() && c != '\n' && c != '\t')
    };
    for entry in std::fs::read_dir(checklist_dir()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if let Some(c) = line.chars().find(|c| invisible(*c)) {
                panic!(
                    "{}:{}: invisible character U+{:04X}",
                    path.display(),
                    n + 1,
                    c as u32
                );
            }
        }
    }
}
