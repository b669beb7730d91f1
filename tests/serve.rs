//! `archeo serve` over HTTP on a fixture repository: every route's status codes, the JSON API
//! against the CLI's `--format json` for the same query, validation, the time limit, timeline
//! cells, a rebuild while serving, and (when chromium and chromedriver are installed) a real
//! browser clicking through a search and a timeline.

use crate::common;

use common::http::*;
use common::*;

/// v1.0.0's lookup: an openat2 that must not cross mounts (a finding of
/// openat2-resolve-no-xdev).
const OPEN_V1: &str = "package pkg

import \"golang.org/x/sys/unix\"

// openInRoot opens path beneath root without crossing a mount.
func openInRoot(root int, path string) (int, error) {
\thow := &unix.OpenHow{
\t\tFlags:   unix.O_PATH | unix.O_CLOEXEC,
\t\tResolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_XDEV,
\t}
\treturn unix.Openat2(root, path, how)
}
";

const ERRORS_GO: &str = "package pkg

import \"errors\"

var errUnsafeProcfs = errors.New(\"unsafe procfs detected\")
";

const RULE: &str = "openat2-resolve-no-xdev";

/// v1.1.0 drops RESOLVE_NO_XDEV (a gap in the timeline).
fn open_v2() -> String {
    OPEN_V1.replace(" | unix.RESOLVE_NO_XDEV", "")
}

/// v1.2.0 moves the file and shifts it by two lines: the same finding, elsewhere.
fn open_v3() -> String {
    OPEN_V1.replace(
        "package pkg\n",
        "// Package pkg opens files.\n// It never crosses mounts.\npackage pkg\n",
    )
}

/// 1-based line of the first line holding `needle`.
fn line_of(text: &str, needle: &str) -> u32 {
    text.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1
}

/// Tags v1.0.0, v1.1.0, v1.2.0 and branch release/1.2 of repository "hist", fetched and indexed.
fn fixture(revs: &str) -> Workspace {
    let ws = Workspace::new();
    let up = ws.repo("hist");
    up.write("pkg/open.go", OPEN_V1)
        .write("pkg/errors.go", ERRORS_GO)
        .write("sys/sysctl.go", SYSCTL_GO)
        .write(
            "vendor/modules.txt",
            "# example.com/securejoin v0.4.1\nexample.com/securejoin\n",
        )
        .write("vendor/example.com/securejoin/procfs.go", PROCFS_V1)
        .write("assets/logo.bin", b"\x89PNG\0\0\0openat2\0".as_slice());
    up.commit("v1.0.0");
    up.tag("v1.0.0");
    up.write("pkg/open.go", open_v2());
    up.commit("v1.1.0");
    up.tag("v1.1.0");
    up.remove("pkg/open.go")
        .write("internal/open.go", open_v3());
    up.commit("v1.2.0");
    up.tag("v1.2.0");
    up.git(&["checkout", "-q", "-b", "release/1.2"]);
    up.write("pkg/extra.go", "package pkg\n\nfunc openat2Extra() {}\n");
    up.commit("release branch");
    up.git(&["checkout", "-q", "main"]);
    ws.manifest(&format!(
        "[[repo]]\nname = \"hist\"\nurl = \"{}\"\nrevs = [{revs}]\n",
        up.url()
    ));
    let (code, _, err) = archeo(&ws, &["fetch"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    ws
}

fn all_revs() -> &'static str {
    "\"v1.*\", \"release/1.2\""
}

#[test]
fn the_json_api_is_byte_for_byte_what_the_cli_prints() {
    let ws = fixture(all_revs());
    let srv = Server::start(&ws, &[]);
    let msg = "open sysctl net.ipv4.ip_forward file: unsafe procfs detected";
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("/api/search?q=openat2".into(), vec!["search", "openat2"]),
        (
            "/api/search?q=openat2&at=hist@v1.0.0&at=hist@release/1.2&no_vendor=1&limit=2&context=1".into(),
            vec![
                "search", "openat2", "--at", "hist@v1.0.0", "--at", "hist@release/1.2",
                "--no-vendor", "--limit", "2", "-C", "1",
            ],
        ),
        (
            "/api/search?q=%22unsafe+procfs%22+-path%3Avendor%2F&path=pkg%2F".into(),
            vec!["search", "\"unsafe procfs\" -path:vendor/", "--path", "pkg/"],
        ),
        (format!("/api/findings?rule={RULE}&repo=hist"), vec!["findings", "--rule", RULE, "--repo", "hist"]),
        ("/api/findings?lang=go&at=hist@v1.2.0".into(), vec!["findings", "--lang", "go", "--at", "hist@v1.2.0"]),
        ("/api/diff?a=hist@v1.0.0&b=hist@v1.2.0".into(), vec!["diff", "hist@v1.0.0", "hist@v1.2.0"]),
        (
            "/api/diff?a=hist@v1.0.0&b=hist@v1.1.0&search=RESOLVE_NO_XDEV".into(),
            vec!["diff", "hist@v1.0.0", "hist@v1.1.0", "--search", "RESOLVE_NO_XDEV"],
        ),
        (format!("/api/timeline?rule={RULE}"), vec!["timeline", "--rule", RULE]),
        ("/api/timeline?q=Openat2&repo=hist".into(), vec!["timeline", "Openat2", "--repo", "hist"]),
        (
            format!("/api/explain?message={}", msg.replace(' ', "+")),
            vec!["explain", msg],
        ),
    ];
    for (target, args) in cases {
        let mut cli = args.clone();
        cli.extend(["--format", "json"]);
        let (code, out, err) = archeo(&ws, &cli);
        assert!(code <= 1, "{cli:?}: {err}");
        assert!(
            !out.is_empty(),
            "{cli:?} printed nothing: the comparison would be empty"
        );
        let r = srv.get(&target);
        assert_eq!(r.status, 200, "{target}: {}", r.body);
        assert_eq!(
            r.header("content-type"),
            Some("application/x-ndjson; charset=utf-8")
        );
        assert_eq!(r.body, out, "{target} differs from archeo {cli:?}");
    }
    // Nothing found: the CLI prints nothing (exit 1), the API an empty body.
    let (code, out, _) = archeo(&ws, &["search", "nosuchidentifier", "--format", "json"]);
    assert_eq!((code, out.as_str()), (1, ""));
    let r = srv.get("/api/search?q=nosuchidentifier");
    assert_eq!((r.status, r.body.as_str()), (200, ""));
}

/// A search page: one file version, the match marked and linked, the command line, the query
/// kept in the box.
fn search_page_groups_marks_and_links(srv: &Server) {
    let r = srv.get("/search?q=RESOLVE_NO_XDEV+-path%3Avendor%2F+hist%40v1.0.0");
    assert_eq!(r.status, 200, "{}", r.body);
    let line = line_of(OPEN_V1, "RESOLVE_NO_XDEV");
    // One file version, at the selected revision only, the match marked, linked to its line.
    assert!(
        r.body
            .contains(&format!("href=\"/file/hist/v1.0.0/pkg/open.go#L{line}\"")),
        "{}",
        r.body
    );
    assert!(r.body.contains("<mark>RESOLVE_NO_XDEV</mark>"));
    assert_eq!(
        hrefs(&r.body, "/file/")
            .iter()
            .filter(|h| h.contains("#L"))
            .count(),
        1
    );
    // The command line for the same query, quoted for a shell.
    assert!(
        r.body.contains(
            "archeo search 'RESOLVE_NO_XDEV -path:vendor/' --at hist@v1.0.0 --format json"
        ),
        "{}",
        r.body
    );
    // The query stays in the box: the URL is the shareable search.
    assert!(
        r.body
            .contains("value=\"RESOLVE_NO_XDEV -path:vendor/ hist@v1.0.0\"")
    );
}

#[test]
fn pages_show_results_grouped_with_links_into_the_file_view() {
    let ws = fixture(all_revs());
    let srv = Server::start(&ws, &[]);
    for target in ["/", "/search", "/rules", "/diff", "/explain"] {
        let r = srv.get(target);
        assert_eq!(r.status, 200, "{target}");
        assert!(r.body.starts_with("<!DOCTYPE html>"), "{target}");
        assert!(
            r.header("content-security-policy")
                .is_some_and(|c| c.contains("default-src 'none'")),
            "{target}"
        );
    }

    search_page_groups_marks_and_links(&srv);

    let r = srv.get("/rules");
    assert_eq!(r.status, 200);
    assert!(r.body.contains(&format!("href=\"/rules/{RULE}\"")));

    let r = srv.get(&format!("/rules/{RULE}"));
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<svg") && r.body.contains("class=\"cell present\""));

    let r = srv.get(&format!("/findings?rule={RULE}"));
    assert_eq!(r.status, 200);
    let start = line_of(OPEN_V1, "OpenHow{");
    assert!(
        r.body
            .contains(&format!("href=\"/file/hist/v1.0.0/pkg/open.go#L{start}\"")),
        "{}",
        r.body
    );

    let r = srv.get("/timeline?q=openInRoot");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("<svg"));

    let r = srv.get("/diff?a=hist%40v1.0.0&b=hist%40v1.1.0");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("removed (1)"), "{}", r.body);
    assert!(
        r.body
            .contains(&format!("href=\"/file/hist/v1.0.0/pkg/open.go#L{start}\""))
    );

    let r =
        srv.get("/explain?message=open+sysctl+net.ipv4.ip_forward+file%3A+unsafe+procfs+detected");
    assert_eq!(r.status, 200, "{}", r.body);
    let fmt_line = line_of(SYSCTL_GO, "open sysctl");
    assert!(
        r.body.contains(&format!(
            "href=\"/file/hist/release%2F1.2/sys/sysctl.go#L{fmt_line}\""
        )),
        "{}",
        r.body
    );
}

