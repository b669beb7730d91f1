//! Fixture builders shared by the integration tests: real git repositories made at run time
//! (commits, lightweight and annotated tags, branches), and the archeo binary run against them.
#![allow(dead_code)]

pub mod http;

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

/// Waits for a child at most `secs` seconds; kills it and returns None when it takes longer (a
/// hang guard, not a speed measure).
pub fn wait_at_most(child: &mut std::process::Child, secs: u64) -> Option<i32> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.code().unwrap_or(-1));
        }
        if std::time::Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A git repository in a temporary directory, built with the git CLI.
pub struct GitRepo {
    pub dir: PathBuf,
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Fixture")
        .env("GIT_AUTHOR_EMAIL", "fixture@example.invalid")
        .env("GIT_COMMITTER_NAME", "Fixture")
        .env("GIT_COMMITTER_EMAIL", "fixture@example.invalid")
        .env("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

impl GitRepo {
    pub fn new(dir: PathBuf) -> GitRepo {
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, &["init", "-q", "-b", "main"]);
        GitRepo { dir }
    }

    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) -> &Self {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }

    pub fn remove(&self, path: &str) -> &Self {
        std::fs::remove_file(self.dir.join(path)).unwrap();
        self
    }

    /// Commits everything; returns the full commit id.
    pub fn commit(&self, msg: &str) -> String {
        git(&self.dir, &["add", "-A"]);
        git(&self.dir, &["commit", "-q", "--allow-empty", "-m", msg]);
        self.head()
    }

    pub fn head(&self) -> String {
        git(&self.dir, &["rev-parse", "HEAD"])
    }

    pub fn tag(&self, name: &str) -> &Self {
        git(&self.dir, &["tag", name]);
        self
    }

    pub fn annotated_tag(&self, name: &str) -> &Self {
        git(
            &self.dir,
            &["tag", "-a", "-m", &format!("release {name}"), name],
        );
        self
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(&self.dir, args)
    }

    pub fn url(&self) -> String {
        format!("file://{}", self.dir.display())
    }
}

/// A workspace: manifest, lock, cache and index directories in one tempdir.
pub struct Workspace {
    pub tmp: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace {
            tmp: tempfile::tempdir().unwrap(),
        }
    }
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }
    pub fn manifest(&self, text: &str) {
        std::fs::write(self.path().join("archeo.toml"), text).unwrap();
    }
    pub fn lock_text(&self) -> String {
        std::fs::read_to_string(self.path().join("archeo.lock")).unwrap()
    }
    pub fn repo(&self, name: &str) -> GitRepo {
        GitRepo::new(self.path().join("upstream").join(name))
    }
    /// `archeo` run in the workspace with its own cache and index, and no user git config.
    pub fn archeo(&self) -> Command {
        let mut c = archeo_command();
        c.current_dir(self.path())
            .env("ARCHEO_CACHE_DIR", self.path().join("cache"))
            .env_remove("ARCHEO_INDEX_DIR")
            .env_remove("ARCHEO_MANIFEST")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("GIT_CONFIG_COUNT")
            .env("NO_COLOR", "1");
        c
    }
}

/// The archeo binary under test: this build's, or `ARCHEO_TEST_BIN` (to run the same scenarios
/// against an older archeo and see them fail).
pub fn archeo_command() -> Command {
    match std::env::var_os("ARCHEO_TEST_BIN") {
        Some(bin) => Command::new(bin),
        None => Command::cargo_bin("archeo").unwrap(),
    }
}

/// Runs a command, returning (exit code, stdout, stderr).
pub fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a command with `input` on its standard input, returning (exit code, stdout, stderr).
/// The input is written from another thread, so a command that answers before reading it all
/// cannot block the test.
pub fn run_with_stdin(c: &mut Command, input: &[u8]) -> (i32, String, String) {
    use std::io::Write as _;
    use std::process::Stdio;
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // A command that stops reading early closes the pipe: that write error is not the test's.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub const SYSCTL_GO: &str = r#"package sys

import (
	"fmt"
	"os"
	"strings"
)

// WriteSysctls sets each sysctl by writing its file under /proc/sys.
func WriteSysctls(sysctls map[string]string) error {
	for key, value := range sysctls {
		path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
		if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
			return fmt.Errorf("open sysctl %s file: %w", key, err)
		}
	}
	return nil
}
"#;

