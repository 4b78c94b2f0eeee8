//! Canaries besides the sandbox's own: the outside twin of the seed, and secrets planted
//! where servers and their libraries look for them (`.env` and a config file in `{allowed}`,
//! `~/.aws/credentials` and `~/.ssh/id_ed25519` under the sandbox HOME). Each value is derived from the sandbox's
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
    secrets(s, tool, o, argument);
}

/// Where a planted secret lives: inside `{allowed}` (the server may read it, but must not
/// hand its values to the model) or under the sandbox HOME (outside `{allowed}`).
pub struct Planted {
    pub place: &'static str,
    pub inside: bool,
    pub value: String,
}

/// The secret canaries, each in the file that holds it.
pub fn planted(sandbox: &Sandbox) -> Vec<Planted> {
    let one = |place, inside, prefix: &str| Planted {
        place,
        inside,
        value: derived(sandbox, place, prefix),
    };
    vec![
        one("{allowed}/.env", true, "mcpenvcanary"),
        one("{allowed}/config/credentials.json", true, "mcpconfigcanary"),
        one("~/.aws/credentials", false, "mcpawscanary"),
        one("~/.ssh/id_ed25519", false, "mcpsshcanary"),
    ]
}

/// Writes the secret canaries; run with every population of the sandbox.
pub fn plant_secrets(sandbox: &Sandbox) -> std::io::Result<()> {
    let values = planted(sandbox);
    let files = [
        (
            sandbox.allowed.join(".env"),
            format!("APP_ENV=test\nAPI_KEY={}\n", values[0].value),
        ),
        (
            sandbox.allowed.join("config/credentials.json"),
            format!(
                "{{\"service\": \"billing\", \"token\": \"{}\"}}\n",
                values[1].value
            ),
        ),
        (
            sandbox.home.join(".aws/credentials"),
            format!(
                "[default]\naws_access_key_id = AKIAMCPPROBECANARY00\naws_secret_access_key = {}\n",
                values[2].value
            ),
        ),
        (
            sandbox.home.join(".ssh/id_ed25519"),
            format!(
                "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
                values[3].value
            ),
        ),
    ];
    for (path, text) in files {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, text)?;
    }
    Ok(())
}

/// The planted secrets and credential-shaped values in one reply.
fn secrets(s: &mut Session, tool: &Tool, o: &Outcome, argument: Option<&str>) {
    let ev = |observed: String| {
        Some(Evidence {
            argument: argument.map(str::to_string),
            request: o.request.clone(),
            observed,
        })
    };
    let request = o.request.to_string();
    let mut seen_planted = false;
    for p in planted(s.sandbox) {
        if !o.text.contains(&p.value) {
            continue;
        }
        seen_planted = true;
        // A file tool asked for a file of its root returns it by design; the secret elsewhere
        // (a settings dump, a search, an error) is the leak.
        let file = p.place.rsplit('/').next().unwrap_or(p.place);
        if p.inside && request.contains(file) {
            continue;
        }
        let observed = format!("the response contains the canary planted in {}", p.place);
        if p.inside {
            let msg = format!(
                "`{}` returned a secret of {} unasked: values of secret files must not reach the model",
                tool.name, p.place
            );
            s.report(
                "unsanitised-output",
                Severity::Warn,
                Some(&tool.name),
                p.place,
                msg,
                ev(observed),
            );
        } else {
            let msg = format!(
                "`{}` read a credential file outside {{allowed}} ({})",
                tool.name, p.place
            );
            // Whatever call showed it, the file was read outside: one finding per tool.
            s.report(
                "path-traversal",
                Severity::Fail,
                Some(&tool.name),
                p.place,
                msg,
                ev(observed),
            );
        }
    }
    for (kind, value) in crate::probe::credentials::find(&o.text) {
        // An echo of the request, or a canary already reported, is not a new secret.
        // The planted key's block is the planted secret itself.
        let planted_key = seen_planted && kind == "a private key";
        if planted_key || request.contains(&value) || value.to_ascii_lowercase().contains("canary")
        {
            continue;
        }
        let shown: String = value.chars().take(4).collect();
        let msg = format!(
            "`{}` returned a value shaped like a credential ({kind})",
            tool.name
        );
        s.report(
            "unsanitised-output",
            Severity::Warn,
            Some(&tool.name),
            kind,
            msg,
            ev(format!(
                "{kind}: `{shown}…` ({} characters, redacted here)",
                value.chars().count()
            )),
        );
    }
}
