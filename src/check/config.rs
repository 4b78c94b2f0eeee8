//! The project's own settings for `check`, from `[package.metadata.mcp-secure]` (or the
//! workspace's): `allow = { "<id>" = "<reason>" }` and `severity = { "<id>" = "warn" }`.
//! The whole table is one serde struct that refuses unknown keys, so a typo such as `alow`
//! is an error naming the key and the manifest instead of a setting silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
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
        "in `{manifest}`: [{section}.metadata.mcp-secure] {detail}; the table takes allow, severity, attestations and probe"
    )]
    Invalid {
        manifest: String,
        section: &'static str,
        detail: String,
    },
}

/// `[package.metadata.mcp-secure]` as written. Values inside `allow` and `severity` stay
/// loose here so that their own errors can say exactly what is wrong with one entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolTable {
    /// Item ID to the reason a finding is accepted.
    #[serde(default)]
    pub allow: BTreeMap<String, Value>,
    /// Item ID to `"info"`, `"warn"` or `"fail"`.
    #[serde(default)]
    pub severity: BTreeMap<String, Value>,
    /// Recorded answers; their entries are read (and reported when malformed) by `attest`.
    #[serde(default, rename = "attestations")]
    pub _attestations: Option<BTreeMap<String, serde::de::IgnoredAny>>,
    /// How `probe` starts the server; read by the probe, only its keys are checked here.
    #[serde(default, rename = "probe")]
    pub _probe: Option<ProbeTable>,
}

/// `[package.metadata.mcp-secure.probe]`; its values are read by the probe.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProbeTable {
    #[serde(rename = "args")]
    _args: Option<serde::de::IgnoredAny>,
    #[serde(rename = "env")]
    _env: Option<serde::de::IgnoredAny>,
    #[serde(rename = "secret-env")]
    _secret_env: Option<serde::de::IgnoredAny>,
}

impl ToolTable {
    /// Reads the table from cargo metadata (`null` when absent). `section` is `package` or
    /// `workspace`, `manifest` the file it came from, both for the error message.
    pub fn from_metadata(
        value: Option<&Value>,
        section: &'static str,
        manifest: &Path,
    ) -> Result<Self, ConfigError> {
        match value {
            None | Some(Value::Null) => Ok(Self::default()),
            Some(v) => Self::deserialize(v).map_err(|err| ConfigError::Invalid {
                manifest: manifest.display().to_string(),
                section,
                detail: err.to_string(),
            }),
        }
    }
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
            let own = ToolTable::from_metadata(Some(&pkg.metadata), "package", &pkg.manifest_path)?;
            for (id, reason) in own.allow {
                // A non-string reason is kept as empty so it is reported like a missing one.
                s.allow
                    .insert(id, reason.as_str().unwrap_or_default().trim().to_string());
            }
            for (id, value) in own.severity {
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
                s.severity.insert(id, severity);
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
            Err(ConfigError::Invalid { .. })
        ));
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it_and_the_manifest() {
        let err = Settings::from_context(&ctx(json!({ "alow": { "a": "why" } }))).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "in `crates/p/Cargo.toml`: [package.metadata.mcp-secure] unknown field `alow`"
            ),
            "{text}"
        );
        let err = ToolTable::from_metadata(
            Some(&json!({ "probe": { "arg": [] } })),
            "workspace",
            Path::new("Cargo.toml"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("[workspace.metadata.mcp-secure] unknown field `arg`"),
            "{err}"
        );
        let ok = ToolTable::from_metadata(
            Some(
                &json!({ "allow": {}, "severity": {}, "attestations": { "x": { "answer": true } }, "probe": { "args": [], "env": {}, "secret-env": [] } }),
            ),
            "package",
            Path::new("Cargo.toml"),
        );
        assert!(ok.is_ok(), "{ok:?}");
    }
}
