//! `archeo fetch` and `archeo pins` against fixture repositories built at run time.

use crate::common;

use common::{GitRepo, Workspace, run, run_with_stdin};

/// An upstream with lightweight and annotated tags, a branch, and several commits.
fn upstream(ws: &Workspace) -> (GitRepo, Vec<String>) {
    let up = ws.repo("proj");
    let mut commits = Vec::new();
    up.write("main.go", "package main\n\nfunc main() {}\n");
    commits.push(up.commit("first"));
    up.tag("v1.0.0");
    up.write("lib.go", "package main\n\nfunc helper() int { return 1 }\n");
    commits.push(up.commit("second"));
    up.annotated_tag("v1.1.0-rc.1");
    up.write("lib.go", "package main\n\nfunc helper() int { return 2 }\n");
    commits.push(up.commit("third"));
    up.annotated_tag("v1.1.0");
    up.tag("v1.10.0");
    up.git(&["branch", "release-1.0", &commits[0]]);
    (up, commits)
}

fn manifest(url: &str, revs: &str) -> String {
    format!("[[repo]]\nname = \"proj\"\nurl = \"{url}\"\nrevs = [{revs}]\n")
}

#[test]
fn fetch_pins_tags_branches_commits_and_globs_in_version_order() {
    let ws = Workspace::new();
    let (up, commits) = upstream(&ws);
    let short = &commits[1][..7];
    ws.manifest(&manifest(
        &up.url(),
        &format!("\"v1.*\", \"main\", \"{short}\", \"release-1.0\""),
    ));
    let (code, _out, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 0, "{err}");
    let lock = ws.lock_text();
    let names: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|l| l.trim_end_matches('"'))
        .collect();
    assert_eq!(
        names,
        [
            "proj",
            "v1.0.0",
            "v1.1.0-rc.1",
            "v1.1.0",
            "v1.10.0",
            "main",
            short,
            "release-1.0"
        ]
    );
    // Annotated tags are peeled to the commit they tag.
    assert!(
        lock.contains(&format!(
            "name = \"v1.1.0-rc.1\"\nkind = \"tag\"\ncommit = \"{}\"",
            commits[1]
        )),
        "{lock}"
    );
    assert!(lock.contains(&format!(
        "name = \"{short}\"\nkind = \"commit\"\ncommit = \"{}\"",
        commits[1]
    )));
    assert!(lock.contains(&format!(
        "name = \"release-1.0\"\nkind = \"branch\"\ncommit = \"{}\"",
        commits[0]
    )));
    assert!(lock.contains(&format!("url = \"{}\"", up.url())));

    // Nothing changed upstream: the lock stays byte-identical.
    let (code, _, _) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 0);
    assert_eq!(ws.lock_text(), lock);

    let (code, out, _) = run(&mut {
        let mut c = ws.archeo();
        c.args(["pins", "--format", "json"]);
        c
    });
    assert_eq!(code, 0);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["repo"], "proj");
    assert_eq!(first["rev"], "v1.0.0");
    assert_eq!(first["commit"], commits[0].as_str());
    assert_eq!(out.lines().count(), 7);
}

#[test]
fn moved_branch_is_repinned_and_reported() {
    let ws = Workspace::new();
    let (up, commits) = upstream(&ws);
    ws.manifest(&manifest(&up.url(), "\"main\""));
    assert_eq!(run(ws.archeo().arg("fetch")).0, 0);
    assert!(ws.lock_text().contains(&commits[2]));
    up.write("new.go", "package main\n");
    let new = up.commit("fourth");
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "proj@main: branch moved {} -> {}",
            &commits[2][..12],
            &new[..12]
        )),
        "{err}"
    );
    assert!(ws.lock_text().contains(&new));
}

#[test]
fn repointed_tag_is_refused_unless_update() {
    let ws = Workspace::new();
    let (up, commits) = upstream(&ws);
    ws.manifest(&manifest(&up.url(), "\"v1.0.0\""));
    assert_eq!(run(ws.archeo().arg("fetch")).0, 0);
    let before = ws.lock_text();
    up.git(&["tag", "-f", "v1.0.0", &commits[2]]);
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 2);
    assert!(
        err.contains("proj@v1.0.0: locked")
            && err.contains("immutable")
            && err.contains("--update"),
        "{err}"
    );
    assert_eq!(
        ws.lock_text(),
        before,
        "a refused fetch leaves the lock alone"
    );
    let (code, _, err) = run(&mut {
        let mut c = ws.archeo();
        c.args(["fetch", "--update"]);
        c
    });
    assert_eq!(code, 0, "{err}");
    assert!(ws.lock_text().contains(&commits[2]));
}

