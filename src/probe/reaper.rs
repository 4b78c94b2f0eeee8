//! Processes that left the server's group (`setsid`, a double fork) are still the probe's
//! descendants: the probe is their child subreaper, so orphans come back to it instead of
//! init, and a sweep of /proc kills every descendant once the server is stopped.

use std::collections::{BTreeMap, BTreeSet};

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

use super::report::Protection;

/// Rounds of the sweep: a process forking while it is killed is caught by the next round.
const ROUNDS: usize = 100;

/// Makes the probe the subreaper of everything it starts; says whether that worked.
pub fn become_subreaper() -> Protection {
    #[cfg(target_os = "linux")]
    {
        match nix::sys::prctl::set_child_subreaper(true) {
            Ok(()) => Protection::on(
                "child subreaper: every descendant, even one that called setsid, is killed when the server stops",
            ),
            Err(e) => Protection::off(format!(
                "no child subreaper ({e}): only the server's process group is killed"
            )),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        Protection::off("no child subreaper on this OS: only the server's process group is killed")
    }
}

/// Parent of each process, from /proc/<pid>/stat.
fn parents() -> BTreeMap<i32, i32> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(ppid) = parent_of(&stat) {
            out.insert(pid, ppid);
        }
    }
    out
}

/// The fourth field of a stat line; the command name in parentheses may hold spaces.
fn parent_of(stat: &str) -> Option<i32> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Every descendant of `root` in `parents`.
fn descendants(root: i32, parents: &BTreeMap<i32, i32>) -> BTreeSet<i32> {
    let mut children: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for (&pid, &ppid) in parents {
        children.entry(ppid).or_default().push(pid);
    }
    let mut out = BTreeSet::new();
    let mut todo = vec![root];
    while let Some(p) = todo.pop() {
        for &c in children.get(&p).into_iter().flatten() {
            if out.insert(c) {
                todo.push(c);
            }
        }
    }
    out
}

/// Kills every descendant of the probe and reaps those that became its children, except the
/// `tracked` ones (servers whose `Child` reaps them); returns how many were killed. Call it
/// only while no server is meant to run.
pub fn sweep(tracked: &[i32]) -> usize {
    let me = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
    let mut killed = BTreeSet::new();
    for _ in 0..ROUNDS {
        let family = parents();
        let found = descendants(me, &family);
        if found.is_empty() {
            break;
        }
        for &pid in &found {
            if kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok() {
                killed.insert(pid);
            }
        }
        let ours = found
            .iter()
            .filter(|p| family.get(p) == Some(&me) && !tracked.contains(p));
        for &pid in ours {
            let _ = waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG));
        }
        // Zombies whose parent is dying come back to the probe in a moment: reaped next round.
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // Orphans killed in the last round come back to the probe as zombies: reap them.
    for pid in killed.iter().filter(|p| !tracked.contains(p)) {
        let _ = waitpid(Pid::from_raw(*pid), Some(WaitPidFlag::WNOHANG));
    }
    killed.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_is_read_past_a_name_with_spaces() {
        assert_eq!(parent_of("42 (a b) c) S 7 42 42 0"), Some(7));
        assert_eq!(parent_of("garbage"), None);
    }

    #[test]
    fn descendants_follow_every_generation() {
        let family: BTreeMap<i32, i32> = [(2, 1), (3, 2), (4, 3), (5, 9)].into();
        assert_eq!(descendants(1, &family), [2, 3, 4].into());
    }
}
