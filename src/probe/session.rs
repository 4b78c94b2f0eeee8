//! One probe run against one server: bounded calls, restarts after crashes and hangs, and the
//! observations made after every call.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::client::{Client, Reply};
use super::observe::{self, Change, Snapshot};
use super::process::{self, Spec};
use super::sandbox::Sandbox;
use super::tool::Tool;
use crate::finding::{Evidence, Finding, Severity};

mod audit;
mod effects;
mod framing;

const MAX_RESTARTS: usize = 5;
const RATE_RETRIES: usize = 3;

pub struct Limits {
    pub timeout: Duration,
    pub max_calls: usize,
    pub deadline: Instant,
    pub destructive: bool,
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

/// The result of one tool call and what it changed.
pub struct Outcome {
    pub request: Value,
    pub reply: Reply,
    /// The text content of a result, or the error message.
    pub text: String,
    pub changes: Vec<Change>,
}

impl Outcome {
    /// A successful result (not a JSON-RPC error, not `isError`).
    pub fn ok(&self) -> bool {
        matches!(&self.reply, Reply::Result(r) if r.get("isError").and_then(Value::as_bool) != Some(true))
    }

    pub fn answered(&self) -> bool {
        matches!(self.reply, Reply::Result(_) | Reply::Error { .. })
    }
}

pub fn rate_limited(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "rate limit",
        "rate-limit",
        "ratelimit",
        "too many requests",
        "too many calls",
        "slow down",
        "quota",
        "throttl",
    ]
    .iter()
    .any(|w| t.contains(w))
}

pub struct Session<'a> {
    pub sandbox: &'a Sandbox,
    spec: Spec,
    client: Option<Client>,
    pub limits: Limits,
    pub calls: usize,
    pub findings: Vec<Finding>,
    seen: HashSet<String>,
    snap: Snapshot,
    restarts: usize,
    pollution_seen: usize,
    /// Why the run stopped early, when it did.
    pub stopped: Option<String>,
    /// Tools whose attacks a rate limiter kept refusing.
    pub rate_limited: BTreeSet<String>,
    pub last_stderr: Vec<String>,
    /// Answered calls per tool name on the running server, with the last request: each should
    /// leave an audit line on that server's stderr.
    answered: BTreeMap<String, (usize, Value)>,
}

impl<'a> Session<'a> {
    /// The server runs in a network namespace of its own: the probe's loopback is not its.
    pub fn network_confined(&self) -> bool {
        cfg!(target_os = "linux") && self.spec.confine.as_ref().is_some_and(|c| !c.host_network)
    }

    /// `snap` is the sandbox as it was before the server started.
    pub fn new(
        sandbox: &'a Sandbox,
        spec: Spec,
        client: Client,
        limits: Limits,
        snap: Snapshot,
    ) -> Self {
        Self {
            sandbox,
            spec,
            client: Some(client),
            limits,
            calls: 0,
            findings: Vec::new(),
            seen: HashSet::new(),
            snap,
            restarts: 0,
            pollution_seen: 0,
            stopped: None,
            rate_limited: BTreeSet::new(),
            last_stderr: Vec::new(),
            answered: BTreeMap::new(),
        }
    }

    pub fn wants(&self, id: &str) -> bool {
        (self.limits.only.is_empty() || self.limits.only.iter().any(|o| o == id))
            && !self.limits.skip.iter().any(|s| s == id)
    }

    /// Calls left before `--max-calls`.
    pub fn calls_left(&self) -> usize {
        self.limits.max_calls.saturating_sub(self.calls)
    }

    fn budget_ok(&mut self) -> bool {
        if self.stopped.is_some() {
            return false;
        }
        let why = if process::interrupted() {
            Some("interrupted".to_string())
        } else if self.calls >= self.limits.max_calls {
            Some(format!("--max-calls {} reached", self.limits.max_calls))
        } else if Instant::now() >= self.limits.deadline {
            Some("the wall-time limit (--max-time) was reached".to_string())
        } else {
            None
        };
        self.stopped = why;
        self.stopped.is_none()
    }

