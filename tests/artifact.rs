//! `archeo::artifact`: reading Go build evidence out of ELF files built by the tests (both build
//! info formats, with and without symbols), inside every container archeo reads, and matching
//! it against pins.

use crate::artifact_fixtures;

use std::path::Path;

use archeo::artifact::{
    self, Artifact, ArtifactKind, BuildInfoFormat, Confidence, InjectionOrigin, Provenance,
    ScanOptions, Upstream,
};
use archeo::source::lock::{Pin, RefKind};
use artifact_fixtures::*;

const RUNC_MOD: &str = "path\tgithub.com/acme/runtime\n\
    mod\tgithub.com/acme/runtime\t(devel)\t\n\
    dep\tgithub.com/acme/securejoin\tv0.2.3\th1:sj=\n\
    dep\tgolang.org/x/sys\tv0.6.0\th1:sys=\n\
    =>\tgolang.org/x/sys\tv0.3.0\th1:sys3=\n\
    build\t-buildmode=exe\n\
    build\t-ldflags=\"-X main.version=1.4.2 -X main.gitCommit=v1.4.2-0-g1111111\"\n\
    build\tCGO_ENABLED=1\n\
    build\tGOOS=linux\n";

const COMMIT_A: &str = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const COMMIT_B: &str = "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const COMMIT_C: &str = "3333333ccccccccccccccccccccccccccccccccc";

fn scan_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Vec<Artifact> {
    scan_bytes_with(dir, name, bytes, &ScanOptions::default())
}

fn scan_bytes_with(dir: &Path, name: &str, bytes: &[u8], opts: &ScanOptions) -> Vec<Artifact> {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    artifact::scan(&p, opts).unwrap()
}

/// The bytes a provenance points at, so tests check offsets the way a reviewer would.
fn bytes_at<'b>(file: &'b [u8], at: &Provenance, len: usize) -> &'b [u8] {
    let off = match at {
        Provenance::File { offset, .. } | Provenance::Heuristic { offset, .. } => *offset,
        Provenance::Symbol { data_offset, .. } => *data_offset,
        Provenance::Control { .. } => panic!("not a file offset"),
    } as usize;
    &file[off..off + len]
}

fn go_artifacts(a: &[Artifact]) -> Vec<&Artifact> {
    a.iter().filter(|a| a.go.is_some()).collect()
}

#[test]
fn inline_build_info_is_read_with_checkable_offsets() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = GoBinary::new(Format::Inline, RUNC_MOD)
        .inject("main.version", "1.4.2")
        .inject("main.gitCommit", "v1.4.2-0-g1111111")
        .build();
    let found = scan_bytes(tmp.path(), "runtime", &bin);
    assert_eq!(found.len(), 1);
    let a = &found[0];
    assert_eq!(a.kind, ArtifactKind::Elf);
    assert!(a.path.ends_with("/runtime"));
    let go = a.go.as_ref().unwrap();
    let info = &go.build_info;
    assert_eq!(info.format, BuildInfoFormat::Inline);
    assert_eq!(info.go_version.value, "go1.22.4");
    assert_eq!(bytes_at(&bin, &info.go_version.at, 8), b"go1.22.4");
    assert_eq!(bytes_at(&bin, &info.header, 14), b"\xff Go buildinf:");
    match &info.header {
        Provenance::File { section, offset } => {
            assert_eq!(section.as_deref(), Some(".go.buildinfo"));
            assert_eq!(*offset, BUILDINFO - BASE);
        }
        other => panic!("header at {other:?}"),
    }
    let main = info.main.as_ref().unwrap();
    assert_eq!(
        (main.path.as_str(), main.version.as_str()),
        ("github.com/acme/runtime", "(devel)")
    );
    assert_eq!(bytes_at(&bin, &main.at, 4), b"mod\t");
    assert_eq!(info.path.as_ref().unwrap().value, "github.com/acme/runtime");
    assert_eq!(info.deps.len(), 2);
    assert_eq!(info.deps[0].sum.as_deref(), Some("h1:sj="));
    assert_eq!(info.deps[1].effective_version(), "v0.3.0");
    assert_eq!(
        bytes_at(&bin, &info.deps[1].at, 20),
        b"dep\tgolang.org/x/sys"
    );
    assert_eq!(
        info.setting("-ldflags").unwrap().value,
        "-X main.version=1.4.2 -X main.gitCommit=v1.4.2-0-g1111111"
    );
    assert_eq!(info.setting("GOOS").unwrap().value, "linux");
}

