//! Every rule over every fixture in `tests/fixtures/<id>/{fail,pass}`, snapshot-tested, plus
//! meta-tests tying rules, fixtures and checklist IDs together.

use std::path::{Path, PathBuf};

use super::{rules, run_all};
use crate::check::model::{Context, Package};
use crate::finding::Finding;

/// Every checklist ID (from the developers' guide).
const IDS: &[&str] = &[
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

/// Items only the probe can judge.
const PROBE_ONLY: &[&str] = &["protocol-violation", "hidden-tool", "crash-or-hang"];

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<(PathBuf, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, root, out);
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            out.push((path.strip_prefix(root).unwrap().to_path_buf(), text));
        }
    }
}

/// A fixture folder as the loader would see it: one package from its Cargo.toml.
pub fn load(dir: &Path) -> Context {
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    let manifest = files
        .iter()
        .find(|(p, _)| p == Path::new("Cargo.toml"))
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    let name = manifest
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("package")?.get("name")?.as_str().map(String::from))
        .unwrap_or_else(|| "fixture".into());
    let package = Package {
        name,
        manifest_path: "Cargo.toml".into(),
        manifest_text: manifest,
        is_binary: files.iter().any(|(p, _)| p == Path::new("src/main.rs")),
        has_lockfile: files.iter().any(|(p, _)| p == Path::new("Cargo.lock")),
        metadata: serde_json::Value::Null,
    };
    Context::from_files(dir, package, files)
}

