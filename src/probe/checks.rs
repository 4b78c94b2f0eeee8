//! The probe's checks by the names the checklist documents (`probe:<name>` in
//! `checklist/<id>.toml`), each with where it is made. A test keeps the two lists equal, so the
//! documentation cannot promise a check the probe does not make, nor hide one it makes.

use std::collections::BTreeSet;

/// (checklist id, check name, where the probe makes it).
#[rustfmt::skip]
const CHECKS: &[(&str, &str, &str)] = &[
    ("command-injection", "command-injection", "attacks/shell.rs, attacks/option.rs"),
    ("crash-or-hang", "malformed-json", "session.rs: malformed_json"),
    ("crash-or-hang", "oversized-input", "attacks/oversize.rs"),
    ("crash-or-hang", "server-survives", "session.rs: observe"),
    ("crash-or-hang", "type-confusion", "attacks/oversize.rs"),
    ("excessive-privilege", "effect-outside-sandbox", "mod.rs: attack_tool, the baseline call"),
    ("excessive-privilege", "principal-chosen-by-caller", "attacks/identity.rs"),
    ("excessive-privilege", "url-fetched", "attacks/ssrf.rs"),
    ("hidden-tool", "unlisted-tool-callable", "attacks/hidden.rs"),
    ("information-disclosure", "error-leaks-internals", "observe.rs: hygiene"),
    ("misleading-annotation", "read-only-tool-writes", "session.rs: observe"),
    ("missing-audit-log", "audit-record-per-call", "session.rs: audit_lines"),
    ("missing-confirmation", "confirm-with-other-arguments", "attacks/confirm.rs"),
    ("missing-rate-limit", "burst-not-throttled", "attacks/burst.rs"),
    ("path-traversal", "follow-up-read", "attacks/followup.rs"),
    ("path-traversal", "path-traversal", "attacks/paths.rs, attacks/roles.rs"),
    ("protocol-violation", "clean-shutdown", "session.rs: shutdown"),
    ("protocol-violation", "handshake", "mod.rs: handshake_checks"),
    ("protocol-violation", "jsonrpc-errors", "attacks/protocol.rs: unknown_method"),
    ("protocol-violation", "stdout-is-json-rpc", "client.rs: route"),
    ("protocol-violation", "version-negotiation", "attacks/protocol.rs: version_negotiation"),
    ("sql-injection", "sql-injection", "attacks/sql.rs"),
    ("stdout-pollution", "non-json-on-stdout", "session.rs: check_pollution"),
    ("tool-poisoning", "description-poisoning", "attacks/metadata.rs: poisoning"),
    ("unsanitised-output", "canary-in-result", "observe.rs: secret_leaks"),
    ("unsanitised-output", "credential-shaped-value", "canaries.rs: secrets, credentials.rs"),
    ("unsanitised-output", "planted-secret-file", "canaries.rs: secrets"),
    ("unvalidated-input", "out-of-schema-accepted", "attacks/oversize.rs"),
    ("vague-tool-description", "description-quality", "attacks/metadata.rs: tools"),
];

#[test]
fn the_checklist_documents_exactly_the_checks_the_probe_makes() {
    let documented: BTreeSet<(String, String)> = crate::checklist::all()
        .iter()
        .flat_map(|item| {
            item.checks
                .iter()
                .filter_map(|c| c.strip_prefix("probe:"))
                .map(|c| (item.id.clone(), c.to_string()))
        })
        .collect();
    let made: BTreeSet<(String, String)> = CHECKS
        .iter()
        .map(|(id, name, _)| (id.to_string(), name.to_string()))
        .collect();
    let promised: Vec<_> = documented.difference(&made).collect();
    assert!(
        promised.is_empty(),
        "the checklist documents probe checks the probe does not make: {promised:?}"
    );
    let hidden: Vec<_> = made.difference(&documented).collect();
    assert!(
        hidden.is_empty(),
        "the probe makes checks the checklist does not document: {hidden:?}"
    );
}
