//! The distributed deployment on a real Ray cluster (several raylets on this machine, started by
//! deploy/ray/faults.py with ray.cluster_utils.Cluster): shards built as Ray tasks while the
//! node running one of them is killed, and shard servers run as Ray actors while one is killed.
//! The shards Ray built must answer exactly as one index built without Ray, and the front end's
//! answers must be marked partial while a shard server is down, then whole and equal again.
//!
//! Needs Python with Ray (`ARCHEO_PYTHON`, else `python3`); skipped, saying so, without it,
//! unless `ARCHEO_REQUIRE_RAY` is set (as .ci/run sets it after installing Ray).

use std::process::{Command, Stdio};

use crate::common;
use crate::shards::{fixture, over};

use common::*;

fn python() -> Option<String> {
    let py = std::env::var("ARCHEO_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import ray"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(py)
}

/// A base port with it and the next `n` ports free on 127.0.0.1.
fn free_ports(n: u16) -> u16 {
    'next: for _ in 0..50 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = l.local_addr().unwrap().port();
        drop(l);
        if base > 65000 {
            continue;
        }
        for p in base..=base + n {
            if std::net::TcpListener::bind(("127.0.0.1", p)).is_err() {
                continue 'next;
            }
        }
        return base;
    }
    panic!("no free ports");
}

