//! Where the generated CI installs cargo-mcp-secure from: the template variable
//! `checker_install`, the arguments of `cargo install --locked`. Left empty, it is the source
//! this very build came from, so the CI runs the checker that generated the project.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Result, bail};
use serde_json::Value;

pub const VARIABLE: &str = "checker_install";

/// Fills an empty `checker_install` with the default and refuses a value that would break
/// the workflow line it is written into.
pub fn fill_default(vars: &mut serde_json::Map<String, Value>) -> Result<()> {
    let Some(Value::String(value)) = vars.get_mut(VARIABLE) else {
        return Ok(());
    };
    if value.contains(['\n', '\r']) {
        bail!("{VARIABLE} must be one line of `cargo install` arguments");
    }
    if value.trim().is_empty() {
        *value = default_install(Path::new(env!("CARGO_MANIFEST_DIR")));
    }
    Ok(())
}

/// `--git URL --rev COMMIT` when `source` (where this binary was built) is a git checkout
/// whose origin a CI runner can reach, else this version on crates.io.
pub fn default_install(source: &Path) -> String {
    let origin = git(source, &["remote", "get-url", "origin"]).and_then(|url| reachable(&url));
    let rev = git(source, &["rev-parse", "HEAD"]);
    match (origin, rev) {
        (Some(url), Some(rev)) => format!("--git {url} --rev {rev}"),
        _ => format!("cargo-mcp-secure@{}", env!("CARGO_PKG_VERSION")),
    }
}

/// A remote URL a CI runner can clone, with any credentials in it removed (they must never be
/// written into a workflow); `None` for a local path.
fn reachable(url: &str) -> Option<String> {
    if let Some((scheme, rest)) = url.split_once("://") {
        if scheme == "file" {
            return None;
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let Some((user, host)) = authority.rsplit_once('@') else {
            return Some(url.to_string());
        };
        // Over HTTP the user part is a token or a password; over SSH it names the account.
        let user = user.split(':').next().unwrap_or_default();
        return Some(match scheme.starts_with("http") {
            true => format!("{scheme}://{host}/{path}"),
            false => format!("{scheme}://{user}@{host}/{path}"),
        });
    }
    // scp-like `git@host:owner/repo`; a bare path has no `host:` part.
    let (user_host, path) = url.split_once(':')?;
    (!user_host.contains('/') && !path.is_empty()).then(|| url.to_string())
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn a_checkout_with_an_origin_installs_that_commit_without_credentials() {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), &["init", "-q"]);
        run(
            dir.path(),
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                "x",
            ],
        );
        let origin = "https://user:ghp_secret@github.com/team/cargo-mcp-secure.git";
        run(dir.path(), &["remote", "add", "origin", origin]);
        let rev = git(dir.path(), &["rev-parse", "HEAD"]).unwrap();
        assert_eq!(
            default_install(dir.path()),
            format!("--git https://github.com/team/cargo-mcp-secure.git --rev {rev}")
        );
    }

    #[test]
    fn without_a_reachable_origin_it_is_the_crates_io_version() {
        let dir = tempfile::tempdir().unwrap();
        let version = format!("cargo-mcp-secure@{}", env!("CARGO_PKG_VERSION"));
        assert_eq!(default_install(dir.path()), version);
        run(dir.path(), &["init", "-q"]);
        run(
            dir.path(),
            &["remote", "add", "origin", "/srv/git/cargo-mcp-secure"],
        );
        assert_eq!(default_install(dir.path()), version);
    }

    #[test]
    fn urls_keep_their_host_and_path() {
        assert_eq!(
            reachable("git@github.com:team/x.git").as_deref(),
            Some("git@github.com:team/x.git")
        );
        assert_eq!(
            reachable("ssh://git@host/x").as_deref(),
            Some("ssh://git@host/x")
        );
        assert_eq!(
            reachable("ssh://git:pw@host/x").as_deref(),
            Some("ssh://git@host/x")
        );
        assert_eq!(
            reachable("https://ghp_token@github.com/t/x").as_deref(),
            Some("https://github.com/t/x")
        );
        assert_eq!(reachable("file:///srv/x"), None);
        assert_eq!(reachable("../x"), None);
    }

    #[test]
    fn a_value_over_two_lines_is_refused_and_an_empty_one_filled() {
        let mut vars = serde_json::Map::new();
        vars.insert(VARIABLE.into(), Value::String("a\nb".into()));
        assert!(fill_default(&mut vars).is_err());
        vars.insert(VARIABLE.into(), Value::String(String::new()));
        fill_default(&mut vars).unwrap();
        assert!(!vars[VARIABLE].as_str().unwrap().is_empty());
    }
}
