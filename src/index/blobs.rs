//! The blob store: one record per distinct file version, appended to the store's `blobs.dat`
//! and located by the catalog's blob table. A record holds what a search needs to scan and cite
//! one file version — its text, its declarations and its comment/string regions — and, in a
//! separate compressed part read only on demand, the rest of its parse (imports, calls, ...).
//! It knows nothing of revisions, paths or queries.
//!
//! Record layout: `u32 crc32 of the rest`, then varints (text length, compressed text length,
//! compressed declarations length, regions length, compressed metadata length), then the LZ4
//! block of the text, the LZ4 block of the declarations (`kind start end ident name` lines;
//! nothing for a file without any), the regions (varint deltas) and the zstd frame of the
//! metadata JSON.

use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::index::catalog::BlobEntry;
use crate::lang::{Decl, DeclKind, Lang, Parsed, Region, RegionKind};

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

/// The parse facts stored beside a file version's text, read only when a query asks for them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct FileMeta {
    status: crate::index::catalog::BlobStatus,
    size: u64,
    #[serde(flatten)]
    parsed: Parsed,
}

/// Encodes one file version's record (done by the parse workers, in parallel).
pub fn encode(
    status: crate::index::catalog::BlobStatus,
    size: u64,
    content: &str,
    parsed: &Parsed,
) -> Vec<u8> {
    let text = lz4_flex::block::compress(content.as_bytes());
    let decls = if parsed.decls.is_empty() {
        Vec::new()
    } else {
        lz4_flex::block::compress_prepend_size(encode_decls(&parsed.decls).as_bytes())
    };
    let regions = encode_regions(&parsed.regions);
    let mut rest = parsed.clone();
    rest.decls = Vec::new();
    rest.strings = Vec::new();
    rest.regions = Vec::new();
    let meta = serde_json::to_vec(&FileMeta {
        status,
        size,
        parsed: rest,
    })
    .expect("metadata serialises");
    // zstd, not LZ4: the facts are read only by cross-reference and explain questions, and
    // JSON shrinks about twice as much (the index stays within the size of the source).
    let meta = zstd::bulk::compress(&meta, 3).expect("zstd compresses a buffer");
    let mut body = Vec::with_capacity(text.len() + decls.len() + regions.len() + meta.len() + 24);
    for n in [
        content.len(),
        text.len(),
        decls.len(),
        regions.len(),
        meta.len(),
    ] {
        put_varint(&mut body, n as u64);
    }
    body.extend_from_slice(&text);
    body.extend_from_slice(&decls);
    body.extend_from_slice(&regions);
    body.extend_from_slice(&meta);
    let mut out = crc32fast::hash(&body).to_le_bytes().to_vec();
    out.extend_from_slice(&body);
    out
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

    /// The record of a blob the table lists, checked against its CRC.
    pub fn record(&self, e: &BlobEntry) -> Result<Record<'_>> {
        let end = e.offset + e.len as u64;
        let map = self.map.as_deref().unwrap_or(&[]);
        if end > self.len || e.len < 4 {
            return Err(damaged("a blob record lies outside blobs.dat"));
        }
        let b = &map[e.offset as usize..end as usize];
        let body = &b[4..];
        if crc32fast::hash(body) != u32::from_le_bytes(b[..4].try_into().expect("4 bytes")) {
            return Err(damaged(&format!(
                "the record of blob {} fails its checksum",
                e.hex()
            )));
        }
        let mut at = 0;
        let mut lens = [0usize; 5];
        for l in &mut lens {
            *l = get_varint(body, &mut at).ok_or_else(|| damaged("blob record header"))? as usize;
        }
        let [text_len, text_c, decls, regions, meta] = lens;
        let mut part = |n: usize| -> Result<&[u8]> {
            let s = body
                .get(at..at + n)
                .ok_or_else(|| damaged("blob record length"))?;
            at += n;
            Ok(s)
        };
        Ok(Record {
            text_len,
            text: part(text_c)?,
            decls: part(decls)?,
            regions: part(regions)?,
            meta: part(meta)?,
        })
    }
}

/// The metadata's zstd frame, decompressed (its header holds the size; a frame claiming more
/// than 64 MiB is damage, not metadata).
fn unzstd(frame: &[u8]) -> Result<Vec<u8>> {
    let bad = || damaged("file metadata does not decompress");
    let size = zstd::zstd_safe::get_frame_content_size(frame)
        .ok()
        .flatten()
        .filter(|&n| n <= 64 << 20)
        .ok_or_else(bad)?;
    zstd::bulk::decompress(frame, size as usize).map_err(|_| bad())
}

/// One stored file version, in place.
pub struct Record<'a> {
    text_len: usize,
    text: &'a [u8],
    decls: &'a [u8],
    regions: &'a [u8],
    meta: &'a [u8],
}