#[test]
fn ray_builds_shards_through_a_node_kill_and_restarts_a_killed_shard_server() {
    let Some(py) = python() else {
        assert!(
            std::env::var_os("ARCHEO_REQUIRE_RAY").is_none(),
            "ARCHEO_REQUIRE_RAY is set but Python with Ray is missing (ARCHEO_PYTHON)"
        );
        eprintln!(
            "SKIPPED ray_builds_shards_through_a_node_kill_and_restarts_a_killed_shard_server: no Python with Ray here (pip install ray; ARCHEO_PYTHON=/path/to/python)"
        );
        return;
    };
    let ws = fixture();
    let (code, _, err) = archeo(&ws, &["index", "--index-dir", "index"]);
    assert_eq!(code, 0, "{err}");
    let bin = assert_cmd::cargo::cargo_bin("archeo");
    let port = free_ports(2);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/ray/faults.py");
    let mut child = Command::new(&py)
        .arg(&script)
        .arg("--archeo")
        .arg(&bin)
        .arg("--manifest")
        .arg(ws.path().join("archeo.toml"))
        .arg("--cache-dir")
        .arg(ws.path().join("cache"))
        .arg("--out")
        .arg(ws.path().join("ray-shards"))
        .args(["--shards", "2", "--workers", "2", "--blob-delay-ms", "150"])
        .args(["--port", &port.to_string(), "--shard-timeout-ms", "2000"])
        .args(["--query", "/api/search?q=Permission"])
        .current_dir(ws.path())
        .env("RAY_USAGE_STATS_ENABLED", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = {
        use std::io::Read;
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let e = std::thread::spawn(move || {
            let mut s = String::new();
            stderr.read_to_string(&mut s).unwrap();
            s
        });
        let o = std::thread::spawn(move || {
            let mut s = String::new();
            stdout.read_to_string(&mut s).unwrap();
            s
        });
        let code = wait_at_most(&mut child, 420);
        let (o, e) = (o.join().unwrap(), e.join().unwrap());
        assert_eq!(code, Some(0), "faults.py failed or hung:\n{o}\n{e}");
        o
    };
    // Ray's own processes print to the same standard output: the reports are the lines that
    // start as faults.py writes them.
    let runs: Vec<serde_json::Value> = out
        .lines()
        .filter(|l| l.starts_with("{\"scenario\""))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let by = |name: &str| {
        runs.iter()
            .find(|r| r["scenario"] == name)
            .unwrap_or_else(|| panic!("no {name} in {out}"))
    };
    eprintln!("cluster: {}", by("cluster"));

    // The node running shard 1 was killed mid-build; Ray ran it again on another node.
    let build = by("build-kill");
    let killed = build["killed"]["node"].as_str().unwrap();
    let tries: Vec<&str> = build["attempt_nodes"]["1"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(tries.contains(&killed), "{build}");
    assert!(
        tries.iter().any(|n| *n != killed),
        "shard 1 never ran elsewhere: {build}"
    );
    let done_on = build["shards"][0]["node"].as_str().unwrap();
    assert_ne!(done_on, killed, "{build}");
    eprintln!(
        "build: node killed after {} s, done in {} s",
        build["killed"]["after_seconds"], build["wall_seconds"]
    );
    // ... and what it built answers as one index built without Ray.
    let shards = vec!["ray-shards/1".to_string(), "ray-shards/2".to_string()];
    let whole = vec!["index".to_string()];
    for q in [
        &["search", "openat2", "--format", "json"][..],
        &["findings", "--format", "json"],
        &["deps", "shipper@v2.0", "--depth", "2", "--format", "json"],
        &[
            "affected",
            "--rule",
            "openat2-resolve-no-xdev",
            "--format",
            "json",
        ],
        &["callers", "WriteSysctls", "--format", "json"],
        &["explain", "unsafe procfs detected", "--format", "json"],
    ] {
        let (c1, o1, e1) = over(&ws, &whole, q);
        let (c2, o2, e2) = over(&ws, &shards, q);
        assert_eq!(c1, 0, "{q:?}: {e1}");
        assert_eq!((c2, o2), (c1, o1), "{q:?} over Ray's shards: {e2}");
    }

    // The front end answers whole, partial while shard 1's server is down, then whole again.
    let serve = by("serve-kill");
    let (_, cli, _) = over(&ws, &whole, &["search", "Permission", "--format", "json"]);
    assert_eq!(
        cli.lines().count(),
        4,
        "the LICENSE of each repository: {cli}"
    );
    let whole_body = format!(
        "{cli}{{\"schema_version\":1,\"type\":\"shards\",\"of\":2,\"asked\":[1,2],\"answered\":[1,2],\"missing\":[],\"partial\":false}}\n"
    );
    let answers = serve["answers"].as_array().unwrap();
    assert_eq!(answers[0]["partial"], "false", "{serve}");
    assert_eq!(answers[0]["body"], whole_body.as_str());
    let partial: Vec<&serde_json::Value> =
        answers.iter().filter(|a| a["partial"] == "true").collect();
    assert!(!partial.is_empty(), "never partial: {serve}");
    for a in &partial {
        let body = a["body"].as_str().unwrap();
        assert_eq!(
            body.lines().count(),
            3,
            "two hits and the shards record: {body}"
        );
        let last: serde_json::Value = serde_json::from_str(body.lines().last().unwrap()).unwrap();
        assert_eq!(last["answered"], serde_json::json!([2]), "{body}");
        assert_eq!(last["partial"], true);
        assert!(!last["missing"].as_array().unwrap().is_empty(), "{body}");
        // Only shard 2's repositories (shipper, scripts) answer while shard 1 is down.
        for l in body.lines().filter(|l| l.contains("\"type\":\"hit\"")) {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert!(
                ["shipper", "scripts"].contains(&v["cite"]["repo"].as_str().unwrap()),
                "{l}"
            );
        }
    }
    assert!(
        answers
            .iter()
            .all(|a| a["partial"] == "true" || a["partial"] == "false"),
        "every answer is marked: {serve}"
    );
    let last = answers.last().unwrap();
    assert_eq!(last["partial"], "false", "never whole again: {serve}");
    assert_eq!(last["body"], whole_body.as_str());
    assert_ne!(serve["killed_pid"], serve["restarted_pid"]);
    eprintln!(
        "serve: started in {} s; partial after {} s, whole again after {} s",
        serve["start_seconds"], serve["first_partial_after"], serve["whole_again_after"]
    );
}
