//! Go's function table (`.gopclntab`, the `pcHeader` the runtime reads for stack traces) in one
//! ELF file: every function's full name, its source file, the line of its `func` keyword and
//! the last line of its own code, plus the names of functions that only survive inlined.
//! Layouts: Go 1.16-1.17 (magic `0xfffffffa`), 1.18-1.19 (`0xfffffff0`), 1.20 and later
//! (`0xfffffff1`, whose `_func` records carry the start line). Found through the `.gopclntab`
//! section, or, when the section headers are stripped, by its magic and a header that makes
//! sense in a read-only load segment (said so in its provenance).
//!
//! Written after Go's own readers (src/debug/gosym/pclntab.go, src/runtime/symtab.go) and the
//! writer (cmd/link/internal/ld/pcln.go); no crate reads the file and line tables.
//!
//! Must not: trust any offset or count in the table (every read is bounds-checked; counts and
//! decoding work are capped), or know what the functions mean (that is `functable`).

use serde::Serialize;

use super::Provenance;
use super::elf::{ElfView, decode_word};

/// Most functions read from one table (a large Kubernetes binary has about 100,000).
const MAX_FUNCTIONS: u64 = 1 << 20;
/// Longest function or file name believed (generic instantiations are written `F[...]`).
const MAX_NAME: usize = 16 << 10;
/// pc-value steps decoded for one function's file, line and inlining tables together.
const MAX_STEPS_PER_FUNCTION: usize = 1 << 16;
/// pc-value steps decoded for the whole table: past it, lines are no longer read.
const MAX_STEPS: u64 = 1 << 26;
/// Name bytes read from one Go 1.2-1.15 table (a large binary's names take a few MiB).
const MAX_NAME_BYTES: usize = 64 << 20;
/// Candidate headers tried when searching by magic.
const MAX_CANDIDATES: usize = 64;
/// `_PCDATA_InlTreeIndex`: the pcdata table saying which inlined call a pc belongs to.
const PCDATA_INL_TREE_INDEX: usize = 2;

/// Which `pcHeader` layout a table uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PclntabLayout {
    /// Go 1.16 and 1.17: magic `0xfffffffa`, absolute entry pcs.
    #[serde(rename = "go1.16")]
    Go116,
    /// Go 1.18 and 1.19: magic `0xfffffff0`, entry offsets from the start of the text.
    #[serde(rename = "go1.18")]
    Go118,
    /// Go 1.20 and later: magic `0xfffffff1`, `_func` holds the start line.
    #[serde(rename = "go1.20")]
    Go120,
}

impl PclntabLayout {
    fn from_magic(magic: u32) -> Option<PclntabLayout> {
        match magic {
            0xffff_fffa => Some(PclntabLayout::Go116),
            0xffff_fff0 => Some(PclntabLayout::Go118),
            0xffff_fff1 => Some(PclntabLayout::Go120),
            _ => None,
        }
    }

    /// The magic number of the layout.
    pub fn magic(self) -> u32 {
        match self {
            PclntabLayout::Go116 => 0xffff_fffa,
            PclntabLayout::Go118 => 0xffff_fff0,
            PclntabLayout::Go120 => 0xffff_fff1,
        }
    }

    /// The Go releases writing it.
    pub fn go_versions(self) -> &'static str {
        match self {
            PclntabLayout::Go116 => "Go 1.16-1.17",
            PclntabLayout::Go118 => "Go 1.18-1.19",
            PclntabLayout::Go120 => "Go 1.20+",
        }
    }
}

