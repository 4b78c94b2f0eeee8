//! The Rust sources of the selected packages: exactly the files the module trees of their
//! targets reach (see [`crate::check::analysis::modules`]), read from disk and parsed on the
//! calling thread (spans resolve through a thread-local source map).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cargo_metadata::TargetKind;

use super::read::read_source;
use super::relative;
use crate::check::analysis::modules::{Loaded, Root, Store, resolve};
use crate::check::model::{Context, Gap, parse_source};

/// The roots to follow in a package: its library and binaries (any target that is not a test,
/// bench, example or build script); a package with neither (a crate of examples, as in SDK
/// repositories) is checked through its examples, which are then its product. The flag says so.
pub fn roots(pkg: &cargo_metadata::Package, root: &Path) -> (Vec<Root>, bool) {
    let shipped = |k: &TargetKind| {
        !matches!(
            k,
            TargetKind::Test | TargetKind::Bench | TargetKind::Example | TargetKind::CustomBuild
        )
    };
    let of = |keep: &dyn Fn(&TargetKind) -> bool| -> Vec<Root> {
        pkg.targets
            .iter()
            .filter(|t| t.kind.iter().any(keep))
            .map(|t| Root {
                path: relative(t.src_path.as_std_path(), root),
                target: format!(
                    "{}:{}",
                    t.kind.first().map(|k| k.to_string()).unwrap_or_default(),
                    t.name
                ),
            })
            .collect()
    };
    let found = of(&shipped);
    if !found.is_empty() {
        return (found, false);
    }
    (of(&|k| *k == TargetKind::Example), true)
}

/// Reads and parses every file the roots reach into `ctx`, with which targets reach each and
/// whether only test builds do; what could not be followed becomes a gap (or, for a module
/// compiled only under some `cfg`, a note).
pub fn load_sources(ctx: &mut Context, roots: &[Root]) {
    let root = ctx.root.clone();
    let mut store = DiskStore {
        root: &root,
        ctx,
        cache: HashMap::new(),
    };
    let tree = resolve(roots, &mut store);
    for (i, reach) in tree.reach {
        let file = &mut ctx.sources[i];
        file.test_only = reach.test_only;
        file.targets = reach.targets.into_iter().collect();
    }
    ctx.gaps.extend(tree.gaps);
    ctx.gaps.sort();
    ctx.gaps.dedup();
    ctx.notes
        .extend(tree.skipped.into_iter().map(Gap::into_note));
    ctx.sources.sort_by(|a, b| a.path.cmp(&b.path));
    ctx.shipped = std::cell::OnceCell::new();
}

struct DiskStore<'a> {
    root: &'a Path,
    ctx: &'a mut Context,
    cache: HashMap<PathBuf, Cached>,
}

#[derive(Clone)]
enum Cached {
    Parsed(usize),
    Missing,
    Failed(Gap),
}

impl Store for DiskStore<'_> {
    fn load(&mut self, path: &Path) -> Loaded {
        let cached = match self.cache.get(path) {
            Some(c) => c.clone(),
            None => {
                let c = self.read(path);
                self.cache.insert(path.to_path_buf(), c.clone());
                c
            }
        };
        match cached {
            Cached::Parsed(i) => Loaded::Parsed(i),
            Cached::Missing => Loaded::Missing,
            Cached::Failed(gap) => Loaded::Failed(gap),
        }
    }

    fn ast(&self, index: usize) -> &syn::File {
        &self.ctx.sources[index].ast
    }
}

impl DiskStore<'_> {
    fn read(&mut self, path: &Path) -> Cached {
        let full = self.root.join(path);
        if !full.is_file() {
            return Cached::Missing;
        }
        let text = match read_source(&full) {
            Ok(text) => text,
            Err((kind, detail)) => {
                return Cached::Failed(Gap {
                    path: path.to_path_buf(),
                    line: 1,
                    kind,
                    detail,
                });
            }
        };
        match parse_source(path, &text) {
            Ok(ast) => Cached::Parsed(self.ctx.add_parsed(path.to_path_buf(), text, ast)),
            Err(gap) => Cached::Failed(gap),
        }
    }
}
