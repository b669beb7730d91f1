//! Fuzzes the `archeo:begin/end` marker parser: it never panics, blocks are ordered and inside
//! the document, regenerating every block with its own (already neutral) content gives the same
//! bytes, and whatever a block's generated content holds, the regenerated document has exactly
//! the same blocks (issue 32: nothing archeo writes can form a marker).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    use archeo::report::export::{neutralise, parse_blocks, regenerate};
    let path = std::path::Path::new("d.md");
    if let Ok(blocks) = parse_blocks(path, text) {
        let mut end = 0;
        for b in &blocks {
            assert!(end <= b.content.start && b.content.start <= b.content.end);
            assert!(b.content.end <= text.len());
            end = b.content.end;
        }
        let neutral = blocks.iter().all(|b| {
            let c = &text[b.content.clone()];
            neutralise(&c.replace("\r\n", "\n")).replace('\n', b.eol) == c
        });
        let same = regenerate(text, &blocks, |b| Ok(text[b.content.clone()].to_string())).unwrap();
        if neutral {
            assert_eq!(same, text);
        }
    }
    for doc in [
        "# D\n<!-- archeo:begin --rule x -->\nold\n<!-- archeo:end -->\ntail\n",
        "# D\r\n<!-- archeo:begin --rule x -->\r\n<!-- archeo:end -->\r\ntail",
    ] {
        let blocks = parse_blocks(path, doc).unwrap();
        let out = regenerate(doc, &blocks, |_| Ok(text.to_string())).unwrap();
        let again = parse_blocks(path, &out).expect("generated content broke the document");
        assert_eq!(again.len(), 1, "{out}");
        assert_eq!(again[0].args, blocks[0].args);
        assert!(out.starts_with(&doc[..blocks[0].content.start]));
        assert!(out.ends_with(&doc[blocks[0].content.end..]));
    }
});