/// One function with code in the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoFunction {
    /// The linker's symbol name: `github.com/opencontainers/runc/libcontainer.(*linuxStandardInit).Init`
    /// (type arguments of generic instantiations written `[...]`).
    pub name: String,
    /// Index into [`FunctionTable::files`] of the file holding its entry: the path the compiler
    /// saw (`/build/runc-1.1.5/libcontainer/init_linux.go`, or with `-trimpath`
    /// `github.com/opencontainers/runc/libcontainer/init_linux.go`).
    pub file: Option<u32>,
    /// Go 1.20+: the line of its `func` keyword, as recorded. Older layouts: the line of its
    /// entry instruction: the `func` line when it has a prologue (a stack check), else its
    /// first statement's line.
    pub start_line: Option<u32>,
    /// The highest line of its own code (not inlined callees) in its file.
    pub end_line: Option<u32>,
    /// File offset of its `_func` record.
    pub offset: u64,
}

/// The function table of one Go binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionTable {
    /// Which layout.
    pub layout: PclntabLayout,
    /// Where the `pcHeader` is.
    pub at: Provenance,
    /// The section holding the table (`None` when the section headers are stripped).
    pub section: Option<String>,
    /// The pointer size its header states (4 or 8).
    pub pointer_size: u8,
    /// Functions with code of their own, in address order.
    pub functions: Vec<GoFunction>,
    /// Source file names, shared by the functions.
    pub files: Vec<String>,
    /// Names in the function name table that no function record uses: functions whose only
    /// copies were inlined into their callers (the code is in the binary under another name).
    pub inlined: Vec<String>,
    /// What was not read and why (caps reached, damaged records).
    pub notes: Vec<String>,
}

impl FunctionTable {
    /// The file of a function.
    pub fn file(&self, f: &GoFunction) -> Option<&str> {
        f.file
            .and_then(|i| self.files.get(i as usize))
            .map(String::as_str)
    }

    /// Where a function's record was read.
    pub fn provenance(&self, f: &GoFunction) -> Provenance {
        Provenance::File {
            section: self.section.clone(),
            offset: f.offset,
        }
    }
}

/// Reads the function table of an ELF file; `None` when it has none this reader knows.
pub(crate) fn read_function_table(view: &ElfView<'_>) -> Option<FunctionTable> {
    if let Some(s) = view.section(".gopclntab")
        && let Some((off, len)) = s.file
        && let Some(tab) = slice(view.data, off, len)
        && let Some(mut t) = parse(tab, off, view.big_endian)
    {
        t.section = Some(s.name.clone());
        t.at = Provenance::File {
            section: t.section.clone(),
            offset: off,
        };
        return Some(t);
    }
    find_by_magic(view)
}

fn slice(data: &[u8], off: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(off).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    data.get(start..end)
}

/// Without a `.gopclntab` section: the magic in read-only data, with a header that parses.
fn find_by_magic(view: &ElfView<'_>) -> Option<FunctionTable> {
    let mut tried = 0;
    for (start, len) in view.readonly_ranges() {
        let region = slice(view.data, start, len)?;
        for layout in [
            PclntabLayout::Go120,
            PclntabLayout::Go118,
            PclntabLayout::Go116,
        ] {
            let magic = if view.big_endian {
                layout.magic().to_be_bytes()
            } else {
                layout.magic().to_le_bytes()
            };
            for hit in memchr::memmem::find_iter(region, &magic) {
                // The linker aligns the header to at least 4 bytes.
                if hit % 4 != 0 || !plausible_header(&region[hit..]) {
                    continue;
                }
                tried += 1;
                if tried > MAX_CANDIDATES {
                    return None;
                }
                let offset = start + hit as u64;
                if let Some(mut t) = parse(&region[hit..], offset, view.big_endian) {
                    let section = view.section_at_offset(offset);
                    t.at = Provenance::Heuristic {
                        section: section.clone(),
                        offset,
                        why: format!(
                            "function table found by its magic {:#x} ({}) and a header that checks (pc quantum {}, pointer size {}, {} functions) in read-only data: no .gopclntab section names it",
                            layout.magic(),
                            layout.go_versions(),
                            region[hit + 6],
                            region[hit + 7],
                            t.functions.len()
                        ),
                    };
                    t.section = section;
                    return Some(t);
                }
            }
        }
    }
    None
}

