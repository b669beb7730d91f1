//! Go build evidence in one ELF file: the build info blob the Go linker writes (`\xff Go
//! buildinf:`: Go version, main module, `dep` lines, `build` settings), both its inline format
//! (Go >= 1.18) and the older pointer format, plus strings injected with `-ldflags -X` (read
//! exactly through `.symtab`, or from the recorded `-ldflags`, or, in a stripped binary, by a
//! clearly marked heuristic). Every value carries the file offset it was read at.
//!
//! Must not: decide what the evidence means (that is `identify`), or read outside the bytes
//! it is given.

use std::sync::LazyLock;

use regex::bytes::Regex;
use serde::Serialize;

use super::elf::{ElfView, decode_word};
use super::{Fact, Provenance};

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// The header is 32 bytes, 16-byte aligned (Go's `buildInfoSize`, `buildInfoAlign`).
const HEADER_LEN: usize = 32;
const FLAG_BIG_ENDIAN: u8 = 1;
const FLAG_INLINE: u8 = 2;
/// Sentinels framing the module info string (cmd/go's infoStart/infoEnd), 16 bytes each.
const FRAME: usize = 16;
/// Longest string value believed in a `-X` variable or a heuristic match.
const MAX_INJECTED: u64 = 4096;

/// Which layout the build info blob uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuildInfoFormat {
    /// Go >= 1.18: varint-prefixed strings right after the header.
    Inline,
    /// Go < 1.18: two pointers to Go string headers, followed through the address mapping.
    Pointers,
}

/// A module line of the build info (`mod`, `dep`) with its `=>` replacement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoModule {
    /// The module path.
    pub path: String,
    /// `(devel)` for a main module built from a work tree, empty for a directory replacement.
    pub version: String,
    /// The go.sum hash, when recorded.
    pub sum: Option<String>,
    /// Its `=>` replacement.
    pub replace: Option<Box<GoModule>>,
    /// Where its line was read.
    pub at: Provenance,
}

impl GoModule {
    /// The version that was linked: the replacement's when there is one.
    pub fn effective_version(&self) -> &str {
        match &self.replace {
            Some(r) => &r.version,
            None => &self.version,
        }
    }
}

/// A `build` line: `-ldflags`, `vcs.revision`, `GOOS`, `CGO_ENABLED`, ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildSetting {
    /// The setting's key (`vcs.revision`, `-ldflags`).
    pub key: String,
    /// Its value.
    pub value: String,
    /// Where it was read.
    pub at: Provenance,
}

/// The decoded build info blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoBuildInfo {
    /// Which of the two layouts the blob used.
    pub format: BuildInfoFormat,
    /// Where the `\xff Go buildinf:` header is.
    pub header: Provenance,
    /// The Go toolchain version (`go1.19.8`).
    pub go_version: Fact<String>,
    /// The `path` line: the main package's import path (also present in GOPATH-mode builds,
    /// which have no module lines).
    pub path: Option<Fact<String>>,
    /// The `mod` line.
    pub main: Option<GoModule>,
    /// The `dep` lines.
    pub deps: Vec<GoModule>,
    /// The `build` lines.
    pub settings: Vec<BuildSetting>,
}

impl GoBuildInfo {
    /// The value of a `build` setting.
    pub fn setting(&self, key: &str) -> Option<&BuildSetting> {
        self.settings.iter().find(|s| s.key == key)
    }
}

/// How an injected string was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InjectionOrigin {
    /// Read through the variable's `.symtab` symbol: exact.
    Symbol,
    /// A `-X name=value` in the `-ldflags` build setting: exact (what the linker was told).
    Ldflags,
    /// A version- or commit-shaped string standing alone in read-only data of a binary with no
    /// symbol table, as the Go linker stores `-X` values: the variable is unknown.
    Heuristic,
}

/// A string variable set at link time (`-X main.version=1.1.5`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InjectedString {
    /// `main.version`; `None` when found by the heuristic.
    pub variable: Option<String>,
    /// The string's value.
    pub value: String,
    /// How it was found.
    pub origin: InjectionOrigin,
    /// Where it was read.
    pub at: Provenance,
}

