//! `archeo::artifact`'s reader of Go's function table (`.gopclntab`), on ELF files whose table
//! the tests write in each layout Go uses (1.16, 1.18, 1.20+), in both word sizes and byte
//! orders, with and without section headers; and on damaged tables, which must cost nothing
//! but the table.

use crate::artifact_fixtures;

use std::path::Path;

use archeo::artifact::{self, Artifact, PclntabLayout, Provenance, ScanOptions};
use artifact_fixtures::*;

const MODINFO: &str = "path\tgithub.com/acme/tool\nmod\tgithub.com/acme/tool\t(devel)\t\n";

fn scan_one(dir: &Path, bytes: &[u8]) -> Artifact {
    let p = dir.join("bin");
    std::fs::write(&p, bytes).unwrap();
    let mut a = artifact::scan(&p, &ScanOptions::default()).unwrap();
    assert_eq!(a.len(), 1);
    a.remove(0)
}

fn functions() -> Vec<FixtureFunc> {
    vec![
        FixtureFunc::new("main.main", "/build/tool/main.go", 9, 14),
        FixtureFunc::new(
            "github.com/acme/tool/libct.(*Container).Start",
            "/build/tool/libct/container.go",
            20,
            31,
        ),
        // Code from two lines out of order (a loop's back edge), ending below its start.
        FixtureFunc {
            name: "github.com/acme/tool/libct.Init".into(),
            file: "/build/tool/libct/init.go".into(),
            start: 5,
            lines: vec![5, 7, 12, 8, 6],
        },
        FixtureFunc::new(
            "github.com/acme/tool/libct.Init.func1",
            "/build/tool/libct/init.go",
            9,
            10,
        ),
    ]
}

fn binary(layout: Pclntab, is_64: bool, big_endian: bool) -> GoBinary {
    let mut b = GoBinary::new(Format::Inline, MODINFO).with_functions(
        layout,
        functions(),
        &["github.com/acme/tool/libct.isSet", "runtime.add"],
    );
    b.is_64 = is_64;
    b.big_endian = big_endian;
    // The reader's tests compare the whole table: only the tool's functions.
    b.runtime_functions = false;
    b
}

#[test]
fn every_layout_gives_names_files_and_lines() {
    let tmp = tempfile::tempdir().unwrap();
    for (layout, want) in [
        (Pclntab::Go116, PclntabLayout::Go116),
        (Pclntab::Go118, PclntabLayout::Go118),
        (Pclntab::Go120, PclntabLayout::Go120),
    ] {
        for (is_64, big) in [(true, false), (false, true), (false, false)] {
            let what = format!("{layout:?} 64-bit={is_64} big-endian={big}");
            let bytes = binary(layout, is_64, big).build();
            let a = scan_one(tmp.path(), &bytes);
            let t = a
                .functions
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: no table"));
            assert_eq!(t.layout, want, "{what}");
            assert_eq!(t.section.as_deref(), Some(".gopclntab"), "{what}");
            // The header's provenance points at the magic.
            let Provenance::File { offset, .. } = t.at else {
                panic!("{what}: {:?}", t.at)
            };
            let magic = &bytes[offset as usize..offset as usize + 4];
            let m = want.magic();
            assert_eq!(
                magic,
                if big {
                    m.to_be_bytes()
                } else {
                    m.to_le_bytes()
                },
                "{what}"
            );
            type Row<'a> = (&'a str, Option<&'a str>, Option<u32>, Option<u32>);
            let got: Vec<Row> = t
                .functions
                .iter()
                .map(|f| (f.name.as_str(), t.file(f), f.start_line, f.end_line))
                .collect();
            assert_eq!(
                got,
                vec![
                    ("main.main", Some("/build/tool/main.go"), Some(9), Some(14)),
                    (
                        "github.com/acme/tool/libct.(*Container).Start",
                        Some("/build/tool/libct/container.go"),
                        Some(20),
                        Some(31)
                    ),
                    (
                        "github.com/acme/tool/libct.Init",
                        Some("/build/tool/libct/init.go"),
                        Some(5),
                        Some(12)
                    ),
                    (
                        "github.com/acme/tool/libct.Init.func1",
                        Some("/build/tool/libct/init.go"),
                        Some(9),
                        Some(10)
                    ),
                ],
                "{what}"
            );
            assert_eq!(
                t.inlined,
                vec!["github.com/acme/tool/libct.isSet", "runtime.add"],
                "{what}"
            );
            // Each function's provenance is its record: in the section, past the header.
            for f in &t.functions {
                assert!(f.offset > offset, "{what}");
                assert!(matches!(
                    t.provenance(f),
                    Provenance::File { section: Some(ref s), .. } if s == ".gopclntab"
                ));
            }
            assert!(t.notes.is_empty(), "{what}: {:?}", t.notes);
        }
    }
}

