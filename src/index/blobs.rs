//! The blob store: one record per distinct file version, appended to the store's `blobs.dat`
//! and located by the catalog's blob table. A record holds what a search needs to scan and cite
//! one file version — its text, its declarations and its comment/string regions — and, in
//! separate parts read only on demand, the rest of its parse: the outline a reference graph is
//! declared from (package, imports, named types, shell sources) and the references it is
//! resolved from (every call site and use as a value, the calls). It knows nothing of
//! revisions, paths or queries.
//!
//! Record layout: `u32` CRC-32 of the header; the header: varints (text length, then the stored
//! length of each part), then a `u32` CRC-32 per part; then the parts: the text in LZ4 blocks
//! of about 16 KiB with a trigram Bloom filter each (`encode_text`), the declarations (their
//! line ranges, then the LZ4 block of their `kind start end ident name` lines; nothing for a
//! file without any: `encode_decls_part`), the regions (varint deltas), and the LZ4 blocks of the outline and of the
//! references (postcard). Each part is checked against its CRC when it is read, so a question
//! pays only for the parts it reads: a search never decodes parse facts, a reference graph
//! decodes every file's outline and only the references of the files its walks leave.

use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::index::catalog::{BlobEntry, BlobStatus};
use crate::index::grams::GramQuery;
use crate::lang::{
    Call, Decl, DeclKind, Lang, Parsed, Ref, Region, RegionKind, SourceEdge, TypeDef,
};

/// `STORE/blobs.dat`.
pub fn blobs_path(store_dir: &Path) -> PathBuf {
    store_dir.join("blobs.dat")
}

fn damaged(what: &str) -> anyhow::Error {
    anyhow::anyhow!("the index is damaged ({what}): run `archeo index --rebuild`")
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint at `*at`, advancing it; None when the bytes end first.
pub(crate) fn get_varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= ((byte & 0x7f) as u64) << shift;
        if byte < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// Appends a varint (shared with the n-gram file).
pub(crate) fn varint(out: &mut Vec<u8>, v: u64) {
    put_varint(out, v)
}

/// The parts of a record, in stored order.
const TEXT: usize = 0;
const DECLS: usize = 1;
const REGIONS: usize = 2;
const OUTLINE: usize = 3;
const REFERENCES: usize = 4;
const PARTS: usize = 5;

/// The largest part a record may claim once decompressed: a file version over the size cap
/// is never stored, so a claim beyond this is damage.
const MAX_PART: usize = 256 << 20;

/// A file version's outline as stored: what a reference graph declares its nodes and packages
/// from, and the blob's status and size.
#[derive(Serialize)]
struct OutlineOut<'a> {
    status: BlobStatus,
    size: u64,
    package: &'a Option<String>,
    imports: &'a [String],
    error_nodes: u32,
    first_error: Option<(u32, u32)>,
    generated: bool,
    types: &'a [TypeDef],
    sources: &'a [SourceEdge],
}

#[derive(Deserialize)]
struct OutlineIn {
    status: BlobStatus,
    #[allow(dead_code)]
    size: u64,
    package: Option<String>,
    imports: Vec<String>,
    error_nodes: u32,
    first_error: Option<(u32, u32)>,
    generated: bool,
    types: Vec<TypeDef>,
    sources: Vec<SourceEdge>,
}

/// A file version's references and calls as stored.
#[derive(Serialize)]
struct ReferencesOut<'a> {
    refs: &'a [Ref],
    calls: &'a [Call],
}

#[derive(Deserialize)]
struct ReferencesIn {
    refs: Vec<Ref>,
    calls: Vec<Call>,
}

/// A file version's references (every call site and use as a value) and calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    /// Every reference, in file order.
    pub refs: Vec<Ref>,
    /// Every call expression.
    pub calls: Vec<Call>,
}

/// LZ4 with the decompressed size in front (empty input: no bytes).
fn lz4(bytes: &[u8]) -> Vec<u8> {
    if bytes.is_empty() {
        Vec::new()
    } else {
        lz4_flex::block::compress_prepend_size(bytes)
    }
}

