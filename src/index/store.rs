//! The store stage: the tantivy index holding every distinct file version (blob) once, its
//! string literals and its rule findings. This is the only module that touches tantivy; the rest
//! of archeo sees [`BlobRecord`], [`StoredFile`], [`StoredLiteral`] and JSON finding payloads.
//!
//! Documents, one `kind` each:
//! - `file`: one per processed blob: `blob`, `lang`, `tokens` (code tokens of the whole text,
//!   indexed, not stored), `content` (stored text), `meta` (stored JSON: status, package,
//!   imports, declarations, calls, error nodes).
//! - `lit`: one per string literal of a Go blob: `blob`, `tokens` (of the value), `payload`
//!   (stored JSON [`StoredLiteral`]).
//! - `finding`: one per rule match in a blob: `blob`, `rule`, `payload` (stored JSON).
//!
//! Damage is detected, never cited: opening checks tantivy's checksums of every segment file but
//! the document store; each stored field of a store written by this archeo is sealed with a
//! CRC-32 (a file's content together with its blob id), checked when read; a file document's
//! blob id from the fast field must be the one its stored fields hold; tantivy panics on damaged
//! files are caught here. Every such failure is [`StoreError::Damaged`], which names the fix.
//! Readers never write: an index on a read-only mount, or one the user may not write, opens.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What can go wrong with the tantivy store. Every variant that means "the index is not what
/// this archeo expects" says how to rebuild it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The directory cannot be created or opened as an index.
    #[error("cannot open the index at {}: {reason}: run `archeo index --rebuild`", dir.display())]
    Open {
        /// The store directory.
        dir: PathBuf,
        /// What tantivy or the OS said.
        reason: String,
    },
    /// A new store cannot be made (a full disk, no permission).
    #[error("cannot create the index at {}: {reason}", dir.display())]
    Create {
        /// The store directory.
        dir: PathBuf,
        /// What tantivy or the OS said.
        reason: String,
    },
    /// Written by another archeo with another schema.
    #[error("the index at {} was written with another schema: rebuild it with `archeo index --rebuild`", dir.display())]
    Schema {
        /// The store directory.
        dir: PathBuf,
    },
    /// Another process holds tantivy's writer lock.
    #[error("the index is being written by another process")]
    Locked,
    /// Stored data that does not decode.
    #[error("the index is damaged ({what}): run `archeo index --rebuild`")]
    Damaged {
        /// What did not decode.
        what: String,
    },
    /// Any other tantivy failure while writing.
    #[error("index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// Reading the index's files failed.
    #[error("cannot read the index: {0}")]
    Io(#[from] std::io::Error),
}

/// Results of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A tantivy failure while reading: the index is damaged, unless the OS refused access.
fn read_error(e: tantivy::TantivyError) -> StoreError {
    let denied = |io: &std::io::Error| io.kind() == std::io::ErrorKind::PermissionDenied;
    match &e {
        tantivy::TantivyError::IoError(io) if denied(io) => {
            StoreError::Io(std::io::Error::new(io.kind(), io.to_string()))
        }
        tantivy::TantivyError::OpenReadError(
            tantivy::directory::error::OpenReadError::IoError { io_error, .. },
        ) if denied(io_error) => {
            StoreError::Io(std::io::Error::new(io_error.kind(), e.to_string()))
        }
        _ => StoreError::Damaged {
            what: e.to_string(),
        },
    }
}

/// Runs a read of the store, turning a tantivy panic (damaged files can trip its assertions)
/// into [`StoreError::Damaged`]; the panic message is not printed.
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    quiet_panics::install();
    let _quiet = quiet_panics::Quiet::new();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(|e| match e {
            StoreError::Tantivy(t) => read_error(t),
            e => e,
        }),
        Err(payload) => Err(StoreError::Damaged {
            what: format!(
                "reading it failed: {}",
                payload
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| payload.downcast_ref::<&str>().copied())
                    .unwrap_or("no message")
            ),
        }),
    }
}

/// A panic hook that stays silent on threads inside [`guarded`] and defers to the previous
/// hook everywhere else.
mod quiet_panics {
    use std::cell::Cell;
    use std::sync::Once;

    thread_local! {
        static DEPTH: Cell<u32> = const { Cell::new(0) };
    }

    pub(super) fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if DEPTH.with(Cell::get) == 0 {
                    previous(info);
                }
            }));
        });
    }

    /// Silences panic messages on this thread while alive.
    pub(super) struct Quiet;

    impl Quiet {
        pub(super) fn new() -> Quiet {
            DEPTH.with(|d| d.set(d.get() + 1));
            Quiet
        }
    }

    impl Drop for Quiet {
        fn drop(&mut self) {
            DEPTH.with(|d| d.set(d.get() - 1));
        }
    }
}

