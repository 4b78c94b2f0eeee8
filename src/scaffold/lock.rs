//! Lock-file pruning. A template ships one full `Cargo.lock` that covers every optional part;
//! the generated crate gets exactly the packages its rendered `Cargo.toml` reaches, written
//! the way cargo writes them, so `cargo build --locked` accepts it as is.

use std::collections::{BTreeSet, HashMap};

use anyhow::{Context as _, Result, bail};
use toml_edit::{DocumentMut, Item, Value};

#[derive(Debug, Clone)]
struct Package {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    /// Dependencies as (name, version) after resolving the lock's short forms.
    deps: Vec<(String, String)>,
}

/// Picks the candidate lock whose root package depends on exactly the manifest's
/// dependencies, and prunes it. Features a smaller dependency set no longer activates can
/// change the graph, so a template ships one lock per dependency set; with a single candidate
/// and no exact match, pruning it is the best effort.
pub fn from_candidates(candidates: &[String], manifest: &str) -> Result<String> {
    let doc: DocumentMut = manifest
        .parse()
        .context("rendered Cargo.toml is not valid TOML")?;
    let mut wanted: Vec<String> = manifest_deps(&doc).into_iter().map(|(n, _)| n).collect();
    wanted.sort();
    for text in candidates {
        let packages = parse_lock(text)?;
        let roots: Vec<&Package> = packages.iter().filter(|p| p.source.is_none()).collect();
        let [root] = roots.as_slice() else { continue };
        let mut names: Vec<String> = root.deps.iter().map(|(n, _)| n.clone()).collect();
        names.sort();
        names.dedup();
        if names == wanted {
            return prune(text, manifest);
        }
    }
    match candidates {
        [only] => prune(only, manifest),
        _ => bail!(
            "no lock file of the template matches the dependencies {}: regenerate them with scripts/update-template-locks.sh",
            wanted.join(", ")
        ),
    }
}

/// Builds the lock file for a crate `name`/`version` whose manifest is `manifest` from `full_lock`.
pub fn prune(full_lock: &str, manifest: &str) -> Result<String> {
    let packages = parse_lock(full_lock)?;
    let doc: DocumentMut = manifest
        .parse()
        .context("rendered Cargo.toml is not valid TOML")?;
    let pkg = doc
        .get("package")
        .context("rendered Cargo.toml has no [package]")?;
    let name = pkg
        .get("name")
        .and_then(Item::as_str)
        .context("rendered Cargo.toml has no package name")?;
    let version = pkg.get("version").and_then(Item::as_str).unwrap_or("0.0.0");

    let mut root_deps = Vec::new();
    for (dep_name, req) in manifest_deps(&doc) {
        let candidates: Vec<&Package> = packages.iter().filter(|p| p.name == dep_name).collect();
        let chosen = match candidates.as_slice() {
            [] => bail!("template lock file has no package `{dep_name}`: regenerate it"),
            [one] => *one,
            many => {
                let req = semver::VersionReq::parse(&req)
                    .with_context(|| format!("version of `{dep_name}`"))?;
                many.iter()
                    .filter(|p| semver::Version::parse(&p.version).is_ok_and(|v| req.matches(&v)))
                    .max_by_key(|p| semver::Version::parse(&p.version).ok())
                    .copied()
                    .with_context(|| format!("no locked `{dep_name}` matches `{req}`"))?
            }
        };
        root_deps.push((chosen.name.clone(), chosen.version.clone()));
    }

    let index: HashMap<(String, String), &Package> = packages
        .iter()
        .map(|p| ((p.name.clone(), p.version.clone()), p))
        .collect();
    let mut keep: BTreeSet<(String, String)> = BTreeSet::new();
    let mut stack = root_deps.clone();
    while let Some(key) = stack.pop() {
        if !keep.insert(key.clone()) {
            continue;
        }
        let pkg = index
            .get(&key)
            .with_context(|| format!("lock file names missing package {key:?}"))?;
        stack.extend(pkg.deps.iter().cloned());
    }

    let root = Package {
        name: name.to_string(),
        version: version.to_string(),
        source: None,
        checksum: None,
        deps: root_deps,
    };
    let mut kept: Vec<Package> = packages
        .into_iter()
        .filter(|p| keep.contains(&(p.name.clone(), p.version.clone())))
        .collect();
    kept.push(root);
    kept.sort_by(|a, b| {
        let va = semver::Version::parse(&a.version).ok();
        let vb = semver::Version::parse(&b.version).ok();
        a.name.cmp(&b.name).then(va.cmp(&vb))
    });
    Ok(write_lock(&kept))
}

/// Dependencies declared by a manifest, as (package name, version requirement).
fn manifest_deps(doc: &DocumentMut) -> Vec<(String, String)> {
    let mut tables: Vec<&Item> = ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .filter_map(|k| doc.get(k))
        .collect();
    if let Some(targets) = doc.get("target").and_then(Item::as_table_like) {
        for (_, target) in targets.iter() {
            for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                if let Some(t) = target.get(key) {
                    tables.push(t);
                }
            }
        }
    }
    let mut deps = Vec::new();
    for table in tables {
        let Some(table) = table.as_table_like() else {
            continue;
        };
        for (key, item) in table.iter() {
            let (package, req) = match item {
                Item::Value(Value::String(s)) => (key.to_string(), s.value().clone()),
                other => {
                    let t = other.as_table_like();
                    let package = t
                        .and_then(|t| t.get("package"))
                        .and_then(Item::as_str)
                        .unwrap_or(key);
                    let req = t
                        .and_then(|t| t.get("version"))
                        .and_then(Item::as_str)
                        .unwrap_or("*");
                    (package.to_string(), req.to_string())
                }
            };
            if !deps.iter().any(|(n, _)| n == &package) {
                deps.push((package, req));
            }
        }
    }
    deps
}