#[test]
fn the_diff_page_and_api_honour_path_and_no_vendor() {
    let ws = fixture(all_revs());
    let srv = Server::start(&ws, &[]);
    let (a, b) = ("hist@v1.0.0", "hist@v1.2.0");
    let api = |extra: &str| {
        let r = srv.get(&format!("/api/diff?a={a}&b={b}&search=openat2{extra}"));
        assert_eq!(r.status, 200, "{extra}: {}", r.body);
        r.body
    };
    let cli = |extra: &[&str]| {
        let mut args = vec!["diff", a, b, "--search", "openat2", "--format", "json"];
        args.extend(extra);
        let (code, out, err) = archeo(&ws, &args);
        assert!(code <= 1, "{args:?}: {err}");
        out
    };
    let whole = api("");
    // The move pkg/open.go -> internal/open.go: both sides are in the unscoped diff.
    assert!(
        whole.contains("pkg/open.go") && whole.contains("internal/open.go"),
        "{whole}"
    );

    let scoped = api("&path=internal%2F");
    assert_eq!(scoped, cli(&["--path", "internal/"]));
    assert!(scoped.contains("internal/open.go"), "{scoped}");
    assert!(
        !scoped.contains("pkg/open.go"),
        "path= must narrow the diff: {scoped}"
    );

    let own = api("&no_vendor=1");
    assert_eq!(own, cli(&["--no-vendor"]));
    assert!(
        !own.contains("vendor/"),
        "no_vendor= must drop vendored files: {own}"
    );

    // The page: the same scope, shown and kept in the form.
    let r = srv
        .get("/diff?a=hist%40v1.0.0&b=hist%40v1.2.0&search=openat2&path=internal%2F&no_vendor=1");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("internal/open.go"), "{}", r.body);
    assert!(!r.body.contains("pkg/open.go"), "{}", r.body);
    assert!(
        r.body.contains("value=\"internal/\""),
        "the path box keeps its value: {}",
        r.body
    );
}

