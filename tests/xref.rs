//! Graph tests on fixture revisions written for them: a Go module shaped like runc's init path
//! (a `main` package with urfave/cli-style commands, `libcontainer` with an init entry point and
//! init types, `internal/sys`, cgroup managers behind an interface, a vendored package) and a
//! shell library shaped like ContainAI's (`src/lib/*.sh` sourcing each other, `_cai_` functions,
//! comments, strings and here-docs naming functions). Each name's reported sites are checked
//! against an independent line scan that plays `git grep -w` with comments, strings and
//! here-docs blanked out.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use archeo::lang::{Lang, Parsed, RefKind, bash, go};
use archeo::xref::{Certainty, GoModule, Graph, Link, Name, NodeKind, Site, go_module_path};

const MODULE: &str = "github.com/example/runc";

const MAIN_GO: &str = r#"package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli"
)

func main() {
	app := cli.NewApp()
	app.Name = "runc"
	app.Commands = []cli.Command{
		runCommand,
		createCommand,
	}
	if err := app.Run(os.Args); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
"#;

const INIT_GO: &str = r#"package main

import (
	"os"

	"github.com/example/runc/libcontainer"
)

func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		// Entry point of "runc init": libcontainer.Init never returns.
		libcontainer.Init()
	}
}
"#;

const RUN_GO: &str = r#"package main

import (
	"os"

	"github.com/urfave/cli"
)

var runCommand = cli.Command{
	Name:  "run",
	Usage: "create and run a container",
	Action: func(context *cli.Context) error {
		status, err := startContainer(context, CT_ACT_RUN)
		if err == nil {
			os.Exit(status)
		}
		return err
	},
}

var createCommand = cli.Command{
	Name:   "create",
	Usage:  "create a container (see startContainer)",
	Action: createAction,
}

func createAction(context *cli.Context) error {
	_, err := startContainer(context, CT_ACT_CREATE)
	return err
}
"#;

const UTILS_GO: &str = r#"package main

import (
	"github.com/urfave/cli"

	"github.com/example/runc/libcontainer"
)

const (
	CT_ACT_CREATE = iota + 1
	CT_ACT_RUN
)

type runner struct {
	container *libcontainer.Container
	action    int
}

func (r *runner) run(p *libcontainer.Process) (int, error) {
	if err := r.container.Run(p); err != nil {
		return -1, err
	}
	return 0, nil
}

func startContainer(context *cli.Context, action int) (int, error) {
	c, err := libcontainer.Create(context.String("root"), context.Args().First())
	if err != nil {
		return -1, err
	}
	r := &runner{container: c, action: action}
	return r.run(&libcontainer.Process{})
}
"#;

const LC_INIT_GO: &str = r#"package libcontainer

import (
	"fmt"
	"os"
)

type initType string

const (
	initSetns    initType = "setns"
	initStandard initType = "standard"
)

type initConfig struct {
	Config *Config
}

// Init is part of "runc init": it calls startInitialization, which calls
// containerInit, which calls linuxStandardInit.Init, which calls WriteSysctls.
func Init() {
	if err := startInitialization(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(255)
}

func startInitialization() (retErr error) {
	it := initType(os.Getenv("_LIBCONTAINER_INITTYPE"))
	var config initConfig
	return containerInit(it, &config)
}

func containerInit(t initType, config *initConfig) error {
	switch t {
	case initSetns:
		i := &linuxSetnsInit{config: config}
		return i.Init()
	case initStandard:
		i := &linuxStandardInit{
			config: config,
		}
		return i.Init()
	}
	return fmt.Errorf("unknown init type %q", t)
}
"#;

const LC_STANDARD_GO: &str = r#"package libcontainer

import (
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/example/runc/internal/sys"
)

type linuxStandardInit struct {
	config *initConfig
}

func (l *linuxStandardInit) Init() error {
	logrus.Debug("about to call sys.WriteSysctls")
	// Write sysctls: sys.WriteSysctls(l.config.Config.Sysctl) opens each file under /proc/sys.
	if err := sys.WriteSysctls(l.config.Config.Sysctl); err != nil {
		return fmt.Errorf("unable to write sysctls: %w", err)
	}
	return nil
}
"#;

const LC_SETNS_GO: &str = r#"package libcontainer

type linuxSetnsInit struct {
	config *initConfig
}

func (l *linuxSetnsInit) Init() error {
	return nil
}
"#;

const LC_CONTAINER_GO: &str = r#"package libcontainer

import (
	"io"

	securejoin "github.com/cyphar/filepath-securejoin"

	"github.com/example/runc/libcontainer/cgroups"
)

type Config struct {
	Rootfs string
	Sysctl map[string]string
}

type Process struct {
	Pid int
}

type Container struct {
	root          string
	config        *Config
	cgroupManager cgroups.Manager
}

func Create(root, id string) (*Container, error) {
	p, err := securejoin.SecureJoin(root, id)
	if err != nil {
		return nil, err
	}
	return &Container{root: p}, nil
}

func (c *Container) Run(p *Process) error {
	return c.start(p)
}

func (c *Container) start(p *Process) error {
	return c.cgroupManager.Apply(p.Pid)
}

func (c *Container) Close() error {
	return nil
}

func closeAll(cs []io.Closer) {
	for _, c := range cs {
		_ = c.Close()
	}
}
"#;

const LC_ROOTFS_GO: &str = r#"package libcontainer

import (
	"github.com/cyphar/filepath-securejoin"
)

func prepareRootfs(c *Config) error {
	_, err := securejoin.SecureJoin(c.Rootfs, "proc")
	return err
}
"#;

const CGROUPS_GO: &str = r#"package cgroups

type Manager interface {
	Apply(pid int) error
	Destroy() error
}
"#;

const FS_GO: &str = r#"package fs

type Manager struct{ paths map[string]string }

func (m *Manager) Apply(pid int) error { return nil }

func (m *Manager) Destroy() error { return nil }
"#;

const SYSTEMD_GO: &str = r#"package systemd

type UnifiedManager struct{}

func (m *UnifiedManager) Apply(pid int) error { return nil }

func (m *UnifiedManager) Destroy() error { return nil }

// applier has Apply but not Destroy: it is no cgroups.Manager.
type applier struct{}

func (a applier) Apply(pid int) error { return nil }
"#;

const SYS_GO: &str = r#"package sys

import (
	"fmt"
	"os"
	"strings"
)

// WriteSysctls sets the given sysctls to the requested values.
func WriteSysctls(sysctls map[string]string) error {
	for key, value := range sysctls {
		if err := writeSysctl(key, value); err != nil {
			return err
		}
	}
	return nil
}

func writeSysctl(key, value string) error {
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("open sysctl %s file: %w", key, err)
	}
	return nil
}
"#;

