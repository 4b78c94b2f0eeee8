//! Helpers every rule uses: building findings, and the shared analysis of one context.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use crate::check::analysis::flow::{Flow, tool_flows};
use crate::check::analysis::imports::{ImportTable, Imports};
use crate::check::analysis::index::Index;
use crate::check::analysis::stdio_scope::StdioScope;
use crate::check::analysis::tools::{ToolInfo, tools_in};
use crate::check::model::{Context, location};
use crate::finding::{Finding, Label, Location, Severity};

/// The analysis most rules start from.
pub struct Analysis<'a> {
    pub index: Index<'a>,
    pub tools: Vec<ToolInfo>,
    pub flows: Vec<Flow>,
    ctx: &'a Context,
    /// Where stdout carries JSON-RPC, built on first use (see [`Analysis::stdio`]).
    stdio: std::cell::OnceCell<StdioScope>,
    /// Flows from model values that enter outside the discovered tools (a hand-written
    /// `tools/call` dispatch, a tool trait's request struct).
    pub model_flows: Vec<Flow>,
    /// Findings of a walk that several rules split by kind, computed once per run.
    memo: RefCell<HashMap<&'static str, Vec<Finding>>>,
}

impl<'a> Analysis<'a> {
    pub fn new(ctx: &'a Context) -> Self {
        let index = Index::new(ctx);
        let tools = tools_in(ctx, &index);
        let flows = tool_flows(&index, &tools);
        let model_flows = crate::check::analysis::sources::model_flows(&index, &tools);
        Analysis {
            index,
            tools,
            flows,
            ctx,
            stdio: std::cell::OnceCell::new(),
            model_flows,
            memo: RefCell::default(),
        }
    }

    /// Where stdout carries JSON-RPC: the stdout-pollution rules judge only there. Built once,
    /// when first asked, so an analysis built for rules that never ask does not pay for it.
    pub fn stdio(&self) -> &StdioScope {
        self.stdio
            .get_or_init(|| StdioScope::new(self.ctx, &self.index, self.imports(), &self.tools))
    }

    /// Each shipped file's `use` declarations, to match calls by the path they resolve to.
    pub fn imports(&self) -> &ImportTable {
        &self.index.imports
    }

    /// The full paths call `c` (written in `file`) may name.
    pub fn call_paths(&self, file: &Path, c: &syn::ExprCall) -> Vec<String> {
        crate::check::analysis::syntax::call_path(c)
            .map(|p| self.imports().resolve(file, &p))
            .unwrap_or_default()
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
        self.index.imports.of(path)
    }

    /// Every flow from a model value, grouped by where it enters: the discovered tools' first,
    /// then the other entries.
    pub fn flow_groups(&self) -> Vec<(&ToolInfo, Vec<&Flow>)> {
        let mut out: Vec<(&ToolInfo, Vec<&Flow>)> = Vec::new();
        for f in self.flows.iter().chain(&self.model_flows) {
            match out.iter_mut().find(|(t, _)| t.location == f.tool.location) {
                Some((_, group)) => group.push(f),
                None => out.push((&f.tool, vec![f])),
            }
        }
        out
    }

    /// The taint flows that start at `tool`.
    pub fn flows_of(&self, tool: &ToolInfo) -> Vec<&Flow> {
        self.flows
            .iter()
            .filter(|f| f.tool.location == tool.location)
            .collect()
    }

    /// Indices of functions reachable from any tool (the tools included).
    pub fn client_facing(&self) -> std::collections::BTreeSet<usize> {
        let starts: Vec<usize> = self
            .tools
            .iter()
            .filter_map(|t| crate::check::analysis::flow::tool_fn(&self.index, t))
            .collect();
        self.index.reachable(&starts, 6)
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
