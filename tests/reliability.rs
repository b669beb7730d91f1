//! What an unlucky day does to archeo (issue 19): processes killed at random points, damaged index
//! and cache files, a full disk, read-only indexes, stale locks and temporaries, directories that
//! are not archeo's, locks that point elsewhere. Every scenario runs real processes on real git
//! repositories and a real index. `ARCHEO_TEST_BIN=/path/to/older/archeo cargo test --test
//! reliability` runs the same scenarios against another binary (to see them fail before).
//! `ARCHEO_RELIABILITY_ROUNDS=N` multiplies the kills and corruptions (default 1, for CI).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

/// Rounds of the random parts (kills, byte flips): 1 in CI, more by hand.
fn rounds() -> usize {
    std::env::var("ARCHEO_RELIABILITY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// A small deterministic generator (xorshift): the same positions and delays every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// A fetched and indexed project, and what `search openat2` and `findings` answer on it.
fn indexed() -> (Workspace, GitRepo, String, String) {
    let (ws, up, _) = fetched_project("\"v1.*\"");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    let (code, search, err) = archeo(&ws, &["search", "openat2", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let (code, findings, err) = archeo(&ws, &["findings", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    (ws, up, search, findings)
}

fn store_dirs(index: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(index)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("tantivy")
        })
        .collect();
    v.sort();
    v
}

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".archeo-") && n.ends_with(".tmp"))
        .collect()
}

/// What a damaged file did to a command.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Same answer as before: the damage was in a part this command never reads.
    Unaffected,
    /// Exit 2 with a message naming the fix.
    Detected,
    /// Anything else: a wrong answer, a panic, a message without the fix.
    Wrong(String),
}

fn judge(code: i32, out: &str, err: &str, baseline: &str, fix: &str) -> Outcome {
    match code {
        0 | 1 if out == baseline => Outcome::Unaffected,
        // A panic would print "thread '…' panicked" and exit 101.
        2 if err.contains(fix) && !err.contains("thread '") => Outcome::Detected,
        _ => {
            let lost: Vec<&str> = baseline
                .lines()
                .filter(|l| !out.contains(l))
                .take(3)
                .collect();
            let new: Vec<&str> = out
                .lines()
                .filter(|l| !baseline.contains(l))
                .take(3)
                .collect();
            Outcome::Wrong(format!(
                "exit {code}\nlines lost: {lost:#?}\nlines new: {new:#?}\nstderr: {}",
                err.chars().take(600).collect::<String>()
            ))
        }
    }
}

#[test]
fn damaged_index_files_are_detected_never_cited_and_never_panic() {
    let (ws, _, search, findings) = indexed();
    let index = ws.path().join("index");
    let store = store_dirs(&index).pop().unwrap();
    // The store: blobs.dat, the n-gram file and tantivy's files (in `tantivy/`).
    let mut files: Vec<PathBuf> = [store.clone(), store.join("tantivy")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().flatten().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            p.is_file() && !n.starts_with(".tantivy") && !n.ends_with(".lock")
        })
        .collect();
    files.push(index.join("catalog.bin"));
    files.sort();
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let (mut tried, mut detected) = (0, 0);
    let mut wrong = Vec::new();
    for file in &files {
        let pristine = std::fs::read(file).unwrap();
        // Flips spread over the file, plus truncations (half, and all but the footer).
        let mut damages: Vec<Vec<u8>> = Vec::new();
        for _ in 0..4 * rounds() {
            let mut b = pristine.clone();
            let at = rng.below(b.len() as u64) as usize;
            b[at] ^= 1 << rng.below(8);
            damages.push(b);
        }
        damages.push(pristine[..pristine.len() / 2].to_vec());
        damages.push(pristine[..pristine.len().saturating_sub(8)].to_vec());
        for damaged in damages {
            std::fs::write(file, &damaged).unwrap();
            tried += 1;
            let mut hit = false;
            for (args, baseline) in [
                (&["search", "openat2", "--format", "json"][..], &search),
                (&["findings", "--format", "json"][..], &findings),
            ] {
                let (code, out, err) = archeo(&ws, args);
                match judge(code, &out, &err, baseline, "archeo index --rebuild") {
                    Outcome::Unaffected => {}
                    Outcome::Detected => hit = true,
                    Outcome::Wrong(why) => wrong.push(format!(
                        "{} damaged, `archeo {}`: {why}",
                        file.display(),
                        args.join(" ")
                    )),
                }
            }
            detected += usize::from(hit);
        }
        std::fs::write(file, &pristine).unwrap();
    }
    eprintln!("index corruptions: {tried} tried, {detected} detected, 0 wrong allowed");
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    assert!(detected > 0);
    // The fix named is the fix.
    std::fs::write(index.join("catalog.bin"), b"{").unwrap();
    assert_eq!(archeo(&ws, &["index", "--rebuild"]).0, 0);
    assert_eq!(
        archeo(&ws, &["search", "openat2", "--format", "json"]).1,
        search
    );
}