fn render(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            let at = f
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}", l.file.display(), l.line, l.column))
                .unwrap_or_default();
            let mut line = format!(
                "{}/{} {:?} {} {} {}",
                f.id,
                f.rule,
                f.severity,
                at,
                f.tool.as_deref().unwrap_or("-"),
                f.message
            );
            for l in &f.labels {
                line.push_str(&format!(
                    "\n    {}:{}:{} {}",
                    l.location.file.display(),
                    l.location.line,
                    l.location.column,
                    l.message
                ));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn fixture_dirs() -> Vec<(String, String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(items) = std::fs::read_dir(fixtures_root()) else {
        return out;
    };
    for item in items.flatten() {
        let id = item.file_name().to_string_lossy().into_owned();
        // `fail`, `pass`, and further cases of either (`fail-run-time-tools`).
        let Ok(kinds) = std::fs::read_dir(item.path()) else {
            continue;
        };
        for dir in kinds.flatten().map(|k| k.path()).filter(|p| p.is_dir()) {
            let kind = dir.file_name().unwrap().to_string_lossy().into_owned();
            if kind == "fail"
                || kind == "pass"
                || kind.starts_with("fail-")
                || kind.starts_with("pass-")
            {
                out.push((id.clone(), kind, dir));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_rule_over_every_fixture() {
    let mut problems = Vec::new();
    for (id, kind, dir) in fixture_dirs() {
        let findings = run_all(&load(&dir));
        let own = findings.iter().filter(|f| f.id == id).count();
        if kind.starts_with("fail") && own == 0 {
            problems.push(format!("{id}/fail yields no `{id}` finding"));
        }
        if kind.starts_with("pass") && own > 0 {
            problems.push(format!(
                "{id}/pass yields `{id}` findings:\n{}",
                render(&findings)
            ));
        }
        insta::assert_snapshot!(format!("{id}-{kind}"), render(&findings));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_serves_a_known_item_and_every_item_has_rules_and_fixtures() {
    let rules = rules();
    for rule in &rules {
        assert!(
            IDS.contains(&rule.item),
            "rule `{}` serves unknown item `{}`",
            rule.name,
            rule.item
        );
    }
    let mut names: Vec<&str> = rules.iter().map(|r| r.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "rule names are unique");
    for id in IDS.iter().filter(|id| !PROBE_ONLY.contains(id)) {
        assert!(rules.iter().any(|r| r.item == *id), "no rule for `{id}`");
        for kind in ["fail", "pass"] {
            assert!(
                fixtures_root().join(id).join(kind).is_dir(),
                "no fixture tests/fixtures/{id}/{kind}"
            );
        }
    }
}

/// Prints the findings for any project folder: `MCP_SECURE_SCAN=<dir> cargo test scan_dir -- --ignored --nocapture`.
#[test]
#[ignore = "manual tool for trying the rules on a project"]
fn scan_dir() {
    let Ok(dir) = std::env::var("MCP_SECURE_SCAN") else {
        return;
    };
    let ctx = load(Path::new(&dir));
    for note in &ctx.notes {
        eprintln!("note: {}: {}", note.path.display(), note.message);
    }
    if std::env::var("MCP_SECURE_FLOWS").is_ok() {
        let a = super::common::Analysis::new(&ctx);
        for f in &a.flows {
            eprintln!(
                "flow {} -> {} {:?}",
                f.tool.name, a.index.fns[f.func].name, f.taint.vars
            );
        }
    }
    let started = std::time::Instant::now();
    let findings = run_all(&ctx);
    let elapsed = started.elapsed();
    eprintln!("{}", render(&findings));
    for rule in rules() {
        let t = std::time::Instant::now();
        let n = (rule.run)(&ctx, &super::common::Analysis::new(&ctx)).len();
        eprintln!("time {:>8.2?} {} ({n})", t.elapsed(), rule.name);
    }
    eprintln!(
        "time {elapsed:.2?} for every rule over {} Rust files",
        ctx.sources.len()
    );
    let t = std::time::Instant::now();
    let parsed = ctx
        .sources
        .iter()
        .filter(|s| syn::parse_file(&s.text).is_ok())
        .count();
    eprintln!(
        "time {:.2?} for a bare syn parse of {parsed} files",
        t.elapsed()
    );
    let t = std::time::Instant::now();
    let again = run_all(&ctx).len();
    eprintln!(
        "time {:.2?} for every rule again ({again} findings)",
        t.elapsed()
    );
}

/// Checks the checklist documents that no static rule implements yet (named so the gap is
/// visible and this list shrinks as rules land).
const NOT_IMPLEMENTED: &[&str] = &[
    "token-passthrough",
    "panic-in-tool",
    "allocation-from-argument",
    "listing-only-restriction",
    "dispatch-outside-router",
];

/// Rule names and the checklist's documented `static:` checks agree both ways.
#[test]
fn rule_names_match_the_checks_the_checklist_documents() {
    let rules = rules();
    for item in crate::checklist::all() {
        let documented: Vec<&str> = item
            .checks
            .iter()
            .filter_map(|c| c.strip_prefix("static:"))
            .collect();
        for name in &documented {
            let done = rules.iter().any(|r| r.item == item.id && r.name == *name);
            assert!(
                done || NOT_IMPLEMENTED.contains(name),
                "checklist/{}.toml lists static:{name}, which no rule implements",
                item.id
            );
            assert!(
                !(done && NOT_IMPLEMENTED.contains(name)),
                "static:{name} is implemented: drop it from NOT_IMPLEMENTED"
            );
        }
        for rule in rules.iter().filter(|r| r.item == item.id) {
            assert!(
                documented.contains(&rule.name),
                "rule `{}` is not listed in checklist/{}.toml",
                rule.name,
                item.id
            );
        }
    }
}

type Walk = fn(&Context, &super::common::Analysis<'_>) -> Vec<Finding>;

/// Walkers whose findings `split.rs` shares out among rules by wording, with those rules.
fn splits() -> Vec<(&'static str, Walk, Vec<Walk>)> {
    use super::split::*;
    use super::{command, disclosure, paths, secrets, sql, tools_meta};
    vec![
        (
            "paths::prefix_checks",
            paths::prefix_checks,
            vec![canonicalize_fallback, path_prefix_compare],
        ),
        (
            "command::program_and_options",
            command::program_and_options,
            vec![user_controlled_program, argv_option_injection],
        ),
        (
            "sql::built_sql",
            sql::built_sql,
            vec![sql_built_by_format, sql_batch_with_user_text],
        ),
        (
            "disclosure::leaked_errors",
            disclosure::leaked_errors,
            vec![
                debug_format_in_result,
                backtrace_in_result,
                error_detail_to_client,
            ],
        ),
        (
            "secrets::source_secrets",
            secrets::source_secrets,
            vec![secret_literal, env_var_literal_fallback],
        ),
        (
            "secrets::file_secrets",
            secrets::file_secrets,
            vec![dotenv_committed, secret_in_config_file],
        ),
        (
            "tools_meta::tool_poisoning",
            tools_meta::tool_poisoning,
            vec![
                description_hidden_instructions,
                description_invisible_unicode,
            ],
        ),
        (
            "tools_meta::vague_description",
            tools_meta::vague_description,
            vec![
                description_missing,
                description_too_short,
                description_generic,
            ],
        ),
        (
            "tools_meta::missing_confirmation",
            tools_meta::missing_confirmation,
            vec![destructive_without_hint, confirmation_not_bound],
        ),
        (
            "tools_meta::misleading_annotation",
            tools_meta::misleading_annotation,
            vec![
                read_only_hint_on_writer,
                destructive_hint_false_on_destroyer,
                annotations_missing,
            ],
        ),
        // `subscriber_writes_stdout` adds `fmt_init`'s findings, so the walker here is both.
        (
            "stdout::stdout_writes",
            stdout_writes_and_fmt_init,
            vec![print_to_stdout, subscriber_writes_stdout],
        ),
    ]
}

fn stdout_writes_and_fmt_init(ctx: &Context, a: &super::common::Analysis<'_>) -> Vec<Finding> {
    let mut out = super::stdout::stdout_writes(ctx, a);
    out.extend(super::stdout::fmt_init(ctx, a));
    out
}

/// Splitting by wording must neither drop a finding nor count it twice: a new message that
/// no rule's wording matches would otherwise vanish from every report.
#[test]
fn every_finding_of_a_split_walker_lands_in_exactly_one_rule() {
    let key = |f: &Finding| format!("{f:?}");
    let splits = splits();
    // How often each rule of each split fired over all fixtures.
    let mut fired: Vec<Vec<usize>> = splits
        .iter()
        .map(|(_, _, rules)| vec![0; rules.len()])
        .collect();
    for (id, kind, dir) in fixture_dirs() {
        let ctx = load(&dir);
        let a = super::common::Analysis::new(&ctx);
        for (s, (name, walk, rules)) in splits.iter().enumerate() {
            let mut want: Vec<String> = walk(&ctx, &a).iter().map(key).collect();
            let mut got = Vec::new();
            for (r, rule) in rules.iter().enumerate() {
                let found = rule(&ctx, &a);
                fired[s][r] += found.len();
                got.extend(found.iter().map(key));
            }
            want.sort();
            got.sort();
            assert_eq!(got, want, "{name} over tests/fixtures/{id}/{kind}");
        }
    }
    let idle: Vec<String> = splits
        .iter()
        .zip(&fired)
        .filter(|(_, counts)| counts.contains(&0))
        .map(|((name, _, _), counts)| format!("{name} {counts:?}"))
        .collect();
    assert!(
        idle.is_empty(),
        "rules split from these walkers fire on no fixture: {idle:?}"
    );
}