/// Two zero bytes, a pc quantum of 1, 2 or 4 and a pointer size of 4 or 8 after the magic.
fn plausible_header(b: &[u8]) -> bool {
    b.len() >= 16 && b[4] == 0 && b[5] == 0 && matches!(b[6], 1 | 2 | 4) && matches!(b[7], 4 | 8)
}

/// Reads words of the table in its byte order, bounds-checked.
struct Reader<'t> {
    tab: &'t [u8],
    big: bool,
    ptr: usize,
}

impl Reader<'_> {
    fn u32_at(&self, at: usize) -> Option<u32> {
        let b = self.tab.get(at..at.checked_add(4)?)?;
        Some(decode_word(b, self.big) as u32)
    }

    fn word_at(&self, at: usize, size: usize) -> Option<u64> {
        let b = self.tab.get(at..at.checked_add(size)?)?;
        Some(decode_word(b, self.big))
    }

    /// The NUL-terminated string at `at` within `region` (an absolute range of the table).
    fn cstr(&self, region: (usize, usize), at: usize) -> Option<&str> {
        let start = region.0.checked_add(at)?;
        if start >= region.1 {
            return None;
        }
        let end = region.1.min(start.saturating_add(MAX_NAME + 1));
        let bytes = self.tab.get(start..end)?;
        let n = memchr::memchr(0, bytes)?;
        std::str::from_utf8(&bytes[..n]).ok()
    }
}

/// The tables a `pcHeader` points at, as absolute ranges of the table's bytes.
struct Layout {
    layout: PclntabLayout,
    quantum: u32,
    nfunc: usize,
    funcnames: (usize, usize),
    cutab: (usize, usize),
    filetab: (usize, usize),
    pctab: (usize, usize),
    /// The function table (`functab`) and the `_func` records after it.
    functab: (usize, usize),
}

fn header(r: &Reader<'_>) -> Option<Layout> {
    let tab = r.tab;
    if !plausible_header(tab) {
        return None;
    }
    let magic = r.u32_at(0)?;
    let layout = PclntabLayout::from_magic(magic)?;
    let word = |i: usize| r.word_at(8 + i * r.ptr, r.ptr);
    let nfunc = word(0)?;
    if nfunc == 0 || nfunc > MAX_FUNCTIONS {
        return None;
    }
    // Go 1.18 added textStart as the third word; the offsets follow.
    let first = if layout == PclntabLayout::Go116 { 2 } else { 3 };
    let offs: Vec<u64> = (first..first + 5).map(word).collect::<Option<_>>()?;
    let header_end = (8 + (first + 5) * r.ptr) as u64;
    // The linker writes the tables in this order after the header.
    let len = tab.len() as u64;
    if offs[0] < header_end || offs.windows(2).any(|w| w[0] > w[1]) || offs[4] >= len {
        return None;
    }
    let o: Vec<usize> = offs.iter().map(|&v| v as usize).collect();
    Some(Layout {
        layout,
        quantum: u32::from(tab[6]),
        nfunc: nfunc as usize,
        funcnames: (o[0], o[1]),
        cutab: (o[1], o[2]),
        filetab: (o[2], o[3]),
        pctab: (o[3], o[4]),
        functab: (o[4], tab.len()),
    })
}

