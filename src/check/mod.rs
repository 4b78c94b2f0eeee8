//! `cargo mcp-secure check`: the pre-deploy checklist.

pub mod model;
