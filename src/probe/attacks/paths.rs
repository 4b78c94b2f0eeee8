//! Path traversal: `../` climbs, absolute paths outside, the prefix-sharing sibling, each
//! symbolic link, and encoded forms. Reads are seen as canary contents in the response,
//! writes as changes outside `{allowed}`. Root-prefixed climbs and links to files that do not
//! exist yet catch a canonicalize that falls back to the raw path; `{outside}` itself is the
//! outside twin of a `--seed`, a valid target for a parameter meant to name a folder inside.

use crate::probe::session::Session;
use crate::probe::tool::{Role, Tool, role};

/// (technique, value) pairs for one path parameter.
pub fn payloads(s: &Session) -> Vec<(&'static str, String)> {
    let sb = s.sandbox;
    let ws = sb
        .workspace
        .to_string_lossy()
        .trim_start_matches('/')
        .to_string();
    let outside = sb.outside.to_string_lossy().to_string();
    let allowed = sb.allowed.to_string_lossy().to_string();
    let canary = &sb.canary_file;
    vec![
        ("../ climb", format!("../outside/{canary}")),
        (
            "deep ../ climb",
            format!("{}{ws}/outside/{canary}", "../".repeat(12)),
        ),
        ("absolute path outside", format!("{outside}/{canary}")),
        (
            "prefix-sharing sibling",
            format!("../allowed_evil/{}", sb.evil_file),
        ),
        (
            "absolute prefix-sharing sibling",
            format!("{}/{}", sb.evil.display(), sb.evil_file),
        ),
        ("symlink to a file outside", "link_file".to_string()),
        ("symlink to a folder outside", format!("link_dir/{canary}")),
        (
            "dangling symlink pointing outside",
            "link_dangling".to_string(),
        ),
        ("URL-encoded ../", format!("..%2foutside%2f{canary}")),
        ("../ filter bypass", format!("....//outside/{canary}")),
        ("../ to the workspace root", "../.env".to_string()),
        ("a folder outside", "../outside".to_string()),
        ("a folder through a symlink", "link_dir".to_string()),
        ("new file outside", format!("{outside}/{}.txt", sb.marker())),
        // Begins with the allowed root, so a string-prefix check passes, and names a file
        // that does not exist, so a failed canonicalize that falls back to the raw path
        // passes it too.
        (
            "root-prefixed climb to a new file",
            format!("{allowed}/../outside/{}.txt", sb.marker()),
        ),
        (
            "root-prefixed climb",
            format!("{allowed}/../outside/{canary}"),
        ),
        (
            "new file through a symlinked folder",
            format!("link_dir/{}.txt", sb.marker()),
        ),
        ("the outside twin of {allowed}", outside.clone()),
        // Secret files the sandbox plants under HOME.
        (
            "a credential file under ~",
            "~/.aws/credentials".to_string(),
        ),
        (
            "a private key under HOME",
            format!("{}/.ssh/id_ed25519", sb.home.display()),
        ),
    ]
}

pub fn run(s: &mut Session, tool: &Tool) {
    if !s.wants("path-traversal") {
        return;
    }
    let params: Vec<String> = tool
        .strings()
        .filter(|p| role(p, tool) == Role::Path)
        .map(|p| p.name.clone())
        .collect();
    for name in params {
        for (technique, value) in payloads(s) {
            let args = tool.with_str(&name, value);
            if s.call(
                tool,
                &tool.name,
                args,
                Some(&name),
                "path-traversal",
                technique,
            )
            .is_none()
            {
                return;
            }
        }
    }
}
