//! Property tests of the parsers that read what users, documents and upstreams write (issue 19):
//! the query syntax, the manifest, the lock and the `archeo:begin/end` document markers. They
//! never panic, their errors point inside what they read, and what they accept means what it
//! says (a lock round-trips, a document regenerated with its own blocks is the same bytes).

use std::path::Path;

use archeo::query::syntax::{MAX_QUERY_LEN, Query};
use archeo::report::export::{neutralise, parse_blocks, regenerate};
use archeo::source::lock::{Lock, LockedRepo, LockedRev, RefKind};
use archeo::source::manifest::Manifest;
use proptest::prelude::*;

/// Text made of the pieces that matter to a parser, with anything else between them.
fn fragments(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(pieces).prop_map(str::to_string),
            1 => any::<String>().prop_map(|s| s.chars().take(12).collect()),
        ],
        0..24,
    )
    .prop_map(|v| v.concat())
}

const QUERY_PIECES: &[&str] = &[
    " ",
    "openat2",
    "\"",
    "-",
    "repo:",
    "path:",
    "sym:",
    "lang:",
    "rule:",
    "go",
    "*",
    "**/",
    "{a,b}",
    "[",
    ":",
    "é",
    "\t",
    "x:",
    "-path:vendor/",
];

const MANIFEST_PIECES: &[&str] = &[
    "[[repo]]\n",
    "name = ",
    "url = ",
    "revs = ",
    "exclude = ",
    "[rules]\n",
    "paths = ",
    "\"",
    "\"a\"",
    "\"https://github.com/o/r\"",
    "\"file:///tmp/r\"",
    "[",
    "]",
    ",",
    "\n",
    "\"v1.*\"",
    "\"main\"",
    "\"*\"",
    "'",
    "= ",
    "#",
    "\"x)<script>\"",
    "\"**/*_test.go\"",
];

