//! Is a file that carries Go build info a Go program? The build info blob is plain data that
//! any linker can be told to place: a C program with a `.go.buildinfo` section can claim to be
//! runc v1.3.3 at a given `vcs.revision`, and can carry the 8 bytes of a function table header
//! as well. A program the Go linker made carries the Go runtime's whole function table
//! (`pclntab`): in the format of the claimed Go release (it changed with Go 1.2, 1.16, 1.18
//! and 1.20), with the target's pointer size, in `.gopclntab` (or, relocated, `.data.rel.ro`),
//! decoding in full to hundreds of functions among which the runtime's own (`runtime.main`,
//! `runtime.goexit`); and, unless stripped, those functions in `.symtab`. Only a table that
//! decodes that way lets the build info be trusted; a header alone never does.
//!
//! Must not: decide what the answer means (that is `identify`), or read outside the bytes it is
//! given.

use serde::Serialize;

use super::elf::{ElfView, decode_word};
use super::gopclntab::{FunctionTable, go12_function_names};
use super::{Fact, Provenance};

/// Functions every Go program's runtime holds with code of their own.
const RUNTIME_FUNCTIONS: [&str; 2] = ["runtime.main", "runtime.goexit"];
/// Functions a decoded table must hold at least: the runtime alone brings several hundred.
const MIN_FUNCTIONS: usize = 200;

/// What the file holds of a Go runtime, against what its build info claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoRuntime {
    /// A function table that decodes in full and agrees with the build info (its format is
    /// the one the claimed Go release writes, its pointer size the file's, its functions the
    /// runtime's), and where it starts.
    pub function_table: Option<Fact<String>>,
    /// Runtime functions `.symtab` names (`runtime.main`, ...), when the file has symbols.
    pub runtime_symbols: Vec<String>,
    /// What contradicts the claim (a table of another Go release's format, of another
    /// pointer size, a header that decodes to no table, a table inside the build info), or
    /// what is missing.
    pub disagreements: Vec<String>,
    /// Evidence that could not be checked (no symbol table), when the table agrees.
    pub unchecked: Vec<String>,
}

impl GoRuntime {
    /// Does the file hold a Go runtime consistent with its build info? Only then may the build
    /// info be trusted.
    pub fn agrees(&self) -> bool {
        self.function_table.is_some() && self.disagreements.is_empty()
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

/// A decoded table, as [`verify`] needs it.
struct Decoded<'a> {
    magic: u32,
    pointer_size: u8,
    offset: u64,
    section: Option<String>,
    names: Vec<&'a str>,
}

/// Whether a decoded table is the Go runtime's in the format `claimed`: `Ok` with what agrees,
/// `Err` with why not.
fn verify(
    view: &ElfView<'_>,
    t: &Decoded<'_>,
    claimed: Option<(u32, &'static str)>,
    go_version: &str,
) -> Result<String, String> {
    let at = match &t.section {
        Some(s) => format!("file offset {:#x} ({s})", t.offset),
        None => format!("file offset {:#x}", t.offset),
    };
    let name = format_name(t.magic).unwrap_or("unknown");
    match &t.section {
        Some(s) if s.contains("buildinfo") => {
            return Err(format!(
                "the function table at {at} lies inside the build info section: the Go linker writes it to .gopclntab"
            ));
        }
        Some(s) if !(s.ends_with(".gopclntab") || s.starts_with(".data.rel.ro")) => {
            return Err(format!(
                "the function table at {at} lies in {s}, not in .gopclntab (or .data.rel.ro) where the Go linker writes it"
            ));
        }
        None if !view.sections.is_empty() => {
            return Err(format!(
                "the function table at {at} lies in no section, not in .gopclntab where the Go linker writes it"
            ));
        }
        _ => {}
    }
    match claimed {
        Some((want, _)) if want == t.magic => {}
        Some((_, want_name)) => {
            return Err(format!(
                "the function table at {at} is in the format of {name}, not of {want_name} as {go_version} writes it"
            ));
        }
        None => {
            return Err(format!(
                "the build info's Go version {go_version:?} is not a Go release whose function table archeo knows"
            ));
        }
    }
    let want_ptr: u8 = if view.is_64 { 8 } else { 4 };
    if t.pointer_size != want_ptr {
        return Err(format!(
            "the function table at {at} has {}-byte pointers in a {}-bit file",
            t.pointer_size,
            if view.is_64 { 64 } else { 32 }
        ));
    }
    let n = t.names.len();
    if n < MIN_FUNCTIONS {
        return Err(format!(
            "the function table at {at} decodes to {n} function(s): the Go runtime alone has several hundred"
        ));
    }
    let missing: Vec<&str> = RUNTIME_FUNCTIONS
        .iter()
        .copied()
        .filter(|f| !t.names.contains(f))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the function table at {at} ({n} functions) has no {}: functions of the Go runtime's own",
            missing.join(" and ")
        ));
    }
    Ok(format!(
        "pclntab in the format of {name}, {}-byte pointers, {n} functions decoded, {} among them",
        t.pointer_size,
        RUNTIME_FUNCTIONS.join(" and ")
    ))
}

