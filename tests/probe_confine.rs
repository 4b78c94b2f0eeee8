//! The probe's confinement against hostile fixture servers: none leaves a process, a host file
//! or a sandbox folder behind, what the sandbox refused is reported, and the probe's memory
//! stays bounded whatever the server sends.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn fixture(name: &str) -> String {
    common::probe_fixture(name)
}

/// A fresh folder per test: the probe's TMPDIR (its sandbox goes there) and host targets.
fn scratch(test: &str) -> PathBuf {
    let dir = common::tmp_root()
        .join("probe-confine")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Live (not zombie) processes of the fixture: their command line holds `marker`.
fn survivors(marker: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name == me || !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        // The probe and its launcher carry the marker in their arguments too.
        if !cmdline.contains(marker) || cmdline.contains("cargo-mcp-secure") {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .next();
        if !matches!(state, Some("Z") | None) {
            out.push(name);
        }
    }
    out
}

/// What a probe run left and showed.
struct Watched {
    code: Option<i32>,
    json: Value,
    stderr: String,
    /// Most processes holding the marker seen at once while the probe ran.
    most_alive: usize,
    /// The probe's peak resident memory in kB (VmHWM).
    peak_kb: u64,
}

/// Runs `probe --format json OPTS -- CMD` with TMPDIR in `dir`, watching /proc meanwhile.
fn watch(dir: &Path, opts: &[&str], cmd: &[&str], marker: &str) -> Watched {
    let stdout = dir.join("stdout.json");
    let stderr = dir.join("stderr.txt");
    let mut child = common::bin()
        .args(["mcp-secure", "probe", "--format", "json"])
        .args(opts)
        .arg("--")
        .args(cmd)
        .env("TMPDIR", dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let (mut most_alive, mut peak_kb) = (0, 0);
    let started = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            peak_kb = peak_kb.max(vm_hwm(&status));
        }
        most_alive = most_alive.max(survivors(marker).len());
        if started.elapsed() > Duration::from_secs(170) {
            let _ = child.kill();
            panic!("the probe ran for more than 170 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Watched {
        code,
        json: serde_json::from_slice(&std::fs::read(&stdout).unwrap()).unwrap_or(Value::Null),
        stderr: std::fs::read_to_string(&stderr).unwrap(),
        most_alive,
        peak_kb,
    }
}

fn vm_hwm(status: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The sandbox folders the probe left in `dir`.
fn sandboxes_left(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("mcp-probe-"))
        .collect()
}

fn findings<'a>(json: &'a Value, id: &str) -> Vec<&'a Value> {
    json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {json:#}"))
        .iter()
        .filter(|f| f["id"] == id)
        .collect()
}

/// The marker differs per test, so parallel tests never see each other's processes.
fn marker(test: &str) -> String {
    format!("mcp-hostile-{test}-{}", std::process::id())
}

#[test]
fn the_launcher_confines_writes_and_network_and_keeps_loopback() {
    let dir = scratch("launcher");
    let inside = dir.join("inside");
    std::fs::create_dir_all(&inside).unwrap();
    let host = dir.join("host-file.txt");
    let script = r#"
import json, os, socket, sys
out = {}
def attempt(name, f):
    try:
        f(); out[name] = "ok"
    except OSError as e:
        out[name] = e.errno
attempt("inside", lambda: open(os.path.join(sys.argv[1], "a.txt"), "w").write("x"))
attempt("host", lambda: open(sys.argv[2], "w").write("x"))
attempt("remote", lambda: socket.create_connection(("192.0.2.1", 80), timeout=2).close())
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
attempt("loopback", lambda: socket.create_connection(server.getsockname(), timeout=2).close())
print(json.dumps(out))
"#;
    let out = common::bin()
        .args(["__confine", "--write"])
        .arg(&inside)
        .args(["--", "python3", "-c", script])
        .arg(&inside)
        .arg(&host)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["inside"], "ok", "{seen}");
    assert_eq!(seen["host"], 13, "EACCES from Landlock: {seen}");
    assert_eq!(seen["remote"], 101, "ENETUNREACH in the namespace: {seen}");
    assert_eq!(seen["loopback"], "ok", "{seen}");
    assert!(!host.exists(), "a host file was written");
    let status = stderr
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("mcp-secure-confine: "))
        .unwrap_or_else(|| panic!("no status line first: {stderr}"));
    let status: Value = serde_json::from_str(status).unwrap();
    for what in ["writes", "network", "signals"] {
        assert_eq!(status[what]["on"], true, "{status:#}");
    }
}

