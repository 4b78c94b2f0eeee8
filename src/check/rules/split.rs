//! The checklist names each check separately; where one walk finds several kinds of flaw,
//! these functions give each kind its own rule by the wording of its findings.

use super::common::Analysis;
use super::{command, disclosure, paths, secrets, sql, stdout, tools_meta};
use crate::check::model::Context;
use crate::finding::Finding;

fn only(findings: Vec<Finding>, keep: impl Fn(&str) -> bool) -> Vec<Finding> {
    findings.into_iter().filter(|f| keep(&f.message)).collect()
}

pub fn canonicalize_fallback(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("paths::prefix_checks", || paths::prefix_checks(ctx, a)),
        |m| m.contains("canonicalize"),
    )
}

pub fn path_prefix_compare(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("paths::prefix_checks", || paths::prefix_checks(ctx, a)),
        |m| !m.contains("canonicalize"),
    )
}

pub fn user_controlled_program(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("command::program_and_options", || {
            command::program_and_options(ctx, a)
        }),
        |m| m.contains("chooses the program"),
    )
}

pub fn argv_option_injection(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("command::program_and_options", || {
            command::program_and_options(ctx, a)
        }),
        |m| !m.contains("chooses the program"),
    )
}

pub fn sql_built_by_format(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(a.memo("sql::built_sql", || sql::built_sql(ctx, a)), |m| {
        m.contains("pasted into SQL") || m.contains("built from non-constant")
    })
}

pub fn sql_batch_with_user_text(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(a.memo("sql::built_sql", || sql::built_sql(ctx, a)), |m| {
        m.contains("execute_batch") || m.contains("`;`-separated")
    })
}

pub fn debug_format_in_result(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("disclosure::leaked_errors", || {
            disclosure::leaked_errors(ctx, a)
        }),
        |m| m.contains("`{:?}`"),
    )
}

pub fn backtrace_in_result(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("disclosure::leaked_errors", || {
            disclosure::leaked_errors(ctx, a)
        }),
        |m| m.contains("backtrace"),
    )
}

pub fn error_detail_to_client(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("disclosure::leaked_errors", || {
            disclosure::leaked_errors(ctx, a)
        }),
        |m| !m.contains("`{:?}`") && !m.contains("backtrace"),
    )
}

pub fn secret_literal(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("secrets::source_secrets", || {
            secrets::source_secrets(ctx, a)
        }),
        |m| !m.contains("falls back"),
    )
}

pub fn env_var_literal_fallback(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("secrets::source_secrets", || {
            secrets::source_secrets(ctx, a)
        }),
        |m| m.contains("falls back"),
    )
}

pub fn dotenv_committed(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    a.memo("secrets::file_secrets", || secrets::file_secrets(ctx, a))
        .into_iter()
        .filter(is_dotenv)
        .collect()
}

pub fn secret_in_config_file(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    a.memo("secrets::file_secrets", || secrets::file_secrets(ctx, a))
        .into_iter()
        .filter(|f| !is_dotenv(f))
        .collect()
}

fn is_dotenv(f: &Finding) -> bool {
    f.location
        .as_ref()
        .and_then(|l| l.file.file_name())
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(".env"))
}

pub fn description_hidden_instructions(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("tools_meta::tool_poisoning", || {
            tools_meta::tool_poisoning(ctx, a)
        }),
        |m| m.contains("hidden instruction"),
    )
}

pub fn description_invisible_unicode(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("tools_meta::tool_poisoning", || {
            tools_meta::tool_poisoning(ctx, a)
        }),
        |m| m.contains("invisible character"),
    )
}

pub fn description_missing(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("tools_meta::vague_description", || {
            tools_meta::vague_description(ctx, a)
        }),
        |m| m.contains("has no description"),
    )
}

pub fn description_too_short(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("tools_meta::vague_description", || {
            tools_meta::vague_description(ctx, a)
        }),
        |m| m.contains("too short"),
    )
}

pub fn description_generic(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("tools_meta::vague_description", || {
            tools_meta::vague_description(ctx, a)
        }),
        |m| m.contains("is generic") || m.contains("does not say so"),
    )
}

pub fn destructive_without_hint(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("tools_meta::missing_confirmation", || {
            tools_meta::missing_confirmation(ctx, a)
        }),
        |m| m.contains("destructive_hint"),
    )
}

pub fn confirmation_not_bound(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("tools_meta::missing_confirmation", || {
            tools_meta::missing_confirmation(ctx, a)
        }),
        |m| !m.contains("destructive_hint"),
    )
}

pub fn read_only_hint_on_writer(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("tools_meta::misleading_annotation", || {
            tools_meta::misleading_annotation(ctx, a)
        }),
        |m| m.contains("but its code") && m.contains("`read_only_hint = true`"),
    )
}

pub fn destructive_hint_false_on_destroyer(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("tools_meta::misleading_annotation", || {
            tools_meta::misleading_annotation(ctx, a)
        }),
        |m| m.contains("but its code") && m.contains("`destructive_hint = false`"),
    )
}

pub fn annotations_missing(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("tools_meta::misleading_annotation", || {
            tools_meta::misleading_annotation(ctx, a)
        }),
        |m| m.contains("declares neither"),
    )
}

pub fn print_to_stdout(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    only(
        a.memo("stdout::stdout_writes", || stdout::stdout_writes(ctx, a)),
        |m| !m.contains("tracing subscriber"),
    )
}

pub fn subscriber_writes_stdout(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = only(
        a.memo("stdout::stdout_writes", || stdout::stdout_writes(ctx, a)),
        |m| m.contains("tracing subscriber"),
    );
    out.extend(a.memo("stdout::fmt_init", || stdout::fmt_init(ctx, a)));
    out
}
