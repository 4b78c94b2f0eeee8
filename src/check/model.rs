//! What the checks see: the project as parsed data. Building it never runs project code.
//! Every rule is a pure function `fn(&Context) -> Vec<Finding>`.

use std::path::{Path, PathBuf};

use crate::finding::Location;

/// The project under check.
#[derive(Debug, Default)]
pub struct Context {
    /// The project (workspace) root; every path below is relative to it.
    pub root: PathBuf,
    pub packages: Vec<Package>,
    /// Every Rust source of the selected packages' targets (and their modules).
    pub sources: Vec<SourceFile>,
    /// Config-like files: TOML, JSON, YAML, `.env*` (git-ignored ones skipped unless asked).
    pub data_files: Vec<DataFile>,
    /// What the run should know but does not change a verdict: data files skipped, symbolic
    /// links refused, modules compiled only under a `cfg` whose file is missing.
    pub notes: Vec<Note>,
    /// Files and packages that could not be read or analysed: each one is a finding of its
    /// own (`analysis-incomplete`), never a silent skip.
    pub gaps: Vec<Gap>,
    /// Indices into `sources` of the files that ship, computed once per run (every rule asks).
    pub shipped: std::cell::OnceCell<Vec<usize>>,
}

#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    /// Path of its Cargo.toml, relative to the root.
    pub manifest_path: PathBuf,
    pub manifest_text: String,
    /// True when the package has a binary target.
    pub is_binary: bool,
    /// True when a Cargo.lock exists at the package or workspace root.
    pub has_lockfile: bool,
    /// `[package.metadata.mcp-secure]` as JSON (null when absent).
    pub metadata: serde_json::Value,
}

#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the root.
    pub path: PathBuf,
    pub text: String,
    pub ast: syn::File,
    /// The targets whose module tree includes it (`lib`, `bin:server`).
    pub targets: Vec<String>,
    /// Compiled only into test builds: reached only through `#[cfg(test)]` modules.
    pub test_only: bool,
    /// Lines (first, last; 1-based) of `#[cfg(test)]` items and `#[test]` functions in it.
    pub test_lines: Vec<(usize, usize)>,
}

/// Why a file or package could not be analysed; each kind is reported by its own rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GapKind {
    /// Not Rust syntax.
    Unparsable,
    /// Larger than the loader reads.
    TooLarge,
    /// Nested deeper than the parser's guard.
    TooDeep,
    /// A `mod`, `#[path]`, `include!` or target root whose file does not exist.
    MissingModule,
    /// Present but not readable as UTF-8 text, or computed at build time.
    Unreadable,
}

impl GapKind {
    /// The rule of `analysis-incomplete` that reports this kind.
    pub fn rule(self) -> &'static str {
        match self {
            GapKind::Unparsable => "source-unparsable",
            GapKind::TooLarge => "source-too-large",
            GapKind::TooDeep => "source-too-deep",
            GapKind::MissingModule => "module-file-missing",
            GapKind::Unreadable => "source-unreadable",
        }
    }
}

/// One file (or package manifest) that could not be read or analysed, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gap {
    /// The file, or the file declaring a missing one, relative to the root.
    pub path: PathBuf,
    /// 1-based line of the problem (1 when it concerns the whole file).
    pub line: usize,
    pub kind: GapKind,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct DataFile {
    pub path: PathBuf,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    pub path: PathBuf,
    pub message: String,
}

impl Context {
    /// A context of one binary package named `p` at `/p` with these sources, for unit tests.
    #[cfg(test)]
    pub fn of_sources(files: Vec<(PathBuf, String)>) -> Self {
        Self::of_sources_at(Path::new("/p"), files)
    }

    /// The same package at `root`, for tests that need real files beside the sources.
    #[cfg(test)]
    pub fn of_sources_at(root: &Path, files: Vec<(PathBuf, String)>) -> Self {
        let package = Package {
            name: "p".into(),
            manifest_path: "Cargo.toml".into(),
            manifest_text: String::new(),
            is_binary: true,
            has_lockfile: true,
            metadata: serde_json::Value::Null,
        };
        Self::from_files(root, package, files)
    }

