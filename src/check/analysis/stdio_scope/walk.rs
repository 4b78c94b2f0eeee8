//! The walk from `main` to the serving point: statement by statement, keeping what runs
//! before or while serving and dropping branches that leave or serve nothing.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use syn::spanned::Spanned;
use syn::visit::Visit;

use super::Transport;
use crate::check::analysis::imports::ImportTable;
use crate::check::analysis::index::Index;
use crate::check::analysis::syntax::call_path;

pub struct Walker<'i, 'a> {
    index: &'i Index<'a>,
    imports: &'i ImportTable,
    serving: Vec<bool>,
    /// Memo of "reaches a serving function" (`None`: not yet known).
    reach: Vec<Option<bool>>,
    callees: Vec<Option<Vec<usize>>>,
    chained: BTreeSet<usize>,
    wholes: BTreeSet<usize>,
    regions: HashMap<PathBuf, Vec<(usize, usize)>>,
}

impl<'i, 'a> Walker<'i, 'a> {
    pub fn new(index: &'i Index<'a>, imports: &'i ImportTable, serving: Vec<bool>) -> Self {
        let n = index.fns.len();
        Walker {
            index,
            imports,
            serving,
            reach: vec![None; n],
            callees: vec![None; n],
            chained: BTreeSet::new(),
            wholes: BTreeSet::new(),
            regions: HashMap::new(),
        }
    }

    pub fn is_serving(&self, i: usize) -> bool {
        self.serving[i]
    }

    pub fn is_chained(&self, i: usize) -> bool {
        self.chained.contains(&i)
    }

    pub fn into_regions(self) -> HashMap<PathBuf, Vec<(usize, usize)>> {
        self.regions
    }

    fn callees_of(&mut self, i: usize) -> Vec<usize> {
        if let Some(c) = &self.callees[i] {
            return c.clone();
        }
        let c = self.index.callees(i);
        self.callees[i] = Some(c.clone());
        c
    }

    /// Whether function `i` builds a stdio transport or calls one that does.
    pub fn reaches(&mut self, i: usize) -> bool {
        if let Some(r) = self.reach[i] {
            return r;
        }
        // In progress: a cycle adds nothing.
        self.reach[i] = Some(false);
        let r = self.serving[i] || self.callees_of(i).into_iter().any(|c| self.reaches(c));
        self.reach[i] = Some(r);
        r
    }

    /// Everything function `i` runs, and what it calls, is in scope.
    pub fn whole(&mut self, i: usize) {
        let mut work = vec![i];
        while let Some(j) = work.pop() {
            if !self.wholes.insert(j) {
                continue;
            }
            let f = &self.index.fns[j];
            let first = f.sig.span().start().line;
            let last = f.block.span().end().line;
            self.add(j, first, last);
            work.extend(self.callees_of(j));
        }
    }

    /// Function `i` is on the way to the serving point: walk its statements.
    pub fn walk_chain(&mut self, i: usize) {
        if !self.chained.insert(i) {
            return;
        }
        let block = self.index.fns[i].block;
        self.block(i, block);
    }

    fn add(&mut self, func: usize, first: usize, last: usize) {
        let path = self.index.fns[func].file.path.clone();
        self.regions.entry(path).or_default().push((first, last));
    }

    fn add_span(&mut self, func: usize, span: proc_macro2::Span) {
        self.add(func, span.start().line, span.end().line);
    }

    /// The functions a node of function `func` calls, and whether it builds the transport.
    fn calls(&self, func: usize, visit: impl Fn(&mut Calls<'_, '_>)) -> (Vec<usize>, bool) {
        let f = &self.index.fns[func];
        let mut calls = Calls {
            index: self.index,
            caller: func,
            targets: Vec::new(),
            transport: Transport::new(self.imports, &f.file.path),
        };
        visit(&mut calls);
        let mut targets = calls.targets;
        targets.sort_unstable();
        targets.dedup();
        (targets, calls.transport.found)
    }

    /// Whether a node of function `func` builds the transport or calls toward it.
    fn node_reaches(&mut self, func: usize, visit: impl Fn(&mut Calls<'_, '_>)) -> bool {
        let (targets, transport) = self.calls(func, visit);
        transport || targets.into_iter().any(|t| self.reaches(t))
    }

    fn expr_reaches(&mut self, func: usize, e: &syn::Expr) -> bool {
        self.node_reaches(func, |c| c.visit_expr(e))
    }

    fn block_reaches(&mut self, func: usize, b: &syn::Block) -> bool {
        self.node_reaches(func, |c| c.visit_block(b))
    }

    /// The code of an expression runs: its lines are in scope, and each call it makes is
    /// followed (as a chain when it leads to the transport, whole otherwise).
    fn include(
        &mut self,
        func: usize,
        span: proc_macro2::Span,
        visit: impl Fn(&mut Calls<'_, '_>),
    ) {
        self.add_span(func, span);
        let (targets, _) = self.calls(func, visit);
        for t in targets {
            if self.reaches(t) {
                self.walk_chain(t);
            } else {
                self.whole(t);
            }
        }
    }