/// Parses the table starting at `tab[0]` (file offset `base`).
fn parse(tab: &[u8], base: u64, big: bool) -> Option<FunctionTable> {
    if tab.len() < 16 {
        return None;
    }
    let ptr = usize::from(tab[7]);
    let r = Reader { tab, big, ptr };
    let h = header(&r)?;
    // functab: nfunc (entry, func offset) pairs and the end pc; 4-byte fields since Go 1.18.
    let field = if h.layout == PclntabLayout::Go116 {
        ptr
    } else {
        4
    };
    let entries = h.nfunc.checked_mul(2)?.checked_add(1)?;
    if h.functab.0.checked_add(entries.checked_mul(field)?)? > h.functab.1 {
        return None;
    }
    let ft = |i: usize| r.word_at(h.functab.0 + i * field, field);
    let mut t = FunctionTable {
        layout: h.layout,
        at: Provenance::File {
            section: None,
            offset: base,
        },
        section: None,
        pointer_size: tab[7],
        functions: Vec::with_capacity(h.nfunc.min(1 << 16)),
        files: Vec::new(),
        inlined: Vec::new(),
        notes: Vec::new(),
    };
    let mut file_ids: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    let mut used_names: std::collections::HashSet<u32> = std::collections::HashSet::new();
    let mut budget = MAX_STEPS;
    let mut damaged = 0usize;
    let mut prev_entry = None;
    for i in 0..h.nfunc {
        let (Some(entry), Some(funcoff)) = (ft(2 * i), ft(2 * i + 1)) else {
            return None;
        };
        // Entries are sorted: a table that is not is not a function table.
        if prev_entry.is_some_and(|p| entry < p) {
            return None;
        }
        prev_entry = Some(entry);
        let rec = usize::try_from(funcoff)
            .ok()
            .and_then(|o| h.functab.0.checked_add(o))
            .filter(|&o| o < h.functab.1);
        let Some(rec) = rec else {
            damaged += 1;
            continue;
        };
        match read_func(&r, &h, rec, &mut budget) {
            Some(f) => {
                used_names.insert(f.nameoff);
                let file = f.fileoff.map(|off| {
                    let next = file_ids.len() as u32;
                    *file_ids.entry(off).or_insert_with(|| {
                        t.files.push(
                            r.cstr(h.filetab, off as usize)
                                .unwrap_or("(unreadable file name)")
                                .to_string(),
                        );
                        next
                    })
                });
                t.functions.push(GoFunction {
                    name: f.name,
                    file,
                    start_line: f.start,
                    end_line: f.end,
                    offset: base + rec as u64,
                });
            }
            None => damaged += 1,
        }
    }
    // A table whose first records do not read is not one (a magic that happened to match).
    if t.functions.is_empty() {
        return None;
    }
    if damaged > 0 {
        t.notes.push(format!(
            "{damaged} function record(s) of the function table could not be read (outside the table or malformed): skipped"
        ));
    }
    if budget == 0 {
        t.notes.push(format!(
            "decoding the line tables stopped after {MAX_STEPS} steps: later functions have no lines"
        ));
    }
    // Every name not used by a record is a function present only inlined.
    let (ns, ne) = h.funcnames;
    let mut at = ns;
    while at < ne {
        let Some(n) = tab.get(at..ne).and_then(|b| memchr::memchr(0, b)) else {
            break;
        };
        let off = (at - ns) as u32;
        if n > 0
            && !used_names.contains(&off)
            && let Ok(s) = std::str::from_utf8(&tab[at..at + n])
        {
            t.inlined.push(s.to_string());
        }
        at += n + 1;
    }
    Some(t)
}

/// What one `_func` record says.
struct FuncRecord {
    name: String,
    nameoff: u32,
    /// Offset of its file's name in the file table.
    fileoff: Option<u32>,
    start: Option<u32>,
    end: Option<u32>,
}

