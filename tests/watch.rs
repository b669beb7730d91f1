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
    // The pin moves from the Dockerfile to an installer at the same version: what ships is
    // the same, nothing to look at.
    let (code, _, err) = up.archeo(&["watch", "--update-lock"]);
    assert_eq!(code, 0, "{err}");
    up.shipper.write(
        "Dockerfile",
        "FROM golang:1.22-bookworm\nRUN hack/install/proj.installer\n",
    );
    up.shipper.write(
        "hack/install/proj.installer",
        SHIPPER_INSTALLER.replace("@VERSION@", "v1.2.0"),
    );
    up.shipper.commit("v2.2");
    up.shipper.tag("v2.2");
    let (code, out, err) = up.archeo(&["watch"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("shipper@v2.2 (new tag, "), "{out}");
    assert!(
        out.contains("keeps proj@v1.2.0") && !out.contains("moves"),
        "{out}"
    );
    // A consumer tag older than every pinned one has nothing to compare with: what it ships.
    up.shipper.git(&["checkout", "-q", "-b", "old", "v1.0"]);
    up.ship("v0.5", "v1.0.0");
    let (code, out, err) = up.archeo(&["watch"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("shipper@v0.5 (new tag, ") && out.contains("ships proj@v1.0.0"),
        "{out}"
    );
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

#[test]
fn a_moved_branch_is_compared_with_its_previous_commit_and_a_dropped_pin_is_listed() {
    let up = Upstreams::new();
    up.ws
        .manifest(&MANIFEST.replace("revs = [\"v1.*\"]", "revs = [\"v1.*\", \"main\"]"));
    let (code, _, err) = up.archeo(&["watch", "--update-lock"]);
    assert_eq!(
        code, 0,
        "main is newly pinned: a baseline, nothing compared: {err}"
    );
    let old_main = up.proj.head();
    up.proj
        .write("vendor/example.com/securejoin/procfs.go", procfs_v2());
    up.proj.commit("main gains RESOLVE_NO_XDEV");
    let (code, out, err) = up.archeo(&["watch", "--format", "json"]);
    assert_eq!(code, 3, "{out}{err}");
    let recs = json_lines(&out);
    let rel = of_type(&recs, "watch-release");
    assert_eq!(rel.len(), 1, "{out}");
    assert_eq!(rel[0]["rev"], "main");
    assert_eq!(rel[0]["why"], "moved");
    assert_eq!(rel[0]["old_commit"], old_main.as_str());
    assert_eq!(rel[0]["previous"]["commit"], old_main.as_str());
    assert_eq!(rel[0]["previous"]["rev"], &old_main[..12]);
    assert_eq!(rel[0]["watched"][0]["added"], 1);
    // Narrowing the manifest drops pins: listed, and a change of the lock (exit 0).
    let (code, _, err) = up.archeo(&["watch", "--update-lock"]);
    assert_eq!(code, 3, "{err}");
    up.ws.manifest(MANIFEST);
    let (code, out, err) = up.archeo(&["watch", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let recs = json_lines(&out);
    let dropped = of_type(&recs, "watch-dropped");
    assert_eq!(dropped.len(), 1, "{out}");
    assert_eq!(dropped[0]["rev"], "main");
    assert!(of_type(&recs, "watch-release").is_empty());
}

#[test]
fn a_pin_move_to_a_version_not_pinned_cannot_be_compared_and_says_so() {
    let up = Upstreams::new();
    up.ship("v2.0", "v1.1.5");
    let (code, out, err) = up.archeo(&["watch"]);
    assert_eq!(code, 3, "undecided counts: {out}{err}");
    assert!(
        out.contains("moves proj: v1.0.0 (proj@v1.0.0) -> v1.1.5 (not pinned)"),
        "{out}"
    );
    assert!(
        out.contains("cannot compare: proj v1.1.5 (at shipper@v2.0) is not pinned (nearest pinned tags v1.0.0 / none above): add it to the manifest's revs"),
        "{out}"
    );
}

#[test]
fn offline_compares_only_what_the_cache_holds() {
    let up = Upstreams::new();
    up.release_no_xdev();
    let (code, out, err) = up.archeo(&["watch", "--offline"]);
    assert_eq!(code, 1, "not fetched yet: {out}{err}");
    let (code, _, err) = up.archeo(&["fetch"]);
    assert_eq!(code, 0, "{err}");
    // `fetch` wrote the lock: it is the previous state now, and nothing is new.
    let (code, _, _) = up.archeo(&["watch", "--offline"]);
    assert_eq!(code, 1);
}

#[test]
fn an_unknown_rule_in_a_watch_entry_is_an_error_at_its_place_before_any_fetch() {
    let up = Upstreams::new();
    up.ws.manifest(&MANIFEST.replace(
        "\"rule:sysctl-write sym:WriteSysctls\"",
        "\"rule:sysctl-wirte sym:WriteSysctls\"",
    ));
    up.release_no_xdev();
    let (code, out, err) = up.archeo(&["watch"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("archeo.toml:5:37: watch entry \"rule:sysctl-wirte sym:WriteSysctls\": unknown rule \"sysctl-wirte\""),
        "{err}"
    );
    assert!(!err.contains("fetched"), "nothing fetched: {err}");
}

#[test]
fn tag_names_from_upstream_are_text_in_the_markdown_report() {
    let up = Upstreams::new();
    up.proj.write("README.md", "hostile\n");
    up.proj.commit("hostile");
    let name = "v1.9.0<img/src=x/onerror=alert(1)>";
    up.proj.tag(name);
    let (code, out, err) = up.archeo(&["watch", "--format", "md"]);
    assert_eq!(code, 0, "{out}{err}");
    // Escaped wherever it appears: never an HTML tag, never a broken link.
    assert_eq!(
        out.matches("<img").count(),
        out.matches("\\<img").count(),
        "{out}"
    );
    assert!(
        out.contains("[v1.9.0\\<img/src=x/onerror=alert(1)\\>](https://github.com/acme/proj/tree/"),
        "{out}"
    );
}

#[test]
fn every_record_matches_the_schema_and_sarif_validates() {
    let up = Upstreams::new();
    up.release_shift();
    up.release_no_xdev();
    up.ship("v2.0", "v1.2.0");
    up.ship("v3.0", "v1.1.5");
    let schema = crate::interfaces::validator("docs/archeo.schema.json");
    let (code, out, err) = up.archeo(&["watch", "--format", "json"]);
    assert_eq!(code, 3, "{err}");
    let recs = json_lines(&out);
    for r in &recs {
        let errs = crate::interfaces::errors(&schema, r);
        assert!(errs.is_empty(), "{r}\n{}", errs.join("\n"));
    }
    let types: std::collections::BTreeSet<&str> =
        recs.iter().map(|r| r["type"].as_str().unwrap()).collect();
    for t in ["watch", "watch-release", "watch-change", "watch-pin-move"] {
        assert!(types.contains(t), "no {t} in {types:?}");
    }
    let moves = of_type(&recs, "watch-pin-move");
    assert_eq!(moves.len(), 2, "{out}");
    assert_eq!(moves[0]["decided"], true);
    assert_eq!(moves[1]["decided"], false);
    assert_eq!(moves[1]["to"]["status"], "not-pinned");
    let (code, sarif, err) = up.archeo(&["watch", "--format", "sarif"]);
    assert_eq!(code, 3, "{err}");
    let log: Value = serde_json::from_str(&sarif).unwrap();
    let sarif_schema = crate::interfaces::validator("tests/schemas/sarif-schema-2.1.0.json");
    let errs = crate::interfaces::errors(&sarif_schema, &log);
    assert!(errs.is_empty(), "{}", errs.join("\n"));
    let results = log["runs"][0]["results"].as_array().unwrap();
    // proj v1.2.0's added finding, the same through shipper v2.0's move, and v3.0's
    // undecided move.
    assert_eq!(results.len(), 3, "{sarif}");
    assert_eq!(results[0]["baselineState"], "new");
    assert_eq!(results[0]["ruleId"], "openat2-resolve-no-xdev");
    assert_eq!(results[1]["properties"]["via"], "shipper@v2.0");
    assert_ne!(
        results[0]["partialFingerprints"],
        results[1]["partialFingerprints"]
    );
    assert_eq!(results[2]["ruleId"], "archeo-watch-pin-move");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
}

#[test]
fn a_watch_killed_while_indexing_leaves_the_lock_and_the_next_run_reports_the_same() {
    let up = Upstreams::new();
    let before = up.lock();
    up.release_no_xdev();
    // Killed (abort, no cleanup) after the first of the release's two new file versions.
    let (code, out, err) = run(github_archeo(&up.ws)
        .env("ARCHEO_TEST_ABORT_AFTER_BLOBS", "1")
        .args(["watch", "--update-lock"]));
    assert_eq!(code, -1, "killed by a signal: {err}");
    assert!(err.contains("fetched"), "killed after fetching: {err}");
    assert!(out.is_empty(), "no report from a killed run: {out}");
    assert_eq!(up.lock(), before, "the lock is the previous state still");
    let (code, first, err) = up.archeo(&["watch", "--format", "md"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        first.contains("**`openat2-resolve-no-xdev`**: 1 added"),
        "{first}"
    );
    let (code, again, _) = up.archeo(&["watch", "--format", "md"]);
    assert_eq!(code, 3);
    assert_eq!(again, first);
}

#[test]
fn a_second_watch_on_the_same_cache_stops_at_once_naming_the_first() {
    let up = Upstreams::new();
    up.release_no_xdev();
    let cache = up.ws.path().join("cache");
    let mut held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(cache.join("watch.lock"))
        .unwrap();
    held.try_lock().unwrap();
    use std::io::Write;
    write!(held, "{}", std::process::id()).unwrap();
    let before = up.lock();
    let (code, out, err) = up.archeo(&["watch", "--update-lock"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!(
            "another `archeo watch` (pid {}) is running on the cache",
            std::process::id()
        )),
        "{err}"
    );
    assert!(!err.contains("fetched"), "{err}");
    assert_eq!(up.lock(), before);
    drop(held);
    // Two at once for real: one reports, the other stops (or, started after the first
    // ended, finds nothing new); the lock and index are whole afterwards.
    let spawn = || {
        github_archeo(&up.ws)
            .args(["watch", "--update-lock"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let codes: Vec<i32> = outs.iter().map(|o| o.status.code().unwrap()).collect();
    assert!(codes.contains(&3), "{codes:?}");
    for (o, code) in outs.iter().zip(&codes) {
        let err = String::from_utf8_lossy(&o.stderr);
        match code {
            3 | 1 => {}
            2 => assert!(err.contains("another `archeo watch`"), "{err}"),
            c => panic!("exit {c}: {err}"),
        }
    }
    assert!(up.lock().contains(&up.proj.git(&["rev-parse", "v1.2.0"])));
    let (code, _, err) = up.archeo(&["watch"]);
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = up.archeo(&["findings", "--at", "proj@v1.2.0"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// The test binary as `archeo` on a PATH, and a `gh` that records its arguments (and fails
/// `pr create` once a pull request exists, as the real one does).
fn recipe_bin(dir: &std::path::Path) -> std::path::PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let archeo = std::env::var_os("ARCHEO_TEST_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_BIN_EXE_archeo")));
    std::os::unix::fs::symlink(archeo, bin.join("archeo")).unwrap();
    let gh = format!(
        "#!/bin/sh\nlog={0}/gh.log\necho \"$*\" >> \"$log\"\nif [ \"$1 $2\" = \"pr create\" ]; then\n  [ -e {0}/pr-exists ] && exit 1\n  touch {0}/pr-exists\nfi\nexit 0\n",
        dir.display()
    );
    std::fs::write(bin.join("gh"), gh).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("gh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// A line of a docs/ci/ file.
fn recipe_line(text: &str, pick: impl Fn(&str) -> bool) -> &str {
    text.lines()
        .find(|l| pick(l))
        .unwrap_or_else(|| panic!("no such line in {text}"))
}

#[test]
fn the_ci_recipes_commands_open_a_pull_request_with_the_lock_and_the_report() {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci");
    let read = |f: &str| std::fs::read_to_string(docs.join(f)).unwrap();
    let up = Upstreams::new();
    let checkout = up.ws.path();
    // The project's repository: manifest, lock and the recipe's script, pushed to `origin`.
    std::fs::create_dir_all(checkout.join("ci")).unwrap();
    std::fs::write(checkout.join("ci/archeo-watch.sh"), read("archeo-watch.sh")).unwrap();
    std::fs::write(
        checkout.join(".gitignore"),
        "cache/\nindex/\nupstream/\nrun/\n",
    )
    .unwrap();
    git(checkout, &["init", "-q", "-b", "main"]);
    git(checkout, &["add", "-A"]);
    git(checkout, &["commit", "-q", "-m", "watch runc"]);
    let run_dir = checkout.join("run");
    let origin = run_dir.join("origin.git");
    std::fs::create_dir_all(&origin).unwrap();
    git(&origin, &["init", "-q", "--bare", "-b", "main"]);
    git(
        checkout,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(checkout, &["push", "-q", "origin", "main"]);
    let bin = recipe_bin(&run_dir);
    let home = run_dir.join("home");
    std::fs::create_dir_all(&home).unwrap();

    // The cron line, as the crontab fragment writes it: its variable, then the command after
    // the five schedule fields.
    let cron = read("archeo-watch.cron");
    assert!(read("../watch-ci.md").contains(recipe_line(&cron, |l| l.starts_with("17 6 "))));
    let command: String = recipe_line(&cron, |l| l.starts_with("17 6 "))
        .split_whitespace()
        .skip(5)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(recipe_line(&cron, |l| l.starts_with("ARCHEO_WATCH_DIR=")).len() > 17);
    // What cron and Actions give a job: no environment but what is set here.
    let job = |program: &str, args: &[&str]| {
        let mut c = std::process::Command::new(program);
        c.env_clear();
        for (k, v) in github_archeo(&up.ws).get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        c.env("ARCHEO_WATCH_DIR", checkout)
            .env("HOME", &home)
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .env("GIT_AUTHOR_NAME", "cron")
            .env("GIT_AUTHOR_EMAIL", "cron@example.invalid")
            .env("GIT_COMMITTER_NAME", "cron")
            .env("GIT_COMMITTER_EMAIL", "cron@example.invalid")
            .args(args);
        c
    };
    let cron_run = || {
        let mut c = job("sh", &["-c", &command]);
        c.current_dir("/");
        run(&mut c)
    };
    let gh_log = || std::fs::read_to_string(run_dir.join("gh.log")).unwrap_or_default();
    let branch = |what: &str| {
        std::process::Command::new("git")
            .args(["--git-dir", origin.to_str().unwrap(), "show"])
            .arg(what)
            .output()
            .unwrap()
    };

    // Nothing new: the line stops after the script (exit 1); nothing pushed, no pull request.
    let (code, _, err) = cron_run();
    assert_eq!(code, 1, "{err}");
    assert!(!branch("archeo-watch:archeo.lock").status.success());
    assert!(gh_log().is_empty());

    // proj v1.2.0 adds a watched finding: the new lock on archeo-watch, the report the body.
    let v120 = up.release_no_xdev();
    let (code, out, err) = cron_run();
    assert_eq!(code, 0, "{out}{err}");
    let lock = String::from_utf8(branch("archeo-watch:archeo.lock").stdout).unwrap();
    assert!(lock.contains(&v120), "{lock}");
    let main_lock = String::from_utf8(branch("main:archeo.lock").stdout).unwrap();
    assert!(
        !main_lock.contains(&v120),
        "main is untouched until the PR is merged"
    );
    let body = std::fs::read_to_string(home.join("archeo-watch.md")).unwrap();
    assert!(
        body.starts_with("## archeo watch: watched findings changed in 1 of 1 new revision"),
        "{body}"
    );
    let log = gh_log();
    assert_eq!(
        log.trim(),
        format!(
            "pr create --head archeo-watch --title archeo watch: new upstream releases --body-file {}",
            home.join("archeo-watch.md").display()
        )
    );

    // The next night, not merged yet: the same report, the pull request updated.
    let (code, _, err) = cron_run();
    assert_eq!(code, 0, "{err}");
    assert!(
        gh_log()
            .lines()
            .last()
            .unwrap()
            .starts_with("pr edit archeo-watch --body-file"),
        "{}",
        gh_log()
    );
    assert_eq!(
        std::fs::read_to_string(home.join("archeo-watch.md")).unwrap(),
        body
    );

    // The GitHub Actions step, as the workflow writes it (bash -e, as Actions runs `run:`),
    // in a checkout of main.
    git(checkout, &["switch", "-q", "main"]);
    let workflow = read("archeo-watch.yml");
    let step = workflow
        .split("- name: ")
        .find(|s| s.contains("id: watch"))
        .expect("the watch step");
    let run_line = recipe_line(step, |l| l.trim_start().starts_with("run: "))
        .trim_start()
        .trim_start_matches("run: ");
    assert!(workflow.contains("body-path: ${{ runner.temp }}/archeo-watch.md"));
    let temp = run_dir.join("runner-temp");
    std::fs::create_dir_all(&temp).unwrap();
    let outputs = run_dir.join("github-output");
    let mut bash = job("bash", &["-e", "-c", run_line]);
    bash.env("RUNNER_TEMP", &temp)
        .env("GITHUB_OUTPUT", &outputs)
        .current_dir(checkout);
    let (code, out, err) = run(&mut bash);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        "open=true\nwatched=true\n"
    );
    assert_eq!(
        std::fs::read_to_string(temp.join("archeo-watch.md")).unwrap(),
        body
    );
    // Accepted (the lock written): the next run finds nothing new, and the step still passes.
    std::fs::write(&outputs, "").unwrap();
    let (code, _, err) = run(&mut bash);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        "open=false\nwatched=false\n"
    );
}

#[test]
fn a_repository_new_to_the_manifest_is_a_baseline_not_a_change() {
    let up = Upstreams::new();
    let tool = up.ws.repo("tool");
    tool.write("internal/sys/sysctl.go", SYSCTL_GO);
    tool.commit("v0.1.0");
    tool.tag("v0.1.0");
    tool.tag("v0.2.0");
    up.ws.manifest(&format!(
        "{MANIFEST}\n[[repo]]\nname = \"tool\"\nurl = \"https://github.com/acme/tool\"\nrevs = [\"v0.*\"]\nwatch = [\"sysctl-write\"]\n"
    ));
    let (code, out, err) = up.archeo(&["watch", "--format", "json"]);
    assert_eq!(code, 0, "a baseline changes nothing: {out}{err}");
    let recs = json_lines(&out);
    let rel = of_type(&recs, "watch-release");
    assert_eq!(rel.len(), 2, "{out}");
    for r in &rel {
        assert_eq!(r["why"], "new-repository");
        assert!(r["previous"].is_null());
        assert_eq!(r["watched"][0]["baseline"], 1, "{r}");
    }
    assert!(
        rel[0]["previous_missing"]
            .as_str()
            .unwrap()
            .contains("was not in the previous lock"),
        "{out}"
    );
}
