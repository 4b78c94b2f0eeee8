//! Rust-aware analysis shared by the rules: where the MCP tools are, what they declare, the
//! crate's functions, and how tool parameters flow into the code.

pub mod effects;
pub mod flow;
pub mod guard_shapes;
pub mod guards;
pub mod imports;
pub mod index;
pub mod modules;
pub mod parse;
pub mod receiver;
pub mod sources;
pub mod sql_guards;
pub mod sql_readonly;
pub mod stdio_scope;
pub mod syntax;
pub mod tools;
mod tools_dispatch;
mod tools_rmcp;
mod tools_sdk;
mod tools_trait;
