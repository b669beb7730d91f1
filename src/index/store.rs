//! The store stage's tantivy part: every distinct file version's string literals, rule findings
//! and dependency edges, searchable by token, by rule and by kind. This is the only module that
//! touches tantivy; the rest of archeo sees [`StoredLiteral`], [`StoredDeps`] and JSON finding
//! payloads. File versions themselves (text, declarations, regions, the rest of the parse) live
//! in `blobs.dat` ([`crate::index::blobs`], each record checked by its CRC-32) and their
//! trigrams in the n-gram file ([`crate::index::grams`]): searching text never opens tantivy.
//!
//! Documents, one `kind` each:
//! - `lit`: one per string literal of a parsed blob: `blob`, `tokens` (of the value), `payload`
//!   (stored JSON [`StoredLiteral`]).
//! - `finding`: one per rule match in a blob: `blob`, `rule`, `payload` (stored JSON).
//! - `deps`: one per blob with dependency edges: `blob`, `payload` (stored JSON [`StoredDeps`]).
//!
//! Damage is detected, never cited: opening checks tantivy's checksums of every segment file but
//! the document store; each stored payload of a store written by this archeo is sealed with a
//! CRC-32 (together with its blob id), checked when read; tantivy panics on damaged files are
//! caught here. Every such failure is [`StoreError::Damaged`], which names the fix. Readers never
//! write: an index on a read-only mount, or one the user may not write, opens.

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
use tantivy::query::{AllQuery, BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, TantivyDocument, Term};

use crate::lang::Lang;

#[derive(Clone, Copy)]
struct Fields {
    kind: Field,
    blob: Field,
    rule: Field,
    words: Field,
    need: Field,
    payload: Field,
}

/// The fast field holding how many distinct words a literal's format requires.
const NEED: &str = "need";

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words_opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("whitespace")
            .set_index_option(IndexRecordOption::Basic),
    );
    let f = Fields {
        kind: b.add_text_field("kind", STRING),
        blob: b.add_text_field("blob", STRING | STORED),
        rule: b.add_text_field("rule", STRING | STORED),
        words: b.add_text_field("words", words_opts),
        need: b.add_u64_field(NEED, FAST),
        payload: b.add_text_field("payload", STORED),
    };
    (b.build(), f)
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

/// Collects the documents whose score (one per matching word) reaches their `need`: the
/// literals every required word of which the message holds.
struct WordsCovered;

impl tantivy::collector::Collector for WordsCovered {
    type Fruit = Vec<DocAddress>;
    type Child = WordsCoveredSegment;

