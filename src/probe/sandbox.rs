//! The throw-away workspace: an allowed folder, a prefix-sharing sibling, an outside folder of
//! canaries, symbolic links pointing out, and canary secrets for the environment.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Variables that look secret to a server; each gets a canary value besides `--secret-env` names.
const SECRET_LOOKING: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "GITHUB_TOKEN",
    "OPENAI_API_KEY",
    "DATABASE_PASSWORD",
];

pub struct Sandbox {
    dir: Option<tempfile::TempDir>,
    pub workspace: PathBuf,
    pub allowed: PathBuf,
    pub outside: PathBuf,
    pub evil: PathBuf,
    pub home: PathBuf,
    /// The server's TMPDIR: what it writes there is no effect.
    pub tmp: PathBuf,
    /// Name of the canary file in `outside` (random, so a listing of `outside` reveals it).
    pub canary_file: String,
    /// A file in `outside` that no payload ever names: seeing its name proves a listing outside.
    pub unlisted_file: String,
    /// Name of the canary file in the prefix-sharing sibling.
    pub evil_file: String,
    /// Random contents of every canary file; any of them in a response proves a read outside.
    pub file_tokens: Vec<String>,
    /// Canary environment values by variable name.
    pub secrets: BTreeMap<String, String>,
    /// A random word used to name marker files and tables.
    pub tag: String,
    counter: std::cell::Cell<u32>,
}

/// Random hex from the operating system.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    let ok = fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .is_ok();
    if !ok {
        // Without /dev/urandom, time and pid are unpredictable enough for canaries.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mixed = seed ^ (u128::from(std::process::id()) << 64);
        buf.iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (mixed >> ((i % 16) * 8)) as u8);
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sandbox {
    pub fn create(secret_env: &[String], seed: Option<&Path>) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("mcp-probe-")
            .tempdir()
            .context("could not create the sandbox folder: check TMPDIR")?;
        let workspace = dir
            .path()
            .canonicalize()
            .context("could not resolve the sandbox folder")?;
        let allowed = workspace.join("allowed");
        let evil = workspace.join("allowed_evil");
        let outside = workspace.join("outside");
        let tag = random_hex(4);
        let home = workspace.join("home");
        let tmp = workspace.join("tmp");
        let canary_file = format!("canary-{}.txt", random_hex(4));
        let evil_file = format!("sibling-{}.txt", random_hex(4));
        let unlisted_file = format!("unlisted-{}.txt", random_hex(4));
        let file_tokens: Vec<String> = (0..4)
            .map(|_| format!("MCPCANARYFILE{}", random_hex(12)))
            .collect();
        let mut secrets = BTreeMap::new();
        for name in secret_env
            .iter()
            .map(String::as_str)
            .chain(SECRET_LOOKING.iter().copied())
        {
            secrets.insert(name.to_string(), format!("mcpcanary{}", random_hex(12)));
        }
        let sandbox = Self {
            dir: Some(dir),
            workspace,
            allowed,
            outside,
            evil,
            home,
            tmp,
            canary_file,
            unlisted_file,
            evil_file,
            file_tokens,
            secrets,
            tag,
            counter: std::cell::Cell::new(0),
        };
        sandbox.populate()?;
        if let Some(seed) = seed {
            copy_tree(seed, &sandbox.allowed)
                .with_context(|| format!("could not copy the seed folder {}", seed.display()))?;
            super::canaries::plant_twin(&sandbox, seed).with_context(|| {
                format!(
                    "could not copy the seed folder {} to {{outside}}",
                    seed.display()
                )
            })?;
        }
        Ok(sandbox)
    }

    /// Writes the sample files, canaries and links; run again after a destructive tool so the
    /// next tools are attacked against a whole sandbox.
    pub fn populate(&self) -> Result<()> {
        let (allowed, outside) = (&self.allowed, &self.outside);
        for d in [
            allowed,
            &self.evil,
            outside,
            &self.home,
            &self.tmp,
            &allowed.join("docs/notes"),
            &outside.join("private"),
        ] {
            fs::create_dir_all(d).with_context(|| format!("could not create {}", d.display()))?;
        }
        let tokens = &self.file_tokens;
        let files: Vec<(PathBuf, String)> = vec![
            (
                allowed.join("README.md"),
                "# Sample project\n\nA file the server may read.\n".into(),
            ),
            (allowed.join("notes.txt"), "shopping: milk, eggs\n".into()),
            (
                allowed.join("docs/guide.md"),
                "# Guide\n\nNested file.\n".into(),
            ),
            (
                allowed.join("docs/notes/todo.txt"),
                "- write tests\n".into(),
            ),
            (outside.join(&self.canary_file), format!("{}\n", tokens[0])),
            (
                outside.join(&self.unlisted_file),
                format!("{}\n", tokens[0]),
            ),
            (
                outside.join("private/id_ed25519"),
                format!("-----BEGIN KEY-----\n{}\n", tokens[1]),
            ),
            (self.evil.join(&self.evil_file), format!("{}\n", tokens[2])),
            (
                self.workspace.join(".env"),
                format!("SECRET={}\n", tokens[3]),
            ),
        ];
        for (path, text) in &files {
            fs::write(path, text).with_context(|| format!("could not write {}", path.display()))?;
        }
        let links = [
            ("link_file", outside.join(&self.canary_file)),
            ("link_dir", outside.clone()),
            (
                "link_dangling",
                outside.join(format!("dangling-{}.txt", self.tag)),
            ),
        ];
        for (name, target) in links {
            let link = allowed.join(name);
            if fs::symlink_metadata(&link).is_ok() {
                continue;
            }
            std::os::unix::fs::symlink(&target, &link)
                .with_context(|| format!("could not create the link {name}"))?;
        }
        super::canaries::plant_secrets(self).context("could not plant the secret canaries")?;
        Ok(())
    }

    /// Replaces `{allowed}`, `{workspace}` and `{outside}`.
    pub fn expand(&self, text: &str) -> String {
        text.replace("{allowed}", &self.allowed.to_string_lossy())
            .replace("{workspace}", &self.workspace.to_string_lossy())
            .replace("{outside}", &self.outside.to_string_lossy())
    }

    /// A fresh marker name, unique within the run.
    pub fn marker(&self) -> String {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        format!("mcp-probe-{}-{n}", self.tag)
    }

    /// Folders a snapshot leaves out: the server's HOME and TMPDIR are its own.
    pub fn private_dirs(&self) -> [&Path; 2] {
        [&self.home, &self.tmp]
    }

    /// Keeps the folder on disk and returns its path.
    pub fn keep(&mut self) -> PathBuf {
        if let Some(dir) = self.dir.take() {
            let _ = dir.keep();
        }
        self.workspace.clone()
    }
}

impl Drop for Sandbox {
    /// Removes the folder even where the server took away its own permissions (a folder of
    /// mode 000 stops a plain removal for a user other than root).
    fn drop(&mut self) {
        let Some(dir) = self.dir.take() else {
            return;
        };
        if std::fs::remove_dir_all(dir.path()).is_err() {
            writable_again(dir.path());
            let _ = std::fs::remove_dir_all(dir.path());
        }
    }
}

fn writable_again(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            writable_again(&entry.path());
        }
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            fs::create_dir_all(&dest)?;
            copy_tree(&entry.path(), &dest)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path())?, &dest)?;
        } else {
            fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}
