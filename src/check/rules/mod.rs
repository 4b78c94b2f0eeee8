//! The automated checks. Each is a pure function of the context returning findings under
//! one checklist item. The list below is the whole registry: plain data, no macros.

mod analysis_incomplete;
mod choke_point;
mod command;
mod common;
mod config;
mod config_keys;
mod disclosure;
mod extras;
mod http;
mod more;
mod paths;
mod privilege;
mod process;
mod secrets;
mod split;
mod sql;
mod stdout;
mod supply_chain;
mod tools_meta;
mod validation;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod rule_tests;

use crate::check::model::Context;
use crate::finding::{Finding, Severity};
pub use common::Analysis;

/// One automated check: the checklist item it serves, its name (as listed in the item's
/// `checks` with the `static:` prefix), the severity of its findings, and how far its
/// findings can be trusted.
pub struct Rule {
    pub item: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub precision: Precision,
    pub run: fn(&Context, &Analysis<'_>) -> Vec<Finding>,
}

/// How often a rule's findings are real flaws, as SARIF's `precision` property says it.
/// `high`: it matches resolved code facts and is rarely wrong; `medium`: a pattern that code
/// written another way can slip past or trip; `low`: a heuristic over names or token text
/// that needs a person to confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    High,
    Medium,
    Low,
}

impl Precision {
    pub fn name(self) -> &'static str {
        match self {
            Precision::High => "high",
            Precision::Medium => "medium",
            Precision::Low => "low",
        }
    }
}

/// The registered rule called `name`.
pub fn rule(name: &str) -> Option<Rule> {
    rules().into_iter().find(|r| r.name == name)
}

