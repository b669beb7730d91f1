//! `archeo identify` end to end: fixture artifacts (hand-made Go ELF files, a .deb) matched
//! against a fixture repository pinned under a github.com URL (served from disk through git's
//! insteadOf), findings at the matched revision, and the --fail-on gate's exit codes.

use crate::artifact_fixtures;
use crate::common;

use artifact_fixtures::{Format, GoBinary, Runtime, deb, tar};
use common::*;

/// A workspace pinning `proj` (go_project: v1.0.0, v1.1.0, v1.2.0; RESOLVE_NO_XDEV appears in
/// v1.2.0's vendored module) as https://github.com/acme/proj, fetched and indexed.
fn indexed() -> (Workspace, Vec<String>) {
    let ws = Workspace::new();
    let (_, commits) = go_project(&ws);
    ws.manifest(
        "[[repo]]\nname = \"proj\"\nurl = \"https://github.com/acme/proj\"\nrevs = [\"v1.*\"]\n",
    );
    for cmd in [&["fetch"][..], &["index"][..]] {
        let (code, _, err) = run(github_archeo(&ws).args(cmd));
        assert_eq!(code, 0, "{err}");
    }
    (ws, commits)
}

fn write(ws: &Workspace, name: &str, bytes: &[u8]) -> String {
    let p = ws.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn binary(revision: &str) -> Vec<u8> {
    GoBinary::new(
        Format::Inline,
        &format!(
            "path\tgithub.com/acme/proj/cmd/proj\nmod\tgithub.com/acme/proj\t(devel)\t\nbuild\tvcs=git\nbuild\tvcs.revision={revision}\nbuild\tvcs.modified=false\n"
        ),
    )
    .build()
}

#[test]
fn an_exact_commit_is_matched_and_its_findings_reported() {
    let (ws, commits) = indexed();
    let bin = write(&ws, "proj-bin", &binary(&commits[2]));
    let (code, out, err) = archeo(
        &ws,
        &[
            "identify",
            &bin,
            "--rule",
            "openat2-resolve-no-xdev",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["confidence"], "exact commit", "{out}");
    assert_eq!(v["pin"]["rev"], "v1.2.0");
    assert_eq!(v["pin"]["commit"], commits[2].as_str());
    assert_eq!(
        v["permalink"],
        format!("https://github.com/acme/proj/tree/{}", commits[2]).as_str()
    );
    assert_eq!(v["findings"][0]["rule"], "openat2-resolve-no-xdev");
    assert_eq!(v["findings"][0]["present"], true);
    // Each finding at the matched revision is a cited place there.
    let cite = &v["findings"][0]["cites"][0];
    assert_eq!(
        (cite["repo"].as_str(), cite["rev"].as_str()),
        (Some("proj"), Some("v1.2.0")),
        "{out}"
    );
    assert!(
        cite["url"].as_str().unwrap().starts_with(&format!(
            "https://github.com/acme/proj/blob/{}/",
            commits[2]
        )),
        "{out}"
    );
    // Every fact names where it was read.
    let ev = v["evidence"].as_array().unwrap();
    assert!(
        ev.iter().any(|e| e["fact"] == "build vcs.revision"
            && e["at"].as_str().unwrap().contains("file offset")),
        "{out}"
    );

    // v1.0.0 lacks RESOLVE_NO_XDEV: the same rule is absent there, and the gate passes.
    let old = write(&ws, "proj-old", &binary(&commits[0]));
    let (code, out, err) = archeo(
        &ws,
        &["identify", &old, "--fail-on", "openat2-resolve-no-xdev"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("openat2-resolve-no-xdev absent"), "{out}");
    // ... and refuses v1.2.0 with exit 3, naming the artifact, the rule and the revision.
    let (code, _, err) = archeo(
        &ws,
        &["identify", &bin, "--fail-on", "openat2-resolve-no-xdev"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("openat2-resolve-no-xdev at proj@v1.2.0") && err.contains("proj-bin"),
        "{err}"
    );

    // A query gate: the rule's finding inside one function (one command for "does the version
    // we ship hold this finding in that function?").
    let gate = "rule:openat2-resolve-no-xdev sym:lookupInRoot";
    let (code, _, err) = archeo(&ws, &["identify", &bin, "--fail-on", gate]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains(&format!("{gate} at proj@v1.2.0")), "{err}");
    let (code, out, err) = archeo(&ws, &["identify", &old, "--fail-on", gate]);
    assert_eq!(code, 0, "v1.0.0 lacks the flag: {out}{err}");
    let elsewhere = "rule:openat2-resolve-no-xdev sym:noSuchFunction";
    let (code, out, err) = archeo(&ws, &["identify", &bin, "--fail-on", elsewhere]);
    assert_eq!(code, 0, "no finding in that function: {out}{err}");
    // A query that does not parse is an error with its column, before anything is scanned.
    let (code, _, err) = archeo(&ws, &["identify", &bin, "--fail-on", "sym:x \"open"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("column"), "{err}");
}

#[test]
fn an_unpinned_commit_is_placed_between_pinned_tags_from_the_cache() {
    let ws = Workspace::new();
    let (up, _) = go_project(&ws);
    up.write("libct/extra.go", "package libct\n\nfunc Extra() {}\n");
    let unpinned = up.commit("after v1.2.0");
    up.write("libct/more.go", "package libct\n\nfunc More() {}\n");
    up.commit("v1.3.0");
    up.tag("v1.3.0");
    ws.manifest(
        "[[repo]]\nname = \"proj\"\nurl = \"https://github.com/acme/proj\"\nrevs = [\"v1.*\"]\n",
    );
    let (code, _, err) = run(github_archeo(&ws).arg("fetch"));
    assert_eq!(code, 0, "{err}");
    let bin = write(&ws, "proj-dev", &binary(&unpinned));
    let (code, out, err) = archeo(&ws, &["identify", &bin]);
    assert_eq!(code, 1, "nothing pinned matches: {out}{err}");
    assert!(
        out.contains("lies between pinned tags v1.2.0 and v1.3.0"),
        "{out}"
    );
}

#[test]
fn a_package_matches_by_version_with_its_debian_revision_dropped() {
    let (ws, commits) = indexed();
    let bin = GoBinary::new(Format::Inline, "path\tgithub.com/acme/proj\n").build();
    let data = tar(&[("./usr/bin/proj", &bin)], &[]);
    let control = "Package: proj\nVersion: 1.1.0-2\nArchitecture: amd64\nMaintainer: F <f@example.invalid>\nHomepage: https://github.com/acme/proj\nDescription: fixture\n";
    let pkg = write(&ws, "proj_1.1.0-2_amd64.deb", &deb(control, &data));
    let (code, out, err) = archeo(&ws, &["identify", &pkg, "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["confidence"], "by version", "{out}");
    assert_eq!(v["pin"]["commit"], commits[1].as_str());
    let (_, md, _) = archeo(&ws, &["identify", &pkg, "--format", "md"]);
    assert!(md.contains("| by version | [proj@v1.1.0]"), "{md}");
    // Nothing in an artifact is ever run: an executable script (in a layer, and named
    // directly) that would leave a marker if executed leaves none.
    let marker = ws.path().join("executed");
    let script = format!("#!/bin/sh\ntouch {}\n", marker.display());
    let layer = write(
        &ws,
        "layer.tar",
        &tar(&[("./usr/bin/proj", script.as_bytes())], &[]),
    );
    let direct = write(&ws, "proj-script", script.as_bytes());
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&direct, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert_eq!(archeo(&ws, &["identify", &layer]).0, 1);
    assert_eq!(archeo(&ws, &["identify", &direct]).0, 2);
    assert!(!marker.exists(), "an artifact was executed");
    // Unreadable input is an error naming the path.
    let (code, _, err) = archeo(&ws, &["identify", "no-such-file"]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-file"), "{err}");
}

/// Issue 32: a C program carrying a `.go.buildinfo` section that claims the pinned module at
/// v1.2.0's exact commit, and a binary whose function table is of another Go release than its
/// build info says: neither is `exact commit`, and the notes say what disagrees; the genuine
/// binary says what agrees.
#[test]
fn forged_go_build_info_is_not_trusted() {
    let (ws, commits) = indexed();
    let modinfo = format!(
        "path\tgithub.com/acme/proj/cmd/proj\nmod\tgithub.com/acme/proj\tv1.2.0\t\nbuild\tvcs=git\nbuild\tvcs.revision={}\nbuild\tvcs.modified=false\n",
        commits[2]
    );
    let with = |runtime: Runtime| {
        let mut b = GoBinary::new(Format::Inline, &modinfo);
        b.runtime = runtime;
        b.build()
    };
    let identify = |name: &str, bytes: &[u8]| -> serde_json::Value {
        let path = write(&ws, name, bytes);
        let (code, out, err) = archeo(&ws, &["identify", &path, "--format", "json"]);
        assert!(code == 0 || code == 1, "{err}");
        serde_json::from_str(out.lines().next().unwrap()).unwrap()
    };
    let real = identify("genuine", &with(Runtime::AsClaimed));
    assert_eq!(real["confidence"], "exact commit", "{real}");
    let notes = real["notes"].to_string();
    assert!(
        notes.contains("the Go runtime agrees with the build info: pclntab in the format of Go 1.20 and later, 8-byte pointers"),
        "{notes}"
    );
    assert!(
        real["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["fact"] == "go function table"),
        "{real}"
    );

    for (name, runtime, why) in [
        (
            "forged-c",
            Runtime::Forged,
            "no Go function table (pclntab) in the file",
        ),
        (
            "other-release",
            Runtime::Of("go1.16.15"),
            "is in the format of Go 1.16-1.17, not of Go 1.20 and later as go1.22.4 writes it",
        ),
    ] {
        let v = identify(name, &with(runtime));
        assert_eq!(v["confidence"], "unknown", "{name}: {v}");
        assert!(v["pin"].is_null(), "{name}: {v}");
        let notes = v["notes"].to_string();
        assert!(
            notes.contains("not trusted: the file carries Go build info (github.com/acme/proj v1.2.0, vcs.revision")
                && notes.contains(why),
            "{name}: {notes}"
        );
        // The text output says it too.
        let path = ws.path().join(name).display().to_string();
        let (_, out, _) = archeo(&ws, &["identify", &path]);
        assert!(out.contains("not trusted"), "{out}");
        assert!(!out.contains("exact commit"), "{out}");
    }
}
