//! JSON-RPC over the server's stdio with a timeout on every response.

use std::collections::VecDeque;
use std::io::{BufReader, Write};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::confine::STATUS_PREFIX;
use super::lines::{Line, MAX_MESSAGE, read_bounded};
use super::process::{Group, Spec};

/// Protocol versions the probe knows.
pub const KNOWN_VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
const OUR_VERSION: &str = "2025-06-18";
const STDERR_LINES: usize = 40;
/// Stderr kept whole for the audit check; past it the log is incomplete and not judged.
const STDERR_KEPT_BYTES: usize = 16 << 20;
/// A longer stderr line makes the log incomplete too: a tool name past the cut would be missed.
const STDERR_LINE_BYTES: usize = 64 << 10;
/// What the server prints after its stdin closed is read for at most this long, and this many
/// lines: a process that escaped the group may keep the pipe open and keep writing.
const DRAIN_TIME: Duration = Duration::from_secs(1);
const DRAIN_LINES: usize = 1000;
/// Non-JSON-RPC stdout lines kept as evidence.
const MAX_POLLUTION: usize = 100;
/// Stdout lines waiting for the probe: with lines of up to 16 MiB, this bounds the memory.
const QUEUED_LINES: usize = 2;
/// Recent stderr lines kept for the denial check between two looks.
const FRESH_LINES: usize = 200;

/// What the stdout reader hands over.
enum Incoming {
    Text(String),
    /// A line passed `MAX_MESSAGE`: it is being thrown away.
    TooLong,
    Eof,
}

/// How one request ended.
#[derive(Debug, Clone)]
pub enum Reply {
    Result(Value),
    Error {
        message: String,
        data: Option<Value>,
        /// The JSON-RPC error code, when the server gave an integer one.
        code: Option<i64>,
    },
    Timeout,
    /// The server closed stdout or exited.
    Closed,
}

/// What the server wrote to stderr: its last lines for messages, and all of it (up to a
/// bound) for the audit check.
struct Stderr {
    tail: VecDeque<String>,
    kept: Vec<String>,
    kept_bytes: usize,
    /// False once a line was cut or the bound was reached.
    complete: bool,
    /// Lines since the session last looked for refused effects.
    fresh: Vec<String>,
    /// What the launcher said it put in place (its first line), as JSON.
    confinement: Option<String>,
    lines: usize,
}

/// How a server stopped once its stdin was closed, and everything it wrote to stderr.
pub struct Stopped {
    /// The exit status, when the server exited by itself in the time given.
    pub exited: Option<std::process::ExitStatus>,
    pub stderr: Vec<String>,
    /// False when stderr was too long to keep whole, or the pipe stayed open after the kill.
    pub stderr_complete: bool,
}

pub struct Client {
    group: Group,
    /// Lines for the writer thread: a server that stops reading cannot block the probe.
    stdin: Option<Sender<Vec<u8>>>,
    rx: Receiver<Incoming>,
    stderr: Arc<Mutex<Stderr>>,
    stderr_reader: Option<std::thread::JoinHandle<()>>,
    next_id: i64,
    /// Lines on stdout that were not JSON-RPC, with the method in flight.
    pub pollution: Vec<(String, String)>,
    /// JSON-RPC protocol problems seen (responses to unknown ids, wrong `jsonrpc`, ...).
    pub violations: Vec<String>,
    /// Methods in flight when a stdout line longer than `MAX_MESSAGE` came.
    pub oversized: Vec<String>,
    roots: String,
}