#[test]
fn a_setsid_grandchild_leaves_no_process() {
    let dir = scratch("grandchild");
    let mark = marker("grandchild");
    let run = watch(
        &dir,
        &["--timeout", "10"],
        &["python3", &fixture("hostile_setsid"), &mark],
        &mark,
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.most_alive >= 2,
        "the grandchild never ran: {}",
        run.stderr
    );
    assert_eq!(survivors(&mark), Vec::<String>::new());
    assert_eq!(sandboxes_left(&dir), Vec::<String>::new());
    assert_eq!(run.json["confinement"]["processes"]["on"], true);
}

#[test]
fn a_thousand_setsid_children_leave_no_process() {
    let dir = scratch("swarm");
    let mark = marker("swarm");
    let run = watch(
        &dir,
        &["--timeout", "30", "--only", "protocol-violation"],
        &[
            "python3",
            &fixture("hostile_setsid"),
            &mark,
            "--many",
            "1000",
        ],
        &mark,
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.most_alive > 500, "{} seen", run.most_alive);
    assert_eq!(survivors(&mark), Vec::<String>::new());
    assert_eq!(sandboxes_left(&dir), Vec::<String>::new());
}

#[test]
fn writes_outside_at_start_and_per_call_are_refused_and_reported() {
    let dir = scratch("writes");
    let (at_start, per_call) = (dir.join("host-start.txt"), dir.join("host-call.txt"));
    let run = watch(
        &dir,
        &[],
        &[
            "python3",
            &fixture("hostile_writes"),
            "--start",
            at_start.to_str().unwrap(),
            "--start",
            "{outside}/written-at-start.txt",
            "--call",
            per_call.to_str().unwrap(),
            "--read",
            "/etc/hostname",
        ],
        "no-marker",
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        !at_start.exists() && !per_call.exists(),
        "a host file was written"
    );
    assert_eq!(sandboxes_left(&dir), Vec::<String>::new());
    let refused = findings(&run.json, "excessive-privilege");
    let named = |path: &Path, tool: Value| {
        refused.iter().any(|f| {
            f["tool"] == tool
                && f["evidence"]
                    .as_str()
                    .is_some_and(|e| e.contains(path.to_str().unwrap()))
        })
    };
    assert!(
        named(&at_start, Value::Null),
        "the start-up write: {:#}",
        run.json
    );
    assert!(
        named(&per_call, "save_note".into()),
        "the write per call: {:#}",
        run.json
    );
    // Inside the workspace but outside {allowed}: allowed by Landlock, seen by the snapshots.
    assert!(
        refused.iter().any(|f| f["tool"].is_null()
            && f["evidence"]
                .as_str()
                .is_some_and(|e| e.contains("created {workspace}/outside/written-at-start.txt"))),
        "the start-up change: {:#}",
        run.json
    );
    // Reads are not confined, and the report says so.
    let confinement = &run.json["confinement"];
    assert_eq!(confinement["writes"]["on"], true, "{confinement:#}");
    assert_eq!(confinement["reads"]["on"], false, "{confinement:#}");
}