/// Everything Go-specific read from one ELF file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoEvidence {
    /// The build info blob's content.
    pub build_info: GoBuildInfo,
    /// Strings set with `-X`: exact ones first, heuristic ones only when the binary has no
    /// symbol table.
    pub injected: Vec<InjectedString>,
    /// Whether the binary has a `.symtab` (not stripped).
    pub has_symbols: bool,
    /// The Go runtime the file holds, checked against the build info's claim: build info in a
    /// file without one is not trusted.
    pub runtime: super::goruntime::GoRuntime,
}

/// Reads the Go evidence of an ELF file, given the function table read from it; `None` when it
/// carries no Go build info.
pub(crate) fn read_go_evidence(
    view: &ElfView<'_>,
    table: Option<&super::gopclntab::FunctionTable>,
) -> Option<GoEvidence> {
    let build_info = find_build_info(view)?;
    let has_symbols = !view.symbols.is_empty();
    let mut injected = symbol_strings(view);
    injected.extend(ldflags_strings(&build_info));
    if !has_symbols {
        injected.extend(heuristic_strings(view, &build_info.go_version.value));
    }
    let runtime = super::goruntime::check(view, &build_info.go_version.value, table);
    Some(GoEvidence {
        build_info,
        injected,
        has_symbols,
        runtime,
    })
}

fn find_build_info(view: &ElfView<'_>) -> Option<GoBuildInfo> {
    let data = view.data;
    for (start, len) in view.build_info_ranges() {
        let range = &data[start as usize..(start + len) as usize];
        for hit in memchr::memmem::find_iter(range, MAGIC) {
            let offset = start + hit as u64;
            // Go aligns the header to 16 bytes in memory; use the address when mapped.
            let aligned = view
                .address_of_offset(offset)
                .unwrap_or(offset)
                .is_multiple_of(16);
            if !aligned {
                continue;
            }
            if let Some(info) = decode_header(view, offset) {
                return Some(info);
            }
        }
    }
    None
}

fn decode_header(view: &ElfView<'_>, offset: u64) -> Option<GoBuildInfo> {
    let data = view.data;
    let at = offset as usize;
    let header = data.get(at..at + HEADER_LEN)?;
    let ptr_size = header[14] as usize;
    let flags = header[15];
    let file_fact = |value: String, off: u64| Fact {
        value,
        at: Provenance::File {
            section: view.section_at_offset(off),
            offset: off,
        },
    };
    let (format, version, modinfo) = if flags & FLAG_INLINE != 0 {
        let (v, v_off, rest) = varint_string(data, at + HEADER_LEN)?;
        let (m, m_off, _) = varint_string(data, rest)?;
        (
            BuildInfoFormat::Inline,
            (v, v_off as u64),
            (m, m_off as u64),
        )
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return None;
        }
        let big = flags & FLAG_BIG_ENDIAN != 0;
        let word = |o: usize| decode_word(&header[o..o + ptr_size], big);
        let v = read_go_string(view, word(16), ptr_size, big)?;
        let m = read_go_string(view, word(16 + ptr_size), ptr_size, big).unwrap_or((&[], 0));
        (BuildInfoFormat::Pointers, v, m)
    };
    let go_version = std::str::from_utf8(version.0).ok()?;
    if !(go_version.starts_with("go") || go_version.starts_with("devel"))
        || go_version.len() > 256
        || go_version.chars().any(|c| c.is_control())
    {
        return None;
    }
    let mut info = GoBuildInfo {
        format,
        header: Provenance::File {
            section: view.section_at_offset(offset),
            offset,
        },
        go_version: file_fact(go_version.to_string(), version.1),
        path: None,
        main: None,
        deps: Vec::new(),
        settings: Vec::new(),
    };
    let (mod_bytes, mod_off) = modinfo;
    let n = mod_bytes.len();
    if n > 2 * FRAME && mod_bytes[n - FRAME - 1] == b'\n' {
        let text = String::from_utf8_lossy(&mod_bytes[FRAME..n - FRAME]);
        let base = mod_off + FRAME as u64;
        parse_modinfo(&text, &mut info, &|line_start| {
            let off = base + line_start as u64;
            Provenance::File {
                section: view.section_at_offset(off),
                offset: off,
            }
        });
    }
    Some(info)
}