/// Reverses [`lz4`], refusing a claimed size beyond [`MAX_PART`].
fn unlz4(part: &[u8], what: &str) -> Result<Vec<u8>> {
    if part.is_empty() {
        return Ok(Vec::new());
    }
    let size = part
        .get(..4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        .filter(|&n| n <= MAX_PART)
        .ok_or_else(|| damaged(what))?;
    lz4_flex::block::decompress(&part[4..], size).map_err(|_| damaged(what))
}

/// Encodes one file version's record (done by the parse workers, in parallel).
pub fn encode(status: BlobStatus, size: u64, content: &str, parsed: &Parsed) -> Vec<u8> {
    let text = encode_text(content);
    let decls = if parsed.decls.is_empty() {
        Vec::new()
    } else {
        encode_decls_part(&parsed.decls)
    };
    let regions = encode_regions(&parsed.regions);
    let outline = postcard::to_allocvec(&OutlineOut {
        status,
        size,
        package: &parsed.package,
        imports: &parsed.imports,
        error_nodes: parsed.error_nodes,
        first_error: parsed.first_error,
        generated: parsed.generated,
        types: &parsed.types,
        sources: &parsed.sources,
    })
    .expect("an outline serialises");
    let outline = lz4(&outline);
    let references = if parsed.refs.is_empty() && parsed.calls.is_empty() {
        Vec::new()
    } else {
        lz4(&postcard::to_allocvec(&ReferencesOut {
            refs: &parsed.refs,
            calls: &parsed.calls,
        })
        .expect("references serialise"))
    };
    let parts: [&[u8]; PARTS] = [&text, &decls, &regions, &outline, &references];
    let mut header = Vec::with_capacity(16 + 4 * PARTS);
    put_varint(&mut header, content.len() as u64);
    for p in parts {
        put_varint(&mut header, p.len() as u64);
    }
    for p in parts {
        header.extend_from_slice(&crc32fast::hash(p).to_le_bytes());
    }
    let total = 4 + header.len() + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&crc32fast::hash(&header).to_le_bytes());
    out.extend_from_slice(&header);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// Texts are compressed in blocks of about this many bytes, cut after a newline.
const TEXT_BLOCK: usize = 16 * 1024;
/// Each block of a text of several blocks carries a Bloom filter of its trigrams this many
/// bytes long (two bits per trigram), so that a search decompresses only the blocks that may
/// hold a matching line.
const FILTER_BYTES: usize = 1024;

/// Where a text's blocks start: (byte offset, lines before it), cut after a newline once a
/// block holds [`TEXT_BLOCK`] bytes (a line never spans two blocks).
fn text_blocks(text: &[u8]) -> Vec<(usize, u32)> {
    let mut out = vec![(0usize, 0u32)];
    let mut lines = 0u32;
    let mut start = 0usize;
    let mut at = 0usize;
    while let Some(i) = memchr::memchr(b'\n', &text[at..]) {
        at += i + 1;
        lines += 1;
        if at - start >= TEXT_BLOCK && at < text.len() {
            out.push((at, lines));
            start = at;
        }
    }
    out
}

/// The two filter bits of trigram key `k`.
fn filter_bits(k: u32) -> [usize; 2] {
    let bits = (FILTER_BYTES * 8) as u32;
    [
        (k.wrapping_mul(0x9E37_79B1) >> 7) % bits,
        (k.wrapping_mul(0x85EB_CA77) >> 9) % bits,
    ]
    .map(|b| b as usize)
}

/// Appends the filter of `text`'s trigrams to `out`.
fn block_filter(text: &[u8], out: &mut Vec<u8>) {
    let mut f = [0u8; FILTER_BYTES];
    crate::index::grams::for_each_key(text, |k| {
        for b in filter_bits(k) {
            f[b / 8] |= 1 << (b % 8);
        }
    });
    out.extend_from_slice(&f);
}

/// Could a block with filter `f` satisfy `q`? (No false "no".)
fn filter_admits(f: &[u8], q: &GramQuery) -> bool {
    match q {
        GramQuery::All => true,
        GramQuery::Gram(k) => filter_bits(*k)
            .iter()
            .all(|b| f.get(b / 8).is_some_and(|x| x & (1 << (b % 8)) != 0)),
        GramQuery::And(qs) => qs.iter().all(|x| filter_admits(f, x)),
        GramQuery::Or(qs) => qs.iter().any(|x| filter_admits(f, x)),
    }
}

/// The text part: varint block count; per block varints (raw length, stored length, lines
/// before it); when there are several blocks, each one's filter ([`FILTER_BYTES`]); then each
/// block's LZ4.
fn encode_text(content: &str) -> Vec<u8> {
    let b = content.as_bytes();
    let cuts = text_blocks(b);
    let mut packed = Vec::with_capacity(cuts.len());
    let mut head = Vec::new();
    put_varint(&mut head, cuts.len() as u64);
    for (i, &(at, lines)) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map_or(b.len(), |c| c.0);
        let p = lz4_flex::block::compress(&b[at..end]);
        put_varint(&mut head, (end - at) as u64);
        put_varint(&mut head, p.len() as u64);
        put_varint(&mut head, lines as u64);
        packed.push(p);
    }
    if cuts.len() > 1 {
        for (i, &(at, _)) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).map_or(b.len(), |c| c.0);
            block_filter(&b[at..end], &mut head);
        }
    }
    for p in packed {
        head.extend_from_slice(&p);
    }
    head
}

/// One block of a stored text, as its header says.
struct TextBlock {
    raw: usize,
    stored: usize,
    lines: u32,
}

/// A piece of a text a search scans: whole lines, from byte `at` of the text, after `lines`
/// lines.
#[derive(Debug)]
pub struct Piece {
    /// Lines of the text before this piece.
    pub lines: u32,
    /// Byte offset of the piece in the text.
    pub at: usize,
    /// The piece's text.
    pub text: String,
}

/// Appends records to `blobs.dat`.
pub struct BlobWriter {
    out: std::io::BufWriter<std::fs::File>,
    len: u64,
    path: PathBuf,
}

impl BlobWriter {
    /// Opens `blobs.dat` for appending after its first `valid` bytes (what a crashed run wrote
    /// beyond them is dropped; readers never look past the length their catalog names).
    pub fn open(store_dir: &Path, valid: u64) -> Result<BlobWriter> {
        let path = blobs_path(store_dir);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        f.set_len(valid)
            .with_context(|| format!("cannot write {}", path.display()))?;
        f.seek(std::io::SeekFrom::Start(valid))?;
        Ok(BlobWriter {
            out: std::io::BufWriter::with_capacity(1 << 20, f),
            len: valid,
            path,
        })
    }

    /// Appends one record; returns where it starts and its length.
    pub fn append(&mut self, record: &[u8]) -> Result<(u64, u32)> {
        let at = self.len;
        self.out
            .write_all(record)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.len += record.len() as u64;
        Ok((at, record.len() as u32))
    }

    /// Flushes and syncs; returns the file's valid length.
    pub fn finish(self) -> Result<u64> {
        let f = self
            .out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        f.sync_all()?;
        Ok(self.len)
    }
}

/// `blobs.dat`, memory-mapped for reading.
pub struct BlobStore {
    map: Option<memmap2::Mmap>,
    len: u64,
}

