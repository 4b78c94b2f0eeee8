//! One module per attack class. Each sends its payloads through the session, which observes
//! every call; modules add the findings that need the attack's own reasoning.

pub mod burst;
pub mod confirm;
pub mod hidden;
pub mod metadata;
pub mod option;
pub mod oversize;
pub mod paths;
pub mod protocol;
pub mod shell;
pub mod sql;
