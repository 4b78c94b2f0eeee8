//! Canaries besides the sandbox's own: the outside twin of the seed, and secrets planted
//! where servers and their libraries look for them. Each value is derived from the sandbox's
//! random canary tokens, so it is unpredictable to the server and needs no state of its own.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::finding::{Evidence, Severity};
use crate::probe::sandbox::Sandbox;
use crate::probe::session::{Outcome, Session};
use crate::probe::tool::Tool;

/// A value unique to this sandbox and `label`, starting with `prefix`.
fn derived(sandbox: &Sandbox, label: &str, prefix: &str) -> String {
    let mut h = Sha256::new();
    h.update(sandbox.file_tokens[0].as_bytes());
    h.update(label.as_bytes());
    let hex: String = h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{prefix}{hex}")
}

/// The token of the outside twin: the name of a file in it and that file's contents.
pub fn twin_token(sandbox: &Sandbox) -> String {
    derived(sandbox, "twin", "MCPCANARYTWIN")
}

/// Copies the seed to `{outside}` with a canary file of its own, so a parameter meant to
/// stay inside (a repository, a project folder) can be pointed at a valid target outside.
pub fn plant_twin(sandbox: &Sandbox, seed: &Path) -> std::io::Result<()> {
    copy_files(seed, &sandbox.outside)?;
    let token = twin_token(sandbox);
    fs::write(
        sandbox.outside.join(format!("{token}.txt")),
        format!("{token}\n"),
    )
}

/// Files and folders only: links of the seed stay out of the twin.
fn copy_files(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            copy_files(&entry.path(), &dest)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

/// Looks for the canaries of this module in one reply; run on every observed call.
pub fn observe(
    s: &mut Session,
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
    let twin = twin_token(s.sandbox);
    if o.text.contains(&twin) {
        let msg = format!(
            "`{}` reached the outside twin of {{allowed}} ({technique})",
            tool.name
        );
        s.report(
            effect,
            Severity::Fail,
            Some(&tool.name),
            &format!("twin {technique} {}", argument.unwrap_or("")),
            msg,
            ev(format!(
                "the response shows `{twin}`, a canary of the copy of {{allowed}} in {{outside}}"
            )),
        );
    }
}
