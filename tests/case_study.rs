//! The case-study documents, checked from the documents alone (CI has no upstream snapshots):
//! every permalink and every cited commit is a full 40-hex commit pinned in archeo.lock, and
//! every archeo:begin region parses and is filled, no "not from the pins" prose remains, each
//! document opens with an executive summary, and the three share their terms. `archeo export
//! --check` against an index of the pins is the full check (the last section of each document).
//! The structure is measured: body length, block share, long table lines outside folds, links to
//! headings, and the gate commands of fenced blocks, run as written on fixture images.

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

// ---------------------------------------------------------------------------------------------
// Structure, measured: the argument first and short, the evidence after it.

/// A document split into the part before `## Appendices` (the body and its blocks) and the rest.
struct Measured {
    /// Lines before the appendices that are not inside an archeo block.
    body_lines: usize,
    /// Characters before the appendices inside archeo blocks (markers included).
    block_chars: usize,
    /// Characters before the appendices.
    chars: usize,
    /// (line number, length) of table lines outside `<details>`, anywhere in the document.
    table_lines: Vec<(usize, usize)>,
    has_appendices: bool,
}

fn measure(text: &str) -> Measured {
    let mut m = Measured {
        body_lines: 0,
        block_chars: 0,
        chars: 0,
        table_lines: Vec::new(),
        has_appendices: false,
    };
    let (mut in_block, mut details, mut fence) = (false, 0usize, false);
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        }
        if !fence && line.starts_with("## Appendices") {
            m.has_appendices = true;
        }
        if !fence && line.starts_with("<!-- archeo:begin") {
            in_block = true;
        }
        details += line.matches("<details").count();
        if !m.has_appendices {
            m.chars += line.len() + 1;
            if in_block {
                m.block_chars += line.len() + 1;
            } else {
                m.body_lines += 1;
            }
        }
        if line.starts_with('|') && details == 0 {
            m.table_lines.push((i + 1, line.chars().count()));
        }
        details = details.saturating_sub(line.matches("</details>").count());
        if !fence && line.starts_with("<!-- archeo:end") {
            in_block = false;
        }
    }
    m
}

/// The technical analysis reads in ten minutes (about 350 body lines), each PRD's body is at
/// most 200 lines, and archeo blocks are at most 35% of what comes before the appendices.
#[test]
fn bodies_are_short_and_blocks_do_not_drown_them() {
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let m = measure(&text);
        let name = doc.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            m.has_appendices,
            "{name}: the evidence goes under '## Appendices'"
        );
        let cap = if name == "technical-analysis.md" {
            350
        } else {
            200
        };
        assert!(
            m.body_lines <= cap,
            "{name}: the body has {} lines (at most {cap})",
            m.body_lines
        );
        assert!(
            m.block_chars * 100 <= m.chars * 35,
            "{name}: archeo blocks are {} of the {} characters before the appendices (at most 35%)",
            m.block_chars,
            m.chars
        );
        // The appendices hold the evidence: most blocks stand there.
        let blocks = archeo::report::export::parse_blocks(&doc, &text).unwrap();
        let start = text.find("\n## Appendices").unwrap();
        let in_appendices = blocks
            .iter()
            .filter(|b| {
                text.lines()
                    .take(b.line)
                    .map(|l| l.len() + 1)
                    .sum::<usize>()
                    > start
            })
            .count();
        assert!(
            in_appendices * 2 >= blocks.len(),
            "{name}: {in_appendices} of {} blocks in the appendices",
            blocks.len()
        );
    }
}

/// No table line over 400 characters outside a `<details>` fold: a long table is folded (the
/// compact form does that for its own) or written as a list.
#[test]
fn no_long_table_line_outside_a_fold() {
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (line, len) in measure(&text).table_lines {
            assert!(
                len <= 400,
                "{}:{line}: a table line of {len} characters outside <details>",
                doc.display()
            );
        }
    }
}

/// The anchor GitHub gives a heading: lower case, punctuation other than `-` and `_` dropped,
/// spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> HashSet<String> {
    let mut fence = false;
    let mut out = HashSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        }
        if !fence && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// Every link to a heading resolves: `](#anchor)` in the same document, and