    fn block(&mut self, func: usize, b: &syn::Block) {
        for stmt in &b.stmts {
            self.stmt(func, stmt);
        }
    }

    fn stmt(&mut self, func: usize, stmt: &syn::Stmt) {
        {
            match stmt {
                syn::Stmt::Local(l) => {
                    self.add_span(func, l.pat.span());
                    if let Some(init) = &l.init {
                        self.expr(func, &init.expr);
                        // A `let … else` branch diverges: it never serves.
                    }
                }
                syn::Stmt::Expr(e, _) => self.expr(func, e),
                syn::Stmt::Macro(m) => self.include(func, m.span(), |c| c.visit_stmt_macro(m)),
                syn::Stmt::Item(_) => {}
            }
        }
    }

    /// Branches are judged one by one: a branch toward the transport is walked, one beside
    /// it (an alternative to serving) or one that leaves (`return`, `exit`) is dropped, and
    /// any other runs on the way.
    fn expr(&mut self, func: usize, e: &syn::Expr) {
        match strip(e) {
            syn::Expr::If(i) if i.else_branch.is_none() && self.deciding_call(func, i) => {}
            syn::Expr::If(i) => {
                self.expr(func, &i.cond);
                let mut branches: Vec<Branch<'_>> = vec![Branch::Block(&i.then_branch)];
                if let Some((_, other)) = &i.else_branch {
                    branches.push(Branch::Expr(other));
                }
                self.branches(func, &branches);
            }
            syn::Expr::Match(m) => {
                self.expr(func, &m.expr);
                let branches: Vec<Branch<'_>> =
                    m.arms.iter().map(|a| Branch::Expr(&a.body)).collect();
                for arm in &m.arms {
                    if let Some((_, guard)) = &arm.guard {
                        self.expr(func, guard);
                    }
                }
                self.branches(func, &branches);
            }
            syn::Expr::Block(b) => self.block(func, &b.block),
            syn::Expr::Async(b) => self.block(func, &b.block),
            syn::Expr::Unsafe(b) => self.block(func, &b.block),
            syn::Expr::Loop(l) => self.block(func, &l.body),
            syn::Expr::While(w) => {
                self.expr(func, &w.cond);
                self.block(func, &w.body);
            }
            syn::Expr::ForLoop(l) => {
                self.expr(func, &l.expr);
                self.block(func, &l.body);
            }
            other => self.include(func, e.span(), |c| c.visit_expr(other)),
        }
    }

    /// `if decide(..) { return }`: the callee's branches that yield the leaving value run
    /// instead of serving (a `--help` printer returning `true`), the others on the way.
    fn deciding_call(&mut self, func: usize, i: &syn::ExprIf) -> bool {
        if !self.leaves(func, &Branch::Block(&i.then_branch)) {
            return false;
        }
        let (cond, leave) = match strip(&i.cond) {
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => (strip(&u.expr), false),
            c => (c, true),
        };
        if !self.deciding_targets(func, cond, leave) {
            return false;
        }
        self.add_span(func, i.cond.span());
        true
    }

    /// The value of call `call` decides (see [`Self::deciding_call`]): its arguments run,
    /// and the called functions are walked as deciding ones. False when it is no call of
    /// the crate's own, or one toward the transport.
    fn deciding_targets(&mut self, func: usize, call: &syn::Expr, leave: bool) -> bool {
        let args: Vec<&syn::Expr> = match call {
            syn::Expr::Call(c) => c.args.iter().collect(),
            syn::Expr::MethodCall(m) => m.args.iter().chain([&*m.receiver]).collect(),
            _ => return false,
        };
        let caller = &self.index.fns[func];
        let targets: Vec<usize> = self
            .index
            .resolve_call(call, caller)
            .into_iter()
            .filter(|&t| t != func)
            .collect();
        if targets.is_empty() || targets.iter().any(|&t| self.reaches(t)) {
            return false;
        }
        for a in args {
            self.include(func, a.span(), |c| c.visit_expr(a));
        }
        for t in targets {
            let f = &self.index.fns[t];
            let (first, block) = (f.sig.span().start().line, f.block);
            self.add(t, first, first);
            self.deciding_block(t, block, leave);
        }
        true
    }

