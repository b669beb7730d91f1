//! What a hostile upstream or artifact does to the parts merged after the first reliability
//! pass (issue 19): dependency files (Makefile, shell, Dockerfile, go.mod) written to blow up
//! `archeo index` exponentially, quadratically or through the stack, and artifacts written to
//! crash or flood `archeo identify` (truncated and mangled ELF files, archives nested past the
//! limit or lying about their sizes, Debian packages with hostile control files). Never a panic
//! or an abort, always an answer or a clear error, in bounded time. Every test runs the real
//! binary; `ARCHEO_TEST_BIN` runs them against another one (to see them fail before).

use crate::artifact_fixtures;
use crate::common;

use std::io::Read;
use std::process::Stdio;

use artifact_fixtures::{Format, GoBinary, deb, gzip, tar};
use common::*;

/// Rounds of the random parts (byte flips): 1 in CI, more by hand
/// (`ARCHEO_RELIABILITY_ROUNDS=N`).
fn rounds() -> usize {
    std::env::var("ARCHEO_RELIABILITY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// Runs archeo with a hang guard and a memory ceiling (so a blow-up fails the test instead of
/// the machine): `(exit code, stdout, stderr)`, or `None` when it took longer than `secs`.
fn guarded(ws: &Workspace, args: &[&str], secs: u64) -> Option<(i32, String, String)> {
    let bin = std::env::var_os("ARCHEO_TEST_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_BIN_EXE_archeo")));
    let mut c = std::process::Command::new("sh");
    c.args(["-c", "ulimit -v 4000000; exec \"$@\"", "sh"])
        .arg(bin)
        .args(args);
    let template = ws.archeo();
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.current_dir(ws.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let (mut o, mut e) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        o.read_to_end(&mut s).ok();
        String::from_utf8_lossy(&s).into_owned()
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        e.read_to_end(&mut s).ok();
        String::from_utf8_lossy(&s).into_owned()
    });
    let code = wait_at_most(&mut child, secs);
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    code.map(|c| (c, out, err))
}

/// A clean exit: grep-like codes only, no panic, no abort (stack overflow), no kill.
fn assert_clean(what: &str, r: Option<(i32, String, String)>) -> (i32, String, String) {
    let Some((code, out, err)) = r else {
        panic!("{what}: still running after the time limit");
    };
    assert!(
        matches!(code, 0..=2) && !err.contains("panicked") && !err.contains("overflow"),
        "{what}: exit {code}\n{}",
        err.chars().take(2000).collect::<String>()
    );
    (code, out, err)
}

fn repeat(n: usize, f: impl Fn(usize) -> String) -> String {
    (0..n).map(f).collect()
}

