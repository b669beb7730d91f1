//! Scans artifacts and identifies them against a lock file, printing every fact with its
//! provenance: the by-hand check of `archeo::artifact` on real packages (not run in CI).
//!
//! `cargo run --example identify_artifact -- PATH... [--lock archeo.lock]`

use std::path::PathBuf;

use archeo::artifact::{self, ScanOptions, Upstream};
use archeo::source::lock::Lock;

fn main() -> anyhow::Result<()> {
    let mut paths = Vec::new();
    let mut lock_path = PathBuf::from("archeo.lock");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--lock" {
            lock_path = PathBuf::from(args.next().expect("--lock takes a path"));
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    let pins = Lock::read(&lock_path)?
        .map(|l| l.pins())
        .unwrap_or_default();
    let locate = |_: &str, _: &str| None;
    let vendored = |_: &archeo::source::lock::Pin| None;
    let upstream = Upstream {
        pins: &pins,
        aliases: &[],
        locate_commit: &locate,
        vendored_modules: &vendored,
        declarations: &|_: &str, _: &[String]| Ok(None),
        cargo_packages: &|_: &str| Ok(None),
        cargo_lock: &|_: &archeo::source::lock::Pin| None,
    };
    for path in paths {
        for a in artifact::scan(&path, &ScanOptions::default())? {
            println!("== {} ({:?}, {:?} bytes)", a.path, a.kind, a.size);
            if let Some(p) = &a.package {
                println!(
                    "  package {} {} (source {}) [{}]",
                    p.package, p.version, p.source, p.control
                );
            }
            if let Some(go) = &a.go {
                let b = &go.build_info;
                println!(
                    "  go {} [{}] format {:?}, header {}",
                    b.go_version.value, b.go_version.at, b.format, b.header
                );
                if let Some(p) = &b.path {
                    println!("  path {} [{}]", p.value, p.at);
                }
                if let Some(m) = &b.main {
                    println!("  mod {} {} [{}]", m.path, m.version, m.at);
                }
                println!("  {} deps", b.deps.len());
                for d in &b.deps {
                    println!("    dep {} {} [{}]", d.path, d.effective_version(), d.at);
                }
                for s in &b.settings {
                    println!("  build {}={} [{}]", s.key, s.value, s.at);
                }
                for i in &go.injected {
                    println!(
                        "  injected {:?} {:?} = {:?} [{}]",
                        i.origin, i.variable, i.value, i.at
                    );
                }
                println!("  symbols: {}", go.has_symbols);
            }
            for n in &a.notes {
                println!("  note: {n}");
            }
            let id = artifact::identify(&a, &upstream);
            println!(
                "  => {:?} version {:?} commit {:?}: {} pin {:?}",
                id.component,
                id.version,
                id.commit,
                id.confidence,
                id.pin
                    .as_ref()
                    .map(|p| format!("{}@{} {}", p.repo, p.rev, p.commit))
            );
            for n in &id.notes {
                println!("     - {n}");
            }
        }
    }
    Ok(())
}
