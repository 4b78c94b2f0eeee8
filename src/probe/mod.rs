//! `cargo mcp-secure probe`: a black-box attacker for any stdio MCP server, run in a throw-away
//! sandbox; every effect is reported with the request that caused it.

mod args;
mod attacks;
mod canaries;
#[cfg(test)]
mod checks;
mod client;
#[cfg(target_os = "linux")]
mod confine;
mod credentials;
mod denial;
mod derive;
mod lines;
mod listener;
#[cfg(target_os = "linux")]
mod netlink;
mod observe;
mod process;
mod project;
mod reaper;
mod report;
mod sandbox;
mod session;
mod tool;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

pub use args::{Format, ProbeArgs};
use client::{Client, KNOWN_VERSIONS, Reply};
#[cfg(target_os = "linux")]
pub use confine::{ConfineArgs, run as confine};
use process::Spec;
pub use report::Run;
use report::{Confinement, ServerInfo, ToolStatus};
use sandbox::Sandbox;
use session::{Limits, Session};
use tool::Tool;

use crate::finding::{Evidence, Severity};
use crate::report::Reporter;

const MAX_PAGES: usize = 20;

pub fn run(reporter: &Reporter, args: ProbeArgs) -> Result<ExitCode> {
    let run = execute(reporter, &args)?;
    match args.format {
        Format::Json => reporter.out(&format!("{:#}\n", report::json(&run)))?,
        Format::Sarif => reporter.out(&format!(
            "{:#}\n",
            crate::render::sarif::render_all(&run.findings)
        ))?,
        Format::Human => {}
    }
    report::human(reporter, &run);
    if process::interrupted() {
        bail!("interrupted: the server's process group was killed and the sandbox removed");
    }
    let failing = run.findings.iter().any(|f| f.severity >= args.fail_on);
    Ok(ExitCode::from(u8::from(failing)))
}

/// Probes the cargo package at `manifest_path` (or the one here) with its metadata table and
/// default limits, for `check --probe`; returns the run without printing it.
pub fn probe_package(reporter: &Reporter, manifest_path: Option<&std::path::Path>) -> Result<Run> {
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: ProbeArgs,
    }
    let mut argv = vec!["probe".to_string()];
    if let Some(path) = manifest_path {
        argv.push("--manifest-path".into());
        argv.push(path.display().to_string());
    }
    let wrapper = <Wrapper as clap::Parser>::try_parse_from(argv)
        .context("cannot build the probe's default options")?;
    let run = execute(reporter, &wrapper.args)?;
    if process::interrupted() {
        bail!("interrupted: the server's process group was killed and the sandbox removed");
    }
    Ok(run)
}

/// Starts the server in a fresh sandbox, attacks it, and returns what was observed, sorted.
fn execute(reporter: &Reporter, args: &ProbeArgs) -> Result<Run> {
    if !(args.timeout > 0.0
        && args.timeout.is_finite()
        && args.max_time > 0.0
        && args.max_time.is_finite())
    {
        bail!("--timeout and --max-time must be positive numbers of seconds");
    }
    if let Some(bad) = args
        .only
        .iter()
        .chain(&args.skip)
        .find(|id| !crate::checklist::all().iter().any(|item| &item.id == *id))
    {
        bail!("`{bad}` is not a checklist id: see `cargo mcp-secure list`");
    }
    process::install_interrupt_handler();
    let processes = reaper::become_subreaper();
    let (program, raw_args, mut env, secret_env) =
        if let Some((program, rest)) = args.command.split_first() {
            (
                program.clone(),
                rest.to_vec(),
                BTreeMap::new(),
                args.secret_env.clone(),
            )
        } else {
            let t = project::resolve(args.manifest_path.as_deref(), reporter)?;
            let mut secrets = t.secret_env;
            secrets.extend(args.secret_env.iter().cloned());
            (t.program, t.args, t.env, secrets)
        };
    env.extend(args.env.iter().cloned());
    // The time budget is the probe's: building the package (above) does not spend it.
    let started = Instant::now();
    let mut sandbox = Sandbox::create(&secret_env, args.seed.as_deref())?;
    let mut writable = vec![sandbox.workspace.clone()];
    for dir in &args.allow_write {
        writable.push(
            dir.canonicalize()
                .with_context(|| format!("--allow-write {}: no such folder", dir.display()))?,
        );
    }
    let spec = Spec {
        program: absolute_if_local(&sandbox.expand(&program), true),
        args: raw_args
            .iter()
            .map(|a| absolute_if_local(&sandbox.expand(a), false))
            .collect(),
        cwd: sandbox.allowed.clone(),
        env: server_env(&sandbox, &env),
        inherit_env: args.inherit_env,
        confine: confinement(writable, args.allow_network),
    };
    let limits = Limits {
        timeout: Duration::from_secs_f64(args.timeout),
        // 0 until the tools are listed, then the budget they need (mod.rs: probe).
        max_calls: args.max_calls.map_or(0, |n| n as usize),
        deadline: started + Duration::from_secs_f64(args.max_time),
        destructive: args.destructive,
        only: args.only.clone(),
        skip: args.skip.clone(),
    };
    let outcome = probe(&sandbox, spec, limits);
    let workspace = args.keep.then(|| sandbox.keep().display().to_string());
    let mut run = outcome?;
    run.workspace = workspace;
    run.confinement.processes = processes;
    if !args.only.is_empty() {
        run.findings.retain(|f| args.only.contains(&f.id));
    }
    run.findings.retain(|f| !args.skip.contains(&f.id));
    run.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.id.cmp(&b.id))
            .then(a.tool.cmp(&b.tool))
    });
    Ok(run)
}

