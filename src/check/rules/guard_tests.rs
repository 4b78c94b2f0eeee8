//! Guards are facts, not words: an unrelated `match` or a variable named `allowed` near a sink
//! silences nothing, and an import alias does not hide a process.

use super::rule_tests::{ids, tool};

#[test]
fn an_unrelated_match_near_a_sink_silences_nothing() {
    let body = r#"
        let allowed = match args.path.len() { 0 => "none", _ => "some" };
        let _ = allowed;
        let out = tokio::process::Command::new(&args.program).kill_on_drop(true).output().await.map_err(|_| "x".to_string())?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
"#;
    let src = tool(body);
    let command = ids(&[("src/main.rs", &src)], "command-injection");
    assert!(
        command.iter().any(|m| m.contains("chooses the program")),
        "{command:?}"
    );
    let privilege = ids(&[("src/main.rs", &src)], "excessive-privilege");
    assert!(
        privilege
            .iter()
            .any(|m| m.contains("not fixed in the code")),
        "{privilege:?}"
    );
    // Membership in a constant set is the guard.
    let guarded = body.replace(
        "let _ = allowed;",
        "let _ = allowed; if ![\"date\", \"uname\"].contains(&args.program.as_str()) { return Err(\"no\".into()); }",
    );
    let src = tool(&guarded);
    assert!(
        ids(&[("src/main.rs", &src)], "command-injection")
            .iter()
            .all(|m| !m.contains("chooses the program"))
    );
    assert!(
        ids(&[("src/main.rs", &src)], "excessive-privilege")
            .iter()
            .all(|m| !m.contains("not fixed in the code"))
    );
}

#[test]
fn an_import_alias_does_not_hide_a_shell() {
    let src = tool(
            r#"
        let out = Cmd::new("sh").arg("-c").arg(&args.path).kill_on_drop(true).output().await.map_err(|_| "x".to_string())?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
"#,
    )
    .replacen("\n", "\nuse tokio::process::Command as Cmd;\n", 1);
    let found = ids(&[("src/main.rs", &src)], "command-injection");
    assert!(found.iter().any(|m| m.contains("`sh -c`")), "{found:?}");
    // `clap::Command` is a parser, not a process.
    let clap = src.replace(
        "use tokio::process::Command as Cmd;",
        "use clap::Command as Cmd;",
    );
    let found = ids(&[("src/main.rs", &clap)], "command-injection");
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_name_reused_for_constant_flags_does_not_inherit_taint() {
    let body = r#"
        let mut cmd = std::process::Command::new("cargo");
        for flag in args.path.split(',') {
            cmd.arg("--package").arg(flag);
        }
        let mut other = std::process::Command::new("cargo");
        for flag in ["--locked", "--offline"] {
            other.arg(flag);
        }
        Ok(String::new())
"#;
    let src = tool(body);
    let found = ids(&[("src/main.rs", &src)], "command-injection");
    assert!(found.is_empty(), "{found:?}");
    // The same code with the model's value in the second loop is reported.
    let src = tool(&body.replace("[\"--locked\", \"--offline\"]", "args.program.split(',')"));
    let found = ids(&[("src/main.rs", &src)], "command-injection");
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn a_request_struct_deserialised_from_the_arguments_names_its_fields() {
    let src = r#"
#[derive(serde::Deserialize)]
pub struct RunArgs { pub program: String, pub target: String }
pub fn handle(request: &serde_json::Value) -> Result<(), String> {
    let arguments = request["params"].get("arguments").cloned().unwrap_or_default();
    let args: RunArgs = serde_json::from_value(arguments).map_err(|_| "bad".to_string())?;
    if !["date", "uname"].contains(&args.program.as_str()) {
        return Err("no".into());
    }
    std::process::Command::new(&args.program).arg(&args.target).output().map_err(|_| "x".to_string())?;
    Ok(())
}
"#;
    let found = ids(&[("src/main.rs", src)], "command-injection");
    // The program is checked; the target is not, and is named as such.
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("parameter `target`"), "{found:?}");
}

#[test]
fn an_imported_fs_function_and_a_copy_destination_are_file_system_sinks() {
    let src = tool(
        r#"
        std::fs::copy("/srv/template.txt", &args.path).map_err(|_| "x".to_string())?;
        read_to_string(&args.program).map_err(|_| "x".to_string())
"#,
    )
    .replacen("\n", "\nuse std::fs::read_to_string;\n", 1);
    let found = ids(&[("src/main.rs", &src)], "path-traversal");
    assert!(
        found
            .iter()
            .any(|m| m.contains("`path`") && m.contains("copy")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|m| m.contains("`program`") && m.contains("read_to_string")),
        "{found:?}"
    );
}

#[test]
fn a_program_picked_from_the_servers_set_by_the_models_key_is_not_the_models_program() {
    let lookup = r#"
pub struct Program { pub name: String, pub path: String }
fn find<'a>(allowed: &'a [Program], name: &str) -> Option<&'a Program> {
    allowed.iter().find(|p| p.name == name)
}
"#;
    let body = r#"
        let program = find(&self.allowed, &args.program).ok_or("not on the allow-list")?;
        let out = tokio::process::Command::new(&program.path).arg("--").kill_on_drop(true).output().await.map_err(|_| "x".to_string())?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
"#;
    let src = format!("{}{lookup}", tool(body));
    let command = ids(&[("src/main.rs", &src)], "command-injection");
    assert!(command.is_empty(), "{command:?}");
    let privilege = ids(&[("src/main.rs", &src)], "excessive-privilege");
    assert!(
        privilege
            .iter()
            .all(|m| !m.contains("not fixed in the code")),
        "{privilege:?}"
    );
    // A helper that returns what it was given still carries the model's value.
    let passthrough = lookup.replace(
        "allowed.iter().find(|p| p.name == name)",
        "let _ = allowed; Some(name)",
    );
    let src = format!("{}{passthrough}", tool(body));
    let command = ids(&[("src/main.rs", &src)], "command-injection");
    assert!(
        command.iter().any(|m| m.contains("chooses the program")),
        "{command:?}"
    );
}

#[test]
fn an_array_element_right_after_a_flag_is_that_flags_value() {
    let body = r#"
        let out = std::process::Command::new("git").args(["commit", "-m", &args.path]).output();
        Ok(String::new())
"#;
    let src = tool(body);
    let found = ids(&[("src/main.rs", &src)], "command-injection");
    assert!(found.is_empty(), "{found:?}");
    // Positional, with no flag before it, the value can become an option.
    let src = tool(&body.replace("\"-m\", ", ""));
    let found = ids(&[("src/main.rs", &src)], "command-injection");
    assert_eq!(found.len(), 1, "{found:?}");
}