/// A project whose files carry dependency edges (go.mod, Dockerfile, a shell installer, a
/// Makefile) and shell functions, indexed.
fn indexed_with_deps() -> Workspace {
    let ws = Workspace::new();
    let up = ws.repo("proj");
    up.write(
        "go.mod",
        "module example.com/proj\n\ngo 1.22\n\nrequire (\n\texample.com/securejoin v0.5.1\n\texample.com/sys v0.30.0\n)\n",
    );
    up.write(
        "Dockerfile",
        "ARG GO_VERSION=1.22.4\nFROM golang:${GO_VERSION} AS build\nARG RUNC_VERSION=v1.2.0\nRUN git clone https://example.com/acme/runc.git && cd runc && git checkout ${RUNC_VERSION}\n",
    );
    up.write(
        "hack/install.sh",
        "#!/bin/sh\n: \"${CONTAINERD_VERSION:=v2.1.4}\"\ninstall_containerd() {\n\tgit clone https://example.com/acme/containerd.git\n\tgit -C containerd checkout \"$CONTAINERD_VERSION\"\n}\ninstall_runc() {\n\tinstall_containerd\n}\ninstall_runc\n",
    );
    up.write(
        "Makefile",
        "TOOL_VERSION ?= 1.4.2\nIMAGE := golang:$(TOOL_VERSION)\n",
    );
    up.commit("deps");
    up.tag("v1.0.0");
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.0.0\"]\n",
        up.url()
    ));
    for args in [&["fetch"][..], &["index"]] {
        let (code, _, err) = archeo(&ws, args);
        assert_eq!(code, 0, "{err}");
    }
    ws
}

#[test]
fn damaged_dependency_edges_and_shell_facts_are_detected_never_answered() {
    let ws = indexed_with_deps();
    let queries: [&[&str]; 2] = [
        &["deps", "proj@v1.0.0", "--all", "--format", "json"],
        &["search", "install_containerd", "--format", "json"],
    ];
    let baselines: Vec<String> = queries
        .iter()
        .map(|q| {
            let (code, out, err) = archeo(&ws, q);
            assert_eq!(code, 0, "{err}");
            out
        })
        .collect();
    assert!(baselines[0].contains("RUNC_VERSION") && baselines[0].contains("v2.1.4"));
    assert!(baselines[1].contains("install_runc"), "{}", baselines[1]);
    let index = ws.path().join("index");
    let store = store_dirs(&index).pop().unwrap();
    // The store's own files and those of the tantivy directory inside it.
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&store)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            !n.starts_with(".tantivy") && !n.ends_with(".lock")
        })
        .collect();
    files.sort();
    let mut rng = Rng(0x6a09e667f3bcc909);
    let (mut tried, mut detected) = (0, 0);
    let mut wrong = Vec::new();
    for file in &files {
        let pristine = std::fs::read(file).unwrap();
        // The document store holds the edges and the parse facts: flip it hardest.
        let flips = if file.extension().is_some_and(|x| x == "store") {
            24
        } else {
            3
        };
        let mut damages: Vec<Vec<u8>> = Vec::new();
        for _ in 0..flips * rounds() {
            let mut b = pristine.clone();
            let at = rng.below(b.len() as u64) as usize;
            b[at] ^= 1 << rng.below(8);
            damages.push(b);
        }
        damages.push(pristine[..pristine.len() / 2].to_vec());
        for damaged in damages {
            std::fs::write(file, &damaged).unwrap();
            tried += 1;
            let mut hit = false;
            for (args, baseline) in queries.iter().zip(&baselines) {
                let (code, out, err) = archeo(&ws, args);
                match judge(code, &out, &err, baseline, "archeo index --rebuild") {
                    Outcome::Unaffected => {}
                    Outcome::Detected => hit = true,
                    Outcome::Wrong(why) => wrong.push(format!(
                        "{} damaged, `archeo {}`: {why}",
                        file.display(),
                        args.join(" ")
                    )),
                }
            }
            detected += usize::from(hit);
        }
        std::fs::write(file, &pristine).unwrap();
    }
    eprintln!(
        "dependency/shell index corruptions: {tried} tried, {detected} detected, 0 wrong allowed"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    assert!(detected > 0);
}