/// Same name, other package: never called, so never a target.
const DECOY_GO: &str = r#"package sysctl

func WriteSysctls() {}
"#;

const SECUREJOIN_GO: &str = r#"package securejoin

func SecureJoin(root, unsafePath string) (string, error) {
	return root + "/" + unsafePath, nil
}
"#;

fn go_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("main.go", MAIN_GO),
        ("init.go", INIT_GO),
        ("run.go", RUN_GO),
        ("utils_linux.go", UTILS_GO),
        ("libcontainer/init_linux.go", LC_INIT_GO),
        ("libcontainer/standard_init_linux.go", LC_STANDARD_GO),
        ("libcontainer/setns_init_linux.go", LC_SETNS_GO),
        ("libcontainer/container_linux.go", LC_CONTAINER_GO),
        ("libcontainer/rootfs_linux.go", LC_ROOTFS_GO),
        ("libcontainer/cgroups/cgroups.go", CGROUPS_GO),
        ("libcontainer/cgroups/fs/fs.go", FS_GO),
        ("libcontainer/cgroups/systemd/v2.go", SYSTEMD_GO),
        ("internal/sys/sysctl_linux.go", SYS_GO),
        ("libcontainer/sysctl/sysctl.go", DECOY_GO),
        (
            "vendor/github.com/cyphar/filepath-securejoin/join.go",
            SECUREJOIN_GO,
        ),
    ]
}

const CONTAINAI_SH: &str = r#"#!/usr/bin/env bash
# ContainAI CLI: source this file, then run `cai`.
_CAI_SCRIPT_DIR="$(cd -- "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! source "$_CAI_SCRIPT_DIR/lib/core.sh"; then
    echo "[ERROR] Failed to source lib/core.sh" >&2
    return 1
fi
source "$_CAI_SCRIPT_DIR/lib/docker.sh"
source "$_CAI_SCRIPT_DIR/lib/setup.sh"
if ! declare -f _cai_setup >/dev/null 2>&1; then
    return 1
fi

cai() {
    local cmd="${1:-help}"
    shift || true
    case "$cmd" in
        setup) _cai_setup "$@" ;;
        doctor) _cai_docker_ok verbose && _cai_info "docker ok" ;;
        help) _cai_usage ;;
        *) _cai_error "unknown command: $cmd (try _cai_usage)"; return 1 ;;
    esac
}

_cai_usage() {
    cat <<'EOF'
Usage: cai <command>
  setup    runs _cai_setup, then _cai_docker_ok
  version  see _cai_docker_desktop_version
EOF
}
"#;

const CORE_SH: &str = r#"#!/usr/bin/env bash
# Logging helpers. Callers use _cai_info / _cai_error, never echo directly.

readonly _CAI_LOG_PREFIX="[cai]"

_cai_info() {
    printf '%s [INFO] %s\n' "$_CAI_LOG_PREFIX" "$*"
}

_cai_warn() {
    printf '%s [WARN] %s\n' "$_CAI_LOG_PREFIX" "$*" >&2
}

_cai_error() {
    printf '%s [ERROR] %s\n' "$_CAI_LOG_PREFIX" "$*" >&2
}
"#;

const DOCKER_SH: &str = r#"#!/usr/bin/env bash
# Docker helpers.
#   _cai_docker_desktop_version()  - Docker Desktop version as semver (empty if not DD)
#   _cai_docker_ok()               - whether the daemon answers

source "${BASH_SOURCE%/*}/core.sh"

_cai_docker_desktop_version() {
    local platform
    platform="$(docker version --format '{{.Server.Platform.Name}}' 2>/dev/null)" || return 1
    printf '%s\n' "${platform#Docker Desktop }"
}

_cai_docker_ok() {
    if ! docker info >/dev/null 2>&1; then
        _cai_error "docker is not running (hint: _cai_docker_desktop_version tells Docker Desktop apart)"
        return 1
    fi
    [[ "${1:-}" == "verbose" ]] && _cai_info "docker answers at $(_cai_select_context)"
    return 0
}

_cai_select_context() {
    if command -v _cai_config_context >/dev/null 2>&1; then
        _cai_config_context
        return
    fi
    printf '%s\n' "containai-docker"
}
"#;

const SETUP_SH: &str = r#"#!/usr/bin/env bash
# Setup: installs the isolated daemon. Depends on core.sh and docker.sh being sourced first.

_cai_cleanup() {
    rm -rf "${_CAI_TMP:-/nonexistent}"
}

_cai_setup() {
    _CAI_TMP="$(mktemp -d)"
    trap '_cai_cleanup' EXIT
    _cai_info "setting up"
    if ! _cai_docker_ok; then
        _cai_error "setup needs docker"
        return 1
    fi
    local ctx
    ctx=$(_cai_select_context) || return 1
    cat >"$_CAI_TMP/daemon.json" <<EOF
{ "runtime": "sysbox-runc", "note": "written by _cai_setup" }
EOF
    local emit=_cai_info
    "$emit" "context $ctx ready"
}
"#;

