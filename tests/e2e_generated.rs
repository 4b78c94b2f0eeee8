//! End to end: generate each template, build it in one shared target folder, and run the
//! generated project's own tests and lints, as its CI would.

mod common;

use common::{cargo, generated};

fn build_test_lint(template: &str, kits: &str) {
    let dir = generated(template, kits);
    // The generated CI runs `cargo fmt --check` first, so the templates must render formatted.
    cargo(&dir, &["fmt", "--check"]);
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

/// The workshop twin must build, and its own test shows a planted flaw really works.
#[test]
fn workshop_builds_and_its_planted_flaw_works() {
    let dir = generated("workshop", "all");
    cargo(&dir, &["build", "--locked", "--quiet"]);
    cargo(&dir, &["test", "--locked", "--quiet"]);
}
