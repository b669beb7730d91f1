//! archeo: pin upstream git repositories at exact commits, index every pinned revision without a
//! checkout, run tree-sitter rules over each distinct file version once, and answer questions
//! with file:line citations on immutable commits.
//!
//! Data flows one way, and each stage is a folder:
//!
//! ```text
//! source/  manifest -> fetch (gix) -> lock (Pin); trees and blobs from the cache
//! lang/    bytes of one file version -> Parsed (per language)       rules: Parsed -> Finding
//! index/   build (parallel parse of new blobs) -> store (tantivy) + catalog; the Index handle
//! query/   Index -> search, findings, history, explain: typed results with Citations
//! report/  printers (text, JSON Lines, Markdown), evidence blocks, export into documents
//! serve/   the index in a browser: pages and a JSON API over the query stages
//! cli/     clap definitions and one thin file per command
//! watch    `archeo watch`: fetch -> what is new -> index -> query/watch, as one job
//! ```

#![warn(missing_docs)]

pub mod artifact;
pub(crate) mod atomic;
pub mod cli;
pub mod deps;
pub mod error;
pub mod index;
pub mod lang;
pub mod marker;
pub mod path_filter;
pub(crate) mod pidlock;
pub mod query;
pub mod report;
pub mod rules;
pub mod serve;
pub mod source;
pub mod ui;
pub(crate) mod version;
pub mod watch;
pub mod xref;
