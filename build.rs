//! Rebuilds the binary when embedded data changes: `include_dir!` reads the `checklist` and
//! `templates` folders itself, so rustc's dependency tracking never sees those files.

fn main() {
    println!("cargo:rerun-if-changed=checklist");
    println!("cargo:rerun-if-changed=templates");
}
