//! What the client saw on the wire besides answers: stdout pollution, JSON-RPC framing
//! problems, and whether one malformed line brings the server down.

use serde_json::{Value, json};

use super::super::client::Reply;
use super::Session;
use crate::finding::{Evidence, Severity};

impl Session<'_> {
    /// Files stdout-pollution and protocol-violation findings for what the client saw since the last look.
    pub fn check_pollution(&mut self, request: Option<&Value>) {
        self.oversized_lines();
        let Some(client) = self.client.as_mut() else {
            return;
        };
        let violations = std::mem::take(&mut client.violations);
        for v in violations {
            let evidence = Evidence {
                argument: None,
                request: request.cloned().unwrap_or(Value::Null),
                observed: v,
            };
            self.report(
                "protocol-violation",
                Severity::Warn,
                None,
                "jsonrpc",
                "the server broke JSON-RPC framing".into(),
                Some(evidence),
            );
        }
        let Some(client) = self.client.as_ref() else {
            return;
        };
        if client.pollution.len() <= self.pollution_seen {
            return;
        }
        let (line, method) = client.pollution[self.pollution_seen].clone();
        self.pollution_seen = client.pollution.len();
        let evidence = Evidence {
            argument: None,
            request: request.cloned().unwrap_or(Value::Null),
            observed: format!("stdout line during `{method}`: {line}"),
        };
        self.report(
            "stdout-pollution",
            Severity::Fail,
            None,
            "stdout",
            "the server wrote non-JSON-RPC text to stdout".into(),
            Some(evidence),
        );
    }

    /// A malformed JSON line must not bring the server down: it is followed by a ping.
    pub fn malformed_json(&mut self) {
        if !self.wants("crash-or-hang") || !self.budget_ok() {
            return;
        }
        const LINE: &str = "{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"tools/list\", ";
        let timeout = self.limits.timeout;
        let Some(client) = self.client() else { return };
        client.send_line(LINE);
        let reply = client.request("ping", json!({}), timeout);
        self.check_pollution(None);
        if matches!(reply, Reply::Closed | Reply::Timeout) {
            let observed = match reply {
                Reply::Closed => "the server exited after one malformed JSON line",
                _ => "the server stopped answering (even ping) after one malformed JSON line",
            };
            let ev = Evidence {
                argument: None,
                request: Value::String(LINE.into()),
                observed: observed.into(),
            };
            self.report(
                "crash-or-hang",
                Severity::Fail,
                None,
                "malformed",
                "malformed JSON breaks the server".into(),
                Some(ev),
            );
            self.discard_client();
        }
    }
}
