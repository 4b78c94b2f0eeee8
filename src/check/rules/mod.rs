//! The automated checks. Each is a pure function of the context returning findings under
//! one checklist item. The list below is the whole registry: plain data, no macros.

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
use crate::finding::Finding;
use common::Analysis;

/// One automated check: the checklist item it serves and its name (as listed in the
/// item's `checks` with the `static:` prefix).
pub struct Rule {
    pub item: &'static str,
    pub name: &'static str,
    pub run: fn(&Context, &Analysis<'_>) -> Vec<Finding>,
}

/// Every static rule.
pub fn rules() -> Vec<Rule> {
    use split::*;
    vec![
        Rule {
            item: "missing-lockfile",
            name: "lockfile-committed",
            run: supply_chain::lockfile_committed,
        },
        Rule {
            item: "unsafe-not-forbidden",
            name: "forbid-unsafe",
            run: supply_chain::forbid_unsafe,
        },
        Rule {
            item: "path-traversal",
            name: "path-prefix-compare",
            run: path_prefix_compare,
        },
        Rule {
            item: "path-traversal",
            name: "path-join-unchecked",
            run: paths::unconfined_fs,
        },
        Rule {
            item: "path-traversal",
            name: "canonicalize-fallback",
            run: canonicalize_fallback,
        },
        Rule {
            item: "command-injection",
            name: "shell-with-user-input",
            run: command::shell_with_text,
        },
        Rule {
            item: "command-injection",
            name: "user-controlled-program",
            run: user_controlled_program,
        },
        Rule {
            item: "command-injection",
            name: "argv-option-injection",
            run: argv_option_injection,
        },
        Rule {
            item: "sql-injection",
            name: "sql-built-by-format",
            run: sql_built_by_format,
        },
        Rule {
            item: "sql-injection",
            name: "sql-batch-with-user-text",
            run: sql_batch_with_user_text,
        },
        Rule {
            item: "sql-injection",
            name: "sql-readonly-by-transaction",
            run: more::sql_readonly_by_transaction,
        },
        Rule {
            item: "information-disclosure",
            name: "error-detail-to-client",
            run: error_detail_to_client,
        },
        Rule {
            item: "information-disclosure",
            name: "debug-format-in-result",
            run: debug_format_in_result,
        },
        Rule {
            item: "information-disclosure",
            name: "backtrace-in-result",
            run: backtrace_in_result,
        },
        Rule {
            item: "hardcoded-secret",
            name: "secret-literal",
            run: secret_literal,
        },
        Rule {
            item: "hardcoded-secret",
            name: "env-var-literal-fallback",
            run: env_var_literal_fallback,
        },
        Rule {
            item: "hardcoded-secret",
            name: "dotenv-committed",
            run: dotenv_committed,
        },
        Rule {
            item: "hardcoded-secret",
            name: "secret-in-config-file",
            run: secret_in_config_file,
        },
        Rule {
            item: "unvalidated-config",
            name: "config-unknown-fields-accepted",
            run: config::unknown_fields,
        },
        Rule {
            item: "unvalidated-config",
            name: "config-number-unbounded",
            run: config::numbers_unbounded,
        },
        Rule {
            item: "unvalidated-config",
            name: "dangerous-switch-default-on",
            run: config::dangerous_defaults,
        },
        Rule {
            item: "unvalidated-config",
            name: "config-error-swallowed",
            run: more::config_error_swallowed,
        },
        Rule {
            item: "stdout-pollution",
            name: "print-to-stdout",
            run: print_to_stdout,
        },
        Rule {
            item: "stdout-pollution",
            name: "subscriber-writes-stdout",
            run: subscriber_writes_stdout,
        },
        Rule {
            item: "stdout-pollution",
            name: "child-inherits-stdout",
            run: process::child_inherits_stdout,
        },
        Rule {
            item: "tool-poisoning",
            name: "description-hidden-instructions",
            run: description_hidden_instructions,
        },
        Rule {
            item: "tool-poisoning",
            name: "description-invisible-unicode",
            run: description_invisible_unicode,
        },
        Rule {
            item: "vague-tool-description",
            name: "description-missing",
            run: description_missing,
        },
        Rule {
            item: "vague-tool-description",
            name: "description-too-short",
            run: description_too_short,
        },
        Rule {
            item: "vague-tool-description",
            name: "description-generic",
            run: description_generic,
        },
        Rule {
            item: "missing-confirmation",
            name: "destructive-without-hint",
            run: destructive_without_hint,
        },
        Rule {
            item: "missing-confirmation",
            name: "confirmation-not-bound",
            run: confirmation_not_bound,
        },
        Rule {
            item: "misleading-annotation",
            name: "read-only-hint-on-writer",
            run: read_only_hint_on_writer,
        },
        Rule {
            item: "misleading-annotation",
            name: "annotations-missing",
            run: annotations_missing,
        },
        Rule {
            item: "misleading-annotation",
            name: "open-world-hint-wrong",
            run: process::open_world_hint_wrong,
        },
        Rule {
            item: "missing-rate-limit",
            name: "rate-limiter-on-dispatch",
            run: choke_point::rate_limit,
        },
        Rule {
            item: "missing-timeout",
            name: "timeout-on-dispatch",
            run: choke_point::timeout,
        },
        Rule {
            item: "missing-timeout",
            name: "child-survives-timeout",
            run: process::child_survives_timeout,
        },
        Rule {
            item: "missing-timeout",
            name: "http-client-without-timeout",
            run: process::http_client_without_timeout,
        },
        Rule {
            item: "missing-audit-log",
            name: "audit-on-dispatch",
            run: choke_point::audit_log,
        },
        Rule {
            item: "missing-audit-log",
            name: "audit-logs-raw-arguments",
            run: extras::audit_logs_raw_arguments,
        },
        Rule {
            item: "missing-audit-log",
            name: "audit-logs-results",
            run: extras::audit_logs_results,
        },
        Rule {
            item: "missing-rate-limit",
            name: "rate-limiter-per-request",
            run: extras::rate_limiter_per_request,
        },
        Rule {
            item: "missing-rate-limit",
            name: "rate-state-unbounded",
            run: extras::rate_state_unbounded,
        },
        Rule {
            item: "unsanitised-output",
            name: "whole-record-returned",
            run: extras::whole_record_returned,
        },
        Rule {
            item: "sql-injection",
            name: "sql-reaches-filesystem",
            run: extras::sql_reaches_filesystem,
        },
        Rule {
            item: "vague-tool-description",
            name: "multi-action-tool",
            run: extras::multi_action_tool,
        },
        Rule {
            item: "unsanitised-output",
            name: "secret-reaches-result",
            run: more::secret_reaches_result,
        },
        Rule {
            item: "unsanitised-output",
            name: "sensitive-field-serialised",
            run: choke_point::secret_dump,
        },
        Rule {
            item: "unvalidated-input",
            name: "param-unbounded",
            run: validation::params_unbounded,
        },
        Rule {
            item: "unvalidated-input",
            name: "schema-limit-not-enforced",
            run: validation::limits_not_enforced,
        },
        Rule {
            item: "unvalidated-input",
            name: "unknown-fields-accepted",
            run: more::unknown_fields_accepted,
        },
        Rule {
            item: "http-exposure",
            name: "bind-beyond-loopback",
            run: http::wildcard_bind,
        },
        Rule {
            item: "http-exposure",
            name: "origin-validation-off",
            run: http::origin_validation_off,
        },
        Rule {
            item: "http-exposure",
            name: "host-validation-off",
            run: more::host_validation_off,
        },
        Rule {
            item: "http-exposure",
            name: "http-without-auth",
            run: http::http_without_auth,
        },
        Rule {
            item: "excessive-privilege",
            name: "fs-unconfined",
            run: privilege::fs_unconfined,
        },
        Rule {
            item: "excessive-privilege",
            name: "program-not-allow-listed",
            run: privilege::program_not_allow_listed,
        },
        Rule {
            item: "excessive-privilege",
            name: "sqlite-opened-writable",
            run: privilege::sqlite_opened_writable,
        },
        Rule {
            item: "excessive-privilege",
            name: "dangerous-switch-on",
            run: privilege::dangerous_switch_on,
        },
    ]
}

/// Runs every rule and returns the findings sorted by file, line, column and id.
pub fn run_all(ctx: &Context) -> Vec<Finding> {
    // Built once: the index, the tools and their taint flows serve every rule.
    let analysis = Analysis::new(ctx);
    let mut findings = Vec::new();
    for rule in rules() {
        let found = (rule.run)(ctx, &analysis);
        // A rule reports under its own item only; the checklist status depends on it.
        debug_assert!(
            found.iter().all(|f| f.id == rule.item),
            "rule `{}` reported under another item than `{}`",
            rule.name,
            rule.item
        );
        findings.extend(found);
    }
    findings.sort_by(|a, b| {
        a.location
            .cmp(&b.location)
            .then(a.id.cmp(&b.id))
            .then(a.message.cmp(&b.message))
    });
    findings
}
