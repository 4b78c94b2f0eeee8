//! What a tool tells the model: descriptions and annotations, compared with what its code does.

use super::common::{Analysis, finding, label};
use crate::check::analysis::effects::{Effect, Kind, effects, read_only_database};
use crate::check::analysis::tools::ToolInfo;
use crate::check::model::Context;
use crate::finding::{Finding, Severity};
use crate::vague::Vague;

const DESTRUCTIVE_WORDS: &[&str] = &[
    "delete",
    "remove",
    "drop",
    "destroy",
    "wipe",
    "overwrite",
    "kill",
    "purge",
    "erase",
    "truncate",
    "unlink",
];

/// Effects of every body the tool reaches, calls matched through each file's imports.
fn tool_effects<'a>(
    a: &'a Analysis<'_>,
    ctx: &Context,
    tool: &ToolInfo,
) -> Vec<(Effect, &'a std::path::Path)> {
    let ro = read_only_database(ctx);
    // A tool run inline by one arm of a handler owns what happens in that arm only.
    let in_arm = |line: usize| tool.arm_lines.is_none_or(|(a, b)| (a..=b).contains(&line));
    let mut out = Vec::new();
    for f in a.flows_of(tool) {
        if let Some(call) = f.via.first()
            && !in_arm(call.location.line)
        {
            continue;
        }
        let func = &a.index.fns[f.func];
        let path = func.file.path.as_path();
        let own = f.via.is_empty();
        out.extend(
            effects(func.block, &f.taint, ro, a.imports_of(path))
                .into_iter()
                .filter(|e| !own || in_arm(e.span.start().line))
                .map(|e| (e, path)),
        );
    }
    out
}