const TEST_SH: &str = r#"#!/usr/bin/env bash
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO_ROOT/src/lib/docker.sh"

run_test() {
    local fn=$1
    "$fn" || echo "FAIL: $fn"
}

test_docker_ok() {
    _cai_docker_ok || { _cai_warn "skipped: no docker"; return 0; }
}

run_test test_docker_ok
"#;

fn shell_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("src/containai.sh", CONTAINAI_SH),
        ("src/lib/core.sh", CORE_SH),
        ("src/lib/docker.sh", DOCKER_SH),
        ("src/lib/setup.sh", SETUP_SH),
        ("tests/unit/test-docker.sh", TEST_SH),
    ]
}

struct Revision {
    parsed: Vec<(&'static str, Parsed)>,
    sources: Vec<(&'static str, &'static str)>,
}

impl Revision {
    fn new(files: Vec<(&'static str, &'static str)>) -> Revision {
        let parsed = files
            .iter()
            .map(|(p, src)| {
                let parsed = if p.ends_with(".go") {
                    go::parse(src).0
                } else {
                    bash::parse(src).0
                };
                assert_eq!(parsed.error_nodes, 0, "{p} parses cleanly");
                (*p, parsed)
            })
            .collect();
        Revision {
            parsed,
            sources: files,
        }
    }

    fn graph(&self) -> Graph {
        let files: Vec<(&str, &Parsed)> = self.parsed.iter().map(|(p, x)| (*p, x)).collect();
        Graph::build(
            &files,
            &[GoModule {
                dir: "",
                path: MODULE,
            }],
        )
    }

    fn line_of(&self, path: &str, needle: &str) -> u32 {
        let src = self.sources.iter().find(|(p, _)| *p == path).unwrap().1;
        let hits: Vec<usize> = src
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains(needle))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(hits.len(), 1, "{needle:?} once in {path}");
        hits[0] as u32 + 1
    }
}

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn sites(links: &[Link]) -> Vec<(String, u32)> {
    let mut v: Vec<(String, u32)> = links
        .iter()
        .map(|l| (l.edge.site.path.to_string(), l.edge.site.line))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Plays `git grep -n -w WORD` over the revision, keeping only code: Go `//` comments and
/// string literals blanked; shell `#` comments, quoted text (but not `$(...)` inside double
/// quotes) and here-doc bodies blanked. Independent of tree-sitter on purpose.
fn grep_code(files: &[(&'static str, &'static str)], word: &str) -> Vec<(String, u32)> {
    let owned: Vec<(String, String)> = files
        .iter()
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect();
    grep_code_owned(&owned, word)
}

fn grep_code_owned(files: &[(String, String)], word: &str) -> Vec<(String, u32)> {
    grep_code_with(files, word, false)
}

/// As [`grep_code_owned`]; with `calls_only`, only lines where the word is followed by `(`
/// (a Go call; the word alone also matches variables and fields of the same name).
fn grep_code_with(files: &[(String, String)], word: &str, calls_only: bool) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for (path, src) in files {
        let go = path.ends_with(".go");
        let mut heredoc: Option<String> = None;
        for (i, line) in src.lines().enumerate() {
            if let Some(end) = &heredoc {
                if line.trim() == end {
                    heredoc = None;
                }
                continue;
            }
            let code = if go {
                blank_go(line)
            } else {
                let (code, start) = blank_shell(line);
                heredoc = start;
                code
            };
            if has_word(&code, word) && (!calls_only || has_call(&code, word)) {
                out.push((path.to_string(), i as u32 + 1));
            }
        }
    }
    out.sort();
    out
}

fn has_word(s: &str, word: &str) -> bool {
    let is_w = |c: char| c.is_alphanumeric() || c == '_';
    s.match_indices(word).any(|(i, _)| {
        let before = s[..i].chars().next_back();
        let after = s[i + word.len()..].chars().next();
        !before.is_some_and(is_w) && !after.is_some_and(is_w)
    })
}

fn has_call(s: &str, word: &str) -> bool {
    let is_w = |c: char| c.is_alphanumeric() || c == '_';
    s.match_indices(word).any(|(i, _)| {
        let before = s[..i].chars().next_back();
        let rest = s[i + word.len()..].trim_start();
        !before.is_some_and(is_w) && (rest.starts_with('(') || rest.starts_with('['))
    })
}

