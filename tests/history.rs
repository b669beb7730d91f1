//! `archeo diff` and `archeo timeline` on a fixture whose tags add, remove, move and change
//! findings.

use crate::common;

use common::*;

const OPEN_V1: &str = "package p\n\nimport \"golang.org/x/sys/unix\"\n\nfunc open(root int, p string) (int, error) {\n\treturn unix.Openat2(root, p, &unix.OpenHow{Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_XDEV})\n}\n";
const OPEN_V2: &str = "package p\n\nimport \"golang.org/x/sys/unix\"\n\nfunc open(root int, p string) (int, error) {\n\treturn unix.Openat2(root, p, &unix.OpenHow{Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_MAGICLINKS})\n}\n";
const STRIP_V1: &str = "package p\n\nconst RESOLVE_NO_XDEV = 1\n\nfunc clean(r uint64) uint64 {\n\treturn r &^ RESOLVE_NO_XDEV\n}\n";
/// Renamed, shifted by three lines, re-indented and commented: the same identity.
const STRIP_V2: &str = "package p\n\n// Package p strips flags.\n// Really.\n//\nconst RESOLVE_NO_XDEV = 1\n\nfunc clean(r uint64) uint64 {\n\treturn   r &^ RESOLVE_NO_XDEV // drop it\n}\n";
const SENTINEL: &str = "package p\n\nimport \"errors\"\n\nvar errUnsafeProcfs = errors.New(\"unsafe procfs detected\")\n";
const ADDFD: &str = "package p\n\nimport \"golang.org/x/sys/unix\"\n\nfunc inject(fd int) {\n\t_ = uintptr(unix.SECCOMP_IOCTL_NOTIF_ADDFD)\n}\n";

