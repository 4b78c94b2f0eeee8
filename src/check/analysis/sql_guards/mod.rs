//! Which values a function may paste into SQL text without making it injectable, decided by
//! what the code does: a value passed a charset check or a constant-set membership test that
//! refuses it otherwise (in the function, or in a same-crate function that validated it), quote
//! doubling, text built only from such values and constants, and a row of a registry table
//! the crate writes only with such values. Everything else is untrusted (fail closed).

mod facts;
mod registry;
mod values;

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use syn::visit::Visit;

use super::guard_shapes::diverges;
use super::index::{FnInfo, Index};
use super::syntax::pat_idents;
use facts::{Collect, Def, Facts, Returns, Sites, accept_keys, charset_regexes, key_of};
use values::numeric_params;

/// The trust of one function body under an assumption about its parameters.
struct Trust {
    trusted: BTreeSet<String>,
    guarded: BTreeSet<String>,
}

type Mask = Vec<bool>;

/// Call sites by callee name: the calling function and the call, `None` for a reference.
type CallSites = HashMap<String, Vec<(usize, Option<syn::Expr>)>>;

pub struct SqlGuards<'i, 'a> {
    index: &'i Index<'a>,
    /// Call sites by callee name: the calling function and the call, or `None` where the
    /// function is passed as a value (its arguments are then unknown).
    sites: Rc<CallSites>,
    /// Whether rows read from a registry table may be trusted. The writers of a table are
    /// judged by an inner analysis that trusts no registry, so no answer depends on itself.
    reads_registries: bool,
    inner: std::cell::OnceCell<Box<SqlGuards<'i, 'a>>>,
    analysed: RefCell<HashMap<(usize, Mask), Rc<Trust>>>,
    entry: RefCell<HashMap<usize, Mask>>,
    returns: RefCell<HashMap<(usize, Mask), bool>>,
    registries: RefCell<HashMap<String, bool>>,
    busy: RefCell<BTreeSet<String>>,
    /// Cycles met so far: a result computed while one was cut short is not remembered.
    cycles: std::cell::Cell<usize>,
    /// Work left before every further question is answered "not safe".
    budget: std::cell::Cell<usize>,
}

/// Steps of analysis per crate; beyond it values count as unsafe (fail closed).
const BUDGET: usize = 400_000;

impl<'i, 'a> SqlGuards<'i, 'a> {
    pub fn new(index: &'i Index<'a>) -> Self {
        let names: BTreeSet<&str> = index.fns.iter().map(|f| f.name.as_str()).collect();
        let mut sites: CallSites = HashMap::new();
        for (i, f) in index.fns.iter().enumerate() {
            let mut v = Sites {
                names: &names,
                found: Vec::new(),
            };
            v.visit_block(f.block);
            for (name, call) in v.found {
                sites.entry(name).or_default().push((i, call));
            }
        }
        Self::with_sites(index, Rc::new(sites), true)
    }

    fn with_sites(index: &'i Index<'a>, sites: Rc<CallSites>, reads_registries: bool) -> Self {
        SqlGuards {
            index,
            sites,
            reads_registries,
            inner: std::cell::OnceCell::new(),
            analysed: RefCell::default(),
            entry: RefCell::default(),
            returns: RefCell::default(),
            registries: RefCell::default(),
            busy: RefCell::default(),
            cycles: std::cell::Cell::new(0),
            budget: std::cell::Cell::new(BUDGET),
        }
    }

    /// True when `expr`, in function `func`, is made only of constants and values a guard
    /// made safe, so pasting it into SQL text cannot change the statement.
    pub fn safe_in(&self, func: usize, expr: &syn::Expr) -> bool {
        let mask = self.entry_mask(func);
        let trust = self.analyse(func, &mask);
        self.safe(func, &trust.trusted, expr)
    }

    /// Runs `f` unless `key` is already being computed: a cycle gives `None`, whose caller
    /// answers "not safe" without remembering it.
    fn once<T>(&self, key: String, f: impl FnOnce() -> T) -> Option<(T, bool)> {
        if !self.busy.borrow_mut().insert(key.clone()) {
            self.cycles.set(self.cycles.get() + 1);
            return None;
        }
        let before = self.cycles.get();
        let out = f();
        self.busy.borrow_mut().remove(&key);
        Some((out, self.cycles.get() == before))
    }

