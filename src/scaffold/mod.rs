//! `cargo mcp-secure new`: renders a template into a new crate, atomically.

mod checker;
mod lock;
mod name;
mod next_steps;
mod place;
pub mod template;
mod values;
mod workspace;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use crate::report::Reporter;
use template::Template;

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Folder to create the crate in; its last component is the default crate name.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// Crate name (default: the folder name).
    #[arg(long)]
    pub name: Option<String>,

    /// One-line description of the server.
    #[arg(long)]
    pub description: Option<String>,

    /// Example tool kits: a comma-separated subset of files,sql,command,confirm, or `all`, or `none`.
    #[arg(long, value_name = "KITS")]
    pub kits: Option<String>,

    /// Transport: `stdio` (default), or `http` (Streamable HTTP on 127.0.0.1:8080 with Host,
    /// Origin and bearer-token or OAuth checks on every request).
    #[arg(long, value_name = "TRANSPORT")]
    pub transport: Option<String>,

    /// Built-in template: `secure`, or `workshop` (the deliberately vulnerable teaching twin).
    #[arg(long, default_value = "secure", conflicts_with = "template_dir")]
    pub template: String,

    /// Render your own template folder (a template.toml and handlebars files) instead.
    #[arg(long, value_name = "DIR")]
    pub template_dir: Option<PathBuf>,

    /// Set a template variable; repeatable.
    #[arg(long = "define", short = 'd', value_name = "KEY=VALUE")]
    pub defines: Vec<String>,

    /// Version control for the new crate (default: git, unless already inside a git work tree).
    #[arg(long, value_enum)]
    pub vcs: Option<Vcs>,

    /// Render into an existing empty folder instead of creating one.
    #[arg(long)]
    pub init: bool,

    /// Do not add the crate to an enclosing cargo workspace.
    #[arg(long)]
    pub no_workspace: bool,

    /// Accept defaults for everything not given; never prompt.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Vcs {
    Git,
    None,
}

pub fn run(reporter: &Reporter, args: NewArgs) -> Result<ExitCode> {
    let interactive = reporter.interactive() && !args.yes;
    let template = match &args.template_dir {
        Some(dir) => Template::from_folder(dir)?,
        None => Template::builtin(&args.template)?,
    };

    let dest = absolute(&args.path)?;
    let parent = dest
        .parent()
        .context("the destination has no parent folder: pass a folder path")?
        .to_path_buf();
    check_destination(&dest, args.init)?;

    let default_name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let crate_name = match args.name.clone() {
        Some(n) => n,
        None => values::prompt_name(&default_name, interactive)?,
    };
    name::validate(&crate_name)?;

    let mut given = values::parse_defines(&template.manifest, &args.defines)?;
    for (flag, var, value) in [
        ("--description", "description", &args.description),
        ("--kits", "kits", &args.kits),
        ("--transport", "transport", &args.transport),
    ] {
        let Some(value) = value else { continue };
        if !template.manifest.variables.contains_key(var) {
            bail!(
                "template `{}` has no variable `{var}`, so {flag} does not apply: leave it out",
                template.name
            );
        }
        given.insert(var.to_string(), value.clone());
    }
    let mut vars = values::resolve(&template.manifest, &given, interactive)?;
    checker::fill_default(&mut vars)?;

    let workspace = if args.no_workspace {
        None
    } else {
        workspace::find(&parent)?
    };
    let in_git = inside_git_work_tree(&parent);
    let git = match args.vcs {
        Some(vcs) => vcs == Vcs::Git,
        None => values::prompt_git(!in_git, interactive)?,
    };

    let context = build_context(&crate_name, vars, workspace.is_some());
    let files = template::render(&template, &context)?;
    let lockfile = match workspace.is_some() {
        true => None,
        false => lock_for(&template, &files)?,
    };

    place::write_atomically(&parent, &dest, args.init, |staging| {
        for file in &files {
            place::write_file(staging, &file.path, &file.bytes)?;
        }
        if let Some(lock) = &lockfile {
            place::write_file(staging, Path::new("Cargo.lock"), lock.as_bytes())?;
        }
        if git {
            place::git_init(staging)?;
        }
        Ok(())
    })?;
    reporter.status(
        "Created",
        format!(
            "`{crate_name}` from template `{}` at {}",
            template.name,
            dest.display()
        ),
    );

    if let Some(ws) = &workspace {
        join_workspace(reporter, ws, &dest)?;
    }
    let target_root = workspace
        .as_ref()
        .map_or(dest.as_path(), |ws| ws.root.as_path());
    let place = next_steps::Place {
        path: &args.path,
        dest: &dest,
        target_root,
        http: context.get("transport").and_then(|t| t.as_str()) == Some("http"),
    };
    next_steps::print(reporter, &place, &crate_name, &template);
    Ok(ExitCode::SUCCESS)
}

