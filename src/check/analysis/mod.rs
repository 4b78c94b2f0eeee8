//! Rust-aware analysis shared by the rules: where the MCP tools are and what they declare.

pub mod tools;
