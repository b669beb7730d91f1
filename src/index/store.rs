//! The store stage's tantivy part: every distinct file version's string literals and rule
//! findings, searchable by token and by rule. This is the only module that touches tantivy; the
//! rest of archeo sees [`StoredLiteral`] and JSON finding payloads. File versions themselves
//! (text, declarations, regions) live in `blobs.dat` ([`crate::index::blobs`]) and their
//! trigrams in the n-gram file ([`crate::index::grams`]): searching text never opens tantivy.
//!
//! Documents, one `kind` each:
//! - `lit`: one per string literal of a parsed blob: `blob`, `tokens` (of the value), `payload`
//!   (stored JSON [`StoredLiteral`]).
//! - `finding`: one per rule match in a blob: `blob`, `rule`, `payload` (stored JSON).

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
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, TantivyDocument, Term};

use crate::lang::Lang;

const TOKENIZER: &str = "archeo_code";

#[derive(Clone, Copy)]
struct Fields {
    kind: Field,
    blob: Field,
    rule: Field,
    tokens: Field,
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
        blob: b.add_text_field("blob", STRING),
        rule: b.add_text_field("rule", STRING),
        tokens: b.add_text_field("tokens", tokens_opts),
        payload: b.add_text_field("payload", STORED),
    };
    (b.build(), f)
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
        // Readers never reload: a command sees the index as it was when it started.
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()?;
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

    /// The single writer, with up to `threads` indexing threads.
    pub fn writer(&self, threads: usize) -> Result<StoreWriter> {
        // Literals and findings are small: two indexing threads keep up with any parse rate.
        let threads = threads.clamp(1, 2);
        let w = self
            .index
            .writer_with_num_threads(threads, threads * 32 * 1024 * 1024)
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

    fn collect(&self, q: &dyn Query) -> Result<Vec<DocAddress>> {
        let searcher = self.reader.searcher();
        let mut v: Vec<DocAddress> = searcher.search(q, &DocSetCollector)?.into_iter().collect();
        v.sort();
        Ok(v)
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
    /// Adds one blob's literals (each with its innermost declaration) and findings. Safe to
    /// call from many threads.
    pub fn add(
        &self,
        blob: &str,
        lang: Lang,
        decls: &[crate::lang::Decl],
        strings: Vec<crate::lang::StringLit>,
        findings: Vec<(String, String)>,
    ) -> Result<()> {
        let f = self.f;
        for s in strings {
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
            d.add_text(f.tokens, &lit.lit.value);
            d.add_text(
                f.payload,
                serde_json::to_string(&lit).expect("a literal serialises"),
            );
            self.w.add_document(d)?;
        }
        for (rule, payload) in findings {
            let mut d = TantivyDocument::new();
            d.add_text(f.kind, "finding");
            d.add_text(f.blob, blob);
            d.add_text(f.rule, &rule);
            d.add_text(f.payload, payload);
            self.w.add_document(d)?;
        }
        Ok(())
    }

    /// Deletes a blob's documents (when the commit is made): a blob indexed again after a run
    /// that committed the store but died before its catalog must not count twice.
    pub fn purge(&self, blob: &str) {
        self.w
            .delete_term(Term::from_field_text(self.f.blob, blob));
    }

    /// Makes everything added visible, atomically.
    pub fn commit(mut self) -> Result<()> {
        self.w.commit()?;
        self.w.wait_merging_threads()?;
        Ok(())
    }
}