#[test]
fn hostile_dependency_files_are_indexed_in_bounded_time_and_space() {
    let ws = Workspace::new();
    let up = ws.repo("hostile");
    // Doubling on every line: 2^64 bytes if values were kept whole.
    up.write(
        "Makefile",
        format!(
            "RUNC_VERSION := v1.0.0\n{}",
            repeat(64, |_| "RUNC_VERSION := $(RUNC_VERSION)$(RUNC_VERSION)\n"
                .into())
        ),
    );
    up.write(
        "hack/double.sh",
        format!(
            "#!/bin/sh\nRUNC_VERSION=v1.0.0\n{}",
            repeat(64, |_| "RUNC_VERSION=$RUNC_VERSION$RUNC_VERSION\n".into())
        ),
    );
    up.write(
        "Dockerfile",
        format!(
            "ARG GO_VERSION=1.22\n{}FROM golang:${{GO_VERSION}}\nRUN A=v1{}\n",
            repeat(64, |_| "ARG GO_VERSION=${GO_VERSION}${GO_VERSION}\n".into()),
            repeat(64, |_| " && A=$A$A".into())
        ),
    );
    // Nesting thousands deep: the lexer and the expansion must not recurse that far.
    up.write(
        "hack/nested.sh",
        format!(
            "#!/bin/sh\nRUNC_VERSION={}v1.0.0{}\nCOMMIT={}x{}\nA=\"{}\"\n",
            "${X:-".repeat(20_000),
            "}".repeat(20_000),
            "$(cat ".repeat(20_000),
            ")".repeat(20_000),
            "$(echo \"".repeat(20_000)
        ),
    );
    // Forty thousand chained build stages, each copying its parent's ENV (quadratic if read).
    up.write(
        "Dockerfile.stages",
        format!(
            "FROM alpine:3.20 AS s0\n{}",
            repeat(40_000, |i| format!(
                "FROM s{i} AS s{}\nENV V{i}=1.{i}\n",
                i + 1
            ))
        ),
    );
    // Four thousand variables copied into each of sixty thousand RUN commands.
    up.write(
        "Dockerfile.runs",
        format!(
            "FROM alpine:3.20\n{}{}",
            repeat(4000, |i| format!("ENV V{i}=1.{i}\n")),
            "RUN true\n".repeat(60_000)
        ),
    );
    // Long chains: each value recorded with every variable it came from (quadratic if kept).
    up.write(
        "hack/chain.sh",
        format!(
            "#!/bin/sh\nV0=v1.0.{}\n{}RUNC_VERSION=$V4999\ngit checkout \"$RUNC_VERSION\"\n",
            "0".repeat(200),
            repeat(4999, |i| format!("V{}=$V{i}\n", i + 1))
        ),
    );
    up.write(
        "mk/chain.mk",
        format!(
            "V0 := v1.0.{}\n{}",
            "0".repeat(1000),
            repeat(4999, |i| format!("V{} := $(V{i})\n", i + 1))
        ),
    );
    // Continuation lines by the hundred thousand.
    up.write(
        "mk/long.mk",
        format!("TOOL_VERSION := 1.0{}\n", " \\\n x".repeat(100_000)),
    );
    // go.mod and friends: unterminated blocks and strings, stray parentheses.
    up.write(
        "go.mod",
        format!(
            "module example.com/hostile\n\nrequire (\n{}\texample.com/a \"v1.0.0\n{}",
            repeat(2000, |i| format!("\texample.com/m{i} v1.{i}.0\n")),
            "(".repeat(50_000)
        ),
    );
    up.write(
        "vendor/modules.txt",
        format!(
            "# example.com/a v1.0.0 =>{}\n## explicit\n",
            " =>".repeat(10_000)
        ),
    );
    up.write(
        ".gitmodules",
        format!(
            "[submodule \"{}\n\tpath = \"\n\turl = \\\n",
            "\"".repeat(10_000)
        ),
    );
    up.commit("hostile");
    up.tag("v1.0.0");
    ws.manifest(&format!(
        "[[repo]]\nname = \"hostile\"\nurl = \"{}\"\nrevs = [\"v1.0.0\"]\n",
        up.url()
    ));
    assert_clean("fetch", guarded(&ws, &["fetch"], 120));
    let (code, _, err) = assert_clean("index", guarded(&ws, &["index"], 300));
    assert_eq!(code, 0, "{err}");
    for format in ["json", "text"] {
        let (code, out, err) = assert_clean(
            "deps",
            guarded(
                &ws,
                &["deps", "hostile@v1.0.0", "--all", "--format", format],
                120,
            ),
        );
        assert_eq!(code, 0, "{err}");
        // Edges stay about as large as the files they were read from (a few MB), not gigabytes.
        assert!(out.len() < 64 << 20, "deps printed {} bytes", out.len());
        assert!(out.contains("go.mod"), "{}", &out[..out.len().min(2000)]);
    }
}

/// Runs `archeo identify FILE` on `bytes` written to `name`.
fn identify(ws: &Workspace, name: &str, bytes: &[u8], format: &str) -> (i32, String, String) {
    let path = ws.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    assert_clean(
        name,
        guarded(
            ws,
            &["identify", &path.display().to_string(), "--format", format],
            120,
        ),
    )
}

fn go_binary() -> Vec<u8> {
    GoBinary::new(
        Format::Inline,
        "path\tgithub.com/acme/proj/cmd/proj\nmod\tgithub.com/acme/proj\tv1.1.0\t\nbuild\tvcs=git\nbuild\tvcs.revision=0123456789abcdef0123456789abcdef01234567\n",
    )
    .inject("main.version", "1.1.0")
    .build()
}

/// A workspace whose manifest pins a project (nothing fetched: identify reads the lock only).
fn identify_workspace() -> Workspace {
    let (ws, _, _) = fetched_project("\"v1.0.0\"");
    ws
}

