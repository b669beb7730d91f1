//! The case-study documents, checked from the documents alone (CI has no upstream snapshots):
//! every permalink and every cited commit is a full 40-hex commit pinned in archeo.lock, and
//! every archeo:begin region parses and is filled, no "not from the pins" prose remains, each
//! document opens with an executive summary, and the three share their terms. `archeo export
//! --check` against an index of the pins is the full check (the last section of each document).

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
    // Link targets only: quoted upstream code may hold URLs of its own (`.../blob/master/...`).
    let link =
        regex::Regex::new(r"\]\(https://github\.com/[^/\s]+/[^/\s]+/blob/([^/\s)]+)/").unwrap();
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

/// Every full 40-hex commit id anywhere in a document (prose, tables, captions, permalinks) is
/// pinned: a commit that is not a pin is cited by a short id with the command that shows it.
#[test]
fn every_full_commit_id_anywhere_is_pinned() {
    let pinned = lock_commits();
    let full = regex::Regex::new(r"\b[0-9a-f]{40}\b").unwrap();
    let mut seen = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (i, line) in text.lines().enumerate() {
            for m in full.find_iter(line) {
                assert!(
                    pinned.contains(m.as_str()),
                    "{}:{}: {} is not pinned in archeo.lock (cite a pin, or a short id labelled [history])",
                    doc.display(),
                    i + 1,
                    m.as_str()
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 100, "{seen} full commit ids checked");
}

/// Prose that says a fact could not come from the pins is gone wherever a pin now exists: what
/// is not a block or a citation carries one of the labels instead.
#[test]
fn no_not_from_the_pins_prose() {
    let stale = regex::Regex::new(
        r"(?i)(not|never|cannot be checked) (derived |checked |taken )?from the pins?\b|outside the pins|\(not from\b",
    )
    .unwrap();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (i, line) in text.lines().enumerate() {
            assert!(
                !stale.is_match(line),
                "{}:{}: unlabelled 'not from the pins' prose: {line}",
                doc.display(),
                i + 1
            );
        }
    }
}

/// Each document opens with an executive summary: its first section, before any evidence
/// block, short enough to read in half a page, saying what broke, why, what to do and who acts.
#[test]
fn each_document_starts_with_an_executive_summary() {
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let first_section = text
            .lines()
            .find(|l| l.starts_with("## "))
            .unwrap_or_else(|| panic!("{} has no sections", doc.display()));
        assert_eq!(
            first_section,
            "## Executive summary",
            "{}: the first section must be the executive summary",
            doc.display()
        );
        let start = text.find("## Executive summary").unwrap();
        let body_end = text[start + 3..]
            .find("\n## ")
            .map_or(text.len(), |e| start + 3 + e);
        let summary = &text[start..body_end];
        assert!(
            !text[..body_end].contains("<!-- archeo:begin"),
            "{}: an evidence block comes before the summary ends",
            doc.display()
        );
        let words = summary.split_whitespace().count();
        assert!(
            (120..=520).contains(&words),
            "{}: the summary has {words} words (half a page is 120..520)",
            doc.display()
        );
        for part in ["What broke", "Why", "What to do", "Who acts"] {
            assert!(
                summary.contains(&format!("**{part}")),
                "{}: the summary lacks its '{part}' paragraph",
                doc.display()
            );
        }
    }
}

/// Claims that are neither a block nor a citation are labelled, and an unverified one names
/// the probe that would settle it.
#[test]
fn unverified_claims_name_their_probe() {
    let mut labelled = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for para in text.split("\n\n") {
            if para.contains("**[unverified]**") {
                let p = para.to_lowercase();
                assert!(
                    p.contains("probe") || p.contains("gate"),
                    "{}: an [unverified] claim without the probe that settles it:\n{para}",
                    doc.display()
                );
                labelled += 1;
            }
        }
    }
    assert!(labelled >= 5, "{labelled} unverified claims");
}

/// The release that matters comes first: in each document, an explain block at runc v1.3.3
/// precedes any explain block over every runc release (whose sites are cited at main).
#[test]
fn explain_at_v1_3_3_comes_before_the_wide_one() {
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let blocks = archeo::report::export::parse_blocks(&doc, &text).unwrap();
        let explains: Vec<&Vec<String>> = blocks
            .iter()
            .map(|b| &b.args)
            .filter(|a| a.first().is_some_and(|c| c == "explain"))
            .collect();
        let first_wide = explains
            .iter()
            .position(|a| a.windows(2).any(|w| w[0] == "--repo" && w[1] == "runc"));
        if let Some(wide) = first_wide {
            let at_133 = explains.iter().position(|a| {
                a.windows(2)
                    .any(|w| w[0] == "--at" && w[1] == "runc@v1.3.3")
            });
            assert!(
                at_133.is_some_and(|p| p < wide),
                "{}: the explain block at runc@v1.3.3 must come before the one over every release",
                doc.display()
            );
        }
    }
}

/// One term per concept: the three documents share the terms the analysis defines, and the
/// PRDs agree on scope (PRD-A is for unfixed hosts; PRD-B's table names PRD-A only there).
#[test]
fn the_documents_share_their_terms_and_scope() {
    let read = |name: &str| {
        std::fs::read_to_string(Path::new("docs/case-study/runc-1.3.3-sysbox").join(name)).unwrap()
    };
    let analysis = read("technical-analysis.md");
    let prd_a = read("prd-runc-downgrade-workaround.md");
    let prd_b = read("prd-sysbox-dind-fix.md");
    for term in [
        "affected set",
        "Sysbox fix",
        "unfixed host",
        "ContainAI Sysbox build",
        "inner runc",
    ] {
        for (name, text) in [
            ("technical-analysis.md", &analysis),
            ("PRD-A", &prd_a),
            ("PRD-B", &prd_b),
        ] {
            assert!(text.contains(term), "{name} does not use the term '{term}'");
        }
    }
    // The superseded framings of the request are gone.
    for (name, text) in [
        ("technical-analysis.md", &analysis),
        ("PRD-A", &prd_a),
        ("PRD-B", &prd_b),
    ] {
        assert!(
            !text.contains("Sysbox < 0.7.0 =>") && !text.contains("compare with **0.7.0**"),
            "{name} still detects the fix by version number"
        );
        assert!(
            !text.contains("Docker sets it for containers that map ports"),
            "{name} still says Docker sets the sysctl for containers that map ports"
        );
    }
    // PRD-B's host table names PRD-A on the unfixed row only.
    let table: Vec<&str> = prd_b
        .lines()
        .skip_while(|l| !l.starts_with("| host Sysbox"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(table.len() >= 5, "PRD-B has its host table");
    for row in &table[2..] {
        if row.contains("PRD-A") {
            assert!(
                row.contains("**no**"),
                "PRD-B names PRD-A on a fixed host's row: {row}"
            );
        }
    }
    assert!(
        prd_a.contains("Unfixed hosts only"),
        "PRD-A states its scope"
    );
}