#[test]
fn the_file_view_marks_findings_lists_declarations_and_switches_revisions() {
    let ws = fixture(all_revs());
    let srv = Server::start(&ws, &[]);
    let r = srv.get("/file/hist/v1.0.0/pkg/open.go");
    assert_eq!(r.status, 200, "{}", r.body);
    let start = line_of(OPEN_V1, "OpenHow{");
    let end = start + 3;
    for n in 1..=OPEN_V1.lines().count() as u32 {
        let marked = r.body.contains(&format!("<tr id=\"L{n}\" class=\"f\""));
        assert_eq!(marked, (start..=end).contains(&n), "line {n}");
    }
    assert!(r.body.contains(">openInRoot</a>"), "declarations listed");
    assert!(r.body.contains(&format!("href=\"/rules/{RULE}\"")));
    // The switcher: v1.1.0 holds another version, v1.2.0 and the branch none at this path.
    assert!(r.body.contains("class=\"tag on\""));
    assert!(r.body.contains("href=\"/file/hist/v1.1.0/pkg/open.go\""));
    assert!(
        r.body
            .contains("<span class=\"tag none\" title=\"no file at this path\">v1.2.0</span>")
    );

    // A rev name holding `/`, encoded as one segment; a commit prefix works too.
    let commit = ws_commit(&ws, "release/1.2");
    for rev in ["release%2F1.2", &commit[..10]] {
        let r = srv.get(&format!("/file/hist/{rev}/pkg/extra.go"));
        assert_eq!(r.status, 200, "{rev}: {}", r.body);
        assert!(r.body.contains("openat2Extra"));
    }
    // A binary file is no text page, but no error either.
    let r = srv.get("/file/hist/v1.0.0/assets/logo.bin");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("A binary file"));
}

/// The commit the lock pins for `hist@rev`.
fn ws_commit(ws: &Workspace, rev: &str) -> String {
    let (_, out, _) = archeo(ws, &["pins", "--format", "json"]);
    out.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["rev"] == rev)
        .map(|v| v["commit"].as_str().unwrap().to_string())
        .unwrap()
}

#[test]
fn bad_input_gets_a_4xx_with_the_message_the_cli_prints() {
    let ws = fixture(all_revs());
    let srv = Server::start(&ws, &[]);
    let cli_error = |args: &[&str]| {
        let (code, _, err) = archeo(&ws, args);
        assert_eq!(code, 2, "{args:?}");
        err.trim().strip_prefix("error: ").unwrap().to_string()
    };
    // An unpinned revision: 404, on the page and in the API, with the CLI's words.
    let msg = cli_error(&["search", "openat2", "--at", "hist@v9.9.9"]);
    let r = srv.get("/search?q=openat2+hist%40v9.9.9");
    assert_eq!(r.status, 404);
    assert!(r.body.contains(&html_escape(&msg)), "{}", r.body);
    assert!(r.body.contains("name=\"q\""), "the form stays usable");
    let r = srv.get("/api/search?q=openat2&at=hist@v9.9.9");
    assert_eq!(r.status, 404);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["error"], msg.as_str());
    // A query that does not parse: 400 with the column.
    let msg = cli_error(&["search", "\"unclosed"]);
    let r = srv.get("/api/search?q=%22unclosed");
    assert_eq!(r.status, 400);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["error"],
        msg.as_str()
    );
    // Unknown rule and repository.
    let msg = cli_error(&["findings", "--rule", "no-such-rule"]);
    let r = srv.get("/findings?rule=no-such-rule");
    assert_eq!(r.status, 404);
    assert!(r.body.contains(&html_escape(&msg)));
    assert_eq!(srv.get("/rules/no-such-rule").status, 404);
    assert_eq!(srv.get("/api/timeline?q=x&repo=nosuch").status, 404);
    // Files: traversal, absolute paths and files not at that revision.
    for target in [
        "/file/hist/v1.0.0/../../etc/passwd",
        "/file/hist/v1.0.0/pkg/%2e%2e/%2e%2e/etc/passwd",
        "/file/hist/v1.0.0//etc/passwd",
        "/file/hist/v1.0.0/pkg/open.go%00",
    ] {
        let r = srv.get(target);
        assert!(matches!(r.status, 400 | 404), "{target}: {}", r.status);
        assert!(!r.body.contains("root:"), "{target}");
    }
    let r = srv.get("/file/hist/v1.0.0/pkg/%2e%2e/%2e%2e/etc/passwd");
    assert_eq!(r.status, 400);
    assert!(r.body.contains("`..` component"));
    let r = srv.get("/file/hist/v1.2.0/pkg/open.go");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("has no file"));
    assert_eq!(srv.get("/file/hist/v9/pkg/open.go").status, 404);
    // Oversized and unknown parameters, missing ones, other methods, other paths.
    let long = format!("/api/search?q={}", "a".repeat(3000));
    assert_eq!(srv.get(&long).status, 414);
    let r = srv.get("/api/search?q=x&bogus=1");
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("unknown parameter \\\"bogus\\\""),
        "{}",
        r.body
    );
    assert_eq!(srv.get("/api/diff?a=hist@v1.0.0").status, 400);
    assert_eq!(srv.get("/api/timeline").status, 400);
    assert_eq!(srv.get("/api/explain").status, 400);
    assert_eq!(request(&srv.addr, "POST", "/api/search?q=x").status, 405);
    let r = srv.get("/nothing/here");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("no page at /nothing/here"));
}

#[test]
fn a_query_over_the_time_limit_is_answered_503() {
    let ws = fixture("\"v1.0.0\"");
    let srv = Server::start(&ws, &["--timeout-ms", "0"]);
    let r = srv.get("/api/search?q=openat2");
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("time limit (0 ms)"));
    assert_eq!(srv.get("/search?q=openat2").status, 503);
}