#[test]
fn truncated_and_mangled_elf_files_are_reported_never_crash() {
    let ws = identify_workspace();
    let elf = go_binary();
    let mut seen = std::collections::BTreeSet::new();
    // Cut anywhere: in the header, the program headers, the build info, the section headers.
    let mut cuts: Vec<usize> = (0..64).map(|i| i * elf.len() / 64).collect();
    cuts.extend([1, 4, 5, 16, 52, 63, 64, 65, elf.len() - 1]);
    for cut in cuts {
        let (code, out, _) = identify(&ws, "cut", &elf[..cut], "json");
        for line in out.lines() {
            serde_json::from_str::<serde_json::Value>(line).expect("JSON lines");
        }
        seen.insert(code);
    }
    // Header fields set to the extremes: offsets, sizes and addresses near 2^64 (overflow).
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut mangled = 0;
    for round in 0..96 * rounds() {
        let mut b = elf.clone();
        for _ in 0..4 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            // Most flips in the ELF and program headers, some in the section headers at the end.
            let at = if round % 3 == 0 {
                b.len() - 1 - (rng as usize % 512.min(b.len()))
            } else {
                rng as usize % 256.min(b.len())
            };
            b[at] = if rng & 0x100 == 0 { 0xff } else { b[at] ^ 0x80 };
        }
        let (code, _, _) = identify(&ws, "mangled", &b, "text");
        seen.insert(code);
        mangled += 1;
    }
    eprintln!("ELF files truncated: 73, mangled: {mangled}, exit codes seen: {seen:?}");
}

#[test]
fn archives_nested_too_deep_or_lying_about_sizes_are_skipped_with_a_note() {
    let ws = identify_workspace();
    let elf = go_binary();
    // A layer nested in 40 gzip levels: read to the limit, then a note.
    let mut nested = tar(&[("usr/bin/proj", &elf)], &[]);
    for _ in 0..40 {
        nested = gzip(&nested);
    }
    let (code, out, _) = identify(&ws, "nested.tar.gz", &nested, "text");
    assert!(out.contains("nested 12 levels deep"), "exit {code}: {out}");
    // Tars within tars within tars.
    let mut tars = tar(&[("usr/bin/proj", &elf)], &[]);
    for i in 0..40 {
        tars = tar(&[(&format!("layer{i}.tar"), &tars)], &[]);
    }
    let (_, out, _) = identify(&ws, "tars.tar", &tars, "text");
    assert!(out.contains("levels deep"), "{out}");
    // A member whose header claims 64 GiB: no allocation of that size, a note.
    let mut h = tar::Header::new_gnu();
    h.set_path("usr/bin/huge").unwrap();
    h.set_size(64 << 30);
    h.set_mode(0o755);
    h.set_cksum();
    let mut lying = h.as_bytes().to_vec();
    lying.extend_from_slice(&elf);
    let (_, out, err) = identify(&ws, "lying.tar", &lying, "text");
    assert!(
        out.contains("larger than the") || err.contains("lying.tar"),
        "{out}{err}"
    );
    // Ten thousand empty members, and 256 MiB of zeros compressed to a quarter of a megabyte.
    let names: Vec<String> = (0..10_000).map(|i| format!("f{i}")).collect();
    let many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let (code, _, _) = identify(&ws, "many.tar", &tar(&many, &[]), "text");
    assert!(code <= 2);
    let mut zeros = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let block = vec![0u8; 1 << 20];
    for _ in 0..256 {
        std::io::Write::write_all(&mut zeros, &block).unwrap();
    }
    let (code, _, _) = identify(&ws, "zeros.tar.gz", &zeros.finish().unwrap(), "text");
    assert!(code <= 2);
}

#[test]
fn debian_packages_with_hostile_control_files_are_read_as_text() {
    let ws = identify_workspace();
    let data = tar(&[("usr/share/doc/proj/README", b"docs")], &[]);
    // Escape sequences that would clear the screen, retitle the terminal and forge a line.
    let control = "Package: proj\u{1b}[2J\u{1b}]0;owned\u{7}\nVersion: 1.1.0-1\u{1b}[8m\nSource: ((((((\nBuilt-Using: ,,,(=,(= ),\nDescription: x\n";
    let (_, out, _) = identify(&ws, "esc.deb", &deb(control, &data), "text");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("\\u{1b}[2J"), "{out}");
    // A control file of 32 MiB on one line, and one of a million continuation lines.
    let huge = format!(
        "Package: proj\nVersion: 1.1.0-1\nDescription: {}\n",
        "x".repeat(32 << 20)
    );
    let (code, _, _) = identify(&ws, "huge.deb", &deb(&huge, &data), "json");
    assert!(code <= 2);
    let cont = format!(
        "Package: proj\nVersion: 1.1.0-1\nDescription: x\n{}",
        " .\n".repeat(1 << 20)
    );
    let (code, _, _) = identify(&ws, "cont.deb", &deb(&cont, &data), "json");
    assert!(code <= 2);
    // No control file at all, and a package that is only its magic.
    let (_, out, _) = identify(
        &ws,
        "none.deb",
        &deb("Description: nothing\n", &data),
        "text",
    );
    assert!(out.contains("control"), "{out}");
    let (code, _, err) = identify(&ws, "magic.deb", b"!<arch>\n", "text");
    assert!(code <= 2, "{err}");
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_refused_not_waited_on() {
    let ws = identify_workspace();
    let fifo = ws.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for path in [fifo.display().to_string(), "/dev/zero".to_string()] {
        let (code, _, err) = assert_clean(&path, guarded(&ws, &["identify", &path], 30));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("not a regular file"), "{err}");
    }
}