    fn params(&self, func: usize) -> Vec<Vec<String>> {
        self.index.fns[func]
            .sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                syn::FnArg::Typed(t) => Some(pat_idents(&t.pat)),
                syn::FnArg::Receiver(_) => None,
            })
            .collect()
    }

    /// Which parameters every caller passes a safe value for. A function others can call
    /// (`pub`, a trait method) or that is passed as a value trusts none.
    fn entry_mask(&self, func: usize) -> Mask {
        if let Some(m) = self.entry.borrow().get(&func) {
            return m.clone();
        }
        let n = self.params(func).len();
        let none = vec![false; n];
        let found = self.once(format!("entry {func}"), || {
            let f = &self.index.fns[func];
            if !local_only(f) {
                return none.clone();
            }
            let sites: Vec<&(usize, Option<syn::Expr>)> = self
                .sites
                .get(&f.name)
                .map(|s| s.iter().collect())
                .unwrap_or_default();
            let mut mask = vec![true; n];
            let mut any = false;
            for (caller, call) in sites {
                let Some(call) = call else {
                    // Passed as a value: the arguments are not known here.
                    if self.index.fns[*caller].name != f.name {
                        return none.clone();
                    }
                    continue;
                };
                if !self
                    .index
                    .resolve_call(call, &self.index.fns[*caller])
                    .contains(&func)
                {
                    continue;
                }
                any = true;
                let caller_mask = self.entry_mask(*caller);
                let trust = self.analyse(*caller, &caller_mask);
                let args = call_args(call, f);
                for (k, slot) in mask.iter_mut().enumerate() {
                    *slot &= args
                        .get(k)
                        .is_some_and(|a| self.safe(*caller, &trust.trusted, a));
                }
            }
            if any { mask } else { none.clone() }
        });
        let Some((mask, complete)) = found else {
            return none;
        };
        if complete {
            self.entry.borrow_mut().insert(func, mask.clone());
        }
        mask
    }

    fn analyse(&self, func: usize, mask: &Mask) -> Rc<Trust> {
        let key = (func, mask.clone());
        if let Some(t) = self.analysed.borrow().get(&key) {
            return t.clone();
        }
        let empty = Rc::new(Trust {
            trusted: BTreeSet::new(),
            guarded: BTreeSet::new(),
        });
        let Some((trust, complete)) = self.once(format!("analyse {func} {mask:?}"), || {
            Rc::new(self.compute(func, mask))
        }) else {
            return empty;
        };
        if complete {
            self.analysed.borrow_mut().insert(key, trust.clone());
        }
        trust
    }

    fn compute(&self, func: usize, mask: &Mask) -> Trust {
        let f = &self.index.fns[func];
        let regexes = charset_regexes(f);
        let mut facts = Facts::default();
        let numeric = numeric_params(f);
        for (k, names) in self.params(func).into_iter().enumerate() {
            let def = if mask.get(k).copied().unwrap_or(false)
                || numeric.get(k).copied().unwrap_or(false)
            {
                Def::Safe
            } else {
                Def::Unsafe
            };
            for n in names {
                facts.defs.entry(n).or_default().push(def.clone());
            }
        }
        let mut v = Collect {
            facts: &mut facts,
            regexes: &regexes,
        };
        v.visit_block(f.block);
        let mut guarded = facts.guarded.clone();
        for (call, arg) in &facts.validated_by {
            guarded.extend(self.validated_arg(func, call, *arg, false));
        }
        for (call, arg) in &facts.checked_by {
            guarded.extend(self.validated_arg(func, call, *arg, true));
        }
        // The largest set of names whose every definition is safe given the set itself, so
        // `sql = format!("{sql} AND ..")` keeps a safe `sql` safe.
        let mut trusted: BTreeSet<String> = facts.defs.keys().cloned().collect();
        trusted.extend(guarded.iter().cloned());
        loop {
            let before = trusted.len();
            let names: Vec<String> = trusted.iter().cloned().collect();
            for name in names {
                if guarded.contains(&name) {
                    continue;
                }
                let defs = facts.defs.get(&name).map(Vec::as_slice).unwrap_or(&[]);
                if !defs.iter().all(|d| self.def_safe(func, &trusted, d)) {
                    trusted.remove(&name);
                }
            }
            if trusted.len() == before {
                break;
            }
        }
        Trust { trusted, guarded }
    }

    /// The key of argument `arg` of `call` when a same-crate callee validates that parameter
    /// (`bool_check`: it returns true only for a valid value).
    fn validated_arg(
        &self,
        func: usize,
        call: &syn::Expr,
        arg: usize,
        bool_check: bool,
    ) -> Vec<String> {
        let caller = &self.index.fns[func];
        let callees = self.index.resolve_call(call, caller);
        if callees.is_empty() {
            return Vec::new();
        }
        let ok = callees.iter().all(|&j| {
            let k = param_pos(call, &self.index.fns[j], arg);
            let names = self.params(j);
            let Some(names) = k.and_then(|k| names.get(k)) else {
                return false;
            };
            if bool_check {
                self.bool_check_validates(j, names)
            } else {
                let trust = self.analyse(j, &vec![false; self.params(j).len()]);
                !names.is_empty() && names.iter().all(|n| trust.guarded.contains(n))
            }
        });
        if !ok {
            return Vec::new();
        }
        call_arg_exprs(call)
            .get(arg)
            .and_then(|a| key_of(a))
            .into_iter()
            .collect()
    }

    /// `fn is_valid(s: &str) -> bool { s.chars().all(..) }`: true only for a safe `s`.
    fn bool_check_validates(&self, func: usize, names: &[String]) -> bool {
        let f = &self.index.fns[func];
        let Some(syn::Stmt::Expr(tail, None)) = f.block.stmts.last() else {
            return false;
        };
        let regexes = charset_regexes(f);
        let keys = accept_keys(tail, &regexes);
        !names.is_empty() && names.iter().all(|n| keys.contains(n))
    }

    fn def_safe(&self, func: usize, trusted: &BTreeSet<String>, d: &Def) -> bool {
        match d {
            Def::Safe => true,
            Def::Unsafe => false,
            Def::Value(e) => self.safe(func, trusted, e),
            Def::MutArg(call, arg) => {
                let caller = &self.index.fns[func];
                let callees = self.index.resolve_call(call, caller);
                !callees.is_empty()
                    && callees.iter().all(|&j| {
                        let callee = &self.index.fns[j];
                        let Some(k) = param_pos(call, callee, *arg) else {
                            return false;
                        };
                        let mut mask = self.args_mask(func, trusted, call, callee);
                        if let Some(slot) = mask.get_mut(k) {
                            *slot = true;
                        }
                        let trust = self.analyse(j, &mask);
                        self.params(j)
                            .get(k)
                            .is_some_and(|ns| ns.iter().all(|n| trust.trusted.contains(n)))
                    })
            }
        }
    }

    fn args_mask(
        &self,
        func: usize,
        trusted: &BTreeSet<String>,
        call: &syn::Expr,
        callee: &FnInfo<'_>,
    ) -> Mask {
        let args = call_args(call, callee);
        let n = callee
            .sig
            .inputs
            .iter()
            .filter(|a| matches!(a, syn::FnArg::Typed(_)))
            .count();
        (0..n)
            .map(|k| args.get(k).is_some_and(|a| self.safe(func, trusted, a)))
            .collect()
    }

    /// Whether every value `func` returns is safe when its parameters are as `mask` says.
    fn returns_safe(&self, func: usize, mask: &Mask) -> bool {
        let key = (func, mask.clone());
        if let Some(r) = self.returns.borrow().get(&key) {
            return *r;
        }
        let found = self.once(format!("returns {func} {mask:?}"), || {
            let f = &self.index.fns[func];
            let trust = self.analyse(func, mask);
            let mut v = Returns(Vec::new());
            v.visit_block(f.block);
            let tail_ok = match f.block.stmts.last() {
                Some(syn::Stmt::Expr(e, None)) => self.safe(func, &trust.trusted, e),
                _ => diverges(f.block),
            };
            tail_ok && v.0.iter().all(|e| self.safe(func, &trust.trusted, e))
        });
        let Some((r, complete)) = found else {
            return false;
        };
        if !complete {
            return r;
        }
        self.returns.borrow_mut().insert(key, r);
        r
    }

    fn calls_safe(
        &self,
        func: usize,
        trusted: &BTreeSet<String>,
        call: &syn::Expr,
    ) -> Option<bool> {
        let callees = self.index.resolve_call(call, &self.index.fns[func]);
        if callees.is_empty() {
            return None;
        }
        Some(callees.iter().all(|&j| {
            let mask = self.args_mask(func, trusted, call, &self.index.fns[j]);
            self.returns_safe(j, &mask)
        }))
    }
}