/// Every static rule.
pub fn rules() -> Vec<Rule> {
    use split::*;
    vec![
        Rule {
            item: "analysis-incomplete",
            name: "source-unparsable",
            severity: Severity::Fail,
            precision: Precision::High,
            run: analysis_incomplete::source_unparsable,
        },
        Rule {
            item: "analysis-incomplete",
            name: "source-too-large",
            severity: Severity::Fail,
            precision: Precision::High,
            run: analysis_incomplete::source_too_large,
        },
        Rule {
            item: "analysis-incomplete",
            name: "source-too-deep",
            severity: Severity::Fail,
            precision: Precision::High,
            run: analysis_incomplete::source_too_deep,
        },
        Rule {
            item: "analysis-incomplete",
            name: "module-file-missing",
            severity: Severity::Fail,
            precision: Precision::High,
            run: analysis_incomplete::module_file_missing,
        },
        Rule {
            item: "analysis-incomplete",
            name: "source-unreadable",
            severity: Severity::Fail,
            precision: Precision::High,
            run: analysis_incomplete::source_unreadable,
        },
        Rule {
            item: "analysis-incomplete",
            name: "no-tool-discovered",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: analysis_incomplete::no_tool_discovered,
        },
        Rule {
            item: "analysis-incomplete",
            name: "tools-built-at-run-time",
            severity: Severity::Warn,
            precision: Precision::High,
            run: analysis_incomplete::tools_built_at_run_time,
        },
        Rule {
            item: "missing-lockfile",
            name: "lockfile-committed",
            severity: Severity::Warn,
            precision: Precision::High,
            run: supply_chain::lockfile_committed,
        },
        Rule {
            item: "unsafe-not-forbidden",
            name: "forbid-unsafe",
            severity: Severity::Warn,
            precision: Precision::High,
            run: supply_chain::forbid_unsafe,
        },
        Rule {
            item: "path-traversal",
            name: "path-prefix-compare",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: path_prefix_compare,
        },
        Rule {
            item: "path-traversal",
            name: "path-join-unchecked",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: paths::unconfined_fs,
        },
        Rule {
            item: "path-traversal",
            name: "canonicalize-fallback",
            severity: Severity::Fail,
            precision: Precision::High,
            run: canonicalize_fallback,
        },
        Rule {
            item: "command-injection",
            name: "shell-with-user-input",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: command::shell_with_text,
        },
        Rule {
            item: "command-injection",
            name: "user-controlled-program",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: user_controlled_program,
        },
        Rule {
            item: "command-injection",
            name: "argv-option-injection",
            severity: Severity::Fail,
            precision: Precision::Low,
            run: argv_option_injection,
        },
        Rule {
            item: "sql-injection",
            name: "sql-built-by-format",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: sql_built_by_format,
        },
        Rule {
            item: "sql-injection",
            name: "sql-batch-with-user-text",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: sql_batch_with_user_text,
        },
        Rule {
            item: "sql-injection",
            name: "sql-readonly-by-transaction",
            severity: Severity::Fail,
            precision: Precision::Low,
            run: more::sql_readonly_by_transaction,
        },
        Rule {
            item: "information-disclosure",
            name: "error-detail-to-client",
            severity: Severity::Fail,
            precision: Precision::Low,
            run: error_detail_to_client,
        },
        Rule {
            item: "information-disclosure",
            name: "debug-format-in-result",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: debug_format_in_result,
        },
        Rule {
            item: "information-disclosure",
            name: "backtrace-in-result",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: backtrace_in_result,
        },
        Rule {
            item: "hardcoded-secret",
            name: "secret-literal",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: secret_literal,
        },
        Rule {
            item: "hardcoded-secret",
            name: "env-var-literal-fallback",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: env_var_literal_fallback,
        },
        Rule {
            item: "hardcoded-secret",
            name: "dotenv-committed",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: dotenv_committed,
        },
        Rule {
            item: "hardcoded-secret",
            name: "secret-in-config-file",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: secret_in_config_file,
        },
        Rule {
            item: "unvalidated-config",
            name: "config-unknown-fields-accepted",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: config::unknown_fields,
        },
        Rule {
            item: "unvalidated-config",
            name: "config-number-unbounded",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: config::numbers_unbounded,
        },
        Rule {
            item: "unvalidated-config",
            name: "dangerous-switch-default-on",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: config::dangerous_defaults,
        },
        Rule {
            item: "unvalidated-config",
            name: "config-error-swallowed",
            severity: Severity::Warn,
            precision: Precision::Low,
            run: more::config_error_swallowed,
        },
        Rule {
            item: "stdout-pollution",
            name: "print-to-stdout",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: print_to_stdout,
        },
        Rule {
            item: "stdout-pollution",
            name: "subscriber-writes-stdout",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: subscriber_writes_stdout,
        },
        Rule {
            item: "stdout-pollution",
            name: "child-inherits-stdout",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: process::child_inherits_stdout,
        },
        Rule {
            item: "tool-poisoning",
            name: "description-hidden-instructions",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: description_hidden_instructions,
        },
        Rule {
            item: "tool-poisoning",
            name: "description-invisible-unicode",
            severity: Severity::Fail,
            precision: Precision::High,
            run: description_invisible_unicode,
        },
        Rule {
            item: "vague-tool-description",
            name: "description-missing",
            severity: Severity::Warn,
            precision: Precision::High,
            run: description_missing,
        },
        Rule {
            item: "vague-tool-description",
            name: "description-too-short",
            severity: Severity::Warn,
            precision: Precision::High,
            run: description_too_short,
        },
        Rule {
            item: "vague-tool-description",
            name: "description-generic",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: description_generic,
        },
        Rule {
            item: "missing-confirmation",
            name: "destructive-without-hint",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: destructive_without_hint,
        },
        Rule {
            item: "missing-confirmation",
            name: "confirmation-not-bound",
            severity: Severity::Fail,
            precision: Precision::Low,
            run: confirmation_not_bound,
        },
        Rule {
            item: "misleading-annotation",
            name: "read-only-hint-on-writer",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: read_only_hint_on_writer,
        },
        Rule {
            item: "misleading-annotation",
            name: "destructive-hint-false-on-destroyer",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: destructive_hint_false_on_destroyer,
        },
        Rule {
            item: "misleading-annotation",
            name: "annotations-missing",
            severity: Severity::Warn,
            precision: Precision::High,
            run: annotations_missing,
        },
        Rule {
            item: "misleading-annotation",
            name: "open-world-hint-wrong",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: process::open_world_hint_wrong,
        },
        Rule {
            item: "missing-rate-limit",
            name: "rate-limiter-on-dispatch",
            severity: Severity::Warn,
            precision: Precision::Low,
            run: choke_point::rate_limit,
        },
        Rule {
            item: "missing-timeout",
            name: "timeout-on-dispatch",
            severity: Severity::Warn,
            precision: Precision::Low,
            run: choke_point::timeout,
        },
        Rule {
            item: "missing-timeout",
            name: "child-survives-timeout",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: process::child_survives_timeout,
        },
        Rule {
            item: "missing-timeout",
            name: "http-client-without-timeout",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: process::http_client_without_timeout,
        },
        Rule {
            item: "missing-audit-log",
            name: "audit-on-dispatch",
            severity: Severity::Warn,
            precision: Precision::Low,
            run: choke_point::audit_log,
        },
        Rule {
            item: "missing-audit-log",
            name: "audit-logs-raw-arguments",
            severity: Severity::Warn,
            precision: Precision::Low,
            run: extras::audit_logs_raw_arguments,
        },
        Rule {
            item: "missing-audit-log",
            name: "audit-logs-results",
            severity: Severity::Warn,
            precision: Precision::Low,
            run: extras::audit_logs_results,
        },
        Rule {
            item: "missing-rate-limit",
            name: "rate-limiter-per-request",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: extras::rate_limiter_per_request,
        },
        Rule {
            item: "missing-rate-limit",
            name: "rate-state-unbounded",
            severity: Severity::Warn,
            precision: Precision::Low,
            run: extras::rate_state_unbounded,
        },
        Rule {
            item: "unsanitised-output",
            name: "whole-record-returned",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: extras::whole_record_returned,
        },
        Rule {
            item: "sql-injection",
            name: "sql-reaches-filesystem",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: extras::sql_reaches_filesystem,
        },
        Rule {
            item: "vague-tool-description",
            name: "multi-action-tool",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: extras::multi_action_tool,
        },
        Rule {
            item: "unsanitised-output",
            name: "secret-reaches-result",
            severity: Severity::Warn,
            precision: Precision::Low,
            run: more::secret_reaches_result,
        },
        Rule {
            item: "unsanitised-output",
            name: "sensitive-field-serialised",
            severity: Severity::Fail,
            precision: Precision::Medium,
            run: choke_point::secret_dump,
        },
        Rule {
            item: "unvalidated-input",
            name: "param-unbounded",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: validation::params_unbounded,
        },
        Rule {
            item: "unvalidated-input",
            name: "schema-limit-not-enforced",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: validation::limits_not_enforced,
        },
        Rule {
            item: "unvalidated-input",
            name: "unknown-fields-accepted",
            severity: Severity::Warn,
            precision: Precision::High,
            run: more::unknown_fields_accepted,
        },
        Rule {
            item: "http-exposure",
            name: "bind-beyond-loopback",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: http::wildcard_bind,
        },
        Rule {
            item: "http-exposure",
            name: "origin-validation-off",
            severity: Severity::Warn,
            precision: Precision::Low,
            run: http::origin_validation_off,
        },
        Rule {
            item: "http-exposure",
            name: "host-validation-off",
            severity: Severity::Warn,
            precision: Precision::Low,
            run: more::host_validation_off,
        },
        Rule {
            item: "http-exposure",
            name: "http-without-auth",
            severity: Severity::Warn,
            precision: Precision::Low,
            run: http::http_without_auth,
        },
        Rule {
            item: "excessive-privilege",
            name: "fs-unconfined",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: privilege::fs_unconfined,
        },
        Rule {
            item: "excessive-privilege",
            name: "program-not-allow-listed",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: privilege::program_not_allow_listed,
        },
        Rule {
            item: "excessive-privilege",
            name: "sqlite-opened-writable",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: privilege::sqlite_opened_writable,
        },
        Rule {
            item: "excessive-privilege",
            name: "dangerous-switch-on",
            severity: Severity::Warn,
            precision: Precision::Medium,
            run: privilege::dangerous_switch_on,
        },
    ]
}

