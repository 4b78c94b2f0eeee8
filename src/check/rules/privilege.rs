//! excessive-privilege: tools that write, delete or run programs with no switch to turn them off.

use super::common::{Analysis, finding, label};
use crate::check::analysis::effects::{effects, read_only_database};
use crate::check::analysis::syntax::compact;
use crate::check::model::Context;
use crate::finding::{Finding, Severity};

/// A tool whose code changes things, checked against no config switch and never removed
/// from the router.
pub fn ungated_writes(ctx: &Context) -> Vec<Finding> {
    let a = Analysis::new(ctx);
    let removes_routes =
        ctx.sources.iter().any(|s| s.text.contains("remove_route") || s.text.contains("disable_route"));
    if removes_routes {
        return Vec::new();
    }
    let ro = read_only_database(ctx);
    let mut out = Vec::new();
    for tool in &a.tools {
        let flows: Vec<_> = a.flows.iter().filter(|f| f.tool.location == tool.location).collect();
        let gated = flows.iter().any(|f| {
            let t = compact(a.index.fns[f.func].block).to_ascii_lowercase();
            t.contains("enable_")
                || t.contains("allow_")
                || t.contains("dangerous")
                || t.contains("read_only")
                || t.contains("readonly")
        });
        if gated {
            continue;
        }
        let Some((effect, file)) = flows.iter().find_map(|f| {
            let func = &a.index.fns[f.func];
            effects(func.block, &f.taint, ro).into_iter().next().map(|e| (e, func.file.path.clone()))
        }) else {
            continue;
        };
        let mut fd = finding(
            "excessive-privilege",
            Severity::Warn,
            format!(
                "tool `{}` {} and is always available: no config switch turns it off",
                tool.name,
                effect.kind.verb()
            ),
            tool.attr_location.clone(),
            "expose tools that change things only when a config switch (off by default) enables them",
        );
        fd.labels.push(label(&file, effect.span, format!("`{}` here", effect.what)));
        fd.tool = Some(tool.name.clone());
        out.push(fd);
    }
    out
}