#[test]
fn pointer_format_is_followed_through_the_address_map_in_both_byte_orders() {
    let tmp = tempfile::tempdir().unwrap();
    for (is_64, big_endian) in [(true, false), (false, true), (false, false)] {
        let mut b = GoBinary::new(
            Format::Pointers,
            "path\texample.com/old/cmd/old\nmod\texample.com/old\tv0.9.1\th1:old=\n",
        );
        b.is_64 = is_64;
        b.big_endian = big_endian;
        b.go_version = "go1.16.15".into();
        let bin = b.build();
        let found = scan_bytes(tmp.path(), "old", &bin);
        let info = &found[0].go.as_ref().unwrap().build_info;
        assert_eq!(
            info.format,
            BuildInfoFormat::Pointers,
            "{is_64} {big_endian}"
        );
        assert_eq!(info.go_version.value, "go1.16.15");
        assert_eq!(bytes_at(&bin, &info.go_version.at, 9), b"go1.16.15");
        let main = info.main.as_ref().unwrap();
        assert_eq!(main.version, "v0.9.1");
        // The strings live in .rodata, reached through .data string headers.
        match &main.at {
            Provenance::File { section, .. } => assert_eq!(section.as_deref(), Some(".rodata")),
            other => panic!("{other:?}"),
        }
        assert!(info.settings.is_empty(), "old builds record no settings");
    }
}

#[test]
fn injected_strings_are_read_through_symbols_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = GoBinary::new(Format::Inline, RUNC_MOD)
        .inject("main.version", "1.4.2")
        .inject("main.gitCommit", "v1.4.2-0-g1111111")
        .inject("main.usage", "run containers")
        .build();
    let found = scan_bytes(tmp.path(), "runtime", &bin);
    let go = found[0].go.as_ref().unwrap();
    assert!(go.has_symbols);
    let by_symbol: Vec<_> = go
        .injected
        .iter()
        .filter(|i| i.origin == InjectionOrigin::Symbol)
        .collect();
    let names: Vec<_> = by_symbol
        .iter()
        .map(|i| (i.variable.as_deref().unwrap(), i.value.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("main.version", "1.4.2"),
            ("main.gitCommit", "v1.4.2-0-g1111111"),
            ("main.usage", "run containers")
        ]
    );
    let v = by_symbol[0];
    assert_eq!(bytes_at(&bin, &v.at, 5), b"1.4.2");
    match &v.at {
        Provenance::Symbol {
            symbol,
            address,
            section,
            data_section,
            ..
        } => {
            assert_eq!(symbol, "main.version");
            assert!(*address >= DATA, "the variable is in .data");
            assert_eq!(section.as_deref(), Some(".data"));
            assert_eq!(data_section.as_deref(), Some(".rodata"));
        }
        other => panic!("{other:?}"),
    }
    assert!(v.at.to_string().starts_with("symbol main.version @ 0x40"));
    // The recorded -ldflags say the same, exactly.
    let from_flags: Vec<_> = go
        .injected
        .iter()
        .filter(|i| i.origin == InjectionOrigin::Ldflags)
        .map(|i| (i.variable.clone().unwrap(), i.value.clone()))
        .collect();
    assert_eq!(from_flags.len(), 2);
    assert!(
        !go.injected
            .iter()
            .any(|i| i.origin == InjectionOrigin::Heuristic),
        "no guessing when symbols exist"
    );
}