#[test]
fn damaged_cache_files_are_reported_and_fetch_repairs_them() {
    let (ws, _, search, findings) = indexed();
    let cache = ws.path().join("cache/git/proj.git");
    let pack_dir = cache.join("objects/pack");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&pack_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.push(cache.join("packed-refs"));
    files.sort();
    let mut rng = Rng(0x2545f4914f6cdd1d);
    let (mut tried, mut detected) = (0, 0);
    for file in files.iter().filter(|f| f.exists()) {
        let pristine = std::fs::read(file).unwrap();
        let mut damages = vec![pristine[..pristine.len() / 2].to_vec()];
        for _ in 0..rounds() {
            let mut b = pristine.clone();
            let at = rng.below(b.len() as u64) as usize;
            b[at] ^= 0x40;
            damages.push(b);
        }
        for damaged in damages {
            std::fs::write(file, &damaged).unwrap();
            tried += 1;
            let (code, _, err) = archeo(&ws, &["index", "--rebuild"]);
            if code == 0 {
                let (_, out, _) = archeo(&ws, &["search", "openat2", "--format", "json"]);
                assert_eq!(out, search, "{} damaged: index took it", file.display());
            } else {
                assert_eq!(code, 2, "{err}");
                assert!(err.contains("archeo fetch"), "{err}");
                detected += 1;
            }
            let (code, _, err) = archeo(&ws, &["fetch"]);
            assert_eq!(code, 0, "{} damaged: fetch failed: {err}", file.display());
            let (code, _, err) = archeo(&ws, &["index", "--rebuild"]);
            assert_eq!(code, 0, "{} damaged: not repaired: {err}", file.display());
            assert_eq!(
                archeo(&ws, &["findings", "--format", "json"]).1,
                findings,
                "{} damaged: other findings after the repair",
                file.display()
            );
            // The repair may have replaced the file: take the pristine one from what is there.
            if !file.exists() {
                break;
            }
        }
    }
    eprintln!("cache corruptions: {tried} tried, {detected} detected by index");
    assert!(detected > 0);
}