impl BlobStore {
    /// Opens the first `len` bytes of a store's `blobs.dat` (the length its catalog names).
    pub fn open(store_dir: &Path, len: u64) -> Result<BlobStore> {
        if len == 0 {
            return Ok(BlobStore { map: None, len });
        }
        let path = blobs_path(store_dir);
        let f = std::fs::File::open(&path).with_context(|| {
            format!(
                "cannot read {}: run `archeo index --rebuild`",
                path.display()
            )
        })?;
        // SAFETY: records are only ever appended past the lengths live catalogs name, and a
        // rebuild writes a new store directory, so the mapped bytes below `len` never change.
        let map = unsafe { memmap2::Mmap::map(&f) }
            .with_context(|| format!("cannot read {}", path.display()))?;
        if (map.len() as u64) < len {
            return Err(damaged("blobs.dat is shorter than the catalog says"));
        }
        Ok(BlobStore {
            map: Some(map),
            len,
        })
    }

    /// The record of a blob the table lists, its header checked against its CRC (each part is
    /// checked when it is read).
    pub fn record(&self, e: &BlobEntry) -> Result<Record<'_>> {
        let end = e.offset + e.len as u64;
        let map = self.map.as_deref().unwrap_or(&[]);
        if end > self.len || e.len < 4 {
            return Err(damaged("a blob record lies outside blobs.dat"));
        }
        let b = &map[e.offset as usize..end as usize];
        let bad_header = || {
            damaged(&format!(
                "the record of blob {} fails its checksum",
                e.hex()
            ))
        };
        let body = &b[4..];
        let mut at = 0;
        let mut lens = [0usize; PARTS + 1];
        for l in &mut lens {
            *l = get_varint(body, &mut at).ok_or_else(bad_header)? as usize;
        }
        let crcs_end = at + 4 * PARTS;
        let header = body.get(..crcs_end).ok_or_else(bad_header)?;
        if crc32fast::hash(header) != u32::from_le_bytes(b[..4].try_into().expect("4 bytes")) {
            return Err(bad_header());
        }
        let mut crcs = [0u32; PARTS];
        for (i, c) in crcs.iter_mut().enumerate() {
            let o = at + 4 * i;
            *c = u32::from_le_bytes(header[o..o + 4].try_into().expect("4 bytes"));
        }
        let mut at = crcs_end;
        let mut parts: [&[u8]; PARTS] = [&[]; PARTS];
        for (i, p) in parts.iter_mut().enumerate() {
            let n = lens[i + 1];
            *p = body
                .get(at..at.saturating_add(n))
                .ok_or_else(|| damaged("blob record length"))?;
            at += n;
        }
        Ok(Record {
            blob: e.id,
            text_len: lens[0],
            parts,
            crcs,
        })
    }
}

/// One stored file version, in place.
pub struct Record<'a> {
    blob: [u8; 20],
    text_len: usize,
    parts: [&'a [u8]; PARTS],
    crcs: [u32; PARTS],
}

