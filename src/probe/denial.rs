//! Effects the sandbox refused, recognised in what the server says: the operating system's
//! own wording of EACCES, EPERM and EROFS (a write outside the sandbox) and of ENETUNREACH (a
//! connection to an address other than loopback), as Python, Node, Rust and the shell print it.

use std::path::Path;

/// What the sandbox refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Write,
    Network,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub kind: Kind,
    /// The path the OS refused, when the message names one.
    pub path: Option<String>,
    /// The line it was seen on, clipped.
    pub line: String,
}

/// Only the OS's wording counts, never a server's own refusal ("access denied: outside root").
const WRITE: &[&str] = &[
    "[Errno 13]",
    "[Errno 1]",
    "[Errno 30]",
    "(os error 13)",
    "(os error 1)",
    "(os error 30)",
    "EACCES:",
    "EPERM:",
    "EROFS:",
    "kind: PermissionDenied",
    "kind: ReadOnlyFilesystem",
];
const NETWORK: &[&str] = &[
    "[Errno 101]",
    "(os error 101)",
    "ENETUNREACH",
    "Network is unreachable",
    "kind: NetworkUnreachable",
];

/// The denials in `text` (one per line, at most `max`), leaving out paths inside `writable`:
/// a refusal there is the file's own permissions, not the sandbox.
pub fn find(text: &str, writable: &[&Path], max: usize) -> Vec<Denial> {
    let mut out = Vec::new();
    for line in text.lines() {
        if out.len() >= max {
            break;
        }
        let Some(kind) = kind_of(line) else {
            continue;
        };
        let path = first_path(line);
        if kind == Kind::Write
            && path
                .as_deref()
                .is_some_and(|p| writable.iter().any(|w| Path::new(p).starts_with(w)))
        {
            continue;
        }
        out.push(Denial {
            kind,
            path,
            line: super::observe::clip(line.trim(), 300),
        });
    }
    out
}

/// Name resolution fails too in a namespace without network.
const NO_NAMES: &[&str] = &[
    "EAI_AGAIN",
    "ENOTFOUND",
    "Temporary failure in name resolution",
    "Name or service not known",
    "failed to lookup address",
];

/// For a server that did not start: what in its stderr points at the confinement.
pub fn start_hint(stderr: &str, writable: &[&Path]) -> Option<&'static str> {
    let found = find(stderr, writable, 50);
    if found.iter().any(|d| d.kind == Kind::Network) || NO_NAMES.iter().any(|n| stderr.contains(n))
    {
        return Some(
            "the server has no network but loopback; if it needs more, --allow-network gives it the host's",
        );
    }
    found.iter().any(|d| d.kind == Kind::Write).then_some(
        "the server may write only inside the sandbox; --allow-write DIR lets it write in DIR too",
    )
}

fn kind_of(line: &str) -> Option<Kind> {
    if NETWORK.iter().any(|n| line.contains(n)) {
        return Some(Kind::Network);
    }
    // coreutils and shells end the line with strerror: "cannot create /x: Permission denied".
    let shell = line.trim_end().ends_with(": Permission denied")
        || line.trim_end().ends_with(": Read-only file system");
    (shell || WRITE.iter().any(|w| line.contains(w))).then_some(Kind::Write)
}

/// The first absolute path in the line, without the quotes around it.
fn first_path(line: &str) -> Option<String> {
    line.split(|c: char| c.is_whitespace() || "'\"`,()[]{}".contains(c))
        .map(|w| w.trim_end_matches([':', '.', ';']))
        .find(|w| w.starts_with('/') && w.len() > 1)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_wordings_are_recognised_with_their_path() {
        let ws = Path::new("/tmp/mcp-probe-x");
        let found = find(
            "PermissionError: [Errno 13] Permission denied: '/etc/x'\n\
             Error: EACCES: permission denied, open '/var/y'\n\
             sh: 1: cannot create /srv/z: Permission denied\n\
             OSError: [Errno 101] Network is unreachable\n\
             Permission denied (os error 13)",
            &[ws],
            10,
        );
        let paths: Vec<Option<&str>> = found.iter().map(|d| d.path.as_deref()).collect();
        assert_eq!(
            paths,
            [Some("/etc/x"), Some("/var/y"), Some("/srv/z"), None, None]
        );
        assert_eq!(found[3].kind, Kind::Network);
    }

    #[test]
    fn a_failed_start_names_the_protection_in_the_way() {
        let ws = Path::new("/tmp/mcp-probe-x");
        let net = start_hint("npm error code EAI_AGAIN", &[ws]).unwrap();
        assert!(net.contains("--allow-network"), "{net}");
        let write = start_hint("[Errno 13] Permission denied: '/var/cache/x'", &[ws]).unwrap();
        assert!(write.contains("--allow-write"), "{write}");
        assert_eq!(start_hint("Traceback: KeyError", &[ws]), None);
    }

    #[test]
    fn a_server_refusal_and_a_path_inside_are_not_denials() {
        let ws = Path::new("/tmp/mcp-probe-x");
        assert!(
            find(
                "access denied: the path is outside the files root",
                &[ws],
                9
            )
            .is_empty()
        );
        assert!(find("open /srv/secret: permission denied", &[ws], 9).is_empty());
        assert!(
            find(
                "[Errno 13] Permission denied: '/tmp/mcp-probe-x/a'",
                &[ws],
                9
            )
            .is_empty()
        );
    }
}
