//! `archeo search` on fixture repositories, including the correctness bar against git grep.

use crate::common;

use std::collections::BTreeSet;

use common::*;

fn indexed() -> (Workspace, GitRepo, Vec<String>) {
    let (ws, up, commits) = fetched_project("\"v1.*\"");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    (ws, up, commits)
}

/// The `hit` records of `search --format json`, each with its citation's fields lifted beside
/// `text` and `symbol` (and `line` = the cited line) so the assertions below read flat.
fn json_hits(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| {
            let mut rec: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(rec["type"], "hit", "{l}");
            let cite = rec["cite"].as_object().expect("every hit cites").clone();
            let m = rec.as_object_mut().unwrap();
            m.insert("line".into(), cite["start"].clone());
            m.extend(cite);
            rec
        })
        .collect()
}

/// (path, line) pairs git grep reports for `args` at `rev`, leaving out binary matches.
fn git_grep(up: &GitRepo, args: &[&str], rev: &str) -> BTreeSet<(String, u64)> {
    let mut a = vec!["grep", "-n", "-I"];
    a.extend_from_slice(args);
    a.push(rev);
    let out = std::process::Command::new("git")
        .args(&a)
        .current_dir(&up.dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(&format!("{rev}:"))?;
            let mut it = rest.splitn(3, ':');
            Some((it.next()?.to_string(), it.next()?.parse().ok()?))
        })
        .collect()
}

#[test]
fn search_matches_git_grep_word_matches_and_never_more_than_substring_matches() {
    let (ws, up, _) = indexed();
    let mut compared = 0;
    for term in [
        "openat2",
        "OPENAT2",
        "Openat2",
        "RESOLVE_NO_XDEV",
        "resolve",
        "xdev",
        "sysctl",
        "path",
        "unix",
        "procfs",
        "errUnsafeProcfs",
        "o_path",
    ] {
        for rev in ["v1.0.0", "v1.1.0", "v1.2.0"] {
            let (_, out, err) = archeo(
                &ws,
                &[
                    "search",
                    term,
                    "--at",
                    &format!("proj@{rev}"),
                    "--format",
                    "json",
                ],
            );
            assert!(!err.contains("error"), "{err}");
            let got: BTreeSet<(String, u64)> = json_hits(&out)
                .iter()
                .map(|h| {
                    (
                        h["path"].as_str().unwrap().to_string(),
                        h["line"].as_u64().unwrap(),
                    )
                })
                .collect();
            let words = git_grep(&up, &["-i", "-w", "-e", term], rev);
            let substrings = git_grep(&up, &["-i", "-F", "-e", term], rev);
            compared += words.len();
            for w in &words {
                assert!(
                    got.contains(w),
                    "{term}@{rev}: git grep -w finds {w:?}, archeo does not"
                );
            }
            for g in &got {
                assert!(
                    substrings.contains(g),
                    "{term}@{rev}: archeo finds {g:?}, which git grep -i does not"
                );
            }
        }
    }
    assert!(
        compared > 60,
        "the comparison covered real matches ({compared})"
    );
}

#[test]
fn a_term_finds_identifier_parts() {
    let (ws, _, _) = indexed();
    let (code, out, _) = archeo(
        &ws,
        &[
            "search",
            "openat2",
            "--at",
            "proj@v1.0.0",
            "--path",
            "libct/",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let texts: Vec<String> = json_hits(&out)
        .iter()
        .map(|h| h["text"].as_str().unwrap().trim().to_string())
        .collect();
    assert!(texts.iter().any(|t| t.contains("SYS_OPENAT2")), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("openat2SyscallInfo")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("processOpenat2")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("unix.Openat2(")),
        "{texts:?}"
    );
}

#[test]
fn a_hit_is_shown_once_with_the_revisions_holding_it() {
    let (ws, _, commits) = indexed();
    let (_, out, _) = archeo(&ws, &["search", "WriteSysctls", "--format", "json"]);
    let hits = json_hits(&out);
    // Same blob in all three tags: one hit per line, not three.
    let def: Vec<&serde_json::Value> = hits
        .iter()
        .filter(|h| h["text"].as_str().unwrap().starts_with("func WriteSysctls"))
        .collect();
    assert_eq!(def.len(), 1, "{out}");
    let h = def[0];
    assert_eq!(h["repo"], "proj");
    assert_eq!(h["path"], "internal/sys/sysctl.go");
    assert_eq!(h["line"], 10);
    assert_eq!(h["symbol"], "WriteSysctls");
    assert!(h["vendored_module"].is_null());
    let revs: Vec<(&str, &str)> = h["revs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rev"].as_str().unwrap(), r["commit"].as_str().unwrap()))
        .collect();
    assert_eq!(
        revs,
        [
            ("v1.0.0", commits[0].as_str()),
            ("v1.1.0", commits[1].as_str()),
            ("v1.2.0", commits[2].as_str())
        ]
    );
    // A file URL, not GitHub: the plain repo@commit:path:line citation.
    assert_eq!(
        h["url"],
        format!("proj@{}:internal/sys/sysctl.go:10", commits[2])
    );
    let (_, text, _) = archeo(&ws, &["search", "WriteSysctls"]);
    assert!(text.contains("v1.0.0..v1.2.0 (3 revs)"), "{text}");
    assert!(
        text.contains("hits in 1 file version across 3 of 3 revisions searched"),
        "{text}"
    );
}

