//! `archeo index` and `archeo stats` on fixture repositories.

use crate::common;

use common::*;

#[test]
fn each_blob_is_parsed_once_and_reindexing_parses_only_new_blobs() {
    let (ws, up, commits) = fetched_project("\"v1.0.0\", \"v1.1.0\"");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    // 9 files in v1.0.0, v1.1.0 changes one: 18 occurrences, 10 distinct blobs, all parsed once.
    assert_eq!(count_before(&err, "file occurrences"), 18, "{err}");
    assert_eq!(count_before(&err, "distinct blobs"), 10, "{err}");
    assert_eq!(count_before(&err, "parsed now"), 10, "{err}");
    assert!(
        err.contains("1 binary")
            && err.contains("1 not UTF-8")
            && err.contains("syntax error nodes"),
        "{err}"
    );

    // Nothing new: nothing parsed.
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count_before(&err, "parsed now"), 0, "{err}");

    // The lock gains v1.2.0 (two changed blobs): only those are parsed.
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.*\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count_before(&err, "parsed now"), 2, "{err}");
    assert_eq!(count_before(&err, "distinct blobs"), 12, "{err}");

    // A revision no longer pinned is dropped from the occurrence map.
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.2.0\"]\n",
        up.url()
    ));
    std::fs::remove_file(ws.path().join("archeo.lock")).unwrap();
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 revisions dropped"), "{err}");
    let (_, out, _) = archeo(&ws, &["stats", "--format", "json"]);
    assert_eq!(out.lines().count(), 2, "one revision and the total: {out}");
    assert!(out.contains(&commits[2]));
}

#[test]
fn stats_report_vendored_modules_and_submodules() {
    let (ws, _, commits) = fetched_project("\"v1.0.0\", \"v1.2.0\"");
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let (code, out, err) = archeo(&ws, &["stats", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["rev"], "v1.0.0");
    assert_eq!(first["commit"], commits[0].as_str());
    assert_eq!(first["files"], 9);
    assert_eq!(
        first["vendored_modules"][0]["module"],
        "example.com/securejoin"
    );
    assert_eq!(first["vendored_modules"][0]["version"], "v0.4.1");
    assert_eq!(first["submodules"][0]["path"], "deps/fs");
    assert_eq!(first["submodules"][0]["commit"], "1".repeat(40));
    let second: serde_json::Value = serde_json::from_str(out.lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["vendored_modules"][0]["version"], "v0.5.1");
    let (_, text, _) = archeo(&ws, &["stats"]);
    assert!(
        text.contains("proj@v1.0.0") && text.contains("2 revisions"),
        "{text}"
    );
}

#[test]
fn bad_files_are_indexed_as_far_as_they_go() {
    let (ws, _, _) = fetched_project("\"v1.0.0\"");
    let (code, _, err) = archeo(&ws, &["-v", "index", "--max-file-size", "300"]);
    assert_eq!(code, 0, "{err}");
    // sysctl.go and procfs.go are over 300 bytes: skipped, counted, named with -v.
    assert!(err.contains("2 over the size cap"), "{err}");
    assert!(
        err.contains("skipped (over --max-file-size): internal/sys/sysctl.go"),
        "{err}"
    );
    assert!(
        err.contains("not valid UTF-8, indexed lossily: legacy/latin1.txt"),
        "{err}"
    );
    // The slowest parses are named (at most ten), each a file of the project.
    let slow: Vec<&str> = err
        .lines()
        .filter_map(|l| l.split("slow to parse: ").nth(1))
        .collect();
    assert!((1..=10).contains(&slow.len()), "{err}");
    let (_, files, _) = archeo(&ws, &["search", "/./", "-l"]);
    for s in &slow {
        let path = s.split(" (").next().unwrap();
        assert!(files.lines().any(|f| f.ends_with(path)), "{path}: {files}");
    }
    // The lossy file and the file with a syntax error are still searchable.
    let (code, out, _) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    assert_eq!(code, 0);
    assert!(out.contains("legacy/latin1.txt"), "{out}");
    assert!(out.contains("broken/broken.go"), "{out}");
    assert!(!out.contains("logo.bin"), "binaries are not indexed: {out}");
    let (_, out, _) = archeo(
        &ws,
        &["search", "return", "--path", "broken/", "--format", "json"],
    );
    let hit: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        hit["symbol"], "fine",
        "declarations before the error are kept"
    );
}

