//! Rendering a probe run: JSON or SARIF on stdout, people text on stderr.

use console::Style;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::finding::{Finding, Severity};
use crate::report::Reporter;

#[derive(Debug, Clone, Serialize)]
pub struct ServerInfo {
    pub name: String,
    pub version: String,
    pub protocol: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolStatus {
    pub name: String,
    pub attacked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived: Option<String>,
    /// How the schema-valid baseline call ended: `ok`, or the refusal text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
}

/// One protection: whether it is in place, and how or why not.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Protection {
    pub on: bool,
    pub how: String,
}

impl Protection {
    pub fn on(how: impl Into<String>) -> Self {
        Self {
            on: true,
            how: how.into(),
        }
    }

    pub fn off(why: impl Into<String>) -> Self {
        Self {
            on: false,
            how: why.into(),
        }
    }
}

/// Which protections held the server in, and which did not: never left unsaid.
#[derive(Debug, Clone, Serialize)]
pub struct Confinement {
    pub writes: Protection,
    pub network: Protection,
    pub processes: Protection,
    pub signals: Protection,
    pub reads: Protection,
}

/// What the launcher reports on its first stderr line.
#[derive(Deserialize)]
struct Launcher {
    writes: Protection,
    network: Protection,
    signals: Protection,
}

impl Confinement {
    /// From the launcher's line; `confined` is false where the server was started directly.
    pub fn from_launcher(confined: bool, status: Option<&str>) -> Self {
        let launcher = status.and_then(|s| serde_json::from_str::<Launcher>(s).ok());
        let missing = if confined {
            "the launcher reported nothing, so this protection is taken as off"
        } else {
            "not on this OS: the server runs with the user's full privileges"
        };
        let (writes, network, signals) = match launcher {
            Some(l) => (l.writes, l.network, l.signals),
            None => (
                Protection::off(missing),
                Protection::off(missing),
                Protection::off(missing),
            ),
        };
        Self {
            writes,
            network,
            signals,
            processes: Protection::off("not set up"),
            reads: Protection::off(
                "the server can read any file the user can; the probe sees reads of its own canaries only",
            ),
        }
    }

    fn all(&self) -> [(&'static str, &Protection); 5] {
        [
            ("writes", &self.writes),
            ("network", &self.network),
            ("processes", &self.processes),
            ("signals", &self.signals),
            ("reads", &self.reads),
        ]
    }
}

impl ToolStatus {
    /// A copy whose server-given texts (a name of megabytes, say) are clipped for the report.
    fn clipped(&self) -> Self {
        let clip = |t: &String| super::observe::clip_noted(t, super::observe::REPORT_CHARS);
        Self {
            name: clip(&self.name),
            attacked: self.attacked,
            reason: self.reason.as_ref().map(clip),
            derived: self.derived.as_ref().map(clip),
            baseline: self.baseline.as_ref().map(clip),
        }
    }
}

pub struct Run {
    pub confinement: Confinement,
    pub server: ServerInfo,
    pub tools: Vec<ToolStatus>,
    pub findings: Vec<Finding>,
    pub calls: usize,
    pub stopped: Option<String>,
    pub workspace: Option<String>,
}

pub fn json(run: &Run) -> Value {
    let findings: Vec<Value> = run
        .findings
        .iter()
        .map(|f| {
            let ev = f.evidence.as_ref();
            json!({
                "id": f.id,
                "severity": f.severity,
                "tool": f.tool,
                "message": f.message,
                "argument": ev.and_then(|e| e.argument.clone()),
                "request": ev.map_or(Value::Null, |e| e.request.clone()),
                "evidence": ev.map(|e| e.observed.clone()),
            })
        })
        .collect();
    json!({
        "confinement": run.confinement,
        "server": run.server,
        "tools": run.tools.iter().map(ToolStatus::clipped).collect::<Vec<_>>(),
        "findings": findings,
        "calls": run.calls,
        "stopped": run.stopped,
    })
}

pub fn human(reporter: &Reporter, run: &Run) {
    let tools: Vec<ToolStatus> = run.tools.iter().map(ToolStatus::clipped).collect();
    for (name, p) in run.confinement.all() {
        if p.on {
            reporter.status("Sandbox", format!("{name}: {}", p.how));
        } else {
            reporter.warn(format!("sandbox: {name} not confined: {}", p.how));
        }
    }
    for f in &run.findings {
        let (label, style) = match f.severity {
            Severity::Fail => ("error", Style::new().red().bold()),
            Severity::Warn => ("warning", Style::new().yellow().bold()),
            Severity::Info => ("note", Style::new().cyan().bold()),
        };
        reporter.err_line(&format!(
            "{}: {}",
            style.apply_to(format!("{label}[{}]", f.id)),
            f.message
        ));
        let dim = Style::new().blue().bold();
        if let Some(tool) = &f.tool {
            reporter.err_line(&format!("  {} tool: {tool}", dim.apply_to("=")));
        }
        if let Some(ev) = &f.evidence {
            if let Some(arg) = &ev.argument {
                reporter.err_line(&format!("  {} argument: {arg}", dim.apply_to("=")));
            }
            if !ev.request.is_null() {
                reporter.err_line(&format!(
                    "  {} request: {}",
                    dim.apply_to("="),
                    crate::probe::observe::clip(&ev.request.to_string(), 600)
                ));
            }
            reporter.err_line(&format!(
                "  {} observed: {}",
                dim.apply_to("="),
                ev.observed
            ));
        }
        reporter.err_line(&format!(
            "  {} help: cargo mcp-secure explain {}",
            dim.apply_to("="),
            f.id
        ));
        reporter.err_line("");
    }
    for t in tools.iter().filter(|t| !t.attacked) {
        reporter.note(format!(
            "tool `{}` not attacked: {}",
            t.name,
            t.reason.as_deref().unwrap_or("unknown reason")
        ));
    }
    for t in run
        .tools
        .iter()
        .filter_map(|t| t.derived.as_ref().map(|d| (t, d)))
    {
        reporter.note(format!("tool `{}`: {}", t.0.name, t.1));
    }
    for t in run
        .tools
        .iter()
        .filter(|t| t.attacked && t.baseline.as_deref().is_some_and(|b| b != "ok"))
    {
        reporter.note(format!(
            "tool `{}` refused its baseline call ({}); its attacks may prove little",
            t.name,
            t.baseline.as_deref().unwrap_or("")
        ));
    }
    if let Some(why) = &run.stopped {
        reporter.warn(format!("the probe stopped early: {why}"));
    }
    if let Some(ws) = &run.workspace {
        reporter.note(format!("sandbox kept at {ws}"));
    }
    let fails = run
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Fail)
        .count();
    let warns = run
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warn)
        .count();
    let attacked = tools.iter().filter(|t| t.attacked).count();
    reporter.status(
        "Probed",
        format!(
            "{} {} (protocol {}): {} tools, {attacked} attacked, {} calls; {fails} failures, {warns} warnings",
            run.server.name,
            run.server.version,
            run.server.protocol,
            tools.len(),
            run.calls
        ),
    );
}