    /// A block of a deciding function: dropped when it yields (or returns) `leave`.
    fn deciding_block(&mut self, func: usize, b: &syn::Block, leave: bool) {
        let yields = |e: &syn::Expr| matches!(strip(e), syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(v), .. }) if v.value == leave);
        let returns_leave = b.stmts.iter().any(|s| {
            matches!(s, syn::Stmt::Expr(syn::Expr::Return(r), _) if r.expr.as_deref().is_some_and(yields))
        });
        let tail = match b.stmts.last() {
            Some(syn::Stmt::Expr(e, None)) => Some(e),
            _ => None,
        };
        if returns_leave || tail.is_some_and(yields) {
            return;
        }
        let body = if tail.is_some() {
            &b.stmts[..b.stmts.len() - 1]
        } else {
            &b.stmts[..]
        };
        for stmt in body {
            self.stmt(func, stmt);
        }
        let Some(tail) = tail else {
            return;
        };
        match strip(tail) {
            syn::Expr::If(i) => {
                self.expr(func, &i.cond);
                self.deciding_block(func, &i.then_branch, leave);
                if let Some((_, e)) = &i.else_branch {
                    self.deciding_expr(func, e, leave);
                }
            }
            syn::Expr::Match(m) => {
                self.expr(func, &m.expr);
                for arm in &m.arms {
                    self.deciding_expr(func, &arm.body, leave);
                }
            }
            // The callee's value is passed on: it decides in turn.
            call @ (syn::Expr::Call(_) | syn::Expr::MethodCall(_)) => {
                if self.deciding_targets(func, call, leave) {
                    self.add_span(func, tail.span());
                } else {
                    self.expr(func, tail);
                }
            }
            _ => self.expr(func, tail),
        }
    }

    fn deciding_expr(&mut self, func: usize, e: &syn::Expr, leave: bool) {
        match strip(e) {
            syn::Expr::Block(b) => self.deciding_block(func, &b.block, leave),
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Bool(v),
                ..
            }) if v.value == leave => {}
            other => {
                let b = syn::Block {
                    brace_token: Default::default(),
                    stmts: vec![syn::Stmt::Expr(other.clone(), None)],
                };
                self.deciding_block(func, &b, leave);
            }
        }
    }

    fn branches(&mut self, func: usize, branches: &[Branch<'_>]) {
        let reaching: Vec<bool> = branches
            .iter()
            .map(|b| match b {
                Branch::Block(b) => self.block_reaches(func, b),
                Branch::Expr(e) => self.expr_reaches(func, e),
            })
            .collect();
        let any = reaching.iter().any(|&r| r);
        for (b, &r) in branches.iter().zip(&reaching) {
            if !r && (any || self.leaves(func, b)) {
                continue;
            }
            match b {
                Branch::Block(b) => self.block(func, b),
                Branch::Expr(e) => self.expr(func, e),
            }
        }
    }

    /// A branch that returns or exits the process: what it runs happens instead of serving.
    fn leaves(&self, func: usize, b: &Branch<'_>) -> bool {
        match b {
            Branch::Block(b) => b.stmts.iter().any(|s| match s {
                syn::Stmt::Expr(e, _) => self.expr_leaves(func, e),
                _ => false,
            }),
            Branch::Expr(e) => self.expr_leaves(func, e),
        }
    }

    fn expr_leaves(&self, func: usize, e: &syn::Expr) -> bool {
        match strip(e) {
            syn::Expr::Return(_) => true,
            syn::Expr::Block(b) => self.leaves(func, &Branch::Block(&b.block)),
            syn::Expr::Call(c) => call_path(c).is_some_and(|p| {
                let file = &self.index.fns[func].file.path;
                self.imports
                    .resolve(file, &p)
                    .iter()
                    .any(|p| p == "std::process::exit" || p == "process::exit")
            }),
            _ => false,
        }
    }
}

enum Branch<'a> {
    Block(&'a syn::Block),
    Expr(&'a syn::Expr),
}

/// `x?`, `x.await`, `(x)` and `return x` hold the same control flow as `x` for the walk.
fn strip(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Try(t) => strip(&t.expr),
        syn::Expr::Await(a) => strip(&a.base),
        syn::Expr::Paren(p) => strip(&p.expr),
        _ => e,
    }
}

/// The functions a node calls or references (resolved as it goes, so nothing is cloned),
/// and whether it builds a stdio transport.
struct Calls<'i, 'a> {
    index: &'i Index<'a>,
    caller: usize,
    targets: Vec<usize>,
    transport: Transport<'i>,
}

impl Calls<'_, '_> {
    fn resolve(&mut self, e: &syn::Expr) {
        let caller = &self.index.fns[self.caller];
        let found = self.index.resolve_call(e, caller);
        self.targets
            .extend(found.into_iter().filter(|&t| t != self.caller));
    }
}

impl<'ast> Visit<'ast> for Calls<'_, '_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        match e {
            syn::Expr::Call(c) => {
                self.resolve(e);
                for a in c.args.iter().filter(|a| matches!(a, syn::Expr::Path(_))) {
                    self.resolve(a);
                }
            }
            syn::Expr::MethodCall(m) => {
                self.resolve(e);
                for a in m.args.iter().filter(|a| matches!(a, syn::Expr::Path(_))) {
                    self.resolve(a);
                }
            }
            _ => {}
        }
        self.transport.check(e);
        syn::visit::visit_expr(self, e);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for e in crate::check::analysis::syntax::macro_exprs(mac) {
            self.visit_expr(&e);
        }
    }
}