#[test]
fn timeline_cells_open_the_finding_at_that_release() {
    let ws = fixture(all_revs());
    let srv = Server::start(&ws, &[]);
    let r = srv.get(&format!("/rules/{RULE}"));
    assert_eq!(r.status, 200);
    let cells = hrefs(&r.body, "/at/");
    // One track: held by v1.0.0, v1.2.0 and the branch; v1.1.0 is a gap.
    assert_eq!(cells.len(), 3, "{cells:?}");
    assert!(
        r.body.contains("class=\"cell gap\" data-rev=\"v1.1.0\""),
        "{}",
        r.body
    );
    let expect = [
        (
            "v1.0.0",
            "/file/hist/v1.0.0/pkg/open.go",
            line_of(OPEN_V1, "OpenHow{"),
        ),
        (
            "v1.2.0",
            "/file/hist/v1.2.0/internal/open.go",
            line_of(&open_v3(), "OpenHow{"),
        ),
        (
            "release%2F1.2",
            "/file/hist/release%2F1.2/internal/open.go",
            line_of(&open_v3(), "OpenHow{"),
        ),
    ];
    for (rev, file, line) in expect {
        let cell = cells
            .iter()
            .find(|c| c.starts_with(&format!("/at/hist/{rev}?")))
            .unwrap_or_else(|| panic!("no cell for {rev}: {cells:?}"));
        let r = srv.get(cell);
        assert_eq!(r.status, 303, "{cell}: {}", r.body);
        assert_eq!(
            r.header("location"),
            Some(format!("{file}#L{line}").as_str())
        );
        let page = srv.get(file);
        assert!(
            page.body
                .contains(&format!("<tr id=\"L{line}\" class=\"f\""))
        );
    }
    // A search timeline's cells lead to the line at that release.
    let r = srv.get("/timeline?q=openInRoot");
    let cell = hrefs(&r.body, "/at/hist/v1.1.0?")
        .pop()
        .expect("a v1.1.0 cell");
    let r = srv.get(&cell);
    assert_eq!(r.status, 303);
    let decl = line_of(OPEN_V1, "func openInRoot");
    assert_eq!(
        r.header("location"),
        Some(format!("/file/hist/v1.1.0/pkg/open.go#L{decl}").as_str())
    );
    // A cell of a thing that revision does not hold.
    let absent = cells[0].replace("/at/hist/v1.0.0?", "/at/hist/v1.1.0?");
    assert_eq!(srv.get(&absent).status, 404);
}

/// A deep vendored path and a long symbol: the row label a chart must cut.
const LONG_PATH: &str = "vendor/github.com/example-org/a-rather-long-module-name/internal/procfs/procfs_lookup_linux.go";

/// The lookup of [`LONG_PATH`], under a long name.
fn long_lookup() -> String {
    OPEN_V1.replace("openInRoot", "procfsLookupInRootWithoutCrossingMounts")
}

/// 70 revisions of "wide", like runc's release history: v1.0.0-rc1..rc9 hold nothing;
/// v1.0.0..v1.0.29 hold pkg/open.go's finding; v1.1.0..v1.1.19 too, and the long lookup at
/// v1.1.5..v1.1.7 and v1.1.12..v1.1.19 (a gap between); v1.2.0..v1.2.9 and main drop
/// pkg/open.go. The revisions where a row appears or disappears are [`WIDE_CHANGES`].
fn wide_fixture() -> Workspace {
    let ws = Workspace::new();
    let up = ws.repo("wide");
    up.write("README.md", "wide\n");
    let release = |tag: &str, open: bool, lookup: bool| {
        if open {
            up.write("pkg/open.go", OPEN_V1);
        } else if up.dir.join("pkg/open.go").exists() {
            up.remove("pkg/open.go");
        }
        if lookup {
            up.write(LONG_PATH, long_lookup());
        } else if up.dir.join(LONG_PATH).exists() {
            up.remove(LONG_PATH);
        }
        up.commit(tag);
        up.tag(tag);
    };
    for i in 1..=9 {
        release(&format!("v1.0.0-rc{i}"), false, false);
    }
    for i in 0..30 {
        release(&format!("v1.0.{i}"), true, false);
    }
    for i in 0..20 {
        release(&format!("v1.1.{i}"), true, (5..8).contains(&i) || i >= 12);
    }
    for i in 0..10 {
        release(&format!("v1.2.{i}"), false, true);
    }
    ws.manifest(&format!(
        "[[repo]]\nname = \"wide\"\nurl = \"{}\"\nrevs = [\"v*\", \"main\"]\n",
        up.url()
    ));
    for cmd in ["fetch", "index"] {
        let (code, _, err) = archeo(&ws, &[cmd]);
        assert_eq!(code, 0, "{err}");
    }
    ws
}

/// Where a row of [`wide_fixture`]'s chart appears or disappears.
const WIDE_CHANGES: [&str; 5] = ["v1.0.0", "v1.1.5", "v1.1.8", "v1.1.12", "v1.2.0"];

/// The part of a page from `start` to the next `</svg>`.
fn svg_after<'a>(body: &'a str, start: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {body}"));
    let rest = &body[from..];
    &rest[..rest.find("</svg>").unwrap()]
}

/// The values of `attr="..."` on elements opening with `open` in `html`.
fn attrs<'a>(html: &'a str, open: &str, attr: &str) -> Vec<&'a str> {
    html.split(open)
        .skip(1)
        .filter_map(|s| {
            let tag = &s[..s.find('>').unwrap_or(s.len())];
            let v = tag.split(&format!(" {attr}=\"")).nth(1)?;
            v.split('"').next()
        })
        .collect()
}

