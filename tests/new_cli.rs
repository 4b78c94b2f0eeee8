//! `cargo mcp-secure new`: product behaviour through the real binary.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::bin;

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn new_in(dir: &Path) -> std::process::Command {
    let mut cmd = bin();
    cmd.current_dir(dir).args(["mcp-secure", "new"]);
    cmd
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Sorted relative paths of every file under `root`, for tree comparisons.
fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

/// A small user template exercising every variable type, a condition and an Actions expression.
fn user_template(root: &Path) -> PathBuf {
    let t = root.join("my-template");
    fs::create_dir_all(t.join("extras")).unwrap();
    fs::write(
        t.join("template.toml"),
        r#"description = "a test template"

[variables.greeting]
type = "string"
prompt = "Greeting"
default = "hello"

[variables.loud]
type = "bool"
prompt = "Loud?"
default = false

[variables.port]
type = "integer"
prompt = "Port"
default = 8080

[variables.flavour]
type = "choice"
prompt = "Flavour"
choices = ["plain", "spicy"]
default = "plain"

[variables.parts]
type = "list"
prompt = "Parts"
choices = ["extras", "docs"]
default = ["docs"]

[[files]]
path = "extras"
when = "parts.extras"
"#,
    )
    .unwrap();
    fs::write(
        t.join("README.md.hbs"),
        "# {{crate_name}}\n{{greeting}}{{#if loud}}!{{/if}} on {{port}}, {{flavour}}\n{{#if parts.docs}}docs{{/if}}\nci: $\\{{ github.sha }} and $\\{{ secrets.TOKEN }}\n",
    )
    .unwrap();
    fs::write(
        t.join("extras/notes.txt.hbs"),
        "extras for {{crate_ident}}\n",
    )
    .unwrap();
    fs::write(t.join("raw.bin"), [0u8, 159, 146, 150, b'{', b'{']).unwrap();
    t
}

#[test]
fn help_lists_every_flag() {
    let out = bin()
        .args(["mcp-secure", "new", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!("new_help", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn works_as_cargo_subcommand_and_directly() {
    for args in [&["mcp-secure", "--version"][..], &["--version"][..]] {
        let out = bin().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("cargo-mcp-secure "));
    }
}

#[test]
fn invalid_names_are_refused_with_the_rule() {
    let dir = tempdir();
    let cases = [
        ("", "cannot be empty"),
        ("../x", "invalid character `.`"),
        ("a/b", "invalid character `/`"),
        ("1up", "cannot start with a digit"),
        ("fn", "is a Rust keyword"),
        ("std", "conflicts with a Rust built-in library"),
        ("deps", "conflicts with cargo's build directory names"),
        ("nul", "reserved Windows file name"),
    ];
    for (name, rule) in cases {
        let out = new_in(dir.path())
            .args(["srv", "--yes", "--vcs", "none", "--name", name])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "name {name:?}");
        let err = stderr(&out);
        assert!(err.contains(rule), "name {name:?}: {err}");
        assert!(!err.trim_end().ends_with('.'), "{err}");
    }
    // The default name comes from the path, and is checked the same way.
    let out = new_in(dir.path())
        .args(["2fast", "--yes", "--vcs", "none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot start with a digit"));
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

#[test]
fn never_overwrites_an_existing_path() {
    let dir = tempdir();
    let dest = dir.path().join("srv");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("keep.txt"), "mine").unwrap();
    let out = new_in(dir.path())
        .args(["srv", "--yes", "--vcs", "none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    // --init refuses a non-empty folder too.
    let out = new_in(dir.path())
        .args(["srv", "--init", "--yes", "--vcs", "none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not empty"), "{}", stderr(&out));
    assert_eq!(tree(&dest), ["keep.txt"]);
    assert_eq!(fs::read_to_string(dest.join("keep.txt")).unwrap(), "mine");
    // A file in the way is refused as well.
    fs::write(dir.path().join("file"), "x").unwrap();
    let out = new_in(dir.path())
        .args(["file", "--yes", "--vcs", "none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read_to_string(dir.path().join("file")).unwrap(), "x");
}

#[test]
fn init_fills_an_existing_empty_folder() {
    let dir = tempdir();
    let t = user_template(dir.path());
    let dest = dir.path().join("empty");
    fs::create_dir(&dest).unwrap();
    let out = new_in(dir.path())
        .args([
            "empty",
            "--init",
            "--yes",
            "--vcs",
            "none",
            "--template-dir",
        ])
        .arg(&t)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dest.join("README.md").is_file());
}

#[test]
fn failure_midway_leaves_nothing_behind() {
    let dir = tempdir();
    let t = user_template(dir.path());
    // A file `extras` and a folder `extras/` cannot both be written: writing fails midway.
    fs::write(t.join("extras.hbs"), "clash").unwrap();
    let out = new_in(dir.path())
        .args([
            "srv",
            "--yes",
            "--vcs",
            "none",
            "--define",
            "parts=extras",
            "--template-dir",
        ])
        .arg(&t)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(leftovers(dir.path()), std::slice::from_ref(&t));

    // A git failure after every file is staged also leaves nothing.
    fs::remove_file(t.join("extras.hbs")).unwrap();
    let out = new_in(dir.path())
        .args(["srv", "--yes", "--vcs", "git", "--template-dir"])
        .arg(&t)
        .env("PATH", dir.path().join("no-such-bin"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--vcs none"), "{}", stderr(&out));
    assert_eq!(leftovers(dir.path()), [t]);
}

/// Ctrl-C while the files are being staged stops `new`, and what it wrote is removed.
#[cfg(unix)]
#[test]
fn interrupted_while_staging_leaves_nothing_behind() {
    use std::time::{Duration, Instant};

    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    let dir = tempdir();
    let t = dir.path().join("many-files");
    // Enough files that staging them takes a good fraction of a second.
    for d in 0..40 {
        let sub = t.join(format!("d{d:02}"));
        fs::create_dir_all(&sub).unwrap();
        for f in 0..500 {
            fs::write(sub.join(format!("f{f:03}.txt")), "x").unwrap();
        }
    }
    fs::write(t.join("template.toml"), "description = \"many files\"\n").unwrap();
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    let mut child = new_in(&work)
        .args([
            "srv",
            "--yes",
            "--vcs",
            "none",
            "--no-workspace",
            "--template-dir",
        ])
        .arg(&t)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while leftovers(&work).is_empty() {
        assert!(Instant::now() < deadline, "no staging folder appeared");
        assert!(
            child.try_wait().unwrap().is_none(),
            "new ended before it staged anything"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
    kill(pid, Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("interrupted: nothing was written"),
        "{}",
        stderr(&out)
    );
    assert_eq!(leftovers(&work), Vec::<PathBuf>::new());
}

#[test]
fn strict_rendering_refuses_missing_variables() {
    let dir = tempdir();
    let t = user_template(dir.path());
    fs::write(t.join("broken.txt.hbs"), "{{no_such_variable}}").unwrap();
    let out = new_in(dir.path())
        .args(["srv", "--yes", "--vcs", "none", "--template-dir"])
        .arg(&t)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("broken.txt.hbs") && err.contains("no_such_variable"),
        "{err}"
    );
    assert_eq!(leftovers(dir.path()), [t]);
}

#[test]
fn template_dir_renders_typed_variables_and_defines() {
    let dir = tempdir();
    let t = user_template(dir.path());
    let out = new_in(dir.path())
        .args(["srv", "--vcs", "none", "--template-dir"])
        .arg(&t)
        .args([
            "-d",
            "greeting=hi",
            "-d",
            "loud=true",
            "-d",
            "port=9000",
            "-d",
            "flavour=spicy",
            "-d",
            "parts=extras,docs",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let dest = dir.path().join("srv");
    assert_eq!(tree(&dest), ["README.md", "extras/notes.txt", "raw.bin"]);
    let readme = fs::read_to_string(dest.join("README.md")).unwrap();
    insta::assert_snapshot!("user_template_readme", readme);
    assert!(readme.contains("${{ secrets.TOKEN }}"), "{readme}");
    assert_eq!(
        fs::read_to_string(dest.join("extras/notes.txt")).unwrap(),
        "extras for srv\n"
    );
    assert_eq!(
        fs::read(dest.join("raw.bin")).unwrap(),
        [0u8, 159, 146, 150, b'{', b'{']
    );
}

#[test]
fn defines_are_checked_against_the_template() {
    let dir = tempdir();
    let t = user_template(dir.path());
    for (define, message) in [
        ("nope=1", "has no variable `nope`"),
        ("port=many", "takes a whole number"),
        ("loud=perhaps", "takes true or false"),
        ("flavour=sour", "is not a choice of `flavour`"),
        ("parts=extras,bogus", "is not a choice of `parts`"),
        ("novalue", "is not KEY=VALUE"),
    ] {
        let out = new_in(dir.path())
            .args([
                "srv",
                "--yes",
                "--vcs",
                "none",
                "--define",
                define,
                "--template-dir",
            ])
            .arg(&t)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{define}");
        assert!(stderr(&out).contains(message), "{define}: {}", stderr(&out));
    }
    // Flags that the template does not declare are refused, not ignored.
    let out = new_in(dir.path())
        .args(["srv", "--yes", "--kits", "none", "--template-dir"])
        .arg(&t)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("has no variable `kits`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(leftovers(dir.path()), [t]);
}

#[test]
fn without_a_terminal_nothing_prompts_and_defaults_apply() {
    let dir = tempdir();
    let t = user_template(dir.path());
    // No --yes and stdin closed: a prompt would fail; defaults must be taken instead.
    let out = new_in(dir.path())
        .args(["srv", "--template-dir"])
        .arg(&t)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let readme = fs::read_to_string(dir.path().join("srv/README.md")).unwrap();
    assert!(readme.contains("hello on 8080, plain"), "{readme}");
    // Outside a git work tree the default is a new repository.
    assert!(dir.path().join("srv/.git").is_dir());
}

#[test]
fn next_steps_are_printed_on_stderr_only() {
    let dir = tempdir();
    let t = user_template(dir.path());
    let out = new_in(dir.path())
        .args(["srv", "--yes", "--vcs", "none", "--template-dir"])
        .arg(&t)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    for step in [
        "Created",
        "Next steps",
        "cd srv",
        "cargo build",
        "cargo test",
        "mcpServers",
    ] {
        assert!(err.contains(step), "missing {step}: {err}");
    }
    assert!(
        !err.contains('\u{1b}'),
        "NO_COLOR must disable colour: {err:?}"
    );
    let coloured = new_in(dir.path())
        .args([
            "srv2",
            "--yes",
            "--vcs",
            "none",
            "--color",
            "always",
            "--template-dir",
        ])
        .arg(&t)
        .output()
        .unwrap();
    assert!(
        stderr(&coloured).contains('\u{1b}'),
        "--color always must colour"
    );
}

#[test]
fn joins_an_enclosing_workspace_keeping_its_format() {
    let dir = tempdir();
    let ws = dir.path();
    fs::write(ws.join("Cargo.toml"), "# the team's workspace\n[workspace]\nresolver = \"3\"\nmembers = [\n    \"core\", # the library\n]\n").unwrap();
    fs::create_dir_all(ws.join("core/src")).unwrap();
    fs::write(
        ws.join("core/Cargo.toml"),
        "[package]\nname = \"core-lib\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    fs::write(ws.join("core/src/lib.rs"), "").unwrap();
    let out = new_in(ws)
        .args(["servers/srv", "--yes", "--kits", "none"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest = fs::read_to_string(ws.join("Cargo.toml")).unwrap();
    assert_eq!(
        manifest,
        "# the team's workspace\n[workspace]\nresolver = \"3\"\nmembers = [\n    \"core\", # the library\n    \"servers/srv\",\n]\n"
    );
    // A workspace member shares the workspace's lock file.
    assert!(!ws.join("servers/srv/Cargo.lock").exists());

    // --no-workspace leaves the workspace alone and gives the crate its own lock.
    let out = new_in(ws)
        .args([
            "servers/other",
            "--yes",
            "--vcs",
            "none",
            "--no-workspace",
            "--kits",
            "none",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(ws.join("Cargo.toml")).unwrap(), manifest);
    assert!(ws.join("servers/other/Cargo.lock").is_file());
}

#[test]
fn unknown_template_names_the_choices() {
    let dir = tempdir();
    let out = new_in(dir.path())
        .args(["srv", "--yes", "--template", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("secure (") && stderr(&out).contains("workshop ("),
        "{}",
        stderr(&out)
    );
}

#[test]
fn builtin_trees_per_template_and_kit_set() {
    let dir = tempdir();
    let mut report = String::new();
    for (template, kits) in [
        ("secure", "none"),
        ("secure", "files"),
        ("secure", "sql"),
        ("secure", "command"),
        ("secure", "confirm"),
        ("secure", "all"),
        ("workshop", "none"),
        ("workshop", "all"),
    ] {
        let name = format!("{template}-{kits}");
        let out = new_in(dir.path())
            .args([
                &name,
                "--yes",
                "--vcs",
                "none",
                "--template",
                template,
                "--kits",
                kits,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        report.push_str(&format!("== {template} --kits {kits}\n"));
        for path in tree(&dir.path().join(&name)) {
            report.push_str(&format!("{path}\n"));
        }
    }
    insta::assert_snapshot!("builtin_trees", report);
}

#[test]
fn generated_workflow_keeps_actions_expressions() {
    let dir = tempdir();
    let out = new_in(dir.path())
        .args(["srv", "--yes", "--vcs", "none"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let workflow = fs::read_to_string(dir.path().join("srv/.github/workflows/ci.yml")).unwrap();
    assert!(workflow.contains("${{"), "{workflow}");
    let manifest = fs::read_to_string(dir.path().join("srv/Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"srv\""), "{manifest}");
}
