//! One module per attack class. Each sends its payloads through the session, which observes
//! every call; modules add the findings that need the attack's own reasoning.

pub mod burst;
pub mod confirm;
pub mod followup;
pub mod hidden;
pub mod identity;
pub mod metadata;
pub mod option;
pub mod oversize;
pub mod paths;
pub mod protocol;
pub mod roles;
pub mod shell;
pub mod sql;
pub mod ssrf;

use crate::probe::session::{Outcome, Session};
use crate::probe::tool::Tool;

/// The classes that reason from the tool's baseline call, run after the name-based ones.
pub fn after_baseline(s: &mut Session, tool: &Tool, base: &Outcome) {
    roles::run(s, tool, base);
    ssrf::run(s, tool);
    identity::run(s, tool);
}

/// The default call budget: 600, or what the tools need when that is more. A string
/// parameter takes about 60 calls (paths, shell, options, SQL, oversize, roles), a tool 25
/// besides (baseline, discovery, follow-up reads), the run 150 (hidden tools, the burst).
pub fn budget(tools: &[Tool]) -> usize {
    let need: usize = tools
        .iter()
        .map(|t| 25 + 60 * t.strings().count().max(1))
        .sum();
    (need + 150).max(600)
}
