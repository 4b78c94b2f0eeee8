//! SQL injection: stacked statements and a write disguised after `COMMIT;` on a tool that claims
//! to be read-only (verified by reading back), statements that reach the filesystem, and
//! quote-breaking values in ordinary parameters.

use serde_json::Value;

use crate::finding::{Evidence, Severity};
use crate::probe::observe;
use crate::probe::session::{Outcome, Session};
use crate::probe::tool::{Role, Tool, role};

pub fn claims_read_only(tool: &Tool) -> bool {
    let t = tool.text();
    tool.read_only
        || [
            "read-only",
            "read only",
            "readonly",
            "select statements",
            "select queries",
            "only select",
        ]
        .iter()
        .any(|w| t.contains(w))
}

pub fn run(s: &mut Session, tool: &Tool) {
    if !s.wants("sql-injection") {
        return;
    }
    let params: Vec<(String, Role)> = tool
        .strings()
        .map(|p| (p.name.clone(), role(p, tool)))
        .collect();
    for (name, r) in params {
        let done = match r {
            Role::Sql => whole_query(s, tool, &name),
            Role::Other | Role::Content => value(s, tool, &name),
            _ => Some(()),
        };
        if done.is_none() {
            return;
        }
    }
}

fn whole_query(s: &mut Session, tool: &Tool, name: &str) -> Option<()> {
    let tag = s.sandbox.tag.clone();
    let outside = s.sandbox.outside.display().to_string();
    let files = [
        (
            "ATTACH to a file outside",
            format!(
                "ATTACH DATABASE '{outside}/{}.db' AS probe_{tag}; CREATE TABLE probe_{tag}.t(x)",
                s.sandbox.marker()
            ),
        ),
        (
            "ATTACH to a file outside",
            format!(
                "ATTACH DATABASE '{outside}/{}.db' AS probe_{tag}",
                s.sandbox.marker()
            ),
        ),
        (
            "ATTACH after COMMIT;",
            format!(
                "SELECT 1; COMMIT; ATTACH DATABASE '{outside}/{}.db' AS probe_{tag}; CREATE TABLE probe_{tag}.t(x)",
                s.sandbox.marker()
            ),
        ),
        (
            "COPY … TO a file outside",
            format!("COPY (SELECT 1) TO '{outside}/{}'", s.sandbox.marker()),
        ),
        (
            "INTO OUTFILE outside",
            format!("SELECT 1 INTO OUTFILE '{outside}/{}'", s.sandbox.marker()),
        ),
    ];
    for (technique, sql) in files {
        s.call(
            tool,
            &tool.name,
            tool.with_str(name, sql),
            Some(name),
            "sql-injection",
            technique,
        )?;
    }
    if !claims_read_only(tool) {
        return Some(());
    }
    let writes = [
        (
            "stacked statement",
            format!("SELECT 1; CREATE TABLE mcp_probe_{tag}_stacked(x)"),
        ),
        (
            "write after COMMIT;",
            format!("COMMIT; CREATE TABLE mcp_probe_{tag}_commit(x);"),
        ),
        (
            "write after SELECT and COMMIT;",
            format!("SELECT 1; COMMIT; CREATE TABLE mcp_probe_{tag}_select(x);"),
        ),
    ];
    for (technique, sql) in writes {
        let attack = s.call(
            tool,
            &tool.name,
            tool.with_str(name, sql),
            Some(name),
            "sql-injection",
            technique,
        )?;
        let table = format!("mcp_probe_{tag}_");
        let mut back = s.call(
            tool,
            &tool.name,
            tool.with_str(name, "SELECT name FROM sqlite_master"),
            Some(name),
            "sql-injection",
            "read back",
        )?;
        if !back.ok() {
            let pg = "SELECT table_name FROM information_schema.tables";
            back = s.call(
                tool,
                &tool.name,
                tool.with_str(name, pg),
                Some(name),
                "sql-injection",
                "read back",
            )?;
        }
        if back.text.contains(&table) {
            let line = back.text.lines().find(|l| l.contains(&table)).unwrap_or("");
            let observed = format!(
                "reading back the schema shows the table the write created: {}",
                observe::clip(line.trim(), 200)
            );
            let ev = Evidence {
                argument: Some(name.into()),
                request: attack.request.clone(),
                observed,
            };
            let msg = format!(
                "`{}` claims to be read-only but a {technique} wrote to the database",
                tool.name
            );
            s.report(
                "sql-injection",
                Severity::Fail,
                Some(&tool.name),
                technique,
                msg,
                Some(ev),
            );
            break;
        }
    }
    Some(())
}

/// A value parameter: a lone quote reaching the engine, and a tautology returning more than a contradiction.
fn value(s: &mut Session, tool: &Tool, name: &str) -> Option<()> {
    let quote = s.call(
        tool,
        &tool.name,
        tool.with_str(name, "probe'\""),
        Some(name),
        "sql-injection",
        "quote",
    )?;
    if let Some((kind, line)) =
        observe::hygiene(&quote.text, s.sandbox).filter(|(k, _)| *k == "an SQL engine error")
    {
        let ev = Evidence {
            argument: Some(name.into()),
            request: quote.request.clone(),
            observed: format!("a quote in the value broke the statement ({kind}): {line}"),
        };
        let msg = format!(
            "`{}` builds SQL from `{name}` by string concatenation",
            tool.name
        );
        s.report(
            "sql-injection",
            Severity::Fail,
            Some(&tool.name),
            &format!("quote {name}"),
            msg,
            Some(ev),
        );
        return Some(());
    }
    let base = format!("mcpprobe{}", s.sandbox.tag);
    let yes_value = format!("{base}' OR '1'='1");
    let no_value = format!("{base}' AND '1'='2");
    let yes = s.call(
        tool,
        &tool.name,
        tool.with_str(name, &yes_value),
        Some(name),
        "sql-injection",
        "tautology",
    )?;
    let no = s.call(
        tool,
        &tool.name,
        tool.with_str(name, &no_value),
        Some(name),
        "sql-injection",
        "contradiction",
    )?;
    let strip = |o: &Outcome, v: &str| o.text.replace(v, "").replace(&json_escaped(v), "");
    let (ty, tn) = (strip(&yes, &yes_value), strip(&no, &no_value));
    if yes.ok() && no.ok() && ty.len() > tn.len() + 8 {
        let observed = format!(
            "the tautology returned {} bytes, the contradiction {}: {}",
            ty.len(),
            tn.len(),
            observe::clip(ty.trim(), 200)
        );
        let ev = Evidence {
            argument: Some(name.into()),
            request: yes.request.clone(),
            observed,
        };
        let msg = format!(
            "`{}` lets a quote in `{name}` change the SQL statement",
            tool.name
        );
        s.report(
            "sql-injection",
            Severity::Fail,
            Some(&tool.name),
            &format!("tautology {name}"),
            msg,
            Some(ev),
        );
    }
    Some(())
}

fn json_escaped(v: &str) -> String {
    let s = Value::String(v.to_string()).to_string();
    s[1..s.len() - 1].to_string()
}
