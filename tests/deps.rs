//! `archeo deps` and `archeo affected` end to end: a consumer repository whose Dockerfile,
//! installer script and version file pin releases of a component repository (go_project, where
//! only v1.2.0 carries RESOLVE_NO_XDEV), both pinned under github.com URLs served from disk.

use crate::common;

use common::*;

#[test]
fn deps_cites_each_pin_and_links_it_to_the_pinned_release() {
    let (ws, commits) = shipper_project();
    let (code, out, err) = archeo(&ws, &["deps", "shipper@v2.0", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let edges = json_lines(&out);
    let arg = edges
        .iter()
        .find(|e| e["cite"]["path"] == "Dockerfile" && e["name"] == "PROJ_VERSION")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(arg["version"], "v1.2.0");
    assert_eq!(arg["type"], "dep");
    assert_eq!(arg["revision"], "shipper@v2.0");
    assert_eq!(arg["commit"], commits[1].as_str());
    assert_eq!(arg["cite"]["start"], 7);
    assert_eq!(arg["status"], "pinned");
    assert_eq!(arg["link"]["repo"], "proj");
    assert_eq!(arg["link"]["resolution"]["rev"], "v1.2.0");
    assert_eq!(
        arg["cite"]["url"],
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
        .find(|e| e["cite"]["path"] == "hack/install/proj.installer")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(
        (
            installer["version"].as_str(),
            installer["cite"]["start"].as_u64()
        ),
        (Some("v1.2.0"), Some(4))
    );
    // Nothing in comments counts: line 6 mentions PROJ_VERSION in a comment.
    assert!(
        edges
            .iter()
            .all(|e| e["cite"]["start"] != 6 || e["cite"]["path"] != "Dockerfile"),
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
    let (ws, _) = shipper_project();
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
            .find(|r| r["consumer"] == rel && r["edge"]["cite"]["path"] == path)
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
    // A present component names where it carries the finding, each place a cite.
    let present = of("shipper@v2.0", "Dockerfile");
    assert_eq!(present["cites"][0]["repo"], "proj", "{out}");
    assert_eq!(present["cites"][0]["rev"], "v1.2.0", "{out}");
    // The first line says what was looked for and where it is held.
    assert_eq!(rows[0]["type"], "affected", "{out}");
    assert_eq!(rows[0]["components"], serde_json::json!(["proj"]), "{out}");
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

/// [`shipper_project`] plus `app` (github.com/acme/app), one release whose files name proj in
/// every way `deps` tells apart: a pinned version (go.mod), an unpinned one (Dockerfile), a
/// nested module of proj no pin follows (`proj/api`), a self-require of a nested module of its
/// own (replaced by the code beside it), and a module nothing pins; and `fork`, whose go.mod
/// requires proj v1.2.0 but replaces it with itself (`=> ./`), as sysbox-runc does with runc.
fn consumers_project() -> Workspace {
    let (ws, _) = shipper_project();
    let app = ws.repo("app");
    app.write(
        "go.mod",
        "module github.com/acme/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/acme/proj v1.2.0\n\tgithub.com/acme/proj/api v0.3.0\n\tgolang.org/x/sys v0.30.0\n)\n",
    );
    app.write(
        "client/go.mod",
        "module github.com/acme/app/client\n\ngo 1.22\n\nrequire github.com/acme/app v0.0.1\n\nreplace github.com/acme/app => ../\n",
    );
    app.write(
        "Dockerfile",
        "FROM golang:1.22 AS proj\nARG PROJ_VERSION=v1.1.5\nRUN git clone https://github.com/acme/proj.git /src \\\n && git -C /src checkout -q \"${PROJ_VERSION}\"\n",
    );
    app.commit("v1.0");
    app.tag("v1.0");
    let fork = ws.repo("fork");
    fork.write(
        "go.mod",
        "module github.com/acme/fork\n\ngo 1.22\n\nrequire github.com/acme/proj v1.2.0\n\nreplace github.com/acme/proj => ./\n",
    );
    fork.commit("v0.1");
    fork.tag("v0.1");
    let manifest = std::fs::read_to_string(ws.path().join("archeo.toml")).unwrap();
    ws.manifest(&format!(
        "{manifest}\n[[repo]]\nname = \"app\"\nurl = \"https://github.com/acme/app\"\nrevs = [\"v1.0\"]\n\n\
         [[repo]]\nname = \"fork\"\nurl = \"https://github.com/acme/fork\"\nrevs = [\"v0.1\"]\n"
    ));
    for cmd in [&["fetch"][..], &["index"][..]] {
        let (code, _, err) = run(github_archeo(&ws).args(cmd));
        assert_eq!(code, 0, "{err}");
    }
    ws
}

#[test]
fn deps_leads_with_pinned_edges_and_lists_own_and_module_lines_only_with_all() {
    let ws = consumers_project();
    let (code, out, err) = archeo(&ws, &["deps", "app@v1.0", "--depth", "0"]);
    assert_eq!(code, 0, "{err}");
    let edge_lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .collect();
    // The pinned edge first (go.mod sorts after Dockerfile by path), then the unpinned one
    // under its heading, then what was left out, counted.
    assert_eq!(edge_lines.len(), 4, "{out}");
    assert!(
        edge_lines[0]
            .starts_with("  go.mod:6  go-require github.com/acme/proj v1.2.0  -> proj@v1.2.0"),
        "{out}"
    );
    assert_eq!(
        edge_lines[1], "  naming pinned repositories, not at a pinned revision:",
        "{out}"
    );
    assert!(
        edge_lines[2].starts_with("  Dockerfile:2  docker-arg PROJ_VERSION v1.1.5  -> proj: not pinned (nearest pinned tags v1.1.0 / v1.2.0)"),
        "{out}"
    );
    assert_eq!(
        edge_lines[3],
        "  not listed: 1 line naming its own repository, 1 nested-module line no pin follows, 2 edges to nothing pinned (--all lists them)",
        "{out}"
    );
    // --all lists them after, each under its heading; JSON says each edge's class.
    let (_, all, _) = archeo(&ws, &["deps", "app@v1.0", "--depth", "0", "--all"]);
    let headings: Vec<&str> = all
        .lines()
        .filter(|l| l.starts_with("  ") && l.ends_with(':') && !l.contains("  ->"))
        .collect();
    assert_eq!(
        headings,
        [
            "  naming pinned repositories, not at a pinned revision:",
            "  its own repository (self-requires, its nested modules):",
            "  nested modules of pinned repositories whose versions no pin follows:",
            "  naming nothing pinned:",
        ],
        "{all}"
    );
    assert!(
        all.contains("client/go.mod:5  go-require github.com/acme/app v0.0.1"),
        "{all}"
    );
    assert!(!all.contains("not listed"), "{all}");
    let (_, json, _) = archeo(
        &ws,
        &[
            "deps", "app@v1.0", "--depth", "0", "--all", "--format", "json",
        ],
    );
    let classes: Vec<(String, String)> = json_lines(&json)
        .iter()
        .map(|e| {
            (
                format!(
                    "{}:{}",
                    e["cite"]["path"].as_str().unwrap(),
                    e["cite"]["start"]
                ),
                e["class"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        classes[..4],
        [
            ("go.mod:6".to_string(), "pinned".to_string()),
            ("Dockerfile:2".to_string(), "unpinned".to_string()),
            ("client/go.mod:5".to_string(), "own".to_string()),
            ("go.mod:7".to_string(), "nested-module".to_string()),
        ],
        "{json}"
    );
    // The self-require is replaced by the code beside it: never resolved to a release.
    let own = json_lines(&json)
        .into_iter()
        .find(|e| e["class"] == "own")
        .unwrap();
    assert_eq!(own["status"], "unresolved", "{own}");
    assert!(
        own["link"]["resolution"]["reason"]
            .as_str()
            .unwrap()
            .contains("replaced by the local directory ../"),
        "{own}"
    );
}

#[test]
fn deps_find_lists_the_version_each_consumer_release_names_in_version_order() {
    let ws = consumers_project();
    let (code, out, err) = archeo(&ws, &["deps", "--find", "proj", "--repo", "shipper"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0], "proj as named by each release of shipper, oldest first",
        "{out}"
    );
    let releases: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("shipper@"))
        .collect();
    assert_eq!(
        releases,
        [
            "shipper@v1.0  proj@v1.0.0  Dockerfile:7, hack/install/proj.installer:4",
            "shipper@v2.0  proj@v1.2.0  Dockerfile:7, hack/install/proj.installer:4  (was proj@v1.0.0)",
            "shipper@v3.0  proj v1.1.5: not pinned (nearest pinned tags v1.1.0 / v1.2.0)  Dockerfile:7, hack/install/proj.installer:4  (was proj@v1.2.0)",
        ],
        "{out}"
    );
    // Permalinks where a version is first named: the first release, then each change.
    let (_, pins, _) = archeo(&ws, &["pins", "--format", "json"]);
    let commit_of = |rev: &str| {
        json_lines(&pins)
            .into_iter()
            .find(|p| p["repo"] == "shipper" && p["rev"] == rev)
            .unwrap()["commit"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let v2 = lines
        .iter()
        .position(|l| l.starts_with("shipper@v2.0"))
        .unwrap();
    assert_eq!(
        lines[v2 + 1].trim(),
        format!(
            "https://github.com/acme/shipper/blob/{}/Dockerfile#L7",
            commit_of("v2.0")
        ),
        "{out}"
    );

    // Every consumer naming proj, without --repo: the fork's require is replaced by itself,
    // so it names no release of proj, and says why.
    let (code, out, err) = archeo(&ws, &["deps", "--find", "proj"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("proj as named by each release of shipper, app, fork, oldest first\n"),
        "{out}"
    );
    let fork = out.lines().find(|l| l.starts_with("fork@v0.1")).unwrap();
    assert!(
        fork.contains("proj v1.2.0: replaced by the local directory ./ (go.mod `replace`): built from the code there, not from v1.2.0  go.mod:5"),
        "{out}"
    );
    assert!(!fork.contains("proj@v1.2.0"), "{out}");
    // app names two versions in one release; its nested module line only with --all.
    let app = out.lines().find(|l| l.starts_with("app@v1.0")).unwrap();
    assert!(
        app.ends_with("proj@v1.2.0  go.mod:6; proj v1.1.5: not pinned (nearest pinned tags v1.1.0 / v1.2.0)  Dockerfile:2"),
        "{app}"
    );
    assert!(!app.contains("proj/api"), "{app}");
    let (_, all, _) = archeo(&ws, &["deps", "--find", "proj", "--repo", "app", "--all"]);
    assert!(
        all.contains("module github.com/acme/proj/api proj v0.3.0"),
        "{all}"
    );

    // JSON: one dep-release record per release, the versions with their edges and cites.
    let (_, json, _) = archeo(
        &ws,
        &[
            "deps", "--find", "proj", "--repo", "shipper", "--format", "json",
        ],
    );
    let recs = json_lines(&json);
    assert_eq!(recs.len(), 3, "{json}");
    assert!(
        recs.iter()
            .all(|r| r["type"] == "dep-release" && r["component"] == "proj")
    );
    assert_eq!(recs[1]["consumer"], "shipper@v2.0");
    assert_eq!(recs[1]["changed"], true);
    assert_eq!(recs[0]["changed"], false);
    let v = &recs[1]["versions"][0];
    assert_eq!(
        (
            v["version"].as_str(),
            v["status"].as_str(),
            v["revision"].as_str()
        ),
        (Some("v1.2.0"), Some("pinned"), Some("proj@v1.2.0"))
    );
    assert_eq!(v["edges"][0]["cite"]["path"], "Dockerfile");
    assert_eq!(recs[2]["versions"][0]["status"], "not-pinned");
    assert!(recs[2]["versions"][0]["revision"].is_null());
    // Markdown: a row per release, the change in bold, each place linked.
    let (_, md, _) = archeo(
        &ws,
        &[
            "deps", "--find", "proj", "--repo", "shipper", "--format", "md",
        ],
    );
    assert!(
        md.contains(&format!(
            "| **proj@v1.2.0** (was proj@v1.0.0) | [Dockerfile:7](https://github.com/acme/shipper/blob/{}/Dockerfile#L7)",
            commit_of("v2.0")
        )),
        "{md}"
    );

    // The same table as a block in a document.
    let doc = ws.path().join("report.md");
    std::fs::write(
        &doc,
        "# Runtime\n\n<!-- archeo:begin --full deps --find proj --repo shipper -->\n<!-- archeo:end -->\n",
    )
    .unwrap();
    let (code, _, err) = archeo(&ws, &["export", doc.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read_to_string(&doc).unwrap();
    assert!(written.contains(&md), "{written}\n---\n{md}");

    // Nothing names it: exit 1. A name that is no pinned repository: exit 2, with a hint.
    let (code, out, _) = archeo(&ws, &["deps", "--find", "shipper"]);
    assert_eq!(code, 1, "{out}");
    let (code, _, err) = archeo(&ws, &["deps", "--find", "prj"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean proj?"), "{err}");
    let (code, _, err) = archeo(&ws, &["deps", "--find", "proj", "--repo", "proj"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn affected_first_names_each_consumers_first_release_shipping_the_finding() {
    let ws = consumers_project();
    let args = ["affected", "--rule", "openat2-resolve-no-xdev", "--first"];
    let (code, out, err) = archeo(&ws, &args);
    assert_eq!(code, 0, "{err}");
    let summary: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("first pinned release shipping it"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        summary,
        [
            // v3.0 names proj v1.1.5, which no pin has: it could be either way, and says so.
            "  shipper: shipper@v2.0, after shipper@v1.0; cannot be told at shipper@v3.0 (affected without --first says why)",
            "  app: app@v1.0 (its oldest pinned release)",
            // The fork builds itself in place of proj: never "absent" for proj v1.2.0.
            "  fork: none is known to ship it; cannot be told at fork@v0.1 (affected without --first says why)",
        ],
        "{out}"
    );
    // Only the first release and the one before it are detailed.
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let (_, json, _) = archeo(&ws, &json_args);
    let recs = json_lines(&json);
    let mut detailed: Vec<&str> = recs
        .iter()
        .filter(|r| r["type"] == "affected-release")
        .map(|r| r["consumer"].as_str().unwrap())
        .collect();
    detailed.dedup();
    assert_eq!(
        detailed,
        ["shipper@v1.0", "shipper@v2.0", "app@v1.0"],
        "{json}"
    );
    let first = recs
        .iter()
        .find(|r| r["type"] == "affected-first" && r["consumer"] == "shipper")
        .unwrap();
    assert_eq!(first["first"], "shipper@v2.0");
    assert_eq!(first["before"], "shipper@v1.0");
    assert_eq!(first["unknown"], serde_json::json!(["shipper@v3.0"]));
    assert_eq!(first["releases"], 3);
    // A consumer that names proj only through its own replacement: a summary and no rows,
    // still an answer (exit 0), and no claim that nothing depends on proj.
    let (code, out, err) = archeo(
        &ws,
        &[
            "affected",
            "--rule",
            "openat2-resolve-no-xdev",
            "--first",
            "--repo",
            "fork",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("  fork: none is known to ship it"), "{out}");
    assert!(!out.contains("no pinned release declares"), "{out}");
    // Markdown: the summary table before the rows.
    let mut md_args = args.to_vec();
    md_args.extend(["--repo", "shipper", "--format", "md"]);
    let (_, md, _) = archeo(&ws, &md_args);
    assert!(
        md.contains("| shipper | shipper@v2.0 | shipper@v1.0 | — | shipper@v3.0 |"),
        "{md}"
    );
}