    /// Records a finding once per key.
    pub fn report(
        &mut self,
        id: &str,
        severity: Severity,
        tool: Option<&str>,
        key: &str,
        message: String,
        evidence: Option<Evidence>,
    ) {
        if !self
            .seen
            .insert(format!("{id}\u{0}{}\u{0}{key}", tool.unwrap_or("")))
        {
            return;
        }
        // Whatever the server sent, a report holds a bounded copy.
        let message = observe::clip_noted(&message, observe::REPORT_CHARS);
        let evidence = evidence.map(|mut e| {
            shorten(&mut e.request);
            e.observed = observe::clip_noted(&e.observed, observe::REPORT_CHARS);
            e
        });
        self.findings.push(Finding {
            id: id.to_string(),
            rule: crate::finding::probe_rule(id),
            severity,
            message,
            location: None,
            labels: Vec::new(),
            help: None,
            tool: tool.map(|t| observe::clip_noted(t, observe::REPORT_CHARS)),
            evidence,
        });
    }

    fn client(&mut self) -> Option<&mut Client> {
        if self.client.is_none() {
            if self.restarts >= MAX_RESTARTS {
                self.stopped = Some(format!("the server crashed or hung {MAX_RESTARTS} times"));
                return None;
            }
            self.restarts += 1;
            // The calls that crashed or hung the last server are not held against its log.
            self.answered.clear();
            self.pollution_seen = 0;
            let mut client = Client::spawn(&self.spec).ok()?;
            if !matches!(client.handshake(self.limits.timeout), Reply::Result(_)) {
                self.last_stderr = client.stderr_tail();
                client.kill();
                self.stopped = Some("the server did not restart after a crash or hang".into());
                return None;
            }
            self.client = Some(client);
        }
        self.client.as_mut()
    }

    /// Starts a second server, used only for its handshake asking for protocol `version`,
    /// and stops it; None when it cannot start, the run was interrupted or is out of time.
    pub fn fresh_handshake(&mut self, version: &str) -> Option<Reply> {
        // It sends no tool call, so only an interruption or the wall-time limit stops it.
        if process::interrupted() || Instant::now() >= self.limits.deadline {
            return None;
        }
        let mut client = Client::spawn(&self.spec).ok()?;
        let reply = client.handshake_as(version, self.limits.timeout);
        client.stop(Duration::from_millis(500));
        Some(reply)
    }

    /// Kills the running server, keeping its last stderr lines; the next request starts a
    /// fresh one.
    pub fn discard_client(&mut self) {
        if let Some(mut c) = self.client.take() {
            self.last_stderr = c.stderr_tail();
            c.kill();
        }
    }

    /// A plain request (not a tool call) with the same timeout; no observations.
    pub fn request(&mut self, method: &str, params: Value) -> Reply {
        let timeout = self.limits.timeout;
        match self.client() {
            Some(c) => c.request(method, params, timeout),
            None => Reply::Closed,
        }
    }

    /// Calls a tool, observes everything, and files the effects under `effect` (the attack's
    /// checklist id). Returns None when the run is out of budget.
    pub fn call(
        &mut self,
        tool: &Tool,
        name: &str,
        args: Value,
        argument: Option<&str>,
        effect: &str,
        technique: &str,
    ) -> Option<Outcome> {
        let mut attempt = 0;
        loop {
            if !self.budget_ok() {
                return None;
            }
            let outcome = self.call_once(name, args.clone())?;
            if outcome.answered() && !outcome.ok() && rate_limited(&outcome.text) {
                if attempt == RATE_RETRIES || self.rate_limited.contains(&tool.name) {
                    self.rate_limited.insert(tool.name.clone());
                    return Some(outcome);
                }
                attempt += 1;
                let left = self
                    .limits
                    .deadline
                    .saturating_duration_since(Instant::now());
                std::thread::sleep(Duration::from_secs(attempt as u64).min(left));
                continue;
            }
            self.observe(tool, &outcome, argument, effect, technique);
            return Some(outcome);
        }
    }