/// The server runs in `{allowed}`, so a relative path to a file here (a script, a binary) is
/// made absolute; other arguments are left alone.
fn absolute_if_local(arg: &str, program: bool) -> String {
    let path = std::path::Path::new(arg);
    let local = path.is_relative() && (!program || arg.contains('/')) && path.is_file();
    match std::env::current_dir() {
        Ok(cwd) if local => cwd.join(path).display().to_string(),
        _ => arg.to_string(),
    }
}

#[cfg(target_os = "linux")]
fn confinement(writable: Vec<std::path::PathBuf>, host_network: bool) -> Option<process::Confine> {
    Some(process::Confine {
        writable,
        host_network,
    })
}

/// Landlock and namespaces are Linux's: elsewhere the server starts unconfined, and the
/// report's header says so.
#[cfg(not(target_os = "linux"))]
fn confinement(_: Vec<std::path::PathBuf>, _: bool) -> Option<process::Confine> {
    None
}

fn server_env(sandbox: &Sandbox, user: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert(
        "PATH".into(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into()),
    );
    env.insert("HOME".into(), sandbox.home.display().to_string());
    env.insert("LANG".into(), "C.UTF-8".into());
    env.insert("TMPDIR".into(), sandbox.tmp.display().to_string());
    for (k, v) in &sandbox.secrets {
        env.insert(k.clone(), v.clone());
    }
    for (k, v) in user {
        env.insert(k.clone(), sandbox.expand(v));
    }
    env
}