/// The commit payload of a store this archeo wrote: its fields are sealed (see [`seal`]), and
/// the CRC-32s of the catalogs that may go with it (the new one, and the one before it while the
/// new one is not written yet).
#[derive(Debug, Default, Serialize, Deserialize)]
struct CommitPayload {
    sealed: bool,
    catalogs: Vec<String>,
}

impl CommitPayload {
    fn read(meta_payload: Option<&str>) -> Result<CommitPayload> {
        match meta_payload {
            None => Ok(CommitPayload::default()),
            Some(p) => serde_json::from_str(p).map_err(damaged("meta.json payload")),
        }
    }
}

/// The CRC-32 of a catalog's bytes, as the commit payload lists it.
pub fn catalog_sum(bytes: &[u8]) -> String {
    format!("{:08x}", crc32fast::hash(bytes))
}

/// `text` followed by NUL and the CRC-32 of `key` and `text`, as 8 hex digits.
fn seal(key: &str, text: &str) -> String {
    format!("{text}\u{0}{:08x}", crc(key, text))
}

fn crc(key: &str, text: &str) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(key.as_bytes());
    h.update(&[0]);
    h.update(text.as_bytes());
    h.finalize()
}

/// What a file's text is sealed with: its blob id and language, so neither can change unseen.
fn text_key(blob: &str, lang: Lang) -> String {
    format!("{blob}\u{0}{}", lang.as_str())
}

/// Splits a sealed field into its text and CRC; `None` when it carries no seal.
fn split_seal(mut s: String) -> Option<(String, u32)> {
    let at = s.len().checked_sub(9)?;
    if s.as_bytes()[at] != 0 || !s.is_char_boundary(at) {
        return None;
    }
    let sum = u32::from_str_radix(&s[at + 1..], 16).ok()?;
    s.truncate(at);
    Some((s, sum))
}

/// A sealed field's text after checking its CRC (unsealed stores: the text as stored).
fn unseal(sealed: bool, key: &str, s: String, what: &str) -> Result<String> {
    if !sealed {
        return Ok(s);
    }
    match split_seal(s) {
        Some((text, sum)) if crc(key, &text) == sum => Ok(text),
        _ => Err(StoreError::Damaged {
            what: format!("the {what} of blob {key} fails its checksum"),
        }),
    }
}

fn damaged(what: impl Into<String>) -> impl FnOnce(serde_json::Error) -> StoreError {
    let what = what.into();
    move |e| StoreError::Damaged {
        what: format!("{what}: {e}"),
    }
}
use serde::{Deserialize, Serialize};
use tantivy::collector::DocSetCollector;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, TantivyDocument, Term};

use crate::lang::{Lang, Parsed};

const TOKENIZER: &str = "archeo_code";

#[derive(Clone, Copy)]
struct Fields {
    kind: Field,
    blob: Field,
    lang: Field,
    rule: Field,
    tokens: Field,
    content: Field,
    meta: Field,
    decls: Field,
    payload: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let tokens_opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::Basic),
    );
    let f = Fields {
        kind: b.add_text_field("kind", STRING),
        blob: b.add_text_field("blob", STRING | STORED | FAST),
        lang: b.add_text_field("lang", STRING | STORED),
        rule: b.add_text_field("rule", STRING | STORED),
        tokens: b.add_text_field("tokens", tokens_opts),
        content: b.add_text_field("content", STORED),
        meta: b.add_text_field("meta", STORED),
        decls: b.add_text_field("decls", STORED),
        payload: b.add_text_field("payload", STORED),
    };
    (b.build(), f)
}

/// How a blob was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// What the indexer hands the store for one blob.
pub struct BlobRecord {
    /// The git blob id.
    pub blob: String,
    /// Its language.
    pub lang: Lang,
    /// How it was handled.
    pub status: BlobStatus,
    /// Its size in bytes.
    pub size: u64,
    /// Its text, when indexed as text.
    pub content: Option<String>,
    /// What the parse found.
    pub parsed: Parsed,
    /// (rule id, JSON payload)
    pub findings: Vec<(String, String)>,
    /// Dependency edges found in it, with the path they were read at (reading depends on the
    /// path: a Dockerfile, a script, a version file).
    pub deps: Option<StoredDeps>,
}

/// A file version's dependency edges as stored: one `deps` document per blob that has any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDeps {
    /// The blob.
    #[serde(default)]
    pub blob: String,
    /// The path the edges were read at.
    pub path: String,
    /// The edges, in file order.
    pub edges: Vec<crate::deps::DepEdge>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileMeta {
    status: BlobStatus,
    size: u64,
    #[serde(flatten)]
    parsed: Parsed,
}

