//! What a hostile user or upstream does to archeo (issue 19): sizes meant to hang or crash it,
//! messages meant to be slow, names and URLs meant to become live HTML or links in committed
//! documents, blocks meant to read standard input, markers hidden in code examples. Every test
//! runs the real binary; `ARCHEO_TEST_BIN` runs them against another one (to see them fail).

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::http::*;
use common::*;

/// Runs archeo with a hang guard: `None` when it did not finish within `secs`.
fn archeo_within(ws: &Workspace, args: &[&str], secs: u64) -> Option<(i32, String)> {
    archeo_fed(ws, args, "", secs)
}

/// [`archeo_within`] with `input` on standard input (arguments are limited to 128 KiB).
fn archeo_fed(ws: &Workspace, args: &[&str], input: &str, secs: u64) -> Option<(i32, String)> {
    let mut child = ws
        .archeo()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let code = wait_at_most(&mut child, secs)?;
    Some((code, reader.join().unwrap()))
}

fn indexed() -> Workspace {
    let (ws, _, _) = fetched_project("\"v1.*\"");
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    ws
}

#[test]
fn hostile_sizes_are_refused_at_once_with_a_clear_error() {
    let ws = indexed();
    let stars = "*".repeat(100_000);
    let path_q = format!("openat2 path:{stars}");
    let diff_q = format!("path:{}", "*".repeat(10_000));
    let long_q = "openat2 ".repeat(12_000);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["search", &path_q], "limit"),
        (vec!["search", "openat2", "--path", &stars], "limit"),
        (
            vec!["diff", "proj@v1.0.0", "proj@v1.2.0", "--search", &diff_q],
            "limit",
        ),
        (vec!["search", &long_q], "limit"),
    ];
    for (args, says) in cases {
        let (code, err) =
            archeo_within(&ws, &args, 60).unwrap_or_else(|| panic!("archeo {} hung", args[0]));
        assert_eq!(code, 2, "archeo {}: {err}", args[0]);
        assert!(err.contains(says), "archeo {}: {err}", args[0]);
    }
    // The manifest: a glob rev and an exclude of 100,000 wildcards are errors at their line.
    let url = ws
        .lock_text()
        .lines()
        .find_map(|l| l.strip_prefix("url = "))
        .unwrap()
        .to_string();
    for (field, line) in [
        (format!("revs = [\"{stars}\"]"), "archeo.toml:4:"),
        (
            format!("revs = [\"v1.*\"]\nexclude = [\"{stars}\"]"),
            "archeo.toml:5:",
        ),
    ] {
        ws.manifest(&format!(
            "[[repo]]\nname = \"proj\"\nurl = {url}\n{field}\n"
        ));
        let (code, err) = archeo_within(&ws, &["fetch"], 60).expect("fetch hung");
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(line) && err.contains("limit"), "{err}");
    }
}

/// A runtime error message as the fixture's code emits it.
const MESSAGE: &str = "open sysctl net.ipv4.ip_unprivileged_port_start file: unsafe procfs detected: openat2 /proc/sys/net/ipv4/ip_unprivileged_port_start: invalid cross-device link";