impl Record<'_> {
    /// The text.
    pub fn text(&self) -> Result<String> {
        let bytes = lz4_flex::block::decompress(self.text, self.text_len)
            .map_err(|_| damaged("a blob's text does not decompress"))?;
        String::from_utf8(bytes).map_err(|_| damaged("a blob's text is not UTF-8"))
    }

    /// The declarations, in file order.
    pub fn decls(&self) -> Result<Vec<Decl>> {
        decode_decls(&self.decl_text()?)
    }

    /// The declarations' lines, for [`DeclLines::at`].
    pub fn decl_lines(&self) -> Result<DeclLines> {
        DeclLines::parse(self.decl_text()?)
    }

    /// The declarations' compact lines, decompressed (empty for a file without any).
    fn decl_text(&self) -> Result<String> {
        if self.decls.is_empty() {
            return Ok(String::new());
        }
        let lines = lz4_flex::block::decompress_size_prepended(self.decls)
            .map_err(|_| damaged("declarations do not decompress"))?;
        String::from_utf8(lines).map_err(|_| damaged("declarations"))
    }

    /// The comment and string regions, in order.
    pub fn regions(&self) -> Result<Vec<Region>> {
        decode_regions(self.regions)
    }

    /// The parse facts a cross-reference graph reads (imports, references, types,
    /// declarations), without the text or the regions. The stored metadata is read straight
    /// into [`Parsed`] (the status and size beside them are skipped): no intermediate buffering
    /// of the whole map, as reading `FileMeta` through its flattened field needs.
    pub fn facts(&self) -> Result<Parsed> {
        let json = unzstd(self.meta)?;
        let mut p: Parsed = serde_json::from_slice(&json).map_err(|_| damaged("file metadata"))?;
        p.decls = self.decls()?;
        Ok(p)
    }

    /// The rest of the parse (imports, calls, ...) with the blob's status.
    fn meta(&self) -> Result<FileMeta> {
        let json = unzstd(self.meta)?;
        serde_json::from_slice(&json).map_err(|_| damaged("file metadata"))
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
    meta: Vec<u8>,
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
            meta: r.meta.to_vec(),
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
            meta: Vec::new(),
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
        if self.meta.is_empty()
            || crate::source::git::blob_id(self.content.as_bytes()) == self.blob
            || self.parsed()?.0 != crate::index::catalog::BlobStatus::Indexed
        {
            return Ok(());
        }
        Err(damaged(&format!(
            "the stored text of blob {} is not that blob's",
            self.blob
        )))
    }

    /// The full parse result and status (string literals are stored apart, see
    /// `Index::literals_with_any`).
    pub fn parsed(&self) -> Result<(crate::index::catalog::BlobStatus, Parsed)> {
        if self.meta.is_empty() {
            return Ok((crate::index::catalog::BlobStatus::Binary, Parsed::default()));
        }
        let r = Record {
            text_len: 0,
            text: &[],
            decls: &[],
            regions: &[],
            meta: &self.meta,
        };
        let mut m = r.meta()?;
        m.parsed.decls = self.decls.clone();
        m.parsed.regions = self.regions.clone();
        Ok((m.status, m.parsed))
    }
}

/// Declarations as compact lines (`kind start end ident name`): read for every candidate file of
/// every search, so cheaper to decode than JSON.
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

/// A file version's declaration lines, decoded only as far as their line ranges: a search
/// asks for the declaration around a few hit lines of files holding thousands (generated
/// tables), so only the one it asks for becomes a [`Decl`].
#[derive(Debug, Default)]
pub struct DeclLines {
    text: String,
    /// First line, last line, byte offset of the declaration's line in `text`.
    spans: Vec<(u32, u32, u32)>,
}

impl DeclLines {
    /// Reads each line's first and last line numbers (`kind TAB start TAB end TAB ...`) with a
    /// byte scanner: no allocation per declaration.
    fn parse(text: String) -> Result<DeclLines> {
        let bad = || damaged("declaration line");
        let b = text.as_bytes();
        let mut spans = Vec::new();
        let mut at = 0usize;
        while at < b.len() {
            let line = at;
            // Skip the kind and its tab.
            let mut i = at + 2;
            let mut num = || -> Result<u32> {
                let s = i;
                let mut v: u32 = 0;
                while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                    v = v
                        .checked_mul(10)
                        .and_then(|v| v.checked_add((c - b'0') as u32))
                        .ok_or_else(bad)?;
                    i += 1;
                }
                if i == s || b.get(i) != Some(&b'\t') {
                    return Err(bad());
                }
                i += 1;
                Ok(v)
            };
            let (start, end) = (num()?, num()?);
            spans.push((start, end, line as u32));
            at = match memchr::memchr(b'\n', &b[i.min(b.len())..]) {
                Some(n) => i + n + 1,
                None => b.len(),
            };
        }
        Ok(DeclLines { text, spans })
    }

    /// The lines of already decoded declarations (tests, fixtures).
    pub fn of(decls: &[Decl]) -> DeclLines {
        DeclLines::parse(encode_decls(decls)).expect("encoded declarations decode")
    }

    /// The innermost declaration holding `line`.
    pub fn at(&self, line: u32) -> Result<Option<Decl>> {
        let Some(&(_, _, off)) = self
            .spans
            .iter()
            .filter(|(s, e, _)| *s <= line && line <= *e)
            .min_by_key(|(s, e, _)| e - s)
        else {
            return Ok(None);
        };
        let rest = &self.text[off as usize..];
        let one = rest.split_inclusive('\n').next().unwrap_or("");
        Ok(decode_decls(one.trim_end_matches('\n'))?.pop())
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
        for bad in [
            "f\t1\n",
            "f\tx\t2\tn\tn\n",
            "f\t99999999999\t2\tn\tn\n",
            "f",
        ] {
            assert!(DeclLines::parse(bad.to_string()).is_err(), "{bad:?}");
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

        let mut bytes = std::fs::read(blobs_path(dir.path())).unwrap();
        bytes[off as usize + 9] ^= 0x10;
        std::fs::write(blobs_path(dir.path()), &bytes).unwrap();
        let store = BlobStore::open(dir.path(), total).unwrap();
        let err = store.record(&e).err().unwrap().to_string();
        assert!(
            err.contains("checksum") && err.contains("--rebuild"),
            "{err}"
        );
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
