//! A read-only view of one ELF file held in memory: sections, load segments, the address ->
//! file offset mapping and `.symtab` symbols, through the `object` crate. Knows nothing about Go.

use object::{
    Object, ObjectSection, ObjectSegment, ObjectSymbol, SectionFlags, SectionKind, SegmentFlags,
    elf,
};

/// A section with its addresses and file range.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    pub name: String,
    pub address: u64,
    /// File offset and size; `None` for sections with no bytes in the file (`.bss`).
    pub file: Option<(u64, u64)>,
    pub writable: bool,
    pub executable: bool,
    pub kind: SectionKind,
}

#[derive(Debug, Clone)]
struct Segment {
    address: u64,
    file_offset: u64,
    file_size: u64,
    writable: bool,
    executable: bool,
}

/// A `.symtab` symbol.
#[derive(Debug, Clone)]
pub(crate) struct Symbol {
    pub name: String,
    pub address: u64,
    pub size: u64,
    pub section: Option<String>,
}

pub(crate) struct ElfView<'d> {
    pub data: &'d [u8],
    pub sections: Vec<Section>,
    segments: Vec<Segment>,
    pub symbols: Vec<Symbol>,
    pub is_64: bool,
    pub big_endian: bool,
}

impl<'d> ElfView<'d> {
    /// Parses an ELF file; the error names what `object` rejected.
    pub fn parse(data: &'d [u8]) -> Result<ElfView<'d>, String> {
        let file = object::File::parse(data).map_err(|e| e.to_string())?;
        if file.format() != object::BinaryFormat::Elf {
            return Err("not an ELF file".into());
        }
        let mut sections = Vec::new();
        for s in file.sections() {
            let name = s.name().unwrap_or("").to_string();
            let (writable, executable) = match s.flags() {
                SectionFlags::Elf { sh_flags, .. } => (
                    sh_flags.0 & elf::SHF_WRITE.0 != 0,
                    sh_flags.0 & elf::SHF_EXECINSTR.0 != 0,
                ),
                _ => (false, false),
            };
            sections.push(Section {
                name,
                address: s.address(),
                file: s.file_range(),
                writable,
                executable,
                kind: s.kind(),
            });
        }
        let segments = file
            .segments()
            .map(|s| {
                let (file_offset, file_size) = s.file_range();
                let (writable, executable) = match s.flags() {
                    SegmentFlags::Elf { p_flags, .. } => {
                        (p_flags.0 & elf::PF_W.0 != 0, p_flags.0 & elf::PF_X.0 != 0)
                    }
                    _ => (false, false),
                };
                Segment {
                    address: s.address(),
                    file_offset,
                    file_size,
                    writable,
                    executable,
                }
            })
            .collect();
        let symbols = file
            .symbols()
            .filter_map(|s| {
                let name = s.name().ok()?.to_string();
                if name.is_empty() {
                    return None;
                }
                let section = s
                    .section_index()
                    .and_then(|i| file.section_by_index(i).ok())
                    .and_then(|sec| sec.name().ok().map(str::to_string));
                Some(Symbol {
                    name,
                    address: s.address(),
                    size: s.size(),
                    section,
                })
            })
            .collect();
        Ok(ElfView {
            data,
            sections,
            segments,
            symbols,
            is_64: file.is_64(),
            big_endian: !file.is_little_endian(),
        })
    }

    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The name of the section whose file bytes hold `offset`.
    pub fn section_at_offset(&self, offset: u64) -> Option<String> {
        self.sections
            .iter()
            .find(|s| {
                s.file.is_some_and(|(o, n)| {
                    n > 0 && offset >= o && o.checked_add(n).is_some_and(|end| offset < end)
                })
            })
            .map(|s| s.name.clone())
    }

    /// File offset of virtual address `addr` when `len` bytes from there are in the file:
    /// through load segments, or section addresses when there are none (relocatable files).
    pub fn offset_of_address(&self, addr: u64, len: u64) -> Option<u64> {
        let fits = |start: u64, size: u64| {
            addr >= start
                && addr
                    .checked_add(len)
                    .is_some_and(|end| start.checked_add(size).is_some_and(|top| end <= top))
        };
        let found = self
            .segments
            .iter()
            .find(|s| fits(s.address, s.file_size))
            .and_then(|s| s.file_offset.checked_add(addr - s.address))
            .or_else(|| {
                self.sections.iter().find_map(|s| {
                    let (off, size) = s.file?;
                    (s.address != 0 && fits(s.address, size))
                        .then(|| off.checked_add(addr - s.address))
                        .flatten()
                })
            })?;
        (found.checked_add(len)? <= self.data.len() as u64).then_some(found)
    }

    /// `len` bytes at virtual address `addr`, with their file offset.
    pub fn read_address(&self, addr: u64, len: u64) -> Option<(&'d [u8], u64)> {
        let off = self.offset_of_address(addr, len)?;
        Some((&self.data[off as usize..(off + len) as usize], off))
    }

    /// Whether `(offset, len)` lies inside the file: headers of a damaged or hostile file
    /// may name ranges past its end (or past 2^64).
    fn in_file(&self, (offset, len): (u64, u64)) -> bool {
        offset
            .checked_add(len)
            .is_some_and(|end| end <= self.data.len() as u64)
    }

    /// File ranges where the Go linker puts build info: `.go.buildinfo`, else the first
    /// writable, non-executable load segment (as Go's own reader looks), else the whole file.
    /// Only ranges inside the file.
    pub fn build_info_ranges(&self) -> Vec<(u64, u64)> {
        let mut ranges = Vec::new();
        if let Some((o, n)) = self.section(".go.buildinfo").and_then(|s| s.file) {
            ranges.push((o, n));
        }
        if let Some(s) = self
            .segments
            .iter()
            .find(|s| s.writable && !s.executable && s.file_size > 0)
        {
            ranges.push((s.file_offset, s.file_size));
        }
        ranges.retain(|r| self.in_file(*r));
        ranges.push((0, self.data.len() as u64));
        ranges
    }

    /// The virtual address of a file offset, when a load segment maps it.
    pub fn address_of_offset(&self, offset: u64) -> Option<u64> {
        self.segments
            .iter()
            .find(|s| {
                offset >= s.file_offset
                    && s.file_offset
                        .checked_add(s.file_size)
                        .is_some_and(|end| offset < end)
            })
            .and_then(|s| s.address.checked_add(offset - s.file_offset))
            .or_else(|| {
                self.sections.iter().find_map(|s| {
                    let (o, n) = s.file?;
                    (s.address != 0 && offset >= o && o.checked_add(n).is_some_and(|e| offset < e))
                        .then(|| s.address.checked_add(offset - o))
                        .flatten()
                })
            })
    }

    /// File ranges of the load segments that are not writable, read-only ones first, then
    /// sections of read-only data (a relocatable file has no segments): where the Go linker
    /// puts its function table.
    pub fn readonly_ranges(&self) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        for exec in [false, true] {
            out.extend(
                self.segments
                    .iter()
                    .filter(|s| !s.writable && s.executable == exec && s.file_size > 0)
                    .map(|s| (s.file_offset, s.file_size)),
            );
        }
        for (_, o, n) in self.rodata_sections() {
            if !out.contains(&(o, n)) {
                out.push((o, n));
            }
        }
        out.retain(|r| self.in_file(*r));
        out
    }