fn read_func(r: &Reader<'_>, h: &Layout, rec: usize, budget: &mut u64) -> Option<FuncRecord> {
    // `_func`: the entry (a pointer before Go 1.18, a 4-byte offset since), then 4-byte fields.
    let sz0 = if h.layout == PclntabLayout::Go116 {
        r.ptr
    } else {
        4
    };
    let field = |n: usize| r.u32_at(rec + sz0 + (n - 1) * 4);
    let nameoff = field(1)?;
    let pcfile = field(5)?;
    let pcln = field(6)?;
    let npcdata = field(7)? as usize;
    let cu = field(8)?;
    let (recorded_start, fixed) = match h.layout {
        PclntabLayout::Go120 => (Some(field(9)?), sz0 + 9 * 4 + 4),
        _ => (None, sz0 + 8 * 4 + 4),
    };
    let name = r.cstr(h.funcnames, nameoff as usize)?;
    if name.is_empty() {
        return None;
    }
    let inl = if npcdata > PCDATA_INL_TREE_INDEX {
        r.u32_at(rec + fixed + PCDATA_INL_TREE_INDEX * 4)
            .filter(|&o| o != 0)
    } else {
        None
    };
    let mut steps = MAX_STEPS_PER_FUNCTION.min(*budget as usize);
    let files = pc_values(r, h, pcfile, &mut steps);
    let lines = pc_values(r, h, pcln, &mut steps);
    let inlined = inl.map(|o| pc_values(r, h, o, &mut steps));
    *budget -= (MAX_STEPS_PER_FUNCTION.min(*budget as usize) - steps) as u64;
    // The file at the entry, through the compilation unit's file list.
    let file_no = files.first().map(|&(_, v)| v);
    let fileoff = file_no
        .filter(|&n| n >= 0 && cu != u32::MAX)
        .and_then(|n| {
            let i = (cu as usize).checked_add(n as usize)?.checked_mul(4)?;
            let at = h.cutab.0.checked_add(i)?;
            (at + 4 <= h.cutab.1).then(|| r.u32_at(at)).flatten()
        })
        .filter(|&o| o != u32::MAX);
    let entry_line = lines.first().map(|&(_, v)| v).filter(|&l| l > 0);
    let start = match recorded_start {
        Some(l) if (l as i32) > 0 => Some(l),
        Some(_) => None,
        None => entry_line.map(|l| l as u32),
    };
    let end = own_last_line(&files, &lines, inlined.as_deref(), file_no).map(|l| l as u32);
    Some(FuncRecord {
        name: name.to_string(),
        nameoff,
        fileoff,
        start,
        end,
    })
}

/// The function names of a Go 1.2-1.15 table (magic `0xfffffffb`) starting at `tab[0]`, in
/// address order: `None` unless the whole function table decodes (a plausible count, sorted
/// entries, every record inside the table naming a function). Only names are read: this
/// reader knows no files or lines of that layout (debug/gosym's `go12` layout: `nfunctab`,
/// then pointer-sized `(entry, record offset)` pairs, records starting with the entry and the
/// name's offset from the table's start).
pub(crate) fn go12_function_names(tab: &[u8], big: bool) -> Option<Vec<String>> {
    if !plausible_header(tab) {
        return None;
    }
    let ptr = usize::from(tab[7]);
    let r = Reader { tab, big, ptr };
    if r.u32_at(0)? != 0xffff_fffb {
        return None;
    }
    let nfunc = r.word_at(8, ptr)?;
    if nfunc == 0 || nfunc > MAX_FUNCTIONS {
        return None;
    }
    let nfunc = nfunc as usize;
    let functab = 8 + ptr;
    let end = functab.checked_add((2 * nfunc + 1).checked_mul(ptr)?)?;
    if end.checked_add(4)? > tab.len() {
        return None;
    }
    let whole = (0, tab.len());
    let mut names = Vec::with_capacity(nfunc.min(1 << 16));
    let mut name_bytes = 0usize;
    let mut prev = None;
    for i in 0..nfunc {
        let entry = r.word_at(functab + 2 * i * ptr, ptr)?;
        let rec = usize::try_from(r.word_at(functab + (2 * i + 1) * ptr, ptr)?).ok()?;
        if prev.is_some_and(|p| entry < p) || rec < end {
            return None;
        }
        prev = Some(entry);
        // The record's entry is the functab's; its name offset follows.
        if r.word_at(rec, ptr)? != entry {
            return None;
        }
        let nameoff = r.u32_at(rec.checked_add(ptr)?)? as usize;
        let name = r.cstr(whole, nameoff).filter(|n| !n.is_empty())?;
        // Records sharing long names must not multiply memory: a table holding more name
        // bytes than any real one is not believed.
        name_bytes += name.len();
        if name_bytes > MAX_NAME_BYTES {
            return None;
        }
        names.push(name.to_string());
    }
    Some(names)
}