/// Runs every rule over a fresh analysis, for tests.
#[cfg(test)]
pub fn run_all(ctx: &Context) -> Vec<Finding> {
    run_rules(ctx, &Analysis::new(ctx))
}

/// Runs every rule over an analysis built once (the index, the tools and their taint flows
/// serve every rule) and returns the findings sorted by file, line, column and id. Findings
/// in code only test builds compile are dropped here, once for every rule.
pub fn run_rules(ctx: &Context, analysis: &Analysis<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in rules() {
        let mut found = (rule.run)(ctx, analysis);
        // A rule reports under its own item only, at its own severity: the checklist status
        // and `list --rules` depend on it.
        debug_assert!(
            found
                .iter()
                .all(|f| f.id == rule.item && f.severity == rule.severity),
            "rule `{}` reported under another item than `{}` or severity than {:?}",
            rule.name,
            rule.item,
            rule.severity
        );
        for f in &mut found {
            f.rule = rule.name.to_string();
        }
        findings.extend(found);
    }
    findings.retain(|f| !f.location.as_ref().is_some_and(|l| ctx.in_test_code(l)));
    findings.sort_by(|a, b| {
        a.location
            .cmp(&b.location)
            .then(a.id.cmp(&b.id))
            .then(a.rule.cmp(&b.rule))
            .then(a.message.cmp(&b.message))
    });
    findings
}
