//! The catalog: which revisions the index holds and, per revision, which path holds which blob
//! (the occurrence map), each revision's vendored modules and submodules, and the store's blob
//! table. It must not parse anything.
//!
//! One file, `catalog.bin`, written atomically and last by every index run and memory-mapped
//! by readers. The head (revisions, store name, rules fingerprint) is decoded at open; the
//! blob, path and tree tables are read in place, each revision's tree only when a query selects
//! that revision. Every section, every 64 KiB of the blob and path tables and every revision's
//! tree carries a CRC-32 checked before first use, so a damaged or stale catalog is an error that names the fix, never a wrong citation.
//!
//! Layout (little-endian):
//!
//! ```text
//! "ARCHCAT\0"  u32 schema version  u32 section count
//! section table: (u64 offset, u64 length, u32 crc32) per section
//! head:   postcard of Head (revisions, store, rules, excludes, per-revision tree spans), then,
//!         for a shard only, postcard of its ShardRecord (readers that predate shards ignore it)
//! blobs:  per store ordinal: [u8; 20] id, u8 status, u8 lang, u8 flags, u8 0, u64 offset, u32 length
//! byid:   per blob, its ordinal, sorted by id (binary search from an id to its ordinal)
//! paths:  u32 count, (count + 1) u32 offsets into the bytes that follow, the bytes
//! trees:  per revision, sorted by path: (u32 path id, u32 ordinal) pairs
//! chunks: u32 crc32 of each 64 KiB of the blobs section, then of the paths section, then of
//!         the holders section
//! holders: per store ordinal: u32 first, u32 last revision (lock order) whose tree holds it
//!         (first > last: none does), so a query skips the trees that hold no candidate
//! ```
//!
//! Paths are stored length-delimited (offsets), so a file name holding a newline, a tab or
//! anything else is stored as itself and can never forge an entry.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::index::shards::ShardRecord;
use crate::source::lock::{Pin, RefKind};

/// Bumped whenever the catalog or the store changes incompatibly, or what a file version's
/// record holds does (6: C and Rust files parsed, where 5 stored them as text; macro
/// declarations; Rust trait impls in the facts. 7: a record's parts checked one by one, its
/// parse facts as postcard in two parts, the outline and the references. 8: a text stored in
/// blocks of about 16 KiB, each with a Bloom filter of its trigrams; declarations led by their
/// line ranges; each revision's vendored modules one byte string; CRCs per 64 KiB of the blob
/// and path tables. 9: each blob's first and last holding revision).
pub const SCHEMA_VERSION: u32 = 9;

const MAGIC: &[u8; 8] = b"ARCHCAT\0";
const SECTIONS: usize = 7;
const BLOB_ROW: usize = 36;

/// A Go module vendored by a revision (from its vendor/modules.txt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendoredModule {
    /// Module path, e.g. `github.com/cyphar/filepath-securejoin`.
    pub module: String,
    /// Version as vendored (the replacement's, for `=>` lines).
    pub version: String,
}

/// A revision as indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedRev {
    /// Repository name.
    pub repo: String,
    /// Repository URL, as in the manifest.
    pub url: String,
    /// Pinned rev name.
    pub rev: String,
    /// Tag, branch or commit.
    pub kind: RefKind,
    /// The pinned commit.
    pub commit: String,
    /// Files (not submodules) after exclusion.
    pub files: u64,
    /// Vendored modules (from vendor/modules.txt).
    #[serde(default)]
    pub vendor: Vendored,
    /// Submodules (gitlinks): path and the commit the revision pins; recorded, not followed.
    #[serde(default)]
    pub submodules: Vec<Submodule>,
}

/// A revision's vendored modules. In the catalog they are one byte string per revision,
/// decoded at first use: a query reads the revision list at every start, and most never ask
/// which modules a revision vendors (moby's releases vendor hundreds each). Reads as a slice of
/// [`VendoredModule`]; human-readable formats (JSON) see the list itself.
#[derive(Clone, Default)]
pub struct Vendored {
    packed: Option<Packed>,
    list: OnceLock<Vec<VendoredModule>>,
}

/// A vendored list's encoded bytes: its own copy, or a range of the catalog file it was read
/// from (moby's lists are most of a catalog's head: copying them cost every query's start).
#[derive(Clone)]
enum Packed {
    Owned(Arc<[u8]>),
    Mapped(Arc<memmap2::Mmap>, std::ops::Range<usize>),
}

impl Packed {
    fn bytes(&self) -> &[u8] {
        match self {
            Packed::Owned(b) => b,
            Packed::Mapped(map, at) => &map[at.clone()],
        }
    }
}

thread_local! {
    /// The catalog file whose head this thread is decoding ([`Catalog::from_map`]): a vendored
    /// list borrowed from it keeps a range of it instead of a copy.
    static DECODING: std::cell::RefCell<Option<Arc<memmap2::Mmap>>> = const { std::cell::RefCell::new(None) };
}

impl Vendored {
    fn modules(&self) -> &[VendoredModule] {
        self.list.get_or_init(|| {
            // The catalog's head passed its CRC when it was read, so the bytes are what
            // `serialize` wrote (a list that did not decode would be one no writer made).
            self.packed
                .as_ref()
                .map(|b| postcard::from_bytes(b.bytes()).unwrap_or_default())
                .unwrap_or_default()
        })
    }

    /// Bytes decoded from `v`: a range of the catalog being decoded when `v` lies in it.
    fn packed(v: &[u8]) -> Vendored {
        let mapped = DECODING.with_borrow(|m| {
            let map = m.as_ref()?;
            let start = (v.as_ptr() as usize).checked_sub(map.as_ptr() as usize)?;
            let end = start.checked_add(v.len()).filter(|e| *e <= map.len())?;
            Some(Packed::Mapped(Arc::clone(map), start..end))
        });
        Vendored {
            packed: Some(mapped.unwrap_or_else(|| Packed::Owned(v.into()))),
            list: OnceLock::new(),
        }
    }
}

impl From<Vec<VendoredModule>> for Vendored {
    fn from(list: Vec<VendoredModule>) -> Vendored {
        Vendored {
            packed: None,
            list: OnceLock::from(list),
        }
    }
}