#[test]
fn a_truncated_pack_is_an_error_with_the_fix_and_fetch_repairs_it() {
    let (ws, _, _, findings) = indexed();
    let pack = std::fs::read_dir(ws.path().join("cache/git/proj.git/objects/pack"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "pack"))
        .unwrap();
    let bytes = std::fs::read(&pack).unwrap();
    std::fs::write(&pack, &bytes[..bytes.len() / 2]).unwrap();
    let (code, _, err) = archeo(&ws, &["index", "--rebuild"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("run `archeo fetch` to repair"), "{err}");
    let (code, _, err) = archeo(&ws, &["fetch"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("fetching it again from scratch"), "{err}");
    assert_eq!(archeo(&ws, &["index", "--rebuild"]).0, 0);
    assert_eq!(archeo(&ws, &["findings", "--format", "json"]).1, findings);
}

#[test]
fn a_blob_lost_from_the_cache_is_an_error_and_fetch_brings_it_back() {
    let (ws, _, _, findings) = indexed();
    let cache = ws.path().join("cache/git/proj.git");
    let git_dir = format!("--git-dir={}", cache.display());
    // Repack the cache without the vendored procfs.go of v1.2.0.
    let lost = git(
        ws.path(),
        &[
            &git_dir,
            "rev-parse",
            "v1.2.0:vendor/example.com/securejoin/procfs.go",
        ],
    );
    let all = git(ws.path(), &[&git_dir, "rev-list", "--objects", "--all"]);
    let keep: String = all
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .filter(|id| *id != lost)
        .map(|id| format!("{id}\n"))
        .collect();
    let mut pack = Command::new("git")
        .args([&git_dir, "pack-objects", "-q", "objects/pack/pack"])
        .current_dir(&cache)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    pack.stdin
        .take()
        .unwrap()
        .write_all(keep.as_bytes())
        .unwrap();
    assert!(pack.wait().unwrap().success());
    // Drop every pack that holds it (the new pack, written above, holds the rest).
    let pack_dir = cache.join("objects/pack");
    for e in std::fs::read_dir(&pack_dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "idx") {
            continue;
        }
        let listed = Command::new("git")
            .arg("show-index")
            .stdin(std::fs::File::open(&p).unwrap())
            .output()
            .unwrap();
        if String::from_utf8_lossy(&listed.stdout).contains(&lost) {
            for ext in ["idx", "pack", "rev"] {
                let _ = std::fs::remove_file(p.with_extension(ext));
            }
        }
    }
    let (code, _, err) = archeo(&ws, &["index", "--rebuild"]);
    assert_eq!(code, 2, "a lost blob is no 'unavailable' count: {err}");
    assert!(
        err.contains("missing from the cache") && err.contains("archeo fetch"),
        "{err}"
    );
    let (code, _, err) = archeo(&ws, &["fetch"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(archeo(&ws, &["index", "--rebuild"]).0, 0);
    assert_eq!(archeo(&ws, &["findings", "--format", "json"]).1, findings);
}

#[test]
fn a_lock_pointing_at_another_repository_is_refused_wherever_it_is_read() {
    let (ws, up, _) = fetched_project("\"v1.0.0\"");
    let other = ws.repo("other-owner");
    other.write("a.go", "package a\n").commit("x");
    let lock = ws.lock_text().replace(&up.url(), &other.url());
    std::fs::write(ws.path().join("archeo.lock"), &lock).unwrap();
    for args in [&["index"][..], &["pins"], &["export", "missing.md"]] {
        let (code, _, err) = archeo(&ws, args);
        assert_eq!(code, 2, "archeo {args:?} used the lock: {err}");
        assert!(
            err.contains(&other.url()) && err.contains(&up.url()) && err.contains("archeo fetch"),
            "{err}"
        );
    }
    // The way out the message names works.
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    assert!(!ws.lock_text().contains(&other.url()));
    assert_eq!(archeo(&ws, &["index"]).0, 0);
}

/// Issue 32: a lock edited to point a tag at another commit that exists upstream. `fetch
/// --locked` and `index` refuse it naming the tag and both commits (as a plain `fetch`
/// refuses a tag that moved), instead of citing v1.2.0's code as v1.0.0; the way out works.
#[test]
fn a_lock_pointing_a_tag_at_another_commit_is_refused_by_fetch_locked_and_index() {
    let (ws, _up, commits) = fetched_project("\"v1.*\"");
    let original = ws.lock_text();
    let (c100, c120) = (&commits[0], &commits[2]);
    assert!(original.contains(c100), "{original}");
    let edited = original.replacen(c100.as_str(), c120, 1);
    std::fs::write(ws.path().join("archeo.lock"), &edited).unwrap();
    for args in [
        &["fetch", "--locked"][..],
        &["fetch", "--locked", "--offline"],
        &["index"],
    ] {
        let (code, _, err) = archeo(&ws, args);
        assert_eq!(code, 2, "archeo {args:?} accepted the edited lock: {err}");
        assert!(
            err.contains(&format!(
                "proj@v1.0.0: archeo.lock pins {c120}, the fetched tag names {c100}"
            )) && err.contains("git checkout archeo.lock")
                && err.contains("archeo fetch --update"),
            "archeo {args:?}: {err}"
        );
    }
    assert!(!ws.path().join("index").join("catalog.bin").exists());
    assert_eq!(
        ws.lock_text(),
        edited,
        "a refusing run never rewrites the lock"
    );
    // The way out the message names works.
    std::fs::write(ws.path().join("archeo.lock"), &original).unwrap();
    assert_eq!(archeo(&ws, &["fetch", "--locked"]).0, 0);
    assert_eq!(archeo(&ws, &["index"]).0, 0);
}

/// Issue 32, item 10: the same edit with the entry's kind changed to "branch" or "commit" (which
/// the tag check skipped): refused by `fetch --locked` and `index`, naming the entry, what the
/// repository has under that name and the way out. A real branch pin passes, also after the
/// branch moves upstream (the locked commit is kept), and is refused when called a commit.
#[test]
fn a_lock_calling_a_tag_a_branch_or_a_commit_is_refused_by_fetch_locked_and_index() {
    let (ws, up, commits) = fetched_project("\"v1.*\", \"main\"");
    let original = ws.lock_text();
    let (c100, c110) = (&commits[0], &commits[1]);
    let entry = |name: &str, kind: &str, commit: &str| {
        format!("name = \"{name}\"\nkind = \"{kind}\"\ncommit = \"{commit}\"")
    };
    let v110 = entry("v1.1.0", "tag", c110);
    assert!(original.contains(&v110), "{original}");
    let main_commit = up.head();
    let main = entry("main", "branch", &main_commit);
    assert!(original.contains(&main), "{original}");
    let cases = [
        (
            original.replace(&v110, &entry("v1.1.0", "branch", c100)),
            format!(
                "proj@v1.1.0: archeo.lock says kind \"branch\", but v1.1.0 is a tag of the fetched repository (naming {c110})"
            ),
        ),
        (
            original.replace(&v110, &entry("v1.1.0", "commit", c100)),
            format!(
                "proj@v1.1.0: archeo.lock says kind \"commit\", but v1.1.0 is a tag of the fetched repository (naming {c110})"
            ),
        ),
        (
            original.replace(&main, &entry("main", "commit", c100)),
            "proj@main: archeo.lock says kind \"commit\", but main is a branch of the fetched repository".to_string(),
        ),
    ];
    for (edited, why) in &cases {
        std::fs::write(ws.path().join("archeo.lock"), edited).unwrap();
        for args in [
            &["fetch", "--locked"][..],
            &["fetch", "--locked", "--offline"],
            &["index"],
        ] {
            let (code, _, err) = archeo(&ws, args);
            assert_eq!(code, 2, "archeo {args:?} accepted the edited lock: {err}");
            assert!(
                err.contains(why.as_str())
                    && err.contains("git checkout archeo.lock")
                    && err.contains("`archeo fetch` without --locked"),
                "archeo {args:?}: {err}"
            );
        }
        assert!(!ws.path().join("index").join("catalog.bin").exists());
        assert_eq!(
            &ws.lock_text(),
            edited,
            "a refusing run never rewrites the lock"
        );
        // The way out the message names works: a plain fetch re-pins from the manifest.
        let (code, _, err) = archeo(&ws, &["fetch"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(ws.lock_text(), original);
    }

    // A branch that moved upstream: --locked keeps the locked commit, and index reads it.
    up.write("later.md", "later\n");
    up.commit("later");
    assert_eq!(archeo(&ws, &["fetch", "--locked"]).0, 0);
    assert_eq!(ws.lock_text(), original);
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_corrupt_lock_has_a_way_out_that_works() {
    let (ws, _, _) = fetched_project("\"v1.0.0\"");
    std::fs::write(ws.path().join("archeo.lock"), "[[repo]]\nname = \n").unwrap();
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 2);
    assert!(err.contains("archeo fetch --update"), "{err}");
    let (code, _, err) = archeo(&ws, &["fetch"]);
    assert_eq!(code, 2, "plain fetch does not silently drop the old pins");
    assert!(err.contains("archeo fetch --update"), "{err}");
    let (code, _, err) = archeo(&ws, &["fetch", "--update"]);
    assert_eq!(code, 0, "{err}");
    assert!(ws.lock_text().contains("v1.0.0"));
    assert_eq!(archeo(&ws, &["index"]).0, 0);
}

#[test]
fn foreign_directories_are_refused_and_only_archeos_own_entries_deleted() {
    let (ws, _, _) = fetched_project("\"v1.0.0\"");
    // An index directory holding things archeo did not make under the names it uses.
    let d = ws.path().join("mine");
    std::fs::create_dir_all(d.join("tantivy-old")).unwrap();
    std::fs::create_dir_all(d.join("trees")).unwrap();
    std::fs::write(d.join("tantivy-old/keep.txt"), "user data").unwrap();
    std::fs::write(d.join("trees/notes.tsv"), "user data").unwrap();
    let (code, _, err) = archeo(&ws, &["--index-dir", "mine", "index"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("that archeo did not make"), "{err}");
    assert!(d.join("tantivy-old/keep.txt").exists() && d.join("trees/notes.tsv").exists());
    // A directory holding only other files is used, and they are left alone.
    let d = ws.path().join("docs-index");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("README.md"), "mine").unwrap();
    assert_eq!(archeo(&ws, &["--index-dir", "docs-index", "index"]).0, 0);
    assert_eq!(
        archeo(&ws, &["--index-dir", "docs-index", "index", "--rebuild"]).0,
        0
    );
    assert_eq!(
        std::fs::read_to_string(d.join("README.md")).unwrap(),
        "mine"
    );
    assert_eq!(store_dirs(&d).len(), 1, "the replaced store is collected");
    // A temporary clone directory archeo did not make is never deleted.
    let ws = Workspace::new();
    let (up, _) = go_project(&ws);
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [\"v1.0.0\"]\n",
        up.url()
    ));
    let tmp = ws.path().join("cache/git/proj.git.tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("important.txt"), "user data").unwrap();
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not an archeo cache"), "{err}");
    assert_eq!(
        std::fs::read_to_string(tmp.join("important.txt")).unwrap(),
        "user data"
    );
}

#[test]
fn one_fetch_at_a_time_and_stale_git_locks_of_a_dead_fetch_are_recovered() {
    let (ws, up, _) = fetched_project("\"main\", \"v1.0.0\"");
    // Another fetch holds the cache.
    let lock = ws.path().join("cache/fetch.lock");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .unwrap();
    f.lock().unwrap();
    use std::io::Write;
    write!(f, "424242").unwrap();
    let (code, _, err) = archeo(&ws, &["fetch"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("another `archeo fetch` (pid 424242)"), "{err}");
    f.unlock().unwrap();
    // A fetch killed while writing refs leaves git's lock files behind.
    let repo = ws.path().join("cache/git/proj.git");
    std::fs::write(repo.join("packed-refs.lock"), "").unwrap();
    std::fs::create_dir_all(repo.join("refs/heads")).unwrap();
    std::fs::write(repo.join("refs/heads/main.lock"), "").unwrap();
    up.write("later.go", "package later\n").commit("later");
    let (code, _, err) = archeo(&ws, &["fetch"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("left by an interrupted fetch"), "{err}");
    assert!(ws.lock_text().contains(&up.head()));
    // Two fetches into an empty cache: one waits its turn (fails at once), the cache is whole.
    std::fs::remove_dir_all(ws.path().join("cache")).unwrap();
    let spawn = || {
        ws.archeo()
            .arg("fetch")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for o in [&a, &b] {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() || err.contains("another `archeo fetch`"),
            "{err}"
        );
    }
    assert!(a.status.success() || b.status.success());
    assert_eq!(archeo(&ws, &["fetch"]).0, 0);
    assert_eq!(archeo(&ws, &["index", "--rebuild"]).0, 0);
}

#[test]
fn a_write_failure_mid_rebuild_leaves_the_previous_index_and_no_partial_store() {
    let (ws, _, search, _) = indexed();
    let index = ws.path().join("index");
    // Files may grow to a kilobyte only: the rebuild's store cannot be written (EFBIG, the way
    // a full disk gives ENOSPC).
    let bin = match std::env::var_os("ARCHEO_TEST_BIN") {
        Some(b) => PathBuf::from(b),
        None => PathBuf::from(env!("CARGO_BIN_EXE_archeo")),
    };
    let mut c = Command::new("sh");
    c.args([
        "-c",
        "trap '' XFSZ; ulimit -f 2; exec \"$0\" index --rebuild",
    ])
    .arg(&bin);
    let c2 = ws.archeo();
    for (k, v) in c2.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.current_dir(ws.path());
    let (code, _, err) = run(&mut c);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("previous index is as it was"), "{err}");
    assert_eq!(store_dirs(&index).len(), 1, "the partial store is removed");
    assert_eq!(
        archeo(&ws, &["search", "openat2", "--format", "json"]).1,
        search
    );
    // A run killed mid-rebuild (no cleanup at all) leaves its store; the next run removes it
    // first thing, even when that run fails later.
    let mut c = ws.archeo();
    c.args(["index", "--rebuild"])
        .env("ARCHEO_TEST_ABORT_AFTER_BLOBS", "2");
    assert_ne!(run(&mut c).0, 0);
    assert_eq!(store_dirs(&index).len(), 2, "the killed run left its store");
    let cache = ws.path().join("cache");
    std::fs::rename(&cache, ws.path().join("cache-away")).unwrap();
    assert_eq!(archeo(&ws, &["index"]).0, 2);
    assert_eq!(
        store_dirs(&index).len(),
        1,
        "swept at the start of the next run"
    );
    std::fs::rename(ws.path().join("cache-away"), &cache).unwrap();
    assert_eq!(archeo(&ws, &["index", "--rebuild"]).0, 0);
    assert_eq!(
        archeo(&ws, &["search", "openat2", "--format", "json"]).1,
        search
    );
}

#[cfg(unix)]
#[test]
fn a_read_only_index_answers_queries() {
    use std::os::unix::fs::PermissionsExt;
    let (ws, _, search, _) = indexed();
    fn walk(p: &Path, f: &dyn Fn(&Path)) {
        f(p);
        if p.is_dir() {
            for e in std::fs::read_dir(p).unwrap().flatten() {
                walk(&e.path(), f);
            }
        }
    }
    let index = ws.path().join("index");
    walk(&index, &|p| {
        let m = std::fs::metadata(p).unwrap().permissions().mode();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m & !0o222)).unwrap();
    });
    // root writes anyway: run the reader as nobody when the tests run as root.
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut c = if root {
        let mut p = ws.path().to_path_buf();
        while let Some(parent) = p.parent() {
            let m = std::fs::metadata(&p).unwrap().permissions().mode();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(m | 0o555)).unwrap();
            if parent == Path::new("/") {
                break;
            }
            p = parent.to_path_buf();
        }
        let bin = std::env::var_os("ARCHEO_TEST_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_archeo")));
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin);
        c.current_dir(ws.path())
            .env("NO_COLOR", "1")
            .env_remove("ARCHEO_INDEX_DIR");
        c
    } else {
        ws.archeo()
    };
    c.args(["search", "openat2", "--format", "json"]);
    let (code, out, err) = run(&mut c);
    walk(&index, &|p| {
        let m = std::fs::metadata(p).unwrap().permissions().mode();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m | 0o200)).unwrap();
    });
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, search);
}

