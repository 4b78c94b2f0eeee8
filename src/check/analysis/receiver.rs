//! The type of a method call's receiver, as far as the code states it: `self`, a field of a
//! struct of the crate (its declared type), a local bound from such an expression, and what
//! a method of a foreign type returns (foreign again). Calls are then resolved to the methods
//! of that type instead of every method of the same name in the crate.

use syn::visit::Visit;

use super::index::{FnInfo, Index};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// A struct of the crate, by name.
    Crate(String),
    /// A type from std or a dependency: no method of the crate runs on it.
    Foreign,
    /// A foreign container of these crate types or traits (`HashMap<_, Box<dyn Tool>>`):
    /// what comes out of it runs their methods only.
    Holds(Vec<String>),
    /// Not stated where this analysis can see it.
    Unknown,
}

/// How many `let` bindings are followed back; deeper chains are `Unknown`.
const MAX_HOPS: usize = 4;

pub fn type_of(index: &Index<'_>, expr: &syn::Expr, caller: &FnInfo<'_>) -> Ty {
    type_in(index, expr, caller, MAX_HOPS)
}

fn type_in(index: &Index<'_>, expr: &syn::Expr, caller: &FnInfo<'_>, hops: usize) -> Ty {
    match expr {
        syn::Expr::Path(p) if p.path.is_ident("self") => match caller.self_ty.as_deref() {
            Some(ty) if is_crate_struct(index, ty) => Ty::Crate(ty.to_string()),
            _ => Ty::Unknown,
        },
        syn::Expr::Path(p) => {
            let Some(ident) = p.path.get_ident() else {
                return Ty::Unknown;
            };
            let name = ident.to_string();
            match local_init(caller.block, &name) {
                Some(init) if hops > 0 => type_in(index, init, caller, hops - 1),
                Some(_) => Ty::Unknown,
                None => param_type(caller.sig, &name)
                    .map_or(Ty::Unknown, |ty| classify(index, ty, caller)),
            }
        }
        syn::Expr::Field(f) => {
            let Ty::Crate(owner) = type_in(index, &f.base, caller, hops) else {
                return match type_in(index, &f.base, caller, hops) {
                    Ty::Foreign => Ty::Foreign,
                    _ => Ty::Unknown,
                };
            };
            let syn::Member::Named(member) = &f.member else {
                return Ty::Unknown;
            };
            // Structs of the same name in other modules: the field must mean one type in all.
            let mut fields = index
                .structs
                .iter()
                .filter(|s| s.item.ident == owner)
                .filter_map(|s| {
                    s.item
                        .fields
                        .iter()
                        .find(|fd| fd.ident.as_ref() == Some(member))
                });
            let Some(first) = fields.next() else {
                return Ty::Unknown;
            };
            let Some(name) = type_name(&first.ty) else {
                return Ty::Unknown;
            };
            if fields.any(|other| type_name(&other.ty).as_deref() != Some(name.as_str())) {
                return Ty::Unknown;
            }
            let file = index
                .structs
                .iter()
                .find(|s| s.item.ident == owner)
                .map(|s| s.file);
            classify_in(index, &first.ty, file.map(|f| f.path.as_path()))
        }
        // A foreign type's methods return foreign values (`lock()`, `get()`, `map_err()`),
        // and a container's hand out what it holds.
        syn::Expr::MethodCall(m) => match type_in(index, &m.receiver, caller, hops) {
            Ty::Foreign => Ty::Foreign,
            Ty::Holds(names) => Ty::Holds(names),
            _ => Ty::Unknown,
        },
        // `Roots::open(..)`, `ProcessManager::with_timeout(..)?`: a crate type's constructor.
        syn::Expr::Call(c) => constructed(index, c).map_or(Ty::Unknown, Ty::Crate),
        syn::Expr::Try(t) => type_in(index, &t.expr, caller, hops),
        syn::Expr::Paren(p) => type_in(index, &p.expr, caller, hops),
        syn::Expr::Reference(r) => type_in(index, &r.expr, caller, hops),
        syn::Expr::Await(a) => match type_in(index, &a.base, caller, hops) {
            Ty::Foreign => Ty::Foreign,
            Ty::Holds(names) => Ty::Holds(names),
            _ => Ty::Unknown,
        },
        _ => Ty::Unknown,
    }
}

/// A declared type: a struct of the crate, a type with nothing of the crate in it, or
/// something in between (`HashMap<_, Box<dyn OurTrait>>` hands out values that run our
/// methods).
fn classify(index: &Index<'_>, ty: &syn::Type, caller: &FnInfo<'_>) -> Ty {
    classify_in(index, ty, Some(caller.file.path.as_path()))
}