impl Client {
    pub fn spawn(spec: &Spec) -> std::io::Result<Self> {
        let mut group = Group::spawn(spec)?;
        let mut pipe = group
            .child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("no stdin pipe"))?;
        let (stdin, lines) = channel::<Vec<u8>>();
        std::thread::spawn(move || {
            for line in lines {
                if pipe.write_all(&line).and_then(|()| pipe.flush()).is_err() {
                    return;
                }
            }
        });
        let stdout = group
            .child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout pipe"))?;
        let stderr_pipe = group
            .child
            .stderr
            .take()
            .ok_or_else(|| std::io::Error::other("no stderr pipe"))?;
        let (tx, rx) = sync_channel(QUEUED_LINES);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                let cut = tx.clone();
                let mut on_cut = move || {
                    let _ = cut.send(Incoming::TooLong);
                };
                match read_bounded(&mut reader, &mut buf, MAX_MESSAGE, &mut on_cut) {
                    Ok(Line::Eof) | Err(_) => break,
                    // Already reported as it passed the cap; its head is no message.
                    Ok(Line::Cut { .. }) => {}
                    Ok(Line::Whole) => {
                        let text = String::from_utf8_lossy(&buf)
                            .trim_end_matches('\r')
                            .to_string();
                        if tx.send(Incoming::Text(text)).is_err() {
                            return;
                        }
                    }
                }
            }
            let _ = tx.send(Incoming::Eof);
        });
        let stderr = Arc::new(Mutex::new(Stderr::default()));
        let log = Arc::clone(&stderr);
        let stderr_reader = std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr_pipe);
            let mut buf = Vec::new();
            loop {
                let line = read_bounded(&mut reader, &mut buf, STDERR_LINE_BYTES, &mut || {});
                let cut = match line {
                    Ok(Line::Eof) | Err(_) => break,
                    Ok(Line::Whole) => false,
                    Ok(Line::Cut { .. }) => true,
                };
                if let Ok(mut log) = log.lock() {
                    log.push(&buf, cut);
                }
            }
        });
        let roots = format!("file://{}", spec.cwd.display());
        Ok(Self {
            group,
            stdin: Some(stdin),
            rx,
            stderr,
            stderr_reader: Some(stderr_reader),
            next_id: 0,
            pollution: Vec::new(),
            violations: Vec::new(),
            oversized: Vec::new(),
            roots,
        })
    }

    /// What the launcher reported (JSON), waiting up to `within` for its line.
    pub fn confinement(&self, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let (seen, lines) = self
                .stderr
                .lock()
                .map(|log| (log.confinement.clone(), log.lines))
                .unwrap_or_default();
            if seen.is_some() || lines > 0 || Instant::now() >= deadline {
                return seen;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits up to `within` for the server's stderr to close (it exited), so that its last
    /// lines are read before they are quoted.
    pub fn settle_stderr(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while self
            .stderr_reader
            .as_ref()
            .is_some_and(|r| !r.is_finished())
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stderr lines since the last call.
    pub fn take_fresh_stderr(&self) -> Vec<String> {
        self.stderr
            .lock()
            .map(|mut log| std::mem::take(&mut log.fresh))
            .unwrap_or_default()
    }

    pub fn stderr_tail(&self) -> Vec<String> {
        self.stderr
            .lock()
            .map(|log| log.tail.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Stops the server as an MCP client should: closes its stdin and waits up to `within`
    /// for it to exit. Then the process group is killed whatever happened, so nothing it
    /// started survives, and the rest of stderr is read.
    pub fn stop(&mut self, within: Duration) -> Stopped {
        self.stdin = None;
        let exited = self.exit_status(within);
        self.group.kill();
        // What the server printed after the last response is judged like the rest of stdout.
        let deadline = Instant::now() + DRAIN_TIME;
        for _ in 0..DRAIN_LINES {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || super::process::interrupted() {
                break;
            }
            match self.rx.recv_timeout(left) {
                Ok(Incoming::Text(line)) => {
                    self.route(&line, -1, "(after stdin was closed)");
                }
                Ok(Incoming::TooLong) => self.oversized.push("(after stdin was closed)".into()),
                _ => break,
            }
        }
        // With the whole group gone nobody holds the pipe; the bound is for a grandchild
        // that escaped the group and kept it open.
        let mut reader_done = true;
        if let Some(reader) = self.stderr_reader.take() {
            let deadline = Instant::now() + DRAIN_TIME;
            while !reader.is_finished()
                && Instant::now() < deadline
                && !super::process::interrupted()
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            reader_done = reader.is_finished();
        }
        let (stderr, complete) = self
            .stderr
            .lock()
            .map(|mut log| (std::mem::take(&mut log.kept), log.complete))
            .unwrap_or_default();
        Stopped {
            exited,
            stderr,
            stderr_complete: complete && reader_done,
        }
    }

    /// The exit status, waiting up to `within` for a server that just closed its output.
    pub fn exit_status(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.group.exit_status() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn kill(&mut self) {
        self.stdin = None;
        self.group.kill();
    }

    /// The request object that `request` would send next, for evidence.
    pub fn envelope(&self, method: &str, params: &Value) -> Value {
        json!({"jsonrpc": "2.0", "id": self.next_id + 1, "method": method, "params": params})
    }

    pub fn send_raw(&mut self, message: &Value) -> bool {
        let Some(stdin) = self.stdin.as_ref() else {
            return false;
        };
        let mut line = serde_json::to_vec(message).unwrap_or_default();
        line.push(b'\n');
        stdin.send(line).is_ok()
    }

    /// Sends one raw line, JSON or not.
    pub fn send_line(&mut self, line: &str) -> bool {
        let Some(stdin) = self.stdin.as_ref() else {
            return false;
        };
        stdin.send(format!("{line}\n").into_bytes()).is_ok()
    }

    pub fn notify(&mut self, method: &str, params: Value) -> bool {
        self.send_raw(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    /// Sends one request and waits for its response.
    pub fn request(&mut self, method: &str, params: Value, timeout: Duration) -> Reply {
        self.next_id += 1;
        let id = self.next_id;
        if !self.send_raw(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
        {
            return Reply::Closed;
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.rx.recv_timeout(left) {
                Ok(Incoming::Text(line)) => line,
                Ok(Incoming::TooLong) => {
                    self.oversized.push(method.to_string());
                    continue;
                }
                Ok(Incoming::Eof) | Err(RecvTimeoutError::Disconnected) => return Reply::Closed,
                Err(RecvTimeoutError::Timeout) => return Reply::Timeout,
            };
            if let Some(reply) = self.route(&line, id, method) {
                return reply;
            }
        }
    }

    /// Handles one stdout line; returns the reply when it answers request `id`.
    fn route(&mut self, line: &str, id: i64, method: &str) -> Option<Reply> {
        if line.trim().is_empty() {
            return None;
        }
        let value: Value = match serde_json::from_str(line) {
            Ok(v @ Value::Object(_)) if v.get("jsonrpc").and_then(Value::as_str) == Some("2.0") => {
                v
            }
            _ => {
                // The first lines are evidence enough; a chatty server must not fill memory.
                if self.pollution.len() < MAX_POLLUTION {
                    self.pollution
                        .push((line.chars().take(200).collect(), method.to_string()));
                }
                return None;
            }
        };
        let has_method = value.get("method").and_then(Value::as_str);
        if let Some(m) = has_method {
            if let Some(req_id) = value.get("id").cloned() {
                self.answer(m, req_id);
            }
            return None;
        }
        // A parse error answers with a null id (JSON-RPC 2.0, section 5): that is correct.
        if value.get("id").is_some_and(Value::is_null) && value.get("error").is_some() {
            return None;
        }
        if value.get("id").and_then(Value::as_i64) != Some(id) {
            self.violations.push(format!(
                "a response to an id that was never sent or already answered: {}",
                clip(line)
            ));
            return None;
        }
        if let Some(err) = value.get("error") {
            return Some(Reply::Error {
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                data: err.get("data").cloned(),
                code: err.get("code").and_then(Value::as_i64),
            });
        }
        match value.get("result") {
            Some(result) => Some(Reply::Result(result.clone())),
            None => {
                self.violations.push(format!(
                    "a response with neither result nor error: {}",
                    clip(line)
                ));
                Some(Reply::Error {
                    message: "no result".into(),
                    data: None,
                    code: None,
                })
            }
        }
    }

    /// Answers the server's own requests: roots point at `{allowed}`, ping is acknowledged.
    fn answer(&mut self, method: &str, id: Value) {
        let reply = match method {
            "roots/list" => {
                json!({"jsonrpc": "2.0", "id": id, "result": {"roots": [{"uri": self.roots, "name": "allowed"}]}})
            }
            "ping" => json!({"jsonrpc": "2.0", "id": id, "result": {}}),
            _ => {
                json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "not supported by the probe"}})
            }
        };
        self.send_raw(&reply);
    }

    /// `initialize` then `notifications/initialized`; returns the initialize result.
    pub fn handshake(&mut self, timeout: Duration) -> Reply {
        self.handshake_as(OUR_VERSION, timeout)
    }

    /// The handshake, asking for protocol `version`.
    pub fn handshake_as(&mut self, version: &str, timeout: Duration) -> Reply {
        let params = json!({
            "protocolVersion": version,
            "capabilities": {"roots": {"listChanged": false}},
            "clientInfo": {"name": "cargo-mcp-secure-probe", "version": env!("CARGO_PKG_VERSION")},
        });
        let reply = self.request("initialize", params, timeout);
        if matches!(reply, Reply::Result(_)) {
            self.notify("notifications/initialized", json!({}));
        }
        reply
    }
}

impl Default for Stderr {
    fn default() -> Self {
        Self {
            tail: VecDeque::new(),
            kept: Vec::new(),
            kept_bytes: 0,
            complete: true,
            fresh: Vec::new(),
            confinement: None,
            lines: 0,
        }
    }
}

impl Stderr {
    fn push(&mut self, line: &[u8], cut: bool) {
        let text = String::from_utf8_lossy(line);
        self.lines += 1;
        // The launcher's line comes first, before the server runs: the server cannot forge it.
        if let Some(status) = text.strip_prefix(STATUS_PREFIX)
            && self.lines == 1
        {
            self.confinement = Some(status.to_string());
            return;
        }
        if self.tail.len() == STDERR_LINES {
            self.tail.pop_front();
        }
        let short: String = text.chars().take(400).collect();
        if self.fresh.len() < FRESH_LINES {
            self.fresh.push(short.clone());
        }
        self.tail.push_back(short);
        if cut || self.kept_bytes + text.len() > STDERR_KEPT_BYTES {
            self.complete = false;
        }
        if self.complete {
            self.kept_bytes += text.len();
            self.kept.push(text.into_owned());
        }
    }
}

fn clip(line: &str) -> String {
    line.chars().take(200).collect()
}