fn words(text: &str) -> Vec<String> {
    text.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

fn says_destructive(text: &str) -> bool {
    words(text).iter().any(|w| {
        DESTRUCTIVE_WORDS.iter().any(|d| w.starts_with(d)) || w == "replaces" || w == "permanently"
    })
}

/// Hidden instructions or invisible characters in a tool's description, title or parameter docs.
pub fn tool_poisoning(_ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for tool in &a.tools {
        let mut texts: Vec<(&str, String)> = Vec::new();
        texts.extend(tool.description.clone().map(|d| ("description", d)));
        texts.extend(tool.title.clone().map(|t| ("title", t)));
        if let Some(s) = tool
            .param_type
            .as_deref()
            .and_then(|t| a.index.struct_named(t))
        {
            for field in &s.item.fields {
                let docs: String = field
                    .attrs
                    .iter()
                    .filter(|at| at.path().is_ident("doc"))
                    .filter_map(|at| match &at.meta {
                        syn::Meta::NameValue(nv) => {
                            crate::check::analysis::syntax::str_lit(&nv.value).map(|(s, _)| s)
                        }
                        _ => None,
                    })
                    .collect();
                texts.push(("parameter documentation", docs));
            }
        }
        for (what, text) in texts {
            if let Some(c) = text.chars().find(|&c| crate::poisoning::invisible(c)) {
                out.push(poison(
                    tool,
                    format!(
                        "{what} of tool `{}` contains the invisible character U+{:04X}",
                        tool.name, c as u32
                    ),
                ));
            }
            let lower = text.to_lowercase();
            if let Some((p, _)) = crate::poisoning::instruction(&lower) {
                out.push(poison(
                    tool,
                    format!(
                        "{what} of tool `{}` contains a hidden instruction (`{p}`)",
                        tool.name
                    ),
                ));
            }
        }
    }
    out
}

fn poison(tool: &ToolInfo, message: String) -> Finding {
    let mut f = finding(
        "tool-poisoning",
        Severity::Fail,
        message,
        tool.attr_location.clone(),
        "describe only what the tool does; remove instructions aimed at the model and invisible characters",
    );
    f.tool = Some(tool.name.clone());
    f
}

/// Missing, short or generic descriptions, and descriptions that hide that the tool deletes.
pub fn vague_description(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for tool in a.tools.iter().filter(|t| t.metadata_known()) {
        let description = tool.description.as_deref().map(str::trim);
        let problem = match description.map(|d| (d, crate::vague::vague(d, &tool.name))) {
            // A doc comment check cannot read (`include_str!`) is a description all the same.
            None if tool.description_unknown => None,
            None | Some((_, Some(Vague::Missing))) => {
                Some(format!("tool `{}` has no description", tool.name))
            }
            Some((d, Some(Vague::TooShort))) => Some(format!(
                "description of tool `{}` is too short to decide from: \"{d}\"",
                tool.name
            )),
            Some((d, Some(Vague::Generic))) => Some(format!(
                "description of tool `{}` is generic: \"{d}\"",
                tool.name
            )),
            Some((d, None)) => {
                let deletes = tool_effects(a, ctx, tool)
                    .iter()
                    .any(|(e, _)| e.kind == Kind::Delete);
                (deletes && !says_destructive(d)).then(|| {
                    format!(
                        "tool `{}` deletes files but its description does not say so: \"{d}\"",
                        tool.name
                    )
                })
            }
        };
        if let Some(message) = problem {
            let mut f = finding(
                "vague-tool-description",
                Severity::Warn,
                message,
                tool.attr_location.clone(),
                "say plainly what the tool does, what it changes, and what is irreversible",
            );
            f.tool = Some(tool.name.clone());
            out.push(f);
        }
    }
    out
}

/// A tool that deletes (by name or by code) without `destructive_hint = true`, or with it but
/// no confirmation parameter.
pub fn missing_confirmation(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for tool in a.tools.iter().filter(|t| t.metadata_known()) {
        let by_name = words(&tool.name)
            .iter()
            .any(|w| DESTRUCTIVE_WORDS.contains(&w.as_str()));
        let effects = tool_effects(a, ctx, tool);
        let deletes = effects
            .iter()
            .find(|(e, _)| matches!(e.kind, Kind::Delete | Kind::SqlDestroy));
        if !by_name && deletes.is_none() {
            continue;
        }
        let hinted = tool.annotations.get("destructive_hint") == Some(&true);
        let confirm_param = tool
            .param_type
            .as_deref()
            .and_then(|t| a.index.struct_named(t))
            .is_some_and(|s| {
                s.item.fields.iter().any(|f| {
                    f.ident.as_ref().is_some_and(|i| {
                        let i = i.to_string();
                        i.contains("confirm") || i.contains("token") || i.contains("nonce")
                    })
                })
            });
        let message = if !hinted {
            format!(
                "tool `{}` deletes data but does not declare `destructive_hint = true` and asks for no confirmation",
                tool.name
            )
        } else if !confirm_param {
            format!(
                "destructive tool `{}` runs in one call: no confirmation token binds the call to a preview",
                tool.name
            )
        } else {
            continue;
        };
        let mut f = finding(
            "missing-confirmation",
            Severity::Fail,
            message,
            tool.attr_location.clone(),
            "set `destructive_hint = true`, preview first, and require a single-use token bound to the exact arguments",
        );
        if let Some((e, file)) = deletes {
            f.labels
                .push(label(file, e.span, format!("deletes here (`{}`)", e.what)));
        }
        f.tool = Some(tool.name.clone());
        out.push(f);
    }
    out
}

/// `read_only_hint = true` on a tool whose code writes, `destructive_hint = false` on one whose
/// code deletes, overwrites or moves what the caller names, and tools that declare no hints.
/// A false claim is reported where the hint is written.
pub fn misleading_annotation(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for tool in a.tools.iter().filter(|t| t.metadata_known()) {
        let effects = tool_effects(a, ctx, tool);
        let read_only = tool.annotations.get("read_only_hint") == Some(&true);
        let not_destructive = tool.annotations.get("destructive_hint") == Some(&false);
        let write = effects
            .iter()
            .find(|(e, _)| read_only || (not_destructive && e.kind.destructive()));
        let mut f = if let Some((e, file)) = write {
            let (hint, key) = if read_only {
                ("read_only_hint = true", "read_only_hint")
            } else {
                ("destructive_hint = false", "destructive_hint")
            };
            // A false claim misleads the client's confirmation logic: as serious as no hint at all is not.
            let mut f = finding(
                "misleading-annotation",
                Severity::Fail,
                format!(
                    "tool `{}` declares `{hint}` but its code {} (`{}`)",
                    tool.name,
                    e.kind.verb(),
                    e.what
                ),
                tool.hint_location(key),
                "make the annotations match what the code can do, or confine the code (read-only connection, no writes)",
            );
            f.labels.push(label(file, e.span, "the write happens here"));
            f
        } else if !tool.annotations.contains_key("read_only_hint")
            && !tool.annotations.contains_key("destructive_hint")
        {
            finding(
                "misleading-annotation",
                Severity::Warn,
                format!(
                    "tool `{}` declares neither `read_only_hint` nor `destructive_hint`",
                    tool.name
                ),
                tool.attr_location.clone(),
                "declare all four hints (`read_only_hint`, `destructive_hint`, `idempotent_hint`, `open_world_hint`)",
            )
        } else {
            continue;
        };
        f.tool = Some(tool.name.clone());
        out.push(f);
    }
    out
}