fn offset_of(p: &Provenance) -> Option<u64> {
    match p {
        Provenance::File { offset, .. }
        | Provenance::Heuristic { offset, .. }
        | Provenance::Symbol { offset, .. } => Some(*offset),
        _ => None,
    }
}

/// Go 1.2-1.15 tables (which [`super::gopclntab`] does not read for lines): the `.gopclntab`
/// section, else the magic in read-only data; the first that decodes.
fn go12_table<'d>(view: &ElfView<'d>) -> Option<(u64, Vec<String>)> {
    let magic = if view.big_endian {
        0xffff_fffbu32.to_be_bytes()
    } else {
        0xffff_fffbu32.to_le_bytes()
    };
    let ranges: Vec<(u64, u64)> = match view
        .sections
        .iter()
        .find(|s| s.name.ends_with(".gopclntab"))
    {
        Some(s) => s.file.into_iter().collect(),
        None => view.readonly_ranges(),
    };
    for (start, len) in ranges {
        let Some(region) = usize::try_from(start)
            .ok()
            .zip(usize::try_from(len).ok())
            .and_then(|(s, n)| view.data.get(s..s.checked_add(n)?))
        else {
            continue;
        };
        for hit in memchr::memmem::find_iter(region, &magic)
            .filter(|h| h % 4 == 0)
            .take(64)
        {
            if let Some(names) = go12_function_names(&region[hit..], view.big_endian) {
                return Some((start + hit as u64, names));
            }
        }
    }
    None
}

/// Checks the file's Go runtime against the build info's `go_version`, given the function
/// table [`super::gopclntab`] decoded from it (Go 1.16 and later).
pub(crate) fn check(
    view: &ElfView<'_>,
    go_version: &str,
    table: Option<&FunctionTable>,
) -> GoRuntime {
    let mut out = GoRuntime {
        function_table: None,
        runtime_symbols: RUNTIME_FUNCTIONS
            .iter()
            .chain(&["runtime.rt0_go"])
            .filter(|f| view.symbols.iter().any(|s| s.name == **f))
            .map(|f| f.to_string())
            .collect(),
        disagreements: Vec::new(),
        unchecked: Vec::new(),
    };
    let claimed = table_format(go_version);
    let mut found = Vec::new();
    let mut agreed = None;
    let go12 = if claimed.is_some_and(|(m, _)| m == 0xffff_fffb) {
        go12_table(view)
    } else {
        None
    };
    let decoded = table
        .and_then(|t| {
            let offset = offset_of(&t.at)?;
            Some(Decoded {
                magic: t.layout.magic(),
                pointer_size: t.pointer_size,
                offset,
                section: t.section.clone().or_else(|| view.section_at_offset(offset)),
                names: t.functions.iter().map(|f| f.name.as_str()).collect(),
            })
        })
        .or_else(|| {
            let (offset, names) = go12.as_ref()?;
            Some(Decoded {
                magic: 0xffff_fffb,
                pointer_size: view.data.get(*offset as usize + 7).copied().unwrap_or(0),
                offset: *offset,
                section: view.section_at_offset(*offset),
                names: names.iter().map(String::as_str).collect(),
            })
        });
    if let Some(d) = &decoded {
        match verify(view, d, claimed, go_version) {
            Ok(value) => {
                agreed = Some(Fact {
                    value,
                    at: Provenance::File {
                        section: d.section.clone(),
                        offset: d.offset,
                    },
                })
            }
            Err(why) => found.push(why),
        }
    } else {
        // No table decodes: say what headers there are (a header alone proves nothing).
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
            magics.truncate(64);
            magics
        } else {
            named
        };
        for at in candidates {
            let Some((magic, _)) = header_at(view, at) else {
                continue;
            };
            let place = match view.section_at_offset(at as u64) {
                Some(s) => format!("file offset {at:#x} ({s})"),
                None => format!("file offset {at:#x}"),
            };
            found.push(format!(
                "a function table header ({}) at {place} does not decode to a function table",
                format_name(magic).unwrap_or("unknown")
            ));
        }
        if found.is_empty() {
            found.push("no Go function table (pclntab) in the file".into());
        }
    }
    if out.runtime_symbols.is_empty() {
        if view.symbols.is_empty() {
            out.unchecked
                .push("no symbol table (stripped): the runtime's symbols not checked".into());
        } else {
            found.push("its symbol table names no Go runtime function (runtime.main)".into());
        }
    }
    out.function_table = agreed;
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