/// Starts the server, checks the handshake and the listings, attacks each tool.
fn probe(sandbox: &Sandbox, spec: Spec, limits: Limits) -> Result<Run> {
    let before = observe::snapshot(sandbox);
    let mut client = Client::spawn(&spec).with_context(|| {
        format!(
            "could not start `{}`: check the command and PATH",
            spec.program
        )
    })?;
    let init = match client.handshake(limits.timeout) {
        Reply::Result(r) => r,
        _ if process::interrupted() => {
            bail!("interrupted before the server finished its handshake")
        }
        other => {
            let status = client
                .exit_status(Duration::from_millis(500))
                .map_or("is still running".to_string(), |s| format!("exited ({s})"));
            client.settle_stderr(Duration::from_millis(500));
            let garbage = client
                .pollution
                .iter()
                .take(3)
                .map(|(l, _)| format!("\n  stdout: {l}"))
                .collect::<String>();
            let lines = client.stderr_tail();
            let hint = denial::start_hint(&lines.join("\n"), &[sandbox.workspace.as_path()])
                .map(|h| format!("\n  hint: {h}"))
                .unwrap_or_default();
            let tail = lines
                .iter()
                .rev()
                .take(15)
                .rev()
                .map(|l| format!("\n  stderr: {l}"))
                .collect::<String>();
            client.kill();
            let why = match other {
                Reply::Timeout => "did not answer `initialize`".to_string(),
                Reply::Closed => "closed the connection before answering `initialize`".to_string(),
                Reply::Error { message, .. } => format!("refused `initialize`: {message}"),
                Reply::Result(_) => unreachable!(),
            };
            bail!(
                "the server `{}` spoke no MCP: it {why} and {status}{garbage}{tail}{hint}",
                spec.display()
            );
        }
    };
    let confinement = Confinement::from_launcher(
        spec.confine.is_some(),
        client.confinement(Duration::from_secs(1)).as_deref(),
    );
    let mut s = Session::new(sandbox, spec, client, limits, before);
    let server = handshake_checks(&mut s, &init);
    attacks::protocol::unknown_method(&mut s);
    s.check_pollution(None);
    let tools = list_tools(&mut s);
    s.startup_effects();
    if s.limits.max_calls == 0 {
        s.limits.max_calls = attacks::budget(&tools);
    }
    attacks::metadata::tools(&mut s, &tools);
    attacks::metadata::others(&mut s, &init);
    let mut statuses = Vec::new();
    let mut ok_tools = Vec::new();
    // Destructive tools go last, each followed by a fresh sandbox, so that they cannot
    // destroy the canaries the other tools are attacked with.
    let (calm, destructive): (Vec<&Tool>, Vec<&Tool>) =
        tools.iter().partition(|t| !t.looks_destructive());
    for t in calm.into_iter().chain(destructive) {
        let before = observe::snapshot(sandbox);
        let (status, ok) = attack_tool(&mut s, t.clone());
        attacks::followup::run(&mut s, t, &tools, &before);
        if t.looks_destructive() && status.attacked {
            s.restore();
        }
        statuses.push(status);
        ok_tools.extend(ok);
    }
    statuses.sort_by(|a, b| a.name.cmp(&b.name));
    attacks::hidden::run(&mut s, &tools);
    attacks::burst::run(&mut s, &ok_tools);
    s.malformed_json();
    for t in statuses
        .iter_mut()
        .filter(|t| s.rate_limited.contains(&t.name))
    {
        t.attacked = false;
        t.reason = Some("a rate limiter kept refusing the attacks even after waiting; the results prove nothing".into());
    }
    s.shutdown(&tools);
    // A second server, after the first has gone, so the two never share the sandbox.
    attacks::protocol::version_negotiation(&mut s);
    Ok(Run {
        server,
        tools: statuses,
        findings: std::mem::take(&mut s.findings),
        calls: s.calls,
        stopped: s.stopped.clone(),
        workspace: None,
        confinement,
    })
}

fn handshake_checks(s: &mut Session, init: &Value) -> ServerInfo {
    let info = init.get("serverInfo");
    let field = |k: &str| {
        let text = info.and_then(|i| i.get(k)).and_then(Value::as_str);
        observe::clip_noted(text.unwrap_or(""), observe::REPORT_CHARS)
    };
    let protocol = init
        .get("protocolVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize"});
    if s.wants("protocol-violation") {
        if !KNOWN_VERSIONS.contains(&protocol.as_str()) {
            let ev = Evidence {
                argument: None,
                request: request.clone(),
                observed: format!("protocolVersion {protocol:?} is not a published MCP version"),
            };
            s.report(
                "protocol-violation",
                Severity::Warn,
                None,
                "version",
                "the server answered with an unknown protocol version".into(),
                Some(ev),
            );
        }
        if info.is_none() || init.get("capabilities").is_none() {
            let ev = Evidence {
                argument: None,
                request,
                observed: "the initialize result lacks serverInfo or capabilities".into(),
            };
            s.report(
                "protocol-violation",
                Severity::Warn,
                None,
                "init",
                "the initialize result is incomplete".into(),
                Some(ev),
            );
        }
    }
    ServerInfo {
        name: field("name"),
        version: field("version"),
        protocol,
    }
}

