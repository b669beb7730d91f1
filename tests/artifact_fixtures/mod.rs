//! Fixture builders for the artifact tests: ELF executables written with `object`'s ELF writer
//! carrying a Go build info blob (inline or pointer format) and `-X` string variables laid out
//! the way the Go linker lays them out, and the archives around them (tar, gzip, zstd, xz,
//! Debian packages, `docker save` archives, OCI image layouts), all made in memory.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use object::elf;
use object::write::elf::{FileHeader, ProgramHeader, SectionHeader, Sym, Writer};

/// Virtual address of file offset 0, as in a non-PIE Go binary on amd64.
pub const BASE: u64 = 0x40_0000;

pub struct Section {
    pub name: &'static str,
    /// Virtual address; the section sits at file offset `addr - BASE`.
    pub addr: u64,
    pub data: Vec<u8>,
    pub writable: bool,
    pub executable: bool,
}

pub struct Symbol {
    pub name: String,
    pub addr: u64,
    pub size: u64,
    pub section: &'static str,
}

/// An ELF executable: one PT_LOAD segment per section, `.symtab` when there are symbols.
pub struct Elf {
    pub is_64: bool,
    pub big_endian: bool,
    pub sections: Vec<Section>,
    pub symbols: Vec<Symbol>,
}

impl Elf {
    pub fn build(&self) -> Vec<u8> {
        let endian = if self.big_endian {
            object::Endianness::Big
        } else {
            object::Endianness::Little
        };
        let mut buf = Vec::new();
        let mut w = Writer::new(endian, self.is_64, &mut buf);
        w.reserve_file_header();
        w.reserve_program_headers(self.sections.len() as u32);
        let mut offsets = Vec::new();
        for s in &self.sections {
            let off = s.addr - BASE;
            assert!(off >= w.reserved_len(), "section {} overlaps", s.name);
            w.reserve_until(off);
            w.reserve(s.data.len() as u64, 1);
            offsets.push(off);
        }
        let names: Vec<_> = self
            .sections
            .iter()
            .map(|s| w.add_section_name(s.name.as_bytes()))
            .collect();
        let indices: Vec<_> = self
            .sections
            .iter()
            .map(|_| w.reserve_section_index())
            .collect();
        let sym_names: Vec<_> = self
            .symbols
            .iter()
            .map(|s| w.add_string(s.name.as_bytes()))
            .collect();
        if !self.symbols.is_empty() {
            w.reserve_null_symbol_index();
            for s in &self.symbols {
                let i = self.section_index(s.section);
                w.reserve_symbol_index(Some(indices[i]));
            }
            w.reserve_symtab();
            w.reserve_symtab_section_index();
            w.reserve_strtab().unwrap();
            w.reserve_strtab_section_index();
        }
        w.reserve_shstrtab_section_index();
        w.reserve_shstrtab().unwrap();
        w.reserve_section_headers();

        w.write_file_header(&FileHeader {
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            e_type: elf::ET_EXEC,
            e_machine: if self.is_64 {
                elf::EM_X86_64
            } else {
                elf::EM_386
            },
            e_entry: self.sections[0].addr,
            e_flags: Default::default(),
        })
        .unwrap();
        w.write_align_program_headers();
        for (s, off) in self.sections.iter().zip(&offsets) {
            let mut flags = elf::PF_R.0;
            if s.writable {
                flags |= elf::PF_W.0;
            }
            if s.executable {
                flags |= elf::PF_X.0;
            }
            w.write_program_header(&ProgramHeader {
                p_type: elf::PT_LOAD,
                p_flags: elf::ProgramFlags(flags),
                p_offset: *off,
                p_vaddr: s.addr,
                p_paddr: s.addr,
                p_filesz: s.data.len() as u64,
                p_memsz: s.data.len() as u64,
                p_align: 1,
            });
        }
        for (s, off) in self.sections.iter().zip(&offsets) {
            w.pad_until(*off);
            w.write(&s.data);
        }
        if !self.symbols.is_empty() {
            w.write_null_symbol();
            for (s, name) in self.symbols.iter().zip(&sym_names) {
                let i = self.section_index(s.section);
                w.write_symbol(&Sym {
                    section: Some(indices[i].0),
                    st_name: w.string_offset(Some(*name)),
                    st_info: elf::SymbolInfo::new(elf::STB_GLOBAL, elf::STT_OBJECT),
                    st_other: Default::default(),
                    st_shndx: Default::default(),
                    st_value: s.addr,
                    st_size: s.size,
                });
            }
            w.write_strtab();
        }
        w.write_shstrtab();
        w.write_null_section_header();
        for ((s, off), name) in self.sections.iter().zip(&offsets).zip(&names) {
            let mut flags = elf::SHF_ALLOC.0;
            if s.writable {
                flags |= elf::SHF_WRITE.0;
            }
            if s.executable {
                flags |= elf::SHF_EXECINSTR.0;
            }
            w.write_section_header(&SectionHeader {
                sh_name: w.section_name_offset(Some(*name)),
                sh_type: elf::SHT_PROGBITS,
                sh_flags: elf::SectionFlags(flags),
                sh_addr: s.addr,
                sh_offset: *off,
                sh_size: s.data.len() as u64,
                sh_link: 0,
                sh_info: 0,
                sh_addralign: 1,
                sh_entsize: 0,
            });
        }
        if !self.symbols.is_empty() {
            w.write_symtab_section_header(1);
            w.write_strtab_section_header();
        }
        w.write_shstrtab_section_header();
        buf
    }

