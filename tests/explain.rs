//! `archeo explain` on fixtures whose error chain crosses several functions, a vendored module,
//! a sentinel wrapped in more than one place, a second program (a shim that runs the app), and
//! releases that change the message.

use crate::common;

use common::*;

const CREATE: &str = "package core\n\nimport \"fmt\"\n\nfunc createCommand() error {\n\tif err := start(); err != nil {\n\t\treturn fmt.Errorf(\"app create failed: %w\", err)\n\t}\n\treturn nil\n}\n";
const START: &str = "package core\n\nimport \"fmt\"\n\nfunc start() error {\n\tif err := initProc(); err != nil {\n\t\treturn fmt.Errorf(\"unable to start process: %w\", err)\n\t}\n\treturn nil\n}\n\nfunc initProc() error {\n\treturn fmt.Errorf(\"error during init: %w\", writeKeys(map[string]string{}))\n}\n";
/// writeKeys reaches the sentinel first through `safe.Check` (one call away), whose error reads
/// "unsafe thing detected: subpath ... has an overmount": the message contradicts that route.
const KEYS_V1: &str = "package core\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/safe\"\n)\n\nfunc writeKeys(keys map[string]string) error {\n\tfor key := range keys {\n\t\tif err := safe.Check(\"sys/\" + key); err != nil {\n\t\t\treturn fmt.Errorf(\"open key %s file: %w\", key, err)\n\t\t}\n\t\tif _, err := safe.Open(\"sys/\" + key); err != nil {\n\t\t\treturn fmt.Errorf(\"open key %s file: %w\", key, err)\n\t\t}\n\t}\n\treturn nil\n}\n\nfunc other(name string, err error) error {\n\treturn fmt.Errorf(\"open %s: %w\", name, err)\n}\n\nfunc invalid(what string) error {\n\treturn fmt.Errorf(\"invalid %s\", what)\n}\n";
/// The release after v1.2.0 renames the function and its message.
const KEYS_V3: &str = "package core\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/safe\"\n)\n\nfunc writeKeys(keys map[string]string) error {\n\tfor key := range keys {\n\t\tif _, err := safe.Open(\"sys/\" + key); err != nil {\n\t\t\treturn fmt.Errorf(\"apply key %s: %w\", key, err)\n\t\t}\n\t}\n\treturn nil\n}\n";
const LOOKUP: &str = r#"package safe

import (
	"errors"
	"fmt"
	"os"
)

var errUnsafe = errors.New("unsafe thing detected")

// Check says in its own words what it found.
func Check(p string) error {
	if p == "" {
		return fmt.Errorf("%w: subpath %s has an overmount",
			errUnsafe, p)
	}
	return nil
}

// IsUnsafe only compares.
func IsUnsafe(err error) bool {
	return errors.Is(err, errUnsafe)
}

func Open(p string) (*os.File, error) {
	return lookup(p)
}

func lookup(p string) (*os.File, error) {
	if p[0] == '/' {
		return ReopenFd(p)
	}
	if f, err := resolve(p); err == nil {
		return f, nil
	}
	return fallback(p)
}

// ReopenFd is the shortest way down, but it says so in its own words.
func ReopenFd(p string) (*os.File, error) {
	f, err := LookupInRoot("thread-self/" + p)
	if err != nil {
		return nil, fmt.Errorf("get safe thread-self handle: %w", err)
	}
	return f, nil
}

func resolve(p string) (*os.File, error) {
	return walk(p)
}

func walk(p string) (*os.File, error) {
	return LookupInRoot(p)
}

func fallback(p string) (*os.File, error) {
	return walkSlow(p)
}

func walkSlow(p string) (*os.File, error) {
	return LookupInRoot(p)
}

func LookupInRoot(p string) (*os.File, error) {
	f, err := openat2(p)
	if err != nil {
		return nil, wrapBase(err, errUnsafe)
	}
	return f, nil
}

func wrapBase(base, extra error) error {
	return fmt.Errorf("%w: %w", extra, base)
}

