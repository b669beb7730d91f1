//! Embeds the built-in rule pack (`queries/LANG/*.scm`) and its cases (`tests/rules/ID/valid|
//! invalid/*`) in the binary, so an installed archeo never reads the checkout it was built from
//! and `archeo rules test` checks the pack anywhere. Writes `$OUT_DIR/builtin_rules.rs`: sorted
//! lists of (path, text) that `src/rules.rs` includes.
//!
//! It also sets `ARCHEO_BUILD_ID`, a digest of every source the binaries are built from (src/,
//! queries/, tests/rules/, build.rs, Cargo.toml, Cargo.lock) and the profile: `archeo` hands
//! most commands to `archeo-full` beside it (src/cli/front.rs) and refuses one of another build,
//! which a `cargo build --bin archeo` after a change would otherwise leave behind. Touches nothing
//! else.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

fn main() {
    build_id();
    front_link();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    for lang in std::fs::read_dir(&root).expect("queries/ exists").flatten() {
        if !lang.path().is_dir() {
            continue;
        }
        // A new or removed rule file changes the folder's listing: rebuild then too.
        println!("cargo:rerun-if-changed={}", lang.path().display());
        for f in std::fs::read_dir(lang.path()).expect("readable").flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == "scm") {
                println!("cargo:rerun-if-changed={}", p.display());
                let rel = p.strip_prefix(&root).expect("under queries/");
                files.push((rel.to_string_lossy().replace('\\', "/"), p.clone()));
            }
        }
    }
    files.sort();
    let mut out = String::from("/// The built-in rules: (path under queries/, text).\n");
    out.push_str("pub(crate) static BUILTIN_RULES: &[(&str, &str)] = &[\n");
    for (rel, p) in &files {
        out.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            p.display().to_string()
        ));
    }
    out.push_str("];\n");
    out.push_str("/// The built-in rules' cases: (path under tests/rules/, text).\n");
    out.push_str("pub(crate) static BUILTIN_CASES: &[(&str, &str)] = &[\n");
    for (rel, p) in cases(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules")) {
        out.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            p.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_rules.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// Links `archeo` (the front, src/cli/front.rs) as a position-dependent executable on Linux:
/// a position-independent one has the dynamic loader rewrite its ~14,000 pointers at every
/// start, copying each page of them on write (76 of a no-hit search's ~230 page faults, some
/// 0.2 ms of its 1.8). Go builds its executables so too (codesearch among them). The cost is
/// that this one binary's own code and data load at a fixed address (libraries, heap, stack and
/// mappings are still randomized). It reads local files only, in Rust (no network, no HTTP
/// server, no tree-sitter): `archeo-full`, which runs those, stays position-independent.
///
/// Left as the toolchain makes it: with `ARCHEO_PIE=1`; for a static C runtime (`crt-static`,
/// musl's default), which rustc links `-static-pie` and which `-no-pie` would turn into a static
/// binary that names a dynamic loader and crashes at start; and when RUSTFLAGS choose their own
/// relocation model. Tells the tests which it did (`ARCHEO_FRONT_LINK`).
fn front_link() {
    println!("cargo:rerun-if-env-changed=ARCHEO_PIE");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let linux = var("CARGO_CFG_TARGET_OS") == "linux";
    let static_crt = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    let own_model = var("CARGO_ENCODED_RUSTFLAGS").contains("relocation-model");
    let no_pie = linux && !static_crt && !own_model && var("ARCHEO_PIE").is_empty();
    if no_pie {
        println!("cargo:rustc-link-arg-bin=archeo=-no-pie");
    }
    println!(
        "cargo:rustc-env=ARCHEO_FRONT_LINK={}",
        if no_pie { "no-pie" } else { "default" }
    );
}

/// Every file under `root/ID/valid|invalid/`, as (`ID/KIND/NAME`, path), sorted.
fn cases(root: &Path) -> Vec<(String, std::path::PathBuf)> {
    println!("cargo:rerun-if-changed={}", root.display());
    let mut out = Vec::new();
    for rule in std::fs::read_dir(root).into_iter().flatten().flatten() {
        for kind in ["valid", "invalid"] {
            let dir = rule.path().join(kind);
            println!("cargo:rerun-if-changed={}", dir.display());
            for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let p = f.path();
                if p.is_file() {
                    println!("cargo:rerun-if-changed={}", p.display());
                    let rel = p.strip_prefix(root).expect("under tests/rules/");
                    out.push((rel.to_string_lossy().replace('\\', "/"), p));
                }
            }
        }
    }
    out.sort();
    out
}

/// Sets `ARCHEO_BUILD_ID`: a digest of the sources both binaries are built from, so `archeo`
/// and `archeo-full` agree on it exactly when they were built from the same tree.
fn build_id() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "queries", "tests/rules"] {
        // A directory: cargo re-runs this script when anything under it changes.
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
        walk(&root.join(dir), &mut files);
    }
    for f in ["build.rs", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(f).display());
        files.push(root.join(f));
    }
    files.sort();
    // Two SipHash-1-3 digests with different prefixes: 128 bits, with no crate to build first.
    let digest = |salt: &str| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut h);
        std::env::var("PROFILE").unwrap_or_default().hash(&mut h);
        env!("CARGO_PKG_VERSION").hash(&mut h);
        for f in &files {
            f.strip_prefix(root).unwrap_or(f).hash(&mut h);
            std::fs::read(f).unwrap_or_default().hash(&mut h);
        }
        h.finish()
    };
    println!(
        "cargo:rustc-env=ARCHEO_BUILD_ID={:016x}{:016x}",
        digest("a"),
        digest("b")
    );
}

/// Every file under `dir`, recursively.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}
