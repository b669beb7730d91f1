//! A newcomer's first hour: the project found from any subdirectory (like git and cargo), errors
//! naming the full path looked at, the built-in rules inside the binary (overridable by id,
//! with their origin listed), an index built with other rules saying so, the summaries of
//! `index` and `export --check`, and user defaults from `[defaults]` and `ARCHEO_*`.

use crate::common;

use common::*;

fn indexed() -> Workspace {
    let (ws, _, _) = fetched_project("\"v1.*\"");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    ws
}

/// archeo run in `dir` with the workspace's cache and no user git config.
fn archeo_in(ws: &Workspace, dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let mut c = ws.archeo();
    c.current_dir(dir).args(args);
    run(&mut c)
}

#[test]
fn commands_find_the_manifest_and_index_from_a_subdirectory() {
    let ws = indexed();
    let sub = ws.path().join("notes/deep");
    std::fs::create_dir_all(&sub).unwrap();
    let (code, out, err) = archeo_in(&ws, &sub, &["search", "openat2", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"type\":\"hit\""), "{out}");
    let (code, out, _) = archeo_in(&ws, &sub, &["pins"]);
    assert_eq!(code, 0);
    assert!(out.contains("proj@v1.2.0"), "{out}");
    // The nearest manifest wins, and the index is beside it, not in the current directory.
    assert!(!sub.join("index").exists());
}

#[test]
fn outside_a_project_errors_name_the_full_path_looked_at() {
    let ws = Workspace::new();
    let dir = ws.path().join("empty/dir");
    std::fs::create_dir_all(&dir).unwrap();
    let (code, _, err) = archeo_in(&ws, &dir, &["pins"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "no archeo.toml in {} or any parent directory",
            dir.display()
        )),
        "{err}"
    );
    // A project that is fetched but not indexed: the index path is absolute.
    let (ws, _, _) = fetched_project("\"v1.0.0\"");
    let sub = ws.path().join("src");
    std::fs::create_dir_all(&sub).unwrap();
    let (code, _, err) = archeo_in(&ws, &sub, &["search", "openat2"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "no index at {}",
            ws.path().join("index").display()
        )),
        "{err}"
    );
}