/// A tree object written raw: `(mode, name, hex id)` entries, as git would never write them.
fn raw_tree(repo: &GitRepo, entries: &[(&str, &[u8], &str)]) -> String {
    let mut raw = Vec::new();
    for (mode, name, id) in entries {
        raw.extend_from_slice(mode.as_bytes());
        raw.push(b' ');
        raw.extend_from_slice(name);
        raw.push(0);
        raw.extend((0..20).map(|i| u8::from_str_radix(&id[2 * i..2 * i + 2], 16).unwrap()));
    }
    let file = repo.dir.join(".git").join("raw-tree");
    std::fs::write(&file, raw).unwrap();
    repo.git(&[
        "hash-object",
        "-w",
        "-t",
        "tree",
        "--literally",
        file.to_str().unwrap(),
    ])
}

/// Issue 32: tree entries named `sl/ash.go` (a slash inside one name), `..` and `.`, possible
/// in a raw git tree. Indexing refuses them by name and says so; no other file's path shifts
/// (`xss.go` stays `script/setup/xss.go`); no permalink leaves its commit.
#[test]
fn tree_entries_named_like_paths_are_refused_and_never_joined() {
    let ws = Workspace::new();
    let up = ws.repo("raw");
    let blob = |name: &str, text: &str| {
        up.write(name, text);
        up.git(&["hash-object", "-w", name])
    };
    let slash = blob(
        "a.txt",
        "package setup\n\n// Slash sits in a file whose name holds a slash.\nfunc Slash() {}\n",
    );
    let xss = blob(
        "b.txt",
        "package setup\n\n// XSS lives in xss.go.\nfunc XSS() {}\n",
    );
    let passwd = blob("c.txt", "root:x:0:0:needle:/root:/bin/sh\n");
    let setup = raw_tree(
        &up,
        &[
            ("100644", b"sl/ash.go", &slash),
            ("100644", b"xss.go", &xss),
        ],
    );
    let script = raw_tree(&up, &[("40000", b"setup", &setup)]);
    let root = raw_tree(
        &up,
        &[
            ("100644", b"..", &passwd),
            ("100644", b".", &passwd),
            ("40000", b"script", &script),
        ],
    );
    let commit = up.git(&["commit-tree", &root, "-m", "raw tree"]);
    up.git(&["tag", "v1.0.0", &commit]);
    ws.manifest(
        "[[repo]]\nname = \"raw\"\nurl = \"https://github.com/o/raw\"\nrevs = [\"v1.*\"]\n",
    );
    let mirrored = |args: &[&str]| {
        let mut c = ws.archeo();
        c.args(args)
            .env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", format!("url.{}.insteadOf", up.url()))
            .env("GIT_CONFIG_VALUE_0", "https://github.com/o/raw");
        run(&mut c)
    };
    let (code, _, err) = mirrored(&["fetch"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = archeo(&ws, &["index"]);
    assert_eq!(code, 0, "{err}");
    for name in ["\"..\"", "\".\"", "\"sl/ash.go\" in script/setup"] {
        assert!(
            err.contains(&format!("warning: raw@v1.0.0: tree entry {name} refused")),
            "{name}: {err}"
        );
    }
    let (code, out, _) = archeo(&ws, &["search", "XSS", "--format", "json"]);
    assert_eq!(code, 0);
    let hits: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!hits.is_empty());
    for h in &hits {
        assert_eq!(h["cite"]["path"], "script/setup/xss.go", "{h}");
        let url = h["cite"]["url"].as_str().unwrap();
        assert!(
            url.starts_with(&format!(
                "https://github.com/o/raw/blob/{commit}/script/setup/xss.go#L"
            )),
            "{url}"
        );
    }
    // What the refused names held is not indexed under any path.
    assert_eq!(archeo(&ws, &["search", "needle"]).0, 1);
    assert_eq!(archeo(&ws, &["search", "Slash"]).0, 1);
    let (_, stats, _) = archeo(&ws, &["stats", "--format", "json"]);
    assert!(stats.contains("\"files\":1"), "{stats}");
}