pub const OPEN_GO_V1: &str = r#"package libct

import "golang.org/x/sys/unix"

const SYS_OPENAT2 = 437

type openat2SyscallInfo struct {
	dirfd int
	path  string
}

func processOpenat2(path string) (int, error) {
	return unix.Openat2(unix.AT_FDCWD, path, &unix.OpenHow{Flags: unix.O_PATH})
}
"#;

/// v1.1.0 shifts every line by two (a comment), nothing else.
pub fn open_go_v2() -> String {
    OPEN_GO_V1.replacen(
        "package libct\n\n",
        "package libct\n\n// Package libct opens things.\n// It uses openat2 where it can.\n",
        1,
    )
}

pub const PROCFS_V1: &str = r#"package securejoin

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

var errUnsafeProcfs = errors.New("unsafe procfs detected")

func lookupInRoot(root int, path string) (*os.File, error) {
	fd, err := unix.Openat2(root, path, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
"#;

/// v1.2.0's vendored module adds RESOLVE_NO_XDEV to the same lookup.
pub fn procfs_v2() -> String {
    PROCFS_V1.replace(
        "unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS",
        "unix.RESOLVE_BENEATH | unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_MAGICLINKS",
    )
}

/// A Go project with three release tags sharing most files: v1.0.0, v1.1.0 (a file's lines
/// shift), v1.2.0 (the vendored module is bumped and gains RESOLVE_NO_XDEV). Also a submodule,
/// a non-UTF-8 file, a Go file with a syntax error and a binary file.
pub fn go_project(ws: &Workspace) -> (GitRepo, Vec<String>) {
    let up = ws.repo("proj");
    let mut commits = Vec::new();
    up.write("go.mod", "module example.com/proj\n\ngo 1.22\n");
    up.write("internal/sys/sysctl.go", SYSCTL_GO);
    up.write("libct/open.go", OPEN_GO_V1);
    up.write(
        "vendor/modules.txt",
        "# example.com/securejoin v0.4.1\n## explicit; go 1.18\nexample.com/securejoin\n",
    );
    up.write("vendor/example.com/securejoin/procfs.go", PROCFS_V1);
    up.write(
        "docs/notes.md",
        "# Notes\n\nWe call openat2 with RESOLVE_BENEATH.\n",
    );
    up.write(
        "legacy/latin1.txt",
        b"caf\xe9 openat2 r\xe9sum\xe9\n".as_slice(),
    );
    up.write(
        "broken/broken.go",
        "package broken\n\nfunc fine() int { return 1 }\n\nfunc broken( {\n\topenat2()\n",
    );
    up.write("assets/logo.bin", b"\x89PNG\0\0\0openat2\0".as_slice());
    up.git(&["add", "-A"]);
    // A submodule pinned at a fixed commit (a gitlink; never followed).
    up.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        "160000,1111111111111111111111111111111111111111,deps/fs",
    ]);
    // An uninitialised submodule is an empty directory; without it `git add -A` drops the gitlink.
    std::fs::create_dir_all(up.dir.join("deps/fs")).unwrap();
    commits.push(up.commit("v1.0.0"));
    up.tag("v1.0.0");
    up.write("libct/open.go", open_go_v2());
    commits.push(up.commit("v1.1.0"));
    up.annotated_tag("v1.1.0");
    up.write(
        "vendor/modules.txt",
        "# example.com/securejoin v0.5.1\n## explicit; go 1.18\nexample.com/securejoin\n",
    );
    up.write("vendor/example.com/securejoin/procfs.go", procfs_v2());
    commits.push(up.commit("v1.2.0"));
    up.tag("v1.2.0");
    (up, commits)
}

