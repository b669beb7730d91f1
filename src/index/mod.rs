//! The index: building it ([`build`]: pinned trees -> distinct new blobs -> parse + rules ->
//! store) and reading it ([`catalog`]: which revision holds which blob where; [`store`]: the
//! tantivy documents). tantivy is used only in [`store`].

pub mod build;
pub mod catalog;
pub mod store;
pub mod tokenize;
