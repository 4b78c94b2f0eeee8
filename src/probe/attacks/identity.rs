//! Identity and authorization: a parameter that names a user, tenant, owner, role or account
//! is given privileged and other principals. When `admin` (or `root`) is served while a
//! principal nobody has is refused, the server hands out whichever principal's data the caller
//! names: nothing binds the principal to the caller.

use crate::finding::{Evidence, Severity};
use crate::probe::observe::clip;
use crate::probe::session::{Outcome, Session};
use crate::probe::tool::{Tool, words};

/// Words of parameter names that name a principal.
const PRINCIPALS: &[&str] = &[
    "user",
    "username",
    "userid",
    "uid",
    "owner",
    "tenant",
    "account",
    "role",
    "org",
    "organization",
    "customer",
    "principal",
    "member",
    "as",
];
/// Privileged principals a caller should not be able to name into being.
const PRIVILEGED: &[&str] = &["admin", "root"];

fn principal_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    words(&n)
        .flat_map(|w| w.split('_'))
        .any(|w| PRINCIPALS.contains(&w) || w.ends_with("user") || w.ends_with("owner"))
        || n.ends_with("userid")
        || n.ends_with("user_id")
}

/// The reply with the value taken out, to compare replies to different values.
fn shape(o: &Outcome, value: &str) -> String {
    o.text.replace(value, "{value}").trim().to_string()
}

pub fn run(s: &mut Session, tool: &Tool) {
    if !s.wants("excessive-privilege") {
        return;
    }
    let params: Vec<String> = tool
        .strings()
        .filter(|p| principal_like(&p.name))
        .map(|p| p.name.clone())
        .collect();
    for name in params {
        let nobody = format!("{}-nobody", s.sandbox.marker());
        let Some(control) = s.call(
            tool,
            &tool.name,
            tool.with_str(&name, &nobody),
            Some(&name),
            "excessive-privilege",
            "a principal nobody has",
        ) else {
            return;
        };
        for privileged in PRIVILEGED {
            let Some(o) = s.call(
                tool,
                &tool.name,
                tool.with_str(&name, *privileged),
                Some(&name),
                "excessive-privilege",
                "a privileged principal",
            ) else {
                return;
            };
            let served = o.ok() && shape(&o, privileged) != shape(&control, &nobody);
            if !served || control.ok() && !refuses(&control) {
                continue;
            }
            let observed = format!(
                "`{privileged}` was served ({}) while `{nobody}` was refused ({})",
                clip(o.text.trim(), 120),
                clip(control.text.trim(), 80)
            );
            s.report(
                "excessive-privilege",
                Severity::Warn,
                Some(&tool.name),
                &format!("principal {name}"),
                format!(
                    "`{}` serves whichever principal `{name}` names, `{privileged}` included: nothing binds it to the caller",
                    tool.name
                ),
                Some(Evidence {
                    argument: Some(name.clone()),
                    request: o.request,
                    observed,
                }),
            );
            break;
        }
    }
}

/// A successful reply that still says the principal is unknown.
fn refuses(o: &Outcome) -> bool {
    let lower = o.text.to_ascii_lowercase();
    [
        "not found",
        "no such",
        "unknown",
        "does not exist",
        "no user",
        "no account",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::principal_like;

    #[test]
    fn principal_parameters_by_name() {
        for yes in [
            "user",
            "username",
            "owner",
            "tenant_id",
            "account",
            "role",
            "user_id",
            "repoOwner",
        ] {
            assert!(principal_like(yes), "{yes}");
        }
        for no in ["path", "query", "assert", "message", "branch_name"] {
            assert!(!principal_like(no), "{no}");
        }
    }
}