#[test]
fn locked_fails_when_manifest_and_lock_disagree_and_never_writes() {
    let ws = Workspace::new();
    let (up, _) = upstream(&ws);
    ws.manifest(&manifest(&up.url(), "\"v1.0.0\""));
    let (code, _, err) = run(&mut {
        let mut c = ws.archeo();
        c.args(["fetch", "--locked"]);
        c
    });
    assert_eq!(code, 2);
    assert!(err.contains("--locked needs a lock file"), "{err}");
    assert_eq!(run(ws.archeo().arg("fetch")).0, 0);
    let lock = ws.lock_text();
    // Same manifest: --locked succeeds and leaves the lock as it is, even when a branch moves.
    let (code, _, err) = run(&mut {
        let mut c = ws.archeo();
        c.args(["fetch", "--locked"]);
        c
    });
    assert_eq!(code, 0, "{err}");
    assert_eq!(ws.lock_text(), lock);
    ws.manifest(&manifest(&up.url(), "\"v1.0.0\", \"v1.1.0\""));
    let (code, _, err) = run(&mut {
        let mut c = ws.archeo();
        c.args(["fetch", "--locked"]);
        c
    });
    assert_eq!(code, 2);
    assert!(err.contains("proj@v1.1.0 is not pinned"), "{err}");
    assert_eq!(ws.lock_text(), lock);
}

#[test]
fn offline_resolves_from_the_cache_and_names_what_is_missing() {
    let ws = Workspace::new();
    let (up, commits) = upstream(&ws);
    ws.manifest(&manifest(&up.url(), "\"v1.0.0\""));
    let (code, _, err) = run(&mut {
        let mut c = ws.archeo();
        c.args(["fetch", "--offline"]);
        c
    });
    assert_eq!(code, 2);
    assert!(err.contains("has never been fetched"), "{err}");
    assert_eq!(run(ws.archeo().arg("fetch")).0, 0);
    // The upstream disappears: --offline still works from the cache.
    std::fs::rename(&up.dir, ws.path().join("gone")).unwrap();
    std::fs::remove_file(ws.path().join("archeo.lock")).unwrap();
    let (code, _, err) = run(&mut {
        let mut c = ws.archeo();
        c.args(["fetch", "--offline"]);
        c
    });
    assert_eq!(code, 0, "{err}");
    assert!(ws.lock_text().contains(&commits[0]));
    // A lock naming a commit the cache lacks is named precisely.
    let bogus = ws.lock_text().replace(&commits[0], &"0".repeat(40));
    std::fs::write(ws.path().join("archeo.lock"), bogus).unwrap();
    let (code, _, err) = run(&mut {
        let mut c = ws.archeo();
        c.args(["fetch", "--offline", "--locked"]);
        c
    });
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "proj@v1.0.0 is locked to commit {}",
            "0".repeat(40)
        )),
        "{err}"
    );
}

#[test]
fn insteadof_from_git_config_env_rewrites_the_url_but_the_lock_keeps_the_manifest_url() {
    let ws = Workspace::new();
    let (up, commits) = upstream(&ws);
    let mirrors = ws.path().join("upstream");
    ws.manifest(&manifest(
        "https://git.example.invalid/org/proj",
        "\"v1.0.0\"",
    ));
    let mut c = ws.archeo();
    c.arg("fetch")
        .env("GIT_CONFIG_COUNT", "1")
        .env(
            "GIT_CONFIG_KEY_0",
            format!("url.file://{}/.insteadOf", mirrors.display()),
        )
        .env("GIT_CONFIG_VALUE_0", "https://git.example.invalid/org/");
    let (code, _, err) = run(&mut c);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("via {}", up.url())), "{err}");
    let lock = ws.lock_text();
    assert!(
        lock.contains("url = \"https://git.example.invalid/org/proj\""),
        "{lock}"
    );
    assert!(lock.contains(&commits[0]));
}

#[test]
fn fetch_over_git_daemon_on_loopback() {
    let ws = Workspace::new();
    let (up, commits) = upstream(&ws);
    std::fs::write(up.dir.join(".git/git-daemon-export-ok"), "").unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = ws.path().join("upstream");
    // Run git-daemon itself (not the `git daemon` wrapper, which forks it) so kill() stops it.
    let exec_path = common::git(&base, &["--exec-path"]);
    let mut daemon = std::process::Command::new(format!("{exec_path}/git-daemon"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .args([
            "--reuseaddr",
            "--listen=127.0.0.1",
            &format!("--port={port}"),
            &format!("--base-path={}", base.display()),
            &base.display().to_string(),
        ])
        .spawn()
        .expect("git daemon starts");
    // Wait until it accepts connections (bounded).
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    ws.manifest(&manifest(
        &format!("git://127.0.0.1:{port}/proj/.git"),
        "\"v1.*\"",
    ));
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    daemon.kill().ok();
    daemon.wait().ok();
    assert_eq!(code, 0, "{err}");
    let lock = ws.lock_text();
    assert!(
        lock.contains(&commits[0]) && lock.contains(&commits[2]),
        "{lock}"
    );
}

#[test]
fn unknown_rev_names_repo_and_rev_and_nearest_tags() {
    let ws = Workspace::new();
    let (up, _) = upstream(&ws);
    ws.manifest(&manifest(&up.url(), "\"v1.1.1\""));
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 2);
    assert!(err.contains("proj: unknown rev \"v1.1.1\""), "{err}");
    assert!(err.contains("nearest: v1.1.0"), "{err}");
    ws.manifest(&manifest(&up.url(), "\"v9.*\""));
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 2);
    assert!(err.contains("tag glob \"v9.*\" matches no tag"), "{err}");
}