/// Whether only the crate itself can call `f`: not `pub`, and not a trait method.
pub(super) fn local_only(f: &FnInfo<'_>) -> bool {
    fn find(items: &[syn::Item], sig: &syn::Signature) -> Option<bool> {
        for item in items {
            match item {
                syn::Item::Fn(x) if std::ptr::eq(&x.sig, sig) => {
                    return Some(!matches!(x.vis, syn::Visibility::Public(_)));
                }
                syn::Item::Impl(imp) => {
                    for it in &imp.items {
                        if let syn::ImplItem::Fn(x) = it
                            && std::ptr::eq(&x.sig, sig)
                        {
                            return Some(
                                imp.trait_.is_none()
                                    && !matches!(x.vis, syn::Visibility::Public(_)),
                            );
                        }
                    }
                }
                syn::Item::Mod(m) => {
                    if let Some(found) = m.content.as_ref().and_then(|(_, items)| find(items, sig))
                    {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }
    find(&f.file.ast.items, f.sig).unwrap_or(false)
}

pub(super) fn call_arg_exprs(call: &syn::Expr) -> Vec<&syn::Expr> {
    match call {
        syn::Expr::Call(c) => c.args.iter().collect(),
        syn::Expr::MethodCall(m) => m.args.iter().collect(),
        _ => Vec::new(),
    }
}

/// The arguments of `call` in the order of `callee`'s parameters (its receiver left out).
pub(super) fn call_args<'e>(call: &'e syn::Expr, callee: &FnInfo<'_>) -> Vec<&'e syn::Expr> {
    let args = call_arg_exprs(call);
    if callee.has_receiver && matches!(call, syn::Expr::Call(_)) {
        args.into_iter().skip(1).collect()
    } else {
        args
    }
}

/// The parameter of `callee` that argument `arg` of `call` fills.
pub(super) fn param_pos(call: &syn::Expr, callee: &FnInfo<'_>, arg: usize) -> Option<usize> {
    if callee.has_receiver && matches!(call, syn::Expr::Call(_)) {
        arg.checked_sub(1)
    } else {
        Some(arg)
    }
}

#[cfg(test)]
mod tests;