const DOC_PIECES: &[&str] = &[
    "<!-- archeo:begin --rule x -->\n",
    "<!-- archeo:end -->\n",
    "```\n",
    "~~~\n",
    "````go\n",
    "   ```\n",
    "text\n",
    "\r\n",
    "<!-- archeo:begin \"unclosed -->\n",
    "<!-- archeo:begin -->\n",
    "    <!-- archeo:begin a -->\n",
    "\n",
    "<!-- archeo:end",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn queries_never_panic_and_errors_point_inside_them(q in fragments(QUERY_PIECES)) {
        match Query::parse(&q) {
            Ok(parsed) => {
                prop_assert!(!parsed.patterns().is_empty() || !parsed.filters.is_empty());
                prop_assert!(parsed.patterns().iter().all(|(p, _)| !p.text().is_empty()));
            }
            Err(e) => {
                if let Some(off) = e.offset {
                    prop_assert!(off <= q.len() && q.is_char_boundary(off));
                }
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    #[test]
    fn plain_words_are_the_terms_in_order(words in prop::collection::vec("[a-zA-Z_][a-zA-Z0-9_]{0,15}", 1..20)) {
        // `OR` and `AND` are operators, not words.
        prop_assume!(words.iter().all(|w| w != "OR" && w != "AND"));
        let q = Query::parse(&words.join(" ")).unwrap();
        let got: Vec<&str> = q.patterns().iter().map(|(p, _)| p.text()).collect();
        prop_assert_eq!(got, words.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn oversized_queries_are_refused_before_parsing(extra in 1usize..5000) {
        let q = "a".repeat(MAX_QUERY_LEN + extra);
        let e = Query::parse(&q).unwrap_err();
        prop_assert!(e.to_string().contains("limit"));
    }

    #[test]
    fn manifests_never_panic_and_errors_name_a_line_of_the_file(text in fragments(MANIFEST_PIECES)) {
        let path = Path::new("archeo.toml");
        match Manifest::parse(path, &text) {
            Ok(m) => {
                for r in &m.repos {
                    prop_assert!(archeo::source::manifest::is_selector_safe(&r.name));
                    prop_assert!(archeo::source::git::validate_url(&r.url).is_ok());
                    prop_assert!(!r.url.contains([')', '<', '>', ' ']));
                }
            }
            Err(archeo::error::FileError::Invalid { at, .. }) => {
                let lines = text.split('\n').count();
                prop_assert!(at.line.is_none_or(|l| l >= 1 && l <= lines), "{at} of {lines} lines");
            }
            Err(e) => prop_assert!(false, "unexpected error kind: {e}"),
        }
    }

    #[test]
    fn locks_round_trip(repos in prop::collection::vec(locked_repo(), 0..4)) {
        let lock = Lock { repos };
        let text = lock.to_toml();
        let back = Lock::parse(Path::new("archeo.lock"), &text).unwrap();
        prop_assert_eq!(back, lock);
    }

    #[test]
    fn locks_never_panic(text in fragments(&["[[repo]]\n", "[[repo.rev]]\n", "name = \"a\"\n",
        "url = \"u\"\n", "kind = \"tag\"\n", "kind = \"nope\"\n", "commit = \"", "0123456789abcdef",
        "\"\n", "=", "\n"])) {
        if let Err(e) = Lock::parse(Path::new("archeo.lock"), &text) {
            prop_assert!(e.to_string().contains("archeo fetch --update"), "{e}");
        }
    }

    #[test]
    fn documents_regenerated_with_their_own_blocks_are_the_same_bytes(text in fragments(DOC_PIECES)) {
        if let Ok(blocks) = parse_blocks(Path::new("d.md"), &text) {
            let mut end = 0;
            for b in &blocks {
                prop_assert!(b.content.start >= end && b.content.start <= b.content.end);
                prop_assert!(b.content.end <= text.len() && !b.args.is_empty());
                end = b.content.end;
            }
            // Content is written neutralised (it can never form a marker); content that already
            // is comes back byte for byte, and so does everything outside the regions.
            let neutral = blocks.iter().all(|b| {
                let c = &text[b.content.clone()];
                neutralise(&c.replace("\r\n", "\n")).replace('\n', b.eol) == c
            });
            let same = regenerate(&text, &blocks, |b| Ok(text[b.content.clone()].to_string())).unwrap();
            if neutral {
                prop_assert_eq!(same, text);
            }
        }
    }

    /// Issue 32: whatever a block's generated content holds (quoted markers, fences, lone
    /// carriage returns, indentation, byte order marks), the regenerated document has the same
    /// blocks, the bytes around them unchanged, and no lone `\r` inside.
    #[test]
    fn nothing_generated_can_form_a_marker(body in fragments(&["<!-- archeo:end -->",
        "<!-- archeo:begin identify /etc -->", "<!-- archeo:endless -->", "<!--archeo:end-->",
        "```", "~~~", "````", "   ", "    ", "\t", "\n", "\r", "\r\n", "\u{feff}", "`", "<!--",
        " -->", "\\", "- "])) {
        for doc in ["# D\n<!-- archeo:begin --rule x -->\nold\n<!-- archeo:end -->\ntail\n",
                    "# D\r\n<!-- archeo:begin --rule x -->\r\n<!-- archeo:end -->\r\ntail"] {
            let blocks = parse_blocks(Path::new("d.md"), doc).unwrap();
            let out = regenerate(doc, &blocks, |_| Ok(body.clone())).unwrap();
            let again = parse_blocks(Path::new("d.md"), &out);
            prop_assert!(again.is_ok(), "{:?}\n{}", again, out);
            let again = again.unwrap();
            prop_assert_eq!(again.len(), 1, "{}", out);
            prop_assert_eq!(&again[0].args, &blocks[0].args);
            prop_assert!(out.starts_with(&doc[..blocks[0].content.start]));
            prop_assert!(out.ends_with(&doc[blocks[0].content.end..]));
            let inside = &out[again[0].content.clone()];
            prop_assert!(!inside.replace("\r\n", "").contains('\r'), "{:?}", inside);
            // Writing it again changes nothing.
            let twice = regenerate(&out, &again, |b| Ok(out[b.content.clone()].to_string())).unwrap();
            prop_assert_eq!(twice, out);
        }
    }

    #[test]
    fn markers_inside_fences_are_never_blocks(body in fragments(&["<!-- archeo:begin --rule x -->\n",
        "<!-- archeo:end -->\n", "text\n", "<!-- archeo:begin \"bad -->\n"])) {
        let text = format!("```\n{}```\n", body.replace("```", "'''").replace("~~~", "'''"));
        prop_assert_eq!(parse_blocks(Path::new("d.md"), &text).unwrap(), vec![]);
    }
}

fn locked_repo() -> impl Strategy<Value = LockedRepo> {
    (
        any::<String>(),
        any::<String>(),
        prop::collection::vec(
            (
                any::<String>(),
                prop::sample::select(vec![RefKind::Tag, RefKind::Branch, RefKind::Commit]),
                "[0-9a-f]{40}",
            ),
            0..4,
        ),
    )
        .prop_map(|(name, url, revs)| LockedRepo {
            name,
            url,
            revs: revs
                .into_iter()
                .map(|(name, kind, commit)| LockedRev { name, kind, commit })
                .collect(),
        })
}
