//! The project's own settings for `check`, from `[package.metadata.mcp-secure]` (or the
//! workspace's): `allow = { "<id>" = "<reason>" }` and `severity = { "<id>" = "warn" }`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::check::model::Context;
use crate::finding::Severity;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "in `{manifest}`: [package.metadata.mcp-secure] severity for `{id}` is {value}; use \"info\", \"warn\" or \"fail\""
    )]
    BadSeverity {
        manifest: String,
        id: String,
        value: String,
    },
    #[error(
        "in `{manifest}`: [package.metadata.mcp-secure] `{key}` must be a table such as {key} = {{ \"<id>\" = ... }}"
    )]
    NotATable { manifest: String, key: String },
}

/// Settings of one package.
#[derive(Debug, Clone, Default)]
pub struct PackageSettings {
    /// The package folder, relative to the root ("" for a package at the root).
    pub dir: PathBuf,
    pub manifest: PathBuf,
    pub manifest_text: String,
    /// Item ID to the reason given (possibly empty, which is refused later).
    pub allow: BTreeMap<String, String>,
    pub severity: BTreeMap<String, Severity>,
}

#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub packages: Vec<PackageSettings>,
}

impl Settings {
    pub fn from_context(ctx: &Context) -> Result<Self, ConfigError> {
        let mut packages = Vec::new();
        for pkg in &ctx.packages {
            let manifest = pkg.manifest_path.display().to_string();
            let mut s = PackageSettings {
                dir: pkg
                    .manifest_path
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
                manifest: pkg.manifest_path.clone(),
                manifest_text: pkg.manifest_text.clone(),
                ..Default::default()
            };
            if let Some(allow) = table(&pkg.metadata, "allow", &manifest)? {
                for (id, reason) in allow {
                    // A non-string reason is kept as empty so it is reported like a missing one.
                    s.allow.insert(
                        id.clone(),
                        reason.as_str().unwrap_or_default().trim().to_string(),
                    );
                }
            }
            if let Some(sev) = table(&pkg.metadata, "severity", &manifest)? {
                for (id, value) in sev {
                    let parsed = value.as_str().and_then(|v| match v {
                        "info" => Some(Severity::Info),
                        "warn" => Some(Severity::Warn),
                        "fail" => Some(Severity::Fail),
                        _ => None,
                    });
                    let severity = parsed.ok_or_else(|| ConfigError::BadSeverity {
                        manifest: manifest.clone(),
                        id: id.clone(),
                        value: value.to_string(),
                    })?;
                    s.severity.insert(id.clone(), severity);
                }
            }
            packages.push(s);
        }
        Ok(Settings { packages })
    }

    /// The package owning a file: the one whose folder holds it most closely.
    pub fn owner(&self, file: Option<&Path>) -> Option<&PackageSettings> {
        let file = file?;
        self.packages
            .iter()
            .filter(|p| file.starts_with(&p.dir))
            .max_by_key(|p| p.dir.components().count())
    }

    /// The severity of item `id` for a finding in `file`: an override of its package, else `default`.
    /// A finding with no file takes the strictest override of any package.
    pub fn severity(&self, id: &str, file: Option<&Path>, default: Severity) -> Severity {
        match self.owner(file) {
            Some(p) => p.severity.get(id).copied().unwrap_or(default),
            None if file.is_none() => self
                .packages
                .iter()
                .filter_map(|p| p.severity.get(id))
                .max()
                .copied()
                .unwrap_or(default),
            None => default,
        }
    }
}

fn table<'a>(
    metadata: &'a serde_json::Value,
    key: &str,
    manifest: &str,
) -> Result<Option<&'a serde_json::Map<String, serde_json::Value>>, ConfigError> {
    match metadata.get(key) {
        None => Ok(None),
        Some(serde_json::Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(ConfigError::NotATable {
            manifest: manifest.into(),
            key: key.into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::model::Package;
    use serde_json::json;

    fn ctx(metadata: serde_json::Value) -> Context {
        let pkg = Package {
            name: "p".into(),
            manifest_path: "crates/p/Cargo.toml".into(),
            manifest_text: String::new(),
            is_binary: true,
            has_lockfile: true,
            metadata,
        };
        Context::from_files(Path::new("/w"), pkg, vec![])
    }

    #[test]
    fn reads_allow_and_severity_tables() {
        let s = Settings::from_context(&ctx(json!({
            "allow": { "missing-rate-limit": " one client only ", "x": 3 },
            "severity": { "missing-lockfile": "fail" }
        })))
        .unwrap();
        let p = &s.packages[0];
        assert_eq!(p.allow["missing-rate-limit"], "one client only");
        assert_eq!(p.allow["x"], "");
        let file = Path::new("crates/p/src/main.rs");
        assert_eq!(
            s.severity("missing-lockfile", Some(file), Severity::Warn),
            Severity::Fail
        );
        assert_eq!(
            s.severity(
                "missing-lockfile",
                Some(Path::new("other/x.rs")),
                Severity::Warn
            ),
            Severity::Warn
        );
        assert_eq!(
            s.severity("missing-lockfile", None, Severity::Warn),
            Severity::Fail
        );
    }

    #[test]
    fn refuses_unknown_severities_and_non_tables() {
        let err =
            Settings::from_context(&ctx(json!({ "severity": { "a": "error" } }))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "in `crates/p/Cargo.toml`: [package.metadata.mcp-secure] severity for `a` is \"error\"; use \"info\", \"warn\" or \"fail\""
        );
        assert!(matches!(
            Settings::from_context(&ctx(json!({ "allow": ["a"] }))),
            Err(ConfigError::NotATable { .. })
        ));
    }
}
