//! Any text file no other language claims: indexed by line, no syntax tree.

use tree_sitter::Tree;

use super::{Lang, Language, Parsed};

/// Plain text.
pub struct Text;

impl Language for Text {
    fn lang(&self) -> Lang {
        Lang::Text
    }
    fn detects(&self, _path: &str, _first_line: &str) -> bool {
        true
    }
    fn grammar(&self) -> Option<tree_sitter::Language> {
        None
    }
    fn case_extensions(&self) -> &'static [&'static str] {
        &["txt"]
    }
    fn parse(&self, _src: &str) -> (Parsed, Option<Tree>) {
        (Parsed::default(), None)
    }
}