#[test]
fn position_independent_variables_are_read_from_their_str_symbols() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = GoBinary::new(Format::Inline, RUNC_MOD).inject("main.version", "1.4.2");
    b.pie = true;
    let bin = b.build();
    let found = scan_bytes(tmp.path(), "runtime", &bin);
    let v = &found[0].go.as_ref().unwrap().injected[0];
    assert_eq!(
        (v.variable.as_deref(), v.value.as_str()),
        (Some("main.version"), "1.4.2")
    );
    assert_eq!(v.origin, InjectionOrigin::Symbol);
    assert_eq!(bytes_at(&bin, &v.at, 6), b"1.4.2\0");
}

#[test]
fn stripped_binaries_yield_marked_heuristic_strings_only() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = GoBinary::new(Format::Inline, "path\tgithub.com/acme/runtime\n")
        .inject("main.version", "1.4.2+ds1")
        .inject("main.gitCommit", COMMIT_A)
        .inject("main.usage", "run containers");
    b.symbols = false;
    let bin = b.build();
    let found = scan_bytes(tmp.path(), "runtime", &bin);
    let go = found[0].go.as_ref().unwrap();
    assert!(!go.has_symbols);
    let values: Vec<_> = go.injected.iter().map(|i| i.value.as_str()).collect();
    assert_eq!(values, vec!["1.4.2+ds1", COMMIT_A]);
    for i in &go.injected {
        assert_eq!(i.origin, InjectionOrigin::Heuristic);
        assert_eq!(i.variable, None);
        assert_eq!(bytes_at(&bin, &i.at, i.value.len()), i.value.as_bytes());
        assert!(i.at.to_string().starts_with("heuristic: "));
    }
}

#[test]
fn a_non_go_elf_is_reported_when_named_and_skipped_inside_archives() {
    let tmp = tempfile::tempdir().unwrap();
    let named = scan_bytes(tmp.path(), "ls", &plain_elf());
    assert_eq!(named.len(), 1);
    assert!(named[0].go.is_none());
    assert!(named[0].notes[0].contains("no Go build information"));

    let layer = tar(&[("bin/ls", &plain_elf())], &[]);
    assert!(scan_bytes(tmp.path(), "layer.tar", &layer).is_empty());
    let all = ScanOptions {
        include_non_go: true,
        ..ScanOptions::default()
    };
    assert_eq!(
        scan_bytes_with(tmp.path(), "layer.tar", &layer, &all).len(),
        1
    );
}

#[test]
fn layers_are_read_plain_and_compressed_with_nested_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = GoBinary::new(Format::Inline, RUNC_MOD).build();
    let layer = tar(
        &[
            ("etc/motd", b"hello\n"),
            ("usr/bin/runtime", &bin),
            ("usr/share/doc/runtime/changelog.gz", &gzip(b"changes\n")),
        ],
        &[("usr/local/bin/runtime", "/usr/bin/runtime")],
    );
    for (name, bytes) in [
        ("layer.tar", layer.clone()),
        ("layer.tar.gz", gzip(&layer)),
        ("layer.tar.zst", zstd(&layer)),
        ("layer.tar.xz", xz(&layer)),
    ] {
        let found = scan_bytes(tmp.path(), name, &bytes);
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        let expected = format!("{}!/usr/bin/runtime", tmp.path().join(name).display());
        assert_eq!(found[0].path, expected);
        assert_eq!(found[0].size, Some(bin.len() as u64));
    }
}

fn control(package: &str, version: &str) -> String {
    format!(
        "Package: {package}\nVersion: {version}\nArchitecture: amd64\nMaintainer: Fixture <f@example.invalid>\n\
         Built-Using: golang-1.19 (= 1.19.8-2), golang-golang-x-sys (= 0.3.0-1)\n\
         Homepage: https://github.com/acme/runtime\nDescription: container runtime\n fixture package\n"
    )
}

