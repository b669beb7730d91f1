//! archeo: pin upstream git repositories at exact commits, index every pinned revision without a
//! checkout, run tree-sitter rules over each distinct file version once, and answer questions
//! with file:line citations on immutable commits.
//!
//! Data flows one way; each stage is one module:
//! manifest -> fetch (lock) -> git (trees, blobs) -> lang (parse) + rules (facts) -> store
//! (tantivy) -> search/query -> render (printers).

pub mod atomic;
pub mod catalog;
pub mod cli;
pub mod errno;
pub mod evidence;
pub mod explain;
pub mod export;
pub mod fetch;
pub mod findings;
pub mod git;
pub mod history;
pub mod index;
pub mod lang;
pub mod lock;
pub mod manifest;
pub mod query;
pub mod render;
pub mod rules;
pub mod search;
pub mod selector;
pub mod store;
pub mod tokenize;
pub mod ui;
pub mod version;
pub mod xref;
