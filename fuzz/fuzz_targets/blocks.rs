//! Fuzzes the `archeo:begin/end` marker parser: it never panics, blocks are ordered and inside
//! the document, and regenerating every block with its own content gives the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    use archeo::report::export::{parse_blocks, regenerate};
    if let Ok(blocks) = parse_blocks(std::path::Path::new("d.md"), text) {
        let mut end = 0;
        for b in &blocks {
            assert!(end <= b.content.start && b.content.start <= b.content.end);
            assert!(b.content.end <= text.len());
            end = b.content.end;
        }
        let same = regenerate(text, &blocks, |b| Ok(text[b.content.clone()].to_string())).unwrap();
        assert_eq!(same, text);
    }
});