#[test]
fn a_deb_gives_its_binaries_the_package_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = GoBinary::new(Format::Inline, "path\tgithub.com/acme/runtime\n").build();
    let data = tar(
        &[
            ("./usr/sbin/runtime", &bin),
            ("./usr/share/doc/runtime/README", b"doc"),
        ],
        &[],
    );
    let package = deb(&control("runtime", "1.4.2+ds1-1+deb12u1"), &data);
    let found = scan_bytes(tmp.path(), "runtime_1.4.2+ds1-1_amd64.deb", &package);
    assert_eq!(found.len(), 1, "{found:?}");
    let a = &found[0];
    assert!(
        a.path
            .ends_with("runtime_1.4.2+ds1-1_amd64.deb!data.tar.xz!/usr/sbin/runtime")
    );
    let p = a.package.as_ref().unwrap();
    assert_eq!(
        (p.package.as_str(), p.version.as_str()),
        ("runtime", "1.4.2+ds1-1+deb12u1")
    );
    assert!(
        p.control.ends_with(".deb!control.tar.gz!control"),
        "{}",
        p.control
    );
    assert_eq!(p.built_using.len(), 2);

    // Without a Go binary the package itself is the artifact.
    let docs_only = deb(
        &control("runtime-doc", "1.4.2+ds1-1"),
        &tar(&[("./usr/share/doc/x", b"d")], &[]),
    );
    let found = scan_bytes(tmp.path(), "runtime-doc.deb", &docs_only);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, ArtifactKind::DebPackage);
    assert_eq!(found[0].package.as_ref().unwrap().package, "runtime-doc");
}

#[test]
fn docker_save_archives_are_read_through_their_layers_and_nested_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = GoBinary::new(Format::Inline, RUNC_MOD).build();
    let pkg = deb(
        &control("runtime", "1.4.2+ds1-1"),
        &tar(&[("./usr/sbin/runtime", &bin)], &[]),
    );
    let base = tar(&[("usr/bin/runtime", &bin)], &[]);
    let apt_layer = gzip(&tar(&[("var/cache/apt/archives/runtime.deb", &pkg)], &[]));
    let image = docker_save(&[base, apt_layer]);
    let found = scan_bytes(tmp.path(), "image.tar", &image);
    let paths: Vec<_> = found
        .iter()
        .map(|a| {
            a.path
                .strip_prefix(&tmp.path().display().to_string())
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            format!("/image.tar!/{:064x}/layer.tar!/usr/bin/runtime", 1),
            format!(
                "/image.tar!/{:064x}/layer.tar!/var/cache/apt/archives/runtime.deb!data.tar.xz!/usr/sbin/runtime",
                2
            ),
        ]
    );
    assert!(found[0].package.is_none());
    assert_eq!(found[1].package.as_ref().unwrap().version, "1.4.2+ds1-1");
}

#[test]
fn oci_layouts_are_walked_from_index_to_layers() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = GoBinary::new(Format::Inline, RUNC_MOD).build();
    let other = GoBinary::new(Format::Inline, "path\texample.com/stray\n").build();
    let dir = tmp.path().join("oci");
    oci_layout(
        &dir,
        &[
            gzip(&tar(&[("usr/bin/runtime", &bin)], &[])),
            zstd(&tar(&[("etc/x", b"x")], &[])),
        ],
        &gzip(&tar(&[("usr/bin/stray", &other)], &[])),
    );
    let found = artifact::scan(&dir, &ScanOptions::default()).unwrap();
    let go: Vec<_> = go_artifacts(&found);
    assert_eq!(go.len(), 1, "the unreferenced blob is not read: {found:?}");
    assert_eq!(
        go[0].path,
        format!(
            "{}/blobs/sha256/{:064x}!/usr/bin/runtime",
            dir.display(),
            100
        )
    );
    // The arm64 manifest the index names is not in the layout: noted, not fatal.
    let skipped: Vec<_> = found
        .iter()
        .filter(|a| a.kind == ArtifactKind::Skipped)
        .collect();
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0].notes[0].contains("manifest not read"));

    // A directory holding the layout finds it too, without reading the stray blob.
    let found = artifact::scan(tmp.path(), &ScanOptions::default()).unwrap();
    assert_eq!(go_artifacts(&found).len(), 1);
}