fn parse_lock(text: &str) -> Result<Vec<Package>> {
    let doc: DocumentMut = text
        .parse()
        .context("template lock file is not valid TOML")?;
    let list = doc
        .get("package")
        .and_then(Item::as_array_of_tables)
        .context("template lock file has no [[package]] entries")?;
    let mut raw = Vec::new();
    for table in list.iter() {
        let get = |k: &str| table.get(k).and_then(Item::as_str).map(str::to_string);
        let deps: Vec<String> = table
            .get("dependencies")
            .and_then(Item::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        raw.push((
            get("name").context("lock package without name")?,
            get("version").context("lock package without version")?,
            get("source"),
            get("checksum"),
            deps,
        ));
    }
    let versions_of = |n: &str| {
        raw.iter()
            .filter(|r| r.0 == n)
            .map(|r| r.1.clone())
            .collect::<Vec<_>>()
    };
    let mut packages = Vec::new();
    for (name, version, source, checksum, deps) in &raw {
        let mut resolved = Vec::new();
        for dep in deps {
            let mut parts = dep.split(' ');
            let dep_name = parts.next().unwrap_or_default().to_string();
            let dep_version = match parts.next() {
                Some(v) => v.to_string(),
                None => match versions_of(&dep_name).as_slice() {
                    [only] => only.clone(),
                    _ => bail!("lock entry `{dep}` of `{name}` is ambiguous"),
                },
            };
            resolved.push((dep_name, dep_version));
        }
        packages.push(Package {
            name: name.clone(),
            version: version.clone(),
            source: source.clone(),
            checksum: checksum.clone(),
            deps: resolved,
        });
    }
    Ok(packages)
}

/// Writes packages the way cargo's lock-file version 4 does: a dependency carries its
/// version only when the lock holds several versions of that name.
fn write_lock(packages: &[Package]) -> String {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for p in packages {
        *count.entry(p.name.as_str()).or_default() += 1;
    }
    let mut out = String::from(
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n",
    );
    for p in packages {
        out.push_str(&format!(
            "\n[[package]]\nname = \"{}\"\nversion = \"{}\"\n",
            p.name, p.version
        ));
        if let Some(source) = &p.source {
            out.push_str(&format!("source = \"{source}\"\n"));
        }
        if let Some(checksum) = &p.checksum {
            out.push_str(&format!("checksum = \"{checksum}\"\n"));
        }
        let mut deps: Vec<String> = p
            .deps
            .iter()
            .map(|(n, v)| {
                if count.get(n.as_str()).copied().unwrap_or(0) > 1 {
                    format!("{n} {v}")
                } else {
                    n.clone()
                }
            })
            .collect();
        deps.sort();
        deps.dedup();
        if !deps.is_empty() {
            out.push_str("dependencies = [\n");
            for d in deps {
                out.push_str(&format!(" \"{d}\",\n"));
            }
            out.push_str("]\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"version = 4

[[package]]
name = "a"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aa"
dependencies = [
 "c 1.0.0",
]

[[package]]
name = "b"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "bb"
dependencies = [
 "c 2.0.0",
]

[[package]]
name = "c"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "c1"

[[package]]
name = "c"
version = "2.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "c2"

[[package]]
name = "full"
version = "0.1.0"
dependencies = [
 "a",
 "b",
]
"#;

    #[test]
    fn keeps_only_reachable_packages_and_shortens_unique_names() {
        let manifest =
            "[package]\nname = \"mine\"\nversion = \"0.1.0\"\n[dependencies]\na = \"1\"\n";
        let lock = prune(FULL, manifest).unwrap();
        assert!(lock.contains("name = \"mine\""));
        assert!(!lock.contains("name = \"b\""));
        assert!(!lock.contains("checksum = \"c2\""));
        // Only one `c` remains, so `a` names it without a version, as cargo would.
        assert!(lock.contains("dependencies = [\n \"c\",\n]"), "{lock}");
        assert!(!lock.contains("name = \"full\""));
    }

    #[test]
    fn picks_the_lock_of_the_exact_dependency_set() {
        let only_b = FULL.replace(
            "name = \"full\"\nversion = \"0.1.0\"\ndependencies = [\n \"a\",\n \"b\",\n]",
            "name = \"full\"\nversion = \"0.1.0\"\ndependencies = [\n \"b\",\n]",
        );
        let manifest =
            "[package]\nname = \"mine\"\nversion = \"0.1.0\"\n[dependencies]\nb = \"1\"\n";
        let lock = from_candidates(&[FULL.to_string(), only_b], manifest).unwrap();
        assert!(
            lock.contains("name = \"b\"") && !lock.contains("name = \"a\""),
            "{lock}"
        );
        let none = "[package]\nname = \"mine\"\nversion = \"0.1.0\"\n[dependencies]\nc = \"2\"\n";
        let err = from_candidates(&[FULL.to_string(), FULL.to_string()], none)
            .unwrap_err()
            .to_string();
        assert!(err.contains("update-template-locks"), "{err}");
    }

    #[test]
    fn unknown_dependency_is_an_error() {
        let manifest =
            "[package]\nname = \"mine\"\nversion = \"0.1.0\"\n[dependencies]\nzzz = \"1\"\n";
        let err = prune(FULL, manifest).unwrap_err().to_string();
        assert!(err.contains("zzz"), "{err}");
    }
}
