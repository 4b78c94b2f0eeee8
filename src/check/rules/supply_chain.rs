//! Supply-chain checks: a committed lock file for binaries, and `unsafe` forbidden.

use super::common::Analysis;
use std::path::PathBuf;

use crate::check::model::Context;
use crate::finding::{Finding, Location, Severity};

/// A binary package needs a committed Cargo.lock so builds are reproducible and auditable.
pub fn lockfile_committed(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    ctx.packages
        .iter()
        .filter(|p| p.is_binary && !p.has_lockfile)
        .map(|p| Finding {
            id: "missing-lockfile".into(),
            rule: "lockfile-committed".into(),
            severity: Severity::Warn,
            message: format!("binary package `{}` has no Cargo.lock", p.name),
            location: Some(file_start(p.manifest_path.clone())),
            labels: vec![],
            help: Some("run `cargo generate-lockfile` and commit Cargo.lock".into()),
            tool: None,
            evidence: None,
        })
        .collect()
}

/// Each crate root (`src/main.rs`, `src/lib.rs`, `src/bin/*.rs`) should carry `#![forbid(unsafe_code)]`.
pub fn forbid_unsafe(ctx: &Context, _a: &Analysis<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in &ctx.sources {
        if !is_crate_root(&file.path) {
            continue;
        }
        let forbids = file.ast.attrs.iter().any(|a| {
            a.path().is_ident("forbid")
                && a.parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                )
                .is_ok_and(|lints| lints.iter().any(|l| l.is_ident("unsafe_code")))
        });
        if forbids {
            continue;
        }
        out.push(Finding {
            id: "unsafe-not-forbidden".into(),
            rule: "forbid-unsafe".into(),
            severity: Severity::Warn,
            message: "crate root does not forbid `unsafe` code".into(),
            location: Some(file_start(file.path.clone())),
            labels: vec![],
            help: Some("add `#![forbid(unsafe_code)]` at the top of the crate root".into()),
            tool: None,
            evidence: None,
        });
    }
    out
}

fn is_crate_root(path: &std::path::Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    (parent == "src" && (name == "main.rs" || name == "lib.rs")) || parent == "bin"
}

fn file_start(file: PathBuf) -> Location {
    Location {
        file,
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::model::Package;
    use std::path::Path;

    fn ctx(main: &str, lock: bool) -> Context {
        let pkg = Package {
            name: "p".into(),
            manifest_path: "Cargo.toml".into(),
            manifest_text: String::new(),
            is_binary: true,
            has_lockfile: lock,
            metadata: serde_json::Value::Null,
        };
        Context::from_files(
            Path::new("/p"),
            pkg,
            vec![("src/main.rs".into(), main.into())],
        )
    }

    fn run(rule: fn(&Context, &Analysis<'_>) -> Vec<Finding>, ctx: &Context) -> Vec<Finding> {
        rule(ctx, &Analysis::new(ctx))
    }

    #[test]
    fn forbid_unsafe_fires_and_stays_quiet() {
        assert_eq!(run(forbid_unsafe, &ctx("fn main() {}", true)).len(), 1);
        assert!(
            run(
                forbid_unsafe,
                &ctx("#![forbid(unsafe_code)]\nfn main() {}", true)
            )
            .is_empty()
        );
        assert!(
            run(
                forbid_unsafe,
                &ctx("#![forbid(missing_docs, unsafe_code)]\nfn main() {}", true)
            )
            .is_empty()
        );
        assert_eq!(
            run(
                forbid_unsafe,
                &ctx("#![deny(unsafe_code)]\nfn main() {}", true)
            )
            .len(),
            1
        );
    }

    #[test]
    fn lockfile_fires_only_without_lock() {
        assert_eq!(run(lockfile_committed, &ctx("", false)).len(), 1);
        assert!(run(lockfile_committed, &ctx("", true)).is_empty());
    }
}
