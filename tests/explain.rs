//! `archeo explain` on a fixture whose error chain crosses several functions and a vendored
//! module, with a sentinel, a PathError op, and a message that changes between tags.

use crate::common;

use common::*;

const CREATE: &str = "package cmd\n\nimport \"fmt\"\n\nfunc createCommand() error {\n\tif err := start(); err != nil {\n\t\treturn fmt.Errorf(\"app create failed: %w\", err)\n\t}\n\treturn nil\n}\n";
const START: &str = "package core\n\nimport \"fmt\"\n\nfunc start() error {\n\tif err := initProc(); err != nil {\n\t\treturn fmt.Errorf(\"unable to start process: %w\", err)\n\t}\n\treturn nil\n}\n\nfunc initProc() error {\n\treturn fmt.Errorf(\"error during init: %w\", writeKeys(map[string]string{}))\n}\n";
const KEYS_V1: &str = "package core\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/safe\"\n)\n\nfunc writeKeys(keys map[string]string) error {\n\tfor key := range keys {\n\t\tif _, err := safe.LookupInRoot(\"sys/\" + key); err != nil {\n\t\t\treturn fmt.Errorf(\"open key %s file: %w\", key, err)\n\t\t}\n\t}\n\treturn nil\n}\n\nfunc other(name string, err error) error {\n\treturn fmt.Errorf(\"open %s: %w\", name, err)\n}\n";
const LOOKUP: &str = "package safe\n\nimport (\n\t\"errors\"\n\t\"fmt\"\n\t\"os\"\n)\n\nvar errUnsafe = errors.New(\"unsafe thing detected\")\n\nfunc LookupInRoot(p string) (*os.File, error) {\n\tf, err := openat2(p)\n\tif err != nil {\n\t\treturn nil, fmt.Errorf(\"%w: %w\", errUnsafe, err)\n\t}\n\treturn f, nil\n}\n\nfunc openat2(p string) (*os.File, error) {\n\treturn nil, &os.PathError{Op: \"openat2\", Path: p, Err: os.ErrInvalid}\n}\n";

const MESSAGE: &str = "runtime failed: app create failed: unable to start process: error during init: open key net.core.x file: unsafe thing detected: openat2 /proc/./sys/net/core/x: invalid cross-device link";

fn fixture() -> Workspace {
    let ws = Workspace::new();
    let up = ws.repo("app");
    up.write("cmd/create.go", CREATE)
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
    ws.manifest(&format!(
        "[[repo]]\nname = \"app\"\nurl = \"{}\"\nrevs = [\"v1.*\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    ws
}

#[test]
fn explains_each_segment_the_chain_and_the_releases() {
    let ws = fixture();
    let (code, out, err) = archeo(&ws, &["explain", MESSAGE, "--format", "json"]);
    assert_eq!(code, 1, "the first segment has no source: {err}");
    let e: serde_json::Value = serde_json::from_str(&out).unwrap();
    let segs = e["segments"].as_array().unwrap();
    let texts: Vec<&str> = segs.iter().map(|s| s["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            "runtime failed",
            "app create failed",
            "unable to start process",
            "error during init",
            "open key net.core.x file",
            "unsafe thing detected",
            "openat2 /proc/./sys/net/core/x",
            "invalid cross-device link"
        ]
    );
    assert!(
        segs[0]["candidates"].as_array().unwrap().is_empty(),
        "listed, not dropped"
    );
    assert_eq!(segs[1]["candidates"][0]["format"], "app create failed");
    assert_eq!(
        segs[1]["candidates"][0]["sites"][0]["cite"]["path"],
        "cmd/create.go"
    );
    assert_eq!(
        segs[1]["candidates"][0]["sites"][0]["function"],
        "createCommand"
    );
    // The longest literal wins; "open %s" is less literal and dropped or ranked after.
    assert_eq!(segs[4]["candidates"][0]["format"], "open key %s file");
    assert_eq!(segs[4]["candidates"][0]["sites"][0]["cite"]["start"], 12);
    let sentinel = &segs[5]["candidates"][0];
    assert_eq!(sentinel["kind"], "sentinel errUnsafe = errors.New");
    assert_eq!(
        sentinel["sites"][0]["cite"]["vendored_module"],
        "example.com/safe v0.5.1"
    );
    assert_eq!(segs[6]["candidates"][0]["kind"], "os.PathError Op");
    assert_eq!(segs[6]["candidates"][0]["sites"][0]["function"], "openat2");
    assert_eq!(segs[7]["errno"], "EXDEV (18)");

    let chain: Vec<&str> = e["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["how"].as_str().unwrap())
        .collect();
    assert!(
        chain[0].starts_with("createCommand calls start (cmd/create.go:6)"),
        "{chain:?}"
    );
    // The graph names callees by package (`core.initProc`): the call resolved, not a guess.
    assert!(
        chain[1].starts_with("start calls core.initProc"),
        "{chain:?}"
    );
    assert!(
        chain[2].starts_with("initProc calls core.writeKeys"),
        "{chain:?}"
    );
    assert!(
        chain[3].starts_with("writeKeys reaches errUnsafe through 2 calls"),
        "{chain:?}"
    );
    assert!(
        chain[4].starts_with("LookupInRoot wraps errUnsafe"),
        "{chain:?}"
    );
    assert!(
        chain[4].contains("around the error of openat2"),
        "{chain:?}"
    );

    let em = &e["emitted_by"][0];
    assert_eq!(em["repo"], "app");
    assert_eq!(
        em["emit"], "v1.0.0, v1.2.0",
        "v1.1.0 changed the format string"
    );
    assert_eq!(em["nearest_without"][0][0], "v1.1.0");
    assert_eq!(
        em["nearest_without"][0][1],
        serde_json::json!([4]),
        "it lacks segment 5 (index 4)"
    );

    let (_, text, _) = archeo(&ws, &["explain", MESSAGE]);
    assert!(
        text.contains("errno EXDEV (18)")
            && text.contains("not app@v1.1.0: lacks [5]")
            && text.contains("unexplained: [1]"),
        "{text}"
    );
}

#[test]
fn stdin_wrapped_lines_and_exit_codes() {
    let ws = fixture();
    let whole = MESSAGE
        .trim_start_matches("runtime failed: ")
        .replace("error during init: ", "error during\n    init: ");
    let mut c = ws.archeo();
    c.args(["explain", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(whole.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "every segment explained: {}",
        String::from_utf8_lossy(&out.stdout)
    );
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