impl std::ops::Deref for Vendored {
    type Target = [VendoredModule];
    fn deref(&self) -> &[VendoredModule] {
        self.modules()
    }
}

impl std::fmt::Debug for Vendored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.modules().fmt(f)
    }
}

impl PartialEq for Vendored {
    fn eq(&self, o: &Vendored) -> bool {
        self.modules() == o.modules()
    }
}

impl Eq for Vendored {}

impl Serialize for Vendored {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return self.modules().serialize(s);
        }
        match &self.packed {
            Some(b) => s.serialize_bytes(b.bytes()),
            None => {
                let b = postcard::to_allocvec(self.modules()).map_err(serde::ser::Error::custom)?;
                s.serialize_bytes(&b)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Vendored {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Vendored, D::Error> {
        if d.is_human_readable() {
            return Vec::<VendoredModule>::deserialize(d).map(Vendored::from);
        }
        struct Bytes;
        impl serde::de::Visitor<'_> for Bytes {
            type Value = Vendored;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a revision's vendored modules")
            }
            fn visit_bytes<E: serde::de::Error>(
                self,
                v: &[u8],
            ) -> std::result::Result<Vendored, E> {
                Ok(Vendored::packed(v))
            }
        }
        d.deserialize_bytes(Bytes)
    }
}

/// A submodule (gitlink) of a revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submodule {
    /// Its path.
    pub path: String,
    /// The commit it pins.
    pub commit: String,
}

impl IndexedRev {
    /// The pin this revision was indexed from.
    pub fn pin(&self) -> Pin {
        Pin {
            repo: self.repo.clone(),
            url: self.url.clone(),
            rev: self.rev.clone(),
            kind: self.kind,
            commit: self.commit.clone(),
        }
    }

    /// The vendored module a path belongs to, by longest module-path prefix under `vendor/`.
    pub fn vendored_module(&self, path: &str) -> Option<&VendoredModule> {
        let rest = path.strip_prefix("vendor/")?;
        self.vendor
            .iter()
            .filter(|m| rest.starts_with(&m.module) && rest[m.module.len()..].starts_with('/'))
            .max_by_key(|m| m.module.len())
    }
}

/// How the store holds a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobStatus {
    /// Indexed as text (and parsed, for languages with a grammar).
    Indexed,
    /// Text indexed after replacing invalid UTF-8.
    Lossy,
    /// Holds NUL bytes: not indexed as text.
    Binary,
    /// Larger than `--max-file-size`: not read.
    Oversize,
    /// The cache lacked it when the index was built: not stored; the next run tries again.
    Unavailable,
}

impl BlobStatus {
    fn code(self) -> u8 {
        match self {
            BlobStatus::Indexed => 0,
            BlobStatus::Lossy => 1,
            BlobStatus::Binary => 2,
            BlobStatus::Oversize => 3,
            BlobStatus::Unavailable => 4,
        }
    }

    fn from_code(c: u8) -> Option<BlobStatus> {
        Some(match c {
            0 => BlobStatus::Indexed,
            1 => BlobStatus::Lossy,
            2 => BlobStatus::Binary,
            3 => BlobStatus::Oversize,
            4 => BlobStatus::Unavailable,
            _ => return None,
        })
    }

    /// Is its text stored (and searchable)?
    pub fn has_text(self) -> bool {
        matches!(self, BlobStatus::Indexed | BlobStatus::Lossy)
    }
}

/// One row of the blob table: a blob the store knows, by its ordinal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobEntry {
    /// The git blob id.
    pub id: [u8; 20],
    /// How it is held.
    pub status: BlobStatus,
    /// Its language.
    pub lang: crate::lang::Lang,
    /// [`BLOB_GENERATED`] and friends.
    pub flags: u8,
    /// Where its record starts in the store's `blobs.dat`.
    pub offset: u64,
    /// Its record's length.
    pub len: u32,
}

/// Flag: the file says it is generated (Go's `// Code generated ... DO NOT EDIT.`).
pub const BLOB_GENERATED: u8 = 1;

impl BlobEntry {
    /// The id as 40 hex digits.
    pub fn hex(&self) -> String {
        hex(&self.id)
    }
}

/// 40 hex digits of a 20-byte id.
pub fn hex(id: &[u8; 20]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(40);
    for b in id {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// The 20 bytes of a 40-hex-digit id.
pub fn parse_hex(s: &str) -> Option<[u8; 20]> {
    let b = s.as_bytes();
    if b.len() != 40 {
        return None;
    }
    let v = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 20];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (v(b[2 * i])? << 4) | v(b[2 * i + 1])?;
    }
    Some(out)
}

/// One entry of an indexed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// Repository-relative path.
    pub path: String,
    /// Blob id, or for a submodule the commit it pins.
    pub id: String,
    /// A submodule rather than a file.
    pub submodule: bool,
}

/// Where a revision's tree lies in the trees section.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct TreeSpan {
    start: u64,
    count: u32,
    crc: u32,
}

/// The decoded head of `catalog.bin`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Head {
    /// Language names; the blob table holds indices into this list.
    langs: Vec<String>,
    store: String,
    rules: String,
    rule_ids: Vec<String>,
    revisions: Vec<IndexedRev>,
    excludes: BTreeMap<String, String>,
    blobs_len: u64,
    grams: String,
    trees: Vec<TreeSpan>,
}

/// The mapped file and which sections have passed their check.
struct Tables {
    map: Arc<memmap2::Mmap>,
    file: PathBuf,
    sections: [(usize, usize, u32); SECTIONS],
    checked: [OnceLock<bool>; SECTIONS],
    /// Per chunked section, per chunk: has it passed its check?
    chunk_checked: [Vec<OnceLock<bool>>; 3],
    tree_checked: Vec<OnceLock<bool>>,
}

const HEAD: usize = 0;
const BLOBS: usize = 1;
const BYID: usize = 2;
const PATHS: usize = 3;
const TREES: usize = 4;
/// CRC-32s of each [`CHUNK`] bytes of the blob and path tables, so that a query reading a few
/// rows checks only their chunks (the tables are a megabyte each for the project's pins).
const CHUNKS: usize = 5;
const CHUNK: usize = 64 * 1024;
/// Per blob ordinal, the first and last revision whose tree holds it.
const HOLDERS: usize = 6;
const HOLDER_ROW: usize = 8;
/// The sections checked chunk by chunk, in the order their CRCs are stored.
const CHUNKED: [usize; 3] = [BLOBS, PATHS, HOLDERS];

