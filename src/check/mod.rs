//! `cargo mcp-secure check`: the pre-deploy checklist. Loads the project without running
//! any of its code, runs every static rule, applies the project's suppressions and severity
//! overrides, asks a person what a machine cannot judge, and reports per checklist item.

pub mod analysis;
mod args;
mod attest;
mod config;
mod human;
mod json;
mod load;
pub mod model;
pub mod rules;
mod suppress;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use serde::Serialize;

pub use args::CheckArgs;
use args::Format;
use attest::Attestation;
use config::Settings;
use model::{Context, Note};

use crate::checklist::{self, Item};
use crate::finding::{Finding, Location};
use crate::report::Reporter;

/// The state of one checklist item after a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Fail,
    Warn,
    Stale,
    Manual,
    Pass,
}

pub struct ItemStatus {
    pub item: &'static Item,
    pub status: Status,
}

/// Everything a renderer needs.
pub struct Outcome<'a> {
    pub ctx: &'a Context,
    pub items: Vec<ItemStatus>,
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub suppressed: usize,
}

pub fn run(reporter: &Reporter, args: CheckArgs) -> Result<ExitCode> {
    let opts = load::Options {
        manifest_path: args.manifest_path.as_deref(),
        packages: &args.packages,
        include_ignored: args.include_ignored,
    };
    let project = load::load(&opts)?;
    let ctx = &project.ctx;
    let settings = Settings::from_context(ctx)?;
    let human = args.format == Format::Human;
    if human {
        let names: Vec<&str> = ctx.packages.iter().map(|p| p.name.as_str()).collect();
        let files = format!(
            "{}, {}",
            human::plural(ctx.sources.len(), "Rust file"),
            human::plural(ctx.data_files.len(), "data file")
        );
        reporter.status("Checking", format!("{} ({files})", names.join(", ")));
    }

    let mut raw = rules::run_all(ctx);
    if args.probe {
        // Opt-in: the package is built and run, inside the probe's sandbox only.
        let run = crate::probe::probe_package(reporter, Some(&project.manifest))?;
        if human {
            reporter.status(
                "Probed",
                format!(
                    "{} {}: {} tool calls",
                    run.server.name, run.server.version, run.calls
                ),
            );
        }
        raw.extend(run.findings);
    }
    let suppressed = suppress::apply(ctx, &settings, raw);
    let mut notes = ctx.notes.clone();
    notes.extend(suppressed.notes);
    let automated = with_severities(&settings, suppressed.findings);
    if human {
        human::findings(reporter, ctx, &automated, &[]);
    }

    let tools = analysis::tools::tools(ctx);
    let evidence = attest::evidence_hash(&tools);
    let manifest_rel = load::relative(&project.manifest, &ctx.root);
    let (mut attestations, bad) = attest::read(&project.manifest)?;
    notes.extend(bad.into_iter().map(|message| Note {
        path: manifest_rel.clone(),
        message,
    }));

    if reporter.interactive() && !args.ci {
        let open: Vec<(&str, &str, bool)> = checklist::all()
            .iter()
            .filter_map(|i| {
                let question = i.question.as_deref()?;
                match attestations.get(&i.id) {
                    Some(a) if a.evidence == evidence => None,
                    other => Some((i.id.as_str(), question, other.is_some())),
                }
            })
            .collect();
        let answers = attest::ask(reporter, &open, &tools)?;
        if !answers.is_empty() {
            let (by, at) = (attest::who(), attest::now());
            let recorded: BTreeMap<String, Attestation> = answers
                .into_iter()
                .map(|(id, answer)| {
                    (
                        id,
                        Attestation {
                            answer,
                            evidence: evidence.clone(),
                            by: by.clone(),
                            at: at.clone(),
                        },
                    )
                })
                .collect();
            attest::write(&project.manifest, &recorded).with_context(|| {
                format!(
                    "cannot record the answers in `{}`",
                    project.manifest.display()
                )
            })?;
            reporter.status(
                "Recorded",
                format!(
                    "{} in {}",
                    human::plural(recorded.len(), "answer"),
                    manifest_rel.display()
                ),
            );
            attestations.extend(recorded);
        }
    }

    let manifest_now = std::fs::read_to_string(&project.manifest).unwrap_or_default();
    let declined = declined(
        &settings,
        &attestations,
        &evidence,
        &manifest_now,
        &manifest_rel,
    );
    if human {
        human::findings(
            reporter,
            ctx,
            &declined,
            &[(manifest_rel.as_path(), manifest_now.as_str())],
        );
    }
    let mut findings = automated;
    findings.extend(declined);
    findings.sort_by(|a, b| {
        a.location
            .cmp(&b.location)
            .then(a.id.cmp(&b.id))
            .then(a.message.cmp(&b.message))
    });
    notes.sort();
    notes.dedup();

    let items = statuses(&findings, &attestations, &evidence);
    let outcome = Outcome {
        ctx,
        items,
        findings,
        notes,
        suppressed: suppressed.suppressed,
    };
    match args.format {
        Format::Human => human::summary(reporter, &outcome, !args.ci && reporter.interactive()),
        Format::Json => reporter
            .out(&json::render(&outcome))
            .context("cannot write to stdout")?,
        Format::Sarif => reporter
            .out(&json::sarif(&outcome))
            .context("cannot write to stdout")?,
    }

    let threshold = args.fail_on.threshold();
    let failing = outcome.findings.iter().any(|f| f.severity >= threshold);
    let unattested = args.require_attestations
        && outcome
            .items
            .iter()
            .any(|i| matches!(i.status, Status::Manual | Status::Stale));
    drop(outcome);
    // Freeing hundreds of syntax trees takes a fifth of the run on a large crate, and the
    // process is about to exit: the operating system reclaims the memory at once.
    std::mem::forget(project);
    Ok(if failing || unattested {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Applies the project's severity overrides.
fn with_severities(settings: &Settings, findings: Vec<Finding>) -> Vec<Finding> {
    findings
        .into_iter()
        .map(|mut f| {
            f.severity = settings.severity(
                &f.id,
                f.location.as_ref().map(|l| l.file.as_path()),
                f.severity,
            );
            f
        })
        .collect()
}

/// A current `false` answer is a person saying the practice is not met: a finding under the
/// item at its severity (after overrides), pointing at the recorded answer.
fn declined(
    settings: &Settings,
    attestations: &BTreeMap<String, Attestation>,
    evidence: &str,
    text: &str,
    rel: &Path,
) -> Vec<Finding> {
    checklist::all()
        .iter()
        .filter(|i| i.question.is_some())
        .filter_map(|i| attestations.get(&i.id).filter(|a| !a.answer && a.evidence == evidence).map(|a| (i, a)))
        .map(|(item, a)| {
            let needle = format!("attestations.{}]", item.id);
            let found = text.lines().enumerate().find(|(_, l)| l.contains(&needle));
            let (line, width) = found.map_or((1, 0), |(n, l)| (n + 1, l.trim_end().chars().count()));
            Finding {
                id: item.id.clone(),
                rule: crate::finding::ATTESTATION_DECLINED.into(),
                severity: settings.severity(&item.id, Some(rel), item.severity),
                message: format!("{} answered no to: {}", if a.by.is_empty() { "a person" } else { &a.by }, item.question.as_deref().unwrap_or_default()),
                location: Some(Location { file: rel.to_path_buf(), line, column: 1, end_line: line, end_column: width + 1 }),
                labels: vec![],
                help: Some("fix what is missing, then run `cargo mcp-secure check` in a terminal to answer again".into()),
                tool: None,
                evidence: None,
            }
        })
        .collect()
}

/// Per item: `fail`/`warn` from its findings, else `manual`/`stale` for an open question,
/// else `pass`. Info findings do not change an item's status.
fn statuses(
    findings: &[Finding],
    attestations: &BTreeMap<String, Attestation>,
    evidence: &str,
) -> Vec<ItemStatus> {
    use crate::finding::Severity;
    checklist::all()
        .iter()
        .map(|item| {
            let worst = findings
                .iter()
                .filter(|f| f.id == item.id)
                .map(|f| f.severity)
                .max();
            let status = match worst {
                Some(Severity::Fail) => Status::Fail,
                Some(Severity::Warn) => Status::Warn,
                _ if item.question.is_none() => Status::Pass,
                _ => match attestations.get(&item.id) {
                    None => Status::Manual,
                    Some(a) if a.evidence != evidence => Status::Stale,
                    Some(_) => Status::Pass,
                },
            };
            ItemStatus { item, status }
        })
        .collect()
}
