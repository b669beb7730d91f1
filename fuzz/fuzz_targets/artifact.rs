//! Fuzzes `archeo identify`'s artifact reader (ELF, tar, gzip/zstd/xz, ar/Debian packages,
//! nested): whatever the bytes, `scan` returns artifacts or an error, never panics, and keeps
//! to its size caps.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // scan reads a path: one file per fuzzing process, in memory.
    let path = std::env::temp_dir().join(format!("archeo-fuzz-artifact-{}", std::process::id()));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(data))
        .expect("temporary file");
    let options = archeo::artifact::ScanOptions {
        max_elf_bytes: 1 << 20,
        max_depth: 6,
        include_non_go: true,
    };
    if let Ok(found) = archeo::artifact::scan(&path, &options) {
        for a in &found {
            assert!(a.size.is_none_or(|n| a.kind != archeo::artifact::ArtifactKind::Elf || n <= options.max_elf_bytes));
            let _ = serde_json::to_string(a).expect("an artifact serialises");
            if let Some(t) = &a.functions {
                // Symbol names from a hostile table split without panicking.
                let _ = archeo::artifact::binary_functions(t);
            }
        }
    }
});
