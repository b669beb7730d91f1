//! Is a file that carries Go build info a Go program? The build info blob is plain data that
//! any linker can be told to place: a C program with a `.go.buildinfo` section can claim to be
//! runc v1.3.3 at a given `vcs.revision`. A program the Go linker made also carries the Go
//! runtime's function table (`pclntab`), whose header states the table's format (which changed
//! with Go 1.2, 1.16, 1.18 and 1.20) and the target's pointer size, and, unless stripped, the
//! runtime's own functions in `.symtab`. This module checks those against the build info's
//! claim; it reads only the table's 8-byte header, never the table itself.
//!
//! Must not: decide what the answer means (that is `identify`), or read outside the bytes it is
//! given.

use serde::Serialize;

use super::elf::{ElfView, decode_word};
use super::{Fact, Provenance};

/// Functions every Go program's runtime holds.
const RUNTIME_FUNCTIONS: [&str; 3] = ["runtime.main", "runtime.goexit", "runtime.rt0_go"];

/// What the file holds of a Go runtime, against what its build info claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoRuntime {
    /// A function table whose header agrees with the build info (its format is the one the
    /// claimed Go release writes, its pointer size the file's), and where it starts.
    pub function_table: Option<Fact<String>>,
    /// Runtime functions `.symtab` names (`runtime.main`, ...), when the file has symbols.
    pub runtime_symbols: Vec<String>,
    /// What contradicts the claim (a table of another Go release's format, of another
    /// pointer size), or what is missing.
    pub disagreements: Vec<String>,
}

impl GoRuntime {
    /// Does the file hold a Go runtime consistent with its build info? Only then may the build
    /// info be trusted.
    pub fn agrees(&self) -> bool {
        self.function_table.is_some()
    }
}

/// The pclntab format a Go release writes, as the header's magic number, and its name.
fn table_format(go_version: &str) -> Option<(u32, &'static str)> {
    let v = go_version.strip_prefix("go")?;
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major != 1 {
        return None;
    }
    Some(match minor {
        0..=1 => return None,
        2..=15 => (0xffff_fffb, "Go 1.2-1.15"),
        16..=17 => (0xffff_fffa, "Go 1.16-1.17"),
        18..=19 => (0xffff_fff0, "Go 1.18-1.19"),
        _ => (0xffff_fff1, "Go 1.20 and later"),
    })
}

/// The name of the format a magic number marks.
fn format_name(magic: u32) -> Option<&'static str> {
    Some(match magic {
        0xffff_fffb => "Go 1.2-1.15",
        0xffff_fffa => "Go 1.16-1.17",
        0xffff_fff0 => "Go 1.18-1.19",
        0xffff_fff1 => "Go 1.20 and later",
        _ => return None,
    })
}

/// A pclntab header at `at`: (magic, pointer size), when its fixed bytes are right (two zero
/// bytes, an instruction quantum of 1, 2 or 4, a pointer size of 4 or 8).
fn header_at(view: &ElfView<'_>, at: usize) -> Option<(u32, u8)> {
    let h = view.data.get(at..at + 8)?;
    let magic = decode_word(&h[..4], view.big_endian) as u32;
    (format_name(magic).is_some()
        && h[4] == 0
        && h[5] == 0
        && matches!(h[6], 1 | 2 | 4)
        && matches!(h[7], 4 | 8))
    .then_some((magic, h[7]))
}

/// Checks the file's Go runtime against the build info's `go_version`.
pub(crate) fn check(view: &ElfView<'_>, go_version: &str) -> GoRuntime {
    let mut out = GoRuntime {
        function_table: None,
        runtime_symbols: RUNTIME_FUNCTIONS
            .iter()
            .filter(|f| view.symbols.iter().any(|s| s.name == **f))
            .map(|f| f.to_string())
            .collect(),
        disagreements: Vec::new(),
    };
    let want_ptr: u8 = if view.is_64 { 8 } else { 4 };
    let claimed = table_format(go_version);
    // The table's own section when the file names one; else any header in the file.
    let named: Vec<usize> = view
        .sections
        .iter()
        .filter(|s| s.name.ends_with(".gopclntab"))
        .filter_map(|s| s.file.map(|(o, _)| o as usize))
        .collect();
    let candidates: Vec<usize> = if named.is_empty() {
        let mut magics = Vec::new();
        for m in [0xffff_fffbu32, 0xffff_fffa, 0xffff_fff0, 0xffff_fff1] {
            let bytes = if view.big_endian {
                m.to_be_bytes()
            } else {
                m.to_le_bytes()
            };
            magics.extend(memchr::memmem::find_iter(view.data, &bytes));
        }
        magics.sort_unstable();
        magics
    } else {
        named
    };
    let mut found = Vec::new();
    for at in candidates {
        let Some((magic, ptr)) = header_at(view, at) else {
            continue;
        };
        let name = format_name(magic).unwrap_or("unknown");
        if ptr != want_ptr {
            found.push(format!(
                "a function table at file offset {at:#x} has {ptr}-byte pointers in a {}-bit file",
                if view.is_64 { 64 } else { 32 }
            ));
            continue;
        }
        match claimed {
            Some((want, _)) if want == magic => {
                out.function_table = Some(Fact {
                    value: format!("pclntab in the format of {name}, {ptr}-byte pointers"),
                    at: Provenance::File {
                        section: view.section_at_offset(at as u64),
                        offset: at as u64,
                    },
                });
                return out;
            }
            Some((_, want_name)) => found.push(format!(
                "the function table at file offset {at:#x} is in the format of {name}, not of {want_name} as {go_version} writes it"
            )),
            None => found.push(format!(
                "the build info's Go version {go_version:?} is not a Go release whose function table archeo knows"
            )),
        }
    }
    if found.is_empty() {
        found.push("no Go function table (pclntab) in the file".into());
    }
    if out.runtime_symbols.is_empty() && !view.symbols.is_empty() {
        found.push("its symbol table names no Go runtime function (runtime.main)".into());
    }
    out.disagreements = found;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_go_release_writes_its_table_format() {
        assert_eq!(table_format("go1.22.4").unwrap().0, 0xffff_fff1);
        assert_eq!(table_format("go1.20").unwrap().0, 0xffff_fff1);
        assert_eq!(table_format("go1.19.13").unwrap().0, 0xffff_fff0);
        assert_eq!(table_format("go1.18").unwrap().0, 0xffff_fff0);
        assert_eq!(table_format("go1.16.15").unwrap().0, 0xffff_fffa);
        assert_eq!(table_format("go1.13.8").unwrap().0, 0xffff_fffb);
        assert_eq!(table_format("go1.21rc2").unwrap().0, 0xffff_fff1);
        assert!(table_format("devel +abc").is_none());
        assert!(table_format("go2.0").is_none());
    }
}
