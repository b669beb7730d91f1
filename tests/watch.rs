//! `archeo watch`: upstream fixture repositories that gain tags between runs (a tag adding a
//! watched finding, a tag changing nothing watched, a consumer tag moving its pinned version,
//! a force-moved tag refused unless --update), checking exit codes, the report in every
//! format, and the lock.

use crate::common;

use common::*;
use serde_json::Value;

/// The component (`proj`, shaped like runc) and a consumer (`shipper`, shaped like moby's
/// Dockerfile), served as https://github.com/acme/NAME from the workspace.
struct Upstreams {
    ws: Workspace,
    proj: GitRepo,
    shipper: GitRepo,
}

const MANIFEST: &str = r#"[[repo]]
name = "proj"
url = "https://github.com/acme/proj"
revs = ["v1.*"]
watch = ["openat2-resolve-no-xdev", "rule:sysctl-write sym:WriteSysctls"]
consumers = ["shipper"]

[[repo]]
name = "shipper"
url = "https://github.com/acme/shipper"
revs = ["v*"]
"#;

impl Upstreams {
    /// proj v1.0.0 (no RESOLVE_NO_XDEV) and shipper v1.0 bundling it; fetched and indexed,
    /// the lock written: the state a team commits after an investigation.
    fn new() -> Upstreams {
        let ws = Workspace::new();
        let proj = ws.repo("proj");
        proj.write("go.mod", "module github.com/acme/proj\n\ngo 1.22\n");
        proj.write("internal/sys/sysctl.go", SYSCTL_GO);
        proj.write("libct/open.go", OPEN_GO_V1);
        proj.write(
            "vendor/modules.txt",
            "# example.com/securejoin v0.4.1\n## explicit; go 1.18\nexample.com/securejoin\n",
        );
        proj.write("vendor/example.com/securejoin/procfs.go", PROCFS_V1);
        proj.commit("v1.0.0");
        proj.tag("v1.0.0");
        let shipper = ws.repo("shipper");
        let up = Upstreams { ws, proj, shipper };
        up.ship("v1.0", "v1.0.0");
        up.ws.manifest(MANIFEST);
        for cmd in [&["fetch"][..], &["index"][..]] {
            let (code, _, err) = up.archeo(cmd);
            assert_eq!(code, 0, "{err}");
        }
        up
    }

    fn archeo(&self, args: &[&str]) -> (i32, String, String) {
        run(github_archeo(&self.ws).args(args))
    }

    /// A shipper release bundling `version` of proj.
    fn ship(&self, tag: &str, version: &str) -> String {
        self.shipper.write(
            "Dockerfile",
            SHIPPER_DOCKERFILE.replace("@VERSION@", version),
        );
        self.shipper.write(
            "README.md",
            format!("shipper {tag}, built with proj {version}\n"),
        );
        let c = self.shipper.commit(tag);
        self.shipper.tag(tag);
        c
    }

    /// proj v1.1.0: every line of libct/open.go shifts by two; nothing watched changes.
    fn release_shift(&self) -> String {
        self.proj.write("libct/open.go", open_go_v2());
        let c = self.proj.commit("v1.1.0");
        self.proj.annotated_tag("v1.1.0");
        c
    }

    /// proj v1.2.0: the vendored lookup gains RESOLVE_NO_XDEV (a watched finding is added).
    fn release_no_xdev(&self) -> String {
        self.proj.write(
            "vendor/modules.txt",
            "# example.com/securejoin v0.5.1\n## explicit; go 1.18\nexample.com/securejoin\n",
        );
        self.proj
            .write("vendor/example.com/securejoin/procfs.go", procfs_v2());
        let c = self.proj.commit("v1.2.0");
        self.proj.tag("v1.2.0");
        c
    }

    fn lock(&self) -> String {
        self.ws.lock_text()
    }
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn of_type<'a>(recs: &'a [Value], t: &str) -> Vec<&'a Value> {
    recs.iter().filter(|r| r["type"] == t).collect()
}