/// A workspace whose manifest pins `revs` of [`go_project`], fetched.
pub fn fetched_project(revs: &str) -> (Workspace, GitRepo, Vec<String>) {
    let ws = Workspace::new();
    let (up, commits) = go_project(&ws);
    ws.manifest(&format!(
        "[[repo]]\nname = \"proj\"\nurl = \"{}\"\nrevs = [{revs}]\n",
        up.url()
    ));
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 0, "{err}");
    (ws, up, commits)
}

/// Runs archeo with args in the workspace.
pub fn archeo(ws: &Workspace, args: &[&str]) -> (i32, String, String) {
    let mut c = ws.archeo();
    c.args(args);
    run(&mut c)
}

/// The number before `what` in a summary line: `12 distinct blobs` -> 12.
pub fn count_before(line: &str, what: &str) -> u64 {
    let i = line
        .find(what)
        .unwrap_or_else(|| panic!("{what:?} not in {line:?}"));
    line[..i]
        .trim_end()
        .rsplit([' ', '('])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

pub const SHIPPER_DOCKERFILE: &str = r#"# syntax=docker/dockerfile:1
ARG GO_VERSION=1.22
FROM golang:${GO_VERSION}-bookworm AS base

FROM base AS proj-src
# PROJ_VERSION is the release of proj bundled with shipper.
ARG PROJ_VERSION=@VERSION@
RUN git clone https://github.com/acme/proj.git /src/proj \
 && cd /src/proj \
 && git checkout -q "${PROJ_VERSION}"
"#;

pub const SHIPPER_INSTALLER: &str = r#"#!/usr/bin/env bash
set -e
# Default release; override with PROJ_VERSION.
: "${PROJ_VERSION:=@VERSION@}"
git clone https://github.com/acme/proj.git "$GOPATH/src/proj"
cd "$GOPATH/src/proj"
git checkout -q "$PROJ_VERSION"
"#;

/// A workspace pinning [`go_project`] as https://github.com/acme/proj (only v1.2.0 carries
/// RESOLVE_NO_XDEV) and `shipper`, whose Dockerfile and installer script pin proj releases:
/// shipper v1.0 bundles proj v1.0.0, v2.0 bundles v1.2.0, v3.0 an unpinned v1.1.5; both
/// fetched and indexed. Returns shipper's commits.
pub fn shipper_project() -> (Workspace, Vec<String>) {
    let ws = Workspace::new();
    go_project(&ws);
    let shipper = ws.repo("shipper");
    let mut commits = Vec::new();
    for (tag, version) in [("v1.0", "v1.0.0"), ("v2.0", "v1.2.0"), ("v3.0", "v1.1.5")] {
        shipper.write(
            "Dockerfile",
            SHIPPER_DOCKERFILE.replace("@VERSION@", version),
        );
        shipper.write(
            "hack/install/proj.installer",
            SHIPPER_INSTALLER.replace("@VERSION@", version),
        );
        shipper.write(
            "README.md",
            format!("shipper {tag}, built with proj {version}\n"),
        );
        commits.push(shipper.commit(tag));
        shipper.tag(tag);
    }
    ws.manifest(
        "[[repo]]\nname = \"proj\"\nurl = \"https://github.com/acme/proj\"\nrevs = [\"v1.*\"]\n\n\
         [[repo]]\nname = \"shipper\"\nurl = \"https://github.com/acme/shipper\"\nrevs = [\"v*\"]\n",
    );
    for cmd in [&["fetch"][..], &["index"][..]] {
        let (code, _, err) = run(github_archeo(&ws).args(cmd));
        assert_eq!(code, 0, "{err}");
    }
    (ws, commits)
}

/// `archeo` in the workspace, fetching https://github.com/acme/NAME from `upstream/NAME`.
pub fn github_archeo(ws: &Workspace) -> Command {
    let mut c = ws.archeo();
    c.env("GIT_CONFIG_COUNT", "1")
        .env(
            "GIT_CONFIG_KEY_0",
            format!(
                "url.file://{}/.insteadOf",
                ws.path().join("upstream").display()
            ),
        )
        .env("GIT_CONFIG_VALUE_0", "https://github.com/acme/");
    c
}

/// JSON Lines output parsed, one value a line (a line that is not JSON fails the test, naming it).
pub fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}