/// The generated crate's own lock file, when the template ships locks.
fn lock_for(template: &Template, files: &[template::TemplateFile]) -> Result<Option<String>> {
    let candidates = template::lockfile_texts(template)?;
    if candidates.is_empty() {
        return Ok(None);
    }
    let manifest = files
        .iter()
        .find(|f| f.path == Path::new("Cargo.toml"))
        .context("the template names a lock file but renders no Cargo.toml")?;
    lock::from_candidates(&candidates, &String::from_utf8_lossy(&manifest.bytes)).map(Some)
}

fn absolute(path: &Path) -> Result<PathBuf> {
    if path.as_os_str().is_empty() {
        bail!("the destination path is empty: pass the folder to create");
    }
    let abs =
        std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    // Resolve `..` lexically so the folder name and parent are the real ones.
    let mut clean = PathBuf::new();
    for part in abs.components() {
        match part {
            std::path::Component::ParentDir => {
                clean.pop();
            }
            std::path::Component::CurDir => {}
            other => clean.push(other),
        }
    }
    Ok(clean)
}

fn check_destination(dest: &Path, init: bool) -> Result<()> {
    let meta = std::fs::symlink_metadata(dest);
    match (meta, init) {
        (Err(_), false) => Ok(()),
        (Ok(_), false) => bail!(
            "destination {} already exists: choose another path, or pass --init to fill an existing empty folder",
            dest.display()
        ),
        (Err(_), true) => bail!(
            "--init needs an existing empty folder, and {} does not exist: create it or drop --init",
            dest.display()
        ),
        (Ok(m), true) if !m.is_dir() => bail!(
            "--init needs an empty folder, and {} is not a folder",
            dest.display()
        ),
        (Ok(_), true) => {
            let mut entries = std::fs::read_dir(dest)
                .with_context(|| format!("cannot read {}", dest.display()))?;
            if entries.next().is_some() {
                bail!(
                    "{} is not empty: --init only fills an empty folder, so nothing is overwritten",
                    dest.display()
                );
            }
            Ok(())
        }
    }
}

fn build_context(
    crate_name: &str,
    vars: serde_json::Map<String, Value>,
    workspace_member: bool,
) -> Value {
    let mut context = json!({
        "crate_name": crate_name,
        "crate_ident": crate_name.replace('-', "_"),
        "tool_version": env!("CARGO_PKG_VERSION"),
        "workspace_member": workspace_member,
    });
    let map = context.as_object_mut().expect("context is an object");
    for (key, value) in vars {
        map.insert(key, value);
    }
    context
}

fn inside_git_work_tree(dir: &Path) -> bool {
    let existing = dir.ancestors().find(|a| a.is_dir());
    let Some(existing) = existing else {
        return false;
    };
    std::process::Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(existing)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn join_workspace(reporter: &Reporter, ws: &workspace::Workspace, dest: &Path) -> Result<()> {
    let rel = dest.strip_prefix(&ws.root).unwrap_or(dest);
    let member = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let text = std::fs::read_to_string(&ws.manifest)
        .with_context(|| format!("cannot read {}", ws.manifest.display()))?;
    match workspace::add_member(&text, &member)
        .with_context(|| format!("in {}", ws.manifest.display()))?
    {
        Some(updated) => {
            place::replace_file(&ws.manifest, updated.as_bytes())?;
            reporter.status(
                "Added",
                format!(
                    "`{member}` to the workspace members in {}",
                    ws.manifest.display()
                ),
            );
        }
        None => reporter.note(format!(
            "`{member}` is already covered by the workspace in {}",
            ws.manifest.display()
        )),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Every built-in template renders, and finds a lock of its exact dependency set, for
    /// every kit combination.
    #[test]
    fn every_builtin_template_and_kit_set_has_a_lock() {
        for name in template::builtin_names() {
            let template = Template::builtin(name).unwrap();
            let Some(kits) = template.manifest.variables.get("kits") else {
                continue;
            };
            let choices = kits.choices.clone();
            for mask in 0..(1u32 << choices.len()) {
                let picked: Vec<String> = choices
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask >> i & 1 == 1)
                    .map(|(_, c)| c.clone())
                    .collect();
                let transports = template
                    .manifest
                    .variables
                    .get("transport")
                    .map(|t| t.choices.clone())
                    .unwrap_or_default();
                for transport in transports {
                    let mut given = BTreeMap::new();
                    given.insert(
                        "kits".to_string(),
                        if picked.is_empty() {
                            "none".into()
                        } else {
                            picked.join(",")
                        },
                    );
                    given.insert("transport".to_string(), transport.clone());
                    let vars = values::resolve(&template.manifest, &given, false).unwrap();
                    let context = build_context("lock-test", vars, false);
                    let files = template::render(&template, &context).unwrap();
                    let lock = lock_for(&template, &files)
                        .unwrap_or_else(|e| {
                            panic!("{name} {transport} with kits {picked:?}: {e:#}")
                        })
                        .expect("built-in templates ship locks");
                    assert!(lock.contains("name = \"lock-test\""), "{name} {picked:?}");
                }
            }
        }
    }
}