#[test]
fn ranking_puts_definitions_first_and_vendored_code_last_and_names_the_module() {
    let (ws, _, _) = indexed();
    let (_, out, _) = archeo(&ws, &["search", "lookupInRoot", "--format", "json"]);
    let hits = json_hits(&out);
    assert!(
        hits[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("func lookupInRoot"),
        "{out}"
    );
    let (_, out, _) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    let hits = json_hits(&out);
    let first_vendored = hits
        .iter()
        .position(|h| !h["vendored_module"].is_null())
        .unwrap();
    let defs = hits
        .iter()
        .take_while(|h| h["text"].as_str().unwrap().contains("func "))
        .count();
    assert!(
        hits[defs..first_vendored]
            .iter()
            .all(|h| h["vendored_module"].is_null()),
        "{out}"
    );
    assert!(
        hits[first_vendored..]
            .iter()
            .filter(|h| !h["text"].as_str().unwrap().contains("func "))
            .all(|h| !h["vendored_module"].is_null()),
        "{out}"
    );
    let newest = hits
        .iter()
        .find(|h| h["path"] == "vendor/example.com/securejoin/procfs.go")
        .unwrap();
    assert_eq!(
        newest["vendored_module"], "example.com/securejoin v0.5.1",
        "{out}"
    );
    let (_, out, _) = archeo(
        &ws,
        &["search", "openat2", "--no-vendor", "--format", "json"],
    );
    assert!(!out.contains("vendor/"), "{out}");
}

#[test]
fn phrases_exclusions_and_field_filters() {
    let (ws, _, _) = indexed();
    let (code, out, _) = archeo(
        &ws,
        &["search", "\"unsafe procfs detected\"", "--format", "json"],
    );
    assert_eq!(code, 0);
    assert_eq!(
        json_hits(&out).len(),
        2,
        "one line in each of two file versions: {out}"
    );
    let (_, out, _) = archeo(
        &ws,
        &[
            "search",
            "openat2 -errUnsafeProcfs path:vendor/ lang:go",
            "--at",
            "proj@v1.2.0",
            "--format",
            "json",
        ],
    );
    assert!(
        json_hits(&out)
            .iter()
            .all(|h| h["path"].as_str().unwrap().starts_with("vendor/")),
        "{out}"
    );
    let (_, out, _) = archeo(
        &ws,
        &["search", "sym:WriteSysctls sysctl", "--format", "json"],
    );
    let hits = json_hits(&out);
    assert!(
        !hits.is_empty() && hits.iter().all(|h| h["symbol"] == "WriteSysctls"),
        "{out}"
    );
    let (_, out, _) = archeo(
        &ws,
        &[
            "search",
            "openat2 -path:vendor/ -path:legacy/",
            "--format",
            "json",
        ],
    );
    assert!(
        !out.contains("vendor/") && !out.contains("legacy/"),
        "{out}"
    );
    let (_, out, _) = archeo(&ws, &["search", "openat2 lang:text", "--format", "json"]);
    assert!(
        json_hits(&out)
            .iter()
            .all(|h| !h["path"].as_str().unwrap().ends_with(".go")),
        "{out}"
    );
}

#[test]
fn markdown_table_and_context_lines() {
    let (ws, _, commits) = indexed();
    let (code, out, _) = archeo(&ws, &["search", "RESOLVE_NO_XDEV", "--format", "md"]);
    assert_eq!(code, 0);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "| revisions | location | symbol | excerpt |"
    );
    assert_eq!(lines.next().unwrap(), "| --- | --- | --- | --- |");
    let row = lines.next().unwrap();
    assert!(
        row.contains(&format!(
            "proj@{}:vendor/example.com/securejoin/procfs.go:15",
            commits[2]
        )),
        "{row}"
    );
    assert!(
        row.contains("\\|"),
        "pipes in the excerpt are escaped: {row}"
    );
    assert_eq!(row.matches(" | ").count(), 3, "four cells: {row}");
    let (_, text, _) = archeo(&ws, &["search", "RESOLVE_NO_XDEV", "-C", "1"]);
    assert!(text.contains("14-\t\tFlags:"), "{text}");
    assert!(text.contains("15:\t\tResolve:"), "{text}");
    assert!(text.contains("16-\t})"), "{text}");
}

