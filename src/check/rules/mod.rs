//! The automated checks. Each is a pure function of the context returning findings under
//! one checklist item. The list below is the whole registry: plain data, no macros.

mod supply_chain;

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
    ]
}

/// Runs every rule and returns the findings sorted by file, line, column and id.
pub fn run_all(ctx: &Context) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules().iter().flat_map(|r| (r.run)(ctx)).collect();
    findings.sort_by(|a, b| {
        a.location
            .cmp(&b.location)
            .then(a.id.cmp(&b.id))
            .then(a.message.cmp(&b.message))
    });
    findings
}