fn blank_go(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    quote = None;
                    out.push(c);
                }
            }
            None => {
                if c == '/' && chars.peek() == Some(&'/') {
                    break;
                }
                if c == '"' || c == '`' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// The line's code, and the delimiter of a here-doc it opens.
fn blank_shell(line: &str) -> (String, Option<String>) {
    let mut out = String::new();
    let b: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut in_double = false;
    let mut heredoc = None;
    // A `trap`/`eval` argument is code run later, quoted or not.
    let handler = matches!(line.split_whitespace().next(), Some("trap" | "eval"));
    while i < b.len() {
        let c = b[i];
        if in_double {
            if c == '\\' {
                i += 2;
                continue;
            }
            if c == '"' {
                in_double = false;
                out.push(c);
            } else if c == '$' && b.get(i + 1) == Some(&'(') {
                // Command substitution inside quotes is code: copy it through.
                let mut depth = 0;
                while i < b.len() {
                    out.push(b[i]);
                    if b[i] == '(' {
                        depth += 1;
                    } else if b[i] == ')' {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            i += 1;
            continue;
        }
        match c {
            '\'' if !handler => {
                i += 1;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
            }
            '"' => {
                in_double = true;
                out.push(c);
            }
            '#' if i == 0 || b[i - 1].is_whitespace() => break,
            '<' if b.get(i + 1) == Some(&'<') => {
                let rest: String = b[i + 2..].iter().collect();
                let delim: String = rest
                    .trim_start_matches('-')
                    .trim_start()
                    .trim_start_matches(['\'', '"'])
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !delim.is_empty() {
                    heredoc = Some(delim);
                }
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    (out, heredoc)
}

/// The quality bar: the sites `callers NAME` reports are exactly the code lines `git grep -w`
/// finds, minus the definitions themselves.
fn assert_matches_grep(rev: &Revision, g: &Graph, word: &str) {
    let n = name(word);
    let defs: Vec<(String, u32)> = g
        .defs(&n)
        .iter()
        .map(|d| (d.path.to_string(), d.start))
        .collect();
    let want: Vec<(String, u32)> = grep_code(&rev.sources, word)
        .into_iter()
        .filter(|s| !defs.contains(s))
        .collect();
    assert_eq!(sites(&g.callers(&n, 1)), want, "sites of {word}");
}

#[test]
fn write_sysctls_has_one_caller_resolved_across_packages() {
    let rev = Revision::new(go_files());
    let g = rev.graph();
    let callers = g.callers(&name("WriteSysctls"), 1);
    assert_eq!(callers.len(), 1, "{callers:#?}");
    let c = callers[0];
    assert_eq!(c.from.display(), "libcontainer.(*linuxStandardInit).Init");
    assert_eq!(
        c.to.import_path.as_deref(),
        Some("github.com/example/runc/internal/sys")
    );
    assert_eq!(&*c.to.path, "internal/sys/sysctl_linux.go");
    let line = rev.line_of(
        "libcontainer/standard_init_linux.go",
        "if err := sys.WriteSysctls",
    );
    assert_eq!(
        c.edge.site,
        Site {
            path: "libcontainer/standard_init_linux.go".into(),
            line,
            col: 16
        }
    );
    assert_eq!(
        (c.edge.certainty, c.edge.kind),
        (Certainty::Exact, RefKind::Call)
    );
    assert_eq!(c.edge.written, "sys.WriteSysctls");
    // The decoy of the same name in another package has no callers.
    assert!(g.callers(&name("sysctl.WriteSysctls"), 1).is_empty());
    assert_eq!(g.callers(&name("sys.WriteSysctls"), 1).len(), 1);
    for w in [
        "WriteSysctls",
        "startContainer",
        "SecureJoin",
        "containerInit",
        "createAction",
        "writeSysctl",
    ] {
        assert_matches_grep(&rev, &g, w);
    }
}

#[test]
fn defs_accept_every_name_form() {
    let g = Revision::new(go_files()).graph();
    let paths = |s: &str| -> Vec<String> {
        g.defs(&name(s))
            .iter()
            .map(|d| format!("{}:{}", d.path, d.start))
            .collect()
    };
    assert_eq!(
        paths("WriteSysctls"),
        [
            "internal/sys/sysctl_linux.go:10",
            "libcontainer/sysctl/sysctl.go:3"
        ]
    );
    assert_eq!(
        paths("sys.WriteSysctls"),
        ["internal/sys/sysctl_linux.go:10"]
    );
    assert_eq!(
        paths("internal/sys.WriteSysctls"),
        ["internal/sys/sysctl_linux.go:10"]
    );
    assert_eq!(
        paths("github.com/example/runc/internal/sys.WriteSysctls"),
        ["internal/sys/sysctl_linux.go:10"]
    );
    assert_eq!(
        paths("(*linuxStandardInit).Init"),
        ["libcontainer/standard_init_linux.go:15"]
    );
    assert_eq!(
        paths("linuxStandardInit.Init"),
        paths("(*linuxStandardInit).Init")
    );
    assert_eq!(
        paths("libcontainer.(*linuxStandardInit).Init"),
        paths("(*linuxStandardInit).Init")
    );
    assert_eq!(paths("Init").len(), 3);
    assert_eq!(
        paths("fs.Manager.Apply"),
        ["libcontainer/cgroups/fs/fs.go:5"]
    );
    assert!(paths("nosuch.WriteSysctls").is_empty());
}

#[test]
fn path_from_the_init_entry_point_to_write_sysctls() {
    let rev = Revision::new(go_files());
    let g = rev.graph();
    let paths = g.paths(&name("main.init"), &name("WriteSysctls"), 5);
    assert_eq!(paths.len(), 1, "{paths:#?}");
    let hops: Vec<(String, String, u32, Certainty)> = paths[0]
        .iter()
        .map(|l| {
            (
                l.to.display(),
                l.edge.site.path.to_string(),
                l.edge.site.line,
                l.edge.certainty,
            )
        })
        .collect();
    let lc = "libcontainer/init_linux.go";
    assert_eq!(
        hops,
        [
            (
                "libcontainer.Init".to_string(),
                "init.go".to_string(),
                rev.line_of("init.go", "libcontainer.Init()"),
                Certainty::Exact
            ),
            (
                "libcontainer.startInitialization".to_string(),
                lc.to_string(),
                rev.line_of(lc, "err := startInitialization()"),
                Certainty::Exact
            ),
            (
                "libcontainer.containerInit".to_string(),
                lc.to_string(),
                rev.line_of(lc, "return containerInit("),
                Certainty::Exact
            ),
            (
                "libcontainer.(*linuxStandardInit).Init".to_string(),
                lc.to_string(),
                rev.line_of(lc, "initStandard:") + 4,
                Certainty::Exact
            ),
            (
                "sys.WriteSysctls".to_string(),
                "libcontainer/standard_init_linux.go".to_string(),
                rev.line_of(
                    "libcontainer/standard_init_linux.go",
                    "if err := sys.WriteSysctls"
                ),
                Certainty::Exact
            ),
        ]
    );
    assert_eq!(paths[0][0].from.display(), "main.init");
    assert_eq!(
        paths[0].iter().map(|l| l.depth).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    // Depth-limited callers walk the same chain backwards.
    let up = g.callers(&name("WriteSysctls"), 5);
    let froms: Vec<String> = up
        .iter()
        .map(|l| format!("{}:{}", l.depth, l.from.display()))
        .collect();
    assert_eq!(
        froms,
        [
            "1:libcontainer.(*linuxStandardInit).Init",
            "2:libcontainer.containerInit",
            "3:libcontainer.startInitialization",
            "4:libcontainer.Init",
            "5:main.init",
        ]
    );
}

#[test]
fn receivers_fields_interfaces_and_names() {
    let g = Revision::new(go_files()).graph();
    let callees = |s: &str| -> Vec<(String, Certainty)> {
        g.callees(&name(s))
            .iter()
            .map(|l| (l.to.display(), l.edge.certainty))
            .collect()
    };
    // `r.container.Run(p)`: a field of the receiver's struct, typed in another package.
    assert!(
        callees("(*runner).run")
            .contains(&("libcontainer.(*Container).Run".into(), Certainty::Exact))
    );
    // `c.cgroupManager.Apply`: an interface field; both managers with Apply and Destroy are
    // candidates, the type with Apply only is not.
    assert_eq!(
        callees("(*Container).start"),
        [
            ("fs.(*Manager).Apply".to_string(), Certainty::Dispatch),
            (
                "systemd.(*UnifiedManager).Apply".to_string(),
                Certainty::Dispatch
            ),
        ]
    );
    // `for _, c := range cs { c.Close() }`: unknown receiver, by method name.
    assert_eq!(
        callees("closeAll"),
        [(
            "libcontainer.(*Container).Close".to_string(),
            Certainty::ByName
        )]
    );
    // Calls outside the revision stay visible as externals; conversions are not calls.
    let std = callees("startInitialization");
    assert!(std.contains(&("os.Getenv".into(), Certainty::Exact)));
    assert!(std.contains(&("libcontainer.containerInit".into(), Certainty::Exact)));
    assert!(!std.iter().any(|(n, _)| n.contains("initType")));
    // A vendored package imported without alias, whose name differs from its path.
    let join = g.callers(&name("SecureJoin"), 1);
    assert_eq!(join.len(), 2);
    assert!(join.iter().all(|l| {
        l.edge.certainty == Certainty::Exact
            && l.to
                .path
                .starts_with("vendor/github.com/cyphar/filepath-securejoin/")
    }));
    assert_eq!(
        join[0].to.import_path.as_deref(),
        Some("github.com/cyphar/filepath-securejoin")
    );
}

#[test]
fn urfave_cli_actions_link_main_to_the_commands() {
    let rev = Revision::new(go_files());
    let g = rev.graph();
    let callers = g.callers(&name("startContainer"), 1);
    let froms: Vec<String> = callers.iter().map(|l| l.from.display()).collect();
    assert_eq!(froms, ["main.runCommand", "main.createAction"]);
    let action = g.callers(&name("createAction"), 1);
    assert_eq!(action.len(), 1);
    assert_eq!(
        (action[0].from.display(), action[0].edge.kind),
        ("main.createCommand".to_string(), RefKind::Value)
    );
    let paths = g.paths(&name("main.main"), &name("startContainer"), 5);
    let shapes: Vec<Vec<String>> = paths
        .iter()
        .map(|p| p.iter().map(|l| l.to.display()).collect())
        .collect();
    // Only the shortest: main -> createCommand -> createAction -> startContainer is longer.
    assert_eq!(shapes, [["main.runCommand", "main.startContainer"]]);
    assert_eq!(paths[0][0].edge.kind, RefKind::Value);
}

#[test]
fn shell_calls_resolve_through_sources() {
    let rev = Revision::new(shell_files());
    let g = rev.graph();
    // Defined, named in a comment, a string and a here-doc, never called.
    assert_eq!(g.defs(&name("_cai_docker_desktop_version")).len(), 1);
    assert!(
        g.callers(&name("_cai_docker_desktop_version"), 3)
            .is_empty()
    );
    for w in [
        "_cai_docker_desktop_version",
        "_cai_info",
        "_cai_error",
        "_cai_warn",
        "_cai_docker_ok",
        "_cai_select_context",
        "_cai_setup",
        "_cai_usage",
        "_cai_cleanup",
        "_cai_config_context",
        "test_docker_ok",
        "run_test",
    ] {
        assert_matches_grep(&rev, &g, w);
    }
    let how = |callee: &str| -> Vec<(String, u32, Certainty)> {
        g.callers(&name(callee), 1)
            .iter()
            .map(|l| {
                (
                    l.edge.site.path.to_string(),
                    l.edge.site.line,
                    l.edge.certainty,
                )
            })
            .collect()
    };
    // docker.sh sources core.sh; the test sources docker.sh, hence core.sh; setup.sh sources
    // neither (containai.sh sources them all): by name.
    assert!(
        how("_cai_info")
            .iter()
            .all(|(p, _, c)| { (p == "src/lib/setup.sh") == (*c == Certainty::ByName) })
    );
    let ok = how("_cai_docker_ok");
    assert_eq!(
        ok.iter()
            .map(|(p, _, c)| (p.as_str(), *c))
            .collect::<Vec<_>>(),
        [
            ("src/containai.sh", Certainty::Exact),
            ("src/lib/setup.sh", Certainty::ByName),
            ("tests/unit/test-docker.sh", Certainty::Exact),
        ]
    );
    let warn = how("_cai_warn");
    assert_eq!(
        warn,
        [(
            "tests/unit/test-docker.sh".to_string(),
            rev.line_of("tests/unit/test-docker.sh", "_cai_warn"),
            Certainty::Exact
        )]
    );
    // The trap handler is a call from _cai_setup; `command -v` names a function as a value.
    let cleanup = g.callers(&name("_cai_cleanup"), 1);
    assert_eq!(&*cleanup[0].from.name, "_cai_setup");
    let cfg = g.callers(&name("_cai_config_context"), 1);
    assert_eq!(
        cfg.iter().map(|l| l.edge.kind).collect::<Vec<_>>(),
        [RefKind::Value, RefKind::Call]
    );
    // Top-level code is the script's node.
    let top = g.callees(&name("src/containai.sh"));
    assert!(
        top.iter()
            .any(|l| &*l.to.name == "dirname" && l.to.kind == NodeKind::External)
    );
    assert!(top.iter().all(|l| l.from.kind == NodeKind::Script));
    let script_calls = g.callers(&name("_cai_setup"), 2);
    assert!(
        script_calls
            .iter()
            .any(|l| l.depth == 1 && &*l.from.name == "cai")
    );
    // Commands no script defines are externals: callers of `docker` are the functions running it.
    let docker: Vec<String> = g
        .callers(&name("docker"), 1)
        .iter()
        .map(|l| l.from.name.to_string())
        .collect();
    assert_eq!(docker, ["_cai_docker_desktop_version", "_cai_docker_ok"]);
}

#[test]
fn shell_paths_prefer_exact_hops_and_fall_back_to_by_name() {
    let g = Revision::new(shell_files()).graph();
    let p = g.paths(&name("cai"), &name("_cai_select_context"), 3);
    assert!(!p.is_empty());
    let shape: Vec<String> = p[0].iter().map(|l| l.to.name.to_string()).collect();
    assert_eq!(shape, ["_cai_docker_ok", "_cai_select_context"]);
    assert!(p[0].iter().all(|l| l.edge.certainty == Certainty::Exact));
    // setup.sh sources nothing: its path to _cai_select_context exists only by name.
    let p = g.paths(&name("_cai_setup"), &name("_cai_select_context"), 3);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].len(), 1);
    assert_eq!(p[0][0].edge.certainty, Certainty::ByName);
}

#[test]
fn module_path_from_go_mod() {
    assert_eq!(
        go_module_path("// comment\nmodule github.com/opencontainers/runc\n\ngo 1.23.0\n")
            .as_deref(),
        Some("github.com/opencontainers/runc")
    );
    assert_eq!(
        go_module_path("module \"example.com/x\" // quoted\n").as_deref(),
        Some("example.com/x")
    );
    assert_eq!(go_module_path("go 1.22\n"), None);
    assert_eq!(go_module_path("modules x\n"), None);
}

#[test]
fn nested_modules_and_vendored_import_paths() {
    let a = go::parse("package api\n\nfunc Version() string { return \"1\" }\n").0;
    let b = go::parse(
        "package main\n\nimport \"example.com/app/api\"\n\nfunc main() { api.Version() }\n",
    )
    .0;
    let files = [("api/api.go", &a), ("cmd/app/main.go", &b)];
    let g = Graph::build(
        &files,
        &[
            GoModule {
                dir: "",
                path: "example.com/app",
            },
            GoModule {
                dir: "api",
                path: "example.com/app/api",
            },
        ],
    );
    let c = g.callers(&name("api.Version"), 1);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].to.import_path.as_deref(), Some("example.com/app/api"));
    assert_eq!(c[0].from.display(), "main.main");
}

// ---- Real upstreams, checked by hand ----
//
// Ignored by default: they need bare clones named by environment variables, and they print
// what a reader compares with `git grep` (and extraction cost figures: run them in release).
//
//   ARCHEO_RUNC_GIT=/path/to/runc.git ARCHEO_CONTAINAI_GIT=/path/to/ContainAI.git \
//     cargo test --release --test xref -- --ignored --nocapture --test-threads 1

fn git_bytes(git_dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("git runs");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "git {args:?} failed");
    out.stdout
}

/// Every file of `rev` whose path `keep` accepts, as (path, text), read with one
/// `git cat-file --batch`.
fn load(git_dir: &Path, rev: &str, keep: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    let tree = String::from_utf8(git_bytes(
        git_dir,
        &["ls-tree", "-r", "--full-tree", rev],
        None,
    ))
    .unwrap();
    let mut wanted: Vec<(String, String)> = tree
        .lines()
        .filter_map(|l| {
            let (meta, path) = l.split_once('\t')?;
            let mut m = meta.split(' ');
            let (_mode, kind, id) = (m.next()?, m.next()?, m.next()?);
            (kind == "blob" && keep(path)).then(|| (id.to_string(), path.to_string()))
        })
        .collect();
    wanted.sort_by(|a, b| a.1.cmp(&b.1));
    let ids: String = wanted.iter().map(|(id, _)| format!("{id}\n")).collect();
    let out = git_bytes(git_dir, &["cat-file", "--batch"], Some(ids.as_bytes()));
    let mut files = Vec::new();
    let mut at = 0;
    for (_, path) in wanted {
        let nl = at + out[at..].iter().position(|&b| b == b'\n').unwrap();
        let header = std::str::from_utf8(&out[at..nl]).unwrap();
        let size: usize = header.rsplit(' ').next().unwrap().parse().unwrap();
        let body = &out[nl + 1..nl + 1 + size];
        at = nl + 1 + size + 1;
        files.push((path, String::from_utf8_lossy(body).into_owned()));
    }
    files
}

fn git_grep(git_dir: &Path, rev: &str, word: &str, paths: &[&str]) -> Vec<(String, u32)> {
    let mut args = vec!["grep", "-n", "-w", word, rev, "--"];
    args.extend_from_slice(paths);
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(&args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(4, ':');
            let (_rev, path, line) = (parts.next()?, parts.next()?, parts.next()?);
            Some((path.to_string(), line.parse().ok()?))
        })
        .collect()
}

fn upstream(var: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os(var)?;
    Some(dir.into())
}

fn show_links(title: &str, links: &[Link]) {
    println!("{title}: {} site(s)", links.len());
    for l in links {
        println!(
            "  depth {} {}:{}:{} {} -> {} [{}, {}]",
            l.depth,
            l.edge.site.path,
            l.edge.site.line,
            l.edge.site.col,
            l.from.display(),
            l.to.display(),
            l.edge.certainty.as_str(),
            match l.edge.kind {
                RefKind::Call => "call",
                RefKind::Value => "value",
            }
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// CPU time this thread has run (Linux schedstat), so figures hold on a loaded machine; wall
/// time where that is not available.
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_else(|| {
            static T0: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
            T0.get_or_init(Instant::now).elapsed()
        })
}

/// The least CPU time of `runs` runs of `f`.
fn best_of(runs: usize, f: &mut dyn FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = thread_cpu();
            f();
            thread_cpu() - t
        })
        .min()
        .unwrap()
}

#[test]
#[ignore = "needs ARCHEO_RUNC_GIT (a runc clone); prints figures"]
fn upstream_runc_callers_of_write_sysctls_and_extraction_cost() {
    let Some(dir) = upstream("ARCHEO_RUNC_GIT") else {
        eprintln!("skipped: set ARCHEO_RUNC_GIT to a runc clone");
        return;
    };
    let rev = std::env::var("ARCHEO_RUNC_REV").unwrap_or_else(|_| "v1.3.3".into());
    let sources = load(&dir, &rev, |p| p.ends_with(".go") || p == "go.mod");
    let module = sources
        .iter()
        .find(|(p, _)| p == "go.mod")
        .and_then(|(_, s)| go_module_path(s))
        .expect("go.mod declares the module");
    let go_files: Vec<&(String, String)> =
        sources.iter().filter(|(p, _)| p.ends_with(".go")).collect();
    let bytes: usize = go_files.iter().map(|(_, s)| s.len()).sum();

    // Cost: the whole parse stage, tree-sitter alone, and reference extraction alone, on one
    // thread, least CPU time of 5 runs.
    let full = best_of(5, &mut || {
        for (_, s) in &go_files {
            std::hint::black_box(go::parse(s));
        }
    });
    let trees: Vec<_> = go_files
        .iter()
        .map(|(_, s)| go::parse_tree(s).unwrap())
        .collect();
    let tree_only = best_of(5, &mut || {
        for (_, s) in &go_files {
            std::hint::black_box(go::parse_tree(s));
        }
    });
    let refs_only = best_of(5, &mut || {
        for ((_, s), tree) in go_files.iter().zip(&trees) {
            let mut p = Parsed::default();
            go::refs::extract(tree.root_node(), s.as_bytes(), &mut p);
            std::hint::black_box(p);
        }
    });
    let parsed: Vec<(String, Parsed)> = go_files
        .iter()
        .map(|(p, s)| (p.clone(), go::parse(s).0))
        .collect();
    let refs: usize = parsed.iter().map(|(_, p)| p.refs.len()).sum();
    let types: usize = parsed.iter().map(|(_, p)| p.types.len()).sum();
    let json_all: usize = parsed
        .iter()
        .map(|(_, p)| serde_json::to_vec(p).unwrap().len())
        .sum();
    let json_new: usize = parsed
        .iter()
        .map(|(_, p)| serde_json::to_vec(&(&p.refs, &p.types)).unwrap().len())
        .sum();
    println!(
        "runc {rev}: {} Go files, {:.1} MiB, module {module}",
        go_files.len(),
        bytes as f64 / 1048576.0
    );
    println!(
        "  parse stage {:.0} ms = tree-sitter {:.0} ms + extraction; reference extraction alone {:.0} ms \
         (+{:.0}% over the parse stage without it)",
        ms(full),
        ms(tree_only),
        ms(refs_only),
        100.0 * refs_only.as_secs_f64() / (full - refs_only).as_secs_f64()
    );
    println!(
        "  {refs} refs, {types} types; facts as JSON {:.1} MiB, of which refs+types {:.1} MiB",
        json_all as f64 / 1048576.0,
        json_new as f64 / 1048576.0
    );

    let files: Vec<(&str, &Parsed)> = parsed.iter().map(|(p, x)| (p.as_str(), x)).collect();
    let mut graph = None;
    let build = best_of(3, &mut || {
        graph = Some(Graph::build(
            &files,
            &[GoModule {
                dir: "",
                path: &module,
            }],
        ));
    });
    let g = graph.unwrap();
    let n = Name::parse("WriteSysctls").unwrap();
    // Wall time over many runs: schedstat advances only at scheduler ticks, too coarse here.
    let t = Instant::now();
    for _ in 0..1000 {
        std::hint::black_box(g.callers(&n, 1));
    }
    let query = t.elapsed() / 1000;
    let t = Instant::now();
    for _ in 0..1000 {
        std::hint::black_box(g.callers(&n, 6));
    }
    let query_deep = t.elapsed() / 1000;
    let by = |c: Certainty| g.edges().iter().filter(|e| e.certainty == c).count();
    println!(
        "  graph: {} nodes, {} edges ({} exact, {} dispatch, {} by-name), built in {:.0} ms; callers WriteSysctls in {:.4} ms (depth 6: {:.4} ms)",
        g.nodes().len(),
        g.edges().len(),
        by(Certainty::Exact),
        by(Certainty::Dispatch),
        by(Certainty::ByName),
        ms(build),
        ms(query),
        ms(query_deep)
    );

    let mut kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for node in g.nodes() {
        *kinds.entry(format!("{:?}", node.kind)).or_default() += 1;
    }
    println!("  nodes by kind: {kinds:?}");
    let callers = g.callers(&n, 1);
    show_links("callers WriteSysctls", &callers);
    let grep = git_grep(&dir, &rev, "WriteSysctls", &[]);
    println!("git grep -n -w WriteSysctls {rev}:");
    for (p, l) in &grep {
        println!("  {p}:{l}");
    }
    let defs: Vec<(String, u32)> = g
        .defs(&n)
        .iter()
        .map(|d| (d.path.to_string(), d.start))
        .collect();
    let owned: Vec<(String, String)> = go_files
        .iter()
        .map(|(p, s)| (p.clone(), s.clone()))
        .collect();
    let want: Vec<(String, u32)> = grep_code_owned(&owned, "WriteSysctls")
        .into_iter()
        .filter(|s| !defs.contains(s))
        .collect();
    assert_eq!(
        sites(&callers),
        want,
        "every code line git grep finds, and nothing else"
    );
    assert!(want.iter().all(|s| grep.contains(s)));

    if let Ok(names) = std::env::var("ARCHEO_RUNC_NAMES") {
        let names: Vec<String> = names.split(',').map(str::to_string).collect();
        compare_with_line_scan(&g, &dir, &rev, &owned, &names);
    }
    show_links("callers WriteSysctls --depth 6", &g.callers(&n, 6));
    let paths = g.paths(&Name::parse("main.init").unwrap(), &n, 3);
    for (i, p) in paths.iter().enumerate() {
        show_links(&format!("path {} main.init -> WriteSysctls", i + 1), p);
    }
    assert!(!paths.is_empty());
}

#[test]
#[ignore = "needs ARCHEO_CONTAINAI_GIT (a ContainAI clone); prints figures"]
fn upstream_containai_shell_callers() {
    let Some(dir) = upstream("ARCHEO_CONTAINAI_GIT") else {
        eprintln!("skipped: set ARCHEO_CONTAINAI_GIT to a ContainAI clone");
        return;
    };
    let rev = std::env::var("ARCHEO_CONTAINAI_REV").unwrap_or_else(|_| "main".into());
    let all = load(&dir, &rev, |_| true);
    let shell: Vec<(String, String)> = all
        .into_iter()
        .filter(|(p, s)| Lang::detect_with(p, s.lines().next().unwrap_or("")) == Lang::Shell)
        .collect();
    let parse = best_of(3, &mut || {
        for (_, s) in &shell {
            std::hint::black_box(bash::parse(s));
        }
    });
    let tree_only = best_of(3, &mut || {
        for (_, s) in &shell {
            std::hint::black_box(bash::parse_tree(s));
        }
    });
    let parsed: Vec<(String, Parsed)> = shell
        .iter()
        .map(|(p, s)| (p.clone(), bash::parse(s).0))
        .collect();
    let errors: Vec<&str> = parsed
        .iter()
        .filter(|(_, p)| p.error_nodes > 0)
        .map(|(p, _)| p.as_str())
        .collect();
    let files: Vec<(&str, &Parsed)> = parsed.iter().map(|(p, x)| (p.as_str(), x)).collect();
    let t = Instant::now();
    let g = Graph::build(&files, &[]);
    let build = t.elapsed();
    let by = |c: Certainty| g.edges().iter().filter(|e| e.certainty == c).count();
    println!(
        "ContainAI {rev}: {} shell files ({} with syntax errors: {errors:?}), parsed in {:.0} ms (tree-sitter alone {:.0} ms); graph {} nodes, {} edges ({} exact, {} by-name) in {:.0} ms",
        shell.len(),
        errors.len(),
        ms(parse),
        ms(tree_only),
        g.nodes().len(),
        g.edges().len(),
        by(Certainty::Exact),
        by(Certainty::ByName),
        ms(build)
    );
    let names: Vec<String> = std::env::var("ARCHEO_CONTAINAI_NAMES")
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_else(|_| {
            [
                "_cai_docker_desktop_version",
                "_cai_select_context",
                "_cai_expected_docker_host",
                "_cai_sandbox_available",
                "_containai_libs_exist",
                "_cai_error",
            ]
            .map(str::to_string)
            .to_vec()
        });
    compare_with_line_scan(&g, &dir, &rev, &shell, &names);
}

/// For each name: the sites `callers NAME` reports beside the code lines `git grep -w NAME`
/// finds (the line scan), printing every line where they disagree for a reader to judge.
fn compare_with_line_scan(
    g: &Graph,
    dir: &Path,
    rev: &str,
    files: &[(String, String)],
    names: &[String],
) {
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let mut mismatches = 0;
    for word in names {
        let n = Name::parse(word).unwrap();
        let callers = g.callers(&n, 1);
        let defs: Vec<(String, u32)> = g
            .defs(&n)
            .iter()
            .map(|d| (d.path.to_string(), d.start))
            .collect();
        let grep = if paths.len() < 2000 {
            git_grep(dir, rev, word, &paths)
        } else {
            git_grep(dir, rev, word, &[])
        };
        let calls_only = std::env::var_os("ARCHEO_LINE_SCAN_CALLS").is_some();
        let code: Vec<(String, u32)> = grep_code_with(files, word, calls_only)
            .into_iter()
            .filter(|s| !defs.contains(s))
            .collect();
        let got = sites(&callers);
        let count = |c: Certainty| callers.iter().filter(|l| l.edge.certainty == c).count();
        println!(
            "{word}: {} def(s) {defs:?}; {} reported site(s) ({} exact, {} dispatch, {} by-name); git grep -w: {} line(s), {} of them code by the line scan",
            defs.len(),
            got.len(),
            count(Certainty::Exact),
            count(Certainty::Dispatch),
            count(Certainty::ByName),
            grep.len(),
            code.len()
        );
        if got.len() <= 12 {
            show_links(&format!("  callers {word}"), &callers);
        }
        for s in code.iter().filter(|s| !got.contains(s)) {
            mismatches += 1;
            println!(
                "  MISSED? {}:{} (code by the line scan, not reported)",
                s.0, s.1
            );
        }
        for s in got.iter().filter(|s| !code.contains(s)) {
            mismatches += 1;
            println!(
                "  EXTRA? {}:{} (reported, not code by the line scan)",
                s.0, s.1
            );
        }
        assert!(
            got.iter().all(|s| grep.contains(s)),
            "every reported site of {word} is a git grep line"
        );
    }
    println!("{mismatches} line(s) where the graph and the line scan disagree (read them above)");
}
