//! `cargo mcp-secure check`: the pre-deploy checklist.

pub mod analysis;
pub mod model;
pub mod rules;