fn fixture() -> (Workspace, Vec<String>) {
    let ws = Workspace::new();
    let up = ws.repo("hist");
    let mut c = Vec::new();
    up.write("open.go", OPEN_V1)
        .write("strip.go", STRIP_V1)
        .write("sentinel.go", SENTINEL);
    up.write("vendor/modules.txt", "# example.com/securejoin v0.4.1\n");
    c.push(up.commit("v1"));
    up.tag("v1.0.0");
    up.write("open.go", OPEN_V2)
        .remove("strip.go")
        .write("internal/strip.go", STRIP_V2)
        .remove("sentinel.go")
        .write("addfd.go", ADDFD);
    up.write(
        "vendor/modules.txt",
        "# example.com/securejoin v0.5.1\n# example.com/newmod v1.0.0\n",
    );
    c.push(up.commit("v2"));
    up.tag("v1.1.0");
    up.remove("addfd.go");
    c.push(up.commit("v3"));
    up.tag("v1.2.0");
    up.write("addfd.go", ADDFD);
    c.push(up.commit("v4"));
    up.tag("v1.2.1");
    ws.manifest(&format!(
        "[[repo]]\nname = \"hist\"\nurl = \"{}\"\nrevs = [\"v1.*\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    (ws, c)
}

fn changes(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn diff_classifies_added_removed_moved_and_changed_by_identity() {
    let (ws, commits) = fixture();
    let (code, out, err) = archeo(
        &ws,
        &["diff", "hist@v1.0.0", "hist@v1.1.0", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let cs = changes(&out);
    let of = |class: &str| {
        cs.iter()
            .filter(|c| c["type"] == "change" && c["class"] == class)
            .collect::<Vec<_>>()
    };

    let changed = of("changed");
    assert_eq!(changed.len(), 1, "{out}");
    assert_eq!(changed[0]["rule"], "openat2-resolve-no-xdev");
    assert_eq!(changed[0]["symbol"], "open");
    assert_eq!(
        changed[0]["a"]["facts"]["resolve"],
        serde_json::json!(["RESOLVE_BENEATH", "RESOLVE_NO_XDEV"])
    );
    assert_eq!(
        changed[0]["b"]["facts"]["resolve"],
        serde_json::json!([
            "RESOLVE_BENEATH",
            "RESOLVE_NO_MAGICLINKS",
            "RESOLVE_NO_XDEV"
        ])
    );

    let moved = of("moved");
    assert_eq!(
        moved.len(),
        1,
        "renamed + shifted + whitespace and comment edits: {out}"
    );
    assert_eq!(moved[0]["rule"], "resolve-flag-strip");
    assert_eq!(
        (
            moved[0]["a"]["cite"]["path"].as_str(),
            moved[0]["a"]["cite"]["start"].as_u64()
        ),
        (Some("strip.go"), Some(6))
    );
    assert_eq!(
        (
            moved[0]["b"]["cite"]["path"].as_str(),
            moved[0]["b"]["cite"]["start"].as_u64()
        ),
        (Some("internal/strip.go"), Some(9))
    );
    assert_eq!(moved[0]["b"]["cite"]["commit"], commits[1].as_str());

    let removed = of("removed");
    assert!(
        removed
            .iter()
            .any(|c| c["rule"] == "procfs-unsafe-check" && c["a"]["cite"]["path"] == "sentinel.go"),
        "{out}"
    );
    let added = of("added");
    assert_eq!(added.len(), 1, "{out}");
    assert_eq!(added[0]["rule"], "seccomp-addfd");

    let module = cs
        .iter()
        .find(|c| c["type"] == "module-change" && c["module"] == "example.com/securejoin")
        .unwrap();
    assert_eq!(
        (module["from"].as_str(), module["to"].as_str()),
        (Some("v0.4.1"), Some("v0.5.1"))
    );
    assert!(cs.iter().any(|c| c["type"] == "module-change"
        && c["module"] == "example.com/newmod"
        && c["from"].is_null()));
    assert!(cs.iter().any(|c| c["type"] == "file-change"
        && c["class"] == "removed"
        && c["path"] == "sentinel.go"));
    assert!(
        cs.iter().any(|c| c["type"] == "file-change"
            && c["class"] == "added"
            && c["path"] == "addfd.go")
    );

    // Text and Markdown say the same.
    let (_, text, _) = archeo(&ws, &["diff", "hist@v1.0.0", "hist@v1.1.0"]);
    assert!(
        text.contains("changed (1)") && text.contains("moved (1)") && text.contains("added (1)"),
        "{text}"
    );
    assert!(
        text.contains("example.com/securejoin v0.4.1 -> v0.5.1"),
        "{text}"
    );
    let (_, md, _) = archeo(
        &ws,
        &["diff", "hist@v1.0.0", "hist@v1.1.0", "--format", "md"],
    );
    assert!(
        md.contains("| changed | `openat2-resolve-no-xdev` | `open` |"),
        "{md}"
    );
    // Facts are text from upstream code: Markdown's brackets are escaped.
    assert!(md.contains("RESOLVE_BENEATH, RESOLVE_NO_XDEV\\] → resolve = \\[RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV\\]"), "{md}");
}

#[test]
fn no_differences_exit_1_and_search_mode_works() {
    let (ws, _) = fixture();
    let (code, out, _) = archeo(&ws, &["diff", "hist@v1.0.0", "hist@v1.0.0"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("0 changes"), "{out}");
    let (code, out, _) = archeo(
        &ws,
        &[
            "diff",
            "hist@v1.0.0",
            "hist@v1.1.0",
            "--search",
            "RESOLVE_NO_XDEV",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let cs = changes(&out);
    // The strip line only moved (identity ignores whitespace and comments).
    assert!(
        cs.iter()
            .any(|c| c["class"] == "moved" && c["b"]["cite"]["path"] == "internal/strip.go"),
        "{out}"
    );
    let (code, _, err) = archeo(&ws, &["diff", "hist@v1.0.0", "hist@v9"]);
    assert_eq!(code, 2);
    assert!(err.contains("hist@v9 is not pinned"), "{err}");
}

#[test]
fn timeline_shows_ranges_with_gaps() {
    let (ws, commits) = fixture();
    let (code, out, _) = archeo(
        &ws,
        &["timeline", "--rule", "seccomp-addfd", "--format", "json"],
    );
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let track = &lines[0];
    assert_eq!(track["type"], "track");
    assert_eq!(
        track["cite"]["revs_display"], "v1.1.0, v1.2.1 (2 revs)",
        "{out}"
    );
    let counts: Vec<(String, u64)> = lines[1..]
        .iter()
        .map(|l| {
            (
                l["rev"].as_str().unwrap().to_string(),
                l["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("v1.0.0".into(), 0),
            ("v1.1.0".into(), 1),
            ("v1.2.0".into(), 0),
            ("v1.2.1".into(), 1)
        ]
    );
    assert_eq!(lines[4]["commit"], commits[3].as_str());
    let (_, text, _) = archeo(&ws, &["timeline", "--rule", "resolve-flag-strip"]);
    assert!(
        text.contains("held by v1.0.0..v1.2.1 (4 revs)"),
        "the moved finding is one identity: {text}"
    );
    let (_, md, _) = archeo(
        &ws,
        &["timeline", "--rule", "seccomp-addfd", "--format", "md"],
    );
    assert!(
        md.contains("| hist@v1.2.0 | `") && md.contains("| T1 |"),
        "{md}"
    );
    let (code, out, _) = archeo(&ws, &["timeline", "\"unsafe procfs detected\""]);
    assert_eq!(code, 0);
    assert!(out.contains("held by v1.0.0 (1 rev)"), "{out}");
}

#[test]
fn diff_takes_path_and_no_vendor_like_search() {
    let (ws, _) = fixture();
    let all = changes(
        &archeo(
            &ws,
            &["diff", "hist@v1.0.0", "hist@v1.1.0", "--format", "json"],
        )
        .1,
    );
    assert!(all.iter().any(|c| c["type"] == "module-change"));
    let (code, out, err) = archeo(
        &ws,
        &[
            "diff",
            "hist@v1.0.0",
            "hist@v1.1.0",
            "--no-vendor",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let cs = changes(&out);
    assert!(!cs.iter().any(|c| c["type"] == "module-change"), "{out}");
    assert_eq!(
        cs.iter().filter(|c| c["type"] == "change").count(),
        all.iter().filter(|c| c["type"] == "change").count(),
        "no finding is vendored here"
    );
    // The summary says vendored code was left out, not that no vendored module changed.
    let (_, text, _) = archeo(&ws, &["diff", "hist@v1.0.0", "hist@v1.1.0", "--no-vendor"]);
    assert!(
        text.contains("vendored code left out (--no-vendor)")
            && !text.contains("0 vendored module changes"),
        "{text}"
    );
    // A revision that is not pinned: the one meant, or the pinned ones around it.
    let (code, _, err) = archeo(&ws, &["diff", "hist@1.0.0", "hist@v1.1.0"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean hist@v1.0.0?"), "{err}");
    let (code, _, err) = archeo(&ws, &["diff", "hist@v1.0.5", "hist@v1.1.0"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("the nearest pinned: hist@v1.0.0 (before), hist@v1.1.0 (after)"),
        "{err}"
    );
    let (code, out, err) = archeo(
        &ws,
        &[
            "diff",
            "hist@v1.0.0",
            "hist@v1.1.0",
            "--path",
            "internal/",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let cs = changes(&out);
    let sides: Vec<&serde_json::Value> = cs
        .iter()
        .filter(|c| c["type"] == "change")
        .flat_map(|c| [&c["a"], &c["b"]])
        .filter(|s| !s.is_null())
        .collect();
    assert!(!sides.is_empty(), "{out}");
    for s in sides {
        assert!(
            s["cite"]["path"].as_str().unwrap().starts_with("internal/"),
            "{out}"
        );
    }
    // Outside internal/ the strip finding's old place is not compared: it is new there.
    assert!(
        cs.iter()
            .any(|c| c["class"] == "added" && c["rule"] == "resolve-flag-strip")
    );
    assert!(!cs.iter().any(|c| c["type"] == "module-change"), "{out}");
    let (_, md, _) = archeo(
        &ws,
        &[
            "diff",
            "hist@v1.0.0",
            "hist@v1.1.0",
            "--path",
            "/open.go",
            "--format",
            "md",
        ],
    );
    assert!(md.contains("open.go") && !md.contains("strip.go"), "{md}");
}

#[test]
fn timeline_shows_each_revisions_own_path_and_line() {
    let (ws, commits) = fixture();
    let (code, out, err) = archeo(
        &ws,
        &[
            "timeline",
            "--rule",
            "resolve-flag-strip",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let track: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let places: Vec<(String, String, u64)> = track["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["rev"].as_str().unwrap().to_string(),
                p["path"].as_str().unwrap().to_string(),
                p["start"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [
            ("v1.0.0".into(), "strip.go".into(), 6),
            ("v1.1.0".into(), "internal/strip.go".into(), 9),
            ("v1.2.0".into(), "internal/strip.go".into(), 9),
            ("v1.2.1".into(), "internal/strip.go".into(), 9),
        ]
    );
    let first = &track["places"][0];
    assert_eq!(first["commit"], commits[0].as_str());
    assert!(
        first["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{}:strip.go:6", commits[0]))
    );
    let (_, text, _) = archeo(&ws, &["timeline", "--rule", "resolve-flag-strip"]);
    assert!(text.contains("at strip.go:6  in v1.0.0 (1 rev)"), "{text}");
    assert!(
        text.contains("at internal/strip.go:9  in v1.1.0..v1.2.1 (3 revs)"),
        "{text}"
    );
    let (_, md, _) = archeo(
        &ws,
        &["timeline", "--rule", "resolve-flag-strip", "--format", "md"],
    );
    assert!(
        md.contains("strip.go:6") && md.contains("(v1.0.0 (1 rev))"),
        "{md}"
    );
    // A finding that never moved keeps the one-place header.
    let (_, text, _) = archeo(&ws, &["timeline", "--rule", "seccomp-addfd"]);
    assert!(!text.contains("   at "), "{text}");
}
