//! `archeo::artifact` on binaries built by a real Go toolchain from a git repository made by the
//! test, with `-ldflags -X` version strings: the build info, vcs stamps and injected strings
//! archeo reads must be the ones the toolchain wrote. Skipped (with a message) without `go`.

use crate::common;

use std::path::Path;
use std::process::Command;

use archeo::artifact::{self, Confidence, InjectionOrigin, PclntabLayout, ScanOptions, Upstream};
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
    let declarations = |_: &str, _: &[String]| Ok(None);
    let upstream = Upstream {
        pins: &pins,
        aliases: &[],
        locate_commit: &locate,
        vendored_modules: &vendored,
        declarations: &declarations,
        cargo_packages: &|_: &str| Ok(None),
        cargo_lock: &|_: &archeo::source::lock::Pin| None,
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

/// A package with a method on a pointer receiver, one on a value, a generic-free helper kept
/// out of line, and a closure.
const LIB_GO: &str = r#"package lib

// Counter counts.
type Counter struct{ n int }

//go:noinline
func (c *Counter) Add(d int) {
	c.n += d
}

//go:noinline
func (c Counter) Value() int {
	return c.n
}

//go:noinline
func Run(xs []int) int {
	c := &Counter{}
	each := func(x int) {
		c.Add(x)
	}
	for _, x := range xs {
		each(x)
	}
	return c.Value()
}
"#;

const LIB_MAIN_GO: &str = r#"package main

import (
	"fmt"
	"os"

	"example.com/fixture/table/lib"
)

func main() {
	fmt.Println(lib.Run([]int{len(os.Args), 2}))
}
"#;

/// The 1-based line of the line of `src` starting with `prefix`.
fn line_of(src: &str, prefix: &str) -> u32 {
    src.lines().position(|l| l.starts_with(prefix)).unwrap() as u32 + 1
}

#[test]
fn a_real_go_binarys_function_table_names_files_and_func_lines() {
    if !go_available() {
        eprintln!(
            "SKIPPED a_real_go_binarys_function_table_names_files_and_func_lines: no `go` on PATH (apt-get install golang-go to run it)"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("table");
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::write(
        dir.join("go.mod"),
        "module example.com/fixture/table\n\ngo 1.18\n",
    )
    .unwrap();
    std::fs::write(dir.join("main.go"), LIB_MAIN_GO).unwrap();
    std::fs::write(dir.join("lib/lib.go"), LIB_GO).unwrap();
    let minor: u32 = go(&dir, tmp.path(), &["env", "GOVERSION"])
        .trim_start_matches("go1.")
        .split(['.', 'r', 'b'])
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let want = match minor {
        16 | 17 => PclntabLayout::Go116,
        18 | 19 => PclntabLayout::Go118,
        _ => PclntabLayout::Go120,
    };
    let bin = tmp.path().join("table-bin");
    go(
        &dir,
        tmp.path(),
        &[
            "build",
            "-trimpath",
            "-buildvcs=false",
            "-ldflags=-s -w",
            "-o",
            bin.to_str().unwrap(),
            ".",
        ],
    );
    let mut bytes = std::fs::read(&bin).unwrap();
    for headers in [true, false] {
        if !headers {
            crate::artifact_fixtures::strip_section_headers(&mut bytes, true);
            std::fs::write(&bin, &bytes).unwrap();
        }
        let found = artifact::scan(&bin, &ScanOptions::default()).unwrap();
        let t = found[0].functions.as_ref().expect("a function table");
        assert_eq!(t.layout, want);
        assert_eq!(t.section.is_some(), headers);
        // Go 1.20+ records the `func` line; before, the entry instruction's line is what
        // there is: the `func` line, or the first statement's in a function with no prologue.
        let starts_at = |start: Option<u32>, func_line: u32, last: u32| match want {
            PclntabLayout::Go120 => assert_eq!(start, Some(func_line)),
            _ => assert!(
                start.is_some_and(|s| (func_line..=last).contains(&s)),
                "{start:?} not in {func_line}..={last}"
            ),
        };
        let get = |name: &str| {
            let f = t
                .functions
                .iter()
                .find(|f| f.name == name)
                .unwrap_or_else(|| panic!("{name} not in the table"));
            (t.file(f).unwrap().to_string(), f.start_line, f.end_line)
        };
        let (file, start, end) = get("example.com/fixture/table/lib.(*Counter).Add");
        assert_eq!(file, "example.com/fixture/table/lib/lib.go");
        let add = line_of(LIB_GO, "func (c *Counter) Add");
        starts_at(start, add, add + 2);
        assert!(end.is_some_and(|e| (add..=add + 2).contains(&e)), "{end:?}");
        let (_, start, _) = get("example.com/fixture/table/lib.Counter.Value");
        let value = line_of(LIB_GO, "func (c Counter) Value");
        starts_at(start, value, value + 2);
        let (file, start, end) = get("example.com/fixture/table/lib.Run");
        assert!(file.ends_with("lib/lib.go"));
        let run = line_of(LIB_GO, "func Run");
        let run_end = line_of(LIB_GO, "\treturn c.Value()") + 1;
        starts_at(start, run, run_end);
        assert!(end.is_some_and(|e| e <= run_end), "{end:?}");
        let (file, start, _) = get("main.main");
        assert_eq!(file, "example.com/fixture/table/main.go");
        let main = line_of(LIB_MAIN_GO, "func main");
        starts_at(start, main, main + 2);
        // The declarations matching reads: methods named as archeo's index names them.
        let keys: Vec<(String, String)> = artifact::binary_functions(t)
            .into_iter()
            .filter(|f| f.package.starts_with("example.com/"))
            .map(|f| (f.package, f.key))
            .collect();
        for want in ["(*Counter).Add", "Counter.Value", "Run"] {
            assert!(
                keys.contains(&("example.com/fixture/table/lib".into(), want.into())),
                "{want}: {keys:?}"
            );
        }
        assert!(
            !keys.iter().any(|(_, k)| k.contains("func")),
            "closures: {keys:?}"
        );
    }
}