/// A uvarint-prefixed string at `at`: (bytes, their offset, the offset after them).
fn varint_string(data: &[u8], at: usize) -> Option<(&[u8], usize, usize)> {
    let mut value: u64 = 0;
    let mut shift = 0;
    let mut i = at;
    loop {
        let b = *data.get(i)?;
        i += 1;
        if shift >= 64 {
            return None;
        }
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let len = usize::try_from(value).ok()?;
    let end = i.checked_add(len)?;
    let bytes = data.get(i..end)?;
    Some((bytes, i, end))
}

/// A Go string whose header (pointer, length) is at `addr`: (bytes, their file offset).
fn read_go_string<'d>(
    view: &ElfView<'d>,
    addr: u64,
    ptr_size: usize,
    big: bool,
) -> Option<(&'d [u8], u64)> {
    let (hdr, _) = view.read_address(addr, 2 * ptr_size as u64)?;
    let ptr = decode_word(&hdr[..ptr_size], big);
    let len = decode_word(&hdr[ptr_size..], big);
    if len > view.data.len() as u64 {
        return None;
    }
    if len == 0 {
        return Some((&[], 0));
    }
    view.read_address(ptr, len)
}

/// Parses the module info text (`path`, `mod`, `dep`, `=>`, `build` lines). Lenient where Go
/// 1.18 wrote values unquoted that later versions quote; unknown lines are ignored.
/// `at(line_start)` gives the provenance of the line starting at that byte of `text`.
pub(crate) fn parse_modinfo(text: &str, info: &mut GoBuildInfo, at: &dyn Fn(usize) -> Provenance) {
    // Which module a `=>` line replaces: the main module or the last dep.
    enum Last {
        None,
        Main,
        Dep,
    }
    let mut last = Last::None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let line_start = start;
        start += line.len();
        let line = line.trim_end_matches('\n');
        let Some((word, rest)) = line.split_once('\t') else {
            continue;
        };
        match word {
            "path" => {
                info.path = Some(Fact {
                    value: rest.to_string(),
                    at: at(line_start),
                })
            }
            "mod" | "dep" => {
                let Some(m) = module_line(rest, at(line_start)) else {
                    last = Last::None;
                    continue;
                };
                if word == "mod" {
                    info.main = Some(m);
                    last = Last::Main;
                } else {
                    info.deps.push(m);
                    last = Last::Dep;
                }
            }
            "=>" => {
                let Some(r) = module_line(rest, at(line_start)) else {
                    continue;
                };
                let target = match last {
                    Last::Main => info.main.as_mut(),
                    Last::Dep => info.deps.last_mut(),
                    Last::None => None,
                };
                if let Some(t) = target {
                    t.replace = Some(Box::new(r));
                }
                last = Last::None;
            }
            "build" => {
                if let Some((key, value)) = build_line(rest) {
                    info.settings.push(BuildSetting {
                        key,
                        value,
                        at: at(line_start),
                    });
                }
            }
            _ => {}
        }
    }
}

fn module_line(rest: &str, at: Provenance) -> Option<GoModule> {
    let cols: Vec<&str> = rest.split('\t').collect();
    if cols.len() < 2 || cols[0].is_empty() {
        return None;
    }
    Some(GoModule {
        path: cols[0].to_string(),
        version: cols[1].to_string(),
        sum: cols.get(2).filter(|s| !s.is_empty()).map(|s| s.to_string()),
        replace: None,
        at,
    })
}

/// `key=value` with Go-quoted key or value where they hold spaces, quotes or `=`.
fn build_line(kv: &str) -> Option<(String, String)> {
    let (key, raw_value) = if kv.starts_with('"') || kv.starts_with('`') {
        let end = quoted_prefix_len(kv)?;
        let key = go_unquote(&kv[..end])?;
        (key, kv[end..].strip_prefix('=')?)
    } else {
        let (k, v) = kv.split_once('=')?;
        (k.to_string(), v)
    };
    if key.is_empty() {
        return None;
    }
    let value = if raw_value.starts_with('"') || raw_value.starts_with('`') {
        go_unquote(raw_value).unwrap_or_else(|| raw_value.to_string())
    } else {
        raw_value.to_string()
    };
    Some((key, value))
}

/// Length of the Go-quoted string at the start of `s`.
fn quoted_prefix_len(s: &str) -> Option<usize> {
    let q = s.chars().next()?;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        if q == '"' && escaped {
            escaped = false;
            continue;
        }
        if q == '"' && c == '\\' {
            escaped = true;
        } else if c == q {
            return Some(i + 1);
        }
    }
    None
}