    fn section_index(&self, name: &str) -> usize {
        self.sections
            .iter()
            .position(|s| s.name == name)
            .unwrap_or_else(|| panic!("no section {name}"))
    }
}

/// Which build info layout to write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    /// Go >= 1.18.
    Inline,
    /// Go < 1.18: pointers to string headers in `.data`.
    Pointers,
}

/// A Go binary as the Go linker would lay it out, reduced to what archeo reads.
pub struct GoBinary {
    pub format: Format,
    pub is_64: bool,
    pub big_endian: bool,
    pub go_version: String,
    /// The module info text (`path\t...\nmod\t...\n`), framed when written.
    pub modinfo: String,
    /// `-X` variables: `(name, value)`.
    pub injected: Vec<(String, String)>,
    /// Write `.symtab` (false: a stripped binary).
    pub symbols: bool,
    /// Leave the `-X` variables' string pointers zero, as a position-independent binary does
    /// (the dynamic loader fills them in from relocations).
    pub pie: bool,
    /// The Go runtime the file carries besides the build info.
    pub runtime: Runtime,
    /// Write a real function table in this layout (`None`: a `.gopclntab` of its header and
    /// loose strings).
    pub pclntab: Option<Pclntab>,
    /// Its functions with code, in address order.
    pub functions: Vec<FixtureFunc>,
    /// Names in its name table without a record: functions present only inlined.
    pub inlined: Vec<String>,
    /// Write the section header table (false: stripped, as `strip --strip-section-headers`
    /// or packers leave a binary; only the program headers remain).
    pub section_headers: bool,
    /// Write no build info blob at all (a binary whose build info was removed).
    pub no_build_info: bool,
    /// Add the Go runtime's functions (`runtime.main`, `runtime.goexit` and enough others for
    /// a plausible count, after `functions`) to the function table, as every Go program has.
    pub runtime_functions: bool,
    /// Bytes appended to the build info blob, 8-aligned (a forger's extra data in
    /// `.go.buildinfo`).
    pub buildinfo_tail: Vec<u8>,
}

/// What a fixture holds of the Go runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// The function table in the format its build info's Go version writes (a real Go binary).
    AsClaimed,
    /// The function table of another Go release (`go1.16.15`): the build info lies about it.
    Of(&'static str),
    /// No function table and no runtime symbols: a C program carrying a forged
    /// `.go.buildinfo` section.
    Forged,
}

/// A function table layout, by the magic Go writes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pclntab {
    /// Go 1.16-1.17: `0xfffffffa`, pointer-sized functab fields and `_func.entry`.
    Go116,
    /// Go 1.18-1.19: `0xfffffff0`, 4-byte entry offsets from textStart.
    Go118,
    /// Go 1.20+: `0xfffffff1`, `_func.startLine`.
    Go120,
}

