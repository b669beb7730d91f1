//! `archeo defs/refs/callers/callees/path`, their evidence blocks and explain's chain, end to
//! end on a fixture written for them: `rt`, a Go module shaped like runc (a parent process
//! that starts itself as `rt init` and reports the error its child writes back, the child's
//! entry point in `init.go`, sysctls written in `internal/sys`) with two releases, and a shell
//! library shaped like ContainAI's. Pinned under github.com URLs served from disk.

use crate::common;

use common::*;

const GO_MOD: &str = "module github.com/acme/rt\n\ngo 1.22\n";

const MAIN_GO: &str = r#"package main

import (
	"fmt"
	"os"

	"github.com/acme/rt/libcontainer"
)

func main() {
	if err := libcontainer.Start(); err != nil {
		fmt.Fprintln(os.Stderr, fmt.Errorf("rt run failed: %w", err))
		os.Exit(1)
	}
}
"#;

const INIT_GO: &str = r#"package main

import (
	"os"

	"github.com/acme/rt/libcontainer"
)

func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		// The child's entry point: libcontainer.Init never returns.
		libcontainer.Init()
	}
}
"#;

const CONTAINER_GO: &str = r#"package libcontainer

import (
	"fmt"
	"os/exec"
)

type Container struct {
	id string
}

// Start runs a container: it starts "rt init" and waits for its report.
func Start() error {
	c := &Container{id: "ctr"}
	if err := c.start(); err != nil {
		return fmt.Errorf("unable to start container process: %w", err)
	}
	return nil
}

func (c *Container) start() error {
	p := &initProcess{cmd: c.command()}
	return p.start()
}

func (c *Container) command() *exec.Cmd {
	return exec.Command("/proc/self/exe", "init")
}
"#;

const PROCESS_GO: &str = r#"package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
)

type initProcess struct {
	cmd  *exec.Cmd
	pipe io.Reader
}

func (p *initProcess) start() error {
	if err := p.cmd.Start(); err != nil {
		return err
	}
	buf, _ := io.ReadAll(p.pipe)
	if len(buf) > 0 {
		ierr := errors.New(string(buf))
		return fmt.Errorf("error during container init: %w", ierr)
	}
	return nil
}
"#;

const LC_INIT_GO: &str = r#"package libcontainer

import (
	"os"
)

// Init is "rt init": the child side. Errors go back to the parent through the pipe.
func Init() {
	if err := startInitialization(); err != nil {
		os.Stdout.WriteString(err.Error())
	}
	os.Exit(255)
}

func startInitialization() error {
	return containerInit(&linuxStandardInit{sysctl: map[string]string{}})
}

func containerInit(i *linuxStandardInit) error {
	return i.Init()
}
"#;

const STANDARD_GO: &str = r#"package libcontainer

import (
	"github.com/acme/rt/internal/sys"
)

type linuxStandardInit struct {
	sysctl map[string]string
}

func (l *linuxStandardInit) Init() error {
	// sys.WriteSysctls(l.sysctl) is where sysctls are written.
	if err := sys.WriteSysctls(l.sysctl); err != nil {
		return err
	}
	return nil
}
"#;

const SYS_GO: &str = r#"package sys

import (
	"errors"
	"fmt"
	"os"
)

var errUnsafeProcfs = errors.New("unsafe procfs detected")

// WriteSysctls sets every sysctl through its file under /proc/sys.
func WriteSysctls(sysctls map[string]string) error {
	for key, value := range sysctls {
		if err := writeSysctl(key, value); err != nil {
			return err
		}
	}
	return nil
}

func writeSysctl(key, value string) error {
	f, err := openProcfs("/proc/sys/" + key)
	if err != nil {
		return fmt.Errorf("open sysctl %s file: %w", key, err)
	}
	defer f.Close()
	_, err = f.WriteString(value)
	return err
}

func openProcfs(path string) (*os.File, error) {
	if path == "" {
		return nil, errUnsafeProcfs
	}
	return os.Open(path)
}
"#;

/// v1.1.0 only: a second caller of WriteSysctls, in a new file.
const RESET_GO: &str = r#"package libcontainer

import "github.com/acme/rt/internal/sys"

func resetSysctls() error {
	return sys.WriteSysctls(map[string]string{"net.ipv4.ip_forward": "0"})
}
"#;