impl<'a> Record<'a> {
    /// Part `i`, checked against its CRC.
    fn part(&self, i: usize) -> Result<&'a [u8]> {
        let p = self.parts[i];
        if crc32fast::hash(p) != self.crcs[i] {
            return Err(damaged(&format!(
                "the record of blob {} fails its checksum",
                crate::index::catalog::hex(&self.blob)
            )));
        }
        Ok(p)
    }

    /// The text part's block table, the offset of its filters and of its blocks' data.
    fn text_table(&self) -> Result<(&'a [u8], Vec<TextBlock>, usize, usize)> {
        let bad = || damaged("a blob's text does not decompress");
        if self.text_len > MAX_PART {
            return Err(damaged("a blob's text length"));
        }
        let p = self.part(TEXT)?;
        let mut at = 0;
        let n = get_varint(p, &mut at).ok_or_else(bad)? as usize;
        if n == 0 || n > self.text_len / TEXT_BLOCK + 2 {
            return Err(bad());
        }
        let mut blocks = Vec::with_capacity(n);
        let (mut raw, mut stored) = (0usize, 0usize);
        for _ in 0..n {
            let mut v = || get_varint(p, &mut at).map(|v| v as usize).ok_or_else(bad);
            let b = TextBlock {
                raw: v()?,
                stored: v()?,
                lines: u32::try_from(v()?).map_err(|_| bad())?,
            };
            raw = raw.checked_add(b.raw).ok_or_else(bad)?;
            stored = stored.checked_add(b.stored).ok_or_else(bad)?;
            blocks.push(b);
        }
        let filters = at;
        let data = filters + if n > 1 { n * FILTER_BYTES } else { 0 };
        if raw != self.text_len || data.checked_add(stored) != Some(p.len()) {
            return Err(bad());
        }
        Ok((p, blocks, filters, data))
    }

    /// The text.
    pub fn text(&self) -> Result<String> {
        let (p, blocks, _, mut at) = self.text_table()?;
        let mut out = vec![0u8; self.text_len];
        let mut to = 0;
        for b in &blocks {
            let n =
                lz4_flex::block::decompress_into(&p[at..at + b.stored], &mut out[to..to + b.raw])
                    .map_err(|_| damaged("a blob's text does not decompress"))?;
            if n != b.raw {
                return Err(damaged("a blob's text does not decompress"));
            }
            at += b.stored;
            to += b.raw;
        }
        String::from_utf8(out).map_err(|_| damaged("a blob's text is not UTF-8"))
    }

    /// The pieces of the text whose blocks may hold a line `q` admits (every block for
    /// `GramQuery::All`), adjacent blocks joined into one piece.
    pub fn text_pieces(&self, q: &GramQuery) -> Result<Vec<Piece>> {
        let (p, blocks, filters, data) = self.text_table()?;
        let bad = || damaged("a blob's text does not decompress");
        let mut out: Vec<Piece> = Vec::new();
        let mut buf: Vec<u8> = Vec::new();
        let (mut at, mut to) = (data, 0usize);
        let mut open: Option<(u32, usize)> = None;
        for (i, b) in blocks.iter().enumerate() {
            let wanted = blocks.len() == 1
                || filter_admits(
                    &p[filters + i * FILTER_BYTES..filters + (i + 1) * FILTER_BYTES],
                    q,
                );
            if wanted {
                open.get_or_insert((b.lines, to));
                let s = buf.len();
                buf.resize(s + b.raw, 0);
                let n = lz4_flex::block::decompress_into(&p[at..at + b.stored], &mut buf[s..])
                    .map_err(|_| bad())?;
                if n != b.raw {
                    return Err(bad());
                }
            } else if let Some((lines, start)) = open.take() {
                let text = String::from_utf8(std::mem::take(&mut buf))
                    .map_err(|_| damaged("a blob's text is not UTF-8"))?;
                out.push(Piece {
                    lines,
                    at: start,
                    text,
                });
            }
            at += b.stored;
            to += b.raw;
        }
        if let Some((lines, start)) = open {
            let text = String::from_utf8(buf).map_err(|_| damaged("a blob's text is not UTF-8"))?;
            out.push(Piece {
                lines,
                at: start,
                text,
            });
        }
        Ok(out)
    }

    /// The declarations, in file order.
    pub fn decls(&self) -> Result<Vec<Decl>> {
        decode_decls(&self.decl_text()?)
    }

    /// Whether a declaration's identifier or name is `name`, ASCII case folded. Declarations
    /// are decoded only when their text holds `name` somewhere (a file mentioning a symbol
    /// usually declares nothing of that name: its callers).
    pub fn declares(&self, name: &str) -> Result<bool> {
        let text = self.decl_text()?;
        if !contains_ascii_case_insensitive(text.as_bytes(), name.as_bytes()) {
            return Ok(false);
        }
        Ok(decode_decls(&text)?
            .iter()
            .any(|d| d.ident.eq_ignore_ascii_case(name) || d.name.eq_ignore_ascii_case(name)))
    }

    /// The declarations' lines, for [`DeclLines::at`]: checked now, decompressed and read at
    /// the first question (most candidate files of a search ask none, or one).
    pub fn decl_lines(&self) -> Result<DeclLines> {
        let (spans, packed) = split_decls(self.part(DECLS)?)?;
        Ok(DeclLines {
            spans,
            packed: packed.to_vec(),
            text: std::cell::OnceCell::new(),
        })
    }

    /// The declarations' compact lines, decompressed (empty for a file without any).
    fn decl_text(&self) -> Result<String> {
        let (_, packed) = split_decls(self.part(DECLS)?)?;
        let lines = unlz4(packed, "declarations do not decompress")?;
        String::from_utf8(lines).map_err(|_| damaged("declarations"))
    }

    /// The comment and string regions, in order.
    pub fn regions(&self) -> Result<Vec<Region>> {
        decode_regions(self.part(REGIONS)?)
    }

    fn outline_in(&self) -> Result<OutlineIn> {
        let bytes = unlz4(self.part(OUTLINE)?, "file metadata does not decompress")?;
        postcard::from_bytes(&bytes).map_err(|_| damaged("file metadata"))
    }

    /// The blob's status as its record gives it.
    fn status(&self) -> Result<BlobStatus> {
        Ok(self.outline_in()?.status)
    }

    /// The parse facts a reference graph declares its nodes from — package, imports,
    /// declarations, named types, shell sources — without the references and calls
    /// ([`Record::references`]), the text or the regions.
    pub fn outline(&self) -> Result<Parsed> {
        let o = self.outline_in()?;
        Ok(Parsed {
            package: o.package,
            imports: o.imports,
            decls: self.decls()?,
            error_nodes: o.error_nodes,
            first_error: o.first_error,
            generated: o.generated,
            types: o.types,
            sources: o.sources,
            ..Parsed::default()
        })
    }

    /// The references and calls.
    pub fn references(&self) -> Result<References> {
        let bytes = unlz4(self.part(REFERENCES)?, "references do not decompress")?;
        if bytes.is_empty() {
            return Ok(References::default());
        }
        let r: ReferencesIn =
            postcard::from_bytes(&bytes).map_err(|_| damaged("file references"))?;
        Ok(References {
            refs: r.refs,
            calls: r.calls,
        })
    }

    /// Every parse fact a cross-reference graph reads: the outline with the references and
    /// calls (no text, no regions).
    pub fn facts(&self) -> Result<Parsed> {
        let mut p = self.outline()?;
        let r = self.references()?;
        p.refs = r.refs;
        p.calls = r.calls;
        Ok(p)
    }
}

/// A file version as stored. Text and declarations are always loaded; the rest of the parse
/// (imports, calls, literals' context) only on demand, as most queries never need it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The git blob id.
    pub blob: String,
    /// Its language.
    pub lang: Lang,
    /// Its text.
    pub content: String,
    /// Its declarations.
    pub decls: Vec<Decl>,
    /// Its comment and string regions.
    pub regions: Vec<Region>,
    /// It says it is generated.
    pub generated: bool,
    /// The outline and references parts, checked, still encoded.
    facts: Option<(Vec<u8>, Vec<u8>)>,
}

impl StoredFile {
    /// Loads a record.
    pub fn load(e: &BlobEntry, r: &Record) -> Result<StoredFile> {
        Ok(StoredFile {
            blob: e.hex(),
            lang: e.lang,
            content: r.text()?,
            decls: r.decls()?,
            regions: r.regions()?,
            generated: e.flags & crate::index::catalog::BLOB_GENERATED != 0,
            facts: Some((r.part(OUTLINE)?.to_vec(), r.part(REFERENCES)?.to_vec())),
        })
    }

