//! The automated checks. Each is a pure function of the context returning findings under
//! one checklist item. The list below is the whole registry: plain data, no macros.

mod choke_point;
mod command;
mod common;
mod config;
mod disclosure;
mod http;
mod paths;
mod privilege;
mod secrets;
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

/// One automated check: the checklist item it serves and its name (as listed in the
/// item's `checks` with the `static:` prefix).
pub struct Rule {
    pub item: &'static str,
    pub name: &'static str,
    pub run: fn(&Context) -> Vec<Finding>,
}

/// Every static rule.
pub fn rules() -> Vec<Rule> {
    vec![
        Rule { item: "missing-lockfile", name: "lockfile-committed", run: supply_chain::lockfile_committed },
        Rule { item: "unsafe-not-forbidden", name: "forbid-unsafe", run: supply_chain::forbid_unsafe },
        Rule { item: "path-traversal", name: "path-prefix-compare", run: paths::prefix_checks },
        Rule { item: "path-traversal", name: "path-join-unchecked", run: paths::unconfined_fs },
        Rule { item: "command-injection", name: "shell-with-text", run: command::shell_with_text },
        Rule { item: "command-injection", name: "program-and-options", run: command::program_and_options },
        Rule { item: "sql-injection", name: "sql-built-by-formatting", run: sql::built_sql },
        Rule { item: "information-disclosure", name: "error-detail-to-client", run: disclosure::leaked_errors },
        Rule { item: "hardcoded-secret", name: "secret-in-source", run: secrets::source_secrets },
        Rule { item: "hardcoded-secret", name: "secret-in-file", run: secrets::file_secrets },
        Rule { item: "unvalidated-config", name: "config-struct-validated", run: config::config_structs_validated },
        Rule { item: "unvalidated-config", name: "dangerous-default", run: config::dangerous_defaults },
        Rule { item: "unvalidated-config", name: "unknown-config-key", run: config::unknown_config_keys },
        Rule { item: "stdout-pollution", name: "stdout-write", run: stdout::stdout_writes },
        Rule { item: "stdout-pollution", name: "fmt-init-stdout", run: stdout::fmt_init },
        Rule { item: "tool-poisoning", name: "hidden-instructions", run: tools_meta::tool_poisoning },
        Rule { item: "vague-tool-description", name: "tool-description", run: tools_meta::vague_description },
        Rule {
            item: "missing-confirmation",
            name: "destructive-without-confirmation",
            run: tools_meta::missing_confirmation,
        },
        Rule { item: "misleading-annotation", name: "annotation-matches-code", run: tools_meta::misleading_annotation },
        Rule { item: "missing-rate-limit", name: "rate-limit-on-dispatch", run: choke_point::rate_limit },
        Rule { item: "missing-timeout", name: "timeout-on-dispatch", run: choke_point::timeout },
        Rule { item: "missing-audit-log", name: "audit-on-dispatch", run: choke_point::audit_log },
        Rule { item: "unsanitised-output", name: "redaction-on-dispatch", run: choke_point::redaction },
        Rule { item: "unsanitised-output", name: "secret-struct-dump", run: choke_point::secret_dump },
        Rule { item: "unvalidated-input", name: "parameter-bounds", run: validation::parameter_bounds },
        Rule { item: "unvalidated-input", name: "unbounded-allocation", run: validation::unbounded_allocation },
        Rule { item: "http-exposure", name: "wildcard-bind", run: http::wildcard_bind },
        Rule { item: "http-exposure", name: "origin-and-auth", run: http::origin_and_auth },
        Rule { item: "excessive-privilege", name: "ungated-writes", run: privilege::ungated_writes },
    ]
}

/// Runs every rule and returns the findings sorted by file, line, column and id.
pub fn run_all(ctx: &Context) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules().iter().flat_map(|r| (r.run)(ctx)).collect();
    findings.sort_by(|a, b| a.location.cmp(&b.location).then(a.id.cmp(&b.id)).then(a.message.cmp(&b.message)));
    findings
}