/// A function of a fixture's table: its symbol name, file, the line of its `func` keyword and
/// the lines its instructions come from (4 bytes of code each, in order).
#[derive(Clone, Debug)]
pub struct FixtureFunc {
    pub name: String,
    pub file: String,
    pub start: u32,
    pub lines: Vec<u32>,
}

impl FixtureFunc {
    /// A function whose code spans `start..=end` (its entry on the `func` line).
    pub fn new(name: &str, file: &str, start: u32, end: u32) -> FixtureFunc {
        FixtureFunc {
            name: name.into(),
            file: file.into(),
            start,
            lines: (start..=end).collect(),
        }
    }
}

pub const TEXT: u64 = 0x40_1000;
pub const RODATA: u64 = 0x40_2000;
pub const DATA: u64 = 0x40_4000;
pub const BUILDINFO: u64 = 0x40_6000;
/// After the other sections: a table with the runtime's functions takes tens of kilobytes.
pub const PCLNTAB: u64 = 0x40_8000;

/// The 16-byte sentinels the go command frames module info with.
const INFO_START: &[u8] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
const INFO_END: &[u8] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

impl GoBinary {
    pub fn new(format: Format, modinfo: &str) -> GoBinary {
        GoBinary {
            format,
            is_64: true,
            big_endian: false,
            go_version: "go1.22.4".into(),
            modinfo: modinfo.to_string(),
            injected: Vec::new(),
            symbols: true,
            pie: false,
            runtime: Runtime::AsClaimed,
            pclntab: None,
            functions: Vec::new(),
            inlined: Vec::new(),
            section_headers: true,
            no_build_info: false,
            runtime_functions: true,
            buildinfo_tail: Vec::new(),
        }
    }

    /// A function table in `layout` with these functions (and only-inlined names).
    pub fn with_functions(
        mut self,
        layout: Pclntab,
        functions: Vec<FixtureFunc>,
        inlined: &[&str],
    ) -> Self {
        self.pclntab = Some(layout);
        // The build info names a Go release that writes this layout, as a real binary's does.
        let release = match layout {
            Pclntab::Go116 => "go1.16.15",
            Pclntab::Go118 => "go1.18.10",
            Pclntab::Go120 => "go1.22.4",
        };
        if self.go_version == "go1.22.4" {
            self.go_version = release.into();
        }
        self.functions = functions;
        self.inlined = inlined.iter().map(|s| s.to_string()).collect();
        self
    }

    /// The function table as the Go linker lays it out (cmd/link/internal/ld/pcln.go): the
    /// `pcHeader`, then the function names, the compilation unit's file table, the file names,
    /// the pc-value tables, and the function table with the `_func` records after it.
    pub fn pclntab_bytes(&self) -> Vec<u8> {
        self.table_bytes(self.pclntab.expect("a layout"), &self.table_functions())
    }

    /// The functions the table holds: `functions`, then the runtime's when asked for.
    pub fn table_functions(&self) -> Vec<FixtureFunc> {
        let mut all = self.functions.clone();
        if self.runtime_functions {
            all.extend(runtime_functions());
        }
        all
    }

