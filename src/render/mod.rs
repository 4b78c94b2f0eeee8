//! Renderers turn findings (plain data) into output. Verb-specific JSON lives with each verb;
//! SARIF is shared so `check` and `probe` report under the same rules.

pub mod sarif;
pub mod terminal;
