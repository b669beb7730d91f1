//! The query language against git grep on fixture repositories: regexes find every line
//! `git grep -E` finds at a revision and nothing else; exact literals keep punctuation; case,
//! OR, parentheses and exclusions mean what git grep's `-i`, `-e`, `--and`, `--not` mean;
//! `in:code` returns exactly the code lines of a file holding a term in comments, strings and
//! code. Also the text output: totals that ignore `--limit`, `#L` permalinks, `-l` and `-c`,
//! and a closed pipe.

use crate::common;

use std::collections::BTreeSet;

use common::*;

fn indexed() -> (Workspace, GitRepo, Vec<String>) {
    let (ws, up, commits) = fetched_project("\"v1.*\"");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    (ws, up, commits)
}

/// (path, line) pairs archeo finds for `query` at `rev`.
fn archeo_lines(ws: &Workspace, query: &str, rev: &str) -> BTreeSet<(String, u64)> {
    let (code, out, err) = archeo(
        ws,
        &[
            "search",
            query,
            "--at",
            &format!("proj@{rev}"),
            "--format",
            "json",
        ],
    );
    assert!(code == 0 || code == 1, "{query}: {err}");
    out.lines()
        .map(|l| {
            let h: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                h["cite"]["path"].as_str().unwrap().to_string(),
                h["cite"]["start"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// (path, line) pairs `git grep -n -I ARGS REV` reports (C locale).
fn git_grep(up: &GitRepo, args: &[&str], rev: &str) -> BTreeSet<(String, u64)> {
    let mut a = vec!["grep", "-n", "-I"];
    a.extend_from_slice(args);
    a.push(rev);
    let out = std::process::Command::new("git")
        .args(&a)
        .current_dir(&up.dir)
        .env("LC_ALL", "C")
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

const REVS: [&str; 3] = ["v1.0.0", "v1.1.0", "v1.2.0"];

#[test]
fn regexes_find_exactly_what_git_grep_e_finds() {
    let (ws, up, _) = indexed();
    let mut compared = 0;
    for re in [
        "open(at2|How)",
        "RESOLVE_[A-Z]+",
        "^func ",
        "^import",
        r"\)$",
        r"Openat2\(",
        r"unix\.O_[A-Z]+",
        r#""[a-z ]+""#,
        "err != nil",
        "[Ss]ysctl",
        "^[[:space:]]+return",
        "[0-9]{3}",
        "a.c",
        "^$",
        "x+y?z*",
        r"(\(|\[)[a-z]",
        "procfs|PROC",
    ] {
        for rev in REVS {
            let want = git_grep(&up, &["-E", "-e", re], rev);
            let got = archeo_lines(&ws, &format!("/{re}/ case:yes"), rev);
            assert_eq!(got, want, "/{re}/ case:yes at {rev}");
            let want = git_grep(&up, &["-i", "-E", "-e", re], rev);
            let got = archeo_lines(&ws, &format!("/{re}/"), rev);
            assert_eq!(got, want, "/{re}/ at {rev}");
            compared += want.len();
        }
    }
    assert!(
        compared > 250,
        "the comparison covered real matches ({compared})"
    );
}

#[test]
fn literals_case_or_and_exclusions_mean_what_git_grep_means() {
    let (ws, up, _) = indexed();
    let cases: &[(&str, &[&str])] = &[
        (r#""Openat2(""#, &["-i", "-F", "-e", "Openat2("]),
        (r#""Openat2(" case:yes"#, &["-F", "-e", "Openat2("]),
        (r#""openat2(" case:yes"#, &["-F", "-e", "openat2("]),
        (r#""%w\", key""#, &["-i", "-F", "-e", "%w\", key"]),
        ("unix.O_PATH", &["-i", "-F", "-e", "unix.O_PATH"]),
        (
            r#""RESOLVE_BENEATH" OR "O_PATH""#,
            &["-i", "-F", "-e", "RESOLVE_BENEATH", "-e", "O_PATH"],
        ),
        (
            r#""unix." -"O_PATH""#,
            &["-i", "-F", "-e", "unix.", "--and", "--not", "-e", "O_PATH"],
        ),
        (
            r#"("Openat2" OR "Errorf") "path""#,
            &[
                "-i", "-F", "(", "-e", "Openat2", "--or", "-e", "Errorf", ")", "--and", "-e",
                "path",
            ],
        ),
    ];
    for (q, args) in cases {
        for rev in REVS {
            let want = git_grep(&up, args, rev);
            assert_eq!(archeo_lines(&ws, q, rev), want, "{q} at {rev}");
        }
    }
    // A punctuated literal needs its punctuation: `Openat2` lines without `(` are not hits.
    let all = archeo_lines(&ws, "Openat2", "v1.2.0");
    let paren = archeo_lines(&ws, r#""Openat2(""#, "v1.2.0");
    assert!(
        paren.len() < all.len() && paren.is_subset(&all),
        "{paren:?} {all:?}"
    );
}

/// A Go file holding `Reopen` in comments, strings and code, with the code lines known.
const SCOPES_GO: &str = r#"package scope

// Reopen reopens the handle; see Reopen's doc.
/* Reopen
   Reopen in a block comment */
var reopenMsg = "Reopen failed"

func Reopen(h int) error { // Reopen again
	if err := doReopen(h); err != nil {
		return fmt.Errorf("Reopen(%d): %w", h, err)
	}
	x := `raw Reopen
Reopen on the next line`
	_ = x
	return Reopen(h - 1)
}

var r = 'R' // not Reopen
"#;

#[test]
fn scopes_return_exactly_the_code_comment_or_string_lines() {
    let ws = Workspace::new();
    let up = ws.repo("scope");
    up.write("scope.go", SCOPES_GO);
    up.write("README.md", "Reopen is documented here.\n");
    up.commit("v1");
    up.tag("v1.0.0");
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.0.0\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let lines = |q: &str| -> Vec<u64> {
        archeo_lines(&ws, q, "v1.0.0")
            .into_iter()
            .map(|(p, n)| {
                assert_eq!(p, "scope.go", "in: leaves out files without a grammar");
                n
            })
            .collect()
    };
    // `reopenMsg` and `doReopen` hold the term as a part; line 8 also has a comment.
    assert_eq!(lines("Reopen in:code"), [6, 8, 9, 15]);
    assert_eq!(lines("Reopen in:comment"), [3, 4, 5, 8, 18]);
    assert_eq!(lines("Reopen in:string"), [6, 10, 12, 13]);
    // `doReopen(` holds the literal too, as `git grep -F` would find it.
    assert_eq!(lines(r#""Reopen(" in:code"#), [8, 9, 15]);
    assert_eq!(lines("/Reopen\\(/ in:string"), [10]);
    // Without a scope, every line holding the term, README included.
    let all = archeo_lines(&ws, "Reopen", "v1.0.0");
    assert_eq!(all.len(), 12, "{all:?}");
}

#[test]
fn generated_files_rank_after_hand_written_ones() {
    let ws = Workspace::new();
    let up = ws.repo("gen");
    up.write(
        "zerrors_linux.go",
        "// mkerrors.sh -m64\n// Code generated by the command above; see README.md. DO NOT EDIT.\n\npackage unix\n\nconst EXDEV = 0x12 // Openat2 fails with it\n",
    );
    up.write(
        "open.go",
        "package unix\n\nfunc use() { Openat2(0, \"x\", nil) }\n",
    );
    up.commit("v1");
    up.tag("v1.0.0");
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.0.0\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let (_, out, _) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    let paths: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["cite"]["path"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(paths, ["open.go", "zerrors_linux.go"], "{out}");
}

#[test]
fn totals_ignore_limit_permalinks_have_lines_and_files_list() {
    let (ws, _, commits) = indexed();
    let (_, full, _) = archeo(&ws, &["search", "openat2"]);
    let (code, limited, _) = archeo(&ws, &["search", "openat2", "--limit", "2"]);
    assert_eq!(code, 0);
    let summary = |s: &str| s.lines().last().unwrap().to_string();
    let (a, b) = (summary(&full), summary(&limited));
    assert!(b.contains("(showing 2; raise --limit)"), "{b}");
    assert_eq!(
        a,
        b.replace(" (showing 2; raise --limit)", ""),
        "the summary counts every hit whatever --limit shows"
    );
    // Every permalink printed names its lines.
    let links: Vec<&str> = full
        .lines()
        .filter(|l| l.trim_start().starts_with("proj@") && l.contains(&commits[2][..8]))
        .collect();
    assert!(!links.is_empty(), "{full}");
    assert!(
        links.iter().all(|l| {
            let tail = l.rsplit(':').next().unwrap();
            tail.chars().next().is_some_and(|c| c.is_ascii_digit())
        }),
        "{links:?}"
    );
    // -l: one line per file version; -c: with its count, summing to the total.
    let (code, names, _) = archeo(&ws, &["search", "openat2", "-l"]);
    assert_eq!(code, 0);
    let (_, counts, _) = archeo(&ws, &["search", "openat2", "-c"]);
    let total: usize = counts
        .lines()
        .map(|l| l.rsplit(':').next().unwrap().parse::<usize>().unwrap())
        .sum();
    let hits: usize = a.split_whitespace().next().unwrap().parse().unwrap();
    assert_eq!(total, hits, "{counts}");
    assert_eq!(names.lines().count(), counts.lines().count());
    let files: usize = a
        .split(" in ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(names.lines().count(), files, "{names}\n{a}");
    assert!(names.lines().all(|l| l.starts_with("proj@v1.")), "{names}");
    let (code, _, err) = archeo(&ws, &["search", "openat2", "-l", "--format", "json"]);
    assert_eq!(code, 2);
    assert!(err.contains("-l and -c"), "{err}");
}

#[test]
fn a_closed_pipe_ends_quietly_with_exit_zero() {
    let ws = Workspace::new();
    let up = ws.repo("many");
    let body: String = (0..20_000)
        .map(|i| format!("// openat2 line {i}\n"))
        .collect();
    up.write("many.go", format!("package many\n{body}"));
    up.commit("v1");
    up.tag("v1.0.0");
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.0.0\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    for format in ["json", "text", "md"] {
        let mut c = ws.archeo();
        c.args(["search", "openat2", "--format", format])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut first = String::new();
        {
            use std::io::BufRead;
            let out = child.stdout.take().unwrap();
            std::io::BufReader::new(out).read_line(&mut first).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(!first.is_empty());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn an_error_written_to_a_closed_stderr_still_exits_two() {
    let ws = Workspace::new();
    for args in [
        &["search", "foo ("][..],
        &["search", "openat2"],
        &["explain", "x", "--at", "nowhere@v1"],
    ] {
        // A pipe whose reading end is closed before archeo starts: writing the error fails
        // (EPIPE). The exit code must still say "error", not a panic's 101.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = archeo_command()
            .args(args)
            .current_dir(ws.path())
            .env_remove("ARCHEO_INDEX_DIR")
            .stdout(std::process::Stdio::null())
            .stderr(writer)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}");
    }
}