/// A file version as stored. Declarations are always loaded; the rest of the parse (imports,
/// calls, literals' context) only on demand, as it is large and most queries never need it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The git blob id.
    pub blob: String,
    /// Its language.
    pub lang: Lang,
    /// Its text.
    pub content: String,
    /// Its declarations.
    pub decls: Vec<crate::lang::Decl>,
    meta_json: String,
    /// The store seals its fields.
    sealed: bool,
    /// The content's seal, checked by [`StoredFile::verify`].
    content_sum: Option<u32>,
}

impl StoredFile {
    /// The innermost declaration holding `line`.
    pub fn decl_at(&self, line: u32) -> Option<&crate::lang::Decl> {
        self.decls
            .iter()
            .filter(|d| d.start <= line && line <= d.end)
            .min_by_key(|d| d.end - d.start)
    }

    /// The full parse result and status.
    pub fn parsed(&self) -> Result<(BlobStatus, Parsed)> {
        let meta = unseal(
            self.sealed,
            &self.blob,
            self.meta_json.clone(),
            "file metadata",
        )?;
        let mut m: FileMeta = serde_json::from_str(&meta).map_err(damaged("file metadata"))?;
        m.parsed.decls = self.decls.clone();
        Ok((m.status, m.parsed))
    }

    /// Checks that the stored text is this blob's, before anything cites its lines: by its seal
    /// (stores written by this archeo), else by git's blob id of the text (text indexed as
    /// is; text made valid UTF-8 cannot be checked that way).
    pub fn verify(&self) -> Result<()> {
        let good = match self.content_sum {
            Some(sum) => crc(&text_key(&self.blob, self.lang), &self.content) == sum,
            None if self.sealed => self.content.is_empty(),
            None => {
                crate::source::git::blob_id(self.content.as_bytes()) == self.blob
                    || self.parsed()?.0 != BlobStatus::Indexed
            }
        };
        if good {
            Ok(())
        } else {
            Err(StoreError::Damaged {
                what: format!("the stored text of blob {} is not that blob's", self.blob),
            })
        }
    }
}

/// A string literal as stored, with its blob, language and enclosing declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLiteral {
    /// The blob holding it.
    pub blob: String,
    /// The literal and its context.
    #[serde(flatten)]
    pub lit: crate::lang::StringLit,
    /// The innermost declaration holding it.
    pub decl: Option<String>,
    /// The language of the file.
    #[serde(default = "go_lang")]
    pub lang: Lang,
}

fn go_lang() -> Lang {
    Lang::Go
}

/// A file document found by a token query: its blob id, and where the store keeps it.
#[derive(Debug, Clone)]
pub struct FileRef {
    addr: DocAddress,
    /// The git blob id.
    pub blob: String,
}

/// The opened tantivy index, with a reader.
pub struct Store {
    index: Index,
    reader: IndexReader,
    f: Fields,
    /// Its stored fields are sealed (written by this archeo).
    sealed: bool,
    /// CRC-32s of the catalogs that go with it (none: a store from before they were recorded).
    catalogs: Vec<String>,
    dir: PathBuf,
}

impl Store {
    fn register(index: &Index) {
        index
            .tokenizers()
            .register(TOKENIZER, crate::index::tokenize::CodeTokenizer::default());
    }

    /// Checks the schema, registers the tokenizer and opens a reader that never writes.
    fn ready(index: Index, schema: Schema, f: Fields, dir: &Path) -> Result<Store> {
        if index.schema() != schema {
            return Err(StoreError::Schema {
                dir: dir.to_path_buf(),
            });
        }
        Self::register(&index);
        let payload =
            CommitPayload::read(index.load_metas().map_err(read_error)?.payload.as_deref())?;
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()
            .map_err(read_error)?;
        Ok(Store {
            index,
            reader,
            f,
            sealed: payload.sealed,
            catalogs: payload.catalogs,
            dir: dir.to_path_buf(),
        })
    }

