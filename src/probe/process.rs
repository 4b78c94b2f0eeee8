//! The server process: started through the `__confine` launcher in its own process group,
//! killed with its whole group and every other descendant on drop, on timeout and on Ctrl-C.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Process groups alive right now, killed by the Ctrl-C handler.
static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C / SIGTERM handler once: it kills every live group and flags the run.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        let groups = GROUPS.lock().map(|g| g.clone()).unwrap_or_default();
        for pgid in &groups {
            let _ = killpg(Pid::from_raw(*pgid), Signal::SIGKILL);
        }
        // The servers themselves are left for their `Child` to reap: it waits for them.
        super::reaper::sweep(&groups);
    });
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// How to start the server.
#[derive(Debug, Clone)]
pub struct Spec {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: BTreeMap<String, String>,
    pub inherit_env: bool,
    /// How the launcher confines the server; None starts it directly.
    pub confine: Option<Confine>,
}

/// What the `__confine` launcher is told.
#[derive(Debug, Clone)]
pub struct Confine {
    /// The only folders the server may write in.
    pub writable: Vec<PathBuf>,
    pub host_network: bool,
}

impl Spec {
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A running server; dropping it kills its process group.
pub struct Group {
    pub child: Child,
    pgid: i32,
}

impl Group {
    pub fn spawn(spec: &Spec) -> std::io::Result<Self> {
        let mut cmd = match &spec.confine {
            Some(confine) => {
                let mut cmd = Command::new(std::env::current_exe()?);
                cmd.arg("__confine");
                for dir in &confine.writable {
                    cmd.arg("--write").arg(dir);
                }
                if confine.host_network {
                    cmd.arg("--host-network");
                }
                cmd.arg("--").arg(&spec.program);
                cmd
            }
            None => Command::new(&spec.program),
        };
        cmd.args(&spec.args).current_dir(&spec.cwd);
        if !spec.inherit_env {
            cmd.env_clear();
        }
        cmd.envs(&spec.env);
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cmd.spawn()?;
        let pgid = i32::try_from(child.id()).unwrap_or(i32::MAX);
        if let Ok(mut g) = GROUPS.lock() {
            g.push(pgid);
        }
        Ok(Self { child, pgid })
    }

    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Kills the whole group (the server and every child it left behind) and reaps the server;
    /// once no other server runs, every other descendant too (those that left the group).
    pub fn kill(&mut self) {
        let _ = killpg(Pid::from_raw(self.pgid), Signal::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
        let alone = match GROUPS.lock() {
            Ok(mut g) => {
                g.retain(|p| *p != self.pgid);
                g.is_empty()
            }
            Err(_) => false,
        };
        if alone {
            super::reaper::sweep(&[]);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}