/// [`classify`] for a type written in `file` (whose imports say where a bare name is from).
fn classify_in(index: &Index<'_>, ty: &syn::Type, file: Option<&std::path::Path>) -> Ty {
    match type_name(ty) {
        Some(name) if is_crate_struct(index, &name) => Ty::Crate(name),
        Some(_) => {
            let held = crate_types_in(index, ty);
            if !held.is_empty() {
                Ty::Holds(held)
            } else if is_foreign(index, ty, file) {
                Ty::Foreign
            } else {
                Ty::Unknown
            }
        }
        None => Ty::Unknown,
    }
}

/// The crate struct `T` when `call` is `T::f(..)` and every `f` of `T` returns `Self` or `T`
/// (bare, or as the first type argument: `Result<Self, E>`, `Option<T>`).
fn constructed(index: &Index<'_>, call: &syn::ExprCall) -> Option<String> {
    let path = super::syntax::call_path(call)?;
    let mut segs = path.rsplit("::");
    let (name, ty) = (segs.next()?, segs.next()?);
    if !is_crate_struct(index, ty) {
        return None;
    }
    let mut fns = index
        .fns
        .iter()
        .filter(|f| f.name == name && f.self_ty.as_deref() == Some(ty))
        .peekable();
    fns.peek()?;
    fns.all(|f| returns_self(&f.sig.output, ty))
        .then(|| ty.to_string())
}

fn returns_self(output: &syn::ReturnType, ty: &str) -> bool {
    let syn::ReturnType::Type(_, t) = output else {
        return false;
    };
    let named = |t: &syn::Type| type_name(t).is_some_and(|n| n == "Self" || n == ty);
    if named(t) {
        return true;
    }
    let syn::Type::Path(p) = strip(t) else {
        return false;
    };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    matches!(last.ident.to_string().as_str(), "Result" | "Option")
        && matches!(&last.arguments, syn::PathArguments::AngleBracketed(a)
            if matches!(a.args.first(), Some(syn::GenericArgument::Type(inner)) if named(inner)))
}

/// Std types method calls commonly go to, by their bare name.
const STD_TYPES: &[&str] = &[
    "String", "str", "Vec", "HashMap", "BTreeMap", "HashSet", "BTreeSet", "VecDeque", "Option",
    "Result", "Mutex", "RwLock", "Path", "PathBuf", "OsString", "Duration", "Instant", "Value",
];

/// Whether `ty` is stated to come from outside the crate: a path through another crate
/// (`rusqlite::Connection`), a generic container, a std type by name, or a bare name the file
/// imports from another crate. `Self::Args`, a generic parameter or an unknown bare name is not.
fn is_foreign(index: &Index<'_>, ty: &syn::Type, file: Option<&std::path::Path>) -> bool {
    let syn::Type::Path(p) = strip(ty) else {
        return false;
    };
    let segs: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    match segs.as_slice() {
        [first, ..] if matches!(first.as_str(), "Self" | "crate" | "self" | "super") => false,
        [_, _, ..] => true,
        [name] => {
            let generic = p
                .path
                .segments
                .last()
                .is_some_and(|s| !s.arguments.is_empty());
            let imported = file
                .map(|f| index.imports.of(f).expand(name))
                .filter(|e| e != name);
            generic
                || STD_TYPES.contains(&name.as_str())
                || imported.is_some_and(|e| {
                    !e.starts_with("crate::")
                        && !e.starts_with("self::")
                        && !e.starts_with("super::")
                })
        }
        [] => false,
    }
}

fn strip(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Reference(r) => strip(&r.elem),
        syn::Type::Paren(p) => strip(&p.elem),
        other => other,
    }
}

/// The declared type of parameter `name` of `sig`.
fn param_type<'a>(sig: &'a syn::Signature, name: &str) -> Option<&'a syn::Type> {
    sig.inputs.iter().find_map(|arg| match arg {
        syn::FnArg::Typed(t) => match &*t.pat {
            syn::Pat::Ident(p) if p.ident == name => Some(&*t.ty),
            _ => None,
        },
        syn::FnArg::Receiver(_) => None,
    })
}

fn is_crate_struct(index: &Index<'_>, name: &str) -> bool {
    index.structs.iter().any(|s| s.item.ident == name)
}

/// The path segments in `ty` (generic arguments and trait objects included) that name a
/// struct, an implemented type or a trait of the crate.
fn crate_types_in(index: &Index<'_>, ty: &syn::Type) -> Vec<String> {
    struct Names<'i, 'a> {
        index: &'i Index<'a>,
        found: Vec<String>,
    }
    impl<'ast> Visit<'ast> for Names<'_, '_> {
        fn visit_path_segment(&mut self, seg: &'ast syn::PathSegment) {
            let name = seg.ident.to_string();
            let ours = is_crate_struct(self.index, &name)
                || self.index.fns.iter().any(|f| {
                    f.self_ty.as_deref() == Some(name.as_str())
                        || f.trait_name.as_deref() == Some(name.as_str())
                });
            if ours && !self.found.contains(&name) {
                self.found.push(name);
            }
            syn::visit::visit_path_segment(self, seg);
        }
    }
    let mut names = Names {
        index,
        found: Vec::new(),
    };
    names.visit_type(ty);
    names.found
}