#[test]
fn directories_are_walked_without_following_symlinks() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("hidden"),
        GoBinary::new(Format::Inline, RUNC_MOD).build(),
    )
    .unwrap();
    let root = tmp.path().join("rootfs");
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::write(
        root.join("usr/bin/runtime"),
        GoBinary::new(Format::Inline, RUNC_MOD).build(),
    )
    .unwrap();
    std::fs::write(root.join("usr/bin/script"), "#!/bin/sh\n").unwrap();
    std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
    std::os::unix::fs::symlink(root.join("usr/bin/runtime"), root.join("usr/bin/alias")).unwrap();
    let found = artifact::scan(&root, &ScanOptions::default()).unwrap();
    let paths: Vec<_> = found.iter().map(|a| a.path.clone()).collect();
    assert_eq!(
        paths,
        vec![root.join("usr/bin/runtime").display().to_string()]
    );
}

#[test]
fn limits_and_damage_become_skipped_artifacts() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = GoBinary::new(Format::Inline, RUNC_MOD).build();
    let small = ScanOptions {
        max_elf_bytes: 1024,
        ..ScanOptions::default()
    };
    let found = scan_bytes_with(
        tmp.path(),
        "layer.tar",
        &tar(&[("usr/bin/big", &bin)], &[]),
        &small,
    );
    assert_eq!(found[0].kind, ArtifactKind::Skipped);
    assert!(
        found[0].notes[0].contains("larger than the 1024-byte cap"),
        "{:?}",
        found[0].notes
    );

    let shallow = ScanOptions {
        max_depth: 2,
        ..ScanOptions::default()
    };
    let nested = tar(
        &[(
            "a.tar",
            &tar(&[("b.tar", &tar(&[("bin", &bin)], &[]))], &[]),
        )],
        &[],
    );
    let found = scan_bytes_with(tmp.path(), "nested.tar", &nested, &shallow);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, ArtifactKind::Skipped);
    assert!(found[0].path.ends_with("nested.tar!/a.tar!/b.tar"));
    assert!(found[0].notes[0].contains("nested 2 levels deep"));

    // A truncated member does not hide the members after it.
    let good = gzip(&tar(&[("bin/runtime", &bin)], &[]));
    let broken = good[..good.len() / 2].to_vec();
    let outer = tar(&[("broken.tar.gz", &broken), ("good.tar.gz", &good)], &[]);
    let found = scan_bytes(tmp.path(), "outer.tar", &outer);
    let (last, before) = found.split_last().unwrap();
    assert_eq!(last.kind, ArtifactKind::Elf);
    assert!(last.path.ends_with("outer.tar!/good.tar.gz!/bin/runtime"));
    assert!(!before.is_empty());
    for a in before {
        assert_eq!(a.kind, ArtifactKind::Skipped);
        assert!(a.path.contains("outer.tar!/broken.tar.gz"), "{}", a.path);
        assert!(a.notes[0].starts_with("not read: "), "{:?}", a.notes);
    }
}

#[test]
fn unknown_inputs_are_errors_that_name_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("notes.txt");
    std::fs::write(&p, "just text").unwrap();
    let err = artifact::scan(&p, &ScanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("notes.txt: not an ELF binary"), "{err}");
    let err = artifact::scan(&tmp.path().join("missing"), &ScanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing"), "{err}");
}

// ---- matching ----

fn pin(repo: &str, url: &str, rev: &str, kind: RefKind, commit: &str) -> Pin {
    Pin {
        repo: repo.into(),
        url: url.into(),
        rev: rev.into(),
        kind,
        commit: commit.into(),
    }
}

fn runtime_pins() -> Vec<Pin> {
    let url = "https://github.com/acme/runtime.git";
    vec![
        pin("runtime", url, "v1.4.1", RefKind::Tag, COMMIT_B),
        pin("runtime", url, "v1.4.2", RefKind::Tag, COMMIT_A),
        pin("runtime", url, "main", RefKind::Branch, COMMIT_C),
        pin(
            "other",
            "https://github.com/acme/other",
            "v1.0.0",
            RefKind::Tag,
            COMMIT_C,
        ),
    ]
}

fn identify_with(
    a: &Artifact,
    pins: &[Pin],
    aliases: &[(String, String)],
) -> artifact::Identification {
    let locate = |_: &str, _: &str| None;
    let vendored = |_: &Pin| None;
    let declarations = |_: &str, _: &[String]| Ok(None);
    artifact::identify(
        a,
        &Upstream {
            pins,
            aliases,
            locate_commit: &locate,
            vendored_modules: &vendored,
            declarations: &declarations,
            cargo_packages: &|_: &str| Ok(None),
            cargo_lock: &|_: &archeo::source::lock::Pin| None,
        },
    )
}

