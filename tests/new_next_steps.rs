//! The next steps `new` prints: client snippets for the secure server's release binary, and
//! none for the deliberately vulnerable workshop.

mod common;

use std::path::Path;

use serde_json::Value;

fn next_steps(dir: &Path, args: &[&str]) -> String {
    let out = common::bin()
        .current_dir(dir)
        .args(["mcp-secure", "new", "srv", "--yes", "--vcs", "none"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

/// The JSON snippets printed after their titles, parsed.
fn snippets(text: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if *line != "  {" {
            continue;
        }
        let end = (i..lines.len())
            .find(|&j| lines[j] == "  }")
            .expect("a closing brace");
        found.push(serde_json::from_str(&lines[i..=end].join("\n")).expect("a JSON snippet"));
    }
    found
}

#[test]
fn secure_snippets_register_the_release_binary_with_each_client() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let err = next_steps(&root, &["--no-workspace", "--kits", "files"]);
    assert!(err.contains("cargo build --release"), "{err}");
    let binary = root.join("srv/target/release/srv").display().to_string();
    let config = root.join("srv/mcp-secure.toml").display().to_string();
    let found = snippets(&err);
    assert_eq!(found.len(), 2, "{err}");
    let desktop = &found[0]["mcpServers"]["srv"];
    assert_eq!(desktop["command"], binary.as_str(), "{err}");
    assert_eq!(
        desktop["args"],
        serde_json::json!(["--config", config]),
        "{err}"
    );
    let vscode = &found[1]["servers"]["srv"];
    assert_eq!(vscode["type"], "stdio", "{err}");
    assert_eq!(vscode["command"], binary.as_str(), "{err}");
    assert_eq!(vscode["args"], desktop["args"], "{err}");
    assert!(
        err.contains("Claude Desktop") && err.contains("Cursor") && err.contains("VS Code"),
        "{err}"
    );
}

#[test]
fn a_workspace_member_points_at_the_workspace_target() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
    let err = next_steps(&root, &["--kits", "none"]);
    let found = snippets(&err);
    let binary = root.join("target/release/srv").display().to_string();
    assert_eq!(
        found[0]["mcpServers"]["srv"]["command"],
        binary.as_str(),
        "{err}"
    );
}

#[test]
fn the_workshop_says_it_is_vulnerable_and_shows_no_registration() {
    let dir = tempfile::tempdir().unwrap();
    let err = next_steps(dir.path(), &["--no-workspace", "--template", "workshop"]);
    assert!(err.contains("VULNERABLE BY DESIGN"), "{err}");
    assert!(
        err.contains("never register it with a real MCP client"),
        "{err}"
    );
    assert!(snippets(&err).is_empty(), "{err}");
    assert!(
        !err.contains("mcpServers") && !err.contains("\"servers\""),
        "{err}"
    );
}

/// The generated CI installs the checker from the source given at `new` time and uploads its
/// SARIF to code scanning.
#[test]
fn the_ci_workflow_installs_the_checker_from_the_chosen_source() {
    let dir = tempfile::tempdir().unwrap();
    let source = "--git https://example.org/team/cargo-mcp-secure.git --rev 0123abc";
    next_steps(
        dir.path(),
        &["--no-workspace", "-d", &format!("checker_install={source}")],
    );
    let ci = std::fs::read_to_string(dir.path().join("srv/.github/workflows/ci.yml")).unwrap();
    assert!(
        ci.contains(&format!("cargo install --locked {source}\n")),
        "{ci}"
    );
    assert!(
        ci.contains("cargo mcp-secure check --ci --format sarif > mcp-secure.sarif"),
        "{ci}"
    );
    assert!(
        ci.contains("github/codeql-action/upload-sarif@") && ci.contains("security-events: write"),
        "{ci}"
    );
    // GitHub's own `${{ }}` expressions stay; no handlebars escape or variable is left.
    assert!(
        ci.contains("${{ github.ref }}") && !ci.contains("\\{{") && !ci.contains("{{checker"),
        "{ci}"
    );

    let other = tempfile::tempdir().unwrap();
    next_steps(other.path(), &["--no-workspace"]);
    let ci = std::fs::read_to_string(other.path().join("srv/.github/workflows/ci.yml")).unwrap();
    let install = ci
        .lines()
        .find(|l| l.contains("cargo install --locked") && !l.contains("cargo-deny"))
        .unwrap();
    let version = format!("cargo-mcp-secure@{}", env!("CARGO_PKG_VERSION"));
    assert!(
        install.ends_with(&version) || install.contains("--git "),
        "{install}"
    );
}