    /// One call with no retries and no observations (for bursts); None when out of budget.
    pub fn call_plain(&mut self, name: &str, args: Value) -> Option<Outcome> {
        if !self.budget_ok() {
            return None;
        }
        let o = self.call_once(name, args)?;
        self.check_pollution(Some(&o.request));
        if !o.answered() {
            self.discard_client();
        }
        Some(o)
    }

    fn call_once(&mut self, name: &str, args: Value) -> Option<Outcome> {
        let timeout = self.limits.timeout;
        let params = json!({"name": name, "arguments": args});
        let client = self.client()?;
        let request = client.envelope("tools/call", &params);
        let reply = client.request("tools/call", params, timeout);
        self.calls += 1;
        if matches!(reply, Reply::Result(_) | Reply::Error { .. }) {
            let entry = self
                .answered
                .entry(name.to_string())
                .or_insert((0, Value::Null));
            entry.0 += 1;
            entry.1 = request.clone();
        }
        let text = match &reply {
            Reply::Result(r) => result_text(r),
            Reply::Error { message, data, .. } => match data {
                Some(d) => format!("{message}\n{d}"),
                None => message.clone(),
            },
            Reply::Timeout | Reply::Closed => String::new(),
        };
        let after = observe::snapshot(self.sandbox);
        let changes = observe::diff(&self.snap, &after);
        self.snap = after;
        Some(Outcome {
            request,
            reply,
            text,
            changes,
        })
    }

    fn observe(
        &mut self,
        tool: &Tool,
        o: &Outcome,
        argument: Option<&str>,
        effect: &str,
        technique: &str,
    ) {
        let ev = |observed: String| {
            Some(Evidence {
                argument: argument.map(str::to_string),
                request: o.request.clone(),
                observed,
            })
        };
        let tname = Some(tool.name.as_str());
        let req = o.request.to_string();
        match o.reply {
            // After Ctrl-C the handler killed the server: that is no crash of its own.
            Reply::Timeout | Reply::Closed if process::interrupted() => {}
            Reply::Timeout | Reply::Closed => {
                // What it printed before going away is judged before the client is dropped.
                self.check_pollution(Some(&o.request));
                let client = self.client.as_mut();
                let (what, key) = match (&o.reply, client) {
                    (Reply::Timeout, _) => (
                        format!(
                            "no response within {:?}; the server was killed and restarted",
                            self.limits.timeout
                        ),
                        "hang",
                    ),
                    (_, Some(c)) => {
                        let status = c
                            .exit_status(Duration::from_millis(500))
                            .map_or("closed its output".to_string(), |s| format!("exited ({s})"));
                        let tail = c
                            .stderr_tail()
                            .into_iter()
                            .rev()
                            .take(3)
                            .collect::<Vec<_>>()
                            .join(" | ");
                        (
                            format!("the server {status} on this input; stderr: {tail}"),
                            "crash",
                        )
                    }
                    _ => ("the server went away".to_string(), "crash"),
                };
                self.discard_client();
                let msg = format!(
                    "`{}` {} ({technique})",
                    tool.name,
                    if key == "hang" {
                        "hung"
                    } else {
                        "crashed the server"
                    }
                );
                self.report("crash-or-hang", Severity::Fail, tname, key, msg, ev(what));
            }
            _ => {}
        }
        let leaks = observe::leaks(self.sandbox, &o.text);
        if let Some(first) = leaks.first() {
            let msg = format!("`{}` read outside {{allowed}} ({technique})", tool.name);
            self.report(
                effect,
                Severity::Fail,
                tname,
                &format!("read {technique} {}", argument.unwrap_or("")),
                msg,
                ev(first.clone()),
            );
        }
        for leak in observe::secret_leaks(self.sandbox, &o.text) {
            let msg = format!("`{}` returned a secret from its environment", tool.name);
            self.report(
                "unsanitised-output",
                Severity::Fail,
                tname,
                &leak,
                msg,
                ev(leak.clone()),
            );
        }
        super::canaries::observe(self, tool, o, argument, effect, technique);
        if let Some((kind, line)) = observe::hygiene(&o.text, self.sandbox)
            .or_else(|| observe::sandbox_path(&o.text, &req, self.sandbox, o.ok()))
        {
            let msg = format!("`{}` returned {kind} to the client", tool.name);
            self.report(
                "information-disclosure",
                Severity::Warn,
                tname,
                kind,
                msg,
                ev(format!("{kind}: {line}")),
            );
        }
        let outside = observe::outside_allowed(&o.changes);
        if !outside.is_empty() {
            let list = outside
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let msg = format!(
                "`{}` changed files outside {{allowed}} ({technique})",
                tool.name
            );
            self.report(
                effect,
                Severity::Fail,
                tname,
                &format!("write {technique} {}", argument.unwrap_or("")),
                msg,
                ev(list),
            );
        }
        let writes: Vec<&Change> = o
            .changes
            .iter()
            .filter(|c| !observe::incidental(c))
            .collect();
        if tool.read_only && !writes.is_empty() && tool.name == o.request["params"]["name"] {
            let list = writes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let msg = format!(
                "`{}` claims readOnlyHint but changed the workspace",
                tool.name
            );
            self.report(
                "misleading-annotation",
                Severity::Fail,
                tname,
                "read-only",
                msg,
                ev(list),
            );
        }
        let cause = effects::Cause {
            tool: &tool.name,
            request: &o.request,
            argument,
            effect,
            technique,
        };
        self.refused_effects(&o.text, Some(&cause));
        self.check_pollution(Some(&o.request));
    }