    /// The layout the Go release of the runtime writes (`None`: Go 1.2-1.15).
    fn runtime_layout(&self) -> Option<Pclntab> {
        let version = match &self.runtime {
            Runtime::Of(v) => v,
            _ => self.go_version.as_str(),
        };
        let minor: u32 = version
            .strip_prefix("go1.")
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse().ok())
            .unwrap_or(22);
        match minor {
            0..=15 => None,
            16..=17 => Some(Pclntab::Go116),
            18..=19 => Some(Pclntab::Go118),
            _ => Some(Pclntab::Go120),
        }
    }

    /// A Go 1.2-1.15 function table (magic `0xfffffffb`): the header, `nfunctab`, pointer-sized
    /// `(entry, record offset)` pairs and the end pc, the file table's offset, the names, then
    /// each record (its entry, the offset of its name from the table's start, zero fields).
    pub fn go12_table_bytes(&self, functions: &[FixtureFunc]) -> Vec<u8> {
        let ptr = self.ptr_size() as usize;
        let u32b = |v: u32| {
            if self.big_endian {
                v.to_be_bytes().to_vec()
            } else {
                v.to_le_bytes().to_vec()
            }
        };
        let mut out = u32b(0xffff_fffb);
        out.extend_from_slice(&[0, 0, 1, ptr as u8]);
        let n = functions.len();
        out.extend(self.word(n as u64));
        let functab_end = 8 + ptr + (2 * n + 1) * ptr;
        let names_at = functab_end + 4;
        let mut names = Vec::new();
        let mut name_off = Vec::new();
        for f in functions {
            name_off.push((names_at + names.len()) as u32);
            names.extend_from_slice(f.name.as_bytes());
            names.push(0);
        }
        let records_at = (names_at + names.len()).next_multiple_of(ptr);
        let rec_len = (ptr + 9 * 4).next_multiple_of(ptr);
        for (i, _) in functions.iter().enumerate() {
            out.extend(self.word(TEXT + 16 * i as u64));
            out.extend(self.word((records_at + i * rec_len) as u64));
        }
        out.extend(self.word(TEXT + 16 * n as u64));
        out.extend(u32b(0)); // filetab offset: no files written
        out.extend_from_slice(&names);
        out.resize(records_at, 0);
        for (i, _) in functions.iter().enumerate() {
            let start = out.len();
            out.extend(self.word(TEXT + 16 * i as u64));
            out.extend(u32b(name_off[i]));
            out.resize(start + rec_len, 0);
        }
        out
    }

    /// The function table `layout` writes for `functions`.
    pub fn table_bytes(&self, layout: Pclntab, functions: &[FixtureFunc]) -> Vec<u8> {
        let ptr = self.ptr_size() as usize;
        let u32b = |v: u32| {
            if self.big_endian {
                v.to_be_bytes().to_vec()
            } else {
                v.to_le_bytes().to_vec()
            }
        };
        // Names: each function's, then the only-inlined ones.
        let mut names = Vec::new();
        let mut name_off = Vec::new();
        for n in functions
            .iter()
            .map(|f| f.name.as_str())
            .chain(self.inlined.iter().map(String::as_str))
        {
            name_off.push(names.len() as u32);
            names.extend_from_slice(n.as_bytes());
            names.push(0);
        }
        // Files: one compilation unit listing every distinct file.
        let mut files: Vec<&str> = Vec::new();
        for f in functions {
            if !files.contains(&f.file.as_str()) {
                files.push(&f.file);
            }
        }
        let mut filetab = Vec::new();
        let mut cutab = Vec::new();
        for f in &files {
            cutab.extend(u32b(filetab.len() as u32));
            filetab.extend_from_slice(f.as_bytes());
            filetab.push(0);
        }
        // pc-value tables (offset 0 means "none", so start with a pad byte): value deltas
        // zig-zag encoded from -1, then pc deltas in quanta of 1 byte.
        let mut pctab = vec![0u8];
        let mut tables = Vec::new();
        for f in functions {
            let file_no = files.iter().position(|x| *x == f.file).unwrap() as i64;
            let pcfile = pctab.len() as u32;
            put_step(&mut pctab, file_no + 1, 4 * f.lines.len() as u64);
            pctab.push(0);
            let pcln = pctab.len() as u32;
            let mut prev = -1i64;
            for &l in &f.lines {
                put_step(&mut pctab, i64::from(l) - prev, 4);
                prev = i64::from(l);
            }
            pctab.push(0);
            tables.push((pcfile, pcln));
        }
        // Header.
        let (magic, words) = match layout {
            Pclntab::Go116 => (0xffff_fffa_u32, 7),
            Pclntab::Go118 => (0xffff_fff0, 8),
            Pclntab::Go120 => (0xffff_fff1, 8),
        };
        let mut out = u32b(magic);
        out.extend_from_slice(&[0, 0, 1, ptr as u8]);
        let header_len = 8 + words * ptr;
        let funcnames = header_len;
        let cu = funcnames + names.len();
        let filet = cu + cutab.len();
        let pct = filet + filetab.len();
        let pcln = (pct + pctab.len()).next_multiple_of(8);
        let mut hdr_words = vec![functions.len() as u64, files.len() as u64];
        if layout != Pclntab::Go116 {
            hdr_words.push(TEXT); // textStart
        }
        hdr_words.extend([funcnames, cu, filet, pct, pcln].map(|v| v as u64));
        for w in hdr_words {
            out.extend(self.word(w));
        }
        assert_eq!(out.len(), header_len);
        out.extend_from_slice(&names);
        out.extend_from_slice(&cutab);
        out.extend_from_slice(&filetab);
        out.extend_from_slice(&pctab);
        out.resize(pcln, 0);
        // functab: (entry, record offset) per function, then the end pc.
        let field = if layout == Pclntab::Go116 { ptr } else { 4 };
        let fieldb = |v: u64| -> Vec<u8> {
            if field == 4 {
                u32b(v as u32)
            } else {
                self.word(v)
            }
        };
        let n = functions.len();
        let functab_len = (2 * n + 1) * field;
        let sz0 = if layout == Pclntab::Go116 { ptr } else { 4 };
        let rec_len = sz0 + 8 * 4 + 4 + if layout == Pclntab::Go120 { 4 } else { 0 };
        let rec_len = rec_len.next_multiple_of(ptr);
        let mut entry = 0u64;
        let mut entries = Vec::new();
        for f in functions {
            entries.push(entry);
            entry += 4 * f.lines.len() as u64;
        }
        let base_pc = |off: u64| {
            if layout == Pclntab::Go116 {
                TEXT + off
            } else {
                off
            }
        };
        let mut functab = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            functab.extend(fieldb(base_pc(*e)));
            functab.extend(fieldb((functab_len + i * rec_len) as u64));
        }
        functab.extend(fieldb(base_pc(entry)));
        out.extend_from_slice(&functab);
        for (i, f) in functions.iter().enumerate() {
            let start = out.len();
            if layout == Pclntab::Go116 {
                out.extend(self.word(TEXT + entries[i]));
            } else {
                out.extend(u32b(entries[i] as u32));
            }
            let (pcfile, pcln) = tables[i];
            // nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata, cuOffset
            for v in [name_off[i], 0, 0, 0, pcfile, pcln, 0, 0] {
                out.extend(u32b(v));
            }
            if layout == Pclntab::Go120 {
                out.extend(u32b(f.start));
            }
            out.extend_from_slice(&[0, 0, 0, 0]); // funcID, flag, pad, nfuncdata
            out.resize(start + rec_len, 0);
        }
        out
    }

    pub fn inject(mut self, name: &str, value: &str) -> Self {
        self.injected.push((name.into(), value.into()));
        self
    }

    fn word(&self, v: u64) -> Vec<u8> {
        let n = if self.is_64 { 8 } else { 4 };
        let bytes = v.to_be_bytes();
        let mut w = bytes[8 - n..].to_vec();
        if !self.big_endian {
            w.reverse();
        }
        w
    }

    fn ptr_size(&self) -> u64 {
        if self.is_64 { 8 } else { 4 }
    }

    /// The 8-byte header of the runtime's function table (pclntab) the Go linker writes:
    /// magic (0xfffffff1 since Go 1.20, 0xfffffff0 in 1.18-1.19, 0xfffffffa in 1.16-1.17,
    /// 0xfffffffb before), two zero bytes, the instruction quantum (1 on x86), the pointer size.
    pub fn pclntab_header(&self) -> Vec<u8> {
        let version = match &self.runtime {
            Runtime::Of(v) => v,
            _ => self.go_version.as_str(),
        };
        let minor: u32 = version
            .strip_prefix("go1.")
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse().ok())
            .unwrap_or(22);
        let magic: u32 = match minor {
            0..=15 => 0xffff_fffb,
            16..=17 => 0xffff_fffa,
            18..=19 => 0xffff_fff0,
            _ => 0xffff_fff1,
        };
        let mut h = if self.big_endian {
            magic.to_be_bytes().to_vec()
        } else {
            magic.to_le_bytes().to_vec()
        };
        h.extend([0, 0, 1, self.ptr_size() as u8]);
        h
    }

    pub fn framed_modinfo(&self) -> Vec<u8> {
        let mut m = INFO_START.to_vec();
        m.extend_from_slice(self.modinfo.as_bytes());
        m.extend_from_slice(INFO_END);
        m
    }

    pub fn build(&self) -> Vec<u8> {
        let ptr = self.ptr_size();
        // Read-only data: a Go string literal blob (no NULs between literals), then each
        // -X value as its own NUL-terminated, 8-aligned `NAME.str` symbol.
        let mut rodata = b"\0\0\0\0\0\0\0\0unexpected EOFinvalid argument".to_vec();
        let mut data = Vec::new();
        let mut symbols = Vec::new();
        let pie = self.pie;
        let mut string_var =
            |rodata: &mut Vec<u8>, data: &mut Vec<u8>, name: &str, value: &[u8], nul: bool| {
                while !rodata.len().is_multiple_of(8) {
                    rodata.push(0);
                }
                let str_addr = RODATA + rodata.len() as u64;
                rodata.extend_from_slice(value);
                if nul {
                    rodata.push(0);
                }
                let var_addr = DATA + data.len() as u64;
                let relocated = pie && !name.starts_with("runtime.");
                data.extend(self.word(if relocated { 0 } else { str_addr }));
                data.extend(self.word(value.len() as u64));
                symbols.push(Symbol {
                    name: name.to_string(),
                    addr: var_addr,
                    size: 2 * ptr,
                    section: ".data",
                });
                if nul {
                    symbols.push(Symbol {
                        name: format!("{name}.str"),
                        addr: str_addr,
                        size: value.len() as u64 + 1,
                        section: ".rodata",
                    });
                }
                var_addr
            };
        let version_var = string_var(
            &mut rodata,
            &mut data,
            "runtime.buildVersion",
            self.go_version.as_bytes(),
            true,
        );
        let modinfo_var = string_var(
            &mut rodata,
            &mut data,
            "runtime.modinfo",
            &self.framed_modinfo(),
            false,
        );
        for (name, value) in &self.injected {
            string_var(&mut rodata, &mut data, name, value.as_bytes(), true);
        }
        rodata.extend_from_slice(b"\x01\x02pointer tables follow");

        let mut buildinfo = b"\xff Go buildinf:".to_vec();
        buildinfo.push(ptr as u8);
        match self.format {
            Format::Inline => {
                buildinfo.push(2 | u8::from(self.big_endian));
                buildinfo.resize(32, 0);
                for s in [self.go_version.as_bytes().to_vec(), self.framed_modinfo()] {
                    uvarint(&mut buildinfo, s.len() as u64);
                    buildinfo.extend_from_slice(&s);
                }
            }
            Format::Pointers => {
                buildinfo.push(u8::from(self.big_endian));
                buildinfo.extend(self.word(version_var));
                buildinfo.extend(self.word(modinfo_var));
                buildinfo.resize(32, 0);
            }
        }
        // The runtime's own functions, as `.symtab` names them in a Go program.
        for (i, name) in ["runtime.main", "runtime.goexit", "runtime.rt0_go"]
            .into_iter()
            .enumerate()
        {
            symbols.push(Symbol {
                name: name.into(),
                addr: TEXT + 16 * i as u64,
                size: 16,
                section: ".text",
            });
        }
        let mut elf = Elf {
            is_64: self.is_64,
            big_endian: self.big_endian,
            sections: vec![
                Section {
                    name: ".text",
                    addr: TEXT,
                    data: vec![0xc3; 64],
                    writable: false,
                    executable: true,
                },
                Section {
                    name: ".rodata",
                    addr: RODATA,
                    data: rodata,
                    writable: false,
                    executable: false,
                },
                Section {
                    name: ".data",
                    addr: DATA,
                    data,
                    writable: true,
                    executable: false,
                },
                Section {
                    name: ".go.buildinfo",
                    addr: BUILDINFO,
                    data: if self.no_build_info {
                        vec![0; 32]
                    } else {
                        // The tail 8-aligned, as a forger copying a table would place it.
                        let mut b = buildinfo;
                        if !self.buildinfo_tail.is_empty() {
                            b.resize(b.len().next_multiple_of(8), 0);
                        }
                        [b, self.buildinfo_tail.clone()].concat()
                    },
                    // A forger's `objcopy --add-section` makes it read-only data.
                    writable: self.runtime != Runtime::Forged,
                    executable: false,
                },
                Section {
                    // The function table: a real one, or its header (its format follows the Go
                    // release; the pointer size the target's) and function and file names:
                    // NUL-separated, some version-like ("8.1").
                    name: ".gopclntab",
                    addr: PCLNTAB,
                    data: match (self.pclntab, self.runtime_layout()) {
                        (Some(_), _) => self.pclntab_bytes(),
                        (None, Some(layout)) if self.runtime_functions => {
                            self.table_bytes(layout, &runtime_functions())
                        }
                        (None, None) if self.runtime_functions => {
                            self.go12_table_bytes(&runtime_functions())
                        }
                        (None, _) => [
                            self.pclntab_header(),
                            b"\0runtime.main\08.1\0/usr/lib/go/src/x.go\0v2.0.1\0".to_vec(),
                        ]
                        .concat(),
                    },
                    writable: false,
                    executable: false,
                },
            ],
            symbols: if self.symbols { symbols } else { Vec::new() },
        };
        if self.runtime == Runtime::Forged {
            // A C program: its own code and data, a section of bytes copied from a Go binary.
            elf.sections.retain(|s| s.name != ".gopclntab");
            elf.symbols.retain(|s| !s.name.starts_with("runtime."));
            elf.symbols.push(Symbol {
                name: "main".into(),
                addr: TEXT,
                size: 16,
                section: ".text",
            });
        }
        let mut elf = elf.build();
        if !self.section_headers {
            strip_section_headers(&mut elf, self.is_64);
        }
        elf
    }
}

