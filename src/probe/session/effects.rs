//! Effects the sandbox stopped or saw outside the calls: writes and connections the OS refused
//! (from the server's replies and stderr), what the server did as it started, and message
//! lines too long to read.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::super::denial::{self, Kind};
use super::super::observe;
use super::Session;
use crate::finding::{Evidence, Severity};

/// Refusals reported from one reply or one look at stderr.
const MAX_DENIALS: usize = 20;

/// The call a refused effect followed.
pub struct Cause<'c> {
    pub tool: &'c str,
    pub request: &'c Value,
    pub argument: Option<&'c str>,
    /// The checklist id of the attack, for effects its input caused.
    pub effect: &'c str,
    pub technique: &'c str,
}

impl Session<'_> {
    /// Where the server may write: a refusal there is no doing of the sandbox.
    fn writable(&self) -> Vec<PathBuf> {
        match &self.spec.confine {
            Some(c) => c.writable.clone(),
            None => vec![self.sandbox.workspace.clone()],
        }
    }

    /// What the server did as it started, before the first call: files changed outside
    /// {allowed}, and writes or connections the sandbox refused.
    pub fn startup_effects(&mut self) {
        let after = observe::snapshot(self.sandbox);
        let changes = observe::diff(&self.snap, &after);
        self.snap = after;
        let outside: Vec<String> = observe::outside_allowed(&changes)
            .iter()
            .map(ToString::to_string)
            .collect();
        if !outside.is_empty() {
            let evidence = Evidence {
                argument: None,
                request: Value::String("(start-up, before the first call)".into()),
                observed: outside.join(", "),
            };
            self.report(
                "excessive-privilege",
                Severity::Warn,
                None,
                "startup-change",
                "the server changed files outside {allowed} as it started".into(),
                Some(evidence),
            );
        }
        self.refused_effects("", None);
        self.check_pollution(None);
    }

    /// Refusals in `text` (a reply) and in the stderr lines since the last look; `cause` is
    /// the call they followed, None at start-up.
    pub(super) fn refused_effects(&mut self, text: &str, cause: Option<&Cause>) {
        let fresh = self
            .client
            .as_ref()
            .map(|c| c.take_fresh_stderr())
            .unwrap_or_default();
        let writable = self.writable();
        let roots: Vec<&Path> = writable.iter().map(PathBuf::as_path).collect();
        let mut found = denial::find(text, &roots, MAX_DENIALS);
        found.extend(denial::find(&fresh.join("\n"), &roots, MAX_DENIALS));
        for d in found {
            self.refused(&d, cause);
        }
    }

    fn refused(&mut self, d: &denial::Denial, cause: Option<&Cause>) {
        let what = match &d.path {
            Some(p) => format!("the OS refused {p}: {}", d.line),
            None => format!("the OS refused: {}", d.line),
        };
        let request = cause.map_or(
            Value::String("(start-up, before the first call)".into()),
            |c| c.request.clone(),
        );
        let evidence = Evidence {
            argument: cause.and_then(|c| c.argument.map(str::to_string)),
            request,
            observed: what,
        };
        let tool = cause.map(|c| c.tool);
        let who = tool.map_or("the server".to_string(), |t| format!("`{t}`"));
        let when = cause.map_or("as it started".to_string(), |c| {
            format!("({})", c.technique)
        });
        if d.kind == Kind::Network {
            let msg = format!(
                "{who} tried to connect to an address other than loopback {when}; the sandbox has no other network"
            );
            self.report(
                "excessive-privilege",
                Severity::Warn,
                tool,
                "network-refused",
                msg,
                Some(evidence),
            );
            return;
        }
        // A path the request named: the attack's input reached the file system.
        let steered = cause.filter(|c| {
            d.path
                .as_deref()
                .is_some_and(|p| c.request.to_string().contains(p))
        });
        if let Some(c) = steered {
            let msg = format!(
                "`{}` tried to write outside the sandbox {when}; the sandbox refused it",
                c.tool
            );
            let key = format!("refused {} {}", c.technique, c.argument.unwrap_or(""));
            self.report(c.effect, Severity::Fail, tool, &key, msg, Some(evidence));
            return;
        }
        let msg =
            format!("{who} tried to write outside the sandbox {when}; the sandbox refused it");
        self.report(
            "excessive-privilege",
            Severity::Warn,
            tool,
            "write-refused",
            msg,
            Some(evidence),
        );
    }

    /// A message line longer than the probe reads is a framing problem of its own.
    pub(super) fn oversized_lines(&mut self) {
        let Some(client) = self.client.as_mut() else {
            return;
        };
        let during = std::mem::take(&mut client.oversized);
        let Some(method) = during.first() else {
            return;
        };
        let evidence = Evidence {
            argument: None,
            request: Value::Null,
            observed: format!(
                "{} stdout {} longer than {} MiB, the first during `{method}`: thrown away unread",
                during.len(),
                if during.len() == 1 { "line" } else { "lines" },
                super::super::lines::MAX_MESSAGE >> 20
            ),
        };
        self.report(
            "protocol-violation",
            Severity::Warn,
            None,
            "line-too-long",
            "the server sent a message line longer than the probe reads".into(),
            Some(evidence),
        );
    }
}