    /// Puts the sandbox back after a destructive tool and takes a fresh snapshot.
    pub fn restore(&mut self) {
        let _ = self.sandbox.populate();
        self.snap = observe::snapshot(self.sandbox);
    }

    /// Stops the server as an MCP client does (stdin closed, then a wait) and judges what it
    /// left: whether it exited, and its stderr. `tools` are the listed tools.
    pub fn shutdown(&mut self, tools: &[Tool]) {
        let Some(mut client) = self.client.take() else {
            return;
        };
        self.last_stderr = client.stderr_tail();
        let stopped = client.stop(self.limits.timeout);
        self.client = Some(client);
        self.check_pollution(None);
        self.client = None;
        if stopped.exited.is_none() && !process::interrupted() && self.wants("protocol-violation") {
            let evidence = Evidence {
                argument: None,
                request: Value::String("(stdin closed)".into()),
                observed: format!(
                    "still running {:?} after its stdin was closed; the probe killed it",
                    self.limits.timeout
                ),
            };
            self.report(
                "protocol-violation",
                Severity::Warn,
                None,
                "clean-shutdown",
                "the server does not exit when its client closes stdin".into(),
                Some(evidence),
            );
        }
        // A killed server may have lost lines it held back, so only an exit of its own is
        // judged, and only a log kept whole.
        if stopped.exited.is_some()
            && stopped.stderr_complete
            && !process::interrupted()
            && self.wants("missing-audit-log")
        {
            self.audit_lines(tools, &stopped.stderr);
        }
    }
}

/// Replaces huge strings (the 1 MiB payload) in a request kept as evidence by a description.
fn shorten(value: &mut Value) {
    const MAX: usize = 4096;
    match value {
        Value::String(s) if s.len() > MAX => {
            let head: String = s.chars().take(16).collect();
            *s = format!("{head}… ({} bytes)", s.len());
        }
        Value::Array(items) => items.iter_mut().for_each(shorten),
        Value::Object(map) => map.values_mut().for_each(shorten),
        _ => {}
    }
}

/// The text parts of a tool result joined, plus structured content.
pub fn result_text(result: &Value) -> String {
    let mut out = String::new();
    if let Some(items) = result.get("content").and_then(Value::as_array) {
        for item in items {
            if let Some(t) = item.get("text").and_then(Value::as_str) {
                out.push_str(t);
                out.push('\n');
            } else if let Some(r) = item.get("resource") {
                out.push_str(&r.to_string());
                out.push('\n');
            }
        }
    }
    if let Some(s) = result.get("structuredContent") {
        out.push_str(&s.to_string());
    }
    out
}