    fn for_segment(
        &self,
        segment: tantivy::SegmentOrdinal,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<WordsCoveredSegment> {
        Ok(WordsCoveredSegment {
            segment,
            need: reader.fast_fields().u64(NEED)?,
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<DocAddress>>) -> tantivy::Result<Vec<DocAddress>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

struct WordsCoveredSegment {
    segment: tantivy::SegmentOrdinal,
    need: tantivy::columnar::Column<u64>,
    found: Vec<DocAddress>,
}

impl tantivy::collector::SegmentCollector for WordsCoveredSegment {
    type Fruit = Vec<DocAddress>;

    fn collect(&mut self, doc: tantivy::DocId, score: tantivy::Score) {
        let need = self.need.first(doc).unwrap_or(u64::MAX);
        if f64::from(score) + 0.5 >= need as f64 {
            self.found.push(DocAddress::new(self.segment, doc));
        }
    }

    fn harvest(self) -> Vec<DocAddress> {
        self.found
    }
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
    /// Checks the schema and opens a reader that never writes.
    fn ready(index: Index, schema: Schema, f: Fields, dir: &Path) -> Result<Store> {
        if index.schema() != schema {
            return Err(StoreError::Schema {
                dir: dir.to_path_buf(),
            });
        }
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

    fn collect(&self, q: &dyn Query) -> Result<Vec<DocAddress>> {
        let searcher = self.reader.searcher();
        let mut v: Vec<DocAddress> = searcher.search(q, &DocSetCollector)?.into_iter().collect();
        v.sort();
        Ok(v)
    }

    /// The error-source literals whose every required word is among `words` (lower-cased,
    /// distinct: [`crate::lang::errfmt::message_words`]): each matching word scores one, and
    /// a literal is read only when its score reaches the number of words it requires.
    pub fn literals_within(&self, words: &[String]) -> Result<Vec<StoredLiteral>> {
        let any: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| {
                let q: Box<dyn Query> =
                    Box::new(ConstScoreQuery::new(self.term_query(self.f.words, w), 1.0));
                (Occur::Should, q)
            })
            .collect();
        if any.is_empty() {
            return Ok(Vec::new());
        }
        let q = BooleanQuery::new(any);
        guarded(|| {
            let searcher = self.reader.searcher();
            let mut addrs = searcher.search(&q, &WordsCovered)?;
            addrs.sort();
            self.read_payloads(&addrs)
        })
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
        self.read_payloads(&self.collect(q)?)
    }

    fn read_payloads<T: serde::de::DeserializeOwned>(
        &self,
        addrs: &[DocAddress],
    ) -> Result<Vec<T>> {
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for &a in addrs {
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
    /// Adds one blob's literals (each with its innermost declaration), dependency edges and
    /// findings. Safe to call from many threads.
    pub fn add(
        &self,
        blob: &str,
        lang: Lang,
        decls: &[crate::lang::Decl],
        strings: Vec<crate::lang::StringLit>,
        findings: Vec<(String, String)>,
        deps: Option<StoredDeps>,
    ) -> Result<()> {
        let f = self.f;
        let sealed = |text: String| {
            if self.sealed { seal(blob, &text) } else { text }
        };
        for s in strings {
            // Only a literal that may be an error message's source is stored (explain's only
            // question of them), with the words a message must hold for it to match.
            let Some(source) = crate::lang::errfmt::error_source(lang, &s) else {
                continue;
            };
            let words = crate::lang::errfmt::required_words(&source.pattern);
            if words.is_empty() {
                continue;
            }
            let decl = decls
                .iter()
                .filter(|d| d.start <= s.line && s.line <= d.end)
                .min_by_key(|d| d.end - d.start)
                .map(|d| d.name.clone());
            let lit = StoredLiteral {
                blob: blob.to_string(),
                lit: s,
                decl,
                lang,
            };
            let mut d = TantivyDocument::new();
            d.add_text(f.kind, "lit");
            d.add_text(f.blob, blob);
            d.add_text(f.words, words.join(" "));
            d.add_u64(f.need, words.len() as u64);
            d.add_text(
                f.payload,
                sealed(serde_json::to_string(&lit).expect("a literal serialises")),
            );
            self.w.add_document(d)?;
        }
        if let Some(mut deps) = deps {
            deps.blob = blob.to_string();
            let mut d = TantivyDocument::new();
            d.add_text(f.kind, "deps");
            d.add_text(f.blob, blob);
            d.add_text(
                f.payload,
                sealed(serde_json::to_string(&deps).expect("edges serialise")),
            );
            self.w.add_document(d)?;
        }
        for (rule, payload) in findings {
            let mut d = TantivyDocument::new();
            d.add_text(f.kind, "finding");
            d.add_text(f.blob, blob);
            d.add_text(f.rule, &rule);
            d.add_text(f.payload, sealed(payload));
            self.w.add_document(d)?;
        }
        Ok(())
    }

    /// Deletes a blob's documents (when the commit is made): a blob indexed again after a run
    /// that committed the store but died before its catalog must not count twice.
    pub fn purge(&self, blob: &str) {
        self.w.delete_term(Term::from_field_text(self.f.blob, blob));
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

#[cfg(test)]
mod tests {
    use super::*;

    const BLOB: &str = "0123456789abcdef0123456789abcdef01234567";
    const OTHER: &str = "89abcdef0123456789abcdef0123456789abcdef";
    const SCRIPT: &str = "#!/bin/sh\nRUNC_VERSION=v1.2.0\ninstall_runc() {\n\tgit checkout \"$RUNC_VERSION\"\n}\ninstall_runc\n";

    /// How a stored payload is damaged: its text changed behind an intact tantivy file (the
    /// way flipped bytes that decompress would), or the seal of another blob's payload moved
    /// here.
    #[derive(Clone, Copy, PartialEq)]
    enum Damage {
        None,
        Text,
        Moved,
    }

    /// A sealed store holding one shell script's dependency edges, damaged as asked.
    fn store(damage: Damage) -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let edges = crate::deps::extract("hack/install.sh", SCRIPT);
        assert!(!edges.is_empty(), "the script pins RUNC_VERSION");
        let payload = serde_json::to_string(&StoredDeps {
            blob: BLOB.into(),
            path: "hack/install.sh".into(),
            edges,
        })
        .unwrap();
        let sealed = match damage {
            Damage::None => seal(BLOB, &payload),
            Damage::Text => {
                let changed = payload.replacen("v1.2.0", "v9.9.9", 1);
                assert_ne!(changed, payload);
                format!("{changed}\u{0}{:08x}", crc(BLOB, &payload))
            }
            Damage::Moved => seal(OTHER, &payload),
        };
        let store = Store::create_or_open(tmp.path()).unwrap();
        let w = store.writer(1).unwrap();
        let mut d = TantivyDocument::new();
        d.add_text(w.f.kind, "deps");
        d.add_text(w.f.blob, BLOB);
        d.add_text(w.f.payload, sealed);
        w.w.add_document(d).unwrap();
        w.commit(&[]).unwrap();
        let store = Store::open(tmp.path()).unwrap();
        (tmp, store)
    }

    #[test]
    fn intact_dependency_edges_read_back() {
        let (_tmp, s) = store(Damage::None);
        let deps = s.deps().unwrap();
        assert_eq!(deps.len(), 1);
        assert!(deps[0].edges.iter().any(|e| e.version == "v1.2.0"));
    }

    #[test]
    fn damaged_dependency_edges_are_never_read_as_edges() {
        for damage in [Damage::Text, Damage::Moved] {
            let (_tmp, s) = store(damage);
            let e = s.deps().expect_err("a damaged payload").to_string();
            assert!(
                e.contains("the index is damaged") && e.contains("archeo index --rebuild"),
                "{e}"
            );
        }
    }
}
