//! Helpers every rule uses: building findings, and the shared analysis of one context.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use crate::check::analysis::flow::{Flow, tool_flows};
use crate::check::analysis::imports::Imports;
use crate::check::analysis::index::Index;
use crate::check::analysis::syntax::compact;
use crate::check::analysis::tools::{ToolInfo, tools_in};
use crate::check::model::{Context, location};
use crate::finding::{Finding, Label, Location, Severity};

/// The analysis most rules start from.
pub struct Analysis<'a> {
    pub index: Index<'a>,
    pub tools: Vec<ToolInfo>,
    pub flows: Vec<Flow>,
    /// Each shipped file's `use` table, by path.
    pub imports: HashMap<std::path::PathBuf, Imports>,
    /// Findings of a walk that several rules split by kind, computed once per run.
    memo: RefCell<HashMap<&'static str, Vec<Finding>>>,
}

impl<'a> Analysis<'a> {
    pub fn new(ctx: &'a Context) -> Self {
        let index = Index::new(ctx);
        let tools = tools_in(ctx, &index);
        let flows = tool_flows(&index, &tools);
        let imports = crate::check::analysis::index::shipped(ctx)
            .into_iter()
            .map(|f| (f.path.clone(), Imports::of_file(&f.ast)))
            .collect();
        Analysis {
            index,
            tools,
            flows,
            imports,
            memo: RefCell::default(),
        }
    }

    /// The findings of `walk`, computed on first use and shared by the rules that split them.
    pub fn memo(&self, key: &'static str, walk: impl FnOnce() -> Vec<Finding>) -> Vec<Finding> {
        if let Some(found) = self.memo.borrow().get(key) {
            return found.clone();
        }
        let found = walk();
        self.memo.borrow_mut().insert(key, found.clone());
        found
    }

    /// The `use` table of the file at `path` (empty for a file that does not ship).
    pub fn imports_of(&self, path: &Path) -> &Imports {
        static EMPTY: std::sync::OnceLock<Imports> = std::sync::OnceLock::new();
        self.imports
            .get(path)
            .unwrap_or_else(|| EMPTY.get_or_init(Imports::default))
    }

    /// The taint flows that start at `tool`.
    pub fn flows_of(&self, tool: &ToolInfo) -> Vec<&Flow> {
        self.flows
            .iter()
            .filter(|f| f.tool.location == tool.location)
            .collect()
    }

    /// True when the body of a function on one of `flows` mentions one of `markers`
    /// (token text without spaces, as [`compact`] renders it).
    pub fn flows_mention(&self, flows: &[&Flow], markers: &[&str]) -> bool {
        flows.iter().any(|f| {
            let text = compact(self.index.fns[f.func].block);
            markers.iter().any(|m| text.contains(m))
        })
    }

    /// Indices of functions reachable from any tool (the tools included).
    pub fn client_facing(&self) -> std::collections::BTreeSet<usize> {
        let starts: Vec<usize> = self
            .tools
            .iter()
            .filter_map(|t| crate::check::analysis::flow::tool_fn(&self.index, t))
            .collect();
        self.index.reachable(&starts, 4)
    }

    /// The tool whose flows include function `func`, when exactly one tool reaches it (a
    /// helper shared by several tools names none).
    pub fn tool_of(&self, func: usize) -> Option<String> {
        let mut names = self
            .flows
            .iter()
            .filter(|f| f.func == func)
            .map(|f| &f.tool.name);
        let first = names.next()?;
        names.all(|n| n == first).then(|| first.clone())
    }
}

/// Token text that shows a program allow-list on a tool's way (`allowed.contains(&p)`, a `match`).
pub const ALLOW_LIST_MARKERS: &[&str] = &[".contains(", "allowed", "allow_list", "match"];

/// Labels that retrace a flow: the tool taking the parameter, then each call on the way.
pub fn flow_labels(flow: &Flow, param: &str) -> Vec<Label> {
    let mut labels = vec![Label {
        location: flow.tool.location.clone(),
        message: format!("tool `{}` takes parameter `{param}`", flow.tool.name),
    }];
    labels.extend(flow.via.iter().cloned());
    labels
}

pub fn finding(id: &str, severity: Severity, message: String, at: Location, help: &str) -> Finding {
    Finding {
        id: id.to_string(),
        // The runner names the rule (see `run_all`).
        rule: String::new(),
        severity,
        message,
        location: Some(at),
        labels: Vec::new(),
        help: Some(help.to_string()),
        tool: None,
        evidence: None,
    }
}

pub fn at(file: &Path, span: proc_macro2::Span) -> Location {
    location(file, span)
}

pub fn label(file: &Path, span: proc_macro2::Span, message: impl Into<String>) -> Label {
    Label {
        location: location(file, span),
        message: message.into(),
    }
}

pub fn line_start(file: &Path, line: usize) -> Location {
    Location {
        file: file.to_path_buf(),
        line,
        column: 1,
        end_line: line,
        end_column: 1,
    }
}

/// Drops findings with the same id at the same line (two rules seeing one flaw).
pub fn dedup_by_line(mut findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen = std::collections::BTreeSet::new();
    findings.retain(|f| {
        let key = (
            f.id.clone(),
            f.location.as_ref().map(|l| (l.file.clone(), l.line)),
        );
        seen.insert(key)
    });
    findings
}
