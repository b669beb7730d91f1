//! Rules: the built-in pack's own tests, user rules without recompiling, findings, errors.

use crate::common;

use common::*;

#[test]
fn the_builtin_rule_pack_passes_its_cases() {
    let ws = Workspace::new();
    let (code, out, err) = archeo(&ws, &["rules", "test"]);
    assert_eq!(code, 0, "{out}{err}");
    for id in [
        "openat2-resolve-no-xdev",
        "procfs-unsafe-check",
        "sysctl-write",
        "seccomp-syscall-trap",
        "seccomp-openat2-handler",
        "resolve-flag-strip",
        "seccomp-addfd",
        "docker-run-sysbox-runtime",
        "c-sysctl-write",
        "c-procfs-handle",
        "c-openat2-resolve-no-xdev",
        "rust-sysctl-write",
        "rust-procfs-handle",
        "rust-openat2-resolve-no-xdev",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with("ok") && l.contains(id)),
            "{id}: {out}"
        );
    }
    assert!(out.contains("14 passed, 0 failed"), "{out}");
}

fn user_rule_dir(ws: &Workspace, body: &str) -> std::path::PathBuf {
    let dir = ws.path().join("my-rules");
    std::fs::create_dir_all(dir.join("go")).unwrap();
    std::fs::write(dir.join("go/sysctl-key.scm"), body).unwrap();
    dir
}

const USER_RULE: &str = "; id: sysctl-key\n; title: sysctl keys turned into paths\n; facts: call\n((call_expression function: (selector_expression field: (field_identifier) @call) arguments: (argument_list (identifier) (interpreted_string_literal) @dot)) @match\n (#eq? @call \"ReplaceAll\") (#eq? @dot \"\\\".\\\"\"))\n";

#[test]
fn users_add_rules_without_recompiling_and_untested_rules_are_flagged() {
    let (ws, up, _) = fetched_project("\"v1.0.0\"");
    let dir = user_rule_dir(&ws, USER_RULE);
    let (code, out, _) = archeo(&ws, &["rules", "list", "--rules", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("sysctl-key") && out.contains("sysctl keys turned into paths"),
        "{out}"
    );
    // No positive case yet: flagged, and the command fails.
    let (code, out, _) = archeo(&ws, &["rules", "test", "--rules", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(out.contains("NO POSITIVE TEST sysctl-key"), "{out}");
    std::fs::create_dir_all(dir.join("tests/sysctl-key/valid")).unwrap();
    std::fs::write(dir.join("tests/sysctl-key/valid/a.go"), "package a\n\nfunc f(k string) string {\n\treturn strings.ReplaceAll(k, \".\", \"/\") // expect: call = ReplaceAll\n}\n").unwrap();
    let (code, out, _) = archeo(&ws, &["rules", "test", "--rules", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");

    // Through the manifest's [rules] paths: indexed and found.
    ws.manifest(&format!("[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.0.0\"]\n\n[rules]\npaths = [\"my-rules\"]\n", up.url()));
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = archeo(
        &ws,
        &["findings", "--rule", "sysctl-key", "--format", "json"],
    );
    assert_eq!(code, 0, "{out}");
    let f: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(f["cite"]["path"], "internal/sys/sysctl.go");
    assert_eq!(f["symbol"], "WriteSysctls");
    assert_eq!(f["facts"]["call"][0], "ReplaceAll");
}

#[test]
fn a_broken_query_is_reported_at_its_position() {
    let ws = Workspace::new();
    let dir = user_rule_dir(
        &ws,
        "; id: broken\n; title: t\n((call_expression\n   function: (nonexistent_node) @x) @match)\n",
    );
    let (code, _, err) = archeo(&ws, &["rules", "list", "--rules", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("sysctl-key.scm:4:") && err.contains("query error"),
        "{err}"
    );
    let dir = user_rule_dir(&ws, "; title: no id\n((identifier) @match)\n");
    let (_, _, err) = archeo(&ws, &["rules", "list", "--rules", dir.to_str().unwrap()]);
    assert!(
        err.contains("sysctl-key.scm:1:1: rule has no `; id: ...` header line"),
        "{err}"
    );
}

#[test]
fn findings_are_placed_in_the_revisions_that_hold_them() {
    let (ws, _, commits) = fetched_project("\"v1.*\"");
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let (code, out, _) = archeo(
        &ws,
        &[
            "findings",
            "--rule",
            "openat2-resolve-no-xdev",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let hits: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "only v1.2.0's procfs.go sets RESOLVE_NO_XDEV: {out}"
    );
    let h = &hits[0];
    assert_eq!(h["cite"]["path"], "vendor/example.com/securejoin/procfs.go");
    assert_eq!(
        (h["cite"]["start"].as_u64(), h["cite"]["end"].as_u64()),
        (Some(13), Some(16))
    );
    assert_eq!(h["symbol"], "lookupInRoot");
    assert_eq!(
        h["cite"]["vendored_module"],
        "example.com/securejoin v0.5.1"
    );
    let flags: Vec<&str> = h["facts"]["resolve"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        flags,
        [
            "RESOLVE_BENEATH",
            "RESOLVE_NO_MAGICLINKS",
            "RESOLVE_NO_XDEV"
        ]
    );
    assert_eq!(h["cite"]["revs"][0]["commit"], commits[2].as_str());
    // The same finding through search's rule: filter, and absent at v1.0.0.
    let (code, out, _) = archeo(
        &ws,
        &[
            "search",
            "rule:openat2-resolve-no-xdev Resolve",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("RESOLVE_NO_XDEV") && out.lines().count() == 1,
        "{out}"
    );
    let (code, _, _) = archeo(
        &ws,
        &[
            "findings",
            "--rule",
            "openat2-resolve-no-xdev",
            "--at",
            "proj@v1.0.0",
        ],
    );
    assert_eq!(code, 1);
    let (code, out, _) = archeo(&ws, &["findings", "--rule", "sysctl-write"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("v1.0.0..v1.2.0 (3 revs)") && out.contains("internal/sys/sysctl.go:12"),
        "{out}"
    );
    let (code, _, err) = archeo(&ws, &["findings", "--rule", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule \"no-such-rule\""), "{err}");
}
