//! `check` reads what rustc compiles and fails closed on what it cannot read: each test builds a
//! small crate in a temporary folder (generated files are written here, never committed) that
//! hides a flaw one way, and runs the binary on it.

mod common;

use std::path::Path;

use serde_json::Value;

/// A literal credential the `secret-literal` rule reports wherever it is analysed.
const FLAW: &str = "pub const AWS_ACCESS_KEY_ID: &str = \"AKIAIOSFODNN7EXAMPLE\";\n";

/// A crate `hidden` with these files (paths relative to the package folder).
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hidden");
    write(
        &dir,
        "Cargo.toml",
        "[package]\nname = \"hidden\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\n[workspace]\n",
    );
    write(&dir, "Cargo.lock", "version = 4\n");
    for (path, text) in files {
        write(&dir, path, text);
    }
    tmp
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Exit code and JSON report of `check --ci --format json`.
fn check(tmp: &tempfile::TempDir) -> (i32, Value) {
    let out = common::bin()
        .args([
            "mcp-secure",
            "check",
            "--ci",
            "--format",
            "json",
            "--manifest-path",
        ])
        .arg(tmp.path().join("hidden/Cargo.toml"))
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or_else(|| {
        panic!(
            "check was killed ({:?}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, value)
}

/// `rule file:line` of every finding.
fn found(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f["rule"].as_str().unwrap(),
                f["file"].as_str().unwrap_or("-"),
                f["line"]
            )
        })
        .collect()
}

const MAIN: &str = "#![forbid(unsafe_code)]\n";

#[test]
fn a_nul_byte_in_a_comment_hides_nothing() {
    let keys = format!("// written by a tool \0 that pads with NUL\n{FLAW}");
    let tmp = project(&[
        ("src/main.rs", &format!("{MAIN}mod keys;\nfn main() {{}}\n")),
        ("src/keys.rs", &keys),
    ]);
    let (code, v) = check(&tmp);
    assert_eq!(found(&v), ["secret-literal src/keys.rs:2"], "{v:#}");
    assert_eq!(code, 1);
}

#[test]
fn a_large_generated_file_is_read() {
    let mut generated = String::new();
    let mut i = 0;
    while generated.len() < 3 * 1024 * 1024 {
        generated.push_str(&format!("pub const T{i}: u32 = {i};\n"));
        i += 1;
    }
    let line = i + 1;
    generated.push_str(FLAW);
    let tmp = project(&[
        (
            "src/main.rs",
            &format!("{MAIN}mod generated;\nfn main() {{}}\n"),
        ),
        ("src/generated.rs", &generated),
    ]);
    let (code, v) = check(&tmp);
    assert_eq!(
        found(&v),
        [format!("secret-literal src/generated.rs:{line}")],
        "{v:#}"
    );
    assert_eq!(code, 1);
}

#[test]
fn a_file_over_the_limit_is_a_gap_not_a_skip() {
    let tmp = project(&[(
        "src/main.rs",
        &format!("{MAIN}mod generated;\nfn main() {{}}\n"),
    )]);
    let big = std::fs::File::create(tmp.path().join("hidden/src/generated.rs")).unwrap();
    big.set_len(64 * 1024 * 1024 + 1).unwrap();
    let (code, v) = check(&tmp);
    assert_eq!(found(&v), ["source-too-large src/generated.rs:1"], "{v:#}");
    assert_eq!(code, 1);
}

#[test]
fn a_path_module_outside_src_is_read() {
    let tmp = project(&[
        (
            "src/main.rs",
            &format!("{MAIN}#[path = \"../shared/keys.rs\"]\nmod keys;\nfn main() {{}}\n"),
        ),
        ("shared/keys.rs", &format!("mod nested;\n{FLAW}")),
        ("shared/nested.rs", FLAW),
    ]);
    let (code, v) = check(&tmp);
    assert_eq!(
        found(&v),
        [
            "secret-literal shared/keys.rs:2",
            "secret-literal shared/nested.rs:1"
        ],
        "{v:#}"
    );
    assert_eq!(code, 1);
}

#[test]
fn an_included_file_is_read() {
    let tmp = project(&[
        (
            "src/main.rs",
            &format!("{MAIN}include!(\"../generated/keys.rs\");\nfn main() {{}}\n"),
        ),
        ("generated/keys.rs", FLAW),
    ]);
    let (code, v) = check(&tmp);
    assert_eq!(found(&v), ["secret-literal generated/keys.rs:1"], "{v:#}");
    assert_eq!(code, 1);
}

#[test]
fn deep_nesting_is_a_gap_not_a_crash() {
    let depth = 5000;
    let deep = format!(
        "pub fn value() -> u32 {{\n    {}1{}\n}}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let tmp = project(&[
        ("src/main.rs", &format!("{MAIN}mod deep;\nfn main() {{}}\n")),
        ("src/deep.rs", &deep),
    ]);
    let (code, v) = check(&tmp);
    assert_eq!(found(&v), ["source-too-deep src/deep.rs:2"], "{v:#}");
    assert_eq!(code, 1);
}

#[test]
fn unparsable_and_missing_modules_fail_the_run() {
    let tmp = project(&[
        (
            "src/main.rs",
            &format!(
                "{MAIN}mod broken;\nmod gone;\n#[cfg(feature = \"x\")]\nmod optional;\nfn main() {{}}\n"
            ),
        ),
        ("src/broken.rs", "fn broken( {\n"),
    ]);
    let (code, v) = check(&tmp);
    assert_eq!(
        found(&v),
        [
            "source-unparsable src/broken.rs:1",
            "module-file-missing src/main.rs:3"
        ],
        "{v:#}"
    );
    let status = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "analysis-incomplete")
        .unwrap()["status"]
        .clone();
    assert_eq!(status, "fail");
    // A module compiled only under a feature is named in a note, not a failure.
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["message"].as_str().unwrap().contains("`mod optional;`")),
        "{v:#}"
    );
    assert_eq!(code, 1);
}

#[test]
fn flaws_in_test_code_are_not_reported() {
    let main = format!(
        "{MAIN}fn main() {{}}\n\n#[cfg(test)]\nmod helpers;\n\n#[cfg(test)]\nmod tests {{\n    {FLAW}}}\n\n#[test]\nfn fixture_key() {{\n    let token = \"f3K9q2LmZ8vX1rT7bN4cY6wH0jD5sPaE\";\n    let _ = std::env::var(\"UPSTREAM_TOKEN\").unwrap_or_else(|_| token.to_string());\n}}\n"
    );
    let tmp = project(&[
        ("src/main.rs", &main),
        ("src/helpers.rs", &format!("mod more;\n{FLAW}")),
        ("src/helpers/more.rs", FLAW),
        ("tests/api.rs", FLAW),
        ("benches/speed.rs", FLAW),
    ]);
    let (code, v) = check(&tmp);
    assert_eq!(found(&v), Vec::<String>::new(), "{v:#}");
    assert_eq!(code, 0);
}
