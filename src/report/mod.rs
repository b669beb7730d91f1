//! The report stage: printers over typed results (text, JSON Lines, Markdown), evidence blocks,
//! and regenerating the evidence regions of Markdown documents. Nothing here searches.

pub mod evidence;
pub mod export;
pub mod render;