    /// Opens the store in `dir`, creating it when there is none (a new store seals its fields).
    pub fn create_or_open(dir: &Path) -> Result<Store> {
        let open_err = |reason: String| StoreError::Open {
            dir: dir.to_path_buf(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let (schema, f) = schema();
        if dir.join("meta.json").exists() {
            return guarded(|| {
                let index = Index::open_in_dir(dir).map_err(|e| open_err(e.to_string()))?;
                Self::ready(index, schema, f, dir)
            });
        }
        let index = Index::create_in_dir(dir, schema.clone()).map_err(|e| StoreError::Create {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut store = Self::ready(index, schema, f, dir)?;
        store.sealed = true;
        Ok(store)
    }

    /// Opens an existing store to read it, after checking the checksums of its files.
    pub fn open(dir: &Path) -> Result<Store> {
        guarded(|| {
            let (schema, f) = schema();
            let mmap =
                tantivy::directory::MmapDirectory::open(dir).map_err(|e| StoreError::Open {
                    dir: dir.to_path_buf(),
                    reason: e.to_string(),
                })?;
            let index = Index::open(ReaderDirectory(mmap)).map_err(|e| StoreError::Open {
                dir: dir.to_path_buf(),
                reason: e.to_string(),
            })?;
            check_files(&index)?;
            Self::ready(index, schema, f, dir)
        })
    }

    /// Does a catalog with these bytes go with this store? (Always, for a store written before
    /// catalogs were recorded.)
    pub fn goes_with(&self, catalog: &[u8]) -> bool {
        (self.catalogs.is_empty() && !self.sealed) || self.catalogs.contains(&catalog_sum(catalog))
    }

    /// Blob ids already in the index (one `file` document each).
    pub fn indexed_blobs(&self) -> Result<HashSet<String>> {
        guarded(|| self.indexed_blobs_unguarded())
    }

    fn indexed_blobs_unguarded(&self) -> Result<HashSet<String>> {
        let searcher = self.reader.searcher();
        let mut out = HashSet::new();
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(self.f.blob)?;
            let mut stream = inv.terms().stream()?;
            while stream.advance() {
                out.insert(String::from_utf8_lossy(stream.key()).into_owned());
            }
        }
        Ok(out)
    }

    /// The single writer, with up to `threads` indexing threads.
    pub fn writer(&self, threads: usize) -> Result<StoreWriter> {
        let threads = threads.clamp(1, 4);
        let w = self
            .index
            .writer_with_num_threads(threads, threads * 64 * 1024 * 1024)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => StoreError::Locked,
                e => StoreError::Tantivy(e),
            })?;
        Ok(StoreWriter {
            w,
            f: self.f,
            sealed: self.sealed,
            dir: self.dir.clone(),
        })
    }

    fn term_query(&self, field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        ))
    }

    /// `file` documents (of language `lang` when given) holding every token of `all`, and at
    /// least one token of each group in `any_of` (an empty list means every file), with their
    /// blob ids.
    pub fn files_with_tokens(
        &self,
        all: &[String],
        any_of: &[Vec<String>],
        lang: Option<Lang>,
    ) -> Result<Vec<FileRef>> {
        guarded(|| self.files_with_tokens_unguarded(all, any_of, lang))
    }

    fn files_with_tokens_unguarded(
        &self,
        all: &[String],
        any_of: &[Vec<String>],
        lang: Option<Lang>,
    ) -> Result<Vec<FileRef>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, self.term_query(self.f.kind, "file"))];
        if let Some(l) = lang {
            clauses.push((Occur::Must, self.term_query(self.f.lang, l.as_str())));
        }
        for t in all {
            clauses.push((Occur::Must, self.term_query(self.f.tokens, t)));
        }
        for group in any_of {
            let g: Vec<(Occur, Box<dyn Query>)> = group
                .iter()
                .map(|t| (Occur::Should, self.term_query(self.f.tokens, t)))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(g))));
        }
        let addrs = self.collect(&BooleanQuery::new(clauses))?;
        let blobs = self.blobs_of(&addrs)?;
        Ok(addrs
            .into_iter()
            .zip(blobs)
            .map(|(addr, blob)| FileRef { addr, blob })
            .collect())
    }

    fn collect(&self, q: &dyn Query) -> Result<Vec<DocAddress>> {
        let searcher = self.reader.searcher();
        let mut v: Vec<DocAddress> = searcher.search(q, &DocSetCollector)?.into_iter().collect();
        v.sort();
        Ok(v)
    }

    /// The stored file document `r` refers to: its stored blob id must be the one the fast
    /// field gave (a damaged fast field would otherwise place one file's lines at another's
    /// paths).
    pub fn file(&self, r: &FileRef) -> Result<StoredFile> {
        guarded(|| self.file_at(r.addr, Some(&r.blob)))
    }

    fn file_at(&self, addr: DocAddress, expected: Option<&str>) -> Result<StoredFile> {
        let doc: TantivyDocument = self.reader.searcher().doc(addr)?;
        let get = |f: Field| {
            doc.get_first(f)
                .and_then(|v| v.as_str().map(str::to_string))
        };
        let blob = get(self.f.blob).unwrap_or_default();
        if let Some(x) = expected.filter(|x| *x != blob) {
            return Err(StoreError::Damaged {
                what: format!(
                    "a document's blob id is {x} in the fast field but {blob} in the document store"
                ),
            });
        }
        let decls = match get(self.f.decls) {
            Some(d) => unseal(self.sealed, &blob, d, "declarations")?,
            None if self.sealed => {
                return Err(StoreError::Damaged {
                    what: format!("the declarations of blob {blob} are missing"),
                });
            }
            None => String::new(),
        };
        let lang = Lang::from_name(&get(self.f.lang).unwrap_or_default()).unwrap_or(Lang::Text);
        let (content, content_sum) = match get(self.f.content) {
            Some(c) if self.sealed => match split_seal(c) {
                Some((text, sum)) => (text, Some(sum)),
                None => {
                    return Err(StoreError::Damaged {
                        what: format!("the stored text of blob {blob} has no seal"),
                    });
                }
            },
            Some(c) => (c, None),
            None if self.sealed => {
                return Err(StoreError::Damaged {
                    what: format!("the stored text of blob {blob} is missing"),
                });
            }
            None => (String::new(), None),
        };
        Ok(StoredFile {
            lang,
            content,
            decls: decode_decls(&decls)?,
            meta_json: get(self.f.meta).unwrap_or_default(),
            sealed: self.sealed,
            content_sum,
            blob,
        })
    }

    /// The blob ids of documents, read from the fast field (no document is loaded).
    fn blobs_of(&self, addrs: &[DocAddress]) -> Result<Vec<String>> {
        let searcher = self.reader.searcher();
        let mut cols = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(addrs.len());
        for a in addrs {
            let col = match cols.entry(a.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    searcher
                        .segment_reader(a.segment_ord)
                        .fast_fields()
                        .str("blob")?
                        .ok_or_else(|| StoreError::Damaged {
                            what: "no blob fast field".into(),
                        })?,
                ),
            };
            let mut s = String::new();
            if let Some(ord) = col.term_ords(a.doc_id).next() {
                col.ord_to_str(ord, &mut s)?;
            }
            out.push(s);
        }
        Ok(out)
    }

    /// The file document of a blob.
    pub fn file_by_blob(&self, blob: &str) -> Result<Option<StoredFile>> {
        guarded(|| {
            let q = BooleanQuery::new(vec![
                (Occur::Must, self.term_query(self.f.kind, "file")),
                (Occur::Must, self.term_query(self.f.blob, blob)),
            ]);
            match self.collect(&q)?.first() {
                Some(a) => Ok(Some(self.file_at(*a, Some(blob))?)),
                None => Ok(None),
            }
        })
    }

    /// String literals holding at least one of `tokens`.
    pub fn literals_with_any(&self, tokens: &[String]) -> Result<Vec<StoredLiteral>> {
        let any: Vec<(Occur, Box<dyn Query>)> = tokens
            .iter()
            .map(|t| (Occur::Should, self.term_query(self.f.tokens, t)))
            .collect();
        let q = BooleanQuery::new(vec![
            (Occur::Must, self.term_query(self.f.kind, "lit")),
            (Occur::Must, Box::new(BooleanQuery::new(any))),
        ]);
        guarded(|| self.payloads(&q))
    }

    /// Finding payloads, of the given rules (all when empty).
    pub fn findings<T: serde::de::DeserializeOwned>(&self, rules: &[String]) -> Result<Vec<T>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, self.term_query(self.f.kind, "finding"))];
        if !rules.is_empty() {
            let any = rules
                .iter()
                .map(|r| (Occur::Should, self.term_query(self.f.rule, r)))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        guarded(|| self.payloads(&BooleanQuery::new(clauses)))
    }

    fn payloads<T: serde::de::DeserializeOwned>(&self, q: &dyn Query) -> Result<Vec<T>> {
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for a in self.collect(q)? {
            let doc: TantivyDocument = searcher.doc(a)?;
            let get = |f: Field| doc.get_first(f).and_then(|v| v.as_str());
            let blob = get(self.f.blob).unwrap_or_default();
            let p = unseal(
                self.sealed,
                blob,
                get(self.f.payload).unwrap_or("null").to_string(),
                "payload",
            )?;
            out.push(serde_json::from_str(&p).map_err(damaged("payload"))?);
        }
        Ok(out)
    }

    /// Every file version's dependency edges.
    pub fn deps(&self) -> Result<Vec<StoredDeps>> {
        guarded(|| self.payloads(&self.term_query(self.f.kind, "deps")))
    }

    /// Number of documents of every kind (for stats).
    pub fn num_docs(&self) -> Result<u64> {
        guarded(|| {
            Ok(self
                .reader
                .searcher()
                .search(&AllQuery, &tantivy::collector::Count)? as u64)
        })
    }
}

