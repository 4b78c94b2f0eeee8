//! JSON-RPC and MCP lifecycle rules a server breaks without any attack: an unknown method must
//! get error -32601, and a request for a protocol version the server does not support must be
//! answered with a version it does support (MCP lifecycle, version negotiation).

use serde_json::{Value, json};

use crate::finding::{Evidence, Severity};
use crate::probe::client::{KNOWN_VERSIONS, Reply};
use crate::probe::session::Session;

const UNKNOWN_METHOD: &str = "mcp-secure/no-such-method";
/// A version no server supports: the answer must name one it does.
const UNSUPPORTED_VERSION: &str = "1999-01-01";

/// An unknown method gets JSON-RPC's "method not found" (-32601), not a result or silence.
pub fn unknown_method(s: &mut Session) {
    if !s.wants("protocol-violation") {
        return;
    }
    let observed = match s.request(UNKNOWN_METHOD, json!({})) {
        Reply::Error {
            code: Some(-32601), ..
        } => return,
        Reply::Error { code, message, .. } => match code {
            Some(code) => format!("error code {code} ({message}) instead of -32601"),
            None => format!("an error without an integer code ({message})"),
        },
        Reply::Result(r) => format!("a result instead of an error: {}", clip(&r)),
        // A server that went away or stopped answering is replaced for the attacks to come.
        Reply::Timeout => {
            s.discard_client();
            "no answer; the server was killed and restarted".to_string()
        }
        Reply::Closed => {
            s.discard_client();
            "the server closed the connection; it was restarted".to_string()
        }
    };
    let ev = Evidence {
        argument: None,
        request: json!({"jsonrpc": "2.0", "method": UNKNOWN_METHOD, "params": {}}),
        observed,
    };
    s.report(
        "protocol-violation",
        Severity::Warn,
        None,
        "unknown-method",
        "the server does not answer an unknown method with error -32601 (method not found)".into(),
        Some(ev),
    );
}

/// A fresh server asked for an unsupported protocol version must answer with one it supports.
pub fn version_negotiation(s: &mut Session) {
    if !s.wants("protocol-violation") {
        return;
    }
    let Some(reply) = s.fresh_handshake(UNSUPPORTED_VERSION) else {
        return;
    };
    let observed = match reply {
        Reply::Result(r) => {
            let version = r
                .get("protocolVersion")
                .and_then(Value::as_str)
                .unwrap_or("");
            // A version newer than the probe knows is a fine answer too.
            if version != UNSUPPORTED_VERSION
                && (KNOWN_VERSIONS.contains(&version) || dated(version))
            {
                return;
            }
            format!("protocolVersion {version:?} in the answer")
        }
        Reply::Error { message, .. } => {
            format!("an error instead of a version it supports: {message}")
        }
        Reply::Timeout => "no answer".to_string(),
        Reply::Closed => "the server closed the connection".to_string(),
    };
    let ev = Evidence {
        argument: None,
        request: json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": UNSUPPORTED_VERSION}}),
        observed,
    };
    s.report(
        "protocol-violation",
        Severity::Warn,
        None,
        "version-negotiation",
        format!("asked for protocol {UNSUPPORTED_VERSION}, the server did not answer with a version it supports"),
        Some(ev),
    );
}

/// A version in the specification's `YYYY-MM-DD` form.
fn dated(version: &str) -> bool {
    let b = version.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

fn clip(value: &Value) -> String {
    value.to_string().chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::dated;

    #[test]
    fn versions_are_dates() {
        assert!(dated("2026-07-28"));
        assert!(!dated("2026-7-28"));
        assert!(!dated("latest"));
        assert!(!dated(""));
    }
}