const CORE_SH: &str = r#"#!/usr/bin/env bash
# Core helpers; _cai_unused is kept for scripts outside this repository.

_cai_info() {
    printf '[INFO] %s\n' "$*"
}

_cai_unused() {
    echo "nobody calls _cai_unused"
}
"#;

const DOCKER_SH: &str = r#"#!/usr/bin/env bash
. "$(dirname "${BASH_SOURCE[0]}")/core.sh"

_cai_docker_check() {
    _cai_info "checking docker"
    cat <<EOF
_cai_unused is documented here, not called
EOF
}

_cai_docker_check
docker run --rm --runtime=sysbox-runc alpine true
echo "docker run --runtime=sysbox-runc alpine true"
docker run --rm --runtime sysbox-runc alpine true
"#;

fn workspace() -> Workspace {
    let ws = Workspace::new();
    let rt = ws.repo("rt");
    for (path, text) in [
        ("go.mod", GO_MOD),
        ("main.go", MAIN_GO),
        ("init.go", INIT_GO),
        ("libcontainer/container_linux.go", CONTAINER_GO),
        ("libcontainer/process_linux.go", PROCESS_GO),
        ("libcontainer/init_linux.go", LC_INIT_GO),
        ("libcontainer/standard_init_linux.go", STANDARD_GO),
        ("internal/sys/sysctl_linux.go", SYS_GO),
        ("lib/core.sh", CORE_SH),
        ("lib/docker.sh", DOCKER_SH),
    ] {
        rt.write(path, text);
    }
    rt.commit("v1.0.0");
    rt.tag("v1.0.0");
    rt.write("libcontainer/reset_linux.go", RESET_GO);
    rt.commit("v1.1.0");
    rt.tag("v1.1.0");
    ws.manifest(
        "[[repo]]\nname = \"rt\"\nurl = \"https://github.com/acme/rt\"\nrevs = [\"v1.*\"]\n",
    );
    for cmd in [&["fetch"][..], &["index"][..]] {
        let (code, _, err) = run(github_archeo(&ws).args(cmd));
        assert_eq!(code, 0, "{err}");
    }
    ws
}

fn archeo(ws: &Workspace, args: &[&str]) -> (i32, String, String) {
    run(ws.archeo().args(args))
}