/// Checks tantivy's checksum of every file of every segment but the document store (whose
/// fields are sealed one by one, and which is too large to read whole for every command).
fn check_files(index: &Index) -> Result<()> {
    use tantivy::index::SegmentComponent as C;
    let metas = index.searchable_segment_metas().map_err(read_error)?;
    for meta in &metas {
        for c in [
            C::Postings,
            C::Positions,
            C::Terms,
            C::FastFields,
            C::FieldNorms,
        ] {
            let path = meta.relative_path(c);
            let good = index
                .directory()
                .validate_checksum(&path)
                .map_err(|e| read_error(e.into()))?;
            if !good {
                return Err(StoreError::Damaged {
                    what: format!("{} fails its checksum", path.display()),
                });
            }
        }
    }
    Ok(())
}

/// The directory readers open the store through: an mmap directory whose lock falls back to
/// none when the OS refuses to create one (a read-only mount, files the user may not write).
/// tantivy locks only to keep its garbage collector away from files being opened, and a writer
/// cannot collect anything on a directory this reader may not write either.
#[derive(Clone, Debug)]
struct ReaderDirectory(tantivy::directory::MmapDirectory);

impl tantivy::Directory for ReaderDirectory {
    fn get_file_handle(
        &self,
        path: &Path,
    ) -> std::result::Result<
        std::sync::Arc<dyn tantivy::directory::FileHandle>,
        tantivy::directory::error::OpenReadError,
    > {
        self.0.get_file_handle(path)
    }

