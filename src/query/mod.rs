//! The query stage: from an opened index to typed results (search hits, findings, diffs,
//! timelines, explanations), each place cited. Nothing here formats output.

pub mod cancel;
pub mod deps;
pub(crate) mod errno;
pub mod explain;
pub mod findings;
pub mod history;
pub mod identify;
pub mod prefilter;
pub mod search;
pub mod syntax;
pub mod xref;
