//! `archeo identify` end to end: fixture artifacts (hand-made Go ELF files, a .deb) matched
//! against a fixture repository pinned under a github.com URL (served from disk through git's
//! insteadOf), findings at the matched revision, and the --fail-on gate's exit codes.

use crate::artifact_fixtures;
use crate::common;

use artifact_fixtures::{FixtureFunc, Format, GoBinary, Pclntab, Runtime, deb, tar};
use common::*;

/// A workspace pinning `proj` (go_project: v1.0.0, v1.1.0, v1.2.0; RESOLVE_NO_XDEV appears in
/// v1.2.0's vendored module) as https://github.com/acme/proj, fetched and indexed.
fn indexed() -> (Workspace, Vec<String>) {
    let ws = Workspace::new();
    let (_, commits) = go_project(&ws);
    ws.manifest(
        "[[repo]]\nname = \"proj\"\nurl = \"https://github.com/acme/proj\"\nrevs = [\"v1.*\"]\n",
    );
    for cmd in [&["fetch"][..], &["index"][..]] {
        let (code, _, err) = run(github_archeo(&ws).args(cmd));
        assert_eq!(code, 0, "{err}");
    }
    (ws, commits)
}

fn write(ws: &Workspace, name: &str, bytes: &[u8]) -> String {
    let p = ws.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn binary(revision: &str) -> Vec<u8> {
    GoBinary::new(
        Format::Inline,
        &format!(
            "path\tgithub.com/acme/proj/cmd/proj\nmod\tgithub.com/acme/proj\t(devel)\t\nbuild\tvcs=git\nbuild\tvcs.revision={revision}\nbuild\tvcs.modified=false\n"
        ),
    )
    // The vendored lookup the rule's findings are in, with code in the binary.
    .with_functions(
        Pclntab::Go120,
        vec![FixtureFunc::new(
            "example.com/securejoin.lookupInRoot",
            "/build/proj/vendor/example.com/securejoin/procfs.go",
            11,
            20,
        )],
        &[],
    )
    .build()
}

#[test]
fn an_exact_commit_is_matched_and_its_findings_reported() {
    let (ws, commits) = indexed();
    let bin = write(&ws, "proj-bin", &binary(&commits[2]));
    let (code, out, err) = archeo(
        &ws,
        &[
            "identify",
            &bin,
            "--rule",
            "openat2-resolve-no-xdev",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["confidence"], "exact commit", "{out}");
    assert_eq!(v["pin"]["rev"], "v1.2.0");
    assert_eq!(v["pin"]["commit"], commits[2].as_str());
    assert_eq!(
        v["permalink"],
        format!("https://github.com/acme/proj/tree/{}", commits[2]).as_str()
    );
    assert_eq!(v["findings"][0]["rule"], "openat2-resolve-no-xdev");
    assert_eq!(v["findings"][0]["present"], true);
    // Each finding at the matched revision is a cited place there.
    let cite = &v["findings"][0]["cites"][0];
    assert_eq!(
        (cite["repo"].as_str(), cite["rev"].as_str()),
        (Some("proj"), Some("v1.2.0")),
        "{out}"
    );
    assert!(
        cite["url"].as_str().unwrap().starts_with(&format!(
            "https://github.com/acme/proj/blob/{}/",
            commits[2]
        )),
        "{out}"
    );
    // Every fact names where it was read.
    let ev = v["evidence"].as_array().unwrap();
    assert!(
        ev.iter().any(|e| e["fact"] == "build vcs.revision"
            && e["at"].as_str().unwrap().contains("file offset")),
        "{out}"
    );

    // v1.0.0 lacks RESOLVE_NO_XDEV: the same rule is absent there, and the gate passes.
    let old = write(&ws, "proj-old", &binary(&commits[0]));
    let (code, out, err) = archeo(
        &ws,
        &["identify", &old, "--fail-on", "openat2-resolve-no-xdev"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("openat2-resolve-no-xdev absent"), "{out}");
    // ... and refuses v1.2.0 with exit 3, naming the artifact, the rule and the revision.
    let (code, _, err) = archeo(
        &ws,
        &["identify", &bin, "--fail-on", "openat2-resolve-no-xdev"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("openat2-resolve-no-xdev at proj@v1.2.0") && err.contains("proj-bin"),
        "{err}"
    );

    // A query gate: the rule's finding inside one function (one command for "does the version
    // we ship hold this finding in that function?").
    let gate = "rule:openat2-resolve-no-xdev sym:lookupInRoot";
    let (code, _, err) = archeo(&ws, &["identify", &bin, "--fail-on", gate]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains(&format!("{gate} at proj@v1.2.0")), "{err}");
    let (code, out, err) = archeo(&ws, &["identify", &old, "--fail-on", gate]);
    assert_eq!(code, 0, "v1.0.0 lacks the flag: {out}{err}");
    let elsewhere = "rule:openat2-resolve-no-xdev sym:noSuchFunction";
    let (code, out, err) = archeo(&ws, &["identify", &bin, "--fail-on", elsewhere]);
    assert_eq!(
        code, 2,
        "a function no revision declares is a typo: {out}{err}"
    );
    assert!(
        err.contains("sym:noSuchFunction names no declaration"),
        "{err}"
    );
    // A query that does not parse is an error with its column, before anything is scanned.
    let (code, _, err) = archeo(&ws, &["identify", &bin, "--fail-on", "sym:x \"open"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("column"), "{err}");
}

#[test]
fn a_gate_never_passes_on_a_typo() {
    let (ws, commits) = indexed();

    let old = write(&ws, "proj-old", &binary(&commits[0]));
    // An unknown rule id, bare or in a query, is an error with the id it probably meant.
    for gate in [
        "openat2_resolve_no_xdev",
        "rule:openat2_resolve_no_xdev sym:lookupInRoot",
    ] {
        let (code, out, err) = archeo(&ws, &["identify", &old, "--fail-on", gate]);
        assert_eq!(code, 2, "{gate}: {out}{err}");
        assert!(
            err.contains("unknown rule \"openat2_resolve_no_xdev\"")
                // The closest id first (the C and Rust rules' ids come after it).
                && err.contains("did you mean openat2-resolve-no-xdev"),
            "{gate}: {err}"
        );
    }
    // A function no indexed revision declares: the gate would pass on a typo.
    let (code, out, err) = archeo(
        &ws,
        &[
            "identify",
            &old,
            "--fail-on",
            "rule:openat2-resolve-no-xdev sym:lookupInRot",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("sym:lookupInRot names no declaration in any indexed revision")
            && err.contains("did you mean lookupInRoot?"),
        "{err}"
    );
    // A passing gate says what it checked and where it was absent.
    let gate = "rule:openat2-resolve-no-xdev sym:lookupInRoot";
    let (code, out, err) = archeo(&ws, &["identify", &old, "--fail-on", gate]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains(&format!(
            "gate passes for {old}: absent at proj@v1.0.0: {gate}"
        )),
        "{err}"
    );
    let (code, _, err) = archeo(
        &ws,
        &["identify", &old, "--fail-on", "openat2-resolve-no-xdev"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "gate passes for {old}: absent at proj@v1.0.0: openat2-resolve-no-xdev"
        )),
        "{err}"
    );
    // The same checks outside gates: an unknown rule is an error; an unknown sym: a warning.
    let (code, _, err) = archeo(&ws, &["search", "openat2 rule:openat2_resolve_no_xdev"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("did you mean openat2-resolve-no-xdev"),
        "{err}"
    );
    let (code, _, err) = archeo(&ws, &["search", "-rule:openat2-resolve-no-xdevv openat2"]);
    assert_eq!(code, 2, "an excluded rule is checked too: {err}");
    let (code, _, err) = archeo(&ws, &["findings", "--rule", "openat2-resolve-no-xdevv"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("did you mean openat2-resolve-no-xdev"),
        "{err}"
    );
    let (code, _, err) = archeo(&ws, &["search", "openat2 sym:lookupInRot"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("warning: sym:lookupInRot names no declaration")
            && err.contains("lookupInRoot"),
        "{err}"
    );
}

#[test]
fn an_unpinned_commit_is_placed_between_pinned_tags_from_the_cache() {
    let ws = Workspace::new();
    let (up, _) = go_project(&ws);
    up.write("libct/extra.go", "package libct\n\nfunc Extra() {}\n");
    let unpinned = up.commit("after v1.2.0");
    up.write("libct/more.go", "package libct\n\nfunc More() {}\n");
    up.commit("v1.3.0");
    up.tag("v1.3.0");
    ws.manifest(
        "[[repo]]\nname = \"proj\"\nurl = \"https://github.com/acme/proj\"\nrevs = [\"v1.*\"]\n",
    );
    let (code, _, err) = run(github_archeo(&ws).arg("fetch"));
    assert_eq!(code, 0, "{err}");
    let bin = write(&ws, "proj-dev", &binary(&unpinned));
    let (code, out, err) = archeo(&ws, &["identify", &bin]);
    assert_eq!(code, 1, "nothing pinned matches: {out}{err}");
    assert!(
        out.contains("lies between pinned tags v1.2.0 and v1.3.0"),
        "{out}"
    );
}

#[test]
fn a_package_matches_by_version_with_its_debian_revision_dropped() {
    let (ws, commits) = indexed();
    let bin = GoBinary::new(Format::Inline, "path\tgithub.com/acme/proj\n").build();
    let data = tar(&[("./usr/bin/proj", &bin)], &[]);
    let control = "Package: proj\nVersion: 1.1.0-2\nArchitecture: amd64\nMaintainer: F <f@example.invalid>\nHomepage: https://github.com/acme/proj\nDescription: fixture\n";
    let pkg = write(&ws, "proj_1.1.0-2_amd64.deb", &deb(control, &data));
    let (code, out, err) = archeo(&ws, &["identify", &pkg, "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(v["confidence"], "by version", "{out}");
    assert_eq!(v["pin"]["commit"], commits[1].as_str());
    let (_, md, _) = archeo(&ws, &["identify", &pkg, "--format", "md"]);
    assert!(md.contains("| by version | [proj@v1.1.0]"), "{md}");
    // The control file has no Source field: no Source fact is printed as if read there.
    let (_, text, _) = archeo(&ws, &["identify", &pkg]);
    assert!(
        text.contains("deb Package") && !text.contains("deb Source"),
        "{text}"
    );
    // Nothing in an artifact is ever run: an executable script (in a layer, and named
    // directly) that would leave a marker if executed leaves none.
    let marker = ws.path().join("executed");
    let script = format!("#!/bin/sh\ntouch {}\n", marker.display());
    let layer = write(
        &ws,
        "layer.tar",
        &tar(&[("./usr/bin/proj", script.as_bytes())], &[]),
    );
    let direct = write(&ws, "proj-script", script.as_bytes());
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&direct, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert_eq!(archeo(&ws, &["identify", &layer]).0, 1);
    assert_eq!(archeo(&ws, &["identify", &direct]).0, 2);
    assert!(!marker.exists(), "an artifact was executed");
    // Unreadable input is an error naming the path.
    let (code, _, err) = archeo(&ws, &["identify", "no-such-file"]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-file"), "{err}");
}

/// Issue 32: a C program carrying a `.go.buildinfo` section that claims the pinned module at
/// v1.2.0's exact commit, and a binary whose function table is of another Go release than its
/// build info says: neither is `exact commit`, and the notes say what disagrees; the genuine
/// binary says what agrees.
#[test]
fn forged_go_build_info_is_not_trusted() {
    let (ws, commits) = indexed();
    let modinfo = format!(
        "path\tgithub.com/acme/proj/cmd/proj\nmod\tgithub.com/acme/proj\tv1.2.0\t\nbuild\tvcs=git\nbuild\tvcs.revision={}\nbuild\tvcs.modified=false\n",
        commits[2]
    );
    let with = |runtime: Runtime| {
        let mut b = GoBinary::new(Format::Inline, &modinfo);
        b.runtime = runtime;
        b.build()
    };
    let identify = |name: &str, bytes: &[u8]| -> serde_json::Value {
        let path = write(&ws, name, bytes);
        let (code, out, err) = archeo(&ws, &["identify", &path, "--format", "json"]);
        assert!(code == 0 || code == 1, "{err}");
        serde_json::from_str(out.lines().next().unwrap()).unwrap()
    };
    let real = identify("genuine", &with(Runtime::AsClaimed));
    assert_eq!(real["confidence"], "exact commit", "{real}");
    let notes = real["notes"].to_string();
    assert!(
        notes.contains("the Go runtime agrees with the build info: pclntab in the format of Go 1.20 and later, 8-byte pointers"),
        "{notes}"
    );
    assert!(
        real["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["fact"] == "go function table"),
        "{real}"
    );

    for (name, runtime, why) in [
        (
            "forged-c",
            Runtime::Forged,
            "no Go function table (pclntab) in the file",
        ),
        (
            "other-release",
            Runtime::Of("go1.16.15"),
            "is in the format of Go 1.16-1.17, not of Go 1.20 and later as go1.22.4 writes it",
        ),
    ] {
        let v = identify(name, &with(runtime));
        assert_eq!(v["confidence"], "unknown", "{name}: {v}");
        assert!(v["pin"].is_null(), "{name}: {v}");
        let notes = v["notes"].to_string();
        assert!(
            notes.contains("not trusted: the file carries Go build info (github.com/acme/proj v1.2.0, vcs.revision")
                && notes.contains(why),
            "{name}: {notes}"
        );
        // The text output says it too.
        let path = ws.path().join(name).display().to_string();
        let (_, out, _) = archeo(&ws, &["identify", &path]);
        assert!(out.contains("not trusted"), "{out}");
        assert!(!out.contains("exact commit"), "{out}");
    }
}

/// Issue 32, item 8: a function table header proves nothing; only a whole table of the Go
/// runtime's functions in the Go linker's section does. A C program whose forged
/// `.go.buildinfo` ends with the 8-byte header of Go 1.20's table, or holds a whole table, a
/// `.gopclntab` holding only the header, and a table of two functions are not trusted; a Go
/// 1.15 binary's table (the Go 1.2 layout, names only) is.
#[test]
fn a_function_table_header_or_a_table_in_the_wrong_place_is_not_a_go_runtime() {
    let (ws, commits) = indexed();
    let modinfo = format!(
        "path\tgithub.com/acme/proj/cmd/proj\nmod\tgithub.com/acme/proj\tv1.2.0\t\nbuild\tvcs=git\nbuild\tvcs.revision={}\nbuild\tvcs.modified=false\n",
        commits[2]
    );
    let identify = |name: &str, b: &GoBinary| -> serde_json::Value {
        let path = write(&ws, name, &b.build());
        let (code, out, err) = archeo(&ws, &["identify", &path, "--format", "json"]);
        assert!(code == 0 || code == 1, "{err}");
        serde_json::from_str(out.lines().next().unwrap()).unwrap()
    };
    let forged = || {
        let mut b = GoBinary::new(Format::Inline, &modinfo);
        b.runtime = Runtime::Forged;
        b
    };
    // The 8 bytes of Go 1.20's header at the end of the forged section (the re-probe's file).
    let mut header_tail = forged();
    header_tail.buildinfo_tail = header_tail.pclntab_header();
    // A whole table of the runtime's functions, inside the build info section.
    let mut table_tail = forged();
    table_tail.buildinfo_tail = vec![0; 4];
    table_tail
        .buildinfo_tail
        .extend(table_tail.table_bytes(Pclntab::Go120, &artifact_fixtures::runtime_functions()));
    // A `.gopclntab` of the header and loose strings only.
    let mut header_only = GoBinary::new(Format::Inline, &modinfo);
    header_only.runtime_functions = false;
    // A table decoding to the two functions a forger names, nothing else.
    let mut two = GoBinary::new(Format::Inline, &modinfo).with_functions(
        Pclntab::Go120,
        vec![
            FixtureFunc::new("runtime.main", "/usr/lib/go/src/runtime/proc.go", 144, 150),
            FixtureFunc::new(
                "runtime.goexit",
                "/usr/lib/go/src/runtime/asm_amd64.s",
                1650,
                1651,
            ),
        ],
        &[],
    );
    two.runtime_functions = false;
    for (name, b, why) in [
        (
            "header-tail",
            &header_tail,
            "a function table header (Go 1.20 and later) at file offset 0x6",
        ),
        (
            "table-tail",
            &table_tail,
            "lies inside the build info section: the Go linker writes it to .gopclntab",
        ),
        (
            "header-only",
            &header_only,
            "(.gopclntab) does not decode to a function table",
        ),
        (
            "two-functions",
            &two,
            "(.gopclntab) decodes to 2 function(s): the Go runtime alone has several hundred",
        ),
    ] {
        let v = identify(name, b);
        assert_eq!(v["confidence"], "unknown", "{name}: {v}");
        assert!(v["pin"].is_null(), "{name}: {v}");
        let notes = v["notes"].to_string();
        assert!(
            notes.contains("not trusted: the file carries Go build info") && notes.contains(why),
            "{name}: {notes}"
        );
        assert!(!notes.contains("agrees"), "{name}: {notes}");
    }

    // Go 1.15 writes the Go 1.2 layout: its names decode, the runtime's among them.
    let mut old = GoBinary::new(Format::Pointers, &modinfo);
    old.go_version = "go1.15.15".into();
    let v = identify("go115", &old);
    assert_eq!(v["confidence"], "exact commit", "{v}");
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("the Go runtime agrees with the build info: pclntab in the format of Go 1.2-1.15, 8-byte pointers, 253 functions decoded, runtime.main and runtime.goexit among them"),
        "{notes}"
    );
    // ... but not its header alone.
    old.runtime_functions = false;
    let v = identify("go115-header", &old);
    assert_eq!(v["confidence"], "unknown", "{v}");
    // A stripped genuine binary says what it could not check.
    let mut stripped = GoBinary::new(Format::Inline, &modinfo);
    stripped.symbols = false;
    let v = identify("stripped", &stripped);
    assert_eq!(v["confidence"], "exact commit", "{v}");
    assert!(
        v["notes"]
            .to_string()
            .contains("not checked: no symbol table (stripped)"),
        "{v}"
    );
}

/// `acme/tool`, tagged v1.0.0, v1.1.0 (adds `verifyCwd` above `Init`, moving `Init` and
/// `Start` down, and `utils.UnsafeCloseFrom`) and v1.2.0 (a comment line moves `libct/init.go` down
/// one line; adds `WriteSysctls`), pinned as https://github.com/acme/tool, fetched and indexed.
fn tool_indexed() -> Workspace {
    let ws = Workspace::new();
    let up = ws.repo("tool");
    up.write("go.mod", "module github.com/acme/tool\n\ngo 1.22\n");
    up.write(
        "main.go",
        "package main\n\nimport \"github.com/acme/tool/libct\"\n\nfunc main() {\n\tlibct.Init()\n}\n",
    );
    let start = "func (c *Container) Start() error {\n\treturn nil\n}\n";
    up.write(
        "libct/init.go",
        format!(
            "package libct\n\n// Init prepares.\nfunc Init() error {{\n\treturn nil\n}}\n\ntype Container struct{{}}\n\n{start}"
        ),
    );
    up.commit("v1.0.0");
    up.tag("v1.0.0");
    let v11 = format!(
        "package libct\n\nfunc verifyCwd() error {{\n\treturn nil\n}}\n\n// Init prepares.\nfunc Init() error {{\n\treturn verifyCwd()\n}}\n\ntype Container struct{{}}\n\n{start}"
    );
    up.write("libct/init.go", &v11);
    up.write(
        "libct/utils/fd.go",
        "package utils\n\nfunc UnsafeCloseFrom(minFd int) error {\n\treturn nil\n}\n",
    );
    up.commit("v1.1.0");
    up.tag("v1.1.0");
    up.write(
        "libct/init.go",
        format!("// Package libct runs containers.\n{v11}"),
    );
    up.write(
        "libct/sysctl.go",
        "package libct\n\nfunc WriteSysctls() error {\n\treturn nil\n}\n",
    );
    up.commit("v1.2.0");
    up.tag("v1.2.0");
    ws.manifest(
        "[[repo]]\nname = \"tool\"\nurl = \"https://github.com/acme/tool\"\nrevs = [\"v1.*\"]\n",
    );
    for cmd in [&["fetch"][..], &["index"][..]] {
        let (code, _, err) = run(github_archeo(&ws).args(cmd));
        assert_eq!(code, 0, "{err}");
    }
    ws
}

/// A function of the tool as a Debian (GOPATH) build records it.
fn tool_func(name: &str, file: &str, start: u32, end: u32) -> FixtureFunc {
    let full = if name.starts_with("main.") {
        name.to_string()
    } else {
        format!("github.com/acme/tool/{name}")
    };
    FixtureFunc::new(
        &full,
        &format!("/build/tool-1.0.0/_build/src/github.com/acme/tool/{file}"),
        start,
        end,
    )
}

fn json_lines(out: &str) -> serde_json::Value {
    serde_json::from_str(out.lines().next().unwrap()).unwrap()
}

#[test]
fn a_backport_shows_as_functions_of_a_later_release_in_an_old_version() {
    let ws = tool_indexed();
    // v1.0.0's code, plus UnsafeCloseFrom as v1.1.0 has it: a distribution's security backport.
    let bin = GoBinary::new(Format::Inline, "path\tgithub.com/acme/tool\n")
        .with_functions(
            Pclntab::Go120,
            vec![
                tool_func("main.main", "main.go", 5, 7),
                tool_func("libct.Init", "libct/init.go", 4, 6),
                tool_func("libct.(*Container).Start", "libct/init.go", 10, 12),
                tool_func("libct/utils.UnsafeCloseFrom", "libct/utils/fd.go", 3, 5),
            ],
            &[],
        )
        .build();
    let data = tar(&[("./usr/sbin/tool", &bin)], &[]);
    let control = "Package: tool\nVersion: 1.0.0+ds1-1+deb12u1\nArchitecture: amd64\nMaintainer: F <f@example.invalid>\nHomepage: https://github.com/acme/tool\nDescription: fixture\n";
    let pkg = write(
        &ws,
        "tool_1.0.0+ds1-1+deb12u1_amd64.deb",
        &deb(control, &data),
    );
    let (code, out, err) = archeo(&ws, &["identify", &pkg, "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v = json_lines(&out);
    assert_eq!(v["confidence"], "by version", "{out}");
    assert_eq!(v["pin"]["rev"], "v1.0.0");
    let ft = &v["function_table"];
    assert_eq!(ft["layout"], "go1.20");
    let main = &ft["modules"][0];
    assert_eq!(main["repo"], "tool");
    assert_eq!(main["vendored"], false);
    assert_eq!(main["ranking"][0]["rev"], "v1.0.0", "{out}");
    assert_eq!(main["ranking"][0]["exact"], 3, "{out}");
    assert_eq!(main["ranking"][0]["functions"], 4, "{out}");
    assert_eq!(main["compared_with"], "v1.0.0");
    assert_eq!(main["missing_total"], 1);
    assert_eq!(main["missing_in_later"], 1);
    let missing = &main["missing"][0];
    assert_eq!(
        missing["function"],
        "github.com/acme/tool/libct/utils.UnsafeCloseFrom"
    );
    assert_eq!(missing["first_in"], "v1.1.0");
    assert_eq!(missing["line"], 3);
    assert!(
        missing["at"].as_str().unwrap().contains("(.gopclntab)"),
        "{out}"
    );
    let notes = v["notes"].to_string();
    assert!(notes.contains("the function table agrees"), "{notes}");
    assert!(notes.contains("backported or newer code"), "{notes}");

    // The text names the function, where it first appears, and where its record was read.
    let (_, text, _) = archeo(&ws, &["identify", &pkg]);
    assert!(
        text.contains(
            "+ github.com/acme/tool/libct/utils.UnsafeCloseFrom (first in v1.1.0; not in v1.0.0)"
        ),
        "{text}"
    );
    // Markdown (what `identify` blocks in documents show) lists it too.
    let (_, md, _) = archeo(&ws, &["identify", &pkg, "--format", "md"]);
    assert!(
        md.contains("`tool@v1.0.0`: 3/4 at the same lines; 1 of later releases"),
        "{md}"
    );
    assert!(
        md.contains("`github.com/acme/tool/libct/utils.UnsafeCloseFrom` (first in v1.1.0)"),
        "{md}"
    );
}

/// The tool at v1.1.0 as `go build -trimpath -ldflags=-s` leaves it, with its section headers
/// stripped too: no version string, no symbols, a `(devel)` main module.
fn stripped_v11(extra: Vec<FixtureFunc>) -> Vec<u8> {
    let mut funcs = vec![
        tool_func("main.main", "main.go", 5, 7),
        tool_func("libct.verifyCwd", "libct/init.go", 3, 5),
        tool_func("libct.Init", "libct/init.go", 8, 10),
        tool_func("libct.(*Container).Start", "libct/init.go", 14, 16),
        tool_func("libct/utils.UnsafeCloseFrom", "libct/utils/fd.go", 3, 5),
    ];
    funcs.extend(extra);
    let mut b = GoBinary::new(
        Format::Inline,
        "path\tgithub.com/acme/tool\nmod\tgithub.com/acme/tool\t(devel)\t\nbuild\t-trimpath=true\nbuild\tGOOS=linux\n",
    )
    .with_functions(Pclntab::Go118, funcs, &["github.com/acme/tool/libct.(*Container).Kill"]);
    b.symbols = false;
    b.section_headers = false;
    b.build()
}

#[test]
fn a_stripped_binary_without_a_version_is_placed_by_its_function_table() {
    let ws = tool_indexed();
    let bin = write(&ws, "tool-stripped", &stripped_v11(Vec::new()));
    let (code, out, err) = archeo(&ws, &["identify", &bin, "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v = json_lines(&out);
    assert_eq!(v["confidence"], "by function table", "{out}");
    assert_eq!(v["version"], serde_json::Value::Null);
    assert_eq!(v["pin"]["rev"], "v1.1.0", "{out}");
    let main = &v["function_table"]["modules"][0];
    assert_eq!(main["tied"], serde_json::json!(["v1.1.0"]), "{out}");
    assert_eq!(main["ranking"][0]["exact"], 5);
    // v1.2.0 declares the same functions one line lower: second; v1.0.0 lacks two.
    assert_eq!(main["ranking"][1]["rev"], "v1.2.0");
    assert_eq!(
        main["ranking"][1]["exact"], 2,
        "main.main and UnsafeCloseFrom: {out}"
    );
    // The only-inlined name is compared by its declaration alone.
    assert_eq!(main["ranking"][0]["total"], 6);
    assert_eq!(
        main["ranking"][0]["declared"], 5,
        "Kill is declared nowhere: {out}"
    );
    assert!(
        v["function_table"]["at"]
            .as_str()
            .unwrap()
            .contains("found by its magic"),
        "{out}"
    );
    let (_, text, _) = archeo(&ws, &["identify", &bin]);
    assert!(
        text.contains("by function table (5/5 functions at the same lines)"),
        "{text}"
    );
    assert!(text.contains("pinned tool@v1.1.0"), "{text}");

    // Gates read the binary itself: it holds no WriteSysctls (v1.2.0 code)...
    let (code, out, err) = archeo(&ws, &["identify", &bin, "--fail-on", "sym:WriteSysctls"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("decided by the binary's function table: it holds no function WriteSysctls"),
        "{err}"
    );
    // ... and a binary of v1.1.0's code that carries it (a backport) trips, whatever v1.1.0
    // has, naming the function and where its record was read.
    let patched = write(
        &ws,
        "tool-patched",
        &stripped_v11(vec![tool_func(
            "libct.WriteSysctls",
            "libct/sysctl.go",
            3,
            5,
        )]),
    );
    let (code, _, err) = archeo(
        &ws,
        &["identify", &patched, "--fail-on", "sym:WriteSysctls"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("github.com/acme/tool/libct.WriteSysctls (")
            && err.contains("the binary itself")
            && err.contains("[file offset 0x"),
        "{err}"
    );
    // A query gate about the function's content cannot be decided at a revision lacking it.
    let (code, _, err) = archeo(
        &ws,
        &["identify", &patched, "--fail-on", "sym:WriteSysctls return"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot decide") && err.contains("does not declare it"),
        "{err}"
    );
}

#[test]
fn a_version_string_the_function_table_contradicts_is_flagged() {
    let ws = tool_indexed();
    // Claims 1.2.0, holds v1.0.0's code.
    let bin = GoBinary::new(
        Format::Inline,
        "path\tgithub.com/acme/tool\nmod\tgithub.com/acme/tool\t(devel)\t\n",
    )
    .inject("main.version", "1.2.0")
    .with_functions(
        Pclntab::Go120,
        vec![
            tool_func("main.main", "main.go", 5, 7),
            tool_func("libct.Init", "libct/init.go", 4, 6),
            tool_func("libct.(*Container).Start", "libct/init.go", 10, 12),
        ],
        &[],
    )
    .build();
    let bin = write(&ws, "tool-claims", &bin);
    let (code, out, err) = archeo(&ws, &["identify", &bin, "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v = json_lines(&out);
    assert_eq!(v["confidence"], "by version");
    assert_eq!(v["pin"]["rev"], "v1.2.0");
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("the function table disagrees with the version string")
            && notes.contains("tool@v1.0.0"),
        "{notes}"
    );
}

/// Issue 32, item 8: a real Go program (a hello world) whose build info claims the tool's
/// module at v1.2.0's commit: its own code contradicts the commit (its one function of the
/// module is not at v1.2.0's lines), so the commit is not trusted; the tool itself, built at
/// that commit, is `exact commit` and the function table agrees.
#[test]
fn a_commit_the_binarys_own_code_contradicts_is_not_exact() {
    let ws = tool_indexed();
    let commit = git(&ws.path().join("upstream/tool"), &["rev-parse", "v1.2.0"])
        .trim()
        .to_string();
    let modinfo = format!(
        "path\tgithub.com/acme/tool\nmod\tgithub.com/acme/tool\t(devel)\t\nbuild\tvcs=git\nbuild\tvcs.revision={commit}\nbuild\tvcs.modified=false\n"
    );
    let identify = |name: &str, functions: Vec<FixtureFunc>| -> serde_json::Value {
        let bin = GoBinary::new(Format::Inline, &modinfo)
            .with_functions(Pclntab::Go120, functions, &[])
            .build();
        let path = write(&ws, name, &bin);
        let (code, out, err) = archeo(&ws, &["identify", &path, "--format", "json"]);
        assert!(code == 0 || code == 1, "{out}{err}");
        json_lines(&out)
    };
    // A hello world: `func main() {` on line 3 of its main.go.
    let v = identify(
        "hello-claims-tool",
        vec![tool_func("main.main", "main.go", 3, 5)],
    );
    assert_ne!(v["confidence"], "exact commit", "{v}");
    assert!(v["pin"].is_null(), "{v}");
    let notes = v["notes"].to_string();
    assert!(
        notes.contains(&format!(
            "the commit is not trusted: the build info names {commit}, pinned as tool@v1.2.0, but the binary's own code contradicts it: only 0 of its 1 functions of github.com/acme/tool are declared at the same lines in tool@v1.2.0 (fewer than half)"
        )),
        "{notes}"
    );
    assert!(!notes.contains("the function table agrees"), "{notes}");

    // The tool at v1.2.0: the commit stands.
    let v = identify(
        "tool-at-commit",
        vec![
            tool_func("main.main", "main.go", 5, 7),
            tool_func("libct.verifyCwd", "libct/init.go", 4, 6),
            tool_func("libct.Init", "libct/init.go", 9, 11),
            tool_func("libct.(*Container).Start", "libct/init.go", 15, 17),
            tool_func("libct.WriteSysctls", "libct/sysctl.go", 3, 5),
        ],
    );
    assert_eq!(v["confidence"], "exact commit", "{v}");
    assert_eq!(v["pin"]["rev"], "v1.2.0", "{v}");
    let notes = v["notes"].to_string();
    assert!(notes.contains("the function table agrees"), "{notes}");
    assert!(!notes.contains("not trusted"), "{notes}");
}
