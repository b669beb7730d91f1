//! Shards: `archeo index --shard K/N` cuts the lock by repository, and every query command
//! answers over the shards (`--index-dir` once per shard) exactly as over one index of the
//! whole lock: the same bytes in JSON, text and Markdown, for N = 1, 2 and 3, whatever order
//! the shards are given in. The fixture has four repositories: a component (proj, with a
//! vendored module and findings), a consumer pinning its releases (shipper: `deps`,
//! `affected` across shards), a fork vendoring the same file versions as proj (the same blobs
//! in two shards) and shell scripts (cross-references); a LICENSE held identically by all.

use crate::common;

use common::*;

const LICENSE: &str =
    "Permission is hereby granted, free of charge, to any person obtaining a copy\n";

const FORK_MAIN_V1: &str = r#"package main

import (
	"fmt"
	"os"

	"example.com/fork/internal/sys"
)

func main() {
	if err := sys.WriteSysctls(map[string]string{"net.ipv4.ip_forward": "1"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
"#;

const LIB_SH: &str = r#"#!/usr/bin/env bash
_log_info() {
	echo "info: $*"
}

_docker_version() {
	_log_info "checking docker"
	docker version --format '{{.Server.Version}}'
}
"#;

const MAIN_SH: &str = r#"#!/usr/bin/env bash
. ./lib.sh
_docker_version || { echo "unsafe procfs detected" >&2; exit 1; }
"#;

/// The four repositories, fetched (proj and shipper under github.com URLs served from disk).
pub(crate) fn fixture() -> Workspace {
    let ws = Workspace::new();
    let (proj, _) = go_project(&ws);
    proj.write("LICENSE", LICENSE);
    proj.commit("license");
    proj.tag("v1.3.0");
    let shipper = ws.repo("shipper");
    for (tag, version) in [("v1.0", "v1.0.0"), ("v2.0", "v1.2.0"), ("v3.0", "v1.1.5")] {
        shipper.write(
            "Dockerfile",
            SHIPPER_DOCKERFILE.replace("@VERSION@", version),
        );
        shipper.write(
            "hack/install/proj.installer",
            SHIPPER_INSTALLER.replace("@VERSION@", version),
        );
        shipper.write("LICENSE", LICENSE);
        shipper.commit(tag);
        shipper.tag(tag);
    }
    let fork = ws.repo("fork");
    fork.write("go.mod", "module example.com/fork\n\ngo 1.22\n");
    fork.write("internal/sys/sysctl.go", SYSCTL_GO);
    fork.write("cmd/fork/main.go", FORK_MAIN_V1);
    fork.write(
        "vendor/modules.txt",
        "# example.com/securejoin v0.4.1\n## explicit; go 1.18\nexample.com/securejoin\n",
    );
    fork.write("vendor/example.com/securejoin/procfs.go", PROCFS_V1);
    fork.write("LICENSE", LICENSE);
    fork.commit("v1.0");
    fork.tag("v1.0");
    fork.write("vendor/example.com/securejoin/procfs.go", procfs_v2());
    fork.write("cmd/fork/main.go", FORK_MAIN_V1.replace("\"1\"", "\"0\""));
    fork.commit("v2.0");
    fork.tag("v2.0");
    let scripts = ws.repo("scripts");
    scripts.write("lib.sh", LIB_SH);
    scripts.write("main.sh", MAIN_SH);
    scripts.write("LICENSE", LICENSE);
    scripts.commit("first");
    scripts.tag("v0.1");
    scripts.write("main.sh", MAIN_SH.replace("exit 1", "exit 2"));
    scripts.commit("main");
    ws.manifest(
        "[[repo]]\nname = \"proj\"\nurl = \"https://github.com/acme/proj\"\nrevs = [\"v1.*\"]\n\n\
         [[repo]]\nname = \"shipper\"\nurl = \"https://github.com/acme/shipper\"\nrevs = [\"v*\"]\n\n\
         [[repo]]\nname = \"fork\"\nurl = \"https://github.com/acme/fork\"\nrevs = [\"v*\"]\n\n\
         [[repo]]\nname = \"scripts\"\nurl = \"https://github.com/acme/scripts\"\nrevs = [\"v0.1\", \"main\"]\n",
    );
    let (code, _, err) = run(github_archeo(&ws).arg("fetch"));
    assert_eq!(code, 0, "{err}");
    ws
}

/// Builds the whole index in `index/` and, for each N, shard K of N in `shards-N/K`.
fn build(ws: &Workspace, ns: &[u32]) {
    let (code, _, err) = archeo(ws, &["index", "--index-dir", "index"]);
    assert_eq!(code, 0, "{err}");
    for &n in ns {
        for k in 1..=n {
            let dir = format!("shards-{n}/{k}");
            let (code, _, err) = archeo(
                ws,
                &["index", "--shard", &format!("{k}/{n}"), "--index-dir", &dir],
            );
            assert_eq!(code, 0, "{err}");
            assert!(err.contains(&format!("shard {k}/{n} of the lock")), "{err}");
        }
    }
}

fn shard_dirs(n: u32) -> Vec<String> {
    (1..=n).map(|k| format!("shards-{n}/{k}")).collect()
}

/// `archeo ARGS` over the given index directories: (exit code, stdout, stderr).
pub(crate) fn over(ws: &Workspace, dirs: &[String], args: &[&str]) -> (i32, String, String) {
    let mut a: Vec<&str> = Vec::new();
    for d in dirs {
        a.extend(["--index-dir", d]);
    }
    a.extend(args);
    archeo(ws, &a)
}

/// Every query command, in each of its formats.
fn queries() -> Vec<Vec<&'static str>> {
    let mut out = Vec::new();
    let commands: Vec<Vec<&str>> = vec![
        vec!["search", "openat2"],
        vec!["search", "RESOLVE_NO_XDEV", "--repo", "fork"],
        vec!["search", "\"unsafe procfs detected\""],
        vec!["search", "/Permission is .*granted/"],
        vec!["search", "sysctl", "--limit", "3", "-C", "1"],
        vec![
            "search",
            "openat2",
            "--at",
            "fork@v2.0",
            "--at",
            "proj@v1.0.0",
        ],
        vec!["search", "openat2 -path:vendor/", "-l"],
        vec!["search", "openat2", "-c"],
        vec!["findings"],
        vec!["findings", "--rule", "openat2-resolve-no-xdev"],
        vec!["findings", "--repo", "fork", "--path", "vendor/"],
        vec!["timeline", "--rule", "openat2-resolve-no-xdev"],
        vec!["timeline", "\"unsafe procfs detected\""],
        vec!["diff", "proj@v1.0.0", "proj@v1.2.0"],
        vec!["diff", "proj@v1.2.0", "fork@v2.0"],
        vec!["diff", "fork@v1.0", "fork@v2.0", "--search", "WriteSysctls"],
        vec!["deps", "shipper@v2.0", "--depth", "2"],
        vec!["deps", "fork@v2.0", "--all"],
        vec!["affected", "--rule", "openat2-resolve-no-xdev"],
        vec!["affected", "RESOLVE_NO_XDEV", "--repo", "shipper"],
        vec!["defs", "WriteSysctls"],
        vec!["refs", "_log_info"],
        vec!["callers", "WriteSysctls", "--depth", "2"],
        vec!["callees", "_docker_version"],
        vec!["path", "main.main", "WriteSysctls", "--at", "fork@v2.0"],
        vec![
            "explain",
            "open sysctl net.ipv4.ip_forward file: permission denied",
        ],
        vec!["explain", "unsafe procfs detected"],
        vec!["evidence", "--rule", "openat2-resolve-no-xdev"],
        vec!["evidence", "\"unsafe procfs detected\"", "--style", "list"],
    ];
    for c in commands {
        // evidence prints Markdown only; -l and -c list file versions as text only.
        let printed = c[0] != "evidence" && !c.contains(&"-l") && !c.contains(&"-c");
        out.push(c.clone());
        if printed {
            for f in ["json", "md"] {
                let mut v = c.clone();
                v.extend(["--format", f]);
                out.push(v);
            }
        }
    }
    out.push(vec!["findings", "--format", "sarif"]);
    out
}

#[test]
fn every_query_answers_over_one_two_and_three_shards_as_over_one_index() {
    let ws = fixture();
    build(&ws, &[1, 2, 3]);
    let whole = vec!["index".to_string()];
    let mut unions: Vec<Vec<String>> = vec![shard_dirs(1), shard_dirs(2), shard_dirs(3)];
    // The order shards are given in does not matter.
    unions.push(shard_dirs(3).into_iter().rev().collect());
    let mut found = 0;
    let mut empty = Vec::new();
    for q in queries() {
        let (code, out, err) = over(&ws, &whole, &q);
        assert!(code == 0 || code == 1, "{q:?} on one index: {err}");
        if code == 0 && !out.trim().is_empty() {
            found += 1;
        } else {
            empty.push(q.join(" "));
        }
        for dirs in &unions {
            let (c, o, e) = over(&ws, dirs, &q);
            assert_eq!(
                (c, o.as_str()),
                (code, out.as_str()),
                "{q:?} over {dirs:?} differs from one index (stderr: {e})"
            );
            assert!(!e.contains("warning"), "{q:?} over {dirs:?}: {e}");
        }
    }
    // The comparison means something only if the questions find things.
    assert_eq!(
        empty.len(),
        0,
        "{found} queries found something; these did not: {empty:?}"
    );
}

#[test]
fn the_cut_is_by_repository_and_a_file_version_in_two_shards_is_read_once() {
    let ws = fixture();
    build(&ws, &[3]);
    // Round-robin in lock order: proj and scripts, shipper, fork.
    let pins = |dir: &str| -> Vec<String> {
        let (code, out, err) = archeo(&ws, &["stats", "--index-dir", dir, "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let mut repos: Vec<String> = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["type"] == "revision")
            .map(|v| v["repo"].as_str().unwrap().to_string())
            .collect();
        repos.dedup();
        repos
    };
    assert_eq!(pins("shards-3/1"), ["proj", "scripts"]);
    assert_eq!(pins("shards-3/2"), ["shipper"]);
    assert_eq!(pins("shards-3/3"), ["fork"]);
    // The LICENSE is one file version held by all four repositories: one index stores it once,
    // every shard once, and the union counts it once.
    let total = |dirs: &[String]| -> u64 {
        let (code, out, err) = over(&ws, dirs, &["stats", "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
        last["blobs"].as_u64().unwrap()
    };
    let one = total(&["index".to_string()]);
    assert_eq!(total(&shard_dirs(3)), one);
    let apart: u64 = shard_dirs(3)
        .iter()
        .map(|d| total(std::slice::from_ref(d)))
        .sum();
    assert!(
        apart > one,
        "shards store shared file versions each: {apart} vs {one}"
    );
    // A search for it: one hit per repository, as one index answers.
    let (code, out, _) = over(
        &ws,
        &shard_dirs(3),
        &["search", "\"Permission is hereby\"", "-c"],
    );
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 4, "{out}");
}

#[test]
fn an_incomplete_or_mixed_set_of_shards_is_refused_and_a_lone_shard_says_what_it_covers() {
    let ws = fixture();
    build(&ws, &[2, 3]);
    let (code, _, err) = over(
        &ws,
        &["shards-3/1".into(), "shards-3/3".into()],
        &["search", "openat2"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("shard 2/3 missing") && err.contains("silently smaller"),
        "{err}"
    );
    let (code, _, err) = over(
        &ws,
        &["shards-3/1".into(), "shards-2/2".into()],
        &["search", "openat2"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("different locks or cuts"), "{err}");
    let (code, _, err) = over(
        &ws,
        &["index".into(), "shards-2/2".into()],
        &["search", "openat2"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("is not a shard"), "{err}");
    let (code, _, err) = over(
        &ws,
        &["shards-2/1".into(), "shards-2/1".into()],
        &["findings"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("the same shard"), "{err}");
    // One shard alone is an ordinary index: it answers for its repositories and says so.
    let (code, out, err) = over(&ws, &["shards-2/2".into()], &["search", "PROJ_VERSION"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("shipper@"), "{out}");
    assert!(
        err.contains("is shard 2 of 2") && err.contains("shipper, scripts"),
        "{err}"
    );
    // The list form: ARCHEO_INDEX_DIR separated like PATH.
    let list = std::env::join_paths(shard_dirs(2).iter().map(|d| ws.path().join(d))).unwrap();
    let mut c = ws.archeo();
    c.env("ARCHEO_INDEX_DIR", &list)
        .args(["findings", "--format", "json"]);
    let (code, out, err) = run(&mut c);
    assert_eq!(code, 0, "{err}");
    let (_, whole, _) = over(&ws, &["index".into()], &["findings", "--format", "json"]);
    assert_eq!(out, whole);
    // Building writes one directory.
    let (code, _, err) = over(
        &ws,
        &["shards-2/1".into(), "shards-2/2".into()],
        &["index", "--shard", "1/2"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("takes one index directory"), "{err}");
    for bad in ["0/2", "3/2", "two"] {
        let (code, _, err) = archeo(&ws, &["index", "--shard", bad]);
        assert_eq!(code, 2, "{bad}");
        assert!(err.contains("K/N"), "{err}");
    }
}

#[test]
fn a_shard_rebuilt_from_a_newer_lock_is_refused_beside_the_old_ones() {
    let ws = fixture();
    build(&ws, &[2]);
    // scripts' main branch moves; only shard 2 is rebuilt from the new lock.
    let scripts = GitRepo {
        dir: ws.path().join("upstream/scripts"),
    };
    scripts.write("extra.sh", "#!/bin/sh\necho extra\n");
    scripts.commit("moved");
    let (code, _, err) = run(github_archeo(&ws).arg("fetch"));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = archeo(
        &ws,
        &["index", "--shard", "2/2", "--index-dir", "shards-2/2"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = over(&ws, &shard_dirs(2), &["search", "echo"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("different locks") && err.contains("rebuild the stale one"),
        "{err}"
    );
    let (code, _, err) = archeo(
        &ws,
        &["index", "--shard", "1/2", "--index-dir", "shards-2/1"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = over(&ws, &shard_dirs(2), &["search", "extra"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("extra.sh"), "{out}");
}

use crate::common::http;

/// The `shards` record closing a front end's answer when every asked shard answered.
fn whole(asked: &[u32], of: u32) -> String {
    let list = asked
        .iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "{{\"schema_version\":1,\"type\":\"shards\",\"of\":{of},\"asked\":[{list}],\"answered\":[{list}],\"missing\":[],\"partial\":false}}\n"
    )
}

#[test]
fn a_front_end_merges_shard_servers_as_one_index_and_marks_a_missing_shard() {
    let ws = fixture();
    build(&ws, &[2]);
    let one = vec!["index".to_string()];
    let s1 = http::Server::start(&ws, &["--index-dir", "shards-2/1"]);
    let s2 = http::Server::start(&ws, &["--index-dir", "shards-2/2"]);
    let (u1, u2) = (format!("http://{}", s1.addr), format!("http://{}", s2.addr));
    let front = http::Server::start(
        &ws,
        &["--shard", &u1, "--shard", &u2, "--shard-timeout-ms", "5000"],
    );
    // A shard server says which shard it is.
    let r = s2.get("/api/shard");
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let schema = crate::interfaces::validator("docs/archeo.schema.json");
    assert_eq!(crate::interfaces::errors(&schema, &v), Vec::<String>::new());
    assert_eq!(v["shard"]["k"], 2);
    assert_eq!(
        v["shard"]["repos"],
        serde_json::json!(["proj", "shipper", "fork", "scripts"])
    );
    assert!(
        r.header("x-archeo-shard").unwrap().starts_with("2/2 "),
        "{:?}",
        r.headers
    );
    // Merged: exactly the single index's records, in its order, then the shards record.
    for (api, cli, asked) in [
        (
            "/api/search?q=openat2",
            vec!["search", "openat2"],
            &[1, 2][..],
        ),
        (
            "/api/search?q=Permission&limit=3",
            vec!["search", "Permission", "--limit", "3"],
            &[1, 2],
        ),
        (
            "/api/search?q=sysctl&context=1",
            vec!["search", "sysctl", "-C", "1"],
            &[1, 2],
        ),
        (
            "/api/search?q=openat2+repo%3Afork",
            vec!["search", "openat2 repo:fork"],
            &[1],
        ),
        ("/api/findings", vec!["findings"], &[1, 2]),
        (
            "/api/findings?rule=openat2-resolve-no-xdev&at=proj%40v1.2.0&at=fork%40v2.0",
            vec![
                "findings",
                "--rule",
                "openat2-resolve-no-xdev",
                "--at",
                "proj@v1.2.0",
                "--at",
                "fork@v2.0",
            ],
            &[1],
        ),
        (
            "/api/diff?a=proj%40v1.0.0&b=proj%40v1.2.0",
            vec!["diff", "proj@v1.0.0", "proj@v1.2.0"],
            &[1],
        ),
        (
            "/api/timeline?rule=openat2-resolve-no-xdev&repo=proj&repo=fork",
            vec![
                "timeline",
                "--rule",
                "openat2-resolve-no-xdev",
                "--repo",
                "proj",
                "--repo",
                "fork",
            ],
            &[1],
        ),
        (
            "/api/explain?message=unsafe+procfs+detected&repo=fork",
            vec!["explain", "unsafe procfs detected", "--repo", "fork"],
            &[1],
        ),
    ] {
        let mut args = cli.clone();
        args.extend(["--format", "json"]);
        let (code, expected, err) = over(&ws, &one, &args);
        assert_eq!(code, 0, "{cli:?}: {err}");
        let r = front.get(api);
        assert_eq!(r.status, 200, "{api}: {}", r.body);
        assert_eq!(r.body, expected + &whole(asked, 2), "{api}");
        assert_eq!(r.header("x-archeo-partial"), Some("false"), "{api}");
    }
    // What would join shards, or names nothing to route by, is refused, saying what to do.
    for api in [
        "/api/diff?a=proj%40v1.2.0&b=shipper%40v2.0",
        "/api/timeline?rule=openat2-resolve-no-xdev",
    ] {
        let r = front.get(api);
        assert_eq!(r.status, 400, "{api}: {}", r.body);
        assert!(
            r.body.contains("--index-dir SHARD1 --index-dir SHARD2"),
            "{}",
            r.body
        );
    }
    let r = front.get("/api/search?q=x&repo=nope");
    assert_eq!(r.status, 404);
    assert!(
        r.body.contains("unknown repository \\\"nope\\\""),
        "{}",
        r.body
    );
    assert_eq!(front.get("/search?q=x").status, 404);
    let r = front.get("/api/search?q=%2Funclosed");
    assert_eq!(r.status, 400, "{}", r.body);

    // Shard 2's server stops: answers needing it are marked partial, never silently smaller.
    drop(s2);
    let r = front.get("/api/search?q=Permission");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("x-archeo-partial"), Some("true"));
    let lines: Vec<serde_json::Value> = r
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (hits, last) = lines.split_at(lines.len() - 1);
    let repos: Vec<&str> = hits
        .iter()
        .map(|h| h["cite"]["repo"].as_str().unwrap())
        .collect();
    assert_eq!(repos.len(), 2, "{}", r.body);
    assert!(
        repos.iter().all(|r| ["proj", "fork"].contains(r)),
        "{repos:?}"
    );
    assert_eq!(last[0]["partial"], true);
    assert_eq!(
        crate::interfaces::errors(&schema, &last[0]),
        Vec::<String>::new()
    );
    assert_eq!(last[0]["answered"], serde_json::json!([1]));
    assert_eq!(last[0]["asked"], serde_json::json!([1, 2]));
    let missing = last[0]["missing"].as_array().unwrap();
    assert!(
        missing.iter().any(|m| m["url"] == u2.as_str()),
        "{}",
        r.body
    );
    // A question only shard 1 holds is still whole; one for shard 2 is refused, not partial.
    let r = front.get("/api/search?q=Permission&repo=proj");
    assert_eq!(r.header("x-archeo-partial"), Some("false"), "{}", r.body);
    let r = front.get("/api/diff?a=shipper%40v1.0&b=shipper%40v2.0");
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("shard 2/2 holds shipper"), "{}", r.body);
}

/// Issue 32: a search matching every line of two repositories, each on its own shard: every
/// shard server keeps its best 10,000 hits and says it was cut; the front end merges them into
/// exactly the whole index server's answer (the same best 10,000, every hit counted) and one
/// `truncated` record.
#[test]
fn a_search_cut_by_the_bound_merges_across_shards_as_over_one_index() {
    let ws = Workspace::new();
    let mut manifest = String::new();
    for name in ["left", "right"] {
        let up = ws.repo(name);
        for f in ["a", "b", "c"] {
            let text: String = (0..4_000).map(|i| format!("{name}{f}{i}\n")).collect();
            up.write(&format!("{f}.txt"), text);
        }
        up.commit("big");
        up.tag("v1.0.0");
        manifest.push_str(&format!(
            "[[repo]]\nname = \"{name}\"\nurl = \"{}\"\nrevs = [\"v1.0.0\"]\n\n",
            up.url()
        ));
    }
    ws.manifest(&manifest);
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    build(&ws, &[2]);
    let whole_srv = http::Server::start(&ws, &["--index-dir", "index"]);
    let s1 = http::Server::start(&ws, &["--index-dir", "shards-2/1"]);
    let s2 = http::Server::start(&ws, &["--index-dir", "shards-2/2"]);
    let (u1, u2) = (format!("http://{}", s1.addr), format!("http://{}", s2.addr));
    let front = http::Server::start(&ws, &["--shard", &u1, "--shard", &u2]);
    let one = whole_srv.get("/api/search?q=%2F.%2F");
    assert_eq!(one.status, 200);
    let merged = front.get("/api/search?q=%2F.%2F");
    assert_eq!(merged.status, 200, "{}", merged.body);
    let lines = |b: &str| b.lines().map(str::to_string).collect::<Vec<_>>();
    let (a, b) = (lines(&one.body), lines(&merged.body));
    assert_eq!(a.len(), 10_001, "{}", a.last().unwrap());
    assert_eq!(b.len(), 10_002, "{}", b.last().unwrap());
    // The same hits, in the same order.
    assert!(a[..10_000] == b[..10_000], "the merged hits differ");
    let t: serde_json::Value = serde_json::from_str(&b[10_000]).unwrap();
    assert_eq!(t["type"], "truncated");
    assert_eq!(
        (t["total"].as_u64(), t["shown"].as_u64()),
        (Some(24_000), Some(10_000))
    );
    assert_eq!(t["file_versions"], 6);
    let w: serde_json::Value = serde_json::from_str(&a[10_000]).unwrap();
    assert_eq!(
        (w["total"].as_u64(), w["bound"].as_u64()),
        (Some(24_000), Some(10_000))
    );
    assert!(b[10_001].contains("\"type\":\"shards\""), "{}", b[10_001]);
}