    /// Builds a context from in-memory files, for rule unit tests and fixtures: every `.rs`
    /// file is parsed (an unparsable one is a gap), and the module trees from the roots cargo
    /// would infer (`src/lib.rs`, `src/main.rs`, `src/bin/*`) mark test-only files; so do
    /// `tests/`, `benches/`, `examples/` and `build.rs`, which only test or build runs compile.
    #[cfg(test)]
    pub fn from_files(root: &Path, package: Package, files: Vec<(PathBuf, String)>) -> Self {
        let mut ctx = Context {
            root: root.to_path_buf(),
            packages: vec![package.clone()],
            ..Default::default()
        };
        for (path, text) in files {
            if path.extension().is_some_and(|e| e == "rs") {
                // An unparsable file is recorded as a gap.
                let _ = ctx.add_source(path, text);
            } else {
                ctx.data_files.push(DataFile { path, text });
            }
        }
        let paths: Vec<PathBuf> = ctx.sources.iter().map(|s| s.path.clone()).collect();
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        let roots = crate::check::analysis::modules::conventional_roots(&refs);
        let tree = crate::check::analysis::modules::resolve(&roots, &mut InMemory(&ctx));
        for (i, reach) in tree.reach {
            ctx.sources[i].test_only = reach.test_only;
            ctx.sources[i].targets = reach.targets.into_iter().collect();
        }
        for i in 0..ctx.sources.len() {
            if crate::check::analysis::index::is_excluded(&ctx.sources[i].path) {
                ctx.sources[i].test_only = true;
            }
        }
        ctx.gaps.extend(tree.gaps);
        ctx.gaps.sort();
        ctx.gaps.dedup();
        ctx.notes
            .extend(tree.skipped.into_iter().map(Gap::into_note));
        ctx
    }

    /// Parses one Rust file into the context, or records why it could not as a gap.
    #[cfg(test)]
    pub fn add_source(&mut self, path: PathBuf, text: String) -> Result<usize, Gap> {
        match parse_source(&path, &text) {
            Ok(ast) => Ok(self.add_parsed(path, text, ast)),
            Err(gap) => {
                self.gaps.push(gap.clone());
                Err(gap)
            }
        }
    }

    /// Adds a parsed file (shipped until the module tree says otherwise); its index.
    pub fn add_parsed(&mut self, path: PathBuf, text: String, ast: syn::File) -> usize {
        self.shipped = std::cell::OnceCell::new();
        let test_lines = test_lines(&ast.items);
        self.sources.push(SourceFile {
            path,
            text,
            ast,
            targets: Vec::new(),
            test_only: false,
            test_lines,
        });
        self.sources.len() - 1
    }

    /// True when `at` lies in code only test builds compile: a test-only file, or a
    /// `#[cfg(test)]` item or `#[test]` function of a shipped one.
    pub fn in_test_code(&self, at: &Location) -> bool {
        self.sources.iter().filter(|s| s.path == at.file).any(|s| {
            s.test_only
                || s.test_lines
                    .iter()
                    .any(|&(first, last)| (first..=last).contains(&at.line))
        })
    }
}

/// Parses a Rust file with the nesting guard; the gap says why it could not be.
pub fn parse_source(path: &Path, text: &str) -> Result<syn::File, Gap> {
    use crate::check::analysis::parse::{MAX_DEPTH, ParseError, parse_rust};
    parse_rust(text).map_err(|err| match err {
        ParseError::Syntax {
            message,
            line,
            column,
        } => Gap {
            path: path.to_path_buf(),
            line,
            kind: GapKind::Unparsable,
            detail: format!("cannot parse Rust at line {line}, column {column}: {message}"),
        },
        ParseError::TooDeep { depth, line } => Gap {
            path: path.to_path_buf(),
            line,
            kind: GapKind::TooDeep,
            detail: format!(
                "code nests {depth} levels deep at line {line}, beyond the {MAX_DEPTH} the parser accepts"
            ),
        },
    })
}

impl Gap {
    /// A gap that does not count against the run (a module compiled only under some `cfg`).
    pub fn into_note(self) -> Note {
        Note {
            path: self.path,
            message: format!(
                "line {}: {}; it is compiled only under its `cfg`, so it was not analysed",
                self.line, self.detail
            ),
        }
    }
}