/// The Go runtime's own functions as a table of a Go program holds them: `runtime.main`,
/// `runtime.goexit`, `runtime.rt0_go` and others up to a plausible count (a real runtime has
/// several hundred).
pub fn runtime_functions() -> Vec<FixtureFunc> {
    let file = "/usr/lib/go/src/runtime/proc.go";
    let mut out = vec![
        FixtureFunc::new("runtime.main", file, 144, 150),
        FixtureFunc::new(
            "runtime.goexit",
            "/usr/lib/go/src/runtime/asm_amd64.s",
            1650,
            1651,
        ),
        FixtureFunc::new(
            "runtime.rt0_go",
            "/usr/lib/go/src/runtime/asm_amd64.s",
            159,
            160,
        ),
    ];
    out.extend(
        (0..250)
            .map(|i| FixtureFunc::new(&format!("runtime.fn{i}"), file, 200 + 3 * i, 201 + 3 * i)),
    );
    out
}

/// Zeroes `e_shoff`, `e_shnum` and `e_shstrndx`: the file keeps its program headers only.
pub fn strip_section_headers(elf: &mut [u8], is_64: bool) {
    let (shoff, shoff_len, shnum) = if is_64 {
        (0x28, 8, 0x3c)
    } else {
        (0x20, 4, 0x30)
    };
    elf[shoff..shoff + shoff_len].fill(0);
    elf[shnum..shnum + 4].fill(0); // e_shnum, e_shstrndx
}