    fn delete(
        &self,
        path: &Path,
    ) -> std::result::Result<(), tantivy::directory::error::DeleteError> {
        self.0.delete(path)
    }

    fn exists(
        &self,
        path: &Path,
    ) -> std::result::Result<bool, tantivy::directory::error::OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(
        &self,
        path: &Path,
    ) -> std::result::Result<tantivy::directory::WritePtr, tantivy::directory::error::OpenWriteError>
    {
        self.0.open_write(path)
    }

    fn atomic_read(
        &self,
        path: &Path,
    ) -> std::result::Result<Vec<u8>, tantivy::directory::error::OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.0.atomic_write(path, data)
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        self.0.sync_directory()
    }

    fn acquire_lock(
        &self,
        lock: &tantivy::directory::Lock,
    ) -> std::result::Result<tantivy::directory::DirectoryLock, tantivy::directory::error::LockError>
    {
        use std::io::ErrorKind;
        match self.0.acquire_lock(lock) {
            Err(tantivy::directory::error::LockError::IoError(e))
                if matches!(
                    e.kind(),
                    ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                Ok(tantivy::directory::DirectoryLock::from(Box::new(())))
            }
            other => other,
        }
    }

    fn watch(
        &self,
        callback: tantivy::directory::WatchCallback,
    ) -> tantivy::Result<tantivy::directory::WatchHandle> {
        self.0.watch(callback)
    }
}

/// Adds blobs' documents; [`StoreWriter::commit`] makes them visible.
pub struct StoreWriter {
    w: IndexWriter,
    f: Fields,
    sealed: bool,
    dir: PathBuf,
}

impl StoreWriter {
    /// A file's text as stored: sealed with [`text_key`] in a sealed store.
    fn seal_text(&self, blob: &str, lang: Lang, text: String) -> String {
        if self.sealed {
            seal(&text_key(blob, lang), &text)
        } else {
            text
        }
    }