fn one(tmp: &Path, bin: &[u8]) -> Artifact {
    scan_bytes(tmp, "bin", bin).remove(0)
}

#[test]
fn an_injected_describe_commit_names_the_exact_pinned_tag() {
    let tmp = tempfile::tempdir().unwrap();
    let a = one(
        tmp.path(),
        &GoBinary::new(Format::Inline, RUNC_MOD)
            .inject("main.version", "1.4.2")
            .inject("main.gitCommit", "v1.4.2-0-g1111111")
            .build(),
    );
    let id = identify_with(&a, &runtime_pins(), &[]);
    assert_eq!(id.confidence, Confidence::ExactCommit, "{:?}", id.notes);
    assert_eq!(id.component.as_deref(), Some("runtime"));
    let p = id.pin.unwrap();
    assert_eq!((p.rev.as_str(), p.commit.as_str()), ("v1.4.2", COMMIT_A));
    assert_eq!(id.commit.as_deref(), Some("1111111"));
    assert_eq!(id.version.as_deref(), Some("1.4.2"));
    assert!(
        id.notes
            .iter()
            .any(|n| n.contains("-X main.gitCommit (symbol main.gitCommit @"))
    );
}

#[test]
fn vcs_revision_wins_and_modified_trees_are_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    let modinfo = format!(
        "path\tgithub.com/acme/runtime/v2/cmd/rt\nmod\tgithub.com/acme/runtime/v2\tv2.0.0-20250101000000-2222222bbbbb\t\nbuild\tvcs=git\nbuild\tvcs.revision={COMMIT_B}\nbuild\tvcs.modified=true\n"
    );
    let a = one(tmp.path(), &GoBinary::new(Format::Inline, &modinfo).build());
    let id = identify_with(&a, &runtime_pins(), &[]);
    assert_eq!(id.confidence, Confidence::ExactCommit);
    assert_eq!(id.pin.unwrap().rev, "v1.4.1");
    assert!(
        id.notes[0].contains("module github.com/acme/runtime/v2 is pinned repository runtime"),
        "{:?}",
        id.notes
    );
    assert!(id.notes.iter().any(|n| n.contains("vcs.modified=true")));
}

#[test]
fn an_unpinned_commit_is_placed_between_tags_and_the_version_still_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let a = one(
        tmp.path(),
        &GoBinary::new(Format::Inline, "path\tgithub.com/acme/runtime\n")
            .inject("main.version", "v1.4.2")
            .inject("main.gitCommit", "abcdef0123456")
            .build(),
    );
    let asked = std::cell::RefCell::new(Vec::new());
    let locate = |repo: &str, commit: &str| {
        asked
            .borrow_mut()
            .push((repo.to_string(), commit.to_string()));
        Some((Some("v1.4.1".to_string()), Some("v1.4.2".to_string())))
    };
    let vendored = |_: &Pin| None;
    let pins = runtime_pins();
    let id = artifact::identify(
        &a,
        &Upstream {
            pins: &pins,
            aliases: &[],
            locate_commit: &locate,
            vendored_modules: &vendored,
            declarations: &|_: &str, _: &[String]| Ok(None),
            cargo_packages: &|_: &str| Ok(None),
            cargo_lock: &|_: &archeo::source::lock::Pin| None,
        },
    );
    assert_eq!(
        asked.borrow().as_slice(),
        &[("runtime".to_string(), "abcdef0123456".to_string())]
    );
    assert_eq!(id.confidence, Confidence::ByVersion);
    assert_eq!(id.commit.as_deref(), Some("abcdef0123456"));
    assert!(
        id.notes
            .iter()
            .any(|n| n.contains("is not pinned; it lies between pinned tags v1.4.1 and v1.4.2")),
        "{:?}",
        id.notes
    );
    assert!(
        id.notes
            .iter()
            .any(|n| n.contains("not built from the tag"))
    );
}