/// A pc-value table decoded into `(end pc offset, value)` runs, values starting at -1 (Go's
/// `step`: zig-zag value deltas, pc deltas times the quantum, a zero value delta ends it).
/// Empty when the offset is 0 or outside `pctab`, or the step allowance is spent.
fn pc_values(r: &Reader<'_>, h: &Layout, off: u32, steps: &mut usize) -> Vec<(u64, i32)> {
    let mut out = Vec::new();
    let start = h.pctab.0.saturating_add(off as usize);
    if off == 0 || start >= h.pctab.1 {
        return out;
    }
    let mut p = &r.tab[start..h.pctab.1];
    let mut pc: u64 = 0;
    let mut val: i32 = -1;
    let mut first = true;
    while *steps > 0 {
        *steps -= 1;
        let Some(uv) = uvarint(&mut p) else { break };
        if uv == 0 && !first {
            break;
        }
        first = false;
        let delta = if uv & 1 != 0 {
            !((uv >> 1) as u32) as i32
        } else {
            (uv >> 1) as u32 as i32
        };
        let Some(pcd) = uvarint(&mut p) else { break };
        val = val.wrapping_add(delta);
        pc = pc.saturating_add((pcd as u32 as u64) * u64::from(h.quantum));
        out.push((pc, val));
    }
    out
}

