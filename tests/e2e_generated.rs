//! End to end: generate each template, build it in one shared target folder, and run the
//! generated project's own tests and lints, as its CI would.

mod common;

use common::{cargo, generated, generated_over};

fn build_test_lint(template: &str, kits: &str) {
    build_test_lint_over(template, kits, "stdio");
}

fn build_test_lint_over(template: &str, kits: &str, transport: &str) {
    let dir = generated_over(template, kits, transport);
    cargo(&dir, &["build", "--locked", "--quiet"]);
    cargo(&dir, &["test", "--locked", "--quiet"]);
    cargo(
        &dir,
        &[
            "clippy",
            "--locked",
            "--quiet",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    );
}

#[test]
fn secure_without_kits_builds_tests_and_lints_clean() {
    build_test_lint("secure", "none");
}

#[test]
fn secure_with_every_kit_builds_tests_and_lints_clean() {
    build_test_lint("secure", "all");
}

/// Over Streamable HTTP: the generated tests cover forged Host and Origin, missing and bad
/// tokens (audience, expiry, signature, `alg: none`), a missing scope, and a working call.
#[test]
fn secure_over_http_with_every_kit_builds_tests_and_lints_clean() {
    build_test_lint_over("secure", "all", "http");
}

/// The workshop twin must build, and its own test shows a planted flaw really works.
#[test]
fn workshop_builds_and_its_planted_flaw_works() {
    let dir = generated("workshop", "all");
    cargo(&dir, &["build", "--locked", "--quiet"]);
    cargo(&dir, &["test", "--locked", "--quiet"]);
}

/// The generated CI runs `cargo fmt --check` first, and conditional blocks change line
/// lengths, so every kit set of both templates must render formatted.
#[test]
fn every_kit_set_of_both_templates_renders_rustfmt_clean() {
    const KITS: [&str; 4] = ["files", "sql", "command", "confirm"];
    for template in ["secure", "workshop"] {
        for mask in 0..16 {
            let kits: Vec<&str> = (0..4)
                .filter(|i| mask >> i & 1 == 1)
                .map(|i| KITS[i])
                .collect();
            let kits = if kits.is_empty() {
                "none".to_string()
            } else {
                kits.join(",")
            };
            cargo(&generated(template, &kits), &["fmt", "--check"]);
            if template == "secure" {
                cargo(
                    &generated_over(template, &kits, "http"),
                    &["fmt", "--check"],
                );
            }
        }
        // The longest crate name `new` accepts must not push a line past the width either.
        let dir =
            common::tmp_root().join(format!("fmt-long-name-{template}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let name = format!("long-{}", "x".repeat(59));
        common::new_project(
            &dir,
            &["--name", &name, "--template", template, "--kits", "all"],
        );
        cargo(&dir, &["fmt", "--check"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
