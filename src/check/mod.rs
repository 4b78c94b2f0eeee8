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
use attest::{Answer, Attestation};
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

/// Runs the check on a thread of its own with a large stack: parsing, analysis and rules
/// recurse over syntax trees, and spans resolve through a thread-local source map, so all of
/// it happens on that one thread.
pub fn run(reporter: &Reporter, args: CheckArgs) -> Result<ExitCode> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("check".into())
            .stack_size(analysis::parse::STACK_BYTES)
            .spawn_scoped(scope, || pipeline(reporter, &args))
            .context("cannot start the analysis thread; free some memory and run again")?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// load → analyse → rules → suppress → attest → render, each once.
fn pipeline(reporter: &Reporter, args: &CheckArgs) -> Result<ExitCode> {
    let project = load(args)?;
    let ctx = &project.ctx;
    let settings = Settings::from_context(ctx)?;
    announce(reporter, args, ctx);
    let analysis = rules::Analysis::new(ctx);
    let raw = run_rules(reporter, args, &project, &analysis)?;
    let checked = suppress(reporter, args, ctx, &settings, raw);
    let attested = attest(reporter, args, &project, &settings, &analysis.tools)?;
    let outcome = outcome(ctx, checked, attested);
    render(reporter, args, &outcome)?;
    let code = exit_code(args, &outcome);
    drop(outcome);
    drop(analysis);
    // Freeing hundreds of syntax trees takes a fifth of the run on a large crate, and the
    // process is about to exit: the operating system reclaims the memory at once.
    std::mem::forget(project);
    Ok(code)
}

fn load(args: &CheckArgs) -> Result<load::Project> {
    load::load(&load::Options {
        manifest_path: args.manifest_path.as_deref(),
        packages: &args.packages,
        include_ignored: args.include_ignored,
    })
}

fn announce(reporter: &Reporter, args: &CheckArgs, ctx: &Context) {
    if args.format != Format::Human {
        return;
    }
    let names: Vec<&str> = ctx.packages.iter().map(|p| p.name.as_str()).collect();
    let files = format!(
        "{}, {}",
        human::plural(ctx.sources.len(), "Rust file"),
        human::plural(ctx.data_files.len(), "data file")
    );
    reporter.status("Checking", format!("{} ({files})", names.join(", ")));
}

