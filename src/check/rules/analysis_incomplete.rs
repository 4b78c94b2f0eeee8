//! `analysis-incomplete`: every file or package the loader could not read or analyse is a
//! finding at fail severity, one rule per kind of gap, so a crate cannot pass by hiding code
//! from the parser.

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