#[test]
fn a_debian_rebuild_matches_by_version_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = GoBinary::new(
        Format::Inline,
        "path\tgithub.com/acme/runtime\nbuild\t-trimpath=true\n",
    )
    .inject("main.version", "1.4.2+ds1");
    b.symbols = false;
    let data = tar(&[("./usr/sbin/runtime", &b.build())], &[]);
    let found = scan_bytes(
        tmp.path(),
        "r.deb",
        &deb(&control("runtime", "1.4.2+ds1-1+deb12u1"), &data),
    );
    let id = identify_with(&found[0], &runtime_pins(), &[]);
    assert_eq!(id.confidence, Confidence::ByVersion);
    assert_eq!(id.pin.as_ref().unwrap().rev, "v1.4.2");
    assert_eq!(id.version.as_deref(), Some("1.4.2+ds1-1+deb12u1"));
    assert!(id.distribution_rebuild);
    let notes = id.notes.join("\n");
    assert!(
        notes.contains(
            "distribution rebuild: package runtime 1.4.2+ds1-1+deb12u1 repacks upstream 1.4.2"
        ),
        "{notes}"
    );
    assert!(notes.contains("revision -1+deb12u1 may carry distribution patches"));
    assert!(notes.contains("GOPATH mode"));
}

#[test]
fn dependency_versions_are_compared_with_upstream_vendor() {
    let tmp = tempfile::tempdir().unwrap();
    let a = one(
        tmp.path(),
        &GoBinary::new(Format::Inline, RUNC_MOD)
            .inject("main.gitCommit", "1111111")
            .build(),
    );
    let locate = |_: &str, _: &str| None;
    let vendored = |p: &Pin| {
        (p.rev == "v1.4.2").then(|| {
            vec![
                (
                    "github.com/acme/securejoin".to_string(),
                    "v0.2.3".to_string(),
                ),
                ("golang.org/x/sys".to_string(), "v0.6.0".to_string()),
                ("github.com/only/tests".to_string(), "v1.0.0".to_string()),
            ]
        })
    };
    let pins = runtime_pins();
    let id = artifact::identify(
        &a,
        &Upstream {
            pins: &pins,
            aliases: &[],
            locate_commit: &locate,
            vendored_modules: &vendored,
            declarations: &|_: &str, _: &[String]| Ok(None),
            cargo_packages: &|_: &str| Ok(None),
            cargo_lock: &|_: &archeo::source::lock::Pin| None,
        },
    );
    assert_eq!(id.confidence, Confidence::ExactCommit);
    let diffs: Vec<_> = id
        .dependency_differences
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        diffs,
        vec!["golang.org/x/sys v0.3.0 (upstream vendors v0.6.0)"]
    );
    assert!(id.distribution_rebuild);
}

#[test]
fn aliases_and_unpinned_modules() {
    let tmp = tempfile::tempdir().unwrap();
    let a = one(
        tmp.path(),
        &GoBinary::new(
            Format::Inline,
            "path\texample.org/vanity/rt\nmod\texample.org/vanity/rt\tv1.4.1\t\n",
        )
        .build(),
    );
    let none = identify_with(&a, &runtime_pins(), &[]);
    assert_eq!(none.confidence, Confidence::Unknown);
    assert_eq!(none.component.as_deref(), Some("example.org/vanity/rt"));
    assert!(none.pin.is_none());
    assert!(none.notes[0].contains("names no pinned repository"));

    let aliases = vec![("example.org/vanity".to_string(), "runtime".to_string())];
    let id = identify_with(&a, &runtime_pins(), &aliases);
    assert_eq!(id.confidence, Confidence::ByVersion);
    assert_eq!(id.pin.unwrap().commit, COMMIT_B);
    assert!(id.notes[0].contains("alias example.org/vanity stands for pinned repository runtime"));
}