/// Go's `strconv.Unquote` for double-quoted and back-quoted strings.
pub(crate) fn go_unquote(s: &str) -> Option<String> {
    if let Some(inner) = s.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
        return (!inner.contains('`')).then(|| inner.to_string());
    }
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let e = chars.next()?;
        let simple = match e {
            'a' => Some(7u8),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            '\\' => Some(b'\\'),
            '"' => Some(b'"'),
            '\'' => Some(b'\''),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let hex = |n: usize, chars: &mut std::str::Chars<'_>| -> Option<u32> {
            let digits: String = chars.by_ref().take(n).collect();
            (digits.len() == n)
                .then(|| u32::from_str_radix(&digits, 16).ok())
                .flatten()
        };
        match e {
            'x' => out.push(u8::try_from(hex(2, &mut chars)?).ok()?),
            'u' | 'U' => {
                let cp = hex(if e == 'u' { 4 } else { 8 }, &mut chars)?;
                let mut buf = [0; 4];
                out.extend_from_slice(char::from_u32(cp)?.encode_utf8(&mut buf).as_bytes());
            }
            '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let v = u32::from_str_radix(&format!("{e}{rest}"), 8).ok()?;
                out.push(u8::try_from(v).ok()?);
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

/// Last path element of a Go symbol name: `github.com/x/y/version.Version` -> `Version`.
fn short_name(symbol: &str) -> &str {
    symbol.rsplit('.').next().unwrap_or(symbol)
}

/// Whether a variable name says it holds a version or a commit.
pub(crate) fn names_version_or_commit(variable: &str) -> bool {
    let n = short_name(variable).to_ascii_lowercase();
    ["version", "commit", "revision", "gitsha", "sha1"]
        .iter()
        .any(|w| n.contains(w))
}

/// String variables read through `.symtab`: every `NAME` that has a `NAME.str` (the symbol the
/// Go linker creates for each `-X NAME=...`), and version/commit-named string variables.
fn symbol_strings(view: &ElfView<'_>) -> Vec<InjectedString> {
    if view.symbols.is_empty() {
        return Vec::new();
    }
    let ptr_size: u64 = if view.is_64 { 8 } else { 4 };
    let big = view.big_endian;
    let str_syms: std::collections::HashMap<&str, &super::elf::Symbol> = view
        .symbols
        .iter()
        .filter_map(|s| s.name.strip_suffix(".str").map(|base| (base, s)))
        .collect();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for sym in &view.symbols {
        let name = sym.name.as_str();
        if name.starts_with("runtime.") || name.starts_with("go:") || name.ends_with(".str") {
            continue;
        }
        let set_by_linker = str_syms.get(name);
        if set_by_linker.is_none() && !(names_version_or_commit(name) && sym.size == 2 * ptr_size) {
            continue;
        }
        if !seen.insert(name) {
            continue;
        }
        let header = view
            .read_address(sym.address, 2 * ptr_size)
            .map(|(b, off)| {
                let p = ptr_size as usize;
                (decode_word(&b[..p], big), decode_word(&b[p..], big), off)
            });
        // Follow the header; in a position-independent binary the pointer is only a dynamic
        // relocation, so fall back to the `NAME.str` bytes the header points at.
        let via_header = header.and_then(|(ptr, len, off)| {
            if len == 0 || len > MAX_INJECTED {
                return None;
            }
            let (bytes, data_off) = view.read_address(ptr, len)?;
            Some((bytes, off, data_off))
        });
        let (bytes, header_off, data_off) = match (via_header, set_by_linker) {
            (Some(found), _) => found,
            (None, Some(s)) if s.size > 0 && s.size <= MAX_INJECTED => {
                let Some((b, off)) = view.read_address(s.address, s.size) else {
                    continue;
                };
                let b = b.strip_suffix(b"\0").unwrap_or(b);
                (b, header.map_or(0, |h| h.2), off)
            }
            _ => continue,
        };
        let Ok(value) = std::str::from_utf8(bytes) else {
            continue;
        };
        if value.is_empty() || value.chars().any(|c| c.is_control()) {
            continue;
        }
        out.push(InjectedString {
            variable: Some(name.to_string()),
            value: value.to_string(),
            origin: InjectionOrigin::Symbol,
            at: Provenance::Symbol {
                symbol: name.to_string(),
                address: sym.address,
                section: sym.section.clone(),
                offset: header_off,
                data_section: view.section_at_offset(data_off),
                data_offset: data_off,
            },
        });
    }
    out
}

/// `-X name=value` pairs of the `-ldflags` build setting (recorded unless `-trimpath`).
fn ldflags_strings(info: &GoBuildInfo) -> Vec<InjectedString> {
    let Some(setting) = info.setting("-ldflags") else {
        return Vec::new();
    };
    parse_ldflags_x(&setting.value)
        .into_iter()
        .map(|(variable, value)| InjectedString {
            variable: Some(variable),
            value,
            origin: InjectionOrigin::Ldflags,
            at: setting.at.clone(),
        })
        .collect()
}

/// The `-X` assignments in an `-ldflags` value, in order.
pub(crate) fn parse_ldflags_x(ldflags: &str) -> Vec<(String, String)> {
    let words = shell_words::split(ldflags)
        .unwrap_or_else(|_| ldflags.split_whitespace().map(str::to_string).collect());
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].trim_start_matches('-');
        let assignment = if words[i].starts_with('-') && w == "X" {
            i += 1;
            words.get(i).cloned()
        } else if words[i].starts_with('-') && w.starts_with("X=") {
            Some(w[2..].to_string())
        } else {
            None
        };
        if let Some((name, value)) = assignment.as_deref().and_then(|a| a.split_once('=')) {
            out.push((name.to_string(), value.to_string()));
        }
        i += 1;
    }
    out
}