#[test]
fn explain_answers_large_messages_in_bounded_work() {
    let ws = indexed();
    // 78 KB of wrapped layers (an older archeo took minutes on this).
    let mut long = String::new();
    while long.len() < 78_000 {
        long.push_str(MESSAGE);
        long.push_str(": ");
    }
    long.push_str("invalid cross-device link");
    let (code, err) =
        archeo_fed(&ws, &["explain", "-"], &long, 120).expect("explain hung on 78 KB");
    assert!(code == 0 || code == 1, "{err}");
    // A megabyte: one huge layer is explained; a megabyte of layers is refused at once.
    let huge = format!(
        "open sysctl {} file: unsafe procfs detected",
        "x".repeat(1_000_000)
    );
    let (code, err) = archeo_fed(&ws, &["explain", "-"], &huge, 120).expect("explain hung on 1 MB");
    assert!(code == 0 || code == 1, "{err}");
    let mut many = String::new();
    while many.len() < 1_000_000 {
        many.push_str(MESSAGE);
        many.push_str(": ");
    }
    let (code, err) = archeo_fed(&ws, &["explain", "-"], &many, 60).expect("explain hung on 1 MB");
    assert_eq!(code, 2);
    assert!(
        err.contains("at most") && err.contains("one error"),
        "{err}"
    );
    let beyond = "y".repeat(2 << 20);
    let mut child = ws
        .archeo()
        .args(["explain", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(beyond.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bytes long"));
}

/// Strips code spans and fenced code: what is left is what a Markdown renderer interprets.
/// Lines end where CommonMark ends them (`\n`, `\r\n` or a lone `\r`), and a fence closes only
/// with its own character repeated at least as often, at most three spaces in.
fn rendered_markup(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<(char, usize)> = None;
    let fence_of = |line: &str| -> Option<(char, usize)> {
        let t = line.trim_start_matches(' ');
        if line.len() - t.len() > 3 {
            return None;
        }
        let c = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
        let n = t.chars().take_while(|x| *x == c).count();
        (n >= 3).then_some((c, n))
    };
    for line in md.split("\r\n").flat_map(|l| l.split(['\n', '\r'])) {
        if let Some((c, n)) = fence {
            if fence_of(line).is_some_and(|(c2, n2)| c2 == c && n2 >= n)
                && line.trim().trim_matches(c).is_empty()
            {
                fence = None;
            }
            continue;
        }
        if let Some(f) = fence_of(line) {
            fence = Some(f);
            continue;
        }
        let mut ticks = 0;
        let mut code = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' {
                chars.next();
                continue;
            }
            if c == '`' {
                let mut run = 1;
                while chars.peek() == Some(&'`') {
                    chars.next();
                    run += 1;
                }
                if !code {
                    code = true;
                    ticks = run;
                } else if run == ticks {
                    code = false;
                }
                continue;
            }
            if !code {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

/// Issue 32: an upstream file quoting archeo's own markers, and a line whose lone `\r` would
/// end the code fence a list-style evidence block quotes it in. The next export sees one block,
/// not a block the upstream file chose; `--check` passes; no quoted HTML is live.
#[test]
fn quoted_upstream_text_never_forms_markers_or_leaves_its_fence() {
    let ws = Workspace::new();
    let up = ws.repo("proj");
    up.write(
        "docs/notes.md",
        "# Notes\n\nneedle one\n<!-- archeo:end -->\n<!-- archeo:begin identify /etc -->\n    <!-- archeo:end -->\nneedle two x\r```\r<img src=x onerror=alert(1)>\n",
    );
    up.commit("v1");
    up.tag("v1.0.0");
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.*\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let doc = ws.path().join("doc.md");
    std::fs::write(
        &doc,
        "# Doc\n\n<!-- archeo:begin needle --style list -C 3 -->\n<!-- archeo:end -->\n",
    )
    .unwrap();
    let (code, _, err) = archeo(&ws, &["export", "doc.md"]);
    assert_eq!(code, 0, "{err}");
    let once = std::fs::read_to_string(&doc).unwrap();
    assert!(
        once.contains("needle one") && once.contains("identify /etc"),
        "{once}"
    );
    let (code, out, err) = archeo(&ws, &["export", "--check", "doc.md"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("1 document, 1 block: all current"), "{err}");
    assert_eq!(archeo(&ws, &["export", "doc.md"]).0, 0);
    assert_eq!(std::fs::read_to_string(&doc).unwrap(), once);
    assert!(!once.contains('\r'), "{once:?}");
    let live = rendered_markup(&once);
    assert!(!live.contains("<img"), "live HTML:\n{live}");
    assert_eq!(
        live.lines()
            .filter(|l| l.trim_start().starts_with("<!--"))
            .count(),
        2,
        "only the document's own markers are live:\n{live}"
    );
    // The same text pasted from `archeo evidence` carries no live marker either.
    let (_, printed, _) = archeo(&ws, &["evidence", "needle", "--style", "list", "-C", "3"]);
    let live = rendered_markup(&printed);
    assert!(!live.contains("<!--") && !live.contains("<img"), "{live}");
}

#[test]
fn markdown_carries_no_live_html_or_links_from_upstream_names() {
    let ws = Workspace::new();
    let up = ws.repo("proj");
    let body = "package evil\n\n// Openat2Probe calls openat2.\nfunc Openat2Probe() {}\n";
    up.write("<img src=x onerror=alert(1)>.go", body);
    up.write("x](javascript:alert(1)).go", body);
    up.write("ok.go", body);
    up.commit("v1");
    up.tag("v1.0.0");
    up.tag("v1.0.0-<b>bold</b>");
    // A manifest URL that would close a link and open a script tag is refused at its line.
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{})<script>\"\nrevs = [\"v1.*\"]\n",
        up.url()
    ));
    let (code, _, err) = archeo(&ws, &["fetch"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("archeo.toml:3:") && err.contains("not allowed"),
        "{err}"
    );
    // A github.com URL makes real permalinks; a mirror serves it here.
    ws.manifest(
        "[[repo]]\nname = \"proj\"\nurl = \"https://github.com/o/proj\"\nrevs = [\"v1.*\"]\n",
    );
    let mirror = |c: &mut std::process::Command| {
        c.env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", format!("url.{}.insteadOf", up.url()))
            .env("GIT_CONFIG_VALUE_0", "https://github.com/o/proj");
    };
    let mut c = ws.archeo();
    mirror(&mut c);
    let (code, _, err) = run(c.arg("fetch"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    std::fs::write(
        ws.path().join("doc.md"),
        "<!-- archeo:begin openat2 --style list -->\n<!-- archeo:end -->\n<!-- archeo:begin openat2 -->\n<!-- archeo:end -->\n",
    )
    .unwrap();
    assert_eq!(archeo(&ws, &["export", "doc.md"]).0, 0);
    let doc = std::fs::read_to_string(ws.path().join("doc.md")).unwrap();
    let (_, md, _) = archeo(&ws, &["search", "openat2", "--format", "md"]);
    let (_, pins, _) = archeo(&ws, &["pins", "--format", "md"]);
    for out in [&doc, &md, &pins] {
        let live = rendered_markup(out);
        assert!(
            !live.contains("<img") && !live.contains("<b>") && !live.contains("<script"),
            "live HTML in:\n{out}"
        );
        assert!(!live.contains("](javascript"), "a live link in:\n{out}");
    }
    assert!(
        doc.contains("%3Cimg%20src%3Dx"),
        "permalinks encode paths:\n{doc}"
    );
}

#[test]
fn blocks_never_read_standard_input() {
    let ws = indexed();
    let text = "# Doc\n<!-- archeo:begin explain -->\n<!-- archeo:end -->\n";
    std::fs::write(ws.path().join("d.md"), text).unwrap();
    // Whatever is piped in never lands in the document.
    let mut child = ws
        .archeo()
        .args(["export", "d.md"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"INJECTED\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never read standard input"));
    let now = std::fs::read_to_string(ws.path().join("d.md")).unwrap();
    assert!(!now.contains("INJECTED"), "{now}");
    // A standard input that never ends (`sleep 30 | archeo export d.md`) does not hang it.
    let mut child = ws
        .archeo()
        .args(["export", "d.md"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let held_open = child.stdin.take();
    let code = wait_at_most(&mut child, 20);
    drop(held_open);
    assert_eq!(code, Some(2), "export waited on standard input");
}

#[test]
fn markers_inside_fenced_code_blocks_are_text() {
    let ws = indexed();
    let text = "# How to\n\n```markdown\n<!-- archeo:begin --rule no-such-rule -->\n(generated)\n<!-- archeo:end -->\n```\n\n~~~\n<!-- archeo:begin unclosed example -->\n~~~\n\n<!-- archeo:begin --rule openat2-resolve-no-xdev -->\n<!-- archeo:end -->\n";
    std::fs::write(ws.path().join("d.md"), text).unwrap();
    let (code, out, err) = archeo(&ws, &["export", "--check", "d.md"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("d.md:13: stale"), "{out}");
    assert!(!out.contains("d.md:4") && !out.contains("d.md:10"), "{out}");
    assert_eq!(archeo(&ws, &["export", "d.md"]).0, 0);
    let now = std::fs::read_to_string(ws.path().join("d.md")).unwrap();
    assert!(now.starts_with(&text[..text.find("<!-- archeo:begin --rule openat2").unwrap()]));
    assert_eq!(archeo(&ws, &["export", "--check", "d.md"]).0, 0);
}

/// A repository "big" whose v1.0.0 holds 4 files of `lines` short lines each (every line
/// matches `/./`), fetched and indexed.
fn big(lines: usize) -> Workspace {
    let ws = Workspace::new();
    let up = ws.repo("big");
    for f in ["a", "b", "c", "d"] {
        let text: String = (0..lines).map(|i| format!("{f}{i}\n")).collect();
        up.write(&format!("{f}.txt"), text);
    }
    up.commit("big");
    up.tag("v1.0.0");
    ws.manifest(&format!(
        "[[repo]]\nname = \"big\"\nurl = \"{}\"\nrevs = [\"v1.0.0\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    ws
}

/// Issue 32: a query matching nearly everything keeps at most 50,000 hits in memory (the best
/// by rank), counts every hit, and says it was cut; `--limit` keeps only the best N; commands
/// that need every hit refuse instead of answering from a part.
#[test]
fn a_query_matching_everything_is_answered_within_bounds_and_marked() {
    let ws = big(15_000);
    let (code, out, err) = archeo(&ws, &["search", "/./", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let recs = json_lines(&out);
    let hits: Vec<&serde_json::Value> = recs.iter().filter(|r| r["type"] == "hit").collect();
    assert_eq!(hits.len(), 50_000);
    let last = recs.last().unwrap();
    assert_eq!(last["type"], "truncated", "{last}");
    assert_eq!(last["reason"], "max-kept");
    assert_eq!(last["bound"], 50_000);
    assert_eq!(last["shown"], 50_000);
    assert_eq!(last["total"], 60_000);
    assert_eq!(last["file_versions"], 4);
    // The best by rank: a.txt, b.txt, c.txt whole, then d.txt's first 5,000 lines.
    let at = |i: usize| {
        let c = &hits[i]["cite"];
        format!("{}:{}", c["path"].as_str().unwrap(), c["start"])
    };
    assert_eq!(
        [at(0), at(14_999), at(15_000), at(45_000), at(49_999)],
        ["a.txt:1", "a.txt:15000", "b.txt:1", "d.txt:1", "d.txt:5000"]
    );
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/archeo.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let v = jsonschema::options().build(&schema).unwrap();
    assert!(v.is_valid(last), "{last}");

    let (code, out, err) = archeo(&ws, &["search", "/./"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("60000 hits in 4 file versions")
            && out.contains("showing 50000: more matched than a search keeps in memory"),
        "{}",
        &out[out.len().saturating_sub(400)..]
    );
    assert!(
        err.contains("warning: more matched than a search keeps in memory"),
        "{err}"
    );

    // A limit under the bound: exactly the best N, every hit counted, nothing marked.
    let (_, out, _) = archeo(&ws, &["search", "/./", "--limit", "3", "--format", "json"]);
    let recs = json_lines(&out);
    assert_eq!(recs.len(), 3, "{out}");
    assert!(recs.iter().all(|r| r["type"] == "hit"));
    assert_eq!(recs[2]["cite"]["start"], 3);
    let (_, out, _) = archeo(&ws, &["search", "/./", "--limit", "3"]);
    assert!(out.contains("60000 hits in 4 file versions across 1 of 1 revisions searched (showing 3; raise --limit)"), "{out}");
    let (_, out, _) = archeo(&ws, &["search", "/./", "-c"]);
    assert_eq!(
        out,
        "big@v1.0.0 a.txt:15000\nbig@v1.0.0 b.txt:15000\nbig@v1.0.0 c.txt:15000\nbig@v1.0.0 d.txt:15000\n"
    );

    // A diff or timeline of such a search would be built from a part: refused, with the fix.
    for args in [
        vec!["diff", "big@v1.0.0", "big@v1.0.0", "--search", "/./"],
        vec!["timeline", "/./"],
    ] {
        let (code, _, err) = archeo(&ws, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(
                "matches 60000 lines, more than the 50000 a search keeps in memory: narrow it"
            ),
            "{args:?}: {err}"
        );
    }
}

/// Issue 32: sixteen searches matching every line fill the heavy query slots; the landing page
/// (which queries nothing) and a light page (the rules) answer at once meanwhile, not after
/// the heavy queries queued before them.
#[test]
fn cheap_pages_answer_while_heavy_queries_fill_every_slot() {
    let ws = big(25_000);
    // Without the response cache: sixteen identical misses would share one computation, and
    // this test is about slots, not the cache.
    let srv = Server::start(&ws, &["--timeout-ms", "300000", "--cache-mb", "0"]);
    let t0 = Instant::now();
    let heavy: Vec<_> = (0..16)
        .map(|_| {
            let addr = srv.addr.clone();
            std::thread::spawn(move || {
                let r = request(&addr, "GET", "/api/search?q=%2F.%2F&limit=5");
                (r.status, t0.elapsed())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let landing = srv.get("/");
    let landing_at = t0.elapsed();
    let rules = srv.get("/rules");
    let rules_at = t0.elapsed();
    let done: Vec<(u16, Duration)> = heavy.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(done.iter().all(|(s, _)| *s == 200), "{done:?}");
    // Sixteen heavy queries take the heavy slots in waves (two a core); a page queued behind
    // them would answer after most of them. The cheap pages answer before half of them are
    // done, however fast one heavy query is on the machine at hand.
    let mut finished: Vec<Duration> = done.iter().map(|(_, t)| *t).collect();
    finished.sort();
    let half = finished[finished.len() / 2];
    assert_eq!(landing.status, 200);
    assert_eq!(rules.status, 200);
    assert!(
        landing_at < half && rules_at < half,
        "/ answered at {landing_at:?}, /rules at {rules_at:?}, half the heavy queries were done at {half:?} (all: {finished:?})"
    );
}

/// Issue 32: hundreds of connections that send half a request head and then nothing, against
/// a server that may open 128 descriptors: the server caps its connections, closes the idle
/// ones after the header timeout, and a real request is answered.
#[test]
fn idle_half_sent_requests_do_not_starve_real_ones() {
    let ws = indexed();
    let srv = Server::start_limited(&ws, &["--header-timeout-ms", "1000"], Some(128));
    let mut idle = Vec::new();
    for _ in 0..300 {
        let Ok(mut s) = TcpStream::connect(&srv.addr) else {
            break;
        };
        if s.write_all(b"GET / HTTP/1.1\r\nHost: idle\r\n").is_ok() {
            idle.push(s);
        }
    }
    assert!(idle.len() >= 200, "only {} connections opened", idle.len());
    let t = Instant::now();
    let r = request_within(&srv.addr, "GET", "/rules", Duration::from_secs(60));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
    // The first idle connection was closed by the server, not left open.
    let first = &mut idle[0];
    first
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = Vec::new();
    match first.read_to_end(&mut buf) {
        Ok(_) => {}
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
}

/// Every escape in `out` is a color (SGR: `ESC [ digits ; m`): nothing else reaches the terminal.
fn only_color_escapes(out: &str) -> bool {
    let b = out.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0x1b => {
                let rest = &b[i + 1..];
                let n = rest
                    .iter()
                    .skip(1)
                    .take_while(|c| c.is_ascii_digit() || **c == b';')
                    .count();
                if rest.first() != Some(&b'[') || rest.get(1 + n) != Some(&b'm') {
                    return false;
                }
                i += n + 3;
            }
            0x07 | 0x08 | b'\r' => return false,
            _ => i += 1,
        }
    }
    true
}

/// Issue 32: a code line that would clear the screen and retitle the window, and a file whose
/// name holds escapes, printed by search, defs, findings and refs, with and without color:
/// the terminal gets the escapes as text (`\u{1b}`), never the bytes.
#[test]
fn upstream_text_reaches_the_terminal_escaped() {
    let ws = Workspace::new();
    let up = ws.repo("esc");
    up.write(
        "pkg/evil\u{1b}]0;pwned\u{7}.go",
        "package pkg\n\n// Clear says \u{1b}[2J\u{1b}]0;title\u{7} and\rcovers its line.\nfunc Clear() string { return \"\u{1b}[2J\" }\n\nfunc use() { Clear() }\n",
    );
    up.commit("v1");
    up.tag("v1.0.0");
    ws.manifest(&format!(
        "[[repo]]\nname = \"esc\"\nurl = \"{}\"\nrevs = [\"v1.*\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    let (code, _, err) = archeo(&ws, &["index", "-v"]);
    assert_eq!(code, 0, "{err}");
    assert!(only_color_escapes(&err), "{err:?}");
    for color in ["never", "always"] {
        for args in [
            vec!["search", "Clear"],
            vec!["search", "Clear", "-C", "2"],
            vec!["search", "Clear", "-l"],
            vec!["defs", "Clear"],
            vec!["callers", "Clear"],
        ] {
            let mut c = ws.archeo();
            c.args(&args).args(["--color", color]);
            let (code, out, err) = run(&mut c);
            assert_eq!(code, 0, "{args:?}: {err}");
            assert!(
                only_color_escapes(&out),
                "{args:?} --color {color}: {out:?}"
            );
            assert!(
                out.contains("evil\\u{1b}]0;pwned\\u{7}.go"),
                "{args:?}: {out:?}"
            );
        }
    }
    let (_, out, _) = archeo(&ws, &["search", "title", "--color", "never"]);
    assert!(
        out.contains("// Clear says \\u{1b}[2J\\u{1b}]0;title\\u{7} and\\rcovers its line."),
        "{out:?}"
    );
    // JSON keeps the text as it is (escaped by JSON itself).
    let (_, out, _) = archeo(&ws, &["search", "title", "--format", "json"]);
    let hit: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        hit["text"],
        "// Clear says \u{1b}[2J\u{1b}]0;title\u{7} and\rcovers its line."
    );
}

/// The characters of `out` that no Markdown archeo writes may hold raw: every control but
/// newline and tab (C0, DEL, C1), and the line and paragraph separators.
fn raw_controls(out: &str) -> Vec<char> {
    out.chars()
        .filter(|c| {
            (c.is_control() && *c != '\n' && *c != '\t') || matches!(c, '\u{2028}' | '\u{2029}')
        })
        .collect()
}

/// Issue 32: a file whose path and lines hold a clear-screen sequence, a window-title sequence
/// ended by BEL and C1 controls, and an artifact named with them, printed by every command that
/// writes Markdown (`--format md`, `evidence` in both styles, `identify`) and exported in list,
/// table and full blocks: no control byte but newline and tab reaches stdout or the document;
/// each shows as its control picture (`␛`, `␇`) or, for C1, as `\u{9b}`. JSON keeps the text.
#[test]
fn markdown_shows_upstream_control_characters_never_writes_them() {
    use crate::artifact_fixtures::{Format, GoBinary, tar};
    let ws = Workspace::new();
    let up = ws.repo("esc");
    let line = "// Clear says \u{1b}[2J\u{1b}]0;pwned\u{7} and\u{9b}31m\tthen\u{85}more\u{7f}.";
    up.write(
        "pkg/evil\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}.go",
        format!(
            "package pkg\n\n{line}\nfunc Clear() string {{ return \"\u{1b}[2J\" }}\n\nfunc use() {{ Clear() }}\n"
        ),
    );
    up.commit("v1");
    up.tag("v1.0.0");
    ws.manifest(&format!(
        "[[repo]]\nname = \"esc\"\nurl = \"{}\"\nrevs = [\"v1.*\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let bin = GoBinary::new(
        Format::Inline,
        "path\tgithub.com/acme/evil\u{1b}[2Jcmd\nmod\tgithub.com/acme/evil\u{1b}]0;pwned\u{7}\tv1.0.0\u{9b}\t\n",
    )
    .build();
    let artifact = ws.path().join("evil\u{1b}[2J\u{9b}.bin");
    std::fs::write(&artifact, &bin).unwrap();
    let layer = ws.path().join("layer\u{1b}]0;t\u{7}.tar");
    std::fs::write(
        &layer,
        tar(&[("./usr/bin/evil\u{1b}]0;pwned\u{7}\u{9b}", &bin)], &[]),
    )
    .unwrap();
    let (artifact, layer) = (
        artifact.to_str().unwrap().to_string(),
        layer.to_str().unwrap().to_string(),
    );
    let shown = "evil␛[2J␛]0;pwned␇\\u{9b}.go";
    let mut failed = Vec::new();
    for (args, must_show) in [
        (vec!["search", "Clear", "--format", "md"], shown),
        (
            vec!["search", "pwned", "--format", "md"],
            "and\\u{9b}31m\tthen",
        ),
        (vec!["defs", "Clear", "--format", "md"], shown),
        (vec!["callers", "Clear", "--format", "md"], shown),
        (vec!["evidence", "Clear"], shown),
        (vec!["evidence", "pwned"], "Clear says ␛[2J␛]0;pwned␇"),
        (vec!["evidence", "pwned", "--style", "list"], "more␡."),
        (
            vec!["identify", &artifact, "--format", "md"],
            "evil␛[2J\\u{9b}.bin",
        ),
        (vec!["identify", &layer, "--format", "md"], "evil␛]0;pwned␇"),
    ] {
        let (code, out, err) = archeo(&ws, &args);
        assert!(code < 2, "{args:?}: {err}");
        if !raw_controls(&out).is_empty() || !out.contains(must_show) {
            failed.push(format!("{args:?} wrote {out:?}"));
        }
    }
    assert!(
        failed.is_empty(),
        "raw or unshown controls:\n{}",
        failed.join("\n")
    );
    // Exported blocks (compact tables, lists, the full printer output) hold none either, and
    // stay byte-exact on the next check.
    let doc = ws.path().join("doc.md");
    std::fs::write(
        &doc,
        "# Doc\n\n<!-- archeo:begin pwned -->\n<!-- archeo:end -->\n\n<!-- archeo:begin pwned --style list -->\n<!-- archeo:end -->\n\n<!-- archeo:begin --full callers Clear -->\n<!-- archeo:end -->\n\n<!-- archeo:begin callers Clear -->\n<!-- archeo:end -->\n",
    )
    .unwrap();
    let (code, _, err) = archeo(&ws, &["export", "doc.md"]);
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read_to_string(&doc).unwrap();
    assert_eq!(raw_controls(&written), Vec::<char>::new(), "{written:?}");
    assert!(
        written.contains("Clear says ␛[2J␛]0;pwned␇") && written.contains(shown),
        "{written}"
    );
    let (code, out, err) = archeo(&ws, &["export", "--check", "doc.md"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(archeo(&ws, &["export", "doc.md"]).0, 0);
    assert_eq!(std::fs::read_to_string(&doc).unwrap(), written);
    // JSON keeps the text as it is (escaped by JSON itself).
    let (_, out, _) = archeo(&ws, &["search", "pwned", "--format", "json"]);
    let hit: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(hit["text"], line);
    assert_eq!(
        hit["cite"]["path"],
        "pkg/evil\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}.go"
    );
}
