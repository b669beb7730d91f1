//! Fixture builders shared by the integration tests: real git repositories made at run time
//! (commits, lightweight and annotated tags, branches), and the archeo binary run against them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

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
        let mut c = Command::cargo_bin("archeo").unwrap();
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

/// Runs a command, returning (exit code, stdout, stderr).
pub fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