/// What the index holds: `catalog.bin`, opened.
#[derive(Clone, Default)]
pub struct Catalog {
    /// [`SCHEMA_VERSION`] of the archeo that wrote it.
    pub schema_version: u32,
    /// The store directory (under the index dir) this catalog goes with. A rebuild writes a
    /// new one and switches to it by replacing the catalog, so an interrupted rebuild leaves
    /// the previous index whole.
    pub store: String,
    /// Fingerprint of the rule set the findings were computed with; a different rule set
    /// means every blob's findings must be computed again.
    pub rules: String,
    /// The ids of the rules the findings were computed with: what `rule:` and `--rule` may
    /// name.
    pub rule_ids: Vec<String>,
    /// Every indexed revision, in lock order.
    pub revisions: Vec<IndexedRev>,
    /// Per repository, the fingerprint of the manifest `exclude` its trees were filtered with:
    /// a changed `exclude` makes the next run read the trees again.
    pub excludes: BTreeMap<String, String>,
    /// The n-gram file of the store this catalog names.
    pub grams: String,
    /// The bytes of the store's `blobs.dat` the blob table covers.
    pub blobs_len: u64,
    /// Which shard of a manifest this index is (`archeo index --shard K/N`); None for a whole
    /// index.
    pub shard: Option<ShardRecord>,
    spans: Vec<TreeSpan>,
    langs: Vec<crate::lang::Lang>,
    tables: Option<Arc<Tables>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("store", &self.store)
            .field("revisions", &self.revisions.len())
            .finish()
    }
}

/// `INDEX/catalog.bin`.
pub fn catalog_path(index_dir: &Path) -> PathBuf {
    index_dir.join("catalog.bin")
}

fn damaged(file: &Path, what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "the index is damaged ({}: {what}): run `archeo index --rebuild`",
        file.display()
    )
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// An index written by an archeo of another format: nothing in it can be reused, and
/// `archeo index` builds it again.
#[derive(Debug, thiserror::Error)]
#[error(
    "the index at {} has {found}, this archeo reads version {SCHEMA_VERSION}: rebuild it with `archeo index`",
    dir.display()
)]
pub struct OtherFormat {
    /// The index directory.
    pub dir: PathBuf,
    /// What was found there.
    pub found: String,
}

impl Catalog {
    /// The store directory this catalog goes with.
    pub fn store_dir(&self, index_dir: &Path) -> PathBuf {
        index_dir.join(&self.store)
    }

