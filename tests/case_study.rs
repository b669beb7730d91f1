//! The case-study documents, checked from the documents alone (CI has no upstream snapshots):
//! every permalink and every cited commit is a full 40-hex commit pinned in archeo.lock, and
//! every archeo:begin region parses. `archeo export --check` against an index of the pins is
//! the full check (docs/case-study/README.md).

use std::collections::HashSet;
use std::path::Path;

fn lock_commits() -> HashSet<String> {
    let lock = archeo::source::lock::Lock::require(Path::new("archeo.lock"))
        .expect("archeo.lock is committed");
    lock.pins().into_iter().map(|p| p.commit).collect()
}

fn documents() -> Vec<std::path::PathBuf> {
    let dir = Path::new("docs/case-study/runc-1.3.3-sysbox");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    v.sort();
    v
}

#[test]
fn the_three_documents_exist() {
    let names: Vec<String> = documents()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "technical-analysis.md",
        "prd-runc-downgrade-workaround.md",
        "prd-sysbox-dind-fix.md",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
}

#[test]
fn every_permalink_and_cited_commit_is_pinned() {
    let pinned = lock_commits();
    let link = regex::Regex::new(r"https://github\.com/[^/\s]+/[^/\s]+/blob/([^/\s]+)/").unwrap();
    let cited = regex::Regex::new(r"`[A-Za-z0-9._-]+@[^`\s]+` = `([0-9a-f]+)`").unwrap();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (i, line) in text.lines().enumerate() {
            for c in link.captures_iter(line).chain(cited.captures_iter(line)) {
                let commit = &c[1];
                assert!(
                    commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()),
                    "{}:{}: {commit} is not a full commit id",
                    doc.display(),
                    i + 1
                );
                assert!(
                    pinned.contains(commit),
                    "{}:{}: {commit} is not pinned in archeo.lock",
                    doc.display(),
                    i + 1
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked > 50,
        "the documents cite pinned commits ({checked} checked)"
    );
}

#[test]
fn every_region_parses_and_is_filled() {
    let mut blocks = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let parsed = archeo::report::export::parse_blocks(&doc, &text).unwrap();
        for b in &parsed {
            archeo::cli::check_block_args(&b.args)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", doc.display(), b.line));
            assert!(
                !text[b.content.clone()].trim().is_empty(),
                "{}:{}: an empty block: run archeo export",
                doc.display(),
                b.line
            );
            blocks += 1;
        }
        assert!(
            text.contains("archeo export --check"),
            "{} ends with the commands that check it",
            doc.display()
        );
    }
    assert!(blocks >= 20, "{blocks} blocks");
}