    /// A blob stored without its text (binary, over the size cap).
    pub fn without_text(e: &BlobEntry) -> StoredFile {
        StoredFile {
            blob: e.hex(),
            lang: e.lang,
            content: String::new(),
            decls: Vec::new(),
            regions: Vec::new(),
            generated: false,
            facts: None,
        }
    }

    /// The innermost declaration holding `line`.
    pub fn decl_at(&self, line: u32) -> Option<&Decl> {
        self.decls
            .iter()
            .filter(|d| d.start <= line && line <= d.end)
            .min_by_key(|d| d.end - d.start)
    }

    /// Checks that the text is this blob's before anything cites its lines (the record's CRC is
    /// checked on load; this also catches a record placed under another blob's id): by git's
    /// blob id of the text, when it was stored as is (text made valid UTF-8 cannot be checked
    /// that way).
    pub fn verify(&self) -> Result<()> {
        if self.facts.is_none()
            || crate::source::git::blob_id(self.content.as_bytes()) == self.blob
            || self.parsed()?.0 != BlobStatus::Indexed
        {
            return Ok(());
        }
        Err(damaged(&format!(
            "the stored text of blob {} is not that blob's",
            self.blob
        )))
    }

    /// The stored record's parts holding the parse facts, as a [`Record`] over them.
    fn facts_record(&self) -> Option<Record<'_>> {
        let (outline, references) = self.facts.as_ref()?;
        let mut parts: [&[u8]; PARTS] = [&[]; PARTS];
        parts[OUTLINE] = outline;
        parts[REFERENCES] = references;
        let mut crcs = [crc32fast::hash(&[]); PARTS];
        crcs[OUTLINE] = crc32fast::hash(outline);
        crcs[REFERENCES] = crc32fast::hash(references);
        Some(Record {
            blob: [0; 20],
            text_len: 0,
            parts,
            crcs,
        })
    }

    /// The full parse result and status (string literals are stored apart, see
    /// `Index::literals_within`).
    pub fn parsed(&self) -> Result<(BlobStatus, Parsed)> {
        let Some(r) = self.facts_record() else {
            return Ok((BlobStatus::Binary, Parsed::default()));
        };
        let status = r.status()?;
        let mut p = r.facts()?;
        p.decls = self.decls.clone();
        p.regions = self.regions.clone();
        Ok((status, p))
    }
}

/// A file version's facts as a record stores and reads them back (tests of the parse stage).
#[cfg(test)]
pub(crate) fn stored_facts(parsed: &Parsed) -> Parsed {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let rec = encode(BlobStatus::Indexed, 0, "", parsed);
    let mut w = BlobWriter::open(dir.path(), 0).expect("blobs.dat");
    let (offset, len) = w.append(&rec).expect("appended");
    let total = w.finish().expect("written");
    let e = BlobEntry {
        id: [0; 20],
        status: BlobStatus::Indexed,
        lang: Lang::Go,
        flags: 0,
        offset,
        len,
    };
    let store = BlobStore::open(dir.path(), total).expect("opened");
    store.record(&e).and_then(|r| r.facts()).expect("read back")
}