#[test]
fn identifications_serialise_for_json_output() {
    let tmp = tempfile::tempdir().unwrap();
    let a = one(
        tmp.path(),
        &GoBinary::new(Format::Inline, RUNC_MOD)
            .inject("main.gitCommit", "1111111")
            .build(),
    );
    let id = identify_with(&a, &runtime_pins(), &[]);
    let v = serde_json::to_value(&id).unwrap();
    assert_eq!(v["confidence"], "exact commit");
    assert_eq!(v["pin"]["rev"], "v1.4.2");
    assert_eq!(v["pin"]["kind"], "tag");
    let art = serde_json::to_value(&a).unwrap();
    assert_eq!(
        art["go"]["build_info"]["go_version"]["at"]["source"],
        "file"
    );
}

/// Issue 32: an OCI layout whose layer blob, `blobs` directory or `index.json` is a symbolic
/// link out of the layout (to a host file, or to a layer elsewhere): never followed, never
/// read; the layer is listed as skipped saying why. The same layout with real files is read.
#[test]
fn oci_layouts_never_follow_a_symlink_out_of_the_artifact() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = GoBinary::new(Format::Inline, RUNC_MOD).build();
    let layer = gzip(&tar(&[("usr/bin/runtime", &bin)], &[]));
    let outside = tmp.path().join("host");
    std::fs::create_dir_all(outside.join("sha256")).unwrap();
    std::fs::write(outside.join("layer.tar.gz"), &layer).unwrap();
    let layout = |name: &str| {
        let dir = tmp.path().join(name);
        oci_layout(&dir, std::slice::from_ref(&layer), b"stray");
        dir
    };
    let layer_blob = |dir: &Path| dir.join(format!("blobs/sha256/{:064x}", 100));
    // The genuine layout is read: the baseline the others are compared with.
    let dir = layout("real");
    assert_eq!(
        go_artifacts(&artifact::scan(&dir, &ScanOptions::default()).unwrap()).len(),
        1
    );

    // The layer blob links to a file on the host.
    let dir = layout("blob-link");
    std::fs::remove_file(layer_blob(&dir)).unwrap();
    std::os::unix::fs::symlink(outside.join("layer.tar.gz"), layer_blob(&dir)).unwrap();
    let found = artifact::scan(&dir, &ScanOptions::default()).unwrap();
    assert!(go_artifacts(&found).is_empty(), "{found:?}");
    let skipped: Vec<_> = found
        .iter()
        .filter(|a| a.kind == ArtifactKind::Skipped)
        .collect();
    assert!(
        skipped
            .iter()
            .any(|a| a.path.ends_with(&format!("blobs/sha256/{:064x}", 100))
                && a.notes[0].contains("never follows links")),
        "{found:?}"
    );

    // `blobs` itself links to a directory elsewhere holding the same files.
    let dir = layout("dir-link");
    std::fs::rename(dir.join("blobs"), outside.join("blobs")).unwrap();
    std::os::unix::fs::symlink(outside.join("blobs"), dir.join("blobs")).unwrap();
    let err = artifact::scan(&dir, &ScanOptions::default()).unwrap_err();
    assert!(
        format!("{err:#}").contains("never follows links"),
        "{err:#}"
    );

    // index.json links to a host file: not a layout archeo reads.
    let dir = layout("index-link");
    std::fs::write(
        outside.join("index.json"),
        std::fs::read(dir.join("index.json")).unwrap(),
    )
    .unwrap();
    std::fs::remove_file(dir.join("index.json")).unwrap();
    std::os::unix::fs::symlink(outside.join("index.json"), dir.join("index.json")).unwrap();
    let err = artifact::scan(&dir, &ScanOptions::default()).unwrap_err();
    assert!(
        format!("{err:#}").contains("never follows links"),
        "{err:#}"
    );

    // A FIFO planted as a layer blob is refused, not waited on.
    let dir = layout("fifo");
    std::fs::remove_file(layer_blob(&dir)).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(layer_blob(&dir))
        .status()
        .unwrap();
    assert!(status.success());
    let found = artifact::scan(&dir, &ScanOptions::default()).unwrap();
    assert!(go_artifacts(&found).is_empty());
    assert!(
        found
            .iter()
            .any(|a| a.notes.iter().any(|n| n.contains("not a regular file"))),
        "{found:?}"
    );
}
