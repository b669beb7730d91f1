//! Two binaries, one command line (src/cli/front.rs): `archeo` answers `search` itself and hands
//! every other command, and searches naming rules, to `archeo-full` beside it, passing its build
//! digest; `archeo-full` refuses an `archeo` of another build; `archeo` alone says what is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

use common::*;

/// The workspace's environment on another binary than the one `Workspace::archeo` runs.
fn in_ws(ws: &Workspace, bin: &Path) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(ws.path());
    for (k, v) in ws.archeo().get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c
}

/// A copy of this build's `archeo` alone in a directory of its own.
fn lone_archeo(dir: &Path) -> PathBuf {
    let bin = dir.join("archeo");
    std::fs::copy(env!("CARGO_BIN_EXE_archeo"), &bin).unwrap();
    bin
}

fn indexed() -> Workspace {
    let (ws, _, _) = fetched_project("\"v1.*\"");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    ws
}

#[test]
fn archeo_alone_searches_and_names_archeo_full_for_every_other_command() {
    let ws = indexed();
    let whole = run(ws.archeo().args(["search", "openat2", "--format", "json"]));
    assert_eq!(whole.0, 0, "{}", whole.2);
    assert!(whole.1.contains("\"type\":\"hit\""), "{}", whole.1);
    // archeo-full run directly answers the same.
    let full = run(in_ws(&ws, Path::new(env!("CARGO_BIN_EXE_archeo-full")))
        .args(["search", "openat2", "--format", "json"]));
    assert_eq!(full, whole);

    let dir = tempfile::tempdir().unwrap();
    let lone = lone_archeo(dir.path());
    // A search runs in archeo itself: same answer without archeo-full.
    let alone = run(in_ws(&ws, &lone).args(["search", "openat2", "--format", "json"]));
    assert_eq!(alone, whole);
    let (code, out, _) = run(in_ws(&ws, &lone).arg("--help"));
    assert_eq!(code, 0);
    assert!(out.contains("Usage: archeo"), "{out}");
    // Every other command, and a search naming rules (it reads the findings store), needs it.
    let missing = format!("{} is missing", dir.path().join("archeo-full").display());
    for args in [
        &["pins"][..],
        &["search", "rule:sysctl-write"],
        &["search", "openat2 -rule:sysctl-write"],
    ] {
        let (code, out, err) = run(in_ws(&ws, &lone).args(args));
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(err.contains(&missing), "{args:?}: {err}");
        assert!(err.contains("cargo build --release"), "{err}");
    }
}

#[test]
fn archeo_hands_over_its_arguments_and_build_and_returns_the_exit_code() {
    let ws = Workspace::new();
    let dir = tempfile::tempdir().unwrap();
    let lone = lone_archeo(dir.path());
    // A stand-in archeo-full that records what it was given and exits 7.
    let log = dir.path().join("args.txt");
    let full = dir.path().join("archeo-full");
    std::fs::write(
        &full,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nexit 7\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o755)).unwrap();

    let (code, _, err) = run(in_ws(&ws, &lone).args(["explain", "a message", "--at", "x@y"]));
    assert_eq!(code, 7, "{err}");
    let got = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines.len(), 5, "{got}");
    assert!(lines[0].starts_with("--archeo-front-build="), "{got}");
    assert_eq!(&lines[1..], ["explain", "a message", "--at", "x@y"]);
    // The real archeo-full takes that digest: it is its own.
    let id = lines[0].trim_start_matches("--archeo-front-build=");
    let (code, out, err) = run(Command::new(env!("CARGO_BIN_EXE_archeo-full"))
        .arg(lines[0])
        .arg("--version"));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("archeo "), "{out}");
    assert!(
        !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
}

#[test]
fn archeo_full_refuses_an_archeo_of_another_build() {
    let ws = Workspace::new();
    let (code, out, err) = run(in_ws(&ws, Path::new(env!("CARGO_BIN_EXE_archeo-full")))
        .args(["--archeo-front-build=0123456789abcdef", "pins"]));
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("comes from another build than the archeo that started it"),
        "{err}"
    );
    assert!(err.contains("build 0123456789abcdef"), "{err}");
    assert!(err.contains("cargo build --release"), "{err}");
}

/// build.rs links `archeo` position-dependent on Linux (no loader relocations at start) and
/// leaves `archeo-full`, which runs the network, the server and tree-sitter, as the toolchain
/// makes it (position-independent by default); where build.rs leaves both alone (ARCHEO_PIE=1,
/// a static C runtime, RUSTFLAGS' own relocation model) the two are alike.
#[cfg(target_os = "linux")]
#[test]
fn the_front_is_position_dependent_and_the_full_binary_is_not() {
    // ELF e_type, at byte 16: 2 = ET_EXEC (fixed address), 3 = ET_DYN (PIE).
    let e_type = |p: &str| {
        let b = std::fs::read(p).unwrap();
        u16::from_le_bytes([b[16], b[17]])
    };
    let (front, full) = (
        e_type(env!("CARGO_BIN_EXE_archeo")),
        e_type(env!("CARGO_BIN_EXE_archeo-full")),
    );
    match env!("ARCHEO_FRONT_LINK") {
        "no-pie" => assert_eq!((front, full), (2, 3)),
        _ => assert_eq!(front, full),
    }
}