#[test]
fn built_in_rules_come_from_the_binary_and_a_user_rule_overrides_one_by_id() {
    let (ws, _, _) = fetched_project("\"v1.0.0\"");
    let (code, out, err) = archeo(&ws, &["rules", "list", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let rules: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let queries = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let builtin: usize = std::fs::read_dir(&queries)
        .unwrap()
        .flatten()
        .map(|lang| std::fs::read_dir(lang.path()).unwrap().count())
        .sum();
    assert_eq!(rules.len(), builtin);
    for r in &rules {
        assert_eq!(r["origin"], "built-in", "{r}");
        assert!(
            r["file"]
                .as_str()
                .unwrap()
                .starts_with(&format!("built-in:{}/", r["lang"].as_str().unwrap())),
            "{r}"
        );
    }
    // Same id, another query: the user's rule replaces the built-in one.
    std::fs::create_dir_all(ws.path().join("my-rules")).unwrap();
    std::fs::write(
        ws.path().join("my-rules/sysctl.scm"),
        "; id: sysctl-write\n; title: my sysctl writes\n((call_expression function: (selector_expression field: (field_identifier) @f)) @match (#eq? @f \"WriteFile\"))\n",
    )
    .unwrap();
    let (code, out, err) = archeo(&ws, &["rules", "list", "--rules", "my-rules"]);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.starts_with("sysctl-write")).unwrap();
    assert!(
        line.contains("my sysctl writes") && line.contains("overrides built-in"),
        "{line}"
    );
    assert_eq!(
        out.lines().count(),
        builtin,
        "an override adds no rule: {out}"
    );
    assert!(out.lines().filter(|l| l.contains("(built-in)")).count() == builtin - 1);
}

#[test]
fn an_index_built_with_other_rules_says_so() {
    let (ws, _, _) = fetched_project("\"v1.0.0\"");
    std::fs::create_dir_all(ws.path().join("extra")).unwrap();
    std::fs::write(
        ws.path().join("extra/key.scm"),
        "; id: sysctl-key\n; title: sysctl keys\n((interpreted_string_literal) @match (#match? @match \"sysctl\"))\n",
    )
    .unwrap();
    let (code, _, err) = archeo(&ws, &["index", "--rules", "extra"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = archeo(&ws, &["findings", "--rule", "sysctl-write"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("was built with other rules than the current ones"),
        "{err}"
    );
    // Re-indexed with the current rules: no warning.
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    let (_, _, err) = archeo(&ws, &["findings", "--rule", "sysctl-write"]);
    assert!(!err.contains("other rules"), "{err}");
}

#[test]
fn index_counts_new_findings_and_names_blobs_missing_from_the_cache() {
    let (ws, _, _) = fetched_project("\"v1.*\"");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("new findings") || err.contains("new finding"),
        "{err}"
    );
    let (_, _, err) = archeo(&ws, &["index"]);
    assert!(err.contains("0 new findings"), "{err}");

    // Make one blob unavailable: unpack the cache's packs into loose objects, delete one.
    let (ws, _, _) = fetched_project("\"v1.0.0\"");
    let git_dir = ws.path().join("cache/git/proj.git");
    let blob = git(&git_dir, &["rev-parse", "v1.0.0:docs/notes.md"]);
    let pack_dir = git_dir.join("objects/pack");
    let packs: Vec<_> = std::fs::read_dir(&pack_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .collect();
    let moved = ws.path().join("packs");
    std::fs::create_dir_all(&moved).unwrap();
    for p in std::fs::read_dir(&pack_dir).unwrap().flatten() {
        std::fs::rename(p.path(), moved.join(p.file_name())).unwrap();
    }
    for p in packs {
        let data = std::fs::read(moved.join(p.file_name().unwrap())).unwrap();
        let mut child = std::process::Command::new("git")
            .args(["unpack-objects", "-q"])
            .current_dir(&git_dir)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&data).unwrap();
        assert!(child.wait().unwrap().success());
    }
    std::fs::remove_file(git_dir.join("objects").join(&blob[..2]).join(&blob[2..])).unwrap();
    // A blob the cache lost (not one upstream is known not to serve) is damage: the index run
    // fails, names the file version and the way out, and leaves no partial store.
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("docs/notes.md (blob {blob}"))
            && err.contains("run `archeo fetch` to repair it"),
        "{err}"
    );
}

#[test]
fn defaults_come_from_the_manifest_and_the_environment_overrides_them() {
    let (ws, _, _) = fetched_project("\"v1.0.0\"");
    let manifest = std::fs::read_to_string(ws.path().join("archeo.toml")).unwrap();
    std::fs::write(
        ws.path().join("archeo.toml"),
        format!("[defaults]\nindex-dir = \"build/idx\"\n\n{manifest}"),
    )
    .unwrap();
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    assert!(ws.path().join("build/idx/catalog.bin").is_file());
    assert!(!ws.path().join("index").exists());
    // From a subdirectory, [defaults] paths stay relative to the manifest.
    let sub = ws.path().join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    assert_eq!(archeo_in(&ws, &sub, &["search", "openat2"]).0, 0);
    // ARCHEO_INDEX_DIR wins over [defaults].
    let mut c = ws.archeo();
    c.env("ARCHEO_INDEX_DIR", ws.path().join("elsewhere"))
        .args(["search", "openat2"]);
    let (code, _, err) = run(&mut c);
    assert_eq!(code, 2);
    assert!(err.contains("elsewhere"), "{err}");
}

#[test]
fn help_groups_global_options_and_every_command_has_examples() {
    let cmd = archeo::cli::command();
    let mut missing = Vec::new();
    let mut check = |path: String, c: &clap::Command| {
        let help = c.clone().render_long_help().to_string();
        if !help.contains("Examples:") {
            missing.push(path);
        }
    };
    for sub in cmd.get_subcommands() {
        if sub.has_subcommands() {
            for s in sub.get_subcommands() {
                check(format!("{} {}", sub.get_name(), s.get_name()), s);
            }
        } else {
            check(sub.get_name().to_string(), sub);
        }
    }
    assert!(missing.is_empty(), "no examples: {missing:?}");
    let ws = Workspace::new();
    let (code, out, _) = archeo(&ws, &["search", "--help"]);
    assert_eq!(code, 0);
    let global = out
        .find("Global options:")
        .expect("a Global options heading");
    let own = out.find("--no-vendor").unwrap();
    assert!(own < global, "the command's own flags come first");
    assert!(out[global..].contains("--index-dir") && !out[..global].contains("--index-dir"));
}