#[test]
fn nothing_new_upstream_exits_1_and_leaves_the_lock_as_it_is() {
    let up = Upstreams::new();
    let before = up.lock();
    let (code, out, err) = up.archeo(&["watch"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("nothing new upstream"), "{out}");
    let (code, out, _) = up.archeo(&["watch", "--update-lock", "--format", "md"]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("## archeo watch: nothing new upstream"),
        "{out}"
    );
    assert_eq!(up.lock(), before);
}

#[test]
fn a_tag_changing_nothing_watched_exits_0_and_the_lock_moves_only_when_asked() {
    let up = Upstreams::new();
    let before = up.lock();
    let v110 = up.release_shift();
    let (code, out, err) = up.archeo(&["watch"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("proj@v1.1.0 (new tag, "), "{out}");
    assert!(out.contains("after v1.0.0"), "{out}");
    assert!(out.contains("nothing watched changed"), "{out}");
    assert!(err.contains("--update-lock writes the new pins"), "{err}");
    assert_eq!(up.lock(), before, "no --update-lock: the lock stays");
    // The same again: the lock is still the previous state, the index already has v1.1.0.
    let (code, again, err) = up.archeo(&["watch"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(again, out);
    assert!(err.contains("0 parsed now"), "{err}");
    let (code, _, err) = up.archeo(&["watch", "--update-lock"]);
    assert_eq!(code, 0, "{err}");
    assert!(up.lock().contains(&v110), "{}", up.lock());
    assert!(err.contains("wrote "), "{err}");
    let (code, _, _) = up.archeo(&["watch"]);
    assert_eq!(code, 1, "accepted: nothing new any more");
}

#[test]
fn a_tag_adding_a_watched_finding_exits_3_with_citations_on_its_commit() {
    let up = Upstreams::new();
    let v120 = up.release_no_xdev();
    let (code, out, err) = up.archeo(&["watch", "--format", "md"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.starts_with("## archeo watch: watched findings changed in 1 of 1 new revision"),
        "{out}"
    );
    assert!(
        out.contains("**`openat2-resolve-no-xdev`**: 1 added"),
        "{out}"
    );
    // The added finding, cited on v1.2.0's commit; the unchanged entry says so.
    let link = format!(
        "https://github.com/acme/proj/blob/{v120}/vendor/example.com/securejoin/procfs.go#L"
    );
    assert!(out.contains(&link), "{out}");
    assert!(
        out.contains("**`rule:sysctl-write sym:WriteSysctls`**: no change; 1 unchanged"),
        "{out}"
    );
    assert!(
        out.contains("Shipped by no pinned consumer release yet"),
        "{out}"
    );
    // JSON Lines: the release and its change.
    let (code, json, _) = up.archeo(&["watch", "--format", "json"]);
    assert_eq!(code, 3);
    let recs = json_lines(&json);
    assert_eq!(recs[0]["type"], "watch");
    assert_eq!(recs[0]["changed"], 1);
    let rel = of_type(&recs, "watch-release");
    assert_eq!(rel.len(), 1);
    assert_eq!(rel[0]["rev"], "v1.2.0");
    assert_eq!(rel[0]["previous"]["rev"], "v1.0.0");
    let changes = of_type(&recs, "watch-change");
    assert_eq!(changes.len(), 1, "{json}");
    assert_eq!(changes[0]["class"], "added");
    assert_eq!(changes[0]["b"]["cite"]["commit"], v120.as_str());
    assert!(changes[0]["a"].is_null());
}

#[test]
fn a_consumer_tag_moving_its_pin_says_what_the_move_brings() {
    let up = Upstreams::new();
    up.release_no_xdev();
    let (code, _, err) = up.archeo(&["watch", "--update-lock"]);
    assert_eq!(code, 3, "{err}");
    // shipper v2.0 moves its proj pin v1.0.0 -> v1.2.0: proj did not change, shipper's
    // users now get the added finding.
    let v20 = up.ship("v2.0", "v1.2.0");
    let (code, out, err) = up.archeo(&["watch", "--format", "md"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("### shipper [v2.0]"), "{out}");
    assert!(
        out.contains("Moves proj from `v1.0.0 (proj@v1.0.0)` to `v1.2.0 (proj@v1.2.0)`"),
        "{out}"
    );
    assert!(
        out.contains("What that brings, proj@v1.0.0 → proj@v1.2.0"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "https://github.com/acme/shipper/blob/{v20}/Dockerfile#L7"
        )),
        "the new pin's line, cited on v2.0's commit: {out}"
    );
    // A consumer release that keeps its pin changes nothing watched.
    let (code, _, err) = up.archeo(&["watch", "--update-lock"]);
    assert_eq!(code, 3, "{err}");
    up.shipper.write("README.md", "shipper v2.1, same proj\n");
    up.shipper.commit("v2.1");
    up.shipper.tag("v2.1");
    let (code, out, err) = up.archeo(&["watch"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("keeps proj@v1.2.0"), "{out}");
}

#[test]
fn a_force_moved_tag_is_refused_unless_update_and_then_compared_with_its_old_commit() {
    let up = Upstreams::new();
    let old = up.proj.git(&["rev-parse", "v1.0.0"]);
    let before = up.lock();
    // v1.0.0 re-tagged onto a commit that adds RESOLVE_NO_XDEV.
    up.proj
        .write("vendor/example.com/securejoin/procfs.go", procfs_v2());
    let new = up.proj.commit("v1.0.0 again");
    up.proj.git(&["tag", "-f", "v1.0.0"]);
    let (code, out, err) = up.archeo(&["watch", "--update-lock"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("proj@v1.0.0"), "{err}");
    assert!(err.contains("--update"), "{err}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(up.lock(), before);
    let (code, out, err) = up.archeo(&["watch", "--update", "--update-lock"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("proj@v1.0.0 (tag moved, "), "{out}");
    assert!(out.contains(&format!("after {}", &old[..12])), "{out}");
    assert!(out.contains("openat2-resolve-no-xdev: 1 added"), "{out}");
    assert!(up.lock().contains(&new) && !up.lock().contains(&old));
}