#[test]
fn temporaries_of_killed_writers_are_removed() {
    let (ws, _, _, _) = indexed();
    let doc = ws.path().join("doc.md");
    std::fs::write(
        &doc,
        "<!-- archeo:begin --rule openat2-resolve-no-xdev -->\n<!-- archeo:end -->\n",
    )
    .unwrap();
    let index = ws.path().join("index");
    let dead = ".archeo-4194999-k1ll3d.tmp";
    let old = ".archeo-Ab12Cd.tmp";
    for dir in [ws.path(), index.as_path()] {
        std::fs::write(dir.join(dead), "half").unwrap();
        std::fs::write(dir.join(old), "half").unwrap();
        let t = std::fs::File::options()
            .write(true)
            .open(dir.join(old))
            .unwrap();
        t.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
    }
    assert_eq!(archeo(&ws, &["export", "doc.md"]).0, 0);
    assert_eq!(temporaries(ws.path()), Vec::<String>::new());
    assert_eq!(archeo(&ws, &["index", "--rebuild"]).0, 0);
    assert_eq!(temporaries(&index), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn read_only_documents_need_force_and_symlinks_are_written_through() {
    use std::os::unix::fs::PermissionsExt;
    let (ws, _, _, _) = indexed();
    let text = "# Doc\n<!-- archeo:begin --rule openat2-resolve-no-xdev -->\n<!-- archeo:end -->\n";
    let doc = ws.path().join("ro.md");
    std::fs::write(&doc, text).unwrap();
    std::fs::set_permissions(&doc, std::fs::Permissions::from_mode(0o444)).unwrap();
    let (code, _, err) = archeo(&ws, &["export", "ro.md"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("read-only") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&doc).unwrap(), text);
    assert_eq!(archeo(&ws, &["export", "--force", "ro.md"]).0, 0);
    assert_ne!(std::fs::read_to_string(&doc).unwrap(), text);
    assert_eq!(
        std::fs::metadata(&doc).unwrap().permissions().mode() & 0o777,
        0o444
    );
    std::fs::create_dir_all(ws.path().join("real")).unwrap();
    let target = ws.path().join("real/doc.md");
    std::fs::write(&target, text).unwrap();
    std::os::unix::fs::symlink("real/doc.md", ws.path().join("link.md")).unwrap();
    assert_eq!(archeo(&ws, &["export", "link.md"]).0, 0);
    let link = std::fs::symlink_metadata(ws.path().join("link.md")).unwrap();
    assert!(link.file_type().is_symlink(), "the link stays a link");
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("**Evidence**")
    );
}

/// Runs `cmd`, kills it (SIGKILL) after `delay`, and waits for it.
fn kill_after(mut cmd: Command, delay: Duration) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn kills_at_random_points_leave_fetch_index_and_export_usable() {
    let (ws, up, search, _) = indexed();
    let mut rng = Rng(0xdeadbeefcafef00d);
    let kills = 5 * rounds();
    // fetch: into an empty cache, or with new commits upstream (twice as many: a kill while
    // refs are written is the one that used to leave git's lock files behind).
    for i in 0..2 * kills {
        if i % 2 == 0 {
            std::fs::remove_dir_all(ws.path().join("cache")).unwrap();
        } else {
            up.write(&format!("k{i}.go"), "package k\n").commit("more");
            git(&up.dir, &["branch", "-f", "scratch"]);
        }
        let mut c = ws.archeo();
        c.arg("fetch");
        kill_after(c, Duration::from_millis(rng.below(400)));
        let (code, _, err) = archeo(&ws, &["fetch"]);
        assert_eq!(code, 0, "fetch after a kill: {err}");
    }
    assert_eq!(archeo(&ws, &["index"]).0, 0);
    // index: a rebuild killed anywhere leaves the previous index answering as before.
    for _ in 0..kills {
        let mut c = ws.archeo();
        c.args(["index", "--rebuild"]);
        kill_after(c, Duration::from_millis(rng.below(1500)));
        let (code, out, err) = archeo(&ws, &["search", "openat2", "--format", "json"]);
        assert_eq!(code, 0, "search after a killed index: {err}");
        assert_eq!(out, search);
    }
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(store_dirs(&ws.path().join("index")).len(), 1);
    // export: the document is the old or the new one, whole, and no temporary stays.
    let doc = ws.path().join("doc.md");
    let old = "# Doc\n<!-- archeo:begin --rule openat2-resolve-no-xdev -->\n<!-- archeo:end -->\n";
    std::fs::write(&doc, old).unwrap();
    assert_eq!(archeo(&ws, &["export", "doc.md"]).0, 0);
    let new = std::fs::read_to_string(&doc).unwrap();
    for _ in 0..kills {
        std::fs::write(&doc, old).unwrap();
        let mut c = ws.archeo();
        c.args(["export", "doc.md"]);
        kill_after(c, Duration::from_millis(rng.below(300)));
        let now = std::fs::read_to_string(&doc).unwrap();
        assert!(now == old || now == new, "a partial document: {now}");
        assert_eq!(archeo(&ws, &["export", "doc.md"]).0, 0);
        assert_eq!(std::fs::read_to_string(&doc).unwrap(), new);
        assert_eq!(temporaries(ws.path()), Vec::<String>::new());
    }
    eprintln!(
        "kills survived: {} ({} fetch, {kills} index, {kills} export)",
        4 * kills,
        2 * kills
    );
}

#[test]
fn a_ref_upstream_does_not_serve_is_never_pinned() {
    let (ws, _, commits) = fetched_project("\"v1.*\"");
    // A tag name damaged on disk (or a tag deleted upstream) stays in the cache...
    let refs = ws.path().join("cache/git/proj.git/refs/tags");
    std::fs::create_dir_all(&refs).unwrap();
    std::fs::write(refs.join("v1.9.9"), format!("{}\n", commits[0])).unwrap();
    let (code, _, err) = archeo(&ws, &["fetch"]);
    assert_eq!(code, 0, "{err}");
    // ...until a fetch leaves only the refs upstream advertises.
    assert!(!ws.lock_text().contains("v1.9.9"), "{}", ws.lock_text());
    assert!(!refs.join("v1.9.9").exists());
}
