//! The interactive `new` flow, driven through a pseudo-terminal.

use std::fs;
use std::process::Command;

use rexpect::session::spawn_command;

const DOWN: &str = "\x1b[B";

#[test]
fn prompts_only_for_what_no_flag_gave() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("tpl");
    fs::create_dir_all(&t).unwrap();
    fs::write(
        t.join("template.toml"),
        r#"description = "pty template"

[variables.flavour]
type = "choice"
prompt = "Flavour"
choices = ["plain", "spicy"]
default = "plain"

[variables.greeting]
type = "string"
prompt = "Greeting"
default = "hello"

[variables.loud]
type = "bool"
prompt = "Loud"
default = false

[variables.parts]
type = "list"
prompt = "Parts"
choices = ["extras", "docs"]
default = ["docs"]
"#,
    )
    .unwrap();
    fs::write(t.join("out.txt.hbs"), "{{crate_name}} {{flavour}} {{greeting}} {{loud}} extras={{parts.extras}} docs={{parts.docs}}\n").unwrap();

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-mcp-secure"));
    cmd.current_dir(dir.path())
        .args(["mcp-secure", "new", "made", "--template-dir"])
        .arg(&t)
        // Given by flag, so never asked.
        .args(["--define", "loud=true"])
        .env("NO_COLOR", "1")
        .env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(20_000)).unwrap();
    p.exp_string("Crate name").unwrap();
    p.send_line("pty-made").unwrap();
    p.exp_string("Flavour").unwrap();
    p.send(DOWN).unwrap();
    p.send_line("").unwrap();
    p.exp_string("Greeting").unwrap();
    p.send_line("howdy").unwrap();
    p.exp_string("Parts").unwrap();
    // Toggle `extras` on; `docs` stays on from the default.
    p.send(" ").unwrap();
    p.send_line("").unwrap();
    p.exp_string("git repository").unwrap();
    p.send_line("n").unwrap();
    p.exp_string("Next steps").unwrap();
    p.exp_eof().unwrap();

    let out = fs::read_to_string(dir.path().join("made/out.txt")).unwrap();
    assert_eq!(out, "pty-made spicy howdy true extras=true docs=true\n");
    assert!(!dir.path().join("made/.git").exists(), "git was declined");
}
