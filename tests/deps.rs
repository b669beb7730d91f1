//! `archeo deps` and `archeo affected` end to end: a consumer repository whose Dockerfile,
//! installer script and version file pin releases of a component repository (go_project, where
//! only v1.2.0 carries RESOLVE_NO_XDEV), both pinned under github.com URLs served from disk.

mod common;

use common::*;

const DOCKERFILE: &str = r#"# syntax=docker/dockerfile:1
ARG GO_VERSION=1.22
FROM golang:${GO_VERSION}-bookworm AS base

FROM base AS proj-src
# PROJ_VERSION is the release of proj bundled with shipper.
ARG PROJ_VERSION=@VERSION@
RUN git clone https://github.com/acme/proj.git /src/proj \
 && cd /src/proj \
 && git checkout -q "${PROJ_VERSION}"
"#;

const INSTALLER: &str = r#"#!/usr/bin/env bash
set -e
# Default release; override with PROJ_VERSION.
: "${PROJ_VERSION:=@VERSION@}"
git clone https://github.com/acme/proj.git "$GOPATH/src/proj"
cd "$GOPATH/src/proj"
git checkout -q "$PROJ_VERSION"
"#;

/// `shipper` releases: v1.0 bundles proj v1.0.0, v2.0 bundles v1.2.0, v3.0 an unpinned v1.1.5.
fn workspace() -> (Workspace, Vec<String>) {
    let ws = Workspace::new();
    let (_, proj) = go_project(&ws);
    let shipper = ws.repo("shipper");
    let mut commits = Vec::new();
    for (tag, version) in [("v1.0", "v1.0.0"), ("v2.0", "v1.2.0"), ("v3.0", "v1.1.5")] {
        shipper.write("Dockerfile", DOCKERFILE.replace("@VERSION@", version));
        shipper.write(
            "hack/install/proj.installer",
            INSTALLER.replace("@VERSION@", version),
        );
        shipper.write(
            "README.md",
            format!("shipper {tag}, built with proj {version}\n"),
        );
        commits.push(shipper.commit(tag));
        shipper.tag(tag);
    }
    ws.manifest(
        "[[repo]]\nname = \"proj\"\nurl = \"https://github.com/acme/proj\"\nrevs = [\"v1.*\"]\n\n\
         [[repo]]\nname = \"shipper\"\nurl = \"https://github.com/acme/shipper\"\nrevs = [\"v*\"]\n",
    );
    for cmd in [&["fetch"][..], &["index"][..]] {
        let (code, _, err) = run(insteadof(&ws).args(cmd));
        assert_eq!(code, 0, "{err}");
    }
    let _ = proj;
    (ws, commits)
}

fn insteadof(ws: &Workspace) -> std::process::Command {
    let mut c = ws.archeo();
    c.env("GIT_CONFIG_COUNT", "1")
        .env(
            "GIT_CONFIG_KEY_0",
            format!(
                "url.file://{}/.insteadOf",
                ws.path().join("upstream").display()
            ),
        )
        .env("GIT_CONFIG_VALUE_0", "https://github.com/acme/");
    c
}

fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn deps_cites_each_pin_and_links_it_to_the_pinned_release() {
    let (ws, commits) = workspace();
    let (code, out, err) = archeo(&ws, &["deps", "shipper@v2.0", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let edges = json_lines(&out);
    let arg = edges
        .iter()
        .find(|e| e["path"] == "Dockerfile" && e["name"] == "PROJ_VERSION")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(arg["version"], "v1.2.0");
    assert_eq!(arg["line"], 7);
    assert_eq!(arg["status"], "pinned");
    assert_eq!(arg["link"]["repo"], "proj");
    assert_eq!(
        arg["url"],
        format!(
            "https://github.com/acme/shipper/blob/{}/Dockerfile#L7",
            commits[1]
        )
        .as_str()
    );
    // The checkout of the variable is merged into the line that sets it.
    assert_eq!(arg["used_at"], serde_json::json!([10]), "{out}");
    let installer = edges
        .iter()
        .find(|e| e["path"] == "hack/install/proj.installer")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        (installer["version"].as_str(), installer["line"].as_u64()),
        (Some("v1.2.0"), Some(4))
    );
    // Nothing in comments counts: line 6 mentions PROJ_VERSION in a comment.
    assert!(
        edges
            .iter()
            .all(|e| e["line"] != 6 || e["path"] != "Dockerfile"),
        "{out}"
    );
    // An unpinned version says which pinned tags are nearest.
    let (_, out, _) = archeo(&ws, &["deps", "shipper@v3.0"]);
    assert!(
        out.contains("proj: not pinned (nearest pinned tags v1.1.0 / v1.2.0)"),
        "{out}"
    );
    // With --all, edges to nothing pinned (the golang base image) are listed too.
    let (_, all, _) = archeo(&ws, &["deps", "shipper@v2.0", "--all"]);
    assert!(all.contains("docker-from golang"), "{all}");
}

#[test]
fn affected_answers_per_release_whether_the_bundled_version_carries_the_finding() {
    let (ws, _) = workspace();
    let (code, out, err) = archeo(
        &ws,
        &[
            "affected",
            "--rule",
            "openat2-resolve-no-xdev",
            "--repo",
            "shipper",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let rows = json_lines(&out);
    let of = |rel: &str, path: &str| {
        rows.iter()
            .find(|r| r["consumer"] == rel && r["edge"]["path"] == path)
            .unwrap_or_else(|| panic!("{rel} {path}: {out}"))
            .clone()
    };
    assert_eq!(of("shipper@v1.0", "Dockerfile")["carries"], "absent");
    assert_eq!(of("shipper@v1.0", "Dockerfile")["component"], "proj@v1.0.0");
    assert_eq!(of("shipper@v2.0", "Dockerfile")["carries"], "present");
    assert_eq!(
        of("shipper@v2.0", "hack/install/proj.installer")["carries"],
        "present"
    );
    assert_eq!(of("shipper@v3.0", "Dockerfile")["carries"], "unknown");
    // Markdown for documents: one row per release and pinning file, with the evidence link.
    let (_, md, _) = archeo(
        &ws,
        &[
            "affected",
            "--rule",
            "openat2-resolve-no-xdev",
            "--repo",
            "shipper",
            "--format",
            "md",
        ],
    );
    assert!(md.contains("| shipper@v2.0 ("), "{md}");
    assert!(md.contains("| proj@v1.2.0 | present"), "{md}");
    // diff shows the bumped pins between two releases.
    let (code, diff, err) = archeo(&ws, &["diff", "shipper@v1.0", "shipper@v2.0"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        diff.contains("docker-arg PROJ_VERSION v1.0.0 -> v1.2.0"),
        "{diff}"
    );
}