fn list_tools(s: &mut Session) -> Vec<Tool> {
    let mut tools = Vec::new();
    let mut cursor: Option<String> = None;
    let mut cursors = std::collections::HashSet::new();
    for page in 1..=MAX_PAGES {
        let params = cursor.as_ref().map_or(json!({}), |c| json!({"cursor": c}));
        let request = json!({"jsonrpc": "2.0", "method": "tools/list", "params": params});
        let r = match s.request("tools/list", params) {
            Reply::Result(r) => r,
            other => {
                let observed = match other {
                    Reply::Error { message, .. } => format!("tools/list failed: {message}"),
                    Reply::Timeout => "tools/list got no answer".to_string(),
                    _ => "the server closed the connection on tools/list".to_string(),
                };
                let ev = Evidence {
                    argument: None,
                    request,
                    observed,
                };
                s.report(
                    "protocol-violation",
                    Severity::Warn,
                    None,
                    "tools/list",
                    "the server did not list its tools".into(),
                    Some(ev),
                );
                break;
            }
        };
        tools.extend(
            r.get("tools")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Tool::from_listing),
        );
        cursor = r
            .get("nextCursor")
            .and_then(Value::as_str)
            .map(str::to_string);
        let Some(next) = cursor.as_deref() else {
            break;
        };
        let observed = if !cursors.insert(next.to_string()) {
            format!(
                "page {page} gave the cursor {:?} again: the listing would never end",
                observe::clip(next, 200)
            )
        } else if page == MAX_PAGES {
            format!("a cursor still came after {MAX_PAGES} pages: the probe stopped listing")
        } else {
            continue;
        };
        let ev = Evidence {
            argument: None,
            request,
            observed,
        };
        s.report(
            "protocol-violation",
            Severity::Warn,
            None,
            "pagination",
            "the server's tools/list pagination does not end".into(),
            Some(ev),
        );
        break;
    }
    tools
}

/// A destructive tool whose first plain call already destroyed something asked for no confirmation.
fn confirmation(s: &mut Session, t: &Tool, base: &session::Outcome) {
    let destroyed: Vec<String> = base
        .changes
        .iter()
        .filter(|c| c.verb != "created")
        .map(ToString::to_string)
        .collect();
    if base.ok() && !destroyed.is_empty() {
        let observed = format!(
            "one call, with no confirmation step: {}",
            destroyed.join(", ")
        );
        let ev = Evidence {
            argument: None,
            request: base.request.clone(),
            observed,
        };
        let msg = format!(
            "`{}` destroys data on the first call without asking for confirmation",
            t.name
        );
        s.report(
            "missing-confirmation",
            Severity::Warn,
            Some(&t.name),
            "confirm",
            msg,
            Some(ev),
        );
    }
}

/// Attacks one tool; returns its status and, when its baseline worked, the tool.
fn attack_tool(s: &mut Session, mut t: Tool) -> (ToolStatus, Option<Tool>) {
    let mut status = ToolStatus {
        name: t.name.clone(),
        attacked: false,
        reason: None,
        derived: None,
        baseline: None,
    };
    if t.looks_destructive() && !s.limits.destructive {
        status.reason =
            Some("it declares or looks destructive (pass --destructive to attack it)".into());
        return (status, None);
    }
    if t.params.is_empty() {
        status.derived = derive::derive(s, &mut t);
    }
    let Some(base) = s.call(
        &t,
        &t.name.clone(),
        Value::Object(t.baseline()),
        None,
        "excessive-privilege",
        "baseline",
    ) else {
        status.reason = s.stopped.clone();
        return (status, None);
    };
    status.baseline = Some(if base.ok() {
        "ok".to_string()
    } else {
        observe::clip(base.text.trim(), 160)
    });
    let calls_before = s.calls;
    if t.looks_destructive() && s.wants("missing-confirmation") {
        confirmation(s, &t, &base);
        attacks::confirm::run(s, &t, &base);
    }
    attacks::paths::run(s, &t);
    attacks::shell::run(s, &t);
    attacks::option::run(s, &t);
    attacks::sql::run(s, &t);
    attacks::oversize::run(s, &t);
    attacks::after_baseline(s, &t, &base);
    status.attacked = s.calls > calls_before || t.params.is_empty();
    if let Some(why) = s.stopped.clone() {
        // Cut short is not attacked: the report lists it with the reason.
        status.reason = Some(if status.attacked {
            format!("only in part, the run stopped: {why}")
        } else {
            why
        });
        status.attacked = false;
    }
    (status, base.ok().then_some(t))
}