#[test]
fn a_long_timeline_fits_a_1280_pixel_window_keeping_every_release_that_changes() {
    let ws = wide_fixture();
    let srv = Server::start(&ws, &[]);
    let r = srv.get(&format!("/rules/{RULE}"));
    assert_eq!(r.status, 200, "{}", r.body);
    // The chart for windows below 1900 pixels: at most 1180 wide (a 1280 window less the
    // page's padding, the chart's box and a scrollbar; the browser test checks it in a window).
    let narrow = svg_after(&r.body, "class=\"view narrow\"");
    let width: usize = attrs(narrow, "<svg class=\"timeline\"", "width")[0]
        .parse()
        .unwrap();
    assert!(width <= 1180, "{width}");
    // Every revision where a row appears or disappears starts a column.
    let columns = attrs(narrow, "<text class=\"col", "data-rev");
    assert!(columns.len() < 70, "{columns:?}");
    for rev in ["v1.0.0-rc1", "main"].iter().chain(WIDE_CHANGES.iter()) {
        assert!(columns.contains(rev), "{rev} has no column: {columns:?}");
    }
    // Joined columns say which releases they hold, and the note under the chart names them.
    assert!(narrow.contains("</title>v1.0.0 +34</text>"), "{narrow}");
    let note = &r.body[r
        .body
        .find("class=\"small muted joined\"")
        .expect("a note on joined runs")..];
    let note = &note[..note.find("</p>").unwrap()];
    assert!(note.contains("v1.0.0..v1.1.4 (35)"), "{note}");
    // The wide chart (windows of 1900 pixels and more) joins fewer runs, within 1820 pixels.
    let wide = svg_after(&r.body, "class=\"view wide\"");
    let wide_width: usize = attrs(wide, "<svg class=\"timeline\"", "width")[0]
        .parse()
        .unwrap();
    assert!(wide_width <= 1820 && wide_width > width, "{wide_width}");
    assert!(attrs(wide, "<text class=\"col", "data-rev").len() > columns.len());
    // The long row keeps the symbol's ends and the file name with its lines; the whole label is
    // its tooltip.
    let start = line_of(OPEN_V1, "OpenHow{");
    let lines = format!("procfs_lookup_linux.go:{start}-{}", start + 3);
    let label = narrow
        .split("<text class=\"label\"")
        .find(|t| t.contains("procfsLookup"))
        .unwrap_or_else(|| panic!("{narrow}"));
    let shown = &label[label.find("</title>").unwrap() + "</title>".len()..];
    let shown = &shown[..shown.find("</text>").unwrap()];
    assert!(shown.ends_with(&lines), "{shown}");
    assert!(
        shown.contains('…') && shown.chars().count() <= 56,
        "{shown}"
    );
    assert!(
        label.contains(&format!(
            "<title>procfsLookupInRootWithoutCrossingMounts · {LONG_PATH}:{start}-{}",
            start + 3
        )),
        "{label}"
    );
}

