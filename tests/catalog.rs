//! The catalog's trees cannot lie: a damaged tree is detected (its checksum) and named with the
//! fix, `index --rebuild` writes them again from git, a changed manifest `exclude` takes effect,
//! and upstream file names holding newlines, tabs or Markdown link syntax are stored and cited
//! as themselves, never as a forged entry.

use crate::common;

use common::*;

fn json_paths(out: &str) -> Vec<String> {
    out.lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["cite"]["path"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Byte offset and length of a section of `catalog.bin` (see index/catalog.rs).
fn section(bytes: &[u8], i: usize) -> (usize, usize) {
    let at = 16 + i * 20;
    let u = |a: usize| u64::from_le_bytes(bytes[a..a + 8].try_into().unwrap()) as usize;
    (u(at), u(at + 8))
}

#[test]
fn a_damaged_tree_is_refused_and_a_rebuild_writes_it_again() {
    let (ws, _, _) = fetched_project("\"v1.0.0\", \"v1.2.0\"");
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let (_, before, _) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    let cat = ws.path().join("index/catalog.bin");
    let good = std::fs::read(&cat).unwrap();
    // Swap the blob ordinals of the first two entries of the first tree: each path would be
    // cited with the other file's lines.
    let (trees, _) = section(&good, 4);
    let mut bad = good.clone();
    for k in 0..4 {
        bad.swap(trees + 4 + k, trees + 12 + k);
    }
    assert_ne!(bad, good);
    std::fs::write(&cat, &bad).unwrap();
    let (code, out, err) = archeo(&ws, &["search", "openat2", "--at", "proj@v1.0.0"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("the index is damaged")
            && err.contains("proj@v1.0.0")
            && err.contains("archeo index --rebuild"),
        "{err}"
    );
    // A tree left out by the selection is never read.
    let (code, _, err) = archeo(&ws, &["search", "openat2", "--at", "proj@v1.2.0"]);
    assert_eq!(code, 0, "{err}");
    // Dropped lines (a truncated tree section) are caught too.
    let mut short = good.clone();
    short.truncate(short.len() - 8);
    std::fs::write(&cat, &short).unwrap();
    assert_eq!(archeo(&ws, &["search", "openat2"]).0, 2);
    // The rebuild reads every tree from git again.
    std::fs::write(&cat, &bad).unwrap();
    let (code, _, err) = archeo(&ws, &["index", "--rebuild"]);
    assert_eq!(code, 0, "{err}");
    let (code, after, _) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(after, before);
}

#[test]
fn a_changed_exclude_takes_effect_on_the_next_index() {
    let (ws, up, _) = fetched_project("\"v1.0.0\"");
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let (_, out, _) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    assert!(
        json_paths(&out).iter().any(|p| p.starts_with("docs/")),
        "{out}"
    );
    let manifest = |exclude: &str| {
        ws.manifest(&format!(
            "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.0.0\"]\nexclude = [{exclude}]\n",
            up.url()
        ))
    };
    manifest("\"docs/\"");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    let paths = json_paths(&out);
    assert!(
        !paths.is_empty() && !paths.iter().any(|p| p.starts_with("docs/")),
        "{out}"
    );
    manifest("");
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    let (_, out, _) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    assert!(
        json_paths(&out).iter().any(|p| p.starts_with("docs/")),
        "{out}"
    );
}

#[test]
fn hostile_file_names_are_stored_and_cited_as_themselves() {
    let ws = Workspace::new();
    let up = ws.repo("hostile");
    let forged = format!("x\n{}\tF\tINJECTED-fake-path.go", "0".repeat(40));
    let names = [
        forged.as_str(),
        "tab\there.go",
        "x](javascript:alert(1)).go",
        "<img src=x onerror=alert(1)>.go",
        "plain.go",
    ];
    for (i, n) in names.iter().enumerate() {
        up.write(
            n,
            format!("package p\n\n// openat2 in file {i}\nfunc F{i}() {{}}\n"),
        );
    }
    up.commit("v1");
    up.tag("v1.0.0");
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.0.0\"]\n",
        up.url()
    ));
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    let mut got = json_paths(&out);
    got.sort();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "every file once, under its own name");
    // Each hit's line is its own file's.
    for l in out.lines() {
        let h: serde_json::Value = serde_json::from_str(l).unwrap();
        let i = names.iter().position(|n| *n == h["cite"]["path"]).unwrap();
        assert_eq!(h["text"], format!("// openat2 in file {i}"));
    }
    // Text output escapes control characters: no line of it is a forged path.
    let (_, text, _) = archeo(&ws, &["search", "openat2"]);
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with(&"0".repeat(40)) || l.starts_with("INJECTED")),
        "{text}"
    );
    assert!(text.contains("x\\n0000"), "{text}");
    let (_, files, _) = archeo(&ws, &["search", "openat2", "-l"]);
    assert_eq!(files.lines().count(), names.len(), "{files}");
}