#[test]
fn a_connection_to_an_address_other_than_loopback_is_refused_and_reported() {
    let dir = scratch("network");
    let run = watch(
        &dir,
        &[],
        &["python3", &fixture("hostile_network")],
        "no-marker",
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let refused = findings(&run.json, "excessive-privilege");
    assert!(
        refused.iter().any(|f| f["tool"].is_null()),
        "at start-up: {:#}",
        run.json
    );
    assert!(
        refused.iter().any(|f| f["tool"] == "fetch"),
        "per call: {:#}",
        run.json
    );
    assert_eq!(sandboxes_left(&dir), Vec::<String>::new());
}

#[test]
fn the_host_network_is_said_to_be_unconfined() {
    let dir = scratch("host-network");
    let out = common::bin()
        .args(["mcp-secure", "probe", "--allow-network", "--"])
        .args(["python3", &fixture("hostile_network")])
        .env("TMPDIR", &dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sandbox: network not confined: the host's network (--allow-network)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Sandbox writes: Landlock"),
        "the header names the protections on: {stderr}"
    );
}

#[test]
fn a_huge_line_is_a_finding_and_the_probe_stays_small() {
    for no_newline in [false, true] {
        let dir = scratch(if no_newline {
            "no-newline"
        } else {
            "huge-line"
        });
        let mut cmd = vec!["python3".to_string(), fixture("hostile_lines")];
        cmd.extend(["--bytes".into(), (300u64 << 20).to_string()]);
        if no_newline {
            cmd.push("--no-newline".into());
        }
        let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let run = watch(
            &dir,
            &[
                "--only",
                "protocol-violation",
                "--max-calls",
                "1",
                "--timeout",
                "5",
            ],
            &cmd,
            "no-marker",
        );
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        let cut = findings(&run.json, "protocol-violation");
        assert!(
            cut.iter().any(|f| f["evidence"]
                .as_str()
                .is_some_and(|e| e.contains("longer than 16 MiB"))),
            "{:#}",
            run.json
        );
        assert!(
            run.peak_kb < 256 << 10,
            "the probe peaked at {} kB on a 300 MiB line",
            run.peak_kb
        );
        assert_eq!(sandboxes_left(&dir), Vec::<String>::new());
        eprintln!("no newline: {no_newline}, peak {} kB", run.peak_kb);
    }
}

#[test]
fn endless_pagination_stops_and_a_repeated_cursor_is_a_violation() {
    for (flag, expect) in [("--pages", "20 pages"), ("--repeat", "again")] {
        let dir = scratch(flag.trim_start_matches('-'));
        let script = fixture("hostile_lines");
        let mut cmd = vec!["python3", script.as_str(), "--pages"];
        if flag == "--repeat" {
            cmd.push("--repeat");
        }
        let run = watch(&dir, &["--only", "protocol-violation"], &cmd, "no-marker");
        let pages = findings(&run.json, "protocol-violation");
        assert!(
            pages
                .iter()
                .any(|f| f["evidence"].as_str().is_some_and(|e| e.contains(expect))),
            "{flag}: {:#}",
            run.json
        );
        assert!(run.json["tools"].as_array().unwrap().len() <= 20);
        assert_eq!(sandboxes_left(&dir), Vec::<String>::new());
    }
}

/// The longest string anywhere in `value`.
fn longest(value: &Value) -> usize {
    match value {
        Value::String(s) => s.chars().count(),
        Value::Array(items) => items.iter().map(longest).max().unwrap_or(0),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| k.chars().count().max(longest(v)))
            .max()
            .unwrap_or(0),
        _ => 0,
    }
}

#[test]
fn megabyte_names_are_clipped_in_the_report() {
    let dir = scratch("long-names");
    let script = fixture("hostile_lines");
    let run = watch(
        &dir,
        &["--max-calls", "30"],
        &["python3", &script, "--long-names"],
        "no-marker",
    );
    assert!(matches!(run.code, Some(0 | 1)), "{}", run.stderr);
    assert!(
        !run.json["findings"].as_array().unwrap().is_empty(),
        "{:#}",
        run.json
    );
    let longest = longest(&run.json);
    assert!(
        longest < 4200,
        "a string of {longest} characters in the report"
    );
    assert!(
        run.json.to_string().contains("bytes in all"),
        "the original size is said"
    );
    assert!(
        run.stderr.len() < 1 << 20,
        "{} bytes on stderr",
        run.stderr.len()
    );
}

#[test]
fn sigterm_kills_every_process_and_removes_the_sandbox() {
    let dir = scratch("sigterm");
    let mark = marker("sigterm");
    let mut child = common::bin()
        .args(["mcp-secure", "probe", "--timeout", "60", "--"])
        .args(["python3", &fixture("hostile_setsid"), &mark, "--hang"])
        .env("TMPDIR", &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while survivors(&mark).len() < 2 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Time for the probe to reach the call that never answers.
    std::thread::sleep(Duration::from_millis(700));
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "SIGTERM ignored"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(2));
    assert_eq!(survivors(&mark), Vec::<String>::new());
    assert_eq!(sandboxes_left(&dir), Vec::<String>::new());
}
