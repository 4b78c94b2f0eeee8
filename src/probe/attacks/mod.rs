//! One module per attack class. Each sends its payloads through the session, which observes
//! every call; modules add the findings that need the attack's own reasoning.

pub mod burst;
pub mod confirm;
pub mod followup;
pub mod hidden;
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
}