/// `](other.md#anchor)` / `](other.md)` between the three.
#[test]
fn every_link_to_a_heading_resolves() {
    let link = regex::Regex::new(r"\]\(([a-z0-9-]+\.md)?(?:#([^)\s]+))?\)").unwrap();
    let dir = Path::new("docs/case-study/runc-1.3.3-sysbox");
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let own = anchors(&text);
        for (i, line) in text.lines().enumerate() {
            for c in link.captures_iter(line) {
                let (file, anchor) = (c.get(1), c.get(2));
                if file.is_none() && anchor.is_none() {
                    continue;
                }
                let target = match file {
                    Some(f) => {
                        let p = dir.join(f.as_str());
                        assert!(
                            p.exists(),
                            "{}:{}: {} does not exist",
                            doc.display(),
                            i + 1,
                            f.as_str()
                        );
                        anchors(&std::fs::read_to_string(p).unwrap())
                    }
                    None => own.clone(),
                };
                if let Some(a) = anchor {
                    assert!(
                        target.contains(a.as_str()),
                        "{}:{}: #{} names no heading",
                        doc.display(),
                        i + 1,
                        a.as_str()
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "{checked} links checked");
}

/// Each document says which file of the request it answers, before its summary.
#[test]
fn each_document_names_the_request_file_it_answers() {
    for (name, spec) in [
        ("technical-analysis.md", "fn-20-6fe-technical-analysis.md"),
        (
            "prd-runc-downgrade-workaround.md",
            "prd-runc-downgrade-workaround.md",
        ),
        ("prd-sysbox-dind-fix.md", "prd-sysbox-dind-fix.md"),
    ] {
        let text =
            std::fs::read_to_string(Path::new("docs/case-study/runc-1.3.3-sysbox").join(name))
                .unwrap();
        let head = &text[..text.find("## Executive summary").unwrap()];
        assert!(
            head.contains("This document answers the request's")
                && head.contains(&format!("`.flow/specs/{spec}`")),
            "{name} does not say it answers .flow/specs/{spec}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The gate commands the documents give are the ones a test runs.

/// The `archeo identify` lines of the documents' fenced shell blocks.
fn fenced_identify_commands() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let mut fence = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                fence = !fence;
                continue;
            }
            if fence && line.trim_start().starts_with("archeo identify ") {
                out.push((
                    doc.file_name().unwrap().to_string_lossy().into_owned(),
                    line.trim().to_string(),
                ));
            }
        }
    }
    out
}

/// A runc-shaped project: v1.3.2 writes sysctls by path (`writeSystemProperty`), v1.3.3 through
/// a procfs handle (`WriteSysctls`), pinned as https://github.com/acme/runc and indexed.
fn runc_like() -> (crate::common::Workspace, Vec<String>) {
    use crate::common::*;
    let ws = Workspace::new();
    let up = ws.repo("runc");
    up.write("go.mod", "module github.com/acme/runc\n\ngo 1.22\n");
    up.write(
        "main.go",
        "package main\n\nimport \"github.com/acme/runc/libct\"\n\nfunc main() {\n\tlibct.Init()\n}\n",
    );
    up.write(
        "libct/init.go",
        "package libct\n\nimport \"os\"\n\n// Init prepares.\nfunc Init() error {\n\treturn writeSystemProperty(\"net.ipv4.ip_unprivileged_port_start\", \"0\")\n}\n\nfunc writeSystemProperty(key, value string) error {\n\tkeyPath := \"/proc/sys/\" + key\n\treturn os.WriteFile(keyPath, []byte(value), 0o644)\n}\n",
    );
    let old = up.commit("v1.3.2");
    up.tag("v1.3.2");
    up.write(
        "libct/init.go",
        "package libct\n\nimport \"github.com/acme/runc/internal/sys\"\n\n// Init prepares.\nfunc Init() error {\n\treturn sys.WriteSysctls(map[string]string{\"net.ipv4.ip_unprivileged_port_start\": \"0\"})\n}\n",
    );
    up.write(
        "internal/sys/sysctl.go",
        "package sys\n\nimport \"os\"\n\nfunc procfsOpenRoot(path string, flags int) (*os.File, error) {\n\treturn os.OpenFile(\"/proc/\"+path, flags, 0)\n}\n\n// WriteSysctls writes each key through the procfs handle.\nfunc WriteSysctls(sysctls map[string]string) error {\n\tfor key, value := range sysctls {\n\t\tf, err := procfsOpenRoot(\"sys/\"+key, os.O_WRONLY)\n\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n\t\tf.WriteString(value)\n\t\tf.Close()\n\t}\n\treturn nil\n}\n",
    );
    let new = up.commit("v1.3.3");
    up.tag("v1.3.3");
    ws.manifest(
        "[[repo]]\nname = \"runc\"\nurl = \"https://github.com/acme/runc\"\nrevs = [\"v1.*\"]\n",
    );
    for cmd in [&["fetch"][..], &["index"][..]] {
        let (code, _, err) = run(github_archeo(&ws).args(cmd));
        assert_eq!(code, 0, "{err}");
    }
    (ws, vec![old, new])
}

fn runc_binary(commit: &str, functions: &[(&str, &str, u32, u32)]) -> Vec<u8> {
    use crate::artifact_fixtures::{FixtureFunc, Format, GoBinary, Pclntab};
    let funcs = functions
        .iter()
        .map(|(name, file, start, end)| {
            let full = if name.starts_with("main.") {
                name.to_string()
            } else {
                format!("github.com/acme/runc/{name}")
            };
            FixtureFunc::new(&full, &format!("/src/runc/{file}"), *start, *end)
        })
        .collect();
    GoBinary::new(
        Format::Inline,
        &format!(
            "path\tgithub.com/acme/runc\nmod\tgithub.com/acme/runc\t(devel)\t\nbuild\tvcs=git\nbuild\tvcs.revision={commit}\nbuild\tvcs.modified=false\n"
        ),
    )
    .with_functions(Pclntab::Go120, funcs, &[])
    .build()
}

/// PRD-A's gate, run as written: every `archeo identify` line of a fenced block, its file
/// argument replaced by a fixture (a runc copied out of an image, or the image saved with
/// `docker save`, holding other Go binaries too). A runc outside the affected set passes (0); one
/// in it fails the build (3). The `docker` lines around them need Docker and are not run here.
#[test]
fn the_documents_gate_commands_run_as_written_on_fixture_images() {
    use crate::artifact_fixtures::{docker_save, tar};
    use crate::common::*;
    let commands = fenced_identify_commands();
    assert!(
        commands
            .iter()
            .filter(|(d, _)| d == "prd-runc-downgrade-workaround.md")
            .count()
            >= 2,
        "PRD-A gives the gate in both forms: {commands:?}"
    );
    let (ws, commits) = runc_like();
    let old = runc_binary(
        &commits[0],
        &[
            ("main.main", "main.go", 5, 7),
            ("libct.Init", "libct/init.go", 6, 8),
            ("libct.writeSystemProperty", "libct/init.go", 10, 13),
        ],
    );
    let new = runc_binary(
        &commits[1],
        &[
            ("main.main", "main.go", 5, 7),
            ("libct.Init", "libct/init.go", 6, 8),
            (
                "internal/sys.procfsOpenRoot",
                "internal/sys/sysctl.go",
                5,
                7,
            ),
            (
                "internal/sys.WriteSysctls",
                "internal/sys/sysctl.go",
                10,
                20,
            ),
        ],
    );
    // Another Go program of the image, from a module no pin names.
    let other = crate::artifact_fixtures::GoBinary::new(
        crate::artifact_fixtures::Format::Inline,
        "path\texample.com/daemon\nmod\texample.com/daemon\tv0.1.0\th1:x=\n",
    )
    .build();
    for (name, bin, want) in [("outside", &old, 0), ("inside", &new, 3)] {
        let dir = ws.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("runc"), bin).unwrap();
        let layer = tar(
            &[
                ("usr/bin/runc", bin.as_slice()),
                ("usr/bin/dockerd", other.as_slice()),
            ],
            &[],
        );
        std::fs::write(dir.join("image.tar"), docker_save(&[layer])).unwrap();
        for (doc, line) in &commands {
            let words = shell_words(line);
            assert_eq!(words[..2], ["archeo", "identify"], "{doc}: {line}");
            let args: Vec<String> = words[2..]
                .iter()
                .map(|w| match w.as_str() {
                    "./runc" | "runc" => dir.join("runc").display().to_string(),
                    "image.tar" => dir.join("image.tar").display().to_string(),
                    _ => w.clone(),
                })
                .collect();
            let mut argv = vec!["identify".to_string()];
            argv.extend(args);
            let (code, out, err) = run(github_archeo(&ws).args(&argv));
            assert_eq!(
                code, want,
                "{doc}: `{line}` on a runc {name} the affected set:\n{out}{err}"
            );
            if want == 3 {
                assert!(
                    err.contains("WriteSysctls") && err.contains("runc@v1.3.3"),
                    "{doc}: {err}"
                );
            } else {
                // Passed because the runc was placed at v1.3.2 and holds no WriteSysctls, not
                // because nothing was read.
                assert!(
                    err.contains("gate passes") && err.contains("runc@v1.3.2"),
                    "{doc}: {out}{err}"
                );
            }
        }
    }
}

/// A shell line split into words (single and double quotes; no expansions needed here).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, '#') if cur.is_empty() && !any => break,
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// No fenced command prints a binary with `docker run IMAGE cat`: the images' entrypoint is
/// `/sbin/init` or a start script, so such a line never prints runc.
#[test]
fn no_gate_reads_a_binary_through_docker_run() {
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let mut fence = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fence = !fence;
                continue;
            }
            assert!(
                !(fence && line.contains("docker run") && line.contains(" cat ")),
                "{}:{}: {line}",
                doc.display(),
                i + 1
            );
        }
    }
}

/// README's first command ends with `export --check` of the three documents and says what it
/// prints: the block count there is the documents' own.
#[test]
fn the_readme_counts_the_documents_blocks() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let said = regex::Regex::new(r"`(\d+) documents, (\d+) blocks: all current`")
        .unwrap()
        .captures(&readme)
        .expect("README says what export --check prints");
    let mut blocks = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        blocks += archeo::report::export::parse_blocks(&doc, &text)
            .unwrap()
            .len();
    }
    assert_eq!(
        (
            said[1].parse::<usize>().unwrap(),
            said[2].parse::<usize>().unwrap()
        ),
        (documents().len(), blocks),
        "README's sentence is stale"
    );
}
