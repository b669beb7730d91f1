//! `archeo::artifact` on binaries built by a real Go toolchain from a git repository made by the
//! test, with `-ldflags -X` version strings: the build info, vcs stamps and injected strings
//! archeo reads must be the ones the toolchain wrote. Skipped (with a message) without `go`.

use crate::common;

use std::path::Path;
use std::process::Command;

use archeo::artifact::{self, Confidence, InjectionOrigin, ScanOptions, Upstream};
use archeo::source::lock::{Pin, RefKind};
use common::GitRepo;

const MAIN_GO: &str = r#"package main

import (
	"fmt"
	"os"
)

// Set at link time: go build -ldflags "-X main.version=... -X main.gitCommit=...".
var (
	version   = "unknown"
	gitCommit = ""
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("tool version %s\ncommit: %s\n", version, gitCommit)
		return
	}
	fmt.Fprintln(os.Stderr, "usage: tool --version")
	os.Exit(2)
}
"#;

fn go_available() -> bool {
    Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn go(dir: &Path, scratch: &Path, args: &[&str]) -> String {
    let out = Command::new("go")
        .args(args)
        .current_dir(dir)
        .env("GOCACHE", scratch.join("gocache"))
        .env("GOPATH", scratch.join("gopath"))
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "0")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("go runs");
    assert!(
        out.status.success(),
        "go {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn real_go_binaries_carry_the_facts_the_toolchain_wrote() {
    if !go_available() {
        eprintln!(
            "SKIPPED real_go_binaries_carry_the_facts_the_toolchain_wrote: no `go` on PATH (apt-get install golang-go to run it)"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = GitRepo::new(tmp.path().join("tool"));
    repo.write("go.mod", "module example.com/fixture/tool\n\ngo 1.18\n")
        .write("main.go", MAIN_GO);
    let head = repo.commit("tool 0.3.0");
    repo.tag("v0.3.0");
    let go_version = go(&repo.dir, tmp.path(), &["env", "GOVERSION"]);
    let ldflags = format!("-X main.version=0.3.0 -X main.gitCommit={head}");
    let out = tmp.path().join("bin");
    std::fs::create_dir_all(&out).unwrap();
    let full = out.join("tool");
    go(
        &repo.dir,
        tmp.path(),
        &[
            "build",
            "-ldflags",
            &ldflags,
            "-o",
            full.to_str().unwrap(),
            ".",
        ],
    );
    // Stripped, trimmed and without vcs stamps: only the heuristic can see the -X strings.
    let bare = out.join("tool-stripped");
    let stripped_flags = format!("-s -w {ldflags}");
    go(
        &repo.dir,
        tmp.path(),
        &[
            "build",
            "-trimpath",
            "-buildvcs=false",
            "-ldflags",
            &stripped_flags,
            "-o",
            bare.to_str().unwrap(),
            ".",
        ],
    );

    let pins = vec![Pin {
        repo: "tool".into(),
        url: "https://example.com/fixture/tool".into(),
        rev: "v0.3.0".into(),
        kind: RefKind::Tag,
        commit: head.clone(),
    }];
    let locate = |_: &str, _: &str| None;
    let vendored = |_: &Pin| Some(Vec::new());
    let declarations = |_: &str, _: &[String]| None;
    let upstream = Upstream {
        pins: &pins,
        aliases: &[],
        locate_commit: &locate,
        vendored_modules: &vendored,
        declarations: &declarations,
    };

    let found = artifact::scan(&full, &ScanOptions::default()).unwrap();
    let go_ev = found[0].go.as_ref().expect("a Go binary");
    let info = &go_ev.build_info;
    assert_eq!(info.go_version.value, go_version);
    assert_eq!(info.main.as_ref().unwrap().path, "example.com/fixture/tool");
    assert_eq!(info.setting("vcs.revision").unwrap().value, head);
    assert_eq!(info.setting("vcs.modified").unwrap().value, "false");
    assert_eq!(info.setting("-ldflags").unwrap().value, ldflags);
    assert!(go_ev.has_symbols);
    let by_symbol: Vec<(String, String)> = go_ev
        .injected
        .iter()
        .filter(|i| i.origin == InjectionOrigin::Symbol)
        .map(|i| (i.variable.clone().unwrap(), i.value.clone()))
        .collect();
    assert!(
        by_symbol.contains(&("main.version".into(), "0.3.0".into())),
        "{by_symbol:?}"
    );
    assert!(
        by_symbol.contains(&("main.gitCommit".into(), head.clone())),
        "{by_symbol:?}"
    );
    let id = artifact::identify(&found[0], &upstream);
    assert_eq!(id.confidence, Confidence::ExactCommit, "{:?}", id.notes);
    assert_eq!(id.pin.as_ref().unwrap().rev, "v0.3.0");

    let found = artifact::scan(&bare, &ScanOptions::default()).unwrap();
    let go_ev = found[0].go.as_ref().expect("a Go binary");
    assert!(!go_ev.has_symbols);
    assert!(go_ev.build_info.setting("vcs.revision").is_none());
    assert!(
        go_ev.build_info.setting("-ldflags").is_none(),
        "-trimpath drops -ldflags"
    );
    let guessed: Vec<&str> = go_ev
        .injected
        .iter()
        .filter(|i| i.origin == InjectionOrigin::Heuristic)
        .map(|i| i.value.as_str())
        .collect();
    assert!(guessed.contains(&"0.3.0"), "{guessed:?}");
    assert!(guessed.contains(&head.as_str()), "{guessed:?}");
    let id = artifact::identify(&found[0], &upstream);
    assert_eq!(id.confidence, Confidence::ExactCommit, "{:?}", id.notes);
    assert!(id.notes.iter().any(|n| n.contains("heuristic evidence")));
}