    /// Read-only data sections (`.rodata` and the like), as file ranges with names.
    pub fn rodata_sections(&self) -> Vec<(&str, u64, u64)> {
        self.sections
            .iter()
            .filter(|s| {
                !s.writable
                    && !s.executable
                    && matches!(
                        s.kind,
                        SectionKind::ReadOnlyData | SectionKind::ReadOnlyString
                    )
            })
            .filter_map(|s| s.file.map(|(o, n)| (s.name.as_str(), o, n)))
            .filter(|(_, o, n)| self.in_file((*o, *n)))
            .collect()
    }
}

/// An unsigned word of 4 or 8 bytes.
pub(crate) fn decode_word(bytes: &[u8], big_endian: bool) -> u64 {
    let mut v: u64 = 0;
    if big_endian {
        for b in bytes {
            v = (v << 8) | u64::from(*b);
        }
    } else {
        for b in bytes.iter().rev() {
            v = (v << 8) | u64::from(*b);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_decode_in_both_byte_orders() {
        assert_eq!(decode_word(&[0x78, 0x56, 0x34, 0x12], false), 0x1234_5678);
        assert_eq!(decode_word(&[0x12, 0x34, 0x56, 0x78], true), 0x1234_5678);
        assert_eq!(
            decode_word(&[1, 0, 0, 0, 0, 0, 0, 0x80], false),
            0x8000_0000_0000_0001
        );
    }

    #[test]
    fn non_elf_bytes_are_rejected_with_a_reason() {
        let err = ElfView::parse(b"not an elf file at all, just text")
            .err()
            .unwrap();
        assert!(!err.is_empty());
    }
}