#[test]
fn exit_codes_and_errors() {
    let (ws, _, _) = indexed();
    let (code, out, _) = archeo(&ws, &["search", "nosuchidentifierxyz"]);
    assert_eq!(code, 1);
    assert!(out.contains("0 hits"), "{out}");
    let (code, _, err) = archeo(&ws, &["search", "\"unclosed"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("column 1") && err.contains("unclosed quote"),
        "{err}"
    );
    let (code, _, err) = archeo(&ws, &["search", "openat2", "--at", "proj@v9.9.9"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("proj@v9.9.9 is not pinned") && err.contains("proj: v1.0.0, v1.1.0, v1.2.0"),
        "{err}"
    );
    let (code, _, err) = archeo(&ws, &["search", "openat2", "--at", "nope@v1"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown repository \"nope\""), "{err}");
    let (code, out, _) = archeo(
        &ws,
        &[
            "search",
            "openat2",
            "--at",
            &format!(
                "proj@{}",
                &ws.lock_text()[ws.lock_text().find("commit = \"").unwrap() + 10..][..8]
            ),
        ],
    );
    assert_eq!(code, 0, "a commit prefix selects a revision: {out}");
    let (code, _, err) = archeo(&ws, &["--index-dir", "elsewhere", "search", "openat2"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "no index at {}: run `archeo index`",
            ws.path().join("elsewhere").display()
        )),
        "{err}"
    );
}

/// A generated Go file of many blocks (the shape of x/sys/unix's syscall tables): a few rare
/// names far apart, a comment and a string naming one of them, a common word on every line.
fn long_table() -> String {
    let mut s = String::from(
        "// Code generated by a table writer; DO NOT EDIT.\n\npackage unix\n\nconst (\n",
    );
    for i in 0..9000 {
        match i {
            1234 => s.push_str("\tSYS_OPENAT2 = 437 // the openat2 call\n"),
            5678 => s.push_str("\tSYS_FSOPEN = 430\n"),
            8000 => s.push_str("\tmsgOpenat2 = \"openat2 is not supported\"\n"),
            _ => s.push_str(&format!("\tSYS_CALL_{i} = {i} // syscall number\n")),
        }
    }
    s.push_str(")\n");
    s
}

#[test]
fn a_long_file_is_searched_exactly_whatever_blocks_its_text_is_stored_in() {
    let ws = Workspace::new();
    let up = ws.repo("tables");
    up.write("go.mod", "module example.com/tables\n\ngo 1.22\n");
    let table = long_table();
    assert!(table.len() > 200_000, "{} bytes: many blocks", table.len());
    up.write("zsysnum_linux_amd64.go", &table);
    up.commit("v1");
    up.tag("v1");
    ws.manifest(&format!(
        "[[repo]]\nname = \"tables\"\nurl = \"{}\"\nrevs = [\"v1\"]\n",
        up.url()
    ));
    assert_eq!(run(ws.archeo().arg("fetch")).0, 0);
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = table.lines().collect();
    for (query, grep) in [
        ("openat2", vec!["-i", "-F", "-e", "openat2"]),
        ("SYS_FSOPEN", vec!["-i", "-w", "-e", "SYS_FSOPEN"]),
        (
            "/SYS_CALL_[0-9]*77 =/",
            vec!["-E", "-i", "-e", "SYS_CALL_[0-9]*77 ="],
        ),
        ("syscall", vec!["-i", "-w", "-e", "syscall"]),
    ] {
        let (code, out, err) = archeo(
            &ws,
            &["search", query, "--format", "json", "--limit", "100000"],
        );
        assert_eq!(code, 0, "{query}: {err}");
        let got: BTreeSet<(String, u64)> = json_hits(&out)
            .iter()
            .map(|h| {
                let line = h["line"].as_u64().unwrap();
                assert_eq!(
                    h["text"].as_str().unwrap(),
                    lines[line as usize - 1],
                    "{query}: the text cited is the line's"
                );
                (h["path"].as_str().unwrap().to_string(), line)
            })
            .collect();
        let want = git_grep(&up, &grep, "v1");
        assert!(!want.is_empty(), "{query}");
        assert_eq!(got, want, "{query}: archeo and git grep");
    }
    // A scope and context lines on either side of a hit, read from the blocks around it.
    for (scope, line) in [("in:comment", 1234 + 6), ("in:string", 8000 + 6)] {
        let (code, out, err) = archeo(
            &ws,
            &["search", &format!("openat2 {scope}"), "--format", "json"],
        );
        assert_eq!(code, 0, "{scope}: {err}");
        let hits = json_hits(&out);
        assert_eq!(hits.len(), 1, "{scope}: {out}");
        assert_eq!(hits[0]["line"].as_u64(), Some(line), "{scope}");
    }
    let n = 5678 + 6;
    let (_, out, _) = archeo(
        &ws,
        &["search", "SYS_FSOPEN", "-C", "2", "--color", "never"],
    );
    for k in [n - 2, n - 1, n + 1, n + 2] {
        let want = format!("{k}-{}", lines[k - 1]);
        assert!(out.contains(&want), "{want:?} in {out}");
    }
    assert!(out.contains(&format!("{n}:{}", lines[n - 1])), "{out}");
}
