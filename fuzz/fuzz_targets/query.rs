//! Fuzzes the search query parser: it never panics, and an error's column is inside the query.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|q: &str| {
    match archeo::query::syntax::Query::parse(q) {
        Ok(parsed) => assert!(
            parsed.expr.is_some() || !parsed.filters.is_empty() || !parsed.excluded_filters.is_empty(),
            "an accepted query asks for something: {q:?}"
        ),
        Err(e) => {
            if let Some(off) = e.offset {
                assert!(off <= q.len() && q.is_char_boundary(off));
            }
            let _ = e.to_string();
        }
    }
});