/// One pc-value step: the value delta zig-zag encoded, then the pc delta.
fn put_step(out: &mut Vec<u8>, value_delta: i64, pc_delta: u64) {
    let v = value_delta as i32;
    uvarint(out, ((v << 1) ^ (v >> 31)) as u32 as u64);
    uvarint(out, pc_delta);
}

fn uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A non-Go ELF executable (no build info).
pub fn plain_elf() -> Vec<u8> {
    Elf {
        is_64: true,
        big_endian: false,
        sections: vec![Section {
            name: ".text",
            addr: TEXT,
            data: vec![0x90; 32],
            writable: false,
            executable: true,
        }],
        symbols: Vec::new(),
    }
    .build()
}

/// A tar archive of regular files `(path, bytes)`, plus symlinks `(path, target)`.
pub fn tar(files: &[(&str, &[u8])], symlinks: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o755);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, *bytes).unwrap();
    }
    for (path, target) in symlinks {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_entry_type(tar::EntryType::Symlink);
        b.append_link(&mut h, path, target).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

pub fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut w =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap();
    w.write_all(bytes).unwrap();
    w.finish().unwrap()
}

/// A Debian package: `debian-binary`, `control.tar.gz` holding `./control`, `data.tar.xz`.
pub fn deb(control: &str, data_tar: &[u8]) -> Vec<u8> {
    let control_tar = {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(control.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, "./control", control.as_bytes())
            .unwrap();
        b.into_inner().unwrap()
    };
    let members: Vec<(&str, Vec<u8>)> = vec![
        ("debian-binary", b"2.0\n".to_vec()),
        ("control.tar.gz", gzip(&control_tar)),
        ("data.tar.xz", xz(data_tar)),
    ];
    let mut out = Vec::new();
    {
        let mut b = ar::Builder::new(&mut out);
        for (name, bytes) in &members {
            let h = ar::Header::new(name.as_bytes().to_vec(), bytes.len() as u64);
            b.append(&h, &bytes[..]).unwrap();
        }
    }
    out
}