/// Lines of the test items among `items`, inline modules searched too.
fn test_lines(items: &[syn::Item]) -> Vec<(usize, usize)> {
    use crate::check::analysis::syntax::is_test_item;
    use syn::spanned::Spanned;
    let lines = |span: proc_macro2::Span| (span.start().line, span.end().line);
    let mut out = Vec::new();
    for item in items {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Macro(m) => &m.attrs,
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Type(t) => &t.attrs,
            _ => &[],
        };
        if is_test_item(attrs) {
            out.push(lines(item.span()));
            continue;
        }
        match item {
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    out.extend(test_lines(inner));
                }
            }
            syn::Item::Impl(imp) => {
                for it in &imp.items {
                    if let syn::ImplItem::Fn(f) = it
                        && is_test_item(&f.attrs)
                    {
                        out.push(lines(f.span()));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A test context's sources as a module store.
#[cfg(test)]
struct InMemory<'a>(&'a Context);

#[cfg(test)]
impl crate::check::analysis::modules::Store for InMemory<'_> {
    fn load(&mut self, path: &Path) -> crate::check::analysis::modules::Loaded {
        use crate::check::analysis::modules::Loaded;
        if let Some(i) = self.0.sources.iter().position(|s| s.path == path) {
            return Loaded::Parsed(i);
        }
        match self.0.gaps.iter().find(|g| g.path == path) {
            Some(gap) => Loaded::Failed(gap.clone()),
            None => Loaded::Missing,
        }
    }

    fn ast(&self, index: usize) -> &syn::File {
        &self.0.sources[index].ast
    }
}

/// The location of a syn span in a file (1-based line and column).
pub fn location(file: &Path, span: proc_macro2::Span) -> Location {
    let start = span.start();
    let end = span.end();
    Location {
        file: file.to_path_buf(),
        line: start.line,
        column: start.column + 1,
        end_line: end.line,
        end_column: end.column + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::spanned::Spanned;

    fn pkg() -> Package {
        Package {
            name: "demo".into(),
            manifest_path: "Cargo.toml".into(),
            manifest_text: String::new(),
            is_binary: true,
            has_lockfile: true,
            metadata: serde_json::Value::Null,
        }
    }

    #[test]
    fn parses_sources_and_records_broken_ones_as_gaps() {
        let ctx = Context::from_files(
            Path::new("/p"),
            pkg(),
            vec![
                ("src/main.rs".into(), "fn main() {}\n".into()),
                ("src/bad.rs".into(), "fn (".into()),
                ("config.toml".into(), "a = 1".into()),
            ],
        );
        assert_eq!(ctx.sources.len(), 1);
        assert_eq!(ctx.data_files.len(), 1);
        assert_eq!(ctx.gaps.len(), 1);
        assert_eq!(ctx.gaps[0].kind, GapKind::Unparsable);
        assert!(
            ctx.gaps[0].detail.contains("line 1"),
            "{}",
            ctx.gaps[0].detail
        );
    }

    #[test]
    fn spans_map_to_one_based_locations() {
        let file = syn::parse_file("\nfn main() {\n    let x = 1;\n}\n").unwrap();
        let loc = location(Path::new("src/main.rs"), file.items[0].span());
        assert_eq!((loc.line, loc.column), (2, 1));
    }
}

#[cfg(test)]
mod test_code {
    use super::*;

    #[test]
    fn test_items_and_test_only_files_are_test_code() {
        let ctx = Context::of_sources(vec![
            (
                "src/main.rs".into(),
                "#[cfg(test)]\nmod tests;\nfn main() {}\n\n#[test]\nfn t() {\n    let _ = 1;\n}\n#[cfg(test)]\nmod inline {\n    fn x() {}\n}\n".into(),
            ),
            ("src/tests.rs".into(), "fn helper() {}\n".into()),
        ]);
        let at = |file: &str, line: usize| Location {
            file: file.into(),
            line,
            column: 1,
            end_line: line,
            end_column: 1,
        };
        assert!(!ctx.in_test_code(&at("src/main.rs", 3)));
        assert!(ctx.in_test_code(&at("src/main.rs", 7)));
        assert!(ctx.in_test_code(&at("src/main.rs", 11)));
        assert!(ctx.in_test_code(&at("src/tests.rs", 1)));
        assert!(!ctx.in_test_code(&at("config.toml", 1)));
    }
}
