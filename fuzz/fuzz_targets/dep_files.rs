//! Fuzzes the dependency readers (go.mod, vendor/modules.txt, Dockerfile, shell, Makefile,
//! .gitmodules, version files): the first byte picks the path, the rest is the file's text.
//! They never panic, and every edge cites a line and column that exist in the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    "go.mod",
    "vendor/modules.txt",
    "Dockerfile",
    "build/install.sh",
    "Makefile",
    ".gitmodules",
    "script/setup/runc-version",
    "hack/dockerfile/install/containerd.installer",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let path = PATHS[pick as usize % PATHS.len()];
    let x = archeo::deps::extract_all(path, &text);
    let lines: Vec<&str> = text.lines().collect();
    for e in &x.edges {
        assert!(e.line >= 1 && e.column >= 1, "{path}: {e:?}");
        assert!(
            (e.line as usize) <= lines.len().max(1),
            "{path}: line {} of {}: {e:?}",
            e.line,
            lines.len()
        );
    }
});