/// The initialiser of the first `let <name> = …` (a plain or `mut` binding) in `block`.
fn local_init<'a>(block: &'a syn::Block, name: &str) -> Option<&'a syn::Expr> {
    struct Find<'a, 'n> {
        name: &'n str,
        found: Option<&'a syn::Expr>,
        /// More than one binding of the name: which one is meant depends on scope.
        twice: bool,
    }
    impl<'a> Visit<'a> for Find<'a, '_> {
        fn visit_local(&mut self, local: &'a syn::Local) {
            if let (syn::Pat::Ident(p), Some(init)) = (&local.pat, &local.init)
                && p.ident == self.name
            {
                self.twice |= self.found.is_some();
                self.found = Some(&init.expr);
            }
            syn::visit::visit_local(self, local);
        }
        // Closures and nested items have scopes of their own.
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut find = Find {
        name,
        found: None,
        twice: false,
    };
    find.visit_block(block);
    if find.twice { None } else { find.found }
}

/// The last path segment naming a type, looking through references and the smart pointers
/// that method calls dereference (`Arc<Roots>` is `Roots`).
pub fn type_name(ty: &syn::Type) -> Option<String> {
    super::syntax::type_name_through(ty, &["Arc", "Rc", "Box"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::model::Context;

    /// The callees of `caller` by name, in an index of `src`.
    fn callees(src: &str, caller: &str) -> Vec<String> {
        let ctx = Context::of_sources(vec![("src/main.rs".into(), src.to_string())]);
        let index = Index::new(&ctx);
        let i = index.fns.iter().position(|f| f.name == caller).unwrap();
        index
            .callees(i)
            .into_iter()
            .map(|j| {
                format!(
                    "{}::{}",
                    index.fns[j].self_ty.clone().unwrap_or_default(),
                    index.fns[j].name
                )
            })
            .collect()
    }

    const SRC: &str = r#"
        use std::collections::BTreeMap;
        use std::sync::{Arc, Mutex};
        use other_crate::Thing;
        struct Keys;
        impl Keys { fn get(&self, k: &str) -> Option<String> { reqwest::get(k); None } fn open() -> Result<Self, E> { Ok(Keys) } }
        struct Other;
        impl Other { fn fetch(&self) {} }
        trait Tool { fn call(&self); }
        impl Tool for Keys { fn call(&self) {} }
        struct Store { records: Mutex<BTreeMap<u32, String>>, keys: Arc<Keys>, tools: BTreeMap<u32, Box<dyn Tool>> }
        struct Server { store: Store }
        impl Server {
            fn tool(&self) {
                let records = self.store.records.lock().unwrap();
                records.get(&1);
            }
            fn field(&self) { self.store.keys.get("x"); }
            fn unknown(&self) { let other = make(); other.get("x"); }
            fn foreign(&self, other: &Thing) { other.get("x"); }
            fn param(&self, store: &Store) { store.keys.get("x"); store.records.lock().unwrap().get(&1); }
            fn built(&self) { let k = Keys::open()?; k.get("x"); }
            fn dynamic(&self) { let tool = self.store.tools.get(&1).unwrap(); tool.call(); }
        }
    "#;

    #[test]
    fn a_method_of_a_foreign_type_is_not_the_crate_method_of_that_name() {
        assert!(
            callees(SRC, "tool").is_empty(),
            "{:?}",
            callees(SRC, "tool")
        );
    }

    #[test]
    fn a_field_of_a_crate_type_resolves_to_its_method() {
        assert_eq!(callees(SRC, "field"), ["Keys::get"]);
    }

    #[test]
    fn a_container_of_crate_trait_objects_hands_out_crate_methods() {
        assert!(callees(SRC, "dynamic").contains(&"Keys::call".to_string()));
    }

    #[test]
    fn a_value_built_by_a_constructor_has_its_type() {
        assert_eq!(callees(SRC, "built"), ["Keys::get", "Keys::open"]);
    }

    #[test]
    fn a_parameter_has_its_declared_type() {
        assert_eq!(callees(SRC, "param"), ["Keys::get"]);
    }

    #[test]
    fn a_parameter_of_a_foreign_type_runs_none_of_ours() {
        assert!(callees(SRC, "foreign").is_empty());
    }

    #[test]
    fn an_unknown_receiver_keeps_every_candidate() {
        assert_eq!(callees(SRC, "unknown"), ["Keys::get"]);
    }
}