#[test]
fn a_rebuild_while_serving_is_picked_up_without_a_restart_or_a_torn_read() {
    let ws = fixture("\"v1.0.0\", \"v1.1.0\"");
    let srv = Server::start(&ws, &["--poll-ms", "50"]);
    let has_v120 = |srv: &Server| {
        srv.get("/api/search?q=openInRoot")
            .body
            .contains("\"v1.2.0\"")
    };
    assert!(!has_v120(&srv));
    ws.manifest(
        &std::fs::read_to_string(ws.path().join("archeo.toml"))
            .unwrap()
            .replace("\"v1.0.0\", \"v1.1.0\"", "\"v1.*\""),
    );
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    // Requests keep coming while the index is rebuilt: every one is answered whole.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let addr = srv.addr.clone();
    let flag = stop.clone();
    let load = std::thread::spawn(move || {
        let mut answered = 0;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            for target in [
                "/api/search?q=openat2",
                "/file/hist/v1.0.0/pkg/open.go",
                "/rules/openat2-resolve-no-xdev",
            ] {
                let r = request(&addr, "GET", target);
                assert_eq!(r.status, 200, "{target} during the rebuild: {}", r.body);
                answered += 1;
            }
        }
        answered
    });
    let (code, _, err) = archeo(&ws, &["index", "--rebuild"]);
    assert_eq!(code, 0, "{err}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !has_v120(&srv) {
        assert!(
            std::time::Instant::now() < deadline,
            "the rebuilt index was not picked up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(load.join().unwrap() > 0);
    // The reopened index answers as the CLI does.
    let (_, out, _) = archeo(&ws, &["search", "openInRoot", "--format", "json"]);
    assert_eq!(srv.get("/api/search?q=openInRoot").body, out);
}

mod browser {
    //! A real browser through WebDriver: chromium + chromedriver (Debian's `chromium` and
    //! `chromium-driver`). Skipped, saying so, when either is missing.

    use super::*;
    use fantoccini::{ClientBuilder, Locator};
    use std::process::{Child, Command, Stdio};

    fn find(names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| {
            let out = Command::new("sh")
                .args(["-c", &format!("command -v {n}")])
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        })
    }

    struct Driver(Child);
    impl Drop for Driver {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// chromedriver on a free port and a headless chromium session through it (flags for root
    /// on a closed network, a fresh profile).
    async fn session(
        chromium: &str,
        driver: &str,
        profile: &std::path::Path,
    ) -> (Driver, fantoccini::Client) {
        let port = free_port();
        let driver = Driver(
            Command::new(driver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
        );
        let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1400,1000",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        }))
        .unwrap();
        let webdriver = format!("http://127.0.0.1:{port}");
        // chromedriver takes a moment to listen: retry for up to ten seconds.
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            let built = ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&webdriver)
                .await;
            match built {
                Ok(c) => return (driver, c),
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        panic!("no WebDriver session with chromium through chromedriver on port {port}");
    }

    /// Clicks the first element matching `css`.
    async fn click(c: &fantoccini::Client, css: &str) {
        let e = c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
        e.click().await.unwrap();
    }

    /// Waits until an element matches `css` (the next page has loaded).
    async fn wait_for(c: &fantoccini::Client, css: &str) {
        c.wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_browser_searches_clicks_a_hit_and_a_timeline_cell() {
        let (Some(chromium), Some(driver)) = (
            find(&["chromium", "chromium-browser", "google-chrome"]),
            find(&["chromedriver"]),
        ) else {
            assert!(
                std::env::var_os("ARCHEO_REQUIRE_BROWSER").is_none(),
                "ARCHEO_REQUIRE_BROWSER is set but chromium or chromedriver is missing"
            );
            eprintln!(
                "SKIPPED a_browser_searches_clicks_a_hit_and_a_timeline_cell: no chromium and chromedriver here (apt-get install chromium chromium-driver)"
            );
            return;
        };
        let ws = fixture(all_revs());
        let srv = Server::start(&ws, &[]);
        let profile = tempfile::tempdir().unwrap();
        let (_driver, c) = session(&chromium, &driver, profile.path()).await;
        let shots = std::env::var_os("ARCHEO_SCREENSHOTS").map(std::path::PathBuf::from);
        let shot = |name: &'static str| {
            let c = c.clone();
            let shots = shots.clone();
            async move {
                if let Some(dir) = shots {
                    let png = c.screenshot().await.unwrap();
                    std::fs::write(dir.join(format!("serve-{name}.png")), png).unwrap();
                }
            }
        };

        // Type a query, submit, click the hit: the file at that revision, at that line.
        c.goto(&srv.url("/search")).await.unwrap();
        let q = c.find(Locator::Css("input#q")).await.unwrap();
        q.send_keys("RESOLVE_NO_XDEV -path:vendor/ hist@v1.0.0")
            .await
            .unwrap();
        click(&c, "form[role=search] button").await;
        wait_for(&c, "#summary").await;
        shot("search").await;
        click(&c, "a.hit").await;
        wait_for(&c, "table#code").await;
        let url = c.current_url().await.unwrap();
        let line = line_of(OPEN_V1, "RESOLVE_NO_XDEV");
        assert_eq!(url.path(), "/file/hist/v1.0.0/pkg/open.go");
        assert_eq!(url.fragment(), Some(format!("L{line}").as_str()));
        let target = c.find(Locator::Css("tr:target")).await.unwrap();
        assert_eq!(
            target.attr("id").await.unwrap().as_deref(),
            Some(format!("L{line}").as_str())
        );
        assert!(target.text().await.unwrap().contains("RESOLVE_NO_XDEV"));
        shot("file").await;

        // Open the rule's timeline from the finding list and click the v1.2.0 cell.
        click(&c, "#findings a[href^='/rules/']").await;
        wait_for(&c, "svg.timeline").await;
        shot("timeline").await;
        click(&c, "a.cell.present[data-rev='v1.2.0']").await;
        wait_for(&c, "table#code").await;
        let url = c.current_url().await.unwrap();
        let start = line_of(&open_v3(), "OpenHow{");
        assert_eq!(url.path(), "/file/hist/v1.2.0/internal/open.go");
        assert_eq!(url.fragment(), Some(format!("L{start}").as_str()));
        let target = c.find(Locator::Css("tr:target")).await.unwrap();
        assert_eq!(
            target.attr("class").await.unwrap().as_deref(),
            Some("f"),
            "the finding is marked"
        );
        c.close().await.unwrap();
    }

    /// Width and height of a PNG, from its IHDR chunk.
    fn png_size(png: &[u8]) -> (u64, u64) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
        let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap()) as u64;
        (be(&png[16..20]), be(&png[20..24]))
    }

    /// What the visible timeline chart occupies, measured in the page: the window, the page's
    /// and the chart box's scroll widths, the chart's box, its column labels, each change
    /// release's column, the long row's label and first cell, and what is drawn at the centre
    /// of the last column's cells.
    const MEASURE: &str = r#"
        const views = Array.from(document.querySelectorAll('.view'))
            .filter(v => getComputedStyle(v).display !== 'none');
        const view = views[0];
        const svg = view.querySelector('svg.timeline');
        const box = view.querySelector('.chart');
        const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
        const cols = Array.from(svg.querySelectorAll('text.col'));
        const last = cols[cols.length - 1];
        const lastCells = Array.from(svg.querySelectorAll('g.track')).map(g => {
            const cells = g.querySelectorAll('.cell');
            const cell = cells[cells.length - 1];
            const b = cell.getBoundingClientRect();
            const hit = document.elementFromPoint((b.left + b.right) / 2, (b.top + b.bottom) / 2);
            return hit !== null && (hit === cell || cell.contains(hit) || hit.closest('.cell') === cell);
        });
        const change = arguments[0].map(rev => {
            const c = svg.querySelector('text.col[data-rev="' + rev + '"]');
            return c === null ? null : r(c);
        });
        const own = t => Array.from(t.childNodes).filter(n => n.nodeType === 3).map(n => n.data).join('');
        const label = Array.from(svg.querySelectorAll('text.label')).find(t => own(t).includes('procfs'));
        const shown = own(label);
        const firstCell = label.closest('g.track').querySelector('.cell');
        return {
            views: views.length, view: view.className, dpr: window.devicePixelRatio,
            inner: [window.innerWidth, window.innerHeight],
            page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
            chart: [box.scrollWidth, box.clientWidth],
            svg: r(svg), columns: cols.length, last: r(last), lastText: own(last),
            lastCells: lastCells, change: change,
            label: r(label), shown: shown, firstCell: r(firstCell),
        };
    "#;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_browser_sees_the_whole_timeline_at_1280_and_1920_pixels() {
        let (Some(chromium), Some(driver)) = (
            find(&["chromium", "chromium-browser", "google-chrome"]),
            find(&["chromedriver"]),
        ) else {
            assert!(
                std::env::var_os("ARCHEO_REQUIRE_BROWSER").is_none(),
                "ARCHEO_REQUIRE_BROWSER is set but chromium or chromedriver is missing"
            );
            eprintln!(
                "SKIPPED a_browser_sees_the_whole_timeline_at_1280_and_1920_pixels: no chromium and chromedriver here (apt-get install chromium chromium-driver)"
            );
            return;
        };
        let ws = wide_fixture();
        let srv = Server::start(&ws, &[]);
        let profile = tempfile::tempdir().unwrap();
        let (_driver, c) = session(&chromium, &driver, profile.path()).await;
        let shots = std::env::var_os("ARCHEO_SCREENSHOTS").map(std::path::PathBuf::from);
        let start = line_of(OPEN_V1, "OpenHow{");
        let mut columns_at = Vec::new();
        for (w, h) in [(1280u32, 900u32), (1920, 1080)] {
            c.set_window_size(w, h).await.unwrap();
            c.goto(&srv.url(&format!("/rules/{RULE}"))).await.unwrap();
            wait_for(&c, "svg.timeline").await;
            let m = c
                .execute(MEASURE, vec![serde_json::json!(WIDE_CHANGES)])
                .await
                .unwrap();
            let f = |v: &serde_json::Value| v.as_f64().unwrap();
            let at = format!("{w}x{h}: {m}");
            assert_eq!(m["views"], 1, "{at}");
            let (inner_w, inner_h) = (f(&m["inner"][0]), f(&m["inner"][1]));
            assert!(
                (inner_w - w as f64).abs() <= 20.0,
                "the window is {w} wide: {at}"
            );
            // No horizontal scrolling, of the page or inside the chart's box.
            assert!(
                f(&m["page"][0]) <= f(&m["page"][1]),
                "the page scrolls sideways: {at}"
            );
            assert!(
                f(&m["chart"][0]) <= f(&m["chart"][1]),
                "the chart scrolls sideways: {at}"
            );
            let viewport = f(&m["page"][1]);
            // The chart, its last column's label ("main") and every row's last cell are in view.
            assert!(
                f(&m["svg"][0]) >= 0.0 && f(&m["svg"][2]) <= viewport,
                "{at}"
            );
            assert_eq!(m["lastText"], "main", "{at}");
            assert!(
                f(&m["last"][2]) <= viewport && f(&m["last"][1]) >= 0.0,
                "{at}"
            );
            assert!(f(&m["last"][3]) <= inner_h, "{at}");
            let hits: Vec<bool> = serde_json::from_value(m["lastCells"].clone()).unwrap();
            assert!(
                hits.len() == 2 && hits.iter().all(|h| *h),
                "a last cell is hidden: {at}"
            );
            // Every release where a row appears or disappears has its column in view.
            for (rev, rect) in WIDE_CHANGES.iter().zip(m["change"].as_array().unwrap()) {
                assert!(!rect.is_null(), "{rev} has no column: {at}");
                assert!(f(&rect[0]) >= 0.0 && f(&rect[2]) <= viewport, "{rev}: {at}");
            }
            // The long row label keeps its symbol's ends and the file name with its lines, and
            // stops before the cells.
            let shown = m["shown"].as_str().unwrap();
            assert!(
                shown.starts_with("procfsLooku…")
                    && shown.ends_with(&format!("procfs_lookup_linux.go:{start}-{}", start + 3)),
                "{at}"
            );
            assert!(
                f(&m["label"][2]) <= f(&m["firstCell"][0]),
                "the label runs into the cells: {at}"
            );
            // What the screenshot shows is the viewport: the chart's box lies within it.
            let png = c.screenshot().await.unwrap();
            let (pw, ph) = png_size(&png);
            let dpr = f(&m["dpr"]);
            assert_eq!(
                (pw as f64, ph as f64),
                (inner_w * dpr, inner_h * dpr),
                "{at}"
            );
            assert!(
                f(&m["svg"][2]) * dpr <= pw as f64 && f(&m["svg"][3]) * dpr <= ph as f64,
                "{at}"
            );
            if let Some(dir) = &shots {
                std::fs::write(dir.join(format!("serve-timeline-{w}.png")), &png).unwrap();
            }
            columns_at.push((
                m["view"].as_str().unwrap().to_string(),
                m["columns"].as_u64().unwrap(),
            ));
        }
        // The 1920 window shows the wide chart, with more of the releases apart.
        assert_eq!(columns_at[0].0, "view narrow", "{columns_at:?}");
        assert_eq!(columns_at[1].0, "view wide", "{columns_at:?}");
        assert!(columns_at[1].1 > columns_at[0].1, "{columns_at:?}");
        c.close().await.unwrap();
    }
}

