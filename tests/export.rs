//! `archeo evidence` and `archeo export` on fixture repositories: golden outputs, byte-exact
//! regeneration, idempotence, --check, and every error leaving the file untouched.

use crate::common;

use common::*;

fn indexed() -> (Workspace, GitRepo, Vec<String>) {
    let (ws, up, commits) = fetched_project("\"v1.*\"");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    (ws, up, commits)
}

#[test]
fn evidence_table_and_list_styles() {
    let (ws, _, commits) = indexed();
    let (code, table, err) = archeo(&ws, &["evidence", "--rule", "openat2-resolve-no-xdev"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        table.contains(&format!("`proj@v1.2.0` = `{}`", commits[2])),
        "{table}"
    );
    insta::assert_snapshot!("evidence_rule_table", table);
    let (code, list, _) = archeo(
        &ws,
        &[
            "evidence",
            "\"unsafe procfs detected\"",
            "--style",
            "list",
            "-C",
            "1",
            "--at",
            "proj@v1.0.0",
        ],
    );
    assert_eq!(code, 0);
    insta::assert_snapshot!("evidence_search_list", list);
    // Deterministic: byte-identical on a second run.
    assert_eq!(
        archeo(&ws, &["evidence", "--rule", "openat2-resolve-no-xdev"]).1,
        table
    );
    // A branch is always shown with the commit it was pinned to.
    let (ws2, _, c2) = fetched_project("\"main\"");
    assert_eq!(archeo(&ws2, &["index"]).0, 0);
    let (_, out, _) = archeo(&ws2, &["evidence", "WriteSysctls"]);
    assert!(
        out.contains(&format!("`proj@main` = `{}` (branch, as pinned)", c2[2])),
        "{out}"
    );
}

#[test]
fn pipes_and_backticks_never_break_the_table() {
    let ws = Workspace::new();
    let up = ws.repo("tick");
    up.write("q.go", "package q\n\nconst usage = `run | grep` + \"x\"\n");
    up.commit("one");
    up.tag("v1");
    ws.manifest(&format!(
        "[[repo]]\nname = \"tick\"\nurl = \"{}\"\nrevs = [\"v1\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let (code, out, _) = archeo(&ws, &["evidence", "usage"]);
    assert_eq!(code, 0);
    let row = out.lines().find(|l| l.starts_with("| tick@v1")).unwrap();
    assert!(
        row.contains("`` const usage = `run \\| grep` + \"x\" ``"),
        "{row}"
    );
    // Cells: the row splits into exactly four on unescaped pipes.
    let cells = row.replace("\\|", "").matches('|').count();
    assert_eq!(cells, 5, "{row}");
}

const DOC: &str = "# Analysis\n\nIntro text, kept as is.\n\n<!-- archeo:begin --rule openat2-resolve-no-xdev -->\nstale\n<!-- archeo:end -->\n\nMiddle | text with `code`.\n\n<!-- archeo:begin '\"unsafe procfs detected\"' --at proj@v1.2.0 --style list -->\n<!-- archeo:end -->\n\nThe end, no trailing newline";

#[test]
fn export_regenerates_blocks_keeps_every_other_byte_and_is_idempotent() {
    let (ws, _, _) = indexed();
    let doc = ws.path().join("doc.md");
    std::fs::write(&doc, DOC).unwrap();
    let crlf = ws.path().join("crlf.md");
    std::fs::write(&crlf, DOC.replace('\n', "\r\n")).unwrap();
    let (code, _, err) = archeo(&ws, &["export", "doc.md", "crlf.md"]);
    assert_eq!(code, 0, "{err}");
    let out = std::fs::read_to_string(&doc).unwrap();
    insta::assert_snapshot!("export_document", out);
    // Outside the blocks, nothing moved.
    assert!(out.starts_with("# Analysis\n\nIntro text, kept as is.\n\n<!-- archeo:begin --rule openat2-resolve-no-xdev -->\n**Evidence**"));
    assert!(out.contains("<!-- archeo:end -->\n\nMiddle | text with `code`.\n\n<!-- archeo:begin"));
    assert!(out.ends_with("<!-- archeo:end -->\n\nThe end, no trailing newline"));
    let crlf_out = std::fs::read_to_string(&crlf).unwrap();
    assert_eq!(
        crlf_out,
        out.replace('\n', "\r\n"),
        "a CRLF file stays CRLF, with the same content"
    );
    // Idempotent, and --check agrees.
    let (code, _, _) = archeo(&ws, &["export", "doc.md", "crlf.md"]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&doc).unwrap(), out);
    assert_eq!(std::fs::read_to_string(&crlf).unwrap(), crlf_out);
    let (code, stdout, stderr) = archeo(&ws, &["export", "--check", "doc.md", "crlf.md"]);
    assert_eq!(code, 0, "{stdout}");
    // Success says what was checked.
    assert!(
        stderr.contains("2 documents, 4 blocks: all current"),
        "{stderr}"
    );
    // Permissions are kept.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&doc, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::write(&doc, DOC).unwrap();
    assert_eq!(archeo(&ws, &["export", "doc.md"]).0, 0);
    assert_eq!(
        std::fs::metadata(&doc).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn check_lists_stale_blocks_with_a_diff_and_changes_nothing() {
    let (ws, _, _) = indexed();
    let doc = ws.path().join("doc.md");
    std::fs::write(&doc, DOC).unwrap();
    let (code, out, _) = archeo(&ws, &["export", "--check", "doc.md"]);
    assert_eq!(code, 1);
    assert!(out.contains("doc.md:5: stale evidence block"), "{out}");
    assert!(out.contains("doc.md:11: stale evidence block"), "{out}");
    assert!(
        out.contains("-stale") && out.contains("+**Evidence**"),
        "{out}"
    );
    assert!(
        out.contains("2 of 2 blocks stale (1 document checked)"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&doc).unwrap(), DOC);
}

#[test]
fn errors_name_the_file_and_line_and_leave_the_file_untouched() {
    let (ws, up, _) = indexed();
    let cases = [
        (
            "<!-- archeo:begin --rule x -->\n",
            "doc.md:1: archeo:begin has no matching",
        ),
        (
            "a\n<!-- archeo:end -->\n",
            "doc.md:2: archeo:end without an archeo:begin",
        ),
        (
            "<!-- archeo:begin --rule a -->\n<!-- archeo:begin --rule b -->\n<!-- archeo:end -->\n",
            "doc.md:2:",
        ),
        (
            "<!-- archeo:begin --bogus -->\n<!-- archeo:end -->\n",
            "doc.md:1: bad archeo:begin arguments",
        ),
        (
            "<!-- archeo:begin --rule no-such-rule -->\n<!-- archeo:end -->\n",
            "doc.md:1: unknown rule \"no-such-rule\"",
        ),
        (
            "x\n<!-- archeo:begin openat2 --at proj@v9.9.9 -->\n<!-- archeo:end -->\n",
            "doc.md:2: proj@v9.9.9 is not pinned",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(ws.path().join("doc.md"), text).unwrap();
        let (code, _, err) = archeo(&ws, &["export", "doc.md"]);
        assert_eq!(code, 2, "{text}");
        assert!(err.contains(want), "{text}: {err}");
        assert_eq!(
            std::fs::read_to_string(ws.path().join("doc.md")).unwrap(),
            text
        );
    }
    // The lock gains a revision the index does not have yet.
    up.write("extra.go", "package x\n");
    up.commit("next");
    up.tag("v1.3.0");
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    let text = "<!-- archeo:begin openat2 --at proj@v1.3.0 -->\n<!-- archeo:end -->\n";
    std::fs::write(ws.path().join("doc.md"), text).unwrap();
    let (code, _, err) = archeo(&ws, &["export", "doc.md"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("doc.md:1: the index lacks proj@v1.3.0"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("doc.md")).unwrap(),
        text
    );
}

#[test]
fn path_patterns_mean_the_same_for_findings_and_searches() {
    // `sys/` is a path prefix at any directory: it names internal/sys/ for rule evidence, for
    // search evidence and for `findings --path` alike.
    let (ws, _, _) = indexed();
    let (code, by_rule, err) = archeo(
        &ws,
        &["evidence", "--rule", "sysctl-write", "--path", "sys/"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(by_rule.contains("internal/sys/sysctl.go"), "{by_rule}");
    let (code, by_query, err) = archeo(&ws, &["evidence", "WriteSysctls", "--path", "sys/"]);
    assert_eq!(code, 0, "{err}");
    assert!(by_query.contains("internal/sys/sysctl.go"), "{by_query}");
    let (code, findings, err) = archeo(
        &ws,
        &["findings", "--rule", "sysctl-write", "--path", "sys/"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(findings.contains("internal/sys/sysctl.go"), "{findings}");
    // Anchored with a leading slash, `/sys/` is the root's sys/ only: nothing here.
    let (code, none, _) = archeo(
        &ws,
        &["findings", "--rule", "sysctl-write", "--path", "/sys/"],
    );
    assert_eq!(code, 1, "{none}");
    // A hostile pattern is refused with a clear error, not a panic.
    let (code, _, err) = archeo(&ws, &["findings", "--path", &"*".repeat(100_000)]);
    assert_eq!(code, 2);
    assert!(err.contains("path pattern is 100000 bytes long"), "{err}");
}

#[test]
fn evidence_lists_cap_each_code_block_unless_asked_for_more() {
    let (ws, _, _) = indexed();
    let args = [
        "evidence",
        "--rule",
        "sysctl-write",
        "--style",
        "list",
        "-C",
        "5",
    ];
    let block_lines = |md: &str| {
        let body: Vec<&str> = md
            .split("  ```go\n")
            .nth(1)
            .unwrap()
            .split("  ```\n")
            .next()
            .unwrap()
            .lines()
            .collect();
        body.len()
    };
    let (code, full, err) = archeo(&ws, &[&args[..], &["--max-lines", "0"]].concat());
    assert_eq!(code, 0, "{err}");
    let all = block_lines(&full);
    assert!(all > 3, "{full}");
    assert!(!full.contains("more line"), "{full}");
    let (code, capped, _) = archeo(&ws, &[&args[..], &["--max-lines", "3"]].concat());
    assert_eq!(code, 0);
    assert_eq!(block_lines(&capped), 3, "{capped}");
    assert!(
        capped.contains(&format!("… {} more lines at the permalink", all - 3)),
        "{capped}"
    );
    // The default cap (20) leaves this short block whole.
    assert_eq!(archeo(&ws, &args).1, full);
}

/// The go_project fixture pinned as https://github.com/acme/proj (so citations are GitHub
/// permalinks), fetched and indexed.
fn github_indexed() -> Workspace {
    let ws = Workspace::new();
    go_project(&ws);
    ws.manifest(
        "[[repo]]\nname = \"proj\"\nurl = \"https://github.com/acme/proj\"\nrevs = [\"v1.*\"]\n",
    );
    for cmd in [&["fetch"][..], &["index"][..]] {
        let (code, _, err) = run(github_archeo(&ws).args(cmd));
        assert_eq!(code, 0, "{err}");
    }
    ws
}

#[test]
fn document_blocks_are_compact_unless_full_is_asked() {
    let ws = github_indexed();
    let doc = ws.path().join("doc.md");
    let text = "# Doc\n\n<!-- archeo:begin timeline --rule openat2-resolve-no-xdev --repo proj -->\n<!-- archeo:end -->\n\n<!-- archeo:begin --full timeline --rule openat2-resolve-no-xdev --repo proj -->\n<!-- archeo:end -->\n";
    std::fs::write(&doc, text).unwrap();
    let (code, _, err) = archeo(&ws, &["export", "doc.md"]);
    assert_eq!(code, 0, "{err}");
    let out = std::fs::read_to_string(&doc).unwrap();
    let (compact, full) = out.split_once("<!-- archeo:begin --full").unwrap();
    // The compact form: reference links defined once at the end of the block, no long lines.
    assert!(
        compact.contains("][L") && compact.contains("]: https://github.com/acme/proj/blob/"),
        "{compact}"
    );
    assert!(!compact.contains("](https://"), "{compact}");
    assert!(compact.lines().all(|l| l.len() <= 400), "{compact}");
    // Revisions without the finding say so in one row, as a range over the table's order.
    assert!(
        compact.contains("| proj@v1.0.0..v1.1.0 (2 revs) |"),
        "{compact}"
    );
    assert!(
        compact.contains("<details><summary>The whole table: 3 rows</summary>"),
        "{compact}"
    );
    // `--full` keeps the printer's Markdown: inline links, one row per revision.
    assert!(
        full.contains("](https://github.com/acme/proj/blob/"),
        "{full}"
    );
    assert!(
        full.contains("| proj@v1.0.0 |") && !full.contains("<details>"),
        "{full}"
    );
    // Byte-exact regeneration: --check agrees, and a second export changes nothing.
    let (code, stdout, _) = archeo(&ws, &["export", "--check", "doc.md"]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(archeo(&ws, &["export", "doc.md"]).0, 0);
    assert_eq!(std::fs::read_to_string(&doc).unwrap(), out);
}

/// A line that stays put while its file changes is one hit per revision, ranked newest first;
/// the compact block merges them into ranges in revision order (oldest first, a revision that
/// says something else left out) and keeps the newest revision's place.
#[test]
fn compact_ranges_follow_revision_order_and_cite_the_newest() {
    let ws = Workspace::new();
    let up = ws.repo("up");
    let mut commits = Vec::new();
    for (tag, tail) in [
        ("v1.0.0", "// one\n"),
        ("v1.1.0", "// two\n"),
        ("v1.2.0", "// three\n"),
    ] {
        up.write(
            "f.go",
            format!("package p\n\nfunc F() {{ needle() }}\n{tail}"),
        );
        // v1.1.0 moves the line: the same text at another place, another row.
        if tag == "v1.1.0" {
            up.write(
                "f.go",
                format!("package p\n\n\nfunc F() {{ needle() }}\n{tail}"),
            );
        }
        commits.push(up.commit(tag));
        up.tag(tag);
    }
    ws.manifest(&format!(
        "[[repo]]\nname = \"up\"\nurl = \"{}\"\nrevs = [\"v1.*\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let doc = ws.path().join("doc.md");
    std::fs::write(&doc, "<!-- archeo:begin needle -->\n<!-- archeo:end -->\n").unwrap();
    let (code, _, err) = archeo(&ws, &["export", "doc.md"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&doc).unwrap();
    let shown = text.split("<details>").next().unwrap();
    assert!(shown.contains("| up@v1.0.0, v1.2.0 (2 revs) |"), "{text}");
    assert!(
        shown.contains(&format!("{}:f.go:3", commits[2])),
        "the newest's place: {text}"
    );
    assert!(shown.contains("| up@v1.1.0 ("), "{text}");
    let (code, out, err) = archeo(&ws, &["export", "--check", "doc.md"]);
    assert_eq!(code, 0, "{out}{err}");
    // Pinned commits have no order archeo knows: their rows are never merged into a range.
    ws.manifest(&format!(
        "[[repo]]\nname = \"up\"\nurl = \"{}\"\nrevs = [\"{}\", \"{}\"]\n",
        up.url(),
        &commits[2][..12],
        &commits[0][..12]
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let (code, _, err) = archeo(&ws, &["export", "doc.md"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&doc).unwrap();
    assert!(!text.contains("revs)"), "{text}");
    for c in [&commits[0], &commits[2]] {
        assert!(text.contains(&format!("| up@{} (`", &c[..12])), "{text}");
    }
}