#[test]
fn unreachable_url_is_named_with_an_insteadof_hint() {
    let ws = Workspace::new();
    let missing = ws.path().join("nowhere");
    ws.manifest(&manifest(
        &format!("file://{}", missing.display()),
        "\"main\"",
    ));
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("cannot fetch file://{}", missing.display())),
        "{err}"
    );
    assert!(err.contains("insteadOf"), "{err}");
    assert!(!ws.path().join("archeo.lock").exists());
}

#[test]
fn disallowed_transport_is_refused() {
    let ws = Workspace::new();
    ws.manifest(&manifest("ext::sh -c touch% /tmp/pwned", "\"main\""));
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 2);
    assert!(
        err.contains("archeo.toml:3:7") && err.contains("not allowed"),
        "{err}"
    );
}

#[test]
fn malformed_manifest_and_duplicate_names_point_at_the_line() {
    let ws = Workspace::new();
    ws.manifest("[[repo]]\nname = \"a\"\nurl = \"https://x.invalid/a\"\nrevs = [\"v1\"\n");
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 2);
    assert!(err.contains("archeo.toml:5:1: invalid manifest"), "{err}");
    ws.manifest("[[repo]]\nname = \"a\"\nurl = \"https://x.invalid/a\"\nrevs = [\"v1\"]\n\n[[repo]]\nname = \"a\"\nurl = \"https://x.invalid/b\"\nrevs = [\"v1\"]\n");
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 2);
    assert!(
        err.contains("archeo.toml:7:8") && err.contains("duplicate repository name \"a\""),
        "{err}"
    );
    let (code, _, err) = run(&mut {
        let mut c = ws.archeo();
        c.args(["--manifest", "missing.toml", "fetch"]);
        c
    });
    assert_eq!(code, 2);
    // The full path looked at.
    assert!(
        err.contains(&format!(
            "no manifest at {}",
            ws.path().join("missing.toml").display()
        )),
        "{err}"
    );
}

/// A manifest given as a pipe is read once, by the command: the global flags' look at its
/// `[defaults]` leaves anything but a regular file alone.
#[cfg(unix)]
#[test]
fn a_manifest_read_from_a_pipe_reaches_the_command_whole() {
    let ws = Workspace::new();
    let (code, _, err) = run_with_stdin(
        ws.archeo().args(["--manifest", "/dev/stdin", "pins"]),
        b"[[repo]]\nname = \"a\"\nurl = \"https://x.invalid/a\"\nrevs = [\"v1\"]\n",
    );
    assert_eq!(code, 2, "{err}");
    // The manifest parsed (one repository); what is missing is the lock beside it.
    assert!(err.contains("no lock file at"), "{err}");
}

#[test]
fn foreign_cache_directory_is_never_overwritten() {
    let ws = Workspace::new();
    let (up, _) = upstream(&ws);
    ws.manifest(&manifest(&up.url(), "\"main\""));
    let foreign = ws.path().join("cache/git/proj.git");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("precious.txt"), "user data").unwrap();
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 2);
    assert!(err.contains("is not an archeo cache"), "{err}");
    assert_eq!(
        std::fs::read_to_string(foreign.join("precious.txt")).unwrap(),
        "user data"
    );
}

#[test]
fn corrupt_cache_is_reported_not_recloned() {
    let ws = Workspace::new();
    let (up, _) = upstream(&ws);
    ws.manifest(&manifest(&up.url(), "\"main\""));
    assert_eq!(run(ws.archeo().arg("fetch")).0, 0);
    let cache = ws.path().join("cache/git/proj.git");
    std::fs::remove_dir_all(cache.join("objects")).unwrap();
    std::fs::remove_file(cache.join("HEAD")).unwrap();
    let (code, _, err) = run(ws.archeo().arg("fetch"));
    assert_eq!(code, 2);
    assert!(err.contains("corrupt"), "{err}");
}

/// Issue 32: a file:// URL is fetched by running `git upload-pack` (as git does); without git on
/// PATH the error says that, not "check the URL".
#[test]
fn a_local_url_without_git_installed_names_what_it_needs() {
    let ws = Workspace::new();
    let (up, _) = upstream(&ws);
    ws.manifest(&manifest(&up.url(), "\"v1.*\""));
    let empty = ws.path().join("no-programs");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, _, err) = run(ws.archeo().arg("fetch").env("PATH", &empty));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("file:// URLs and local paths") && err.contains("install git"),
        "{err}"
    );
    // With git on PATH the same fetch works.
    assert_eq!(run(ws.archeo().arg("fetch")).0, 0);
}