static VERSION_SHAPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^v?[0-9]+\.[0-9]+(\.[0-9]+)?([-+~.][0-9A-Za-z.+~-]*)?$").expect("valid regex")
});
static COMMIT_SHAPED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|-g)[0-9a-f]{7,40}(-dirty)?$").expect("valid regex"));

/// In a stripped binary the `-X` values still sit in read-only data as the linker wrote them:
/// each its own NUL-terminated symbol, so NUL before and after. Report the version- and
/// commit-shaped ones; they are candidates, not facts about a named variable.
fn heuristic_strings(view: &ElfView<'_>, go_version: &str) -> Vec<InjectedString> {
    const LIMIT: usize = 64;
    let mut out = Vec::new();
    // The linker puts -X values (SRODATA symbols) in `.rodata`; other read-only sections
    // (`.gopclntab`, `.typelink`) hold names and tables whose fragments only add noise.
    for (section, start, len) in view
        .rodata_sections()
        .into_iter()
        .filter(|(name, _, _)| *name == ".rodata")
    {
        let bytes = &view.data[start as usize..(start + len) as usize];
        let mut pos = 0;
        for nul in memchr::memchr_iter(0, bytes) {
            let s = &bytes[pos..nul];
            let begins_after_nul = pos > 0;
            pos = nul + 1;
            if !begins_after_nul || s.len() < 3 || s.len() > 128 {
                continue;
            }
            if !s.iter().all(|b| b.is_ascii_graphic()) {
                continue;
            }
            let commit = COMMIT_SHAPED.is_match(s)
                && s.iter().any(u8::is_ascii_digit)
                && s.iter().any(|b| (b'a'..=b'f').contains(b));
            if !(VERSION_SHAPED.is_match(s) || commit) || s == go_version.as_bytes() {
                continue;
            }
            let offset = start + (pos - 1 - s.len()) as u64;
            out.push(InjectedString {
                variable: None,
                value: String::from_utf8_lossy(s).into_owned(),
                origin: InjectionOrigin::Heuristic,
                at: Provenance::Heuristic {
                    section: Some(section.to_string()),
                    offset,
                    why: format!(
                        "{}-shaped string standing alone (NUL before and after) in read-only data, as the Go linker stores -X values; no symbol table names it",
                        if commit { "commit" } else { "version" }
                    ),
                },
            });
            if out.len() >= LIMIT {
                return out;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_info() -> GoBuildInfo {
        GoBuildInfo {
            format: BuildInfoFormat::Inline,
            header: Provenance::File {
                section: None,
                offset: 0,
            },
            go_version: Fact {
                value: "go1.22.0".into(),
                at: Provenance::File {
                    section: None,
                    offset: 0,
                },
            },
            path: None,
            main: None,
            deps: Vec::new(),
            settings: Vec::new(),
        }
    }

    fn at_line(start: usize) -> Provenance {
        Provenance::File {
            section: Some(".go.buildinfo".into()),
            offset: 1000 + start as u64,
        }
    }

    #[test]
    fn modinfo_lines_become_modules_replacements_and_settings() {
        let text = "path\texample.com/tool/cmd/tool\n\
                    mod\texample.com/tool\tv1.2.3\th1:main=\n\
                    dep\tgolang.org/x/sys\tv0.30.0\th1:sys=\n\
                    dep\texample.com/old\tv1.0.0\n\
                    =>\texample.com/fork\tv1.0.1\th1:fork=\n\
                    build\t-ldflags=\"-s -X main.version=1.2.3\"\n\
                    build\tvcs.revision=0123456789abcdef0123456789abcdef01234567\n\
                    build\tvcs.modified=false\n";
        let mut info = empty_info();
        parse_modinfo(text, &mut info, &at_line);
        assert_eq!(
            info.path.as_ref().unwrap().value,
            "example.com/tool/cmd/tool"
        );
        let main = info.main.as_ref().unwrap();
        assert_eq!(
            (main.path.as_str(), main.version.as_str()),
            ("example.com/tool", "v1.2.3")
        );
        assert_eq!(main.at, at_line(31));
        assert_eq!(info.deps.len(), 2);
        assert_eq!(info.deps[0].sum.as_deref(), Some("h1:sys="));
        let replaced = &info.deps[1];
        assert_eq!(replaced.replace.as_ref().unwrap().path, "example.com/fork");
        assert_eq!(replaced.effective_version(), "v1.0.1");
        assert_eq!(
            info.setting("-ldflags").unwrap().value,
            "-s -X main.version=1.2.3"
        );
        assert_eq!(info.setting("vcs.modified").unwrap().value, "false");
    }

    #[test]
    fn go_1_18_unquoted_ldflags_are_kept_whole() {
        let mut info = empty_info();
        parse_modinfo(
            "build\t-ldflags=-X main.version=1.0 -X main.gitCommit=abc1234\n",
            &mut info,
            &at_line,
        );
        let v = &info.setting("-ldflags").unwrap().value;
        assert_eq!(
            parse_ldflags_x(v),
            vec![
                ("main.version".to_string(), "1.0".to_string()),
                ("main.gitCommit".to_string(), "abc1234".to_string())
            ]
        );
    }

    #[test]
    fn quoted_keys_and_values_unquote_like_go() {
        assert_eq!(
            build_line(r#""we ird"="a\tb\x41\u00e9""#),
            Some(("we ird".to_string(), "a\tbA\u{e9}".to_string()))
        );
        assert_eq!(go_unquote("`raw \\n`").as_deref(), Some("raw \\n"));
        assert_eq!(go_unquote(r#""\101""#).as_deref(), Some("A"));
        assert_eq!(go_unquote(r#""bad \q""#), None);
    }

    #[test]
    fn ldflags_x_accepts_both_spellings_and_quotes() {
        assert_eq!(
            parse_ldflags_x(r#"-w -X=main.a=1 --X 'main.b=two words' -X main.c="x""#),
            vec![
                ("main.a".into(), "1".into()),
                ("main.b".into(), "two words".into()),
                ("main.c".into(), "x".into())
            ]
        );
    }

    #[test]
    fn varint_strings_read_multi_byte_lengths() {
        let mut data = vec![0u8; 3];
        data.extend_from_slice(&[0x81, 0x01]); // 129
        data.extend(std::iter::repeat_n(b'x', 129));
        data.push(0);
        let (s, off, end) = varint_string(&data, 3).unwrap();
        assert_eq!((s.len(), off, end), (129, 5, 134));
        assert!(varint_string(&data, data.len() - 1).is_some());
        assert!(
            varint_string(&[0x05, b'a'], 0).is_none(),
            "length past the end"
        );
    }

    #[test]
    fn version_and_commit_names_are_recognised() {
        assert!(names_version_or_commit("main.version"));
        assert!(names_version_or_commit("main.gitCommit"));
        assert!(names_version_or_commit(
            "github.com/containerd/containerd/version.Revision"
        ));
        assert!(!names_version_or_commit("main.usage"));
    }
}
