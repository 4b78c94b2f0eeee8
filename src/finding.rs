//! Findings are plain data shared by `check` and `probe`; renderers live elsewhere.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How serious a finding is. Ordered so that `--fail-on warn` also fails on `fail`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Fail,
}

/// A place in a file, 1-based line and column, relative to the project root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// A secondary span that explains the finding (the parameter, the sink, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub location: Location,
    pub message: String,
}

/// What a probe observed: the request that caused an effect and the effect itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Argument name the hostile value went into, when there is one.
    pub argument: Option<String>,
    /// The exact JSON-RPC request sent.
    pub request: serde_json::Value,
    /// What was observed (a file created outside the sandbox, a canary in the response, ...).
    pub observed: String,
}

/// One finding: a checklist item ID, the rule that found it, where, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The checklist item this finding belongs to (`path-traversal`, ...).
    pub id: String,
    /// The rule that reported it: a static rule's name (`path-prefix-compare`), `probe:<item>`
    /// for the probe, or one of the checks' own ([`ATTESTATION_DECLINED`], ...).
    #[serde(default)]
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// The MCP tool concerned, when known.
    pub tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// The rule of a finding made from a person's `no` to an item's question.
pub const ATTESTATION_DECLINED: &str = "attestation-declined";

/// The rule of a finding made from a suppression that gives no reason.
pub const SUPPRESSION_WITHOUT_REASON: &str = "suppression-without-reason";

/// The rule name of the probe's findings under `item`.
pub fn probe_rule(item: &str) -> String {
    format!("probe:{item}")
}