#[test]
fn callers_group_identical_sites_across_releases_and_cite_them() {
    let ws = workspace();
    let (code, out, err) = archeo(
        &ws,
        &[
            "callers",
            "WriteSysctls",
            "--repo",
            "rt",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let rows = json_lines(&out);
    let sites: Vec<(String, u64, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["cite"]["path"].as_str().unwrap().to_string(),
                r["cite"]["start"].as_u64().unwrap(),
                r["cite"]["revs_display"].as_str().unwrap().to_string(),
                r["certainty"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        sites,
        vec![
            (
                "libcontainer/reset_linux.go".to_string(),
                6,
                "v1.1.0 (1 rev)".to_string(),
                "exact".to_string()
            ),
            (
                "libcontainer/standard_init_linux.go".to_string(),
                13,
                "v1.0.0..v1.1.0 (2 revs)".to_string(),
                "exact".to_string()
            ),
        ]
    );
    let init = &rows[1];
    assert_eq!(init["from"], "libcontainer.(*linuxStandardInit).Init");
    assert_eq!(init["to"], "sys.WriteSysctls");
    assert_eq!(init["type"], "caller");
    assert_eq!(init["cite"]["rev"], "v1.1.0");
    let url = init["cite"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://github.com/acme/rt/blob/")
            && url.ends_with("/libcontainer/standard_init_linux.go#L13"),
        "{url}"
    );

    let (code, text, _) = archeo(&ws, &["callers", "sys.WriteSysctls", "--at", "rt@v1.0.0"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("libcontainer/standard_init_linux.go:13:16")
            && text.contains("call, exact")
            && text.ends_with("1 call site of sys.WriteSysctls in acme/rt@v1.0.0\n"),
        "{text}"
    );
}

#[test]
fn no_callers_unknown_names_and_bad_syntax_exit_as_documented() {
    let ws = workspace();
    let (code, out, _) = archeo(&ws, &["callers", "_cai_unused", "--at", "rt@v1.1.0"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out, "0 call sites of _cai_unused in acme/rt@v1.1.0\n");

    let (code, out, _) = archeo(&ws, &["callers", "WriteSysctl", "--at", "rt@v1.1.0"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("no declaration or reference named WriteSysctl in acme/rt@v1.1.0")
            && out.contains("did you mean")
            && out.contains("WriteSysctls"),
        "{out}"
    );

    let (code, _, err) = archeo(
        &ws,
        &["callers", "(*linuxStandardInit.Init", "--at", "rt@v1.1.0"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("column 25"), "{err}");
}

#[test]
fn defs_refs_callees_and_shell_callers() {
    let ws = workspace();
    let (code, out, _) = archeo(
        &ws,
        &[
            "defs",
            "(*linuxStandardInit).Init",
            "--repo",
            "rt",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(
        rows[0]["cite"]["path"],
        "libcontainer/standard_init_linux.go"
    );
    assert_eq!(rows[0]["cite"]["start"], 11);
    assert_eq!(rows[0]["cite"]["revs_display"], "v1.0.0..v1.1.0 (2 revs)");

    let (code, out, _) = archeo(
        &ws,
        &[
            "callees",
            "(*Container).start",
            "--at",
            "rt@v1.1.0",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let callees: Vec<String> = json_lines(&out)
        .iter()
        .map(|r| r["to"].as_str().unwrap().to_string())
        .collect();
    assert!(
        callees.contains(&"libcontainer.(*Container).command".to_string())
            && callees.contains(&"libcontainer.(*initProcess).start".to_string()),
        "{callees:?}"
    );

    // The comment and the here-doc name _cai_info's neighbours; only code is a reference.
    let (code, out, _) = archeo(
        &ws,
        &["refs", "_cai_info", "--at", "rt@v1.1.0", "--format", "json"],
    );
    assert_eq!(code, 0);
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0]["cite"]["path"], "lib/docker.sh");
    assert_eq!(rows[0]["cite"]["start"], 5);
    assert_eq!(rows[0]["certainty"], "exact");
    assert_eq!(rows[0]["from"], "_cai_docker_check");

    let (code, md, _) = archeo(
        &ws,
        &[
            "callers",
            "_cai_docker_check",
            "--at",
            "rt@v1.1.0",
            "--format",
            "md",
        ],
    );
    assert_eq!(code, 0);
    assert!(
        md.starts_with("1 call site of \\_cai_docker_check in acme/rt@v1.1.0\n")
            && md.contains("| 1 | `lib/docker.sh` | `_cai_docker_check` | call, exact |")
            && md.contains("lib/docker.sh:11:1"),
        "{md}"
    );
}

#[test]
fn path_from_the_child_entry_point_cites_every_hop() {
    let ws = workspace();
    let (code, out, err) = archeo(
        &ws,
        &[
            "path",
            "main.init",
            "WriteSysctls",
            "--at",
            "rt@v1.1.0",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 1, "{out}");
    let hops: Vec<String> = rows[0]["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{}:{}",
                h["cite"]["path"].as_str().unwrap(),
                h["cite"]["start"]
            )
        })
        .collect();
    assert_eq!(
        hops,
        [
            "init.go:12",
            "libcontainer/init_linux.go:9",
            "libcontainer/init_linux.go:16",
            "libcontainer/init_linux.go:20",
            "libcontainer/standard_init_linux.go:13",
        ]
    );
    let (code, out, _) = archeo(
        &ws,
        &["path", "WriteSysctls", "main.init", "--at", "rt@v1.1.0"],
    );
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "no call path from WriteSysctls to main.init in acme/rt@v1.1.0\n"
    );
}

#[test]
fn explain_links_every_segment_and_crosses_into_the_child() {
    let ws = workspace();
    let msg = "rt run failed: unable to start container process: error during container init: \
               open sysctl net.ipv4.ip_forward file: unsafe procfs detected";
    let (code, out, err) = archeo(
        &ws,
        &["explain", msg, "--at", "rt@v1.1.0", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let e: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let chain = e["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 4, "{out}");
    for l in chain {
        let how = l["how"].as_str().unwrap();
        assert!(!how.contains("no call path"), "{how}");
    }
    // unable to start ... -> error during container init: two calls in the parent.
    assert_eq!(chain[1]["boundary"], false);
    assert_eq!(
        chain[1]["hops"].as_array().unwrap().len(),
        2,
        "{}",
        chain[1]
    );
    // error during container init -> open sysctl: the child's side, from its entry point.
    let child = &chain[2];
    assert_eq!(child["boundary"], true, "{child}");
    let how = child["how"].as_str().unwrap();
    assert!(
        how.contains("process boundary")
            && how.contains("`init`")
            && how.contains("libcontainer/container_linux.go:27")
            && how.contains("init.go:10"),
        "{how}"
    );
    let hops: Vec<(String, String)> = child["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["from"].as_str().unwrap().to_string(),
                h["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(hops.first().unwrap().0, "main.init");
    assert_eq!(hops.last().unwrap().1, "sys.writeSysctl");
}

#[test]
fn refs_callers_and_path_blocks_are_checked_by_export() {
    let ws = workspace();
    let doc = ws.path().join("notes.md");
    std::fs::write(
        &doc,
        "# Notes\n\n<!-- archeo:begin callers WriteSysctls --at rt@v1.1.0 -->\n<!-- archeo:end -->\n\n\
         <!-- archeo:begin refs _cai_info --at rt@v1.1.0 -->\n<!-- archeo:end -->\n\n\
         <!-- archeo:begin path main.init WriteSysctls --at rt@v1.1.0 --max 1 -->\n<!-- archeo:end -->\n",
    )
    .unwrap();
    let (code, _, err) = archeo(&ws, &["export", "--check", "notes.md"]);
    assert_eq!(code, 1, "empty blocks are stale: {err}");
    let (code, _, err) = archeo(&ws, &["export", "notes.md"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&doc).unwrap();
    assert!(
        text.contains("2 call sites of WriteSysctls in acme/rt@v1.1.0")
            && text.contains("libcontainer/reset_linux.go:6:13")
            && text.contains("1 reference of \\_cai_info")
            && text.contains("1 shortest call path from main.init to WriteSysctls"),
        "{text}"
    );
    let (code, out, err) = archeo(&ws, &["export", "--check", "notes.md"]);
    assert_eq!(code, 0, "{out}{err}");
    // A block that no longer matches the index is reported.
    std::fs::write(
        &doc,
        text.replace("reset_linux.go:6:13", "reset_linux.go:7:13"),
    )
    .unwrap();
    let (code, out, _) = archeo(&ws, &["export", "--check", "notes.md"]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn the_shell_rule_finds_sysbox_runs_in_code_only() {
    let ws = workspace();
    let (code, out, err) = archeo(
        &ws,
        &[
            "findings",
            "--rule",
            "docker-run-sysbox-runtime",
            "--at",
            "rt@v1.1.0",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut lines: Vec<(String, u64)> = json_lines(&out)
        .iter()
        .map(|r| {
            let c = if r["cite"].is_object() { &r["cite"] } else { r };
            (
                c["path"].as_str().unwrap().to_string(),
                c["start"].as_u64().or(c["line"].as_u64()).unwrap(),
            )
        })
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            ("lib/docker.sh".to_string(), 12),
            ("lib/docker.sh".to_string(), 14)
        ]
    );
}

#[test]
fn xref_json_records_match_the_documented_schema() {
    let ws = workspace();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/archeo.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = jsonschema::options().build(&schema).unwrap();
    let msg = "unable to start container process: error during container init: \
               open sysctl k file: unsafe procfs detected";
    for (args, kind) in [
        (vec!["defs", "WriteSysctls"], "definition"),
        (vec!["refs", "_cai_info"], "reference"),
        (vec!["callers", "WriteSysctls", "--depth", "2"], "caller"),
        (vec!["callees", "WriteSysctls"], "callee"),
        (vec!["path", "main.init", "WriteSysctls"], "path"),
        (vec!["explain", msg], "explanation"),
    ] {
        let mut full = args.clone();
        full.extend(["--at", "rt@v1.1.0", "--format", "json"]);
        let (code, out, err) = archeo(&ws, &full);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(!out.is_empty(), "{args:?}");
        for line in out.lines() {
            let rec: serde_json::Value = serde_json::from_str(line).unwrap();
            let errs: Vec<String> = v.iter_errors(&rec).map(|e| e.to_string()).collect();
            assert!(errs.is_empty(), "{args:?}: {line}\n{}", errs.join("\n"));
            assert_eq!(rec["type"], kind, "{line}");
        }
    }
}