#[test]
fn a_binary_without_section_headers_is_read_by_the_tables_magic() {
    let tmp = tempfile::tempdir().unwrap();
    for layout in [Pclntab::Go116, Pclntab::Go118, Pclntab::Go120] {
        let mut b = binary(layout, true, false);
        b.section_headers = false;
        b.symbols = false;
        let bytes = b.build();
        let a = scan_one(tmp.path(), &bytes);
        let t = a.functions.as_ref().expect("found by magic");
        assert_eq!(t.functions.len(), 4);
        assert_eq!(t.section, None);
        match &t.at {
            Provenance::Heuristic { offset, why, .. } => {
                assert!(
                    why.contains("magic") && why.contains("4 functions"),
                    "{why}"
                );
                assert_eq!(*offset, PCLNTAB - BASE);
            }
            other => panic!("{other:?}"),
        }
        // The build info is still found without sections (it is in a writable segment).
        assert!(a.go.is_some());
    }
}

#[test]
fn a_go_binary_without_build_info_is_still_a_go_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = binary(Pclntab::Go120, true, false);
    b.no_build_info = true;
    let a = scan_one(tmp.path(), &b.build());
    assert!(a.go.is_none());
    assert_eq!(a.functions.as_ref().unwrap().functions.len(), 4);
    assert!(
        a.notes
            .iter()
            .any(|n| n.contains("build information was removed")),
        "{:?}",
        a.notes
    );
    // Inside an archive too (where non-Go ELF files are not reported).
    let layer = tar(&[("./usr/bin/tool", &b.build())], &[]);
    let p = tmp.path().join("layer.tar");
    std::fs::write(&p, layer).unwrap();
    let found = artifact::scan(&p, &ScanOptions::default()).unwrap();
    assert_eq!(found.len(), 1);
    assert!(found[0].functions.is_some());
}

#[test]
fn damaged_tables_cost_the_table_not_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let good = binary(Pclntab::Go118, true, false).build();
    let table = (PCLNTAB - BASE) as usize;
    let ptr = 8;
    let word = |i: usize| table + 8 + i * ptr;
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // A function count past any table.
    let mut b = good.clone();
    b[word(0)..word(0) + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    cases.push(("huge count", b));
    // Offsets out of order (the name table after the file table).
    let mut b = good.clone();
    b[word(3)..word(3) + 8].copy_from_slice(&0xffffu64.to_le_bytes());
    cases.push(("offsets out of order", b));
    // The function table's offset past the section.
    let mut b = good.clone();
    b[word(7)..word(7) + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    cases.push(("functab past the end", b));
    // A bad pointer size.
    let mut b = good.clone();
    b[table + 7] = 3;
    cases.push(("pointer size 3", b));
    for (what, bytes) in cases {
        let a = scan_one(tmp.path(), &bytes);
        assert!(a.functions.is_none(), "{what}");
        assert!(a.go.is_some(), "{what}: the build info is still read");
    }
    // Every truncation of the section reads or refuses without panicking, in bounded time.
    let t = std::time::Instant::now();
    let end = table + binary(Pclntab::Go118, true, false).pclntab_bytes().len();
    for cut in (table..end).step_by(7) {
        let mut b = good.clone();
        b[cut..end].fill(0xff);
        let _ = scan_one(tmp.path(), &b);
    }
    assert!(t.elapsed().as_secs() < 30);
}
