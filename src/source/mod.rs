//! The source stage: the manifest (`archeo.toml`), fetching with gix into the cache, the lock
//! (`archeo.lock`, [`lock::Pin`]), and reading pinned trees and blobs back out of the cache.
//! gix is used only in [`git`].

pub mod fetch;
pub mod git;
pub mod lock;
pub mod manifest;