/// The static rules, and with `--probe` the probe's findings.
fn run_rules(
    reporter: &Reporter,
    args: &CheckArgs,
    project: &load::Project,
    analysis: &rules::Analysis<'_>,
) -> Result<Vec<Finding>> {
    let mut raw = rules::run_rules(&project.ctx, analysis);
    if args.probe {
        // Opt-in: the package is built and run, inside the probe's sandbox only.
        let run = crate::probe::probe_package(reporter, Some(&project.manifest))?;
        if args.format == Format::Human {
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
    Ok(raw)
}

/// The automated findings after suppressions and severity overrides.
struct Checked {
    findings: Vec<Finding>,
    notes: Vec<Note>,
    suppressed: usize,
}

fn suppress(
    reporter: &Reporter,
    args: &CheckArgs,
    ctx: &Context,
    settings: &Settings,
    raw: Vec<Finding>,
) -> Checked {
    let suppressed = suppress::apply(ctx, settings, raw);
    let mut notes = ctx.notes.clone();
    notes.extend(suppressed.notes);
    let findings = with_severities(settings, suppressed.findings);
    if args.format == Format::Human {
        human::findings(reporter, ctx, &findings, &[]);
    }
    Checked {
        findings,
        notes,
        suppressed: suppressed.suppressed,
    }
}

/// What people answered: the recorded attestations (asked for in a terminal), each item's
/// evidence today, and the items they declined as findings.
struct Attested {
    attestations: BTreeMap<String, Attestation>,
    evidence: BTreeMap<String, attest::Evidence>,
    declined: Vec<Finding>,
    notes: Vec<Note>,
}

fn attest(
    reporter: &Reporter,
    args: &CheckArgs,
    project: &load::Project,
    settings: &Settings,
    tools: &[analysis::tools::ToolInfo],
) -> Result<Attested> {
    let ctx = &project.ctx;
    let evidence: BTreeMap<String, attest::Evidence> = checklist::all()
        .iter()
        .filter(|i| i.question.is_some())
        .map(|i| (i.id.clone(), attest::evidence::of_item(i, tools)))
        .collect();
    let asking = reporter.interactive() && !args.ci;
    reanswerable(&args.reanswer, asking)?;
    let manifest_rel = load::relative(&project.manifest, &ctx.root);
    let (mut attestations, bad) = attest::read(&project.manifest)?;
    let notes = bad
        .into_iter()
        .map(|message| Note {
            path: manifest_rel.clone(),
            message,
        })
        .collect();
    if asking {
        let recorded = ask(reporter, project, args, &attestations, &evidence, tools)?;
        attestations.extend(recorded);
    }
    let manifest_now = std::fs::read_to_string(&project.manifest).unwrap_or_default();
    let declined = declined(
        settings,
        &attestations,
        &evidence,
        &manifest_now,
        &manifest_rel,
    );
    if args.format == Format::Human {
        human::findings(
            reporter,
            ctx,
            &declined,
            &[(manifest_rel.as_path(), manifest_now.as_str())],
        );
    }
    Ok(Attested {
        attestations,
        evidence,
        declined,
        notes,
    })
}

/// `--reanswer` names items with a question, and only works where questions are asked.
fn reanswerable(ids: &[String], asking: bool) -> Result<()> {
    let with_question: Vec<&str> = checklist::all()
        .iter()
        .filter(|i| i.question.is_some())
        .map(|i| i.id.as_str())
        .collect();
    if let Some(bad) = ids.iter().find(|id| !with_question.contains(&id.as_str())) {
        anyhow::bail!(
            "`{bad}` is not an item with a question; --reanswer takes one of: {}",
            with_question.join(", ")
        );
    }
    if !ids.is_empty() && !asking {
        anyhow::bail!(
            "--reanswer asks on a terminal: run `cargo mcp-secure check --reanswer <ID>` in a terminal, without --ci"
        );
    }
    Ok(())
}

/// Asks the open questions (and those named by `--reanswer`) in a terminal and records the
/// answers in the manifest.
fn ask(
    reporter: &Reporter,
    project: &load::Project,
    args: &CheckArgs,
    attestations: &BTreeMap<String, Attestation>,
    evidence: &BTreeMap<String, attest::Evidence>,
    tools: &[analysis::tools::ToolInfo],
) -> Result<BTreeMap<String, Attestation>> {
    let open: Vec<attest::ask::Open<'_>> = checklist::all()
        .iter()
        .filter(|i| i.question.is_some())
        .filter_map(|item| {
            let now = &evidence[&item.id];
            let why = match attestations.get(&item.id) {
                None => "not answered yet".to_string(),
                Some(a) if a.evidence != now.hash => format!(
                    "the evidence changed since the last answer: {}",
                    attest::evidence::changes(&a.tools, now).join(", ")
                ),
                Some(a) if args.reanswer.contains(&item.id) => {
                    format!("asked again; recorded: {}", answer_text(&a.answer))
                }
                Some(_) => return None,
            };
            Some(attest::ask::Open { item, why })
        })
        .collect();
    let answers = attest::ask(reporter, &open, tools)?;
    if answers.is_empty() {
        return Ok(BTreeMap::new());
    }
    let (by, at) = (attest::who(), attest::now());
    let recorded: BTreeMap<String, Attestation> = answers
        .into_iter()
        .map(|(id, answer)| {
            let now = &evidence[&id];
            let a = Attestation {
                answer,
                evidence: now.hash.clone(),
                tools: now.tools.clone(),
                by: by.clone(),
                at: at.clone(),
            };
            (id, a)
        })
        .collect();
    attest::write(&project.manifest, &recorded).with_context(|| {
        format!(
            "cannot record the answers in `{}`",
            project.manifest.display()
        )
    })?;
    let manifest_rel = load::relative(&project.manifest, &project.ctx.root);
    reporter.status(
        "Recorded",
        format!(
            "{} in {}",
            human::plural(recorded.len(), "answer"),
            manifest_rel.display()
        ),
    );
    Ok(recorded)
}

fn answer_text(answer: &Answer) -> String {
    match answer {
        Answer::Yes => "yes".into(),
        Answer::No => "no".into(),
        Answer::Text(t) => format!("\"{t}\""),
    }
}

fn outcome<'a>(ctx: &'a Context, checked: Checked, attested: Attested) -> Outcome<'a> {
    let mut findings = checked.findings;
    findings.extend(attested.declined);
    findings.sort_by(|a, b| {
        a.location
            .cmp(&b.location)
            .then(a.id.cmp(&b.id))
            .then(a.message.cmp(&b.message))
    });
    let mut notes = checked.notes;
    notes.extend(attested.notes);
    notes.sort();
    notes.dedup();
    let items = statuses(&findings, &attested.attestations, &attested.evidence);
    Outcome {
        ctx,
        items,
        findings,
        notes,
        suppressed: checked.suppressed,
    }
}

fn render(reporter: &Reporter, args: &CheckArgs, outcome: &Outcome<'_>) -> Result<()> {
    match args.format {
        Format::Human => human::summary(
            reporter,
            outcome,
            !args.ci && reporter.interactive(),
            args.require_attestations,
        ),
        Format::Json => reporter
            .out(&json::render(outcome))
            .context("cannot write to stdout")?,
        Format::Sarif => reporter
            .out(&json::sarif(outcome))
            .context("cannot write to stdout")?,
    }
    Ok(())
}

/// 1 when a finding reaches `--fail-on`, or `--require-attestations` finds an open item.
fn exit_code(args: &CheckArgs, outcome: &Outcome<'_>) -> ExitCode {
    let threshold = args.fail_on.threshold();
    let failing = outcome.findings.iter().any(|f| f.severity >= threshold);
    let unattested = args.require_attestations
        && outcome
            .items
            .iter()
            .any(|i| matches!(i.status, Status::Manual | Status::Stale));
    if failing || unattested {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
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
    evidence: &BTreeMap<String, attest::Evidence>,
    text: &str,
    rel: &Path,
) -> Vec<Finding> {
    checklist::all()
        .iter()
        .filter(|i| i.question.is_some())
        .filter_map(|i| {
            let current = |a: &&Attestation| a.answer == Answer::No && Some(&a.evidence) == evidence.get(&i.id).map(|e| &e.hash);
            attestations.get(&i.id).filter(current).map(|a| (i, a))
        })
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
                help: Some(format!("fix what is missing, then run `cargo mcp-secure check --reanswer {}` in a terminal to answer again", item.id)),
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
    evidence: &BTreeMap<String, attest::Evidence>,
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
                    Some(a) if Some(&a.evidence) != evidence.get(&item.id).map(|e| &e.hash) => {
                        Status::Stale
                    }
                    Some(_) => Status::Pass,
                },
            };
            ItemStatus { item, status }
        })
        .collect()
}