func openat2(p string) (*os.File, error) {
	return nil, &os.PathError{Op: "openat2", Path: p, Err: os.ErrInvalid}
}
"#;
/// A second program that runs the app and reports its error under its own words, and a
/// generic format that would match almost any "... failed".
const SHIM: &str = "package process\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/pkg/errors\"\n)\n\ntype Init struct{}\n\nfunc (p *Init) Create() error {\n\tif err := run(); err != nil {\n\t\treturn p.runtimeError(err, \"shim runtime create failed\")\n\t}\n\treturn nil\n}\n\nfunc (p *Init) runtimeError(rErr error, msg string) error {\n\treturn fmt.Errorf(\"%s: %w\", msg, rErr)\n}\n\nfunc copyAll(name string, err error) error {\n\treturn errors.Wrapf(err, \"%s failed\", name)\n}\n\nfunc run() error { return nil }\n";

const MESSAGE: &str = "shim runtime create failed: app create failed: unable to start process: error during init: open key net.core.x file: unsafe thing detected: openat2 /proc/./sys/net/core/x: invalid cross-device link";

fn fixture() -> Workspace {
    let ws = Workspace::new();
    let up = ws.repo("app");
    up.write("core/create.go", CREATE)
        .write("core/start.go", START)
        .write("core/keys.go", KEYS_V1);
    up.write(
        "vendor/modules.txt",
        "# example.com/safe v0.5.1\nexample.com/safe\n",
    )
    .write("vendor/example.com/safe/lookup.go", LOOKUP);
    up.commit("v1");
    up.tag("v1.0.0");
    up.write(
        "core/keys.go",
        KEYS_V1.replace("open key %s file", "open key file %s"),
    );
    up.commit("v1.1");
    up.tag("v1.1.0");
    up.write("core/keys.go", KEYS_V1);
    up.commit("v1.2");
    up.tag("v1.2.0");
    up.write("core/keys.go", KEYS_V3);
    up.commit("v1.3");
    up.tag("v1.3.0");
    let shim = ws.repo("shim");
    shim.write("process/init.go", SHIM);
    shim.commit("shim");
    shim.tag("v2.0.0");
    // A project vendoring the same library: it holds the sentinel and the openat2 error, not
    // the message.
    let fork = ws.repo("fork");
    fork.write(
        "vendor/modules.txt",
        "# example.com/safe v0.5.1\nexample.com/safe\n",
    )
    .write("vendor/example.com/safe/lookup.go", LOOKUP)
    .write(
        "main.go",
        "package main\n\nimport \"example.com/safe\"\n\nfunc main() { safe.Open(\"x\") }\n",
    );
    fork.commit("fork");
    fork.tag("v0.1.0");
    ws.manifest(&format!(
        "[[repo]]\nname = \"app\"\nurl = \"{}\"\nrevs = [\"v1.*\"]\n\n[[repo]]\nname = \"shim\"\nurl = \"{}\"\nrevs = [\"v2.0.0\"]\n\n[[repo]]\nname = \"fork\"\nurl = \"{}\"\nrevs = [\"v0.1.0\"]\n",
        up.url(),
        shim.url(),
        fork.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    ws
}

fn explain_json(ws: &Workspace, args: &[&str]) -> (i32, serde_json::Value) {
    let mut a = vec!["explain", MESSAGE, "--format", "json"];
    a.extend_from_slice(args);
    let (code, out, err) = archeo(ws, &a);
    assert!(code == 0 || code == 1, "{err}");
    (code, serde_json::from_str(&out).unwrap())
}

fn chain_how(e: &serde_json::Value) -> Vec<(u64, u64, String)> {
    e["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["from"].as_u64().unwrap(),
                l["to"].as_u64().unwrap(),
                l["how"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn explains_each_segment_the_chain_and_the_releases() {
    let ws = fixture();
    let (code, e) = explain_json(&ws, &[]);
    assert_eq!(code, 0, "every segment explained: {e}");
    let segs = e["segments"].as_array().unwrap();
    let texts: Vec<&str> = segs.iter().map(|s| s["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            "shim runtime create failed",
            "app create failed",
            "unable to start process",
            "error during init",
            "open key net.core.x file",
            "unsafe thing detected",
            "openat2 /proc/./sys/net/core/x",
            "invalid cross-device link"
        ]
    );
    // A literal passed to a helper explains the outer segment; the generic "%s failed" is
    // listed as weak, after it, and never chosen.
    let outer = &segs[0]["candidates"];
    assert_eq!(outer[0]["format"], "shim runtime create failed");
    assert_eq!(outer[0]["kind"], "literal passed to p.runtimeError");
    assert!(outer[0]["weak"].is_null());
    let generic = outer
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["format"] == "%s failed")
        .expect("the generic format is listed");
    assert!(
        generic["weak"]
            .as_str()
            .unwrap()
            .contains("\"shim runtime create\""),
        "{generic}"
    );
    assert_eq!(segs[0]["chosen"]["at"], "shim@v2.0.0");

    assert_eq!(segs[1]["candidates"][0]["format"], "app create failed");
    assert_eq!(
        segs[1]["candidates"][0]["sites"][0]["function"],
        "createCommand"
    );
    // The longest literal wins; "open %s" is less literal and dropped or ranked after.
    assert_eq!(segs[4]["candidates"][0]["format"], "open key %s file");
    let sentinel = &segs[5]["candidates"][0];
    assert_eq!(sentinel["kind"], "sentinel errUnsafe = errors.New");
    assert_eq!(
        sentinel["sites"][0]["cite"]["vendored_module"],
        "example.com/safe v0.5.1"
    );
    // The sentinel is made into the message where LookupInRoot wraps it.
    assert_eq!(
        segs[5]["chosen"]["wrapped_at"]["function"],
        "safe.LookupInRoot"
    );
    assert_eq!(segs[6]["candidates"][0]["kind"], "os.PathError Op");
    assert_eq!(segs[6]["candidates"][0]["sites"][0]["function"], "openat2");
    // The errno explains the last segment; "invalid %s" is not offered for it.
    assert_eq!(segs[7]["errno"], "EXDEV (18)");
    assert!(segs[7]["candidates"].as_array().unwrap().is_empty());

    // Every link of the app's part is read at one revision holding all of it: the newest tag
    // with every segment (v1.3.0 renamed the message of writeKeys).
    let chain = chain_how(&e);
    assert_eq!(chain[0].0, 0);
    assert!(
        chain[0].2.starts_with("crosses from shim to app"),
        "{chain:?}"
    );
    assert!(e["chain"][0]["at"].is_null());
    for l in e["chain"].as_array().unwrap().iter().skip(1) {
        assert_eq!(l["at"], "app@v1.2.0", "{l}");
        assert!(
            !l["how"].as_str().unwrap().starts_with("no call path"),
            "{l}"
        );
    }
    assert!(
        chain[1]
            .2
            .starts_with("createCommand calls core.start (core/create.go:6)"),
        "{chain:?}"
    );
    assert!(
        chain[2].2.starts_with("start calls core.initProc"),
        "{chain:?}"
    );
    assert!(
        chain[3].2.starts_with("initProc calls core.writeKeys"),
        "{chain:?}"
    );

    let em: Vec<&serde_json::Value> = e["emitted_by"].as_array().unwrap().iter().collect();
    let repos: Vec<&str> = em.iter().map(|r| r["repo"].as_str().unwrap()).collect();
    assert_eq!(
        repos,
        ["shim", "app"],
        "the fork holds some segments, not a part"
    );
    assert_eq!(em[1]["segments"], serde_json::json!([1, 2, 3, 4, 5, 6]));
    assert_eq!(
        em[1]["emit"], "v1.0.0, v1.2.0",
        "v1.1.0 and v1.3.0 changed the format string"
    );
    assert_eq!(em[1]["at"], "app@v1.2.0");
    assert_eq!(em[1]["nearest_without"][0][0], "v1.1.0");
    assert_eq!(
        em[1]["nearest_without"][0][1],
        serde_json::json!([4]),
        "it lacks segment 5 (index 4)"
    );

    let (_, text, _) = archeo(&ws, &["explain", MESSAGE]);
    assert!(
        text.starts_with("8 segments: 7 from code, 1 errno text · shim [1], app [2]-[7]"),
        "{text}"
    );
    assert!(
        text.contains("errno EXDEV (18)")
            && text.contains("not app@v1.1.0: lacks [5]")
            && text.contains("not app@v1.3.0: lacks [5]")
            && !text.contains("unexplained"),
        "{text}"
    );
}

#[test]
fn the_route_is_the_one_the_message_proves() {
    let ws = fixture();
    let (_, e) = explain_json(&ws, &["--at", "app@v1.0.0"]);
    let link = e["chain"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["from"] == 4)
        .unwrap()
        .clone();
    // Check is one call from writeKeys and uses the sentinel, but its error reads
    // "...: subpath %s has an overmount", which the message does not: the route goes to the
    // wrap in LookupInRoot, whose next call makes segment 7.
    let how = link["how"].as_str().unwrap();
    assert!(
        how.starts_with("writeKeys reaches safe.LookupInRoot"),
        "{link}"
    );
    let hops: Vec<&str> = link["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    // The shortest way down (through ReopenFd) wraps the error in words the message does not
    // hold: set aside, said so, and the next route taken.
    assert_eq!(
        hops,
        [
            "safe.Open",
            "safe.lookup",
            "safe.resolve",
            "safe.walk",
            "safe.LookupInRoot"
        ],
        "{link}"
    );
    let alternatives = link["alternatives"].as_array().unwrap();
    let reopen = alternatives
        .iter()
        .find(|a| {
            a["via"]
                .as_str()
                .unwrap()
                .starts_with("safe.ReopenFd → safe.LookupInRoot")
        })
        .expect("the route through ReopenFd is shown, ruled out");
    assert_eq!(reopen["verdict"], "contradicted");
    assert!(
        reopen["why"]
            .as_str()
            .unwrap()
            .contains("\"get safe thread-self handle: %w\""),
        "{reopen}"
    );
    // Two routes remain: both shown, the second ranked after, and why.
    let other = alternatives
        .iter()
        .find(|a| a["via"].as_str().unwrap().starts_with("another route:"))
        .expect("the other clean route is shown");
    assert_eq!(other["verdict"], "possible");
    assert!(
        other["via"]
            .as_str()
            .unwrap()
            .contains("safe.fallback → safe.walkSlow"),
        "{other}"
    );
    assert!(
        other["why"]
            .as_str()
            .unwrap()
            .contains("nothing in the message tells the two apart"),
        "{other}"
    );
    // The error a format wraps is the one the nearest call before it returned: of writeKeys'
    // two "open key %s file" sites, the one after safe.Open (line 15), not after safe.Check.
    let seg = &e["segments"][4];
    let chosen = &seg["chosen"];
    let site = &seg["candidates"][chosen["candidate"].as_u64().unwrap() as usize]["sites"]
        [chosen["site"].as_u64().unwrap() as usize];
    assert_eq!(site["cite"]["start"], 15, "{seg}");
    assert!(
        link["hops"][0]["url"]
            .as_str()
            .unwrap()
            .contains("core/keys.go"),
        "hops are cited: {link}"
    );
    let ruled_out = link["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["via"].as_str().unwrap().starts_with("safe.Check"))
        .expect("the shorter route is shown, ruled out");
    assert_eq!(ruled_out["verdict"], "contradicted");
    assert!(
        ruled_out["why"]
            .as_str()
            .unwrap()
            .contains("%w: subpath %s has an overmount"),
        "{ruled_out}"
    );
    // A comparison with the sentinel emits nothing: not an option at all.
    assert!(
        !link.to_string().contains("IsUnsafe"),
        "errors.Is is not a route: {link}"
    );
    let next = e["chain"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["from"] == 5)
        .unwrap();
    assert!(
        next["how"]
            .as_str()
            .unwrap()
            .starts_with("safe.LookupInRoot wraps the sentinel")
            && next["how"]
                .as_str()
                .unwrap()
                .contains("error of safe.openat2"),
        "{next}"
    );
    let (_, text, _) = archeo(&ws, &["explain", MESSAGE, "--at", "app@v1.0.0"]);
    assert!(
        text.contains("not via safe.Check (vendor/example.com/safe/lookup.go:")
            && text.contains(": contradicted: there its error reads"),
        "{text}"
    );
}

#[test]
fn stdin_wrapped_lines_and_exit_codes() {
    let ws = fixture();
    let whole = MESSAGE
        .trim_start_matches("shim runtime create failed: ")
        .replace("error during init: ", "error during\n    init: ");
    let (code, out, _) = run_with_stdin(
        ws.archeo().args(["explain", "-", "--repo", "app"]),
        whole.as_bytes(),
    );
    assert_eq!(code, 0, "every segment explained: {out}");
    // Only weak matches: unexplained, exit 1.
    let (code, out, _) = archeo(&ws, &["explain", "copy everything failed"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unexplained: [1]"), "{out}");
    let (code, out, _) = archeo(
        &ws,
        &["explain", "nothing here matches at all", "--format", "md"],
    );
    assert_eq!(code, 1);
    assert!(out.contains("_no source in the pinned revisions_"), "{out}");
    let (code, _, err) = archeo(&ws, &["explain", "x", "--at", "app@v9"]);
    assert_eq!(code, 2);
    assert!(err.contains("app@v9 is not pinned"), "{err}");
}