fn uvarint(p: &mut &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..35).step_by(7) {
        let (&b, rest) = p.split_first()?;
        *p = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The highest line of pcs in the function's own file that belong to no inlined call.
fn own_last_line(
    files: &[(u64, i32)],
    lines: &[(u64, i32)],
    inlined: Option<&[(u64, i32)]>,
    file_no: Option<i32>,
) -> Option<i32> {
    let file_no = file_no?;
    // The value of a run table at pc `at` (runs end at their pc, exclusive).
    let value_at = |runs: &[(u64, i32)], at: u64| -> Option<i32> {
        let i = runs.partition_point(|&(end, _)| end <= at);
        runs.get(i).map(|&(_, v)| v)
    };
    let mut begin = 0u64;
    let mut best: Option<i32> = None;
    for &(end, line) in lines {
        if end > begin
            && line > 0
            && value_at(files, begin) == Some(file_no)
            && inlined.is_none_or(|t| value_at(t, begin).is_none_or(|v| v < 0))
        {
            best = Some(best.map_or(line, |b| b.max(line)));
        }
        begin = end;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(tab: &[u8]) -> Reader<'_> {
        Reader {
            tab,
            big: false,
            ptr: 8,
        }
    }

    #[test]
    fn pc_value_runs_decode_like_go() {
        // Value -1 + 11 = 10 for 4 quanta, then +2 = 12 for 3, then -1 = 11 for 1, end
        // (zig-zag: 22 is +11, 4 is +2, 1 is -1).
        let mut tab = vec![0u8; 4];
        tab.extend_from_slice(&[22, 4, 4, 3, 1, 1, 0]);
        let h = Layout {
            layout: PclntabLayout::Go118,
            quantum: 2,
            nfunc: 1,
            funcnames: (0, 0),
            cutab: (0, 0),
            filetab: (0, 0),
            pctab: (0, tab.len()),
            functab: (0, 0),
        };
        let mut steps = 100;
        assert_eq!(
            pc_values(&reader(&tab), &h, 4, &mut steps),
            vec![(8, 10), (14, 12), (16, 11)]
        );
        assert_eq!(steps, 96, "three runs and the terminator");
        let mut none = 0;
        assert!(pc_values(&reader(&tab), &h, 4, &mut none).is_empty());
        assert!(pc_values(&reader(&tab), &h, 0, &mut steps).is_empty());
        assert!(pc_values(&reader(&tab), &h, 999, &mut steps).is_empty());
    }

    #[test]
    fn the_last_own_line_skips_other_files_and_inlined_code() {
        let files = [(10, 0), (20, 1), (30, 0)];
        let lines = [(5, 40), (10, 41), (20, 900), (25, 60), (30, 70)];
        // pcs 25..30 are inlined code of the same file.
        let inl = [(25, -1), (30, 0)];
        assert_eq!(own_last_line(&files, &lines, Some(&inl), Some(0)), Some(60));
        assert_eq!(own_last_line(&files, &lines, None, Some(0)), Some(70));
        assert_eq!(own_last_line(&files, &lines, None, None), None);
    }

    /// A Go 1.2 table (64-bit, little-endian) of `names`, entries 16 bytes apart.
    fn go12(names: &[&str]) -> Vec<u8> {
        let n = names.len();
        let mut t = vec![0xfb, 0xff, 0xff, 0xff, 0, 0, 1, 8];
        t.extend((n as u64).to_le_bytes());
        let end = 16 + (2 * n + 1) * 8;
        let names_at = end + 4;
        let names_len: usize = names.iter().map(|s| s.len() + 1).sum();
        let recs = (names_at + names_len).next_multiple_of(8);
        for i in 0..n {
            t.extend((0x1000 + 16 * i as u64).to_le_bytes());
            t.extend(((recs + 16 * i) as u64).to_le_bytes());
        }
        t.extend((0x1000 + 16 * n as u64).to_le_bytes());
        t.extend([0; 4]);
        let mut offs = Vec::new();
        for s in names {
            offs.push(t.len() as u32);
            t.extend(s.as_bytes());
            t.push(0);
        }
        t.resize(recs, 0);
        for (i, o) in offs.iter().enumerate() {
            t.extend((0x1000 + 16 * i as u64).to_le_bytes());
            t.extend(o.to_le_bytes());
            t.extend([0; 4]);
        }
        t
    }

    #[test]
    fn go12_tables_decode_whole_or_not_at_all() {
        let t = go12(&["runtime.main", "runtime.goexit", "main.main"]);
        assert_eq!(
            go12_function_names(&t, false).unwrap(),
            ["runtime.main", "runtime.goexit", "main.main"]
        );
        // A count past the table, a header alone, a record not matching its entry, a name
        // offset outside the table: none is a table.
        let mut big = t.clone();
        big[8..16].copy_from_slice(&1_000_000u64.to_le_bytes());
        assert!(go12_function_names(&big, false).is_none());
        assert!(go12_function_names(&t[..16], false).is_none());
        let mut moved = t.clone();
        let rec = u64::from_le_bytes(t[24..32].try_into().unwrap()) as usize;
        moved[rec] ^= 1;
        assert!(go12_function_names(&moved, false).is_none());
        let mut far = t.clone();
        far[rec + 8..rec + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(go12_function_names(&far, false).is_none());
        // Another layout's magic is not this one.
        let mut other = t;
        other[0] = 0xf1;
        assert!(go12_function_names(&other, false).is_none());
    }

    #[test]
    fn headers_must_make_sense() {
        let mut h = vec![0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8];
        h.resize(16, 0);
        assert!(plausible_header(&h));
        h[6] = 3;
        assert!(!plausible_header(&h));
        h[6] = 1;
        h[7] = 2;
        assert!(!plausible_header(&h));
        // A plausible start whose counts are zero is refused.
        h[7] = 8;
        h.resize(200, 0);
        assert!(header(&reader(&h)).is_none());
    }
}