#[test]
fn an_interrupted_run_leaves_the_previous_index_usable() {
    let (ws, up, _) = fetched_project("\"v1.0.0\"");
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let (_, before, _) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.*\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    // Crash after the first new blob: no cleanup at all, like a kill -9.
    let mut c = ws.archeo();
    c.args(["index"]).env("ARCHEO_TEST_ABORT_AFTER_BLOBS", "1");
    let (code, _, _) = run(&mut c);
    assert_ne!(code, 0, "the run was aborted");
    let (code, after, err) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(after, before, "the old index answers as before");
    // The same goes for an aborted --rebuild.
    let mut c = ws.archeo();
    c.args(["index", "--rebuild"])
        .env("ARCHEO_TEST_ABORT_AFTER_BLOBS", "1");
    assert_ne!(run(&mut c).0, 0);
    assert_eq!(
        archeo(&ws, &["search", "openat2", "--format", "json"]).1,
        before
    );
    // And the next run completes.
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = archeo(&ws, &["search", "RESOLVE_NO_XDEV", "--format", "json"]);
    assert!(out.contains("v1.2.0"), "{out}");
}

#[test]
fn a_second_writer_fails_at_once_naming_the_pid() {
    let (ws, _, _) = fetched_project("\"v1.0.0\"");
    let index = ws.path().join("index");
    std::fs::create_dir_all(&index).unwrap();
    // The directory as the other archeo marked it before taking its lock.
    std::fs::write(
        index.join("archeo-index.json"),
        r#"{"archeo":"index","format":1,"made":["catalog.json","trees","writer.lock"]}"#,
    )
    .unwrap();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(index.join("writer.lock"))
        .unwrap();
    f.lock().unwrap();
    use std::io::Write;
    write!(f, "424242").unwrap();
    let started = std::time::Instant::now();
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 2);
    assert!(err.contains("index is locked by pid 424242"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "fails at once, no hang"
    );
    f.unlock().unwrap();
    assert_eq!(archeo(&ws, &["index"]).0, 0);
}

#[test]
fn missing_lock_missing_commit_and_schema_mismatch_are_explained() {
    let ws = Workspace::new();
    ws.manifest("[[repo]]\nname = \"proj\"\nurl = \"https://x.invalid/p\"\nrevs = [\"v1\"]\n");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 2);
    assert!(err.contains("run `archeo fetch` first"), "{err}");

    let (ws, _, commits) = fetched_project("\"v1.0.0\"");
    let lock = ws.lock_text().replace(&commits[0], &"a".repeat(40));
    std::fs::write(ws.path().join("archeo.lock"), lock).unwrap();
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "proj@v1.0.0 is locked to commit {}",
            "a".repeat(40)
        )),
        "{err}"
    );

    let (ws, _, _) = fetched_project("\"v1.0.0\"");
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    // The binary catalog: magic (8 bytes), then the schema version (u32, little-endian).
    let cat = ws.path().join("index/catalog.bin");
    let mut bytes = std::fs::read(&cat).unwrap();
    assert_eq!(&bytes[..7], b"ARCHCAT", "catalog magic");
    bytes[8..12].copy_from_slice(&999u32.to_le_bytes());
    std::fs::write(&cat, bytes).unwrap();
    let (code, _, err) = archeo(&ws, &["search", "openat2"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("schema version 999") && err.contains("rebuild it with `archeo index`"),
        "{err}"
    );
    // A plain `archeo index` (what the README runs) builds an index of another format again.
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("has schema version 999: building it again in format"),
        "{err}"
    );
    assert_eq!(archeo(&ws, &["search", "openat2"]).0, 0);
}