mod cache {
    //! The response cache (`--cache-mb`): hits, canonical keys, a rebuild dropping it, errors
    //! and 503s never kept, the cache off, and its byte bound.

    use super::*;

    fn cached(r: &Reply) -> Option<&str> {
        r.header("x-archeo-cache")
    }

    #[test]
    fn a_repeated_request_is_a_hit_with_the_same_answer_whatever_the_parameter_order() {
        let ws = fixture(all_revs());
        let srv = Server::start(&ws, &[]);
        for (first, reordered) in [
            (
                "/api/search?q=openat2&limit=5&context=1",
                "/api/search?context=1&limit=5&q=openat2",
            ),
            (
                "/search?q=openat2&no_vendor=1",
                "/search?no_vendor=1&q=openat2",
            ),
            (
                "/findings?rule=openat2-resolve-no-xdev&at=hist@v1.0.0",
                "/findings?at=hist@v1.0.0&rule=openat2-resolve-no-xdev",
            ),
            (
                "/api/diff?a=hist@v1.0.0&b=hist@v1.2.0",
                "/api/diff?b=hist@v1.2.0&a=hist@v1.0.0",
            ),
        ] {
            let a = srv.get(first);
            assert_eq!(a.status, 200, "{first}: {}", a.body);
            assert_eq!(cached(&a), Some("miss"), "{first}");
            let b = srv.get(first);
            assert_eq!(cached(&b), Some("hit"), "{first}");
            assert_eq!((b.status, &b.body), (200, &a.body), "{first}");
            assert_eq!(b.header("content-type"), a.header("content-type"));
            // The headers every answer carries are on a hit too.
            assert!(b.header("content-security-policy").is_some());
            let c = srv.get(reordered);
            assert_eq!(cached(&c), Some("hit"), "{reordered}");
            assert_eq!(c.body, a.body, "{reordered}");
        }
        // The API answer from the cache is still the CLI's JSON, byte for byte.
        let (_, out, _) = archeo(
            &ws,
            &[
                "search",
                "openat2",
                "--limit",
                "5",
                "--context",
                "1",
                "--format",
                "json",
            ],
        );
        assert_eq!(srv.get("/api/search?limit=5&q=openat2&context=1").body, out);
        // Another value, or another path with the same parameters, is another entry.
        assert_eq!(
            cached(&srv.get("/api/search?q=openat2&limit=6&context=1")),
            Some("miss")
        );
        assert_eq!(
            cached(&srv.get("/search?q=openat2&limit=5&context=1")),
            Some("miss")
        );
    }

