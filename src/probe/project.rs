//! Without `-- CMD`: build the current cargo package's binary and read how to start it from
//! `[package.metadata.mcp-secure.probe]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// What the package says about probing it.
#[derive(Debug, Default)]
pub struct Target {
    pub program: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub secret_env: Vec<String>,
}

pub fn resolve(manifest: Option<&Path>, reporter: &crate::report::Reporter) -> Result<Target> {
    let mut cmd = cargo_metadata::MetadataCommand::new();
    cmd.no_deps();
    if let Some(m) = manifest {
        cmd.manifest_path(m);
    }
    let meta = cmd.exec().context("no server command given and no cargo package here: pass `-- CMD [ARGS...]` or run inside a package")?;
    let package = meta
        .root_package()
        .or_else(|| meta.workspace_default_packages().into_iter().next())
        .context(
            "the workspace has no root package: pass --manifest-path of the server's Cargo.toml",
        )?;
    let bin = package
        .targets
        .iter()
        .find(|t| t.kind.iter().any(|k| k.to_string() == "bin"))
        .with_context(|| format!("package `{}` has no binary to probe", package.name))?;
    let table = package
        .metadata
        .get("mcp-secure")
        .and_then(|m| m.get("probe"))
        .cloned()
        .unwrap_or(Value::Null);
    let mut target = Target::default();
    if let Some(args) = table.get("args") {
        target.args = strings(args).with_context(|| {
            format!(
                "{}: probe.args must be a list of strings",
                package.manifest_path
            )
        })?;
    }
    if let Some(env) = table.get("env").and_then(Value::as_object) {
        for (k, v) in env {
            let v = v.as_str().with_context(|| {
                format!("{}: probe.env.{k} must be a string", package.manifest_path)
            })?;
            target.env.insert(k.clone(), v.to_string());
        }
    }
    if let Some(names) = table.get("secret-env") {
        target.secret_env = strings(names).with_context(|| {
            format!(
                "{}: probe.secret-env must be a list of names",
                package.manifest_path
            )
        })?;
    }
    reporter.status(
        "Building",
        format!("{} ({})", package.name, package.manifest_path),
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--bin", &bin.name, "--manifest-path"])
        .arg(package.manifest_path.as_std_path())
        .status()
        .context("could not run cargo build")?;
    if !status.success() {
        bail!(
            "cargo build failed for {}: fix the build, or pass `-- CMD` to probe a built server",
            package.manifest_path
        );
    }
    let exe: PathBuf = meta
        .target_directory
        .as_std_path()
        .join("debug")
        .join(&bin.name);
    target.program = exe.to_string_lossy().into_owned();
    Ok(target)
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_str().map(str::to_string))
        .collect()
}