    /// Adds one blob's documents. Safe to call from many threads.
    pub fn add(&self, mut rec: BlobRecord) -> Result<()> {
        let f = self.f;
        let blob = rec.blob.clone();
        let sealed = |text: String| {
            if self.sealed {
                seal(&blob, &text)
            } else {
                text
            }
        };
        let mut doc = TantivyDocument::new();
        doc.add_text(f.kind, "file");
        doc.add_text(f.blob, &rec.blob);
        doc.add_text(f.lang, rec.lang.as_str());
        if let Some(c) = &rec.content {
            doc.add_text(f.tokens, c);
        }
        // A sealed store gives every file document its text field (empty for binaries), so a
        // field lost to damage is noticed rather than read as a file without lines.
        if self.sealed || rec.content.is_some() {
            let text = rec.content.clone().unwrap_or_default();
            doc.add_text(f.content, self.seal_text(&blob, rec.lang, text));
        }
        let strings = std::mem::take(&mut rec.parsed.strings);
        let decls = std::mem::take(&mut rec.parsed.decls);
        if !decls.is_empty() || self.sealed {
            doc.add_text(f.decls, sealed(encode_decls(&decls)));
        }
        let meta = FileMeta {
            status: rec.status,
            size: rec.size,
            parsed: rec.parsed,
        };
        doc.add_text(
            f.meta,
            sealed(serde_json::to_string(&meta).expect("metadata serialises")),
        );
        self.w.add_document(doc)?;
        for s in strings {
            let decl = decls
                .iter()
                .filter(|d| d.start <= s.line && s.line <= d.end)
                .min_by_key(|d| d.end - d.start)
                .map(|d| d.name.clone());
            let lit = StoredLiteral {
                blob: rec.blob.clone(),
                lit: s,
                decl,
                lang: rec.lang,
            };
            let mut d = TantivyDocument::new();
            d.add_text(f.kind, "lit");
            d.add_text(f.blob, &rec.blob);
            d.add_text(f.tokens, &lit.lit.value);
            d.add_text(
                f.payload,
                sealed(serde_json::to_string(&lit).expect("a literal serialises")),
            );
            self.w.add_document(d)?;
        }
        if let Some(mut deps) = rec.deps.take() {
            deps.blob = rec.blob.clone();
            let mut d = TantivyDocument::new();
            d.add_text(f.kind, "deps");
            d.add_text(f.blob, &rec.blob);
            d.add_text(
                f.payload,
                sealed(serde_json::to_string(&deps).expect("edges serialise")),
            );
            self.w.add_document(d)?;
        }
        for (rule, payload) in rec.findings {
            let mut d = TantivyDocument::new();
            d.add_text(f.kind, "finding");
            d.add_text(f.blob, &rec.blob);
            d.add_text(f.rule, &rule);
            d.add_text(f.payload, sealed(payload));
            self.w.add_document(d)?;
        }
        Ok(())
    }

    /// Makes everything added visible, atomically, recording the CRC-32s ([`catalog_sum`]) of
    /// the catalogs that may go with the store; the index's metadata files are made readable by
    /// everyone (tantivy writes them private), so others can read the index.
    pub fn commit(mut self, catalogs: &[String]) -> Result<()> {
        let mut prepared = self.w.prepare_commit()?;
        if self.sealed {
            let payload = CommitPayload {
                sealed: true,
                catalogs: catalogs.to_vec(),
            };
            prepared.set_payload(&serde_json::to_string(&payload).expect("a payload serialises"));
        }
        prepared.commit()?;
        self.w.wait_merging_threads()?;
        readable_by_all(&self.dir);
        Ok(())
    }
}

#[cfg(unix)]
fn readable_by_all(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for name in ["meta.json", ".managed.json"] {
        let p = dir.join(name);
        if let Ok(m) = std::fs::metadata(&p) {
            let mode = m.permissions().mode();
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode | 0o444));
        }
    }
}

#[cfg(not(unix))]
fn readable_by_all(_: &Path) {}

/// Declarations as compact lines (`kind start end ident name`): read for every candidate file of
/// every search, so cheaper to decode than JSON.
fn encode_decls(decls: &[crate::lang::Decl]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(decls.len() * 40);
    for d in decls {
        let k = match d.kind {
            crate::lang::DeclKind::Func => 'f',
            crate::lang::DeclKind::Method => 'm',
            crate::lang::DeclKind::Type => 't',
            crate::lang::DeclKind::Const => 'c',
            crate::lang::DeclKind::Var => 'v',
        };
        let _ = writeln!(s, "{k}\t{}\t{}\t{}\t{}", d.start, d.end, d.ident, d.name);
    }
    s
}

fn line_number(s: &str) -> Result<u32> {
    s.parse().map_err(|_| StoreError::Damaged {
        what: format!("declaration line number {s:?}"),
    })
}