/// A `docker save` archive (legacy layout): `manifest.json` and `ID/layer.tar` per layer.
pub fn docker_save(layers: &[Vec<u8>]) -> Vec<u8> {
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("{:064x}/layer.tar", i + 1))
        .collect();
    let manifest = format!(
        r#"[{{"Config":"config.json","RepoTags":["fixture/tool:1"],"Layers":[{}]}}]"#,
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut files: Vec<(&str, &[u8])> = names
        .iter()
        .map(String::as_str)
        .zip(layers.iter().map(Vec::as_slice))
        .collect();
    files.push(("manifest.json", manifest.as_bytes()));
    tar(&files, &[])
}

/// Writes an OCI image layout under `dir`: `index.json` -> an image index -> one manifest
/// with `layers`, plus an unreferenced `stray` blob. Digests are made-up hex names: archeo
/// does not verify them.
pub fn oci_layout(dir: &Path, layers: &[Vec<u8>], stray: &[u8]) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let digest = |n: u32| format!("{n:064x}");
    let mut layer_descs = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let d = digest(100 + i as u32);
        std::fs::write(blobs.join(&d), l).unwrap();
        layer_descs.push(format!(
            r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:{d}","size":{}}}"#,
            l.len()
        ));
    }
    std::fs::write(blobs.join(digest(999)), stray).unwrap();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":2}},"layers":[{}]}}"#,
        digest(1),
        layer_descs.join(",")
    );
    std::fs::write(blobs.join(digest(1)), "{}").unwrap();
    std::fs::write(blobs.join(digest(2)), &manifest).unwrap();
    let image_index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}},{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{}","size":10,"platform":{{"architecture":"arm64","os":"linux"}}}}]}}"#,
        digest(2),
        manifest.len(),
        digest(3)
    );
    std::fs::write(blobs.join(digest(4)), &image_index).unwrap();
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"1"}}}}]}}"#,
            digest(4),
            image_index.len()
        ),
    )
    .unwrap();
}

/// A non-Go ELF executable: `.text`, then `.rodata` holding `rodata` at file offset
/// `RODATA - BASE`, laid out as a C compiler (NUL-terminated strings) or rustc (strings
/// stored back to back, panic locations' file paths among them) leaves read-only data.
pub fn native_elf(rodata: &[u8]) -> Vec<u8> {
    Elf {
        is_64: true,
        big_endian: false,
        sections: vec![
            Section {
                name: ".text",
                addr: TEXT,
                data: vec![0x90; 32],
                writable: false,
                executable: true,
            },
            Section {
                name: ".rodata",
                addr: RODATA,
                data: rodata.to_vec(),
                writable: false,
                executable: false,
            },
        ],
        symbols: Vec::new(),
    }
    .build()
}
