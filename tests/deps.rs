//! `archeo deps` and `archeo affected` end to end: a consumer repository whose Dockerfile,
//! installer script and version file pin releases of a component repository (go_project, where
//! only v1.2.0 carries RESOLVE_NO_XDEV), both pinned under github.com URLs served from disk.

use crate::common;

use common::*;

fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

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
