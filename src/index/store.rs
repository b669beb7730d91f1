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
    /// Any other tantivy failure.
    #[error("index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// Reading the index's files failed.
    #[error("cannot read the index: {0}")]
    Io(#[from] std::io::Error),
}

/// Results of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

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
        let mut m: FileMeta =
            serde_json::from_str(&self.meta_json).map_err(damaged("file metadata"))?;
        m.parsed.decls = self.decls.clone();
        Ok((m.status, m.parsed))
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
}

impl Store {
    fn register(index: &Index) {
        index
            .tokenizers()
            .register(TOKENIZER, crate::index::tokenize::CodeTokenizer::default());
    }

    /// Checks the schema, registers the tokenizer and opens a reader.
    fn ready(index: Index, schema: Schema, f: Fields, dir: &Path) -> Result<Store> {
        if index.schema() != schema {
            return Err(StoreError::Schema {
                dir: dir.to_path_buf(),
            });
        }
        Self::register(&index);
        let reader = index.reader()?;
        Ok(Store { index, reader, f })
    }

    /// Opens the store in `dir`, creating it when there is none.
    pub fn create_or_open(dir: &Path) -> Result<Store> {
        let open_err = |reason: String| StoreError::Open {
            dir: dir.to_path_buf(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let (schema, f) = schema();
        let index = if dir.join("meta.json").exists() {
            Index::open_in_dir(dir).map_err(|e| open_err(e.to_string()))?
        } else {
            Index::create_in_dir(dir, schema.clone()).map_err(|e| open_err(e.to_string()))?
        };
        Self::ready(index, schema, f, dir)
    }

    /// Opens an existing store.
    pub fn open(dir: &Path) -> Result<Store> {
        let (schema, f) = schema();
        let index = Index::open_in_dir(dir).map_err(|e| StoreError::Open {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        Self::ready(index, schema, f, dir)
    }

    /// Blob ids already in the index (one `file` document each).
    pub fn indexed_blobs(&self) -> Result<HashSet<String>> {
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
        Ok(StoreWriter { w, f: self.f })
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

    /// The stored file document `r` refers to.
    pub fn file(&self, r: &FileRef) -> Result<StoredFile> {
        self.file_at(r.addr)
    }

    fn file_at(&self, addr: DocAddress) -> Result<StoredFile> {
        let doc: TantivyDocument = self.reader.searcher().doc(addr)?;
        let s = |f: Field| {
            doc.get_first(f)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let decls = s(self.f.decls);
        Ok(StoredFile {
            blob: s(self.f.blob),
            lang: Lang::from_name(&s(self.f.lang)).unwrap_or(Lang::Text),
            content: s(self.f.content),
            decls: decode_decls(&decls)?,
            meta_json: s(self.f.meta),
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
        let q = BooleanQuery::new(vec![
            (Occur::Must, self.term_query(self.f.kind, "file")),
            (Occur::Must, self.term_query(self.f.blob, blob)),
        ]);
        match self.collect(&q)?.first() {
            Some(a) => Ok(Some(self.file_at(*a)?)),
            None => Ok(None),
        }
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
        self.payloads(&q)
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
        self.payloads(&BooleanQuery::new(clauses))
    }

    fn payloads<T: serde::de::DeserializeOwned>(&self, q: &dyn Query) -> Result<Vec<T>> {
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for a in self.collect(q)? {
            let doc: TantivyDocument = searcher.doc(a)?;
            let p = doc
                .get_first(self.f.payload)
                .and_then(|v| v.as_str())
                .unwrap_or("null");
            out.push(serde_json::from_str(p).map_err(damaged("payload"))?);
        }
        Ok(out)
    }

    /// Every file version's dependency edges.
    pub fn deps(&self) -> Result<Vec<StoredDeps>> {
        self.payloads(&self.term_query(self.f.kind, "deps"))
    }

    /// Number of documents of every kind (for stats).
    pub fn num_docs(&self) -> Result<u64> {
        Ok(self
            .reader
            .searcher()
            .search(&AllQuery, &tantivy::collector::Count)? as u64)
    }
}

/// Adds blobs' documents; [`StoreWriter::commit`] makes them visible.
pub struct StoreWriter {
    w: IndexWriter,
    f: Fields,
}

impl StoreWriter {
    /// Adds one blob's documents. Safe to call from many threads.
    pub fn add(&self, mut rec: BlobRecord) -> Result<()> {
        let f = self.f;
        let mut doc = TantivyDocument::new();
        doc.add_text(f.kind, "file");
        doc.add_text(f.blob, &rec.blob);
        doc.add_text(f.lang, rec.lang.as_str());
        if let Some(c) = &rec.content {
            doc.add_text(f.tokens, c);
            doc.add_text(f.content, c);
        }
        let strings = std::mem::take(&mut rec.parsed.strings);
        let decls = std::mem::take(&mut rec.parsed.decls);
        if !decls.is_empty() {
            doc.add_text(f.decls, encode_decls(&decls));
        }
        let meta = FileMeta {
            status: rec.status,
            size: rec.size,
            parsed: rec.parsed,
        };
        doc.add_text(
            f.meta,
            serde_json::to_string(&meta).expect("metadata serialises"),
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
                serde_json::to_string(&lit).expect("a literal serialises"),
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
                serde_json::to_string(&deps).expect("edges serialise"),
            );
            self.w.add_document(d)?;
        }
        for (rule, payload) in rec.findings {
            let mut d = TantivyDocument::new();
            d.add_text(f.kind, "finding");
            d.add_text(f.blob, &rec.blob);
            d.add_text(f.rule, &rule);
            d.add_text(f.payload, payload);
            self.w.add_document(d)?;
        }
        Ok(())
    }

    /// Makes everything added visible, atomically.
    pub fn commit(mut self) -> Result<()> {
        self.w.commit()?;
        self.w.wait_merging_threads()?;
        Ok(())
    }
}

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