fn decode_decls(s: &str) -> Result<Vec<crate::lang::Decl>> {
    use crate::lang::{Decl, DeclKind};
    let mut out = Vec::new();
    for line in s.lines() {
        let mut it = line.splitn(5, '\t');
        let (Some(k), Some(a), Some(b), Some(ident), Some(name)) =
            (it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            return Err(StoreError::Damaged {
                what: format!("declaration line {line:?}"),
            });
        };
        let kind = match k {
            "f" => DeclKind::Func,
            "m" => DeclKind::Method,
            "t" => DeclKind::Type,
            "c" => DeclKind::Const,
            _ => DeclKind::Var,
        };
        out.push(Decl {
            kind,
            start: line_number(a)?,
            end: line_number(b)?,
            ident: ident.to_string(),
            name: name.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOB: &str = "0123456789abcdef0123456789abcdef01234567";
    const OTHER: &str = "89abcdef0123456789abcdef0123456789abcdef";
    const SCRIPT: &str = "#!/bin/sh\nRUNC_VERSION=v1.2.0\ninstall_runc() {\n\tgit checkout \"$RUNC_VERSION\"\n}\ninstall_runc\n";

    /// How a stored field is damaged: its text changed behind an intact tantivy file (the way
    /// flipped bytes that decompress would), or the seal of another blob's field moved here.
    #[derive(Clone, Copy, PartialEq)]
    enum Damage {
        None,
        Text,
        Moved,
    }

    /// `text` sealed for `blob`, then damaged.
    fn field(blob: &str, text: &str, damage: Damage) -> String {
        match damage {
            Damage::None => seal(blob, text),
            Damage::Text => {
                let changed = text.replacen("v1.2.0", "v9.9.9", 1).replacen(
                    "install_runc",
                    "install_rund",
                    1,
                );
                assert_ne!(changed, text);
                format!("{changed}\u{0}{:08x}", crc(blob, text))
            }
            Damage::Moved => seal(OTHER, text),
        }
    }

    /// A sealed store holding a shell script (its functions and calls as parse facts) and its
    /// dependency edges, the deps payload, declarations or metadata damaged as asked.
    fn store(deps: Damage, decls: Damage, meta: Damage) -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let (parsed, _) = Lang::Shell.language().parse(SCRIPT);
        assert!(!parsed.decls.is_empty(), "the script declares install_runc");
        let edges = crate::deps::extract("hack/install.sh", SCRIPT);
        assert!(!edges.is_empty(), "the script pins RUNC_VERSION");
        let store = Store::create_or_open(tmp.path()).unwrap();
        let w = store.writer(1).unwrap();
        let f = w.f;
        let mut doc = TantivyDocument::new();
        doc.add_text(f.kind, "file");
        doc.add_text(f.blob, BLOB);
        doc.add_text(f.lang, Lang::Shell.as_str());
        doc.add_text(f.content, seal(&text_key(BLOB, Lang::Shell), SCRIPT));
        doc.add_text(f.decls, field(BLOB, &encode_decls(&parsed.decls), decls));
        let m = FileMeta {
            status: BlobStatus::Indexed,
            size: SCRIPT.len() as u64,
            parsed: Parsed {
                decls: Vec::new(),
                ..parsed
            },
        };
        doc.add_text(
            f.meta,
            field(BLOB, &serde_json::to_string(&m).unwrap(), meta),
        );
        w.w.add_document(doc).unwrap();
        let payload = StoredDeps {
            blob: BLOB.into(),
            path: "hack/install.sh".into(),
            edges,
        };
        let mut d = TantivyDocument::new();
        d.add_text(f.kind, "deps");
        d.add_text(f.blob, BLOB);
        d.add_text(
            f.payload,
            field(BLOB, &serde_json::to_string(&payload).unwrap(), deps),
        );
        w.w.add_document(d).unwrap();
        w.commit(&[]).unwrap();
        let store = Store::open(tmp.path()).unwrap();
        (tmp, store)
    }

    fn assert_damaged<T: std::fmt::Debug>(what: &str, r: Result<T>) {
        let e = r.expect_err(what).to_string();
        assert!(
            e.contains("the index is damaged") && e.contains("archeo index --rebuild"),
            "{what}: {e}"
        );
    }

    #[test]
    fn intact_dependency_edges_and_shell_facts_read_back() {
        let (_tmp, s) = store(Damage::None, Damage::None, Damage::None);
        let deps = s.deps().unwrap();
        assert_eq!(deps.len(), 1);
        assert!(deps[0].edges.iter().any(|e| e.version == "v1.2.0"));
        let file = s.file_by_blob(BLOB).unwrap().unwrap();
        assert!(file.decls.iter().any(|d| d.name == "install_runc"));
        let (_, parsed) = file.parsed().unwrap();
        assert!(!parsed.refs.is_empty() || !parsed.calls.is_empty());
        file.verify().unwrap();
    }

    #[test]
    fn damaged_dependency_edges_are_never_read_as_edges() {
        for damage in [Damage::Text, Damage::Moved] {
            let (_tmp, s) = store(damage, Damage::None, Damage::None);
            assert_damaged("deps payload", s.deps());
        }
    }

    #[test]
    fn damaged_shell_parse_facts_are_never_read_as_facts() {
        for damage in [Damage::Text, Damage::Moved] {
            let (_tmp, s) = store(Damage::None, damage, Damage::None);
            assert_damaged("declarations", s.file_by_blob(BLOB));
            let (_tmp, s) = store(Damage::None, Damage::None, damage);
            let file = s.file_by_blob(BLOB).unwrap().unwrap();
            assert_damaged("refs, calls and sources", file.parsed());
        }
    }
}