    #[test]
    fn identical_requests_at_once_share_one_computation() {
        let ws = fixture(all_revs());
        let srv = Server::start(&ws, &[]);
        let n = 8;
        let gate = std::sync::Arc::new(std::sync::Barrier::new(n));
        let replies: Vec<Reply> = (0..n)
            .map(|_| {
                let (addr, gate) = (srv.addr.clone(), gate.clone());
                std::thread::spawn(move || {
                    gate.wait();
                    request(&addr, "GET", "/timeline?q=openat2")
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let misses = replies.iter().filter(|r| cached(r) == Some("miss")).count();
        assert_eq!(
            misses, 1,
            "one request computes, the others share its answer"
        );
        for r in &replies {
            assert_eq!((r.status, &r.body), (200, &replies[0].body));
        }
    }

    #[test]
    fn errors_and_503s_are_never_kept() {
        let ws = fixture("\"v1.0.0\"");
        let srv = Server::start(&ws, &["--timeout-ms", "0"]);
        for target in ["/api/search?q=openat2", "/search?q=openat2"] {
            for _ in 0..2 {
                let r = srv.get(target);
                assert_eq!(r.status, 503, "{target}: {}", r.body);
                assert_eq!(cached(&r), Some("miss"), "{target}");
            }
        }
        let srv = Server::start(&ws, &[]);
        for target in [
            "/api/search?q=openat2&at=hist@v9",
            "/search?q=(",
            "/file/hist/v1.0.0/no/such.go",
        ] {
            let a = srv.get(target);
            assert!(a.status >= 400, "{target}: {}", a.status);
            let b = srv.get(target);
            assert_eq!((b.status, cached(&b)), (a.status, Some("miss")), "{target}");
        }
    }

    #[test]
    fn with_cache_mb_0_nothing_is_kept() {
        let ws = fixture("\"v1.0.0\"");
        let srv = Server::start(&ws, &["--cache-mb", "0"]);
        let a = srv.get("/api/search?q=openat2");
        let b = srv.get("/api/search?q=openat2");
        assert_eq!((a.status, b.status), (200, 200));
        assert!(!a.body.is_empty());
        assert_eq!(a.body, b.body);
        assert_eq!((cached(&a), cached(&b)), (None, None));
    }

    #[test]
    fn a_rebuilt_index_drops_the_cache_and_the_next_answer_holds_the_new_content() {
        let ws = fixture("\"v1.0.0\", \"v1.1.0\"");
        let srv = Server::start(&ws, &["--poll-ms", "50"]);
        let target = "/api/search?q=openInRoot";
        let before = srv.get(target);
        assert_eq!(cached(&before), Some("miss"));
        assert!(!before.body.contains("\"v1.2.0\""));
        assert_eq!(cached(&srv.get(target)), Some("hit"));
        ws.manifest(
            &std::fs::read_to_string(ws.path().join("archeo.toml"))
                .unwrap()
                .replace("\"v1.0.0\", \"v1.1.0\"", "\"v1.*\""),
        );
        assert_eq!(archeo(&ws, &["fetch"]).0, 0);
        let (code, _, err) = archeo(&ws, &["index"]);
        assert_eq!(code, 0, "{err}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let first_new = loop {
            let r = srv.get(target);
            assert_eq!(r.status, 200, "{}", r.body);
            if r.body.contains("\"v1.2.0\"") {
                break r;
            }
            // Until the new index is swapped in, the old answer is served from the cache.
            assert_eq!(cached(&r), Some("hit"));
            assert_eq!(r.body, before.body);
            assert!(
                std::time::Instant::now() < deadline,
                "the rebuilt index was not picked up"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert_eq!(cached(&first_new), Some("miss"));
        let again = srv.get(target);
        assert_eq!(cached(&again), Some("hit"));
        assert_eq!(again.body, first_new.body);
        let (_, out, _) = archeo(&ws, &["search", "openInRoot", "--format", "json"]);
        assert_eq!(again.body, out);
    }

    /// A Go file of about `lines` lines, each a distinct function.
    fn big_go(tag: &str, lines: usize) -> String {
        let mut s = String::from("package big\n\n");
        for i in 0..lines {
            s.push_str(&format!("func {tag}{i}() int {{ return {i} }}\n"));
        }
        s
    }

    #[test]
    fn the_byte_bound_holds_evicting_the_least_recently_used() {
        let ws = Workspace::new();
        let up = ws.repo("big");
        up.write("a.go", big_go("alpha", 4_000))
            .write("b.go", big_go("beta", 4_000));
        up.commit("v1");
        up.tag("v1");
        ws.manifest(&format!(
            "[[repo]]\nname = \"big\"\nurl = \"{}\"\nrevs = [\"v1\"]\n",
            up.url()
        ));
        assert_eq!(archeo(&ws, &["fetch"]).0, 0);
        let (code, _, err) = archeo(&ws, &["index"]);
        assert_eq!(code, 0, "{err}");
        let srv = Server::start(&ws, &["--cache-mb", "1"]);
        let (a, b) = ("/file/big/v1/a.go", "/file/big/v1/b.go");
        let first = srv.get(a);
        assert_eq!(first.status, 200, "{}", first.body);
        // The premise: each page is over half the bound, so two do not fit together.
        assert!(first.body.len() > 600 * 1024, "{} bytes", first.body.len());
        assert!(first.body.len() < 1024 * 1024, "{} bytes", first.body.len());
        assert_eq!(cached(&srv.get(a)), Some("hit"));
        assert_eq!(cached(&srv.get(b)), Some("miss"));
        assert_eq!(cached(&srv.get(b)), Some("hit"));
        // b.go's page pushed a.go's out.
        let again = srv.get(a);
        assert_eq!(cached(&again), Some("miss"));
        assert_eq!(again.body, first.body);
        // Small answers still fit beside one big page: the bound counts bytes, not entries.
        assert_eq!(cached(&srv.get("/api/search?q=alpha1")), Some("miss"));
        assert_eq!(cached(&srv.get("/api/search?q=alpha1")), Some("hit"));
        assert_eq!(cached(&srv.get(a)), Some("hit"));
    }
}
