//! `analysis-incomplete`: every file or package the loader could not read or analyse is a
//! finding at fail severity, one rule per kind of gap, so a crate cannot pass by hiding code
//! from the parser.

use syn::spanned::Spanned;

use super::common::Analysis;
use crate::check::model::{Context, Gap, GapKind};
use crate::finding::{Finding, Location, Severity};

pub fn source_unparsable(ctx: &Context, _: &Analysis<'_>) -> Vec<Finding> {
    gaps(ctx, GapKind::Unparsable)
}

pub fn source_too_large(ctx: &Context, _: &Analysis<'_>) -> Vec<Finding> {
    gaps(ctx, GapKind::TooLarge)
}

pub fn source_too_deep(ctx: &Context, _: &Analysis<'_>) -> Vec<Finding> {
    gaps(ctx, GapKind::TooDeep)
}

pub fn module_file_missing(ctx: &Context, _: &Analysis<'_>) -> Vec<Finding> {
    gaps(ctx, GapKind::MissingModule)
}

pub fn source_unreadable(ctx: &Context, _: &Analysis<'_>) -> Vec<Finding> {
    gaps(ctx, GapKind::Unreadable)
}

fn gaps(ctx: &Context, kind: GapKind) -> Vec<Finding> {
    ctx.gaps
        .iter()
        .filter(|g| g.kind == kind)
        .map(finding)
        .collect()
}

fn finding(gap: &Gap) -> Finding {
    let help = match gap.kind {
        GapKind::Unparsable => {
            "fix the syntax error (`cargo check` shows it); code the checker cannot parse is code it cannot vouch for"
        }
        GapKind::TooLarge => {
            "split the file, or move generated data out of Rust source; nothing of it was checked"
        }
        GapKind::TooDeep => {
            "flatten the nesting (early returns, helper functions); nothing of the file was checked"
        }
        GapKind::MissingModule => {
            "restore the file or remove the declaration; a module the checker cannot read is a module it cannot vouch for"
        }
        GapKind::Unreadable => {
            "make the file readable UTF-8 text, or check the generated code where it is committed; nothing of it was checked"
        }
    };
    Finding {
        id: "analysis-incomplete".into(),
        rule: gap.kind.rule().into(),
        severity: Severity::Fail,
        message: format!("not analysed: {}", gap.detail),
        location: Some(Location {
            file: gap.path.clone(),
            line: gap.line,
            column: 1,
            end_line: gap.line,
            end_column: 1,
        }),
        labels: vec![],
        help: Some(help.into()),
        tool: None,
        evidence: None,
    }
}

/// MCP SDK crates: a package depending on one of them is meant to serve or use MCP.
const MCP_SDKS: &[&str] = &[
    "rmcp",
    "rust-mcp-sdk",
    "rust-mcp-schema",
    "mcp_rust_sdk",
    "mcp-rust-sdk",
    "mcp-sdk",
    "pmcp",
    "mcp-server",
];

/// A package on an MCP SDK that implements a server (a `ServerHandler` impl, an rmcp tool
/// router, a `"tools/call"` handler) but in which no tool was found: every per-tool item would
/// otherwise pass with nothing analysed.
pub fn no_tool_discovered(ctx: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    if !a.tools.is_empty() {
        return Vec::new();
    }
    let Some(sdk) = MCP_SDKS
        .iter()
        .find(|k| crate::check::analysis::index::depends_on(ctx, k))
    else {
        return Vec::new();
    };
    let Some((at, what)) = server_evidence(ctx) else {
        return Vec::new();
    };
    vec![Finding {
        id: "analysis-incomplete".into(),
        rule: String::new(),
        severity: Severity::Fail,
        message: format!(
            "this MCP server (it depends on `{sdk}` and {what}) declares no tool that check \
             could find: nothing was analysed per tool (descriptions, annotations, \
             confirmations, each tool's parameters and effects), so the per-tool items \
             judged nothing"
        ),
        location: Some(at),
        labels: vec![],
        help: Some(
            "declare tools in a shape check reads (rmcp `#[tool]`, rust-mcp-sdk `#[mcp_tool]`, \
             a tool trait with one impl per tool, a `match` on the tool name in `call_tool`), \
             or review every tool by hand and record it"
                .into(),
        ),
        tool: None,
        evidence: None,
    }]
}

/// Where the crate shows it serves MCP: an impl of a server handler trait (empty ones too:
/// `#[tool_handler] impl ServerHandler for S {}`).
fn server_evidence(ctx: &Context) -> Option<(Location, String)> {
    fn find(items: &[syn::Item], file: &std::path::Path) -> Option<(Location, String)> {
        items.iter().find_map(|item| match item {
            syn::Item::Impl(imp) if !crate::check::analysis::syntax::is_test_item(&imp.attrs) => {
                let (_, path, _) = imp.trait_.as_ref()?;
                let name = path.segments.last()?.ident.to_string();
                if name != "ServerHandler" && name != "ServerHandlerCore" {
                    return None;
                }
                let ty = crate::check::analysis::syntax::inner_type_name(&imp.self_ty)
                    .unwrap_or_default();
                Some((
                    crate::check::model::location(file, imp.self_ty.span()),
                    format!("implements `{name}` for `{ty}`"),
                ))
            }
            syn::Item::Mod(m) if !crate::check::analysis::syntax::is_test_item(&m.attrs) => {
                find(&m.content.as_ref()?.1, file)
            }
            _ => None,
        })
    }
    crate::check::analysis::index::shipped(ctx)
        .into_iter()
        .filter(|f| f.text.contains("ServerHandler"))
        .find_map(|f| find(&f.ast.items, &f.path))
}

/// Tools built at run time: reported as dynamic, saying what was still analysed.
pub fn tools_built_at_run_time(_: &Context, a: &Analysis<'_>) -> Vec<Finding> {
    a.tools
        .iter()
        .filter(|t| t.dynamic)
        .map(|t| {
            let input = t
                .param_binding
                .as_deref()
                .map(|b| format!("its parameter `{b}` is followed into the code as caller input"))
                .unwrap_or_else(|| "it takes no parameter check could follow".into());
            let named = t.name.trim_start_matches('<').trim_end_matches('>');
            let built = if t.attr_location == t.location {
                format!(
                    "the handler `{}` runs tools chosen by name at run time (`{named}`) and no \
                     tool is declared in code",
                    t.function
                )
            } else {
                format!(
                    "tools are built at run time here (named by `{named}`), and the handler \
                     `{}` ({}:{}) runs them",
                    t.function,
                    t.location.file.display(),
                    t.location.line,
                )
            };
            Finding {
                id: "analysis-incomplete".into(),
                rule: String::new(),
                severity: Severity::Warn,
                message: format!(
                    "{built}: check cannot read their names, descriptions or annotations, so \
                     those were not judged; the handler was analysed, and {input}"
                ),
                location: Some(t.attr_location.clone()),
                labels: vec![],
                help: Some(
                    "review the tools' descriptions and annotations where they are defined \
                     (configuration, plugins, the upstream server), or declare fixed tools in \
                     code"
                        .into(),
                ),
                tool: Some(t.name.clone()),
                evidence: None,
            }
        })
        .collect()
}