/// Declarations as compact lines (`kind start end ident name`): read for every candidate file of
/// every search, so cheaper to decode than JSON.
/// Does `hay` hold `needle`, ASCII case folded? (Declarations are stored verbatim, so a
/// declaration whose identifier equals `needle` that way is such a substring.)
fn contains_ascii_case_insensitive(hay: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut at = 0;
    while let Some(i) = memchr::memchr2(lo, up, &hay[at..]) {
        let s = at + i;
        if hay
            .get(s..s + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        {
            return true;
        }
        at = s + 1;
    }
    false
}

fn encode_decls(decls: &[Decl]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(decls.len() * 40);
    for d in decls {
        let k = match d.kind {
            DeclKind::Func => 'f',
            DeclKind::Method => 'm',
            DeclKind::Type => 't',
            DeclKind::Const => 'c',
            DeclKind::Var => 'v',
            DeclKind::Macro => 'M',
        };
        let _ = writeln!(s, "{k}\t{}\t{}\t{}\t{}", d.start, d.end, d.ident, d.name);
    }
    s
}

fn decode_decls(s: &str) -> Result<Vec<Decl>> {
    let mut out = Vec::new();
    let num = |s: &str| {
        s.parse::<u32>()
            .map_err(|_| damaged("declaration line number"))
    };
    for line in s.lines() {
        let mut it = line.splitn(5, '\t');
        let (Some(k), Some(a), Some(b), Some(ident), Some(name)) =
            (it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            return Err(damaged("declaration line"));
        };
        let kind = match k {
            "f" => DeclKind::Func,
            "m" => DeclKind::Method,
            "t" => DeclKind::Type,
            "c" => DeclKind::Const,
            "M" => DeclKind::Macro,
            _ => DeclKind::Var,
        };
        out.push(Decl {
            kind,
            start: num(a)?,
            end: num(b)?,
            ident: ident.to_string(),
            name: name.to_string(),
        });
    }
    Ok(out)
}

/// The declarations part: nothing for a file without any; else a varint count, each
/// declaration's line range (varints: first line, lines after it), then the LZ4 of their
/// compact lines ([`encode_decls`]). The ranges come first so that a search finds the
/// declaration around a hit, or that there is none, without decompressing the rest.
fn encode_decls_part(decls: &[Decl]) -> Vec<u8> {
    let mut out = Vec::with_capacity(decls.len() * 4);
    put_varint(&mut out, decls.len() as u64);
    for d in decls {
        put_varint(&mut out, d.start as u64);
        put_varint(&mut out, d.end.saturating_sub(d.start) as u64);
    }
    out.extend_from_slice(&lz4(encode_decls(decls).as_bytes()));
    out
}

/// First and last line of each declaration, in stored order.
type LineRanges = Vec<(u32, u32)>;

/// The line ranges of a declarations part and its compressed lines.
fn split_decls(part: &[u8]) -> Result<(LineRanges, &[u8])> {
    if part.is_empty() {
        return Ok((Vec::new(), part));
    }
    let bad = || damaged("declaration line ranges");
    let mut at = 0;
    let n = get_varint(part, &mut at).ok_or_else(bad)? as usize;
    // Each range takes at least two bytes: a count beyond that is damage, not an allocation.
    if n > part.len() / 2 {
        return Err(bad());
    }
    let mut spans = Vec::with_capacity(n);
    for _ in 0..n {
        let start = u32::try_from(get_varint(part, &mut at).ok_or_else(bad)?).map_err(|_| bad())?;
        let len = u32::try_from(get_varint(part, &mut at).ok_or_else(bad)?).map_err(|_| bad())?;
        spans.push((start, start.checked_add(len).ok_or_else(bad)?));
    }
    Ok((spans, &part[at..]))
}

/// A file version's declarations as a search asks for them: their line ranges, read at once,
/// and their lines, decompressed at the first question a range answers (a search asks for the
/// declaration around a few hit lines of files holding thousands, such as generated tables,
/// and a hit outside every declaration decompresses nothing).
#[derive(Debug, Default)]
pub struct DeclLines {
    spans: LineRanges,
    /// The LZ4 of the declarations' lines, until the first question decodes it.
    packed: Vec<u8>,
    /// The lines and where each starts.
    text: std::cell::OnceCell<(String, Vec<usize>)>,
}

impl DeclLines {
    /// The lines of already decoded declarations (tests, fixtures).
    pub fn of(decls: &[Decl]) -> DeclLines {
        let part = encode_decls_part(decls);
        let (spans, packed) = split_decls(&part).expect("encoded declarations decode");
        DeclLines {
            spans,
            packed: packed.to_vec(),
            text: std::cell::OnceCell::new(),
        }
    }

    fn text(&self) -> Result<&(String, Vec<usize>)> {
        if let Some(t) = self.text.get() {
            return Ok(t);
        }
        let text = String::from_utf8(unlz4(&self.packed, "declarations do not decompress")?)
            .map_err(|_| damaged("declarations"))?;
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        starts.pop();
        if starts.len() != self.spans.len() {
            return Err(damaged("declaration lines"));
        }
        Ok(self.text.get_or_init(|| (text, starts)))
    }

    /// The innermost declaration holding `line`.
    pub fn at(&self, line: u32) -> Result<Option<Decl>> {
        let Some((k, _)) = self
            .spans
            .iter()
            .enumerate()
            .filter(|(_, (s, e))| *s <= line && line <= *e)
            .min_by_key(|(_, (s, e))| e - s)
        else {
            return Ok(None);
        };
        let (text, starts) = self.text()?;
        let rest = &text[starts[k]..];
        let one = rest.split_inclusive('\n').next().unwrap_or("");
        let d = decode_decls(one.trim_end_matches('\n'))?.pop();
        // The line must be the one the range stands for: anything else is damage.
        match d {
            Some(d) if (d.start, d.end) == self.spans[k] => Ok(Some(d)),
            _ => Err(damaged("declaration lines")),
        }
    }
}

/// Regions as varints: (start - previous end) * 2 + kind, length.
fn encode_regions(regions: &[Region]) -> Vec<u8> {
    let mut out = Vec::with_capacity(regions.len() * 3);
    let mut prev = 0u32;
    for r in regions {
        let gap = r.start.saturating_sub(prev) as u64;
        let kind = matches!(r.kind, RegionKind::String) as u64;
        put_varint(&mut out, gap * 2 + kind);
        put_varint(&mut out, (r.end - r.start) as u64);
        prev = r.end;
    }
    out
}

fn decode_regions(b: &[u8]) -> Result<Vec<Region>> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut prev = 0u64;
    while at < b.len() {
        let g = get_varint(b, &mut at).ok_or_else(|| damaged("regions"))?;
        let len = get_varint(b, &mut at).ok_or_else(|| damaged("regions"))?;
        let start = prev + (g >> 1);
        let end = start + len;
        out.push(Region {
            start: start as u32,
            end: end as u32,
            kind: if g & 1 == 1 {
                RegionKind::String
            } else {
                RegionKind::Comment
            },
        });
        prev = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::catalog::BlobStatus;

    #[test]
    fn declares_finds_a_declared_name_in_any_ascii_case_and_nothing_else() {
        let d = |kind, ident: &str, name: &str| Decl {
            kind,
            start: 1,
            end: 2,
            ident: ident.into(),
            name: name.into(),
        };
        let parsed = Parsed {
            decls: vec![
                d(DeclKind::Func, "WriteSysctls", "WriteSysctls"),
                d(DeclKind::Method, "OpenRoot", "(*Handle).OpenRoot"),
            ],
            ..Default::default()
        };
        let (_dir, store, e) = stored_with("", &parsed);
        let r = store.record(&e).unwrap();
        assert!(r.declares("WriteSysctls").unwrap());
        assert!(r.declares("writesysctls").unwrap());
        assert!(r.declares("(*handle).openroot").unwrap());
        assert!(r.declares("OpenRoot").unwrap());
        // Substrings of a declared name, and names only the kind letters or numbers hold.
        assert!(!r.declares("Write").unwrap());
        assert!(!r.declares("Sysctls").unwrap());
        assert!(!r.declares("f").unwrap());
        assert!(!r.declares("Handle").unwrap());
        assert!(!r.declares("").unwrap());
    }

    #[test]
    fn the_case_folded_substring_test_is_exact() {
        assert!(contains_ascii_case_insensitive(
            b"f\t1\tWriteSysctls",
            b"writesysctls"
        ));
        assert!(contains_ascii_case_insensitive(b"aaab", b"AAB"));
        assert!(!contains_ascii_case_insensitive(
            b"WriteSysctl",
            b"WriteSysctls"
        ));
        assert!(!contains_ascii_case_insensitive(b"", b"x"));
        assert!(contains_ascii_case_insensitive(b"x", b""));
    }

    #[test]
    fn decl_lines_give_the_innermost_declaration_and_refuse_damage() {
        let d = |kind, start, end, ident: &str, name: &str| Decl {
            kind,
            start,
            end,
            ident: ident.into(),
            name: name.into(),
        };
        let decls = vec![
            d(DeclKind::Type, 3, 40, "T", "T"),
            d(DeclKind::Method, 10, 20, "Run", "(*T).Run"),
            d(DeclKind::Const, 12, 12, "max", "max"),
            d(DeclKind::Func, 50, 52, "main", "main"),
        ];
        let lines = DeclLines::of(&decls);
        let at = |n| lines.at(n).unwrap().map(|d| d.name);
        assert_eq!(at(12).as_deref(), Some("max"));
        assert_eq!(at(15).as_deref(), Some("(*T).Run"));
        assert_eq!(at(30).as_deref(), Some("T"));
        assert_eq!(at(51).as_deref(), Some("main"));
        assert_eq!(at(45), None);
        assert_eq!(lines.at(12).unwrap(), Some(decls[2].clone()));
        // A hit outside every declaration decompresses nothing, even damaged lines.
        let one = vec![decls[3].clone()];
        let header = |ds: &[Decl]| {
            let part = encode_decls_part(ds);
            let (_, packed) = split_decls(&part).unwrap();
            part[..part.len() - packed.len()].to_vec()
        };
        let with_lines = |text: &str| {
            let mut part = header(&one);
            part.extend_from_slice(&lz4(text.as_bytes()));
            let (spans, packed) = split_decls(&part).unwrap();
            DeclLines {
                spans,
                packed: packed.to_vec(),
                text: std::cell::OnceCell::new(),
            }
        };
        assert_eq!(with_lines("garbage").at(10).unwrap(), None);
        // Lines that do not parse, or do not stand for their ranges, are refused.
        for bad in [
            "f\t50\n",
            "f\tx\t52\tn\tn\n",
            "f\t99999999999\t52\tn\tn\n",
            "f\t50\t53\tmain\tmain\n",
            "f\t50\t52\tmain\tmain\nf\t60\t61\tx\tx\n",
            "f",
        ] {
            let err = with_lines(bad).at(51).err().map(|e| e.to_string());
            assert!(err.is_some_and(|e| e.contains("--rebuild")), "{bad:?}");
        }
        // A count no part could hold is refused before anything is allocated for it.
        let mut part = Vec::new();
        put_varint(&mut part, u32::MAX as u64);
        part.extend_from_slice(&[0; 8]);
        assert!(split_decls(&part).is_err());
    }

    /// A record of `text` in a store of its own.
    fn stored(text: &str) -> (tempfile::TempDir, BlobStore, BlobEntry) {
        stored_with(text, &Parsed::default())
    }

    /// A record of `text` with `parsed`'s facts in a store of its own.
    fn stored_with(text: &str, parsed: &Parsed) -> (tempfile::TempDir, BlobStore, BlobEntry) {
        let rec = encode(BlobStatus::Indexed, text.len() as u64, text, parsed);
        let dir = tempfile::tempdir().unwrap();
        let mut w = BlobWriter::open(dir.path(), 0).unwrap();
        let (offset, len) = w.append(&rec).unwrap();
        let total = w.finish().unwrap();
        let e = BlobEntry {
            id: [9; 20],
            status: BlobStatus::Indexed,
            lang: Lang::Go,
            flags: 0,
            offset,
            len,
        };
        let store = BlobStore::open(dir.path(), total).unwrap();
        (dir, store, e)
    }

    #[test]
    fn a_long_text_is_read_back_whole_and_by_the_blocks_a_query_admits() {
        // ~100 KB of lines, one rare word on line 4000, a common one everywhere.
        let mut text = String::new();
        for i in 1..=6000 {
            if i == 4000 {
                text.push_str("\tfd, err := unix.Openat2(dirfd, path, &how)\n");
            } else {
                text.push_str(&format!("\tx{i} := common(y{i}) // line {i}\n"));
            }
        }
        text.push_str("last line without a newline");
        let (_d, store, e) = stored(&text);
        let r = store.record(&e).unwrap();
        assert_eq!(r.text().unwrap(), text);
        let (_, blocks, _, _) = r.text_table().unwrap();
        assert!(blocks.len() > 4, "{} blocks", blocks.len());

        // Every block for All: one piece, the whole text.
        let all = r.text_pieces(&GramQuery::All).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!((all[0].lines, all[0].at), (0, 0));
        assert_eq!(all[0].text, text);

        // A rare word: only the block(s) that may hold it, each cut at a line start and
        // numbered as in the whole text.
        let q = GramQuery::all_of(b"openat2");
        let pieces = r.text_pieces(&q).unwrap();
        let scanned: usize = pieces.iter().map(|p| p.text.len()).sum();
        assert!(scanned < text.len() / 3, "{scanned} of {}", text.len());
        let mut found = 0;
        for p in &pieces {
            assert_eq!(&text[p.at..p.at + p.text.len()], p.text);
            assert!(p.at == 0 || text.as_bytes()[p.at - 1] == b'\n');
            assert_eq!(p.lines as usize, text[..p.at].matches('\n').count());
            if let Some(i) = p.text.find("Openat2") {
                found += 1;
                let line = p.lines as usize + p.text[..i].matches('\n').count() + 1;
                assert_eq!(line, 4000);
            }
        }
        assert_eq!(found, 1, "the block holding the word is always read");

        // A word in every block: every block, joined into one piece.
        let pieces = r.text_pieces(&GramQuery::all_of(b"common")).unwrap();
        assert_eq!(pieces.len(), 1);
        assert_eq!(pieces[0].text, text);
    }

    #[test]
    fn a_damaged_block_table_is_an_error_not_a_short_text() {
        let text: String = (0..3000).map(|i| format!("line {i}\n")).collect();
        let (d, _, e) = stored(&text);
        let path = blobs_path(d.path());
        let pristine = std::fs::read(&path).unwrap();
        let store = BlobStore::open(d.path(), pristine.len() as u64).unwrap();
        assert!(store.record(&e).unwrap().text_table().unwrap().1.len() > 1);
        drop(store);
        // Rewrite the first block's raw length (the text part's second byte, after the block
        // count) and fix every checksum, as a bug would: the lengths no longer add up to the
        // text's, and that is refused.
        let mut bytes = pristine.clone();
        let body = &pristine[e.offset as usize..];
        let mut at = 4;
        let mut lens = [0usize; PARTS + 1];
        for l in &mut lens {
            *l = get_varint(body, &mut at).unwrap() as usize;
        }
        let part_at = e.offset as usize + at + 4 * PARTS;
        bytes[part_at + 1] ^= 0x01;
        let part = bytes[part_at..part_at + lens[1]].to_vec();
        let crc = crc32fast::hash(&part).to_le_bytes();
        bytes[e.offset as usize + at..e.offset as usize + at + 4].copy_from_slice(&crc);
        let header = bytes[e.offset as usize + 4..e.offset as usize + at + 4 * PARTS].to_vec();
        bytes[e.offset as usize..e.offset as usize + 4]
            .copy_from_slice(&crc32fast::hash(&header).to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let store = BlobStore::open(d.path(), bytes.len() as u64).unwrap();
        let r = store.record(&e).unwrap();
        for err in [
            r.text().err().map(|e| e.to_string()),
            r.text_pieces(&GramQuery::All).err().map(|e| e.to_string()),
        ] {
            let err = err.expect("refused");
            assert!(err.contains("--rebuild"), "{err}");
        }
    }

    #[test]
    fn a_record_round_trips_and_a_flipped_byte_is_caught() {
        let (parsed, _) = crate::lang::go::parse(
            "package x\n\nimport \"fmt\"\n\n// F says hi.\nfunc F() { fmt.Println(\"hi\") }\n",
        );
        let rec = encode(BlobStatus::Indexed, 60, "package x\n// text\n", &parsed);
        let dir = tempfile::tempdir().unwrap();
        let mut w = BlobWriter::open(dir.path(), 0).unwrap();
        w.append(b"junk").unwrap();
        let (off, len) = w.append(&rec).unwrap();
        let total = w.finish().unwrap();
        let e = BlobEntry {
            id: [7; 20],
            status: BlobStatus::Indexed,
            lang: Lang::Go,
            flags: crate::index::catalog::BLOB_GENERATED,
            offset: off,
            len,
        };
        let store = BlobStore::open(dir.path(), total).unwrap();
        let f = StoredFile::load(&e, &store.record(&e).unwrap()).unwrap();
        assert_eq!(f.content, "package x\n// text\n");
        assert_eq!(f.decls, parsed.decls);
        assert_eq!(f.regions, parsed.regions);
        assert!(f.generated);
        let (status, p) = f.parsed().unwrap();
        assert_eq!(status, BlobStatus::Indexed);
        assert_eq!(p.imports, ["fmt"]);
        assert_eq!(p.decls, parsed.decls);
        // Every stored fact comes back (string literals are stored apart, regions beside).
        let r = store.record(&e).unwrap();
        let mut want = parsed.clone();
        want.strings.clear();
        want.regions.clear();
        assert!(!want.refs.is_empty() && !want.calls.is_empty());
        assert_eq!(r.facts().unwrap(), want);
        let outline = r.outline().unwrap();
        assert!(outline.refs.is_empty() && outline.calls.is_empty());
        assert_eq!(outline.package.as_deref(), Some("x"));
        assert_eq!(r.references().unwrap().refs, want.refs);

        // A flipped byte in the header is caught when the record is opened.
        let pristine = std::fs::read(blobs_path(dir.path())).unwrap();
        let mut bytes = pristine.clone();
        bytes[off as usize + 9] ^= 0x10;
        std::fs::write(blobs_path(dir.path()), &bytes).unwrap();
        let store = BlobStore::open(dir.path(), total).unwrap();
        let err = store.record(&e).err().unwrap().to_string();
        assert!(
            err.contains("checksum") && err.contains("--rebuild"),
            "{err}"
        );
        // One in a part is caught when that part is read, and only then.
        let mut bytes = pristine.clone();
        bytes[(off + len as u64) as usize - 2] ^= 0x01;
        std::fs::write(blobs_path(dir.path()), &bytes).unwrap();
        let store = BlobStore::open(dir.path(), total).unwrap();
        let r = store.record(&e).unwrap();
        assert_eq!(r.text().unwrap(), "package x\n// text\n");
        let err = r.references().err().unwrap().to_string();
        assert!(
            err.contains("checksum") && err.contains("--rebuild"),
            "{err}"
        );
        assert!(StoredFile::load(&e, &r).is_err());
    }

    #[test]
    fn appending_drops_what_a_crashed_run_left_past_the_valid_length() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = BlobWriter::open(dir.path(), 0).unwrap();
        w.append(b"abcd").unwrap();
        w.append(b"garbage").unwrap();
        w.finish().unwrap();
        let mut w = BlobWriter::open(dir.path(), 4).unwrap();
        assert_eq!(w.append(b"xy").unwrap(), (4, 2));
        assert_eq!(w.finish().unwrap(), 6);
        assert_eq!(std::fs::read(blobs_path(dir.path())).unwrap(), b"abcdxy");
    }
}