    /// Reads the catalog; `Ok(None)` when the directory holds no index yet.
    pub fn read(index_dir: &Path) -> Result<Option<Catalog>> {
        let p = catalog_path(index_dir);
        let file = match std::fs::File::open(&p) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if index_dir.join("catalog.json").exists() {
                    return Err(OtherFormat {
                        dir: index_dir.to_path_buf(),
                        found: "an older format (catalog.json)".into(),
                    }
                    .into());
                }
                return Ok(None);
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", p.display())),
        };
        // SAFETY: the catalog is never modified in place: writers replace it by rename, so the
        // mapped bytes stay those of the file that was opened.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .with_context(|| format!("cannot read {}", p.display()))?;
        Self::from_map(map, &p, index_dir).map(Some)
    }

    fn from_map(map: memmap2::Mmap, p: &Path, index_dir: &Path) -> Result<Catalog> {
        let table_end = 16 + SECTIONS * 20;
        if map.len() < table_end || &map[..8] != MAGIC {
            return Err(damaged(p, "not an archeo catalog"));
        }
        let version = u32_at(&map, 8);
        if version != SCHEMA_VERSION {
            return Err(OtherFormat {
                dir: index_dir.to_path_buf(),
                found: format!("schema version {version}"),
            }
            .into());
        }
        if u32_at(&map, 12) as usize != SECTIONS {
            return Err(damaged(p, "section count"));
        }
        let mut sections = [(0usize, 0usize, 0u32); SECTIONS];
        for (i, s) in sections.iter_mut().enumerate() {
            let at = 16 + i * 20;
            let (off, len) = (u64_at(&map, at) as usize, u64_at(&map, at + 8) as usize);
            if off.checked_add(len).is_none_or(|end| end > map.len()) {
                return Err(damaged(p, "section out of bounds"));
            }
            *s = (off, len, u32_at(&map, at + 16));
        }
        let (off, len, crc) = sections[HEAD];
        let head_bytes = &map[off..off + len];
        if crc32fast::hash(head_bytes) != crc {
            return Err(damaged(p, "checksum of the revision list"));
        }
        let map = Arc::new(map);
        let head_bytes = &map[off..off + len];
        DECODING.set(Some(Arc::clone(&map)));
        let decoded: postcard::Result<(Head, &[u8])> = postcard::take_from_bytes(head_bytes);
        DECODING.set(None);
        let (head, rest) = decoded.map_err(|_| damaged(p, "revision list"))?;
        // The shard record follows the head, so that an archeo that predates shards reads a
        // shard as the ordinary index it is.
        let shard = if rest.is_empty() {
            None
        } else {
            Some(
                postcard::from_bytes::<ShardRecord>(rest)
                    .map_err(|_| damaged(p, "shard record"))?,
            )
        };
        if head.trees.len() != head.revisions.len() {
            return Err(damaged(p, "tree count"));
        }
        let chunks = |which: usize| {
            (0..sections[which].1.div_ceil(CHUNK))
                .map(|_| OnceLock::new())
                .collect()
        };
        let tables = Tables {
            file: p.to_path_buf(),
            chunk_checked: [chunks(BLOBS), chunks(PATHS), chunks(HOLDERS)],
            sections,
            checked: Default::default(),
            tree_checked: (0..head.trees.len()).map(|_| OnceLock::new()).collect(),
            map,
        };
        Ok(Catalog {
            schema_version: version,
            store: head.store,
            rules: head.rules,
            rule_ids: head.rule_ids,
            revisions: head.revisions,
            excludes: head.excludes,
            grams: head.grams,
            blobs_len: head.blobs_len,
            shard,
            spans: head.trees,
            langs: head
                .langs
                .iter()
                .map(|l| crate::lang::Lang::from_name(l).unwrap_or(crate::lang::Lang::Text))
                .collect(),
            tables: Some(Arc::new(tables)),
        })
    }

    /// Reads the catalog of an index that must exist.
    pub fn require(index_dir: &Path) -> Result<Catalog> {
        Self::read(index_dir)?.with_context(|| {
            format!(
                "no index at {}: run `archeo index` (after `archeo fetch`)",
                index_dir.display()
            )
        })
    }

    /// The indexed revision `repo@rev`.
    pub fn find(&self, repo: &str, rev: &str) -> Option<&IndexedRev> {
        self.revisions
            .iter()
            .find(|r| r.repo == repo && r.rev == rev)
    }

    /// The position of `rev` (a reference into this catalog, or an equal revision) in
    /// [`Catalog::revisions`].
    pub fn position(&self, rev: &IndexedRev) -> Option<usize> {
        self.revisions
            .iter()
            .position(|r| std::ptr::eq(r, rev))
            .or_else(|| {
                self.revisions
                    .iter()
                    .position(|r| r.repo == rev.repo && r.rev == rev.rev)
            })
    }

    /// The catalog file's bytes, as read.
    pub fn bytes(&self) -> Result<&[u8]> {
        Ok(&self.tables()?.map[..])
    }

    fn tables(&self) -> Result<&Tables> {
        self.tables
            .as_deref()
            .context("this catalog has no tables (it was not read from disk)")
    }

    /// A section's bytes, checked against its CRC on first use.
    fn section(&self, which: usize) -> Result<&[u8]> {
        let t = self.tables()?;
        let (off, len, crc) = t.sections[which];
        let bytes = &t.map[off..off + len];
        if !*t.checked[which].get_or_init(|| crc32fast::hash(bytes) == crc) {
            return Err(damaged(&t.file, "checksum of a table"));
        }
        Ok(bytes)
    }

    /// A chunked section's bytes, with the chunks holding `range` checked against their CRCs
    /// on first use (a range past the end is left to the caller's bounds check).
    fn section_range(&self, which: usize, range: std::ops::Range<usize>) -> Result<&[u8]> {
        let t = self.tables()?;
        let k = CHUNKED
            .iter()
            .position(|c| *c == which)
            .expect("a chunked section");
        let (off, len, _) = t.sections[which];
        let bytes = &t.map[off..off + len];
        let first = range.start / CHUNK;
        let last = range.end.max(range.start + 1).min(len).saturating_sub(1) / CHUNK;
        if range.start >= len {
            return Ok(bytes);
        }
        let crcs = self.section(CHUNKS)?;
        let base: usize = CHUNKED[..k]
            .iter()
            .map(|c| t.sections[*c].1.div_ceil(CHUNK))
            .sum();
        for c in first..=last {
            let ok = t.chunk_checked[k][c].get_or_init(|| {
                let at = (base + c) * 4;
                crcs.get(at..at + 4).is_some_and(|want| {
                    let chunk = &bytes[c * CHUNK..((c + 1) * CHUNK).min(len)];
                    crc32fast::hash(chunk).to_le_bytes() == want
                })
            });
            if !*ok {
                return Err(damaged(&t.file, "checksum of a table"));
            }
        }
        Ok(bytes)
    }

    /// How many blobs the store knows (ordinals are `0..blob_count()`).
    pub fn blob_count(&self) -> usize {
        self.tables
            .as_ref()
            .map_or(0, |t| t.sections[BLOBS].1 / BLOB_ROW)
    }

    /// The revisions (positions in [`Catalog::revisions`]) whose trees may hold the blob
    /// `ord`: from the first to the last that does; empty when none does.
    pub fn holders(&self, ord: u32) -> Result<std::ops::Range<usize>> {
        let at = ord as usize * HOLDER_ROW;
        let b = self.section_range(HOLDERS, at..at + HOLDER_ROW)?;
        let file = &self.tables()?.file;
        let row = b
            .get(at..at + HOLDER_ROW)
            .ok_or_else(|| damaged(file, "blob ordinal past the holders table"))?;
        let word = |at: usize| u32::from_le_bytes(row[at..at + 4].try_into().expect("4 bytes"));
        let (first, last) = (word(0) as usize, word(4) as usize);
        if first > last {
            return Ok(0..0);
        }
        if last >= self.revisions.len() {
            return Err(damaged(file, "holding revision out of range"));
        }
        Ok(first..last + 1)
    }

    /// The blob table's row for an ordinal.
    pub fn blob(&self, ord: u32) -> Result<BlobEntry> {
        let at = ord as usize * BLOB_ROW;
        let b = self.section_range(BLOBS, at..at + BLOB_ROW)?;
        if at + BLOB_ROW > b.len() {
            return Err(damaged(&self.tables()?.file, "blob ordinal out of range"));
        }
        let row = &b[at..at + BLOB_ROW];
        let status = BlobStatus::from_code(row[20])
            .ok_or_else(|| damaged(&self.tables().expect("read").file, "blob status"))?;
        Ok(BlobEntry {
            id: row[..20].try_into().expect("20 bytes"),
            status,
            lang: self
                .langs
                .get(row[21] as usize)
                .copied()
                .unwrap_or(crate::lang::Lang::Text),
            flags: row[22],
            offset: u64_at(row, 24),
            len: u32_at(row, 32),
        })
    }

    /// Every row of the blob table, by ordinal.
    pub fn blobs(&self) -> Result<Vec<BlobEntry>> {
        (0..self.blob_count() as u32)
            .map(|o| self.blob(o))
            .collect()
    }

    /// The ordinal of a blob id (40 hex digits), when the store knows it.
    pub fn ordinal(&self, id: &str) -> Result<Option<u32>> {
        match parse_hex(id) {
            Some(want) => self.ordinal_of(&want),
            None => Ok(None),
        }
    }

    /// The ordinal of a blob id, when the store knows it.
    pub fn ordinal_of(&self, want: &[u8; 20]) -> Result<Option<u32>> {
        let byid = self.section(BYID)?;
        let blobs = self.section(BLOBS)?;
        let n = byid.len() / 4;
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let ord = u32_at(byid, mid * 4) as usize;
            let at = ord * BLOB_ROW;
            let Some(id) = blobs.get(at..at + 20) else {
                return Err(damaged(&self.tables()?.file, "blob index"));
            };
            match id.cmp(&want[..]) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(ord as u32)),
            }
        }
        Ok(None)
    }

    /// How many distinct paths the trees name.
    pub fn path_count(&self) -> Result<usize> {
        let p = self.section_range(PATHS, 0..4)?;
        Ok(if p.len() >= 4 {
            u32_at(p, 0) as usize
        } else {
            0
        })
    }

    /// The path with id `id`.
    pub fn path(&self, id: u32) -> Result<&str> {
        let file = || damaged(&self.tables().expect("read").file, "path table");
        let word = |p: &[u8], at: usize| -> Result<usize> {
            p.get(at..at + 4)
                .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
                .ok_or_else(file)
        };
        let n = word(self.section_range(PATHS, 0..4)?, 0)?;
        let id = id as usize;
        if id >= n {
            return Err(file());
        }
        let p = self.section_range(PATHS, 4 + id * 4..12 + id * 4)?;
        let (s, e) = (word(p, 4 + id * 4)?, word(p, 8 + id * 4)?);
        let base = 4 + (n + 1) * 4;
        if s > e {
            return Err(file());
        }
        let p = self.section_range(PATHS, base + s..base + e)?;
        let bytes = p.get(base + s..base + e).ok_or_else(file)?;
        std::str::from_utf8(bytes).map_err(|_| file())
    }

    /// The (path id, blob ordinal) entries of revision `i`'s tree, files only, sorted by path;
    /// checked against the revision's CRC on first use.
    pub fn entries(&self, i: usize) -> Result<Entries<'_>> {
        let trees = self.section_unchecked(TREES)?;
        let t = self.tables()?;
        let span = self.spans.get(i).copied().unwrap_or_default();
        let (s, len) = (span.start as usize, span.count as usize * 8);
        let bytes = trees
            .get(s..s + len)
            .ok_or_else(|| damaged(&t.file, "tree out of bounds"))?;
        let ok = t
            .tree_checked
            .get(i)
            .ok_or_else(|| damaged(&t.file, "tree count"))?
            .get_or_init(|| crc32fast::hash(bytes) == span.crc);
        if !*ok {
            return Err(anyhow::anyhow!(
                "the index is damaged (the tree of {}@{} in {} fails its checksum): run `archeo index --rebuild`",
                self.revisions[i].repo,
                self.revisions[i].rev,
                t.file.display()
            ));
        }
        Ok(Entries { bytes })
    }

    /// A section without its whole-section check (trees are checked per revision).
    fn section_unchecked(&self, which: usize) -> Result<&[u8]> {
        let t = self.tables()?;
        let (off, len, _) = t.sections[which];
        Ok(&t.map[off..off + len])
    }

    /// Every entry of revision `i`'s tree (files and submodules), as stored.
    pub fn tree(&self, i: usize) -> Result<Vec<Occurrence>> {
        let mut out = Vec::new();
        for (path, ord) in self.entries(i)?.iter() {
            out.push(Occurrence {
                path: self.path(path)?.to_string(),
                id: self.blob(ord)?.hex(),
                submodule: false,
            });
        }
        for s in &self.revisions[i].submodules {
            out.push(Occurrence {
                path: s.path.clone(),
                id: s.commit.clone(),
                submodule: true,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}

/// One revision's tree entries, in place.
#[derive(Clone, Copy)]
pub struct Entries<'a> {
    bytes: &'a [u8],
}

impl<'a> Entries<'a> {
    /// How many files.
    pub fn len(&self) -> usize {
        self.bytes.len() / 8
    }

    /// No files.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// (path id, blob ordinal) pairs.
    pub fn iter(self) -> impl Iterator<Item = (u32, u32)> + 'a {
        self.bytes
            .chunks_exact(8)
            .map(|c| (u32_at(c, 0), u32_at(c, 4)))
    }
}

/// Everything a new catalog holds, assembled by the index run.
#[derive(Debug, Default)]
pub struct NewCatalog {
    /// The store directory name.
    pub store: String,
    /// The rules' fingerprint.
    pub rules: String,
    /// The rules' ids.
    pub rule_ids: Vec<String>,
    /// Revisions, in lock order.
    pub revisions: Vec<IndexedRev>,
    /// Per revision (same order), its files: (path, blob ordinal).
    pub trees: Vec<Vec<(String, u32)>>,
    /// The store's blob table, by ordinal.
    pub blobs: Vec<BlobEntry>,
    /// Exclude fingerprints per repository.
    pub excludes: BTreeMap<String, String>,
    /// The store's n-gram file.
    pub grams: String,
    /// The bytes of `blobs.dat` the table covers.
    pub blobs_len: u64,
    /// The shard this index is, when it is one.
    pub shard: Option<ShardRecord>,
}

impl NewCatalog {
    /// Encodes the catalog file.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut paths: Vec<&str> = self
            .trees
            .iter()
            .flat_map(|t| t.iter().map(|(p, _)| p.as_str()))
            .collect();
        paths.sort_unstable();
        paths.dedup();
        let path_id: HashMap<&str, u32> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, i as u32))
            .collect();
        let mut trees = Vec::new();
        let mut spans = Vec::new();
        for t in &self.trees {
            let mut rows: Vec<(u32, u32)> =
                t.iter().map(|(p, o)| (path_id[p.as_str()], *o)).collect();
            rows.sort_unstable();
            let start = trees.len();
            for (p, o) in &rows {
                trees.extend_from_slice(&p.to_le_bytes());
                trees.extend_from_slice(&o.to_le_bytes());
            }
            spans.push(TreeSpan {
                start: start as u64,
                count: rows.len() as u32,
                crc: crc32fast::hash(&trees[start..]),
            });
        }
        let mut langs: Vec<crate::lang::Lang> = self.blobs.iter().map(|b| b.lang).collect();
        langs.sort();
        langs.dedup();
        let head = Head {
            langs: langs.iter().map(|l| l.as_str().to_string()).collect(),
            store: self.store.clone(),
            rules: self.rules.clone(),
            rule_ids: self.rule_ids.clone(),
            revisions: self.revisions.clone(),
            excludes: self.excludes.clone(),
            blobs_len: self.blobs_len,
            grams: self.grams.clone(),
            trees: spans,
        };
        let mut blobs = Vec::with_capacity(self.blobs.len() * BLOB_ROW);
        for b in &self.blobs {
            blobs.extend_from_slice(&b.id);
            let lang = langs.iter().position(|l| *l == b.lang).unwrap_or(0) as u8;
            blobs.extend_from_slice(&[b.status.code(), lang, b.flags, 0]);
            blobs.extend_from_slice(&b.offset.to_le_bytes());
            blobs.extend_from_slice(&b.len.to_le_bytes());
        }
        let mut order: Vec<u32> = (0..self.blobs.len() as u32).collect();
        order.sort_unstable_by_key(|o| self.blobs[*o as usize].id);
        let byid: Vec<u8> = order.iter().flat_map(|o| o.to_le_bytes()).collect();
        let mut path_bytes = Vec::new();
        let mut offsets = vec![0u32];
        for p in &paths {
            path_bytes.extend_from_slice(p.as_bytes());
            offsets.push(path_bytes.len() as u32);
        }
        let mut pathsec = (paths.len() as u32).to_le_bytes().to_vec();
        pathsec.extend(offsets.iter().flat_map(|o| o.to_le_bytes()));
        pathsec.extend_from_slice(&path_bytes);
        let mut head = postcard::to_allocvec(&head).context("encoding the catalog")?;
        if let Some(shard) = &self.shard {
            head.extend(postcard::to_allocvec(shard).context("encoding the catalog")?);
        }
        // Each blob's first and last holding revision, from the trees just written.
        let mut span = vec![(u32::MAX, 0u32); self.blobs.len()];
        for (r, t) in self.trees.iter().enumerate() {
            let r = u32::try_from(r).context("too many revisions for one catalog")?;
            for (_, o) in t {
                if let Some(s) = span.get_mut(*o as usize) {
                    *s = (s.0.min(r), s.1.max(r));
                }
            }
        }
        let holders: Vec<u8> = span
            .iter()
            .flat_map(|(a, b)| a.to_le_bytes().into_iter().chain(b.to_le_bytes()))
            .collect();
        let chunks: Vec<u8> = [&blobs, &pathsec, &holders]
            .iter()
            .flat_map(|sec| sec.chunks(CHUNK).map(crc32fast::hash))
            .flat_map(u32::to_le_bytes)
            .collect();
        let sections: [Vec<u8>; SECTIONS] = [head, blobs, byid, pathsec, trees, chunks, holders];
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&SCHEMA_VERSION.to_le_bytes());
        out.extend_from_slice(&(SECTIONS as u32).to_le_bytes());
        let mut off = (16 + SECTIONS * 20) as u64;
        for s in &sections {
            out.extend_from_slice(&off.to_le_bytes());
            out.extend_from_slice(&(s.len() as u64).to_le_bytes());
            out.extend_from_slice(&crc32fast::hash(s).to_le_bytes());
            off += s.len() as u64;
        }
        for s in &sections {
            out.extend_from_slice(s);
        }
        Ok(out)
    }

    /// Writes the catalog atomically (temp file, fsync, rename).
    pub fn write(&self, index_dir: &Path) -> Result<()> {
        crate::atomic::write(&catalog_path(index_dir), &self.encode()?)
    }
}

