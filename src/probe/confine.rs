//! `__confine`, the launcher the probe starts every server through: it enters a user and
//! network namespace where only `lo` is up, lets the server write only inside the folders it
//! is given (Landlock), says on stderr which protections it put in place, then executes the
//! server in its own place.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::report::Protection;

/// The first stderr line of a confined server starts with this, followed by its `Status`.
pub const STATUS_PREFIX: &str = "mcp-secure-confine: ";

/// Device files a server may write although they live outside the sandbox.
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
];

/// Internal: start a command confined to the probe's sandbox.
#[derive(Debug, Clone, Args)]
pub struct ConfineArgs {
    /// A folder the command may write in (repeatable).
    #[arg(long = "write", value_name = "DIR")]
    pub write: Vec<PathBuf>,

    /// Keep the host's network instead of a namespace with only loopback.
    #[arg(long)]
    pub host_network: bool,

    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// What the launcher put in place, as it tells the probe.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Status {
    pub writes: Protection,
    pub network: Protection,
    pub signals: Protection,
}

pub fn run(args: ConfineArgs) -> ExitCode {
    // A probe killed outright (SIGKILL, no handler) takes the server with it.
    let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
    let mut network = if args.host_network {
        Protection::off("the host's network (--allow-network)")
    } else {
        match network() {
            Ok(p) => p,
            Err(fatal) => {
                // Half a namespace (no uid map) would leave the server unable to use its files.
                say(&format!("could not confine the server: {fatal}"));
                return ExitCode::from(126);
            }
        }
    };
    let (writes, signals, unix_refused) = landlock(&args.write);
    if network.on && !unix_refused {
        // A network namespace separates abstract Unix sockets, not those in the file system.
        network.how.push_str(
            "; Unix sockets in the file system (a Docker or D-Bus socket) stay reachable: Landlock refuses them from ABI 9 on",
        );
    }
    let status = Status {
        writes,
        network,
        signals,
    };
    say(&format!(
        "{STATUS_PREFIX}{}",
        serde_json::to_string(&status).unwrap_or_default()
    ));
    let (program, rest) = match args.command.split_first() {
        Some(split) => split,
        None => return ExitCode::from(126),
    };
    let err = std::process::Command::new(program).args(rest).exec();
    say(&format!(
        "could not start `{}`: {err}",
        program.to_string_lossy()
    ));
    ExitCode::from(127)
}

fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A user namespace (so no privilege is needed) with a network namespace whose only device is
/// `lo`. An `Err` is a failure after the point of no return.
fn network() -> Result<Protection, String> {
    use nix::sched::{CloneFlags, unshare};
    let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
    if let Err(e) = unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNET) {
        return Ok(Protection::off(format!(
            "the host's network: no user and network namespace could be created ({e})"
        )));
    }
    // The same ids inside as outside, so files the server creates belong to the user.
    let maps = [
        ("/proc/self/setgroups", "deny".to_string()),
        ("/proc/self/uid_map", format!("{uid} {uid} 1")),
        ("/proc/self/gid_map", format!("{gid} {gid} 1")),
    ];
    for (file, line) in maps {
        std::fs::write(file, line).map_err(|e| format!("cannot write {file}: {e}"))?;
    }
    Ok(match super::netlink::loopback_up() {
        Ok(()) => Protection::on("a network namespace: loopback only"),
        Err(e) => Protection::on(format!(
            "a network namespace without network: loopback could not be brought up ({e})"
        )),
    })
}

/// Writes only inside `dirs` and a few device files; signals only to processes inside; the
/// last value says whether connections to Unix sockets outside are refused too.
fn landlock(dirs: &[PathBuf]) -> (Protection, Protection, bool) {
    use landlock::{
        ABI, Access, AccessFs, LandlockStatus, Ruleset, RulesetAttr, RulesetCreatedAttr,
        RulesetStatus, Scope, path_beneath_rules,
    };
    // The newest ABI this crate knows: best effort keeps what the kernel supports.
    let abi = ABI::V10;
    let write = AccessFs::from_write(abi);
    let devices = DEVICES.iter().filter(|d| std::path::Path::new(d).exists());
    let status = Ruleset::default()
        .handle_access(write)
        .and_then(|r| r.scope(Scope::from_all(abi)))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(dirs, write)))
        .and_then(|r| r.add_rules(path_beneath_rules(devices, write)))
        .and_then(|r| r.restrict_self());
    let status = match status {
        Ok(s) => s,
        Err(e) => {
            let why = format!("Landlock failed: {e}");
            return (Protection::off(why.clone()), Protection::off(why), false);
        }
    };
    let version = match status.landlock {
        LandlockStatus::Available { effective_abi, .. } => format!("{effective_abi:?}"),
        LandlockStatus::NotEnabled => "not enabled".into(),
        LandlockStatus::NotImplemented => "not in this kernel".into(),
    };
    let writes = match status.ruleset {
        RulesetStatus::NotEnforced => Protection::off(format!(
            "Landlock {version}: the server can write wherever the user can"
        )),
        _ => Protection::on(format!(
            "Landlock {version}: only inside the sandbox and device files such as /dev/null"
        )),
    };
    // Scopes came with ABI 6 and Unix sockets with ABI 9; an older kernel enforces the rest.
    let since = |abi: ABI| {
        status.ruleset != RulesetStatus::NotEnforced
            && matches!(
                status.landlock,
                LandlockStatus::Available { effective_abi, .. } if effective_abi >= abi
            )
    };
    let signals = if since(ABI::V6) {
        Protection::on(format!(
            "Landlock {version}: no signal to a process outside the sandbox"
        ))
    } else {
        Protection::off(format!(
            "Landlock {version} has no scopes: the server may signal the user's processes"
        ))
    };
    (writes, signals, since(ABI::V9))
}