/// A fingerprint of a repository's `exclude` patterns (FNV-1a), recorded per repository so a
/// changed `exclude` is noticed.
pub fn exclude_fingerprint(patterns: &[String]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in patterns.iter().flat_map(|p| p.bytes().chain([0])) {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// Parses `vendor/modules.txt` (`# module version` or `# module version => replacement version`)
/// through the one model of it, `deps::modules_txt`: module and version are kept here.
pub fn parse_modules_txt(text: &str) -> Vec<VendoredModule> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for e in crate::deps::modules_txt(text) {
        out.insert(e.name, e.version);
    }
    out.into_iter()
        .map(|(module, version)| VendoredModule { module, version })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(name: &str) -> IndexedRev {
        IndexedRev {
            repo: "r".into(),
            url: "u".into(),
            rev: name.into(),
            kind: RefKind::Tag,
            commit: "c".repeat(40),
            files: 0,
            vendor: Default::default(),
            submodules: Vec::new(),
        }
    }

    fn blob(n: u8) -> BlobEntry {
        BlobEntry {
            id: [n; 20],
            status: BlobStatus::Indexed,
            lang: crate::lang::Lang::Go,
            flags: 0,
            offset: n as u64 * 10,
            len: 10,
        }
    }

    fn written(c: &NewCatalog) -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        c.write(dir.path()).unwrap();
        let cat = Catalog::require(dir.path()).unwrap();
        (dir, cat)
    }

    #[test]
    fn modules_txt_maps_paths_to_the_longest_module() {
        let mut rev = rev("v");
        rev.vendor = parse_modules_txt(
            "# github.com/cyphar/filepath-securejoin v0.5.1\n## explicit; go 1.18\ngithub.com/cyphar/filepath-securejoin\n# golang.org/x/sys v0.30.0\n# example.com/a v1.0.0 => example.com/b v1.2.0\n",
        )
        .into();
        let m = rev
            .vendored_module("vendor/github.com/cyphar/filepath-securejoin/pathrs-lite/x.go")
            .unwrap();
        assert_eq!(
            (m.module.as_str(), m.version.as_str()),
            ("github.com/cyphar/filepath-securejoin", "v0.5.1")
        );
        assert_eq!(
            rev.vendored_module("vendor/example.com/a/x.go")
                .unwrap()
                .version,
            "v1.2.0"
        );
        assert!(rev.vendored_module("libcontainer/x.go").is_none());
        assert!(
            rev.vendored_module("vendor/golang.org/x/system/x.go")
                .is_none()
        );
    }

    #[test]
    fn vendored_modules_read_back_from_the_catalog_and_show_as_a_list_in_json() {
        let mut r1 = rev("v1");
        r1.vendor = parse_modules_txt(
            "# example.com/a v1.0.0\nexample.com/a\n# example.com/b v0.2.0 => example.com/c v0.3.0\n",
        )
        .into();
        let c = NewCatalog {
            store: "store-1".into(),
            revisions: vec![r1.clone(), rev("v2")],
            trees: vec![Vec::new(), Vec::new()],
            ..Default::default()
        };
        let (_d, cat) = written(&c);
        // Read in place: a range of the mapped catalog, not a copy (and only while decoding
        // the head does a borrowed list become one).
        assert!(matches!(
            cat.revisions[0].vendor.packed,
            Some(Packed::Mapped(_, _))
        ));
        assert!(DECODING.with_borrow(Option::is_none));
        assert_eq!(cat.revisions[0], r1);
        assert_eq!(cat.revisions[0].vendor.len(), 2);
        assert_eq!(cat.revisions[0].vendor[1].version, "v0.3.0");
        assert!(cat.revisions[1].vendor.is_empty());
        assert_eq!(
            serde_json::to_value(&cat.revisions[0].vendor).unwrap(),
            serde_json::json!([
                {"module": "example.com/a", "version": "v1.0.0"},
                {"module": "example.com/b", "version": "v0.3.0"},
            ])
        );
        // Decoded outside a catalog's head, the bytes are copied (and still read back).
        let bytes = postcard::to_allocvec(&cat.revisions[0]).unwrap();
        let again: IndexedRev = postcard::from_bytes(&bytes).unwrap();
        assert!(matches!(again.vendor.packed, Some(Packed::Owned(_))));
        assert_eq!(again, r1);
    }

    #[test]
    fn a_written_catalog_reads_back_with_its_trees_blobs_and_paths() {
        let mut r1 = rev("v1");
        r1.submodules.push(Submodule {
            path: "deps/fs".into(),
            commit: "1".repeat(40),
        });
        let c = NewCatalog {
            store: "store-1".into(),
            rules: "abc".into(),
            rule_ids: vec!["r1".into()],
            revisions: vec![r1, rev("v2")],
            trees: vec![
                vec![("b.go".into(), 1), ("a.go".into(), 0)],
                vec![("a.go".into(), 2)],
            ],
            blobs: vec![blob(9), blob(3), blob(5)],
            excludes: BTreeMap::from([("r".into(), "f".into())]),
            grams: "grams-1.dat".into(),
            blobs_len: 30,
            shard: None,
        };
        let (_d, cat) = written(&c);
        assert_eq!(cat.store, "store-1");
        assert_eq!(cat.revisions.len(), 2);
        assert_eq!(cat.blob_count(), 3);
        assert_eq!(cat.blob(1).unwrap(), blob(3));
        assert_eq!(cat.ordinal(&hex(&[5; 20])).unwrap(), Some(2));
        assert_eq!(cat.ordinal(&hex(&[7; 20])).unwrap(), None);
        let t = cat.tree(0).unwrap();
        let got: Vec<(&str, bool)> = t.iter().map(|o| (o.path.as_str(), o.submodule)).collect();
        assert_eq!(got, [("a.go", false), ("b.go", false), ("deps/fs", true)]);
        assert_eq!(t[0].id, hex(&[9; 20]));
        let e: Vec<(u32, u32)> = cat.entries(1).unwrap().iter().collect();
        assert_eq!(e.len(), 1);
        assert_eq!(cat.path(e[0].0).unwrap(), "a.go");
        assert_eq!(cat.excludes["r"], "f");
    }

    #[test]
    fn each_blob_knows_the_first_and_last_revision_holding_it() {
        let c = NewCatalog {
            store: "store-1".into(),
            revisions: vec![rev("v1"), rev("v2"), rev("v3"), rev("v4")],
            trees: vec![
                vec![("a.go".into(), 0), ("b.go".into(), 1)],
                vec![("a.go".into(), 0)],
                vec![("a.go".into(), 2), ("c.go".into(), 1)],
                vec![("a.go".into(), 2)],
            ],
            blobs: vec![blob(1), blob(2), blob(3), blob(4)],
            ..Default::default()
        };
        let (_d, cat) = written(&c);
        assert_eq!(cat.holders(0).unwrap(), 0..2);
        assert_eq!(
            cat.holders(1).unwrap(),
            0..3,
            "v1 and v3: the span covers v2"
        );
        assert_eq!(cat.holders(2).unwrap(), 2..4);
        assert!(cat.holders(3).unwrap().is_empty(), "in no tree");
        // Every entry of every tree lies in its blob's span.
        for r in 0..4 {
            for (_, o) in cat.entries(r).unwrap().iter() {
                assert!(cat.holders(o).unwrap().contains(&r), "blob {o} at {r}");
            }
        }
        assert!(cat.holders(4).is_err(), "an ordinal past the table");
    }

    #[test]
    fn a_search_reads_only_the_trees_some_candidate_may_be_in() {
        let c = NewCatalog {
            store: "store-1".into(),
            revisions: vec![rev("v1"), rev("v2"), rev("v3"), rev("v4"), rev("v5")],
            trees: vec![
                vec![("a".into(), 0)],
                vec![("a".into(), 1)],
                vec![("a".into(), 2)],
                vec![("a".into(), 1)],
                vec![("a".into(), 3)],
            ],
            blobs: vec![blob(1), blob(2), blob(3), blob(4), blob(5)],
            ..Default::default()
        };
        let (d, _) = written(&c);
        let index = crate::index::Index::open(d.path()).unwrap();
        let all: Vec<&IndexedRev> = index.revisions().iter().collect();
        let kept = |ords: &[u32]| -> Vec<String> {
            index
                .may_hold(&all, ords)
                .unwrap()
                .iter()
                .map(|r| r.rev.clone())
                .collect()
        };
        assert_eq!(kept(&[0]), ["v1"]);
        assert_eq!(kept(&[1]), ["v2", "v3", "v4"], "first to last holder");
        assert_eq!(kept(&[0, 3]), ["v1", "v5"]);
        assert!(kept(&[4]).is_empty(), "a blob in no tree");
        assert!(kept(&[]).is_empty());
        // Only the selected revisions are ever kept.
        assert_eq!(
            index
                .may_hold(&all[3..], &[1])
                .unwrap()
                .iter()
                .map(|r| r.rev.as_str())
                .collect::<Vec<_>>(),
            ["v4"]
        );
    }

    #[test]
    fn a_shard_record_follows_the_head_and_older_readers_skip_it() {
        let lock = crate::source::lock::Lock {
            repos: vec![crate::source::lock::LockedRepo {
                name: "r".into(),
                url: "u".into(),
                revs: Vec::new(),
            }],
        };
        let record = ShardRecord::of(crate::index::shards::ShardSpec { k: 1, n: 2 }, &lock);
        let mut c = NewCatalog {
            store: "s".into(),
            revisions: vec![rev("v1")],
            trees: vec![vec![("a.go".into(), 0)]],
            blobs: vec![blob(1)],
            ..Default::default()
        };
        assert_eq!(written(&c).1.shard, None);
        c.shard = Some(record.clone());
        let bytes = c.encode().unwrap();
        let (_d, cat) = written(&c);
        assert_eq!(cat.shard, Some(record));
        assert_eq!(cat.revisions.len(), 1);
        // A reader that predates shards decodes the head alone (postcard ignores what follows).
        let off = u64_at(&bytes, 16) as usize;
        let len = u64_at(&bytes, 24) as usize;
        let head: Head = postcard::from_bytes(&bytes[off..off + len]).unwrap();
        assert_eq!(head.revisions.len(), 1);
    }

    #[test]
    fn hostile_path_names_are_stored_as_themselves() {
        let evil = "x\n0000000000000000000000000000000000000000\tF\tINJECTED-fake-path.go";
        let c = NewCatalog {
            store: "s".into(),
            revisions: vec![rev("v1")],
            trees: vec![vec![
                (evil.into(), 0),
                ("](javascript:alert(1)).go".into(), 0),
            ]],
            blobs: vec![blob(1)],
            ..Default::default()
        };
        let (_d, cat) = written(&c);
        let t = cat.tree(0).unwrap();
        assert_eq!(t.len(), 2, "two entries, nothing forged: {t:?}");
        assert!(t.iter().any(|o| o.path == evil));
        assert!(!t.iter().any(|o| o.path == "INJECTED-fake-path.go"));
    }

    #[test]
    fn a_damaged_tree_or_table_is_an_error_naming_the_fix() {
        let c = NewCatalog {
            store: "s".into(),
            revisions: vec![rev("v1"), rev("v2")],
            trees: vec![vec![("a.go".into(), 0)], vec![("b.go".into(), 1)]],
            blobs: vec![blob(1), blob(2)],
            ..Default::default()
        };
        let bytes = c.encode().unwrap();
        // Swap the two blob ordinals of the trees (their 16 bytes): both trees fail.
        let dir = tempfile::tempdir().unwrap();
        let mut bad = bytes.clone();
        let trees_at = u64_at(&bad, 16 + TREES * 20) as usize;
        bad.swap(trees_at + 4, trees_at + 12);
        std::fs::write(catalog_path(dir.path()), &bad).unwrap();
        let cat = Catalog::require(dir.path()).unwrap();
        let e = cat.entries(0).err().unwrap().to_string();
        assert!(
            e.contains("r@v1") && e.contains("archeo index --rebuild"),
            "{e}"
        );
        // A flipped byte in the blob table.
        let mut bad = bytes.clone();
        let blobs_at = u64_at(&bad, 16 + 20) as usize;
        bad[blobs_at] ^= 1;
        std::fs::write(catalog_path(dir.path()), &bad).unwrap();
        let cat = Catalog::require(dir.path()).unwrap();
        let e = cat.blob(0).err().unwrap().to_string();
        assert!(e.contains("damaged") && e.contains("--rebuild"), "{e}");
        // A flipped byte in the head.
        let mut bad = bytes;
        bad[16 + SECTIONS * 20 + 1] ^= 0x40;
        std::fs::write(catalog_path(dir.path()), &bad).unwrap();
        let e = Catalog::read(dir.path()).err().unwrap().to_string();
        assert!(e.contains("damaged"), "{e}");
    }

    #[test]
    fn the_blob_and_path_tables_are_checked_by_the_chunks_a_query_reads() {
        let n = 3000u32;
        let c = NewCatalog {
            store: "s".into(),
            revisions: vec![rev("v1")],
            trees: vec![
                (0..n)
                    .map(|i| (format!("internal/dir/file{i:05}.go"), i))
                    .collect(),
            ],
            blobs: (0..n)
                .map(|i| BlobEntry {
                    id: [(i % 251) as u8; 20],
                    offset: u64::from(i) * 10,
                    ..blob(0)
                })
                .collect(),
            ..Default::default()
        };
        let bytes = c.encode().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(catalog_path(dir.path()), &bytes).unwrap();
        let cat = Catalog::require(dir.path()).unwrap();
        assert_eq!(cat.blob(2500).unwrap().offset, 25_000);
        assert_eq!(cat.path(2999).unwrap(), "internal/dir/file02999.go");
        // A flipped byte in the blob table's second chunk: rows of the first still read, a row
        // of the second is refused; the same for the path table.
        let blobs_at = u64_at(&bytes, 16 + BLOBS * 20) as usize;
        let paths_at = u64_at(&bytes, 16 + PATHS * 20) as usize;
        let paths_len = u64_at(&bytes, 16 + PATHS * 20 + 8) as usize;
        assert!(n as usize * BLOB_ROW > CHUNK && paths_len > CHUNK);
        for (at, first, second) in [
            (blobs_at + 2500 * BLOB_ROW + 30, 0u32, 2500u32),
            (paths_at + paths_len - 5, 0, n - 1),
        ] {
            let mut bad = bytes.clone();
            bad[at] ^= 1;
            std::fs::write(catalog_path(dir.path()), &bad).unwrap();
            let cat = Catalog::require(dir.path()).unwrap();
            if at < paths_at {
                assert!(cat.blob(first).is_ok());
                let e = cat.blob(second).err().unwrap().to_string();
                assert!(e.contains("damaged") && e.contains("--rebuild"), "{e}");
            } else {
                assert!(cat.path(first).is_ok());
                let e = cat.path(second).err().unwrap().to_string();
                assert!(e.contains("damaged") && e.contains("--rebuild"), "{e}");
            }
        }
    }

    #[test]
    fn an_old_json_catalog_asks_for_a_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("catalog.json"), "{\"schema_version\": 1}").unwrap();
        let e = Catalog::read(dir.path()).err().unwrap().to_string();
        assert!(
            e.contains("older format") && e.contains("rebuild it with `archeo index`"),
            "{e}"
        );
    }
}
